// Connection hardening of the real oauth-gateway process (issue 10, part 5),
// in front of real redis + oauthd, driven over raw TCP connections:
//  - the request-read timeout: a request head that trickles in, or never
//    comes, is cut at --request_timeout although --idle_timeout is long;
//  - idle keep-alive connections do not hold the connection cap: the
//    longest-idle one is closed to make room; busy ones keep their slot;
//  - --max_connections_per_address: over it 503 + Retry-After and close, other
//    addresses unaffected, trusted proxies exempt;
//  - oauthd shedding load (gRPC RESOURCE_EXHAUSTED) or unavailable: 503 with
//    Retry-After on every endpoint, temporarily_unavailable at /token. oauthd
//    has no load shedding yet, so a real gRPC server answering with that
//    status (gateway_test_upstream) stands in for it there.
// Time bounds are generous and only say "was cut", never "how fast".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { RawConnection, freePort, sleep, startChild, startStack, stopChild, waitForPort } from './harness.mjs';

const GET_HEALTH = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
// A head that has begun but not ended: the connection is busy.
const PARTIAL_HEAD = 'GET /healthz HTTP/1.1\r\nHost: x\r\n';
// Well below the 60 s --idle_timeout these tests run with.
const CUT_WITHIN_MS = 20000;

let stack;
const extras = [];

before(async () => {
  stack = await startStack();
});

after(async () => {
  // The hanging upstream first: its calls end, so the gateways stop at once.
  if (hanging) await stopChild(hanging.child);
  for (const extra of extras) await extra.stop();
  await stack?.close();
});

async function gateway(args) {
  const extra = await stack.startExtraGateway({ upstream: stack.grpcAddress, args });
  extras.push(extra);
  extra.port = Number(new URL(extra.url).port);
  return extra;
}

async function openConnections(port, count, { localAddress, request } = {}) {
  const connections = [];
  for (let i = 0; i < count; ++i) {
    const c = await RawConnection.open(port, { localAddress });
    c.send(request);
    connections.push(c);
  }
  return connections;
}

async function healthy(connection) {
  connection.send(GET_HEALTH);
  const r = await connection.readResponse();
  assert.ok(r, 'connection closed instead of answering');
  assert.equal(r.status, 200, r.body);
}

