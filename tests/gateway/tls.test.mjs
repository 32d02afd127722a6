// TLS and browser hygiene of the real oauth-gateway process (issue 10, part
// 6), in front of real redis + oauthd:
//  - protocol and cipher policy, probed with `openssl s_client` against a
//    gateway with an RSA certificate made here (so that RSA key exchange
//    could be negotiated at all): TLS 1.1, RSA key exchange, CBC-SHA1 and DHE
//    refused by the server; ECDHE with AES-GCM or ChaCha20-Poly1305 and TLS
//    1.3 accepted; the server's order of preference wins;
//  - Strict-Transport-Security on every response under https, none under
//    plain http, none with --hsts= (empty), a bad --hsts refused at start;
//  - redirects after a POST are 303 See Other (RFC 9700 §4.12), after a GET
//    302; the CSRF cookie is __Host- with Secure under https.
// Off-the-shelf clients over HTTPS: oauth4webapi.test.mjs, browser.test.mjs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  cookieHeader, freePort, hiddenFields, startChild, startStack, stopChild, submitLoginForm, waitForPort,
} from './harness.mjs';

const OPENSSL = process.env.OPENSSL_BIN || 'openssl';
const HSTS = 'max-age=31536000';
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const USERNAME = 'tls-user';
const PASSWORD = `pw ${crypto.randomUUID()}`;

let stack; // HTTPS gateway (ECDSA certificate), real oauthd
// A plain-HTTP gateway with an http issuer: its own oauthd, since a gateway
// refuses to serve under an issuer other than oauthd's.
let plain;
let app;
let plainApp;
const extras = [];

before(async () => {
  stack = await startStack({ tls: true });
  plain = await startStack();
  const client = {
    name: 'TLS App',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    scopes: ['read'],
  };
  app = stack.createClient(client);
  plainApp = plain.createClient(client);
  stack.createUser(USERNAME, PASSWORD);
});

after(async () => {
  for (const extra of extras) await extra.stop();
  await plain?.close();
  await stack?.close();
});

function run(file, args, options = {}) {
  return spawnSync(file, args, { encoding: 'utf8', timeout: 30000, ...options });
}

describe('protocol and cipher suites (RSA certificate, openssl s_client)', () => {
  let port;
  let child;

  before(async () => {
    const key = path.join(stack.workDir, 'rsa-key.pem');
    const cert = path.join(stack.workDir, 'rsa-cert.pem');
    const made = run(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    assert.equal(made.status, 0, made.stderr);
    port = await freePort();
    child = startChild(`gateway-rsa-${port}`, process.env.BIN_OAUTH_GATEWAY, [
      `--listen=127.0.0.1:${port}`, `--upstream=${stack.grpcAddress}`, `--issuer=${stack.issuer}`,
      '--threads=2', `--tls_cert=${cert}`, `--tls_key=${key}`,
    ], stack.workDir);
    await waitForPort(port, child);
  });

  after(async () => {
    await stopChild(child);
  });

  // One handshake. The client runs without the system OpenSSL configuration
  // and at security level 0, so it really offers what it is asked to: a
  // refusal then comes from the gateway (an alert), not from the client.
  function handshake(args) {
    const r = run(OPENSSL, ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-brief', ...args],
      { input: '', env: { ...process.env, OPENSSL_CONF: '/dev/null' } });
    const out = `${r.stdout}\n${r.stderr}`;
    return {
      ok: r.status === 0 && /CONNECTION ESTABLISHED/.test(out),
      protocol: out.match(/Protocol version: (\S+)/)?.[1],
      cipher: out.match(/Ciphersuite: (\S+)/)?.[1],
      out,
    };
  }

  function assertRefusedByServer(args, alert, what) {
    const r = handshake(args);
    assert.equal(r.ok, false, `${what} was accepted:\n${r.out}`);
    assert.match(r.out, alert, `${what}: not refused by the server:\n${r.out}`);
  }

  test('TLS 1.1 is refused', () => {
    assertRefusedByServer(['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'], /alert protocol version/, 'TLS 1.1');
  });

  test('RSA key exchange, CBC with SHA-1 and DHE are refused in TLS 1.2', () => {
    for (const suite of [
      'AES128-SHA', // RSA key exchange, CBC, SHA-1
      'AES256-GCM-SHA384', // RSA key exchange (no forward secrecy), AEAD
      'ECDHE-RSA-AES128-SHA', // forward secret, but CBC with SHA-1
      'ECDHE-RSA-AES256-SHA384', // forward secret, CBC
      'DHE-RSA-AES128-GCM-SHA256', // finite-field DH
    ]) {
      assertRefusedByServer(['-tls1_2', '-cipher', `${suite}:@SECLEVEL=0`], /alert handshake failure/, suite);
    }
  });

  test('ECDHE with AES-GCM or ChaCha20-Poly1305 is accepted in TLS 1.2', () => {
    for (const suite of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
      const r = handshake(['-tls1_2', '-cipher', suite]);
      assert.ok(r.ok, `${suite}:\n${r.out}`);
      assert.equal(r.protocol, 'TLSv1.2');
      assert.equal(r.cipher, suite);
    }
  });

  test('TLS 1.3 is accepted', () => {
    const r = handshake(['-tls1_3']);
    assert.ok(r.ok, r.out);
    assert.equal(r.protocol, 'TLSv1.3');
  });

  test("the server's order of preference wins", () => {
    const r = handshake(['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256']);
    assert.ok(r.ok, r.out);
    assert.equal(r.cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
  });
});

function authorizeUrl(base, params) {
  const url = new URL(`${base}/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

function codeRequest(base, state, client = app) {
  return authorizeUrl(base, {
    client_id: client.client_id, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'read', state,
    code_challenge: CHALLENGE, code_challenge_method: 'S256',
  });
}

describe('Strict-Transport-Security', () => {
  test('on every response under https', async () => {
    const responses = [
      await stack.request('/healthz'),
      await stack.request('/.well-known/oauth-authorization-server'),
      await stack.request('/jwks.json'),
      await stack.request('/metrics'),
      await stack.request('/nope'),
      await stack.request('/token', { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' }),
      await stack.request('/token', { method: 'POST', headers: FORM, body: `x=${'a'.repeat(70 * 1024)}` }),
      await stack.request(codeRequest(stack.issuer, 's').toString()),
      await stack.request(authorizeUrl(stack.issuer, { client_id: app.client_id, redirect_uri: REDIRECT_URI, response_type: 'token' }).toString()),
    ];
    for (const r of responses) {
      assert.equal(r.headers['strict-transport-security'], HSTS, `${r.status} ${r.body.slice(0, 80)}`);
    }
  });

  test('none under plain http', async () => {
    for (const p of ['/healthz', '/nope', '/.well-known/oauth-authorization-server']) {
      const r = await plain.request(`${plain.url}${p}`);
      assert.equal(r.headers['strict-transport-security'], undefined, p);
    }
  });

  test('--hsts= turns it off; a malformed --hsts stops the start with one line', async () => {
    const off = await stack.startExtraGateway({
      upstream: stack.grpcAddress,
      args: [`--tls_cert=${process.env.GATEWAY_TLS_CERT}`, `--tls_key=${process.env.GATEWAY_TLS_KEY}`, '--hsts='],
    });
    extras.push(off);
    const r = await stack.request(`${off.url.replace('http:', 'https:')}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], undefined);

    const bad = run(process.env.BIN_OAUTH_GATEWAY, [`--listen=127.0.0.1:${await freePort()}`, '--hsts=max-age=soon']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /--hsts/);
  });
});

