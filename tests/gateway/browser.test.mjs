// The login and consent page in a real browser: Debian's headless Chromium
// driven by playwright-core, against real redis, oauthd and gateway
// processes. Authorization code + PKCE end to end (open /authorize, log in,
// approve, land on a local redirect catcher, exchange the code), deny ->
// access_denied, a form post without the CSRF token -> rejected, and the page
// refuses to be framed; and the same login over HTTPS (__Host- cookie, 303
// after the form post). A screenshot of the login page is saved under
// GATEWAY_TEST_OUT and its path printed.

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
const USERNAME = 'carol';
const PASSWORD = `s3cret ${crypto.randomUUID()}`;

let stack;
let catcher;
let catcherUrl;
const caught = [];
let appClient;
let context;
let userDataDir;

// The client application's redirect endpoint: records what arrives. It also
// serves a page that tries to frame the login page.
async function startCatcher() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/callback') {
      caught.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Callback</title><p id="done">Callback received</p>');
    } else if (url.pathname === '/frame') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Framer</title><iframe name="victim" src="${url.searchParams.get('src')}"></iframe>`);
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
  catcher = await startCatcher();
  catcherUrl = `http://127.0.0.1:${catcher.address().port}`;
  appClient = stack.createClient({
    name: 'Browser Test App',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [`${catcherUrl}/callback`],
    scopes: ['read', 'write'],
  });
  stack.createUser(USERNAME, PASSWORD);
  userDataDir = fs.mkdtempSync(path.join(outDir(), 'chromium-profile-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    // The HTTPS gateway below has a throw-away self-signed certificate.
    ignoreHTTPSErrors: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  catcher?.close();
  await stack?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

async function authorizationRequest(state, scope = 'read write', { issuer = stack.issuer, client = appClient } = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(`${issuer}/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', `${catcherUrl}/callback`);
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { url: url.toString(), verifier };
}

describe('login page in Chromium', () => {
  test('authorization code + PKCE: log in, approve, redirect with code, exchange', async () => {
    const page = await context.newPage();
    const { url, verifier } = await authorizationRequest('browser-state-1');
    const response = await page.goto(url);
    assert.equal(response.status(), 200);
    assert.equal(await page.title(), 'Sign in to Browser Test App');
    const screenshot = path.join(outDir(), 'login-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`login page screenshot: ${screenshot}`);

    // Accessible names come from the <label>s.
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([
      page.waitForURL(`${catcherUrl}/callback?**`),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('state'), 'browser-state-1');
    assert.equal(callback.searchParams.get('iss'), stack.issuer);
    const code = callback.searchParams.get('code');
    assert.ok(code);
    assert.equal(caught.at(-1).get('code'), code, 'the catcher received the code');
    assert.equal(await page.locator('#done').textContent(), 'Callback received');

    const tokenResponse = await fetch(`${stack.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${appClient.client_id}:${appClient.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${catcherUrl}/callback`,
        code_verifier: verifier,
      }),
    });
    assert.equal(tokenResponse.status, 200);
    const tokens = await tokenResponse.json();
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.scope, 'read write');
    assert.ok(tokens.access_token && tokens.refresh_token);
    await page.close();
  });

  test('a wrong password shows a message on the page and the next attempt succeeds', async () => {
    const page = await context.newPage();
    const { url } = await authorizationRequest('browser-state-2', 'read');
    await page.goto(url);
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([
      page.waitForURL(`${catcherUrl}/callback?**`),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    assert.ok(new URL(page.url()).searchParams.get('code'));
    await page.close();
  });

  test('deny: redirect with error=access_denied, state and iss', async () => {
    const page = await context.newPage();
    const { url } = await authorizationRequest('browser-state-3');
    await page.goto(url);
    // Deny works without filling in the required fields (formnovalidate).
    await Promise.all([
      page.waitForURL(`${catcherUrl}/callback?**`),
      page.getByRole('button', { name: 'Deny' }).click(),
    ]);
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), 'browser-state-3');
    assert.equal(callback.searchParams.get('iss'), stack.issuer);
    assert.equal(callback.searchParams.get('code'), null);
    await page.close();
  });

  test('a form post without the CSRF token is rejected', async () => {
    const page = await context.newPage();
    const before = caught.length;
    const { url } = await authorizationRequest('browser-state-4');
    await page.goto(url);
    await page.locator('input[name="csrf_token"]').evaluate((input) => input.remove());
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${stack.issuer}/authorize` && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    assert.equal(response.status(), 403);
    await page.waitForLoadState();
    assert.equal(await page.title(), 'Request rejected');
    assert.ok(page.url().startsWith(stack.issuer));
    assert.equal(caught.length, before, 'nothing reached the client');
    await page.close();
  });

  test('the login page refuses to be framed', async () => {
    const page = await context.newPage();
    const { url } = await authorizationRequest('browser-state-5');
    const blocked = page.waitForEvent('console', { predicate: (m) => /frame|X-Frame-Options|frame-ancestors/i.test(m.text()), timeout: 10000 })
      .catch(() => undefined);
    await page.goto(`${catcherUrl}/frame?src=${encodeURIComponent(url)}`);
    await blocked;
    const frame = page.frame({ name: 'victim' });
    assert.ok(frame);
    const hasForm = await frame.locator('form').count().catch(() => 0);
    assert.equal(hasForm, 0, 'the framed login form must not render');
    await page.close();
  });
});

describe('login over HTTPS in Chromium', () => {
  let tlsStack;
  let tlsClient;
  before(async () => {
    tlsStack = await startStack({ tls: true });
    tlsClient = tlsStack.createClient({
      name: 'HTTPS Test App',
      grantTypes: ['authorization_code'],
      redirectUris: [`${catcherUrl}/callback`],
      scopes: ['read'],
    });
    tlsStack.createUser(USERNAME, PASSWORD);
  });
  after(async () => {
    await tlsStack?.close();
  });

  test('the __Host- CSRF cookie works and the form post is answered 303 to the client', async () => {
    const page = await context.newPage();
    const { url } = await authorizationRequest('browser-tls-1', 'read', { issuer: tlsStack.issuer, client: tlsClient });
    const login = await page.goto(url);
    assert.equal(login.status(), 200);
    assert.equal((await login.allHeaders())['strict-transport-security'], 'max-age=31536000');
    const cookies = await context.cookies(tlsStack.issuer);
    const csrf = cookies.find((c) => c.name === '__Host-oauth_gateway_csrf');
    assert.ok(csrf, JSON.stringify(cookies));
    assert.equal(csrf.secure, true);
    assert.equal(csrf.path, '/');
    assert.equal(csrf.sameSite, 'Strict');
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${tlsStack.issuer}/authorize` && r.request().method() === 'POST'),
      page.waitForURL(`${catcherUrl}/callback?**`),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    assert.equal(posted.status(), 303);
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('state'), 'browser-tls-1');
    assert.equal(callback.searchParams.get('iss'), tlsStack.issuer);
    assert.ok(callback.searchParams.get('code'));
    await page.close();
  });
});
