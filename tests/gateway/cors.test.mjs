// CORS for browser apps (issue 13 §2) against real redis, oauthd and
// gateway processes:
//  - in headless Chromium, a single-page app served from a second loopback
//    origin, listed in its client's allowed_cors_origins, runs authorization
//    code + PKCE and then refreshes, with fetch() to /token; a fetch that
//    needs a preflight (Authorization header) to /revoke works too;
//  - a page from an origin no client lists is blocked by the browser, with
//    and without a preflight;
//  - the exact headers: preflight (POST, Content-Type/Authorization, max
//    age), Access-Control-Allow-Origin + Vary: Origin on actual responses for
//    the listed origin only, none for another client's origin, `*` on the
//    metadata and JWKS; the origins are managed with oauthctl.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as oauth from 'oauth4webapi';
import { chromium } from 'playwright-core';

import { outDir, startStack } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const USERNAME = 'dana';
const PASSWORD = `spa pw ${crypto.randomUUID()}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let stack;
let app; // the listed origin's server
let appOrigin;
let other; // an origin no client lists
let otherOrigin;
let spa; // public client, lists appOrigin
let backend; // confidential client, lists appOrigin
let plain; // confidential client, lists nothing
let context;
let userDataDir;

// The SPA: /callback exchanges the code with fetch and refreshes, and
// publishes what happened in window.result. /blank is an empty page to run
// fetch() from.
function spaPage(gateway) {
  return `<!doctype html><title>SPA</title><p id="status">working</p><script>
