// Test harness for the gateway end-to-end tests: starts a real redis-server,
// a real oauthd and a real oauth-gateway on free loopback ports, and creates
// clients and users through a real oauthctl.
//
// Binaries come from the environment (CTest sets them):
//   BIN_OAUTHD, BIN_OAUTHCTL, BIN_OAUTH_GATEWAY   paths to the built programs
//   REDIS_SERVER_BIN                              default: redis-server in PATH
//   GATEWAY_TLS_CERT, GATEWAY_TLS_KEY             for startStack({tls: true})
//   GATEWAY_TEST_OUT                              where logs/screenshots go
//
// Library use (node:test files):
//   const stack = await startStack();
//   const client = await stack.createClient({grantTypes: ['client_credentials']});
//   ...
//   await stack.close();
//
// Command-line use (for tests in other languages): starts a stack, creates a
// confidential client and a user, runs the command with the details in its
// environment (GATEWAY_URL, CLIENT_ID, CLIENT_SECRET, USERNAME, PASSWORD,
// POST_CLIENT_ID, POST_CLIENT_SECRET) and exits with the command's status.
// This mode connects the gateway to oauthd over a Unix socket:
//   node harness.mjs run -- /usr/bin/python3 oauthlib_test.py

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (path to the built binary)`);
  if (!fs.existsSync(value)) throw new Error(`${name}=${value} does not exist; build it first`);
  return value;
}

export function outDir() {
  const dir = process.env.GATEWAY_TEST_OUT || path.join(os.tmpdir(), 'oauth-gateway-tests');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function freePort() {
  return (await freePorts(1))[0];
}

// n different free loopback ports: every listener stays open until all are
// chosen (one at a time, the kernel may hand the same port out twice).
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

// Waits until a TCP port on 127.0.0.1 (a number) or a Unix socket (a path)
// accepts connections.
export async function waitForPort(port, child, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.exitCode} before listening:\n${child.tail()}`);
    }
    const ok = await new Promise((resolve) => {
      const socket = typeof port === 'number' ? net.connect(port, '127.0.0.1') : net.connect({ path: port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} not ready after ${timeoutMs} ms${child ? `:\n${child.tail()}` : ''}`);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Spawns a long-running child with output to <workDir>/<name>.log.
export function startChild(name, file, args, workDir, env = {}) {
  const logPath = path.join(workDir, `${name}.log`);
  const log = fs.openSync(logPath, 'a');
  const child = spawn(file, args, {
    cwd: workDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  child.name = name;
  child.logPath = logPath;
  child.tail = (lines = 40) => {
    try {
      return fs.readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// Sanitizer builds (OAUTHD_SANITIZE): the reports that a sanitizer runtime
// printed into the *.log files of `dir` (a stack's workDir), '' if none.
// stack.close() fails on any, so a race or memory error in oauthd or the
// gateway fails the test even when the process was killed or its exit code
// was not looked at (tests/support/child_process.h does the same in C++).
const SANITIZER_MARKER =
  /ThreadSanitizer:|AddressSanitizer:|LeakSanitizer:|UndefinedBehaviorSanitizer:|: runtime error: /;
export function sanitizerReports(dir) {
  const found = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    const at = text.search(SANITIZER_MARKER);
    if (at < 0) continue;
    const start = text.lastIndexOf('\n', at) + 1;
    found.push(`--- ${path.join(dir, name)} ---\n${text.slice(start, start + 16000)}`);
  }
  return found.join('\n');
}

export async function stopChild(child, signal = 'SIGTERM', timeoutMs = 10000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return { code: child?.exitCode, signal: child?.signalCode };
  }
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, sig] = await exited;
  clearTimeout(timer);
  return { code, signal: sig };
}

// A plain HTTP(S) request with full control over method, headers and body
// (fetch hides some of it); resolves {status, headers, body}. `localAddress`
// picks the source address (any of 127.0.0.0/8 works on Linux).
export function rawRequest(url, { method = 'GET', headers = {}, body, ca, agent, localAddress } = {}) {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      { method, headers, ca, agent: agent ?? false, ...(localAddress ? { localAddress } : {}) },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// A TCP connection that sends exactly what it is told and parses responses
// itself: for slow heads, idle keep-alive connections and connection caps.
//   const c = await RawConnection.open(port, {localAddress: '127.0.0.2'});
//   c.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
//   const r = await c.readResponse();   // {status, headers, body} or null if closed first
//   await c.waitClosed(20000);          // true once the server closed it
export class RawConnection {
  static async open(port, { host = '127.0.0.1', localAddress } = {}) {
    const socket = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.waiters = [];
    const wake = () => {
      for (const w of this.waiters.splice(0)) w();
    };
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      wake();
    });
    const close = () => {
      this.closed = true;
      wake();
    };
    socket.on('end', close);
    socket.on('close', close);
    socket.on('error', close);
  }

  send(text) {
    if (!this.closed) this.socket.write(text);
  }

  // Waits for the next event (data or close) or the deadline; false on timeout.
  async waitEvent(deadline) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), left);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  // Resolves the next response (Content-Length framed), or null when the
  // connection closes first. Rejects after timeoutMs.
  async readResponse(timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const lines = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
        const status = Number(lines[0].split(' ')[1]);
        const headers = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
        }
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= headEnd + 4 + length) {
          const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
          this.buffer = this.buffer.subarray(headEnd + 4 + length);
          return { status, headers, body };
        }
      }
      if (this.closed) return null;
      if (!(await this.waitEvent(deadline))) throw new Error(`no response within ${timeoutMs} ms`);
    }
  }

  // True when the server closes the connection within timeoutMs.
  async waitClosed(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (!(await this.waitEvent(deadline))) return false;
    }
    return true;
  }

  destroy() {
    this.socket.destroy();
  }
}

function tlsFiles() {
  const cert = process.env.GATEWAY_TLS_CERT;
  const key = process.env.GATEWAY_TLS_KEY;
  if (!cert || !key || !fs.existsSync(cert) || !fs.existsSync(key)) {
    throw new Error('GATEWAY_TLS_CERT/GATEWAY_TLS_KEY must name an existing certificate and key');
  }
  return { cert, key };
}

// Starts redis-server, oauthd and oauth-gateway. Options:
//   tls: serve the gateway over HTTPS (issuer https://127.0.0.1:PORT)
//   unixSocket: oauthd listens on a Unix socket (upstream unix:/path)
//   gatewayArgs / oauthdArgs: extra flags
// With GATEWAY_TEST_INPROCESS=1 in the environment there is no gateway
// process: oauthd serves the HTTP endpoints itself (--http_listen), so the
// same suites check the in-process mode; stack.gateway is then null.
//   inProcess: the same, asked for by the suite itself
export async function startStack({
  tls = false, unixSocket = false, gatewayArgs = [], oauthdArgs = [],
  inProcess = process.env.GATEWAY_TEST_INPROCESS === '1',
} = {}) {
  const oauthdBin = requireEnv('BIN_OAUTHD');
  const oauthctlBin = requireEnv('BIN_OAUTHCTL');
  const gatewayBin = requireEnv('BIN_OAUTH_GATEWAY');
  if (inProcess && (unixSocket || gatewayArgs.length)) {
    throw new Error('GATEWAY_TEST_INPROCESS: gateway flags and a unix socket need the gateway process');
  }
  const redisBin = process.env.REDIS_SERVER_BIN || 'redis-server';
  const workDir = fs.mkdtempSync(path.join(outDir(), 'stack-'));

  const [redisPort, grpcPort, adminPort, httpPort] = await freePorts(4);
  const scheme = tls ? 'https' : 'http';
  const issuer = `${scheme}://127.0.0.1:${httpPort}`;
  // Unix socket paths are limited to ~107 bytes: keep it short, in /tmp.
  const socketPath = unixSocket
    ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'oauthd-')), 'grpc.sock')
    : '';
  const grpcAddress = unixSocket ? `unix:${socketPath}` : `127.0.0.1:${grpcPort}`;
  const grpcReady = unixSocket ? socketPath : grpcPort;
  // The admin API is never on the public port (oauthd --admin_listen).
  const adminAddress = `127.0.0.1:${adminPort}`;
  const adminTokenFile = path.join(workDir, 'admin.token');
  fs.writeFileSync(adminTokenFile, `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const keyFile = path.join(workDir, 'signing-key.pem');
  const tlsCa = tls ? fs.readFileSync(tlsFiles().cert) : undefined;

  const oauthctlSync = (args) => {
    const result = spawnSync(
      oauthctlBin,
      [`--address=${grpcAddress}`, `--admin_address=${adminAddress}`,
        `--admin_token_file=${adminTokenFile}`, ...args],
      { encoding: 'utf8', timeout: 30000 },
    );
    if (result.status !== 0) {
      throw new Error(`oauthctl ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
    }
    return result.stdout;
  };
  oauthctlSync(['keys', 'generate', '--alg=ES256', `--out=${keyFile}`]);

  const redis = startChild(
    'redis',
    redisBin,
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDir],
    workDir,
  );
  await waitForPort(redisPort, redis);

  const oauthdFlags = [
    `--listen=${grpcAddress}`,
    `--admin_listen=${adminAddress}`,
    '--store=redis',
    `--redis_url=redis://127.0.0.1:${redisPort}`,
    `--issuer=${issuer}`,
    `--signing_keys=${keyFile}`,
    `--admin_token_file=${adminTokenFile}`,
    '--scrypt_log2_n=10',
    ...(inProcess
      ? [`--http_listen=127.0.0.1:${httpPort}`,
        ...(tls ? [`--http_tls_cert=${tlsFiles().cert}`, `--http_tls_key=${tlsFiles().key}`] : [])]
      : []),
    ...oauthdArgs,
  ];
  let oauthd = startChild('oauthd', oauthdBin, oauthdFlags, workDir);
  await waitForPort(grpcReady, oauthd);
  await waitForPort(adminPort, oauthd);

  const gatewayFlags = [
    `--listen=127.0.0.1:${httpPort}`,
    `--upstream=${grpcAddress}`,
    `--issuer=${issuer}`,
    '--threads=2',
    ...(tls ? [`--tls_cert=${tlsFiles().cert}`, `--tls_key=${tlsFiles().key}`] : []),
    ...gatewayArgs,
  ];
  let gateway = inProcess ? null : startChild('gateway', gatewayBin, gatewayFlags, workDir);
  await waitForPort(httpPort, gateway ?? oauthd);

  const stack = {
    workDir,
    issuer,
    keyFile,
    adminTokenFile,
    url: issuer,
    grpcAddress,
    adminAddress,
    tlsCa,
    get gateway() {
      return gateway;
    },
    get oauthd() {
      return oauthd;
    },
    get redis() {
      return redis;
    },
    request(pathOrUrl, options = {}) {
      const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${issuer}${pathOrUrl}`;
      return rawRequest(url, { ca: tlsCa, ...options });
    },
    async waitHealthy(timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      let last;
      while (Date.now() < deadline) {
        try {
          last = await stack.request('/healthz');
          if (last.status === 200) return;
        } catch (e) {
          last = e;
        }
        await sleep(100);
      }
      throw new Error(`gateway /healthz not 200 after ${timeoutMs} ms (last: ${JSON.stringify(last)})\n` +
        `oauthd:\n${oauthd.tail()}\ngateway:\n${gateway ? gateway.tail() : '(in-process)'}`);
    },
    oauthctl: oauthctlSync,
    // Creates a client; returns {client_id, client_secret, ...record}.
    createClient({
      name = 'Test Client',
      grantTypes = ['client_credentials'],
      redirectUris = [],
      scopes = ['read', 'write'],
      authMethod = 'client_secret_basic',
      extra = [],
    } = {}) {
      const out = stack.oauthctl([
        '--json',
        'client',
        'create',
        `--name=${name}`,
        `--grant_types=${grantTypes.join(',')}`,
        ...(redirectUris.length ? [`--redirect_uris=${redirectUris.join(',')}`] : []),
        `--scopes=${scopes.join(',')}`,
        `--auth_method=${authMethod}`,
        ...extra,
      ]);
      const parsed = JSON.parse(out);
      return { ...parsed.client, client_secret: parsed.client_secret ?? '' };
    },
    createUser(username, password) {
      stack.oauthctl(['user', 'create', username, `--password=${password}`]);
    },
    async stopOauthd(signal = 'SIGTERM') {
      return stopChild(oauthd, signal);
    },
    async startOauthd() {
      oauthd = startChild('oauthd', oauthdBin, oauthdFlags, workDir);
      await waitForPort(grpcReady, oauthd);
    },
    async stopGateway(signal = 'SIGTERM', timeoutMs = 15000) {
      return stopChild(gateway, signal, timeoutMs);
    },
    // Starts another gateway in front of `upstream`, with oauthd's issuer
    // (a gateway refuses to serve under another one); resolves
    // {url, child, stop(signal)}.
    async startExtraGateway({ upstream, args = [] }) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = startChild(`gateway-${port}`, gatewayBin,
        [`--listen=127.0.0.1:${port}`, `--upstream=${upstream}`, `--issuer=${issuer}`, '--threads=2', ...args],
        workDir);
      await waitForPort(port, child);
      return { url, child, stop: (signal = 'SIGTERM') => stopChild(child, signal) };
    },
    async restartGateway(extraArgs = []) {
      await stopChild(gateway);
      gateway = startChild('gateway', gatewayBin, [...gatewayFlags, ...extraArgs], workDir);
      await waitForPort(httpPort, gateway);
    },
    logs() {
      return `--- oauthd ---\n${oauthd.tail()}\n--- gateway ---\n${gateway ? gateway.tail() : '(in-process)'}\n` +
        `--- redis ---\n${redis.tail(10)}`;
    },
    async close() {
      if (gateway) await stopChild(gateway);
      await stopChild(oauthd);
      await stopChild(redis);
      if (socketPath) fs.rmSync(path.dirname(socketPath), { recursive: true, force: true });
      const reports = sanitizerReports(workDir);
      if (reports) throw new Error(`a process of this stack printed a sanitizer report:\n${reports}`);
    },
  };
  await stack.waitHealthy();
  return stack;
}

// Command-line mode: node harness.mjs run -- COMMAND [ARGS...]
async function main(argv) {
  const dashdash = argv.indexOf('--');
  if (argv[0] !== 'run' || dashdash < 0 || dashdash === argv.length - 1) {
    console.error('usage: node harness.mjs run -- COMMAND [ARGS...]');
    return 2;
  }
  const command = argv.slice(dashdash + 1);
  const stack = await startStack({ unixSocket: true });
  try {
    const basic = stack.createClient({
      name: 'Python Basic',
      grantTypes: ['client_credentials', 'password', 'refresh_token'],
      authMethod: 'client_secret_basic',
    });
    const post = stack.createClient({
      name: 'Python Post',
      grantTypes: ['client_credentials', 'password', 'refresh_token'],
      authMethod: 'client_secret_post',
    });
    const password = `pw-${crypto.randomUUID()}`;
    stack.createUser('py-alice', password);
    const child = spawn(command[0], command.slice(1), {
      stdio: 'inherit',
      env: {
        ...process.env,
        GATEWAY_URL: stack.issuer,
        CLIENT_ID: basic.client_id,
        CLIENT_SECRET: basic.client_secret,
        POST_CLIENT_ID: post.client_id,
        POST_CLIENT_SECRET: post.client_secret,
        USERNAME: 'py-alice',
        PASSWORD: password,
      },
    });
    const [code, signal] = await once(child, 'exit');
    if (code !== 0) console.error(`command failed (${code ?? signal})\n${stack.logs()}`);
    return code ?? 1;
  } finally {
    await stack.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// ----- Driving the login page with plain HTTP (no browser) -----

function htmlUnescape(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

// The hidden inputs of the login form, in page order, as [name, value] pairs.
export function hiddenFields(html) {
  const fields = [];
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields.push([htmlUnescape(m[1]), htmlUnescape(m[2])]);
  }
  return fields;
}

// "name=value" of every Set-Cookie header, ready for a Cookie header.
export function cookieHeader(headers) {
  const setCookie = headers['set-cookie'] ?? [];
  return setCookie.map((c) => c.split(';')[0]).join('; ');
}

// Opens the authorization URL, then posts the login form like a browser
// would: the hidden fields, the CSRF cookie, and username/password/action.
// Resolves {page, response} (response: the answer to the form post).
export async function submitLoginForm(stack, authorizationUrl, { username, password, action = 'approve', cookie } = {}) {
  const page = await stack.request(authorizationUrl.toString());
  if (page.status !== 200) {
    return { page, response: undefined };
  }
  const form = new URLSearchParams(hiddenFields(page.body));
  if (username !== undefined) form.set('username', username);
  if (password !== undefined) form.set('password', password);
  form.set('action', action);
  const response = await stack.request('/authorize', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookie ?? cookieHeader(page.headers),
    },
    body: form.toString(),
  });
  return { page, response };
}