describe('redirects after a POST are 303 See Other', () => {
  test('login approved: 303 to the client with the code', async () => {
    const { response } = await submitLoginForm(stack, codeRequest(stack.issuer, 'approved'), { username: USERNAME, password: PASSWORD });
    assert.equal(response.status, 303, response.body);
    const location = new URL(response.headers.location);
    assert.equal(location.origin + location.pathname, REDIRECT_URI);
    assert.ok(location.searchParams.get('code'));
    assert.equal(location.searchParams.get('state'), 'approved');
    assert.equal(response.headers['strict-transport-security'], HSTS);
  });

  test('denied: 303 with access_denied', async () => {
    const { response } = await submitLoginForm(stack, codeRequest(stack.issuer, 'denied'), { action: 'deny' });
    assert.equal(response.status, 303, response.body);
    assert.equal(new URL(response.headers.location).searchParams.get('error'), 'access_denied');
  });

  test('a wrong password is answered with the page again, not a redirect', async () => {
    const { response } = await submitLoginForm(stack, codeRequest(stack.issuer, 'wrong'), { username: USERNAME, password: 'nope' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.location, undefined);
  });

  test('an authorization request sent by POST with an error: 303; the same by GET: 302', async () => {
    const params = { client_id: app.client_id, redirect_uri: REDIRECT_URI, response_type: 'token', state: 'x' };
    const posted = await stack.request('/authorize', {
      method: 'POST', headers: FORM, body: new URLSearchParams(params).toString(),
    });
    assert.equal(posted.status, 303, posted.body);
    assert.equal(new URL(posted.headers.location).searchParams.get('error'), 'unsupported_response_type');
    const got = await stack.request(authorizeUrl(stack.issuer, params).toString());
    assert.equal(got.status, 302, got.body);
  });
});

describe('cookies', () => {
  test('under https the CSRF cookie is __Host- prefixed, Secure, Path=/, without Domain', async () => {
    const page = await stack.request(codeRequest(stack.issuer, 'cookie').toString());
    assert.equal(page.status, 200, page.body);
    const cookies = page.headers['set-cookie'];
    assert.equal(cookies.length, 1);
    assert.match(cookies[0], /^__Host-oauth_gateway_csrf=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/);
    assert.doesNotMatch(cookies[0], /Domain=/i);
  });

  test('under https the unprefixed cookie does not carry the CSRF nonce', async () => {
    const page = await stack.request(codeRequest(stack.issuer, 'unprefixed').toString());
    const nonce = cookieHeader(page.headers).split('=')[1];
    const form = new URLSearchParams(hiddenFields(page.body));
    form.set('username', USERNAME);
    form.set('password', PASSWORD);
    form.set('action', 'approve');
    const r = await stack.request('/authorize', {
      method: 'POST', headers: { ...FORM, cookie: `oauth_gateway_csrf=${nonce}` }, body: form.toString(),
    });
    assert.equal(r.status, 403);
  });

  test('under plain http the cookie keeps its name, without Secure', async () => {
    const page = await plain.request(codeRequest(plain.url, 'plain', plainApp).toString());
    assert.equal(page.status, 200, page.body);
    assert.match(page.headers['set-cookie'][0], /^oauth_gateway_csrf=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
  });
});
