// Issue 13 §4 against real redis, oauthd and gateway processes:
//  - HEAD is answered wherever GET is (RFC 9110 §9.3.2): the same status and
//    headers as GET, Content-Length included, and no body;
//  - a repeated parameter at /authorize is redirected with
//    error=invalid_request and the state (RFC 6749 §4.1.2.1) when client_id
//    and redirect_uri were sent once and are valid; otherwise the HTML error
//    page stays.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RawConnection, startStack } from './harness.mjs';

const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

let stack;
let app; // authorization_code, two redirect URIs
let single; // authorization_code, one redirect URI

before(async () => {
  stack = await startStack();
  app = stack.createClient({
    name: 'Repeats',
    grantTypes: ['authorization_code'],
    redirectUris: [REDIRECT_URI, 'http://127.0.0.1:9/cb2?x=1'],
  });
  single = stack.createClient({ name: 'Single', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI] });
});

after(async () => {
  await stack?.close();
});

// Headers that legitimately differ between two responses.
const VOLATILE = new Set(['date', 'set-cookie', 'connection', 'keep-alive']);

function stableHeaders(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));
}

describe('HEAD (RFC 9110 §9.3.2)', () => {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/jwks.json', '/healthz', '/metrics']) {
    test(`HEAD ${path}: GET's status and headers, no body`, async () => {
      const get = await stack.request(path);
      const head = await stack.request(path, { method: 'HEAD' });
      assert.equal(get.status, 200);
      assert.ok(get.body.length > 0);
      assert.equal(head.status, get.status);
      assert.equal(head.body, '');
      if (path === '/metrics') {
        // The counters move between the two requests: compare the rest.
        assert.equal(head.headers['content-type'], get.headers['content-type']);
        assert.ok(Number(head.headers['content-length']) > 0);
      } else {
        assert.deepEqual(stableHeaders(head.headers), stableHeaders(get.headers));
        assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)));
      }
    });
  }

  test('HEAD /authorize: the login page headers without the page', async () => {
    const query = new URLSearchParams({
      client_id: app.client_id, response_type: 'code', redirect_uri: REDIRECT_URI, state: 's',
      code_challenge: CHALLENGE, code_challenge_method: 'S256',
    });
    const head = await stack.request(`/authorize?${query}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-type'], 'text/html; charset=utf-8');
    assert.ok(Number(head.headers['content-length']) > 0);
  });

  test('a keep-alive connection stays usable after HEAD (no stray body bytes)', async () => {
    const c = await RawConnection.open(Number(new URL(stack.issuer).port));
    try {
      c.send('HEAD /jwks.json HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      // RawConnection frames by Content-Length, so read the HEAD response's
      // head only, then the GET must follow at once.
      const deadline = Date.now() + 10000;
      while (!c.buffer.includes('ok\n') && Date.now() < deadline) await c.waitEvent(deadline);
      const text = c.buffer.toString('latin1');
      const [headPart, rest] = [text.slice(0, text.indexOf('\r\n\r\n') + 4), text.slice(text.indexOf('\r\n\r\n') + 4)];
      assert.match(headPart, /^HTTP\/1\.1 200/);
      assert.match(headPart, /content-length: [1-9]/i);
      assert.match(rest, /^HTTP\/1\.1 200 OK\r\n/, 'the next response starts right after the HEAD headers');
      assert.match(rest, /\r\n\r\nok\n$/);
    } finally {
      c.destroy();
    }
  });

  test('405 lists HEAD where GET is allowed; POST-only endpoints refuse HEAD', async () => {
    const r = await stack.request('/jwks.json', { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
    const authorize = await stack.request('/authorize', { method: 'PUT' });
    assert.equal(authorize.headers.allow, 'GET, HEAD, POST');
    const token = await stack.request('/token', { method: 'HEAD' });
    assert.equal(token.status, 405);
    assert.equal(token.headers.allow, 'OPTIONS, POST');
    assert.equal(token.body, '');
  });
});

describe('repeated parameter at /authorize (RFC 6749 §4.1.2.1)', () => {
  function base(client = app) {
    return `client_id=${client.client_id}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`;
  }

  test('valid client and redirect_uri: 302 to the client with invalid_request, state and iss', async () => {
    const r = await stack.request(`/authorize?${base()}&response_type=code&scope=read&scope=write&state=st+ate`);
    assert.equal(r.status, 302, r.body);
    const location = new URL(r.headers.location);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.equal(location.searchParams.get('error_description'), "parameter 'scope' is repeated");
    assert.equal(location.searchParams.get('state'), 'st ate');
    assert.equal(location.searchParams.get('iss'), stack.issuer);
    assert.equal(location.searchParams.get('code'), null);
  });

  test('the repeated parameter may be response_type; a POSTed request gets 303', async () => {
    const r = await stack.request('/authorize', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${base()}&response_type=code&response_type=token&state=p`,
    });
    assert.equal(r.status, 303, r.body);
    const location = new URL(r.headers.location);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.equal(location.searchParams.get('state'), 'p');
  });

  test('a repeated state is redirected without a state (it cannot be told which)', async () => {
    const r = await stack.request(`/authorize?${base()}&response_type=code&state=a&state=b`);
    assert.equal(r.status, 302, r.body);
    const location = new URL(r.headers.location);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.equal(location.searchParams.get('error_description'), "parameter 'state' is repeated");
    assert.equal(location.searchParams.get('state'), null);
  });

  test('redirect_uri omitted for a client with exactly one: redirected there', async () => {
    const r = await stack.request(`/authorize?client_id=${single.client_id}&response_type=code&scope=a&scope=b&state=one`);
    assert.equal(r.status, 302, r.body);
    const location = new URL(r.headers.location);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('state'), 'one');
  });

  const pages = [
    ['client_id repeated', () => `client_id=${app.client_id}&client_id=${app.client_id}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=s`, 'client_id'],
    ['redirect_uri repeated', () => `${base()}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=s`, 'redirect_uri'],
    ['unknown client', () => `client_id=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=a&state=b`, 'state'],
    ['unregistered redirect_uri', () => `client_id=${app.client_id}&redirect_uri=${encodeURIComponent('http://evil.example/cb')}&state=a&state=b`, 'state'],
    ['redirect_uri omitted, two registered', () => `client_id=${app.client_id}&response_type=code&state=a&state=b`, 'state'],
    ['client_id missing', () => `redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=a&state=b`, 'state'],
  ];
  for (const [name, query, parameter] of pages) {
    test(`${name}: HTML error page, never a redirect`, async () => {
      const r = await stack.request(`/authorize?${query()}`);
      assert.equal(r.status, 400, r.body);
      assert.equal(r.headers.location, undefined);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(r.body, new RegExp(`parameter &#39;${parameter}&#39; is repeated`));
    });
  }

  test('a repeated parameter with bad percent-encoding elsewhere: HTML error page', async () => {
    const r = await stack.request(`/authorize?${base()}&scope=a&scope=b&state=%zz`);
    assert.equal(r.status, 400);
    assert.equal(r.headers.location, undefined);
  });
});