describe('request-read timeout (--request_timeout=1s, --idle_timeout=60s)', () => {
  let gw;
  before(async () => {
    gw = await gateway(['--request_timeout=1s', '--idle_timeout=60s']);
  });

  test('a request head that trickles in is cut, without an answer', async () => {
    const c = await RawConnection.open(gw.port);
    c.send('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // One more byte every 200 ms: the head never ends, bytes keep coming.
    const trickle = setInterval(() => c.send('a'), 200);
    try {
      assert.ok(await c.waitClosed(CUT_WITHIN_MS), 'slow head still open');
    } finally {
      clearInterval(trickle);
    }
    assert.equal(c.buffer.length, 0, 'no response is sent to a cut request');
  });

  test('a slow head on a kept-alive connection is cut too', async () => {
    const c = await RawConnection.open(gw.port);
    await healthy(c);
    c.send(PARTIAL_HEAD);
    assert.ok(await c.waitClosed(CUT_WITHIN_MS), 'slow head still open');
  });

  test('a new connection that never sends a request is cut', async () => {
    const c = await RawConnection.open(gw.port);
    assert.ok(await c.waitClosed(CUT_WITHIN_MS), 'silent connection still open');
  });

  test('a kept-alive connection may idle longer than --request_timeout', async () => {
    const c = await RawConnection.open(gw.port);
    await healthy(c);
    await sleep(2500);
    await healthy(c);
    c.destroy();
  });
});

// Busy connections must be busy for sure: they ask /.well-known/... of a
// gateway_test_upstream that never answers (HANG), and a test waits until
// the upstream has logged their calls. Idle ones ask /metrics, which the
// gateway answers itself.
const GET_METRICS = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n';
const GET_HANGING = 'GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: x\r\n\r\n';
let hanging;

async function hangingUpstream() {
  if (!hanging) {
    const port = await freePort();
    const child = startChild(`upstream-hang-${port}`, process.env.GATEWAY_TEST_UPSTREAM_BIN,
      [`127.0.0.1:${port}`, 'HANG'], stack.workDir);
    await waitForPort(port, child);
    hanging = { address: `127.0.0.1:${port}`, child };
  }
  return hanging;
}

// Calls the hanging upstream has received from `source`.
function callsFrom(source) {
  return fs.readFileSync(hanging.child.logPath, 'utf8').split('\n')
    .filter((line) => line.endsWith(` oauthd-source-address=${source}`)).length;
}

async function waitForCalls(source, count) {
  const deadline = Date.now() + 15000;
  while (callsFrom(source) < count) {
    assert.ok(Date.now() < deadline, `only ${callsFrom(source)} of ${count} calls from ${source} arrived`);
    await sleep(20);
  }
}

// Opens `count` connections from `source` whose requests hang in the gateway.
async function busyConnections(port, source, count) {
  const before = callsFrom(source);
  const connections = await openConnections(port, count, { localAddress: source, request: GET_HANGING });
  await waitForCalls(source, before + count);
  return connections;
}

async function idleConnection(port, source) {
  const c = await RawConnection.open(port, { localAddress: source });
  await metricsOn(c);
  return c;
}

async function metricsOn(connection) {
  connection.send(GET_METRICS);
  const r = await connection.readResponse();
  assert.equal(r?.status, 200);
  return r.body;
}

async function gatewayOnHangingUpstream(args) {
  const upstream = await hangingUpstream();
  const extra = await stack.startExtraGateway({
    upstream: upstream.address, args: ['--rpc_timeout=60s', '--request_timeout=60s', '--idle_timeout=60s', ...args],
  });
  extras.push(extra);
  extra.port = Number(new URL(extra.url).port);
  return extra;
}

function assertRefused503(r) {
  assert.equal(r?.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  assert.equal(r.headers.connection, 'close');
  assert.deepEqual(JSON.parse(r.body), { error: 'temporarily_unavailable', error_description: 'too many connections' });
}

describe('connection cap (--max_connections=3)', () => {
  test('idle keep-alive connections make room for a new one, longest idle first', async () => {
    const gw = await gatewayOnHangingUpstream(['--max_connections=3']);
    const idle = [];
    for (let i = 0; i < 3; ++i) idle.push(await idleConnection(gw.port, '127.0.0.1'));
    const fourth = await idleConnection(gw.port, '127.0.0.1');
    assert.ok(await idle[0].waitClosed(CUT_WITHIN_MS), 'the longest-idle connection was closed');
    await metricsOn(idle[1]);
    // On a connection already open: a new one would make room again.
    const metrics = await metricsOn(idle[2]);
    assert.match(metrics, /^oauth_gateway_evicted_idle_connections_total 1$/m);
    assert.match(metrics, /^oauth_gateway_rejected_connections_total 0$/m);
    for (const c of [...idle, fourth]) c.destroy();
  });

  test('busy connections keep their slots: the next one gets 503 with Retry-After', async () => {
    const gw = await gatewayOnHangingUpstream(['--max_connections=3']);
    const busy = await busyConnections(gw.port, '127.0.0.8', 3);
    const refused = await RawConnection.open(gw.port);
    refused.send(GET_METRICS);
    assertRefused503(await refused.readResponse());
    assert.ok(await refused.waitClosed(CUT_WITHIN_MS));
    for (const c of busy) assert.equal(c.closed, false);
    for (const c of busy) c.destroy();
  });
});

describe('per-address cap (--max_connections_per_address=2, --trusted_proxies=127.0.0.4)', () => {
  let gw;
  before(async () => {
    gw = await gatewayOnHangingUpstream(['--max_connections_per_address=2', '--trusted_proxies=127.0.0.4']);
  });

  test('a third busy connection from one address gets 503 and is closed; other addresses are served', async () => {
    const busy = await busyConnections(gw.port, '127.0.0.2', 2);
    const third = await RawConnection.open(gw.port, { localAddress: '127.0.0.2' });
    third.send(GET_METRICS);
    assertRefused503(await third.readResponse());
    assert.ok(await third.waitClosed(CUT_WITHIN_MS));

    const other = await idleConnection(gw.port, '127.0.0.3');
    const metrics = await metricsOn(other);
    assert.match(metrics, /^oauth_gateway_rejected_connections_per_address_total 1$/m);
    for (const c of [...busy, other]) c.destroy();
  });

  test('an address at its cap with an idle connection closes that one instead', async () => {
    const idle = await idleConnection(gw.port, '127.0.0.6');
    const busy = await busyConnections(gw.port, '127.0.0.6', 1);
    const next = await idleConnection(gw.port, '127.0.0.6');
    assert.ok(await idle.waitClosed(CUT_WITHIN_MS));
    for (const c of [...busy, next]) c.destroy();
  });

  test('a trusted proxy is not limited per address', async () => {
    const busy = await busyConnections(gw.port, '127.0.0.4', 4);
    const another = await idleConnection(gw.port, '127.0.0.4');
    for (const c of [...busy, another]) c.destroy();
  });
});

// A real gRPC server answering every call with `status` in oauthd's place.
async function failingUpstream(status) {
  const port = await freePort();
  const child = startChild(`upstream-${status}-${port}`, process.env.GATEWAY_TEST_UPSTREAM_BIN,
    [`127.0.0.1:${port}`, status], stack.workDir);
  await waitForPort(port, child);
  return { address: `127.0.0.1:${port}`, stop: () => stopChild(child) };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const BASIC = { authorization: `Basic ${Buffer.from('client:secret').toString('base64')}` };

for (const status of ['RESOURCE_EXHAUSTED', 'UNAVAILABLE']) {
  describe(`oauthd answers ${status}`, () => {
    let upstream;
    let gw;
    before(async () => {
      upstream = await failingUpstream(status);
      const extra = await stack.startExtraGateway({ upstream: upstream.address });
      extras.push(extra);
      gw = extra.url;
    });
    after(async () => {
      await upstream?.stop();
    });

    test('/token: 503 temporarily_unavailable with Retry-After', async () => {
      const r = await stack.request(`${gw}/token`, {
        method: 'POST', headers: { ...FORM, ...BASIC }, body: 'grant_type=client_credentials',
      });
      assert.equal(r.status, 503, r.body);
      assert.equal(r.headers['retry-after'], '1');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(JSON.parse(r.body).error, 'temporarily_unavailable');
    });

    test('every other endpoint: 503 with Retry-After', async () => {
      const requests = [
        ['/introspect', { method: 'POST', headers: { ...FORM, ...BASIC }, body: 'token=x' }],
        ['/revoke', { method: 'POST', headers: { ...FORM, ...BASIC }, body: 'token=x' }],
        ['/authorize?client_id=c&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb', {}],
        ['/.well-known/oauth-authorization-server', {}],
        ['/jwks.json', {}],
        ['/authz', { headers: { 'x-original-method': 'GET', 'x-original-uri': '/x', 'x-original-host': 'api' } }],
      ];
      for (const [path, options] of requests) {
        const r = await stack.request(`${gw}${path}`, options);
        assert.equal(r.status, 503, `${path}: ${r.body}`);
        assert.equal(r.headers['retry-after'], '1', path);
        if (r.headers['content-type'] === 'application/json') {
          assert.equal(JSON.parse(r.body).error, 'temporarily_unavailable', path);
        }
      }
    });
  });
}
