// oauthd's in-process HTTP endpoints (--http_listen, issue 12): no
// oauth-gateway process; oauthd serves the gateway's routes itself and calls
// its own services over gRPC's in-process channel. The end-to-end suites run
// against this mode too (gateway.e2e.inprocess.*); this suite covers what is
// particular to it: the client's address crossing the in-process channel,
// the shutdown, and the start-up checks of the --http_* flags.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';

import { freePort, outDir, startStack, stopChild } from './harness.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let stack;
let client;
let basic;
let accessLog;

before(async () => {
  accessLog = path.join(fs.mkdtempSync(path.join(outDir(), 'inproc-')), 'access.log');
  stack = await startStack({
    inProcess: true,
    // A long grace: the shutdown test fails (SIGKILL) if an idle connection
    // held the drain instead of being closed.
    oauthdArgs: ['--http_trusted_proxies=127.0.0.2', `--access_log=${accessLog}`, '--shutdown_grace=60s'],
  });
  client = stack.createClient({ name: 'In-process', scopes: ['read'] });
  basic = { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` };
});

after(async () => {
  await stack?.close();
});

async function token(options = {}) {
  const r = await stack.request('/token', {
    method: 'POST', headers: { ...FORM, ...basic, ...(options.headers ?? {}) },
    body: 'grant_type=client_credentials', localAddress: options.localAddress,
  });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).access_token;
}

// The source_address of the access-log lines of IssueToken, in order.
function issueTokenSources() {
  return fs.readFileSync(accessLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.method === 'oauth.v1.TokenService/IssueToken').map((e) => e.source_address);
}

describe('one process', () => {
  test('there is no gateway process, and the HTTP endpoints answer', async () => {
    assert.equal(stack.gateway, null);
    const metadata = await stack.request('/.well-known/oauth-authorization-server');
    assert.equal(metadata.status, 200);
    assert.equal(JSON.parse(metadata.body).issuer, stack.issuer);
    assert.equal(JSON.parse(metadata.body).token_endpoint, `${stack.issuer}/token`);
    assert.equal((await stack.request('/healthz')).status, 200);
    assert.ok(JSON.parse((await stack.request('/jwks.json')).body).keys.length >= 1);

    const at = await token();
    const active = await stack.request('/introspect', { method: 'POST', headers: { ...FORM, ...basic }, body: `token=${at}` });
    assert.equal(JSON.parse(active.body).active, true, active.body);
    const revoked = await stack.request('/revoke', { method: 'POST', headers: { ...FORM, ...basic }, body: `token=${at}` });
    assert.equal(revoked.status, 200);
    const after = await stack.request('/introspect', { method: 'POST', headers: { ...FORM, ...basic }, body: `token=${at}` });
    assert.deepEqual(JSON.parse(after.body), { active: false });
  });

  test('errors keep their RFC status and code', async () => {
    const r = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, authorization: `Basic ${Buffer.from(`${client.client_id}:wrong`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).error, 'invalid_client');
    assert.match(r.headers['www-authenticate'], /^Basic /);
  });
});

describe("the client's address crosses the in-process channel", () => {
  test('the TCP peer, or X-Forwarded-For only from --http_trusted_proxies', async () => {
    const before = issueTokenSources().length;
    await token({ localAddress: '127.0.0.5', headers: { 'x-forwarded-for': '203.0.113.9' } });
    await token({ localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.9' } });
    // The access log is written when the call finishes; give it a moment.
    let seen = [];
    for (let i = 0; i < 50 && seen.length < 2; i += 1) {
      seen = issueTokenSources().slice(before);
      if (seen.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(seen, ['127.0.0.5', '203.0.113.9']);
  });
});

describe('start-up checks', () => {
  function runOauthd(extra) {
    return spawnSync(process.env.BIN_OAUTHD, [
      '--store=memory', `--signing_keys=${stack.keyFile}`, '--issuer=http://127.0.0.1:1',
      ...extra,
    ], { encoding: 'utf8', timeout: 20000 });
  }
  async function ports(n) {
    const out = [];
    for (let i = 0; i < n; i += 1) out.push(await freePort());
    return out;
  }

  test('a taken --http_listen port stops the start with one line, before gRPC binds', async () => {
    const taken = net.createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = taken.address().port;
    const [grpc, admin] = await ports(2);
    try {
      const r = runOauthd([`--listen=127.0.0.1:${grpc}`, `--admin_listen=127.0.0.1:${admin}`,
        `--http_listen=127.0.0.1:${port}`]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`--http_listen=127\\.0\\.0\\.1:${port}: port ${port} is already in use`));
      assert.doesNotMatch(r.stderr, /listening on/);
    } finally {
      taken.close();
    }
  });

  test('a malformed --http_listen is a configuration error (exit 2)', async () => {
    const [grpc, admin] = await ports(2);
    const r = runOauthd([`--listen=127.0.0.1:${grpc}`, `--admin_listen=127.0.0.1:${admin}`, '--http_listen=localhost']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--http_listen=localhost: no port; expected host:port/);
  });

  test('--http_tls_cert without --http_tls_key is refused', async () => {
    const [grpc, admin, http] = await ports(3);
    const r = runOauthd([`--listen=127.0.0.1:${grpc}`, `--admin_listen=127.0.0.1:${admin}`,
      `--http_listen=127.0.0.1:${http}`, `--http_tls_cert=${process.env.GATEWAY_TLS_CERT}`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--http_tls_cert and --http_tls_key go together/);
  });
});

describe('shutdown', () => {
  test('SIGTERM closes the HTTP side, then gRPC, and exits 0', async () => {
    // A keep-alive connection that is idle when the signal comes is closed,
    // not waited for until the grace period ends.
    const socket = net.connect(new URL(stack.issuer).port, '127.0.0.1');
    await once(socket, 'connect');
    const { code, signal } = await stopChild(stack.oauthd, 'SIGTERM', 30000);
    assert.equal(signal, null, 'oauthd did not exit by itself: the idle connection held the drain');
    assert.equal(code, 0, stack.logs());
    assert.match(stack.oauthd.tail(), /oauthd: stopped/);
    socket.destroy();
  });
});
