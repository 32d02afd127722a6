// The caller's address that the real oauth-gateway process passes to oauthd
// on every RPC (gRPC metadata "oauthd-source-address", issue 10 part 3): the
// TCP peer, or, when the peer is in --trusted_proxies, the rightmost
// X-Forwarded-For entry that is not a trusted proxy. The gateway talks to
// gateway_test_upstream, a real gRPC server that logs the metadata of every
// call and answers /token with it as access_token, /introspect with it as
// username. Requests come from different loopback addresses (127.0.0.0/8,
// and ::1 when the machine has IPv6).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';

import { freePort, rawRequest, startChild, startStack, stopChild, waitForPort } from './harness.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const BASIC = { authorization: `Basic ${Buffer.from('client:secret').toString('base64')}` };

let stack; // only for its work directory, oauthctl and a second gateway launcher
let upstream;
let upstreamAddress;
const extras = [];

before(async () => {
  stack = await startStack();
  const port = await freePort();
  upstreamAddress = `127.0.0.1:${port}`;
  upstream = startChild('recorder', process.env.GATEWAY_TEST_UPSTREAM_BIN, [upstreamAddress], stack.workDir);
  await waitForPort(port, upstream);
});

after(async () => {
  for (const extra of extras) await extra.stop();
  await stopChild(upstream);
  await stack?.close();
});

async function gateway(args = []) {
  const extra = await stack.startExtraGateway({ upstream: upstreamAddress, args });
  extras.push(extra);
  return extra.url;
}

// The source address the upstream saw for a /token request.
async function seenAtToken(url, { localAddress, forwardedFor } = {}) {
  const headers = { ...FORM, ...BASIC };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const r = await rawRequest(`${url}/token`, {
    method: 'POST', headers, body: 'grant_type=client_credentials', localAddress,
  });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).access_token;
}

function recordedCalls() {
  return fs.readFileSync(upstream.logPath, 'utf8').split('\n')
    .map((line) => line.match(/^(\/\S+) oauthd-source-address=(\S+)$/))
    .filter(Boolean)
    .map(([, method, address]) => ({ method, address }));
}

describe('without trusted proxies', () => {
  let url;
  before(async () => {
    url = await gateway();
  });

  test('the TCP peer is sent; a spoofed X-Forwarded-For is ignored', async () => {
    assert.equal(await seenAtToken(url, { localAddress: '127.0.0.1' }), '127.0.0.1');
    assert.equal(await seenAtToken(url, { localAddress: '127.0.0.2', forwardedFor: '203.0.113.9' }), '127.0.0.2');
    assert.equal(await seenAtToken(url, { localAddress: '127.0.0.3', forwardedFor: '127.0.0.1, 10.0.0.1' }), '127.0.0.3');
  });

  test('every RPC carries it', async () => {
    const from = '127.0.0.7';
    const before = recordedCalls().length;
    const requests = [
      ['/token', { method: 'POST', headers: { ...FORM, ...BASIC }, body: 'grant_type=client_credentials' }],
      ['/token', { method: 'POST', headers: { ...FORM, ...BASIC }, body: 'grant_type=refresh_token&refresh_token=r' }],
      ['/introspect', { method: 'POST', headers: { ...FORM, ...BASIC }, body: 'token=t' }],
      ['/revoke', { method: 'POST', headers: { ...FORM, ...BASIC }, body: 'token=t' }],
      ['/authorize?client_id=c&response_type=code', {}],
      ['/.well-known/oauth-authorization-server', {}],
      ['/jwks.json', {}],
      ['/healthz', {}],
      ['/authz', { headers: { 'x-original-method': 'GET', 'x-original-uri': '/x', 'x-original-host': 'api' } }],
    ];
    for (const [path, options] of requests) {
      await rawRequest(`${url}${path}`, { ...options, localAddress: from });
    }
    const calls = recordedCalls().slice(before);
    assert.deepEqual(calls.map((c) => c.method), [
      '/oauth.v1.TokenService/IssueToken',
      '/oauth.v1.TokenService/RefreshToken',
      '/oauth.v1.TokenService/Introspect',
      '/oauth.v1.TokenService/Revoke',
      '/oauth.v1.TokenService/Authorize',
      '/oauth.v1.TokenService/GetServerMetadata',
      '/oauth.v1.TokenService/GetJwks',
      '/grpc.health.v1.Health/Check',
      '/oauth.v1.TokenService/GetServerMetadata', // /healthz also compares the issuers
      '/envoy.service.auth.v3.Authorization/Check',
    ]);
    for (const call of calls) assert.equal(call.address, from, call.method);
  });
});

