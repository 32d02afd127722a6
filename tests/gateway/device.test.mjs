// The device authorization grant (RFC 8628) through the gateway, against
// real redis, oauthd and gateway processes:
//   - the device side is oauth4webapi, unchanged (deviceAuthorizationRequest,
//     deviceCodeGrantRequest), polling while Debian's headless Chromium
//     (playwright-core) types the code on /device, signs in and approves;
//   - verification_uri_complete opened in the browser and denied ->
//     access_denied for the device;
//   - RFC 8628 errors and statuses at /token, a second poll after success,
//     /device_authorization's client checks, metadata;
//   - the page's CSRF protection and the per-address limit on user codes;
//   - `oauthctl login --device` completing against the page.
// A screenshot of the confirmation page goes to GATEWAY_TEST_OUT.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as oauth from 'oauth4webapi';
import { chromium } from 'playwright-core';

import { cookieHeader, hiddenFields, outDir, sleep, startStack } from './harness.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USERNAME = 'dave';
const PASSWORD = `tv remote ${crypto.randomUUID()}`;
const GUESS_LIMIT = 5;

let stack;
let as;
let tvClient;         // public
let cliClient;        // confidential
let context;
let userDataDir;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found (apt-get install chromium)`);
  stack = await startStack({
    oauthdArgs: ['--device_poll_interval=1s', `--device_user_code_attempts=${GUESS_LIMIT}`],
  });
  tvClient = stack.createClient({
    name: 'Living Room TV',
    grantTypes: [DEVICE_GRANT, 'refresh_token'],
    scopes: ['tv', 'profile'],
    authMethod: 'none',
  });
  cliClient = stack.createClient({
    name: 'Command Line',
    grantTypes: [DEVICE_GRANT],
    scopes: ['read'],
    authMethod: 'client_secret_basic',
  });
  stack.createUser(USERNAME, PASSWORD);
  const issuer = new URL(stack.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
  );
  userDataDir = fs.mkdtempSync(path.join(outDir(), 'chromium-profile-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  await stack?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

const insecure = { [oauth.allowInsecureRequests]: true };

async function startDevice(record = tvClient, auth = oauth.None(), scope = 'tv profile') {
  const response = await oauth.deviceAuthorizationRequest(
    as, { client_id: record.client_id }, auth, { scope }, insecure);
  return oauth.processDeviceAuthorizationResponse(as, { client_id: record.client_id }, response);
}

// The device's loop, as RFC 8628 §3.5 asks: wait the interval, poll, keep
// going on authorization_pending, add 5 s on slow_down. Resolves the token
// response, or rejects with the library's error for any other outcome.
async function pollUntilDone(device, record = tvClient, auth = oauth.None()) {
  let interval = device.interval ?? 5;
  const polls = [];
  for (;;) {
    await sleep(interval * 1000);
    const response = await oauth.deviceCodeGrantRequest(
      as, { client_id: record.client_id }, auth, device.device_code, insecure);
    try {
      const result = await oauth.processDeviceCodeResponse(as, { client_id: record.client_id }, response);
      return { result, polls };
    } catch (error) {
      if (!(error instanceof oauth.ResponseBodyError)) throw error;
      polls.push(error.error);
      if (error.error === 'authorization_pending') continue;
      if (error.error === 'slow_down') {
        interval += 5;
        continue;
      }
      throw error;
    }
  }
}

async function rawPoll(deviceCode, record = tvClient) {
  const form = new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (record.client_secret) {
    // client_secret_basic, as the client is registered.
    headers.authorization =
      `Basic ${Buffer.from(`${record.client_id}:${record.client_secret}`).toString('base64')}`;
  } else {
    form.set('client_id', record.client_id);
  }
  const response = await stack.request('/token', { method: 'POST', headers, body: form.toString() });
  return { status: response.status, headers: response.headers, body: JSON.parse(response.body) };
}

// Approves or denies on the verification page with plain HTTP, the way the
// browser does (GET with the code, then the form post with the cookie).
async function decideWithHttp(userCode, action, { localAddress } = {}) {
  const page = await stack.request(`/device?user_code=${encodeURIComponent(userCode)}`, { localAddress });
  assert.equal(page.status, 200);
  const form = new URLSearchParams(hiddenFields(page.body));
  form.set('username', USERNAME);
  form.set('password', PASSWORD);
  form.set('action', action);
  return stack.request('/device', {
    method: 'POST',
    localAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(page.headers) },
    body: form.toString(),
  });
}

describe('device authorization grant', () => {
  test('metadata names the endpoint and the grant type', () => {
    assert.equal(as.device_authorization_endpoint, `${stack.issuer}/device_authorization`);
    assert.ok(as.grant_types_supported.includes(DEVICE_GRANT));
  });

  test('Chromium approves while oauth4webapi polls; a second poll is invalid_grant', async () => {
    const device = await startDevice();
    assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(device.verification_uri, `${stack.issuer}/device`);
    assert.equal(device.verification_uri_complete, `${stack.issuer}/device?user_code=${device.user_code}`);
    assert.equal(device.interval, 1);
    assert.equal(device.expires_in, 600);

    const polling = pollUntilDone(device);
    const page = await context.newPage();
    assert.equal((await page.goto(device.verification_uri)).status(), 200);
    assert.equal(await page.title(), 'Connect a device');
    // Typed the way a person might: lower case, no dash.
    await page.getByLabel('Code').fill(device.user_code.replace('-', '').toLowerCase());
    await Promise.all([page.waitForURL('**/device?user_code=*'), page.getByRole('button', { name: 'Continue' }).click()]);
    assert.equal(await page.locator('#user_code').textContent(), device.user_code);
    assert.match(await page.locator('h1').textContent(), /Living Room TV/);
    assert.deepEqual(await page.locator('li code').allTextContents(), ['tv', 'profile']);
    const screenshot = path.join(outDir(), 'device-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`device page screenshot: ${screenshot}`);
    await sleep(1500);  // let the device see authorization_pending at least once
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Approve' }).click()]);
    assert.equal(await page.locator('#outcome').textContent(), 'Device connected');
    await page.close();

    const { result, polls } = await polling;
    assert.ok(polls.includes('authorization_pending'), `polls: ${polls}`);
    assert.equal(result.token_type.toLowerCase(), 'bearer');
    assert.equal(result.scope, 'tv profile');
    assert.ok(result.access_token);
    assert.ok(result.refresh_token);

    const second = await rawPoll(device.device_code);
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_grant');
  });

  test('verification_uri_complete in Chromium, denied: the device gets access_denied', async () => {
    const device = await startDevice();
    const polling = pollUntilDone(device);
    const page = await context.newPage();
    await page.goto(device.verification_uri_complete);
    assert.equal(await page.locator('#user_code').textContent(), device.user_code);
    await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Deny' }).click()]);
    assert.equal(await page.locator('#outcome').textContent(), 'Request denied');
    await page.close();
    await assert.rejects(polling, (error) => error instanceof oauth.ResponseBodyError &&
      error.error === 'access_denied' && error.status === 400);
  });

  test('RFC 8628 errors at /token are JSON with status 400', async () => {
    const device = await startDevice();
    const pending = await rawPoll(device.device_code);
    assert.equal(pending.status, 400);
    assert.equal(pending.body.error, 'authorization_pending');
    assert.equal(pending.headers['cache-control'], 'no-store');
    assert.match(pending.headers['content-type'], /^application\/json/);
    const slow = await rawPoll(device.device_code);
    assert.equal(slow.status, 400);
    assert.equal(slow.body.error, 'slow_down');
    const unknown = await rawPoll('not-a-device-code');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'invalid_grant');
    // Another client's device code.
    const foreign = await rawPoll(device.device_code, cliClient);
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.error, 'invalid_grant');
    const missing = await stack.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent(DEVICE_GRANT)}&client_id=${tvClient.client_id}`,
    });
    assert.equal(missing.status, 400);
    assert.equal(JSON.parse(missing.body).error, 'invalid_request');
  });

  test('/device_authorization authenticates confidential clients like /token', async () => {
    const basic = oauth.ClientSecretBasic(cliClient.client_secret);
    const device = await startDevice(cliClient, basic, 'read');
    assert.ok(device.device_code);
    const wrong = await oauth.deviceAuthorizationRequest(
      as, { client_id: cliClient.client_id }, oauth.ClientSecretBasic('wrong'), { scope: 'read' }, insecure);
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error, 'invalid_client');
    const scope = await oauth.deviceAuthorizationRequest(
      as, { client_id: tvClient.client_id }, oauth.None(), { scope: 'admin' }, insecure);
    assert.equal(scope.status, 400);
    assert.equal((await scope.json()).error, 'invalid_scope');
    const get = await stack.request('/device_authorization');
    assert.equal(get.status, 405);

    // The confidential client's device completes with its secret.
    const polling = pollUntilDone(device, cliClient, basic);
    const decided = await decideWithHttp(device.user_code, 'approve');
    assert.equal(decided.status, 200);
    assert.match(decided.body, /Device connected/);
    const { result } = await polling;
    assert.equal(result.scope, 'read');
    assert.equal(result.refresh_token, undefined, 'the client may not refresh');
  });

  test('a form post without the CSRF token or cookie is refused', async () => {
    const device = await startDevice();
    const page = await stack.request(`/device?user_code=${device.user_code}`);
    const form = new URLSearchParams(hiddenFields(page.body));
    form.set('username', USERNAME);
    form.set('password', PASSWORD);
    form.set('action', 'approve');
    const noCookie = await stack.request('/device', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    assert.equal(noCookie.status, 403);
    form.delete('csrf_token');
    const noToken = await stack.request('/device', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(page.headers) },
      body: form.toString(),
    });
    assert.equal(noToken.status, 403);
    // Another user code in a form issued for this one.
    const tampered = new URLSearchParams(hiddenFields(page.body));
    tampered.set('user_code', 'BBBB-BBBB');
    tampered.set('action', 'deny');
    const swapped = await stack.request('/device', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(page.headers) },
      body: tampered.toString(),
    });
    assert.equal(swapped.status, 403);
    const still = await rawPoll(device.device_code);
    assert.equal(still.body.error, 'authorization_pending');
  });

  test('guessing user codes is limited per source address', async () => {
    const device = await startDevice();
    const localAddress = '127.0.0.77';
    for (let i = 0; i < GUESS_LIMIT; i++) {
      const guess = await stack.request('/device?user_code=BBBB-BBBB', { localAddress });
      assert.equal(guess.status, 200);
      assert.match(guess.body, /unknown or expired/);
    }
    const blocked = await stack.request(`/device?user_code=${device.user_code}`, { localAddress });
    assert.match(blocked.body, /too many codes/);
    assert.doesNotMatch(blocked.body, /csrf_token/);
    // Someone else (another address) is not hindered.
    const fine = await stack.request(`/device?user_code=${device.user_code}`, { localAddress: '127.0.0.78' });
    assert.match(fine.body, /csrf_token/);
  });

  test('oauthctl login --device prints the code and URL, waits, prints the token', async () => {
    const child = spawn(process.env.BIN_OAUTHCTL,
      [`--address=${stack.grpcAddress}`, 'login', '--device', `--client_id=${tvClient.client_id}`,
        '--scope=tv', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 10000;
    while (!/enter the code: /.test(stderr) && Date.now() < deadline) await sleep(50);
    const code = stderr.match(/enter the code: ([A-Z]{4}-[A-Z]{4})/)?.[1];
    assert.ok(code, stderr);
    assert.ok(stderr.includes(`${stack.issuer}/device`), stderr);
    const decided = await decideWithHttp(code, 'approve');
    assert.equal(decided.status, 200);
    assert.equal(await exited, 0, stderr);
    const token = JSON.parse(stdout);
    assert.ok(token.access_token);
    assert.equal(token.scope, 'tv');
  });
});
