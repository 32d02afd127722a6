#!/usr/bin/env python3
"""Measures how many bytes of Redis memory each kind of oauthd state takes.

Starts a throw-away redis-server, oauthd and oauth-gateway on free loopback
ports, creates one of each kind of key through the real interfaces (oauthctl
over gRPC, the gateway's /authorize login form for a code), then prints
`MEMORY USAGE <key> SAMPLES 0` for every key, and the growth of `used_memory`
per item over a batch (which also counts the expiry-table entry and allocator
rounding that MEMORY USAGE leaves out). docs/operations.md quotes its output.

  python3 tests/deploy/measure_redis_memory.py [--build build] [--batch 300]

Not a CTest test: it takes a minute and its numbers are for people.
"""

import argparse
import base64
import hashlib
import html.parser
import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from loopback_ports import free_ports  # noqa: E402  (tests/support)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Stack:
    def __init__(self, build, workdir):
        self.build = build if os.path.isabs(build) else os.path.join(ROOT, build)
        self.dir = workdir
        self.procs = []
        self.redis_port, self.grpc_port, self.http_port, self.admin_port = free_ports(4)
        self.issuer = f"http://127.0.0.1:{self.http_port}"
        self.oauthctl = os.path.join(self.build, "client/oauthctl/oauthctl")

    def start(self):
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL)
        self.procs.append(self.redis)
        self.wait(lambda: self.redis_cli("PING") == "PONG", "redis-server")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run([self.oauthctl, "keys", "generate", "--alg=ES256", f"--out={key}"],
                       check=True, stdout=subprocess.DEVNULL)
        self.admin = os.path.join(self.dir, "admin.token")
        with open(self.admin, "w") as f:
            f.write(secrets.token_urlsafe(32))
        log = open(os.path.join(self.dir, "oauthd.log"), "w")
        self.procs.append(subprocess.Popen(
            [os.path.join(self.build, "server/oauthd/oauthd"),
             f"--listen=127.0.0.1:{self.grpc_port}", f"--admin_listen=127.0.0.1:{self.admin_port}",
             f"--redis_url=redis://127.0.0.1:{self.redis_port}", f"--issuer={self.issuer}",
             f"--signing_keys={key}", f"--admin_token_file={self.admin}",
             "--scrypt_log2_n=10"], stdout=log, stderr=log))
        self.procs.append(subprocess.Popen(
            [os.path.join(self.build, "server/gateway/oauth-gateway"),
             f"--listen=127.0.0.1:{self.http_port}", f"--upstream=127.0.0.1:{self.grpc_port}",
             f"--issuer={self.issuer}"], stdout=log, stderr=log))
        self.wait(lambda: self.ctl("jwks", check=False).returncode == 0, "oauthd")
        self.wait(lambda: self.http_ok("/healthz"), "oauth-gateway")

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()

    @staticmethod
    def wait(predicate, what):
        for _ in range(200):
            try:
                if predicate():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.05)
        sys.exit(f"{what} did not start")

    def redis_cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "--no-raw", *args],
                             check=True, capture_output=True, text=True).stdout.strip()
        return out.strip('"') if out.startswith('"') else out.replace("(integer) ", "")

    def redis_raw(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), "--raw", *args],
                              check=True, capture_output=True, text=True).stdout

    def ctl(self, *args, check=True):
        env = dict(os.environ, OAUTHCTL_ADDRESS=f"127.0.0.1:{self.grpc_port}",
                   OAUTHCTL_ADMIN_ADDRESS=f"127.0.0.1:{self.admin_port}",
                   OAUTHCTL_ADMIN_TOKEN_FILE=self.admin)
        return subprocess.run([self.oauthctl, *args], env=env, check=check,
                              capture_output=True, text=True)

    def ctl_json(self, *args):
        return json.loads(self.ctl(*args, "--json").stdout)

    def http_ok(self, path):
        with urllib.request.urlopen(self.issuer + path, timeout=2) as r:
            return r.status == 200

    def used_memory(self):
        for line in self.redis_raw("INFO", "memory").splitlines():
            if line.startswith("used_memory:"):
                return int(line.split(":")[1])
        raise RuntimeError("no used_memory")


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def authorization_code(stack, client_id, redirect_uri, username, password):
    """Runs the browser flow against the gateway's login page; returns the code."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": "read", "state": secrets.token_urlsafe(8),
        "code_challenge": challenge.decode(), "code_challenge_method": "S256"})
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    with opener.open(f"{stack.issuer}/authorize?{query}", timeout=5) as page:
        parser = FormParser()
        parser.feed(page.read().decode())
    form = dict(parser.fields, username=username, password=password, action="approve")
    try:
        opener.open(f"{stack.issuer}/authorize", urllib.parse.urlencode(form).encode(), timeout=5)
    except urllib.error.HTTPError as e:
        if e.code not in (302, 303):
            raise
        location = e.headers["Location"]
        return urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    raise RuntimeError("the login form did not redirect with a code")


def describe(stack, key):
    kind = stack.redis_cli("TYPE", key)
    usage = int(stack.redis_cli("MEMORY", "USAGE", key, "SAMPLES", "0"))
    ttl = int(stack.redis_cli("TTL", key))
    size = {"string": ("STRLEN", "bytes"), "hash": ("HLEN", "fields"),
            "zset": ("ZCARD", "members")}.get(kind)
    detail = f"{stack.redis_cli(size[0], key)} {size[1]}" if size else ""
    return kind, usage, ttl, detail


def family(key):
    parts = key.split(":")
    if parts[1] == "rt" and len(parts) > 3:
        return "oauth:rt:{family}:<sha256>"
    if len(parts) > 2:
        return ":".join(parts[:2]) + ":<id>"
    return key


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="CMake build directory (default: build)")
    ap.add_argument("--batch", type=int, default=300, help="items per used_memory batch")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack(args.build, workdir)
        try:
            stack.start()
            run(stack, args.batch)
        finally:
            stack.stop()


def run(stack, batch):
    redirect = "http://127.0.0.1:9/cb"
    app = stack.ctl_json("client", "create", "--name=Measuring app",
                         "--grant_types=client_credentials,password,authorization_code,"
                         "refresh_token", f"--redirect_uris={redirect}", "--scopes=read,write")
    cid, secret = app["client"]["client_id"], app["client_secret"]
    stack.ctl("user", "create", "alice", "--password=correct horse battery")

    auth = [f"--client_id={cid}", f"--client_secret={secret}"]
    tokens = stack.ctl_json("token", *auth, "--grant=password", "--username=alice",
                            "--password=correct horse battery", "--scope=read")
    # One rotation: the old refresh token stays (state rotated, sealed successor).
    rotated = stack.ctl_json("token", *auth, "--grant=refresh_token",
                             f"--refresh_token={tokens['refresh_token']}")
    stack.ctl("revoke", rotated["access_token"], *auth)
    authorization_code(stack, cid, redirect, "alice", "correct horse battery")
    stack.ctl("token", *auth, "--grant=password", "--username=alice", "--password=wrong",
              check=False)  # a failed login: failure counters

    print(f"Redis {stack.redis_cli('INFO', 'server').split('redis_version:')[1].split()[0]}"
          " - one key of each kind, MEMORY USAGE <key> SAMPLES 0:\n")
    print(f"{'key':44} {'type':7} {'bytes':>6}  {'ttl (s)':>8}  contents")
    for key in sorted(stack.redis_raw("--scan", "--pattern", "*").split()):
        kind, usage, ttl, detail = describe(stack, key)
        print(f"{family(key):44} {kind:7} {usage:6d}  {ttl:8d}  {detail}")

    print(f"\nGrowth of INFO used_memory per item over a batch of {batch}:\n")
    per = {}

    def measure(name, action):
        before = stack.used_memory()
        for i in range(batch):
            action(i)
        per[name] = (stack.used_memory() - before) / batch

    measure("refresh token, new family (password grant)", lambda i: stack.ctl(
        "token", *auth, "--grant=password", "--username=alice",
        "--password=correct horse battery", "--scope=read"))
    last = {"rt": stack.ctl_json("token", *auth, "--grant=password", "--username=alice",
                                 "--password=correct horse battery")["refresh_token"]}

    def rotate(_):
        last["rt"] = stack.ctl_json("token", *auth, "--grant=refresh_token",
                                    f"--refresh_token={last['rt']}")["refresh_token"]
    measure("refresh rotation (one more rt key)", rotate)
    access = [stack.ctl_json("token", *auth, "--grant=client_credentials",
                             "--scope=read")["access_token"] for _ in range(batch)]
    measure("revocation of an access token", lambda i: stack.ctl("revoke", access[i], *auth))
    measure("authorization code (unredeemed)",
            lambda i: authorization_code(stack, cid, redirect, "alice", "correct horse battery"))
    for name, value in per.items():
        print(f"  {name:44} {value:7.0f} bytes")


if __name__ == "__main__":
    main()