describe('behind trusted proxies (--trusted_proxies=127.0.0.2,10.0.0.0/8,2001:db8:1::/48)', () => {
  let url;
  before(async () => {
    url = await gateway(['--trusted_proxies=127.0.0.2, 10.0.0.0/8, 2001:db8:1::/48']);
  });

  test('from a trusted proxy: the rightmost X-Forwarded-For entry that is not a trusted proxy', async () => {
    const cases = [
      // [X-Forwarded-For, expected]
      ['198.51.100.7', '198.51.100.7'],
      // The client itself may send "1.1.1.1"; only the entry our proxy appended counts.
      ['1.1.1.1, 198.51.100.7', '198.51.100.7'],
      // Trusted hops are skipped.
      ['203.0.113.1, 198.51.100.7, 10.1.2.3', '198.51.100.7'],
      ['2001:db8:2::9, 2001:db8:1::1', '2001:db8:2::9'],
      ['[2001:db8:2::9]:4711', '2001:db8:2::9'],
      ['198.51.100.7:5555', '198.51.100.7'],
      // Garbage left of the answer comes from the client: ignored.
      ['not-an-ip, 198.51.100.7', '198.51.100.7'],
      // Malformed where the answer would be: the peer.
      ['198.51.100.7, unknown', '127.0.0.2'],
      ['', '127.0.0.2'],
      // Only trusted proxies: the leftmost.
      ['10.9.9.9, 10.0.0.1', '10.9.9.9'],
    ];
    for (const [xff, expected] of cases) {
      assert.equal(await seenAtToken(url, { localAddress: '127.0.0.2', forwardedFor: xff }), expected, xff);
    }
    assert.equal(await seenAtToken(url, { localAddress: '127.0.0.2' }), '127.0.0.2', 'no X-Forwarded-For');
  });

  test('several X-Forwarded-For lines form one list', async () => {
    const r = await new Promise((resolve, reject) => {
      const socket = net.connect({ port: Number(new URL(url).port), host: '127.0.0.1', localAddress: '127.0.0.2' });
      let data = '';
      socket.on('data', (c) => { data += c; });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('POST /introspect HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
        `Content-Type: application/x-www-form-urlencoded\r\nAuthorization: ${BASIC.authorization}\r\n` +
        'X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-For: 203.0.113.5, 10.0.0.1\r\n' +
        'Content-Length: 7\r\n\r\ntoken=t');
    });
    assert.match(r, /^HTTP\/1\.1 200 /);
    assert.equal(JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)).username, '203.0.113.5');
  });

  test('from an untrusted peer X-Forwarded-For is ignored', async () => {
    assert.equal(await seenAtToken(url, { localAddress: '127.0.0.1', forwardedFor: '198.51.100.7' }), '127.0.0.1');
    assert.equal(await seenAtToken(url, { localAddress: '127.0.0.9', forwardedFor: '10.0.0.1' }), '127.0.0.9');
  });
});

async function hasIpv6Loopback() {
  const server = net.createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    server.close();
    return true;
  } catch {
    return false;
  }
}

test('an IPv6 peer is sent without brackets', async (t) => {
  if (!(await hasIpv6Loopback())) {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  const port = await freePort();
  const child = startChild(`gateway-v6-${port}`, process.env.BIN_OAUTH_GATEWAY,
    [`--listen=[::1]:${port}`, `--upstream=${upstreamAddress}`, `--issuer=http://[::1]:${port}`, '--threads=2'],
    stack.workDir);
  try {
    // waitForPort only knows 127.0.0.1: poll the v6 port directly.
    const deadline = Date.now() + 15000;
    for (;;) {
      try {
        assert.equal(await seenAtToken(`http://[::1]:${port}`), '::1');
        break;
      } catch (e) {
        if (Date.now() > deadline || e.code !== 'ECONNREFUSED') throw e;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await stopChild(child);
  }
});