(async () => {
  const params = new URLSearchParams(location.search);
  const result = {};
  try {
    const config = JSON.parse(sessionStorage.getItem('spa'));
    const post = (body) => fetch(${JSON.stringify(gateway)} + '/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    const first = await post({
      grant_type: 'authorization_code', code: params.get('code'), client_id: config.clientId,
      redirect_uri: location.origin + '/callback', code_verifier: config.verifier,
    });
    result.status = first.status;
    result.tokens = await first.json();
    const second = await post({
      grant_type: 'refresh_token', refresh_token: result.tokens.refresh_token, client_id: config.clientId,
    });
    result.refreshStatus = second.status;
    result.refreshed = await second.json();
  } catch (e) {
    result.error = String(e);
  }
  window.result = result;
  document.getElementById('status').textContent = 'done';
})();
</script>`;
}

async function startPageServer(body) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/callback' || url.pathname === '/blank') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(url.pathname === '/callback' ? body() : '<!doctype html><title>blank</title>');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found (apt-get install chromium)`);
  stack = await startStack();
  app = await startPageServer(() => spaPage(stack.issuer));
  appOrigin = `http://127.0.0.1:${app.address().port}`;
  other = await startPageServer(() => spaPage(stack.issuer));
  // Another port on the same host is another origin.
  otherOrigin = `http://127.0.0.1:${other.address().port}`;
  spa = stack.createClient({
    name: 'Browser SPA',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [`${appOrigin}/callback`, `${otherOrigin}/callback`],
    scopes: ['read'],
    authMethod: 'none',
    extra: [`--allowed_cors_origins=${appOrigin}`],
  });
  backend = stack.createClient({ name: 'Backend', extra: [`--allowed_cors_origins=${appOrigin}`] });
  plain = stack.createClient({ name: 'No CORS' });
  stack.createUser(USERNAME, PASSWORD);
  userDataDir = fs.mkdtempSync(path.join(outDir(), 'chromium-cors-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  app?.close();
  other?.close();
  await stack?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

// Runs the code flow in the browser from `origin`; resolves window.result of
// the callback page.
async function codeFlowFrom(origin, state) {
  const page = await context.newPage();
  const messages = [];
  page.on('console', (m) => messages.push(m.text()));
  const verifier = oauth.generateRandomCodeVerifier();
  await page.goto(`${origin}/blank`);
  await page.evaluate((config) => sessionStorage.setItem('spa', JSON.stringify(config)),
    { clientId: spa.client_id, verifier });
  const url = new URL(`${stack.issuer}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: spa.client_id, redirect_uri: `${origin}/callback`, scope: 'read',
    state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }).toString();
  await page.goto(url.toString());
  await page.getByLabel('Username').fill(USERNAME);
  await page.getByLabel('Password').fill(PASSWORD);
  await Promise.all([
    page.waitForURL(`${origin}/callback?**`),
    page.getByRole('button', { name: 'Approve' }).click(),
  ]);
  await page.locator('#status', { hasText: 'done' }).waitFor();
  const result = await page.evaluate(() => window.result);
  await page.close();
  return { result, messages };
}

describe('CORS in Chromium', () => {
  test('a listed origin runs authorization code + PKCE and refreshes with fetch', async () => {
    const { result, messages } = await codeFlowFrom(appOrigin, 'cors-1');
    assert.equal(result.error, undefined, `${result.error}\n${messages.join('\n')}`);
    assert.equal(result.status, 200, JSON.stringify(result));
    assert.equal(result.tokens.token_type, 'Bearer');
    assert.equal(result.tokens.scope, 'read');
    assert.ok(result.tokens.access_token && result.tokens.refresh_token);
    assert.equal(result.refreshStatus, 200, JSON.stringify(result));
    assert.ok(result.refreshed.access_token);
    assert.notEqual(result.refreshed.refresh_token, result.tokens.refresh_token, 'rotated');
  });

  test('an unlisted origin is blocked by the browser', async () => {
    const { result, messages } = await codeFlowFrom(otherOrigin, 'cors-2');
    assert.match(result.error ?? '', /TypeError: Failed to fetch/, JSON.stringify(result));
    assert.ok(messages.some((m) => /CORS policy/.test(m)), messages.join('\n'));
  });

  async function fetchFrom(origin, endpoint, headers, body) {
    const page = await context.newPage();
    await page.goto(`${origin}/blank`);
    const outcome = await page.evaluate(async ([url, h, b]) => {
      try {
        const r = await fetch(url, { method: 'POST', headers: h, body: b });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return { error: String(e) };
      }
    }, [`${stack.issuer}${endpoint}`, headers, body]);
    await page.close();
    return outcome;
  }

  const basicHeader = (c) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

  test('a preflighted fetch (Authorization header) from the listed origin works', async () => {
    const tokens = await fetchFrom(appOrigin, '/token',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basicHeader(backend) },
      'grant_type=client_credentials&scope=read');
    assert.equal(tokens.status, 200, JSON.stringify(tokens));
    const { access_token: token } = JSON.parse(tokens.body);
    const revoked = await fetchFrom(appOrigin, '/revoke',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basicHeader(backend) },
      `token=${token}`);
    assert.equal(revoked.status, 200, JSON.stringify(revoked));
  });

  test('preflighted fetches from an unlisted origin, or for a client that does not list it, fail', async () => {
    const unlisted = await fetchFrom(otherOrigin, '/token',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basicHeader(backend) },
      'grant_type=client_credentials&scope=read');
    assert.match(unlisted.error ?? '', /Failed to fetch/, JSON.stringify(unlisted));
    const wrongClient = await fetchFrom(appOrigin, '/token',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basicHeader(plain) },
      'grant_type=client_credentials&scope=read');
    assert.match(wrongClient.error ?? '', /Failed to fetch/, JSON.stringify(wrongClient));
  });
});

describe('CORS headers', () => {
  function preflight(origin, endpoint = '/token') {
    return stack.request(endpoint, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
  }

  test('preflight from a listed origin: 204 with the allowed method, headers and max age', async () => {
    for (const endpoint of ['/token', '/revoke']) {
      const r = await preflight(appOrigin, endpoint);
      assert.equal(r.status, 204, r.body);
      assert.equal(r.headers['access-control-allow-origin'], appOrigin);
      assert.equal(r.headers['access-control-allow-methods'], 'POST');
      assert.equal(r.headers['access-control-allow-headers'], 'Authorization, Content-Type');
      assert.equal(r.headers['access-control-max-age'], '600');
      assert.equal(r.headers.vary, 'Origin');
      assert.equal(r.headers['access-control-allow-credentials'], undefined);
    }
  });

  test('preflight from an unlisted origin: 403 without CORS headers', async () => {
    for (const origin of [otherOrigin, 'null', `${appOrigin}/`, appOrigin.replace('127.0.0.1', 'localhost')]) {
      const r = await preflight(origin);
      assert.equal(r.status, 403, origin);
      assert.equal(r.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(r.headers['access-control-allow-methods'], undefined, origin);
    }
  });

  // No client can list such an origin (origins are ASCII), and it could not
  // travel in the CheckCorsOrigin request either: oauthd could not parse it
  // and the preflight was answered as oauthd failing (5xx). Node sends a
  // header string's code points below 256 as single bytes.
  test('an Origin with bytes that are not UTF-8 or not ASCII: preflight 403, actual response without CORS headers', async () => {
    for (const origin of ['http://caf\u00e9.example', 'http://\u00ff\u00fe', `${appOrigin}\u00e9`]) {
      const r = await preflight(origin);
      assert.equal(r.status, 403, `${r.status} ${r.body}`);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
      const body = 'grant_type=client_credentials&scope=read';
      const ok = await stack.request('/token', {
        method: 'POST', headers: { ...FORM, origin, authorization: `Basic ${Buffer.from(`${backend.client_id}:${backend.client_secret}`).toString('base64')}` }, body,
      });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.headers['access-control-allow-origin'], undefined);
    }
  });

  test('actual responses: the listed origin of that client only, errors included', async () => {
    const body = 'grant_type=client_credentials&scope=read';
    const ok = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, origin: appOrigin, authorization: `Basic ${Buffer.from(`${backend.client_id}:${backend.client_secret}`).toString('base64')}` }, body,
    });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.headers['access-control-allow-origin'], appOrigin);
    assert.equal(ok.headers.vary, 'Origin');
    // An OAuth error for that client is readable by the page too.
    const bad = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, origin: appOrigin }, body: `grant_type=refresh_token&refresh_token=nope&client_id=${spa.client_id}`,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['access-control-allow-origin'], appOrigin);
    // Another client, the same origin: no CORS headers.
    const foreign = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, origin: appOrigin, authorization: `Basic ${Buffer.from(`${plain.client_id}:${plain.client_secret}`).toString('base64')}` }, body,
    });
    assert.equal(foreign.status, 200);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assert.equal(foreign.headers.vary, 'Origin');
    // An unlisted origin: none either.
    const unlisted = await stack.request('/revoke', {
      method: 'POST', headers: { ...FORM, origin: otherOrigin }, body: `token=x&client_id=${spa.client_id}`,
    });
    assert.equal(unlisted.status, 200);
    assert.equal(unlisted.headers['access-control-allow-origin'], undefined);
    // No Origin (a server-side caller): no CORS headers, no Vary.
    const server = await stack.request('/revoke', { method: 'POST', headers: FORM, body: `token=x&client_id=${spa.client_id}` });
    assert.equal(server.headers['access-control-allow-origin'], undefined);
    assert.equal(server.headers.vary, undefined);
  });

  test('metadata and JWKS: Access-Control-Allow-Origin: *', async () => {
    for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/jwks.json']) {
      const r = await stack.request(p, { headers: { origin: otherOrigin } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['access-control-allow-origin'], '*', p);
    }
  });

  test('oauthctl manages the origins; a change is seen by the next preflight', async () => {
    const extra = 'https://spa.example';
    stack.oauthctl(['client', 'update', spa.client_id, `--allowed_cors_origins=${appOrigin},${extra}`]);
    assert.match(stack.oauthctl(['client', 'get', spa.client_id]), new RegExp(`CORS origins:\\s+${appOrigin}, ${extra}`));
    // oauthd rebuilds its origin index within --client_cache_ttl (5 s).
    let r;
    for (let i = 0; i < 80; i++) {
      r = await preflight(extra);
      if (r.status === 204) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(r.status, 204);
    assert.throws(() => stack.oauthctl(['client', 'update', spa.client_id, '--allowed_cors_origins=https://spa.example/']),
      /is not an origin/);
  });
});
