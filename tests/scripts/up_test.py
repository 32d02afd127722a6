#!/usr/bin/env python3
"""scripts/up checks its ports before starting anything and verifies each process.

Issue 14: `./scripts/up` exited 0 when the gateway could not bind 8080, and
silently wrote into another Redis that already held port 6380. Each case runs
the real script (UP_NO_BUILD=1, the binaries of --build_dir, free ports, a
temporary UP_DIR):
  (a) all ports free: exit 0, the gateway's /healthz answers 200, a token can
      be had; scripts/down stops all three processes;
  (b) the gateway's port held by another process: exit 1 with one line naming
      the port, nothing left running;
  (c) another Redis on the Redis port: exit 1 naming the port, and that Redis
      is untouched (still running, its one key the only one);
  (d) a gateway that cannot bind although the port looked free (bound, not
      listening, so the port check passes): exit 1 saying the gateway exited,
      with its log.

Usage: up_test.py --source_dir DIR --build_dir DIR
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from loopback_ports import free_ports  # noqa: E402  (tests/support)

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


def port_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    def __init__(self, source_dir, build_dir):
        self.source_dir = source_dir
        self.build_dir = build_dir
        self.dir = tempfile.mkdtemp(prefix="up-test-")
        names = ["UP_REDIS_PORT", "UP_GRPC_PORT", "UP_ADMIN_PORT", "UP_HTTP_PORT"]
        self.ports = dict(zip(names, free_ports(len(names))))

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OAUTHD_", "OAUTH_GATEWAY_", "OAUTHCTL_", "UP_"))}
        env.update({k: str(v) for k, v in self.ports.items()})
        env.update(UP_DIR=self.dir, UP_NO_BUILD="1", BUILD_DIR=self.build_dir)
        return env

    def script(self, name):
        return subprocess.run([os.path.join(self.source_dir, "scripts", name)],
                              env=self.env(), capture_output=True, text=True, timeout=120)

    def none_running(self):
        return not any(port_open(p) for p in self.ports.values())

    def close(self):
        self.script("down")
        shutil.rmtree(self.dir, ignore_errors=True)


def case_all_free(args):
    stack = Stack(args.source_dir, args.build_dir)
    try:
        up = stack.script("up")
        check(up.returncode == 0, "(a) exit %d:\n%s%s" % (up.returncode, up.stdout, up.stderr))
        http = stack.ports["UP_HTTP_PORT"]
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % http, timeout=5) as r:
            check(r.status == 200, "(a) /healthz %d" % r.status)
        check("oauthd is up" in up.stdout, "(a) no summary:\n" + up.stdout)
        token_line = [l for l in up.stdout.splitlines() if "oauthctl token" in l]
        check(len(token_line) == 1, "(a) no token command in:\n" + up.stdout)
        if token_line:
            env = stack.env()
            env.update(OAUTHCTL_ADDRESS="127.0.0.1:%d" % stack.ports["UP_GRPC_PORT"])
            words = token_line[0].split()
            words[0] = os.path.join(args.source_dir, words[0]) if not os.path.isabs(words[0]) else words[0]
            token = subprocess.run(words, env=env, capture_output=True, text=True, timeout=30)
            check(token.returncode == 0 and "access_token" in token.stdout,
                  "(a) %s: %s%s" % (" ".join(words), token.stdout, token.stderr))
        down = stack.script("down")
        check(down.returncode == 0, "(a) down exit %d" % down.returncode)
        time.sleep(0.5)
        check(stack.none_running(), "(a) something still listens after scripts/down")
    finally:
        stack.close()


def case_gateway_port_taken(args):
    stack = Stack(args.source_dir, args.build_dir)
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    stack.ports["UP_HTTP_PORT"] = port
    try:
        up = stack.script("up")
        check(up.returncode == 1, "(b) exit %d:\n%s%s" % (up.returncode, up.stdout, up.stderr))
        check("port %d (for oauth-gateway) is already in use" % port in up.stderr,
              "(b) no reason in:\n" + up.stderr)
        check(up.stderr.count("\n") == 1, "(b) more than one line:\n" + up.stderr)
        others = [p for k, p in stack.ports.items() if k != "UP_HTTP_PORT"]
        check(not any(port_open(p) for p in others), "(b) something was started")
    finally:
        holder.close()
        stack.close()


def case_other_redis(args):
    stack = Stack(args.source_dir, args.build_dir)
    port = stack.ports["UP_REDIS_PORT"]
    other_dir = tempfile.mkdtemp(prefix="other-redis-")
    other = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", other_dir],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if port_open(port):
                break
            time.sleep(0.05)
        subprocess.run(["redis-cli", "-p", str(port), "set", "mine", "1"], check=True,
                       capture_output=True)
        up = stack.script("up")
        check(up.returncode == 1, "(c) exit %d:\n%s%s" % (up.returncode, up.stdout, up.stderr))
        check("port %d (for redis) is already in use" % port in up.stderr,
              "(c) no reason in:\n" + up.stderr)
        check(other.poll() is None, "(c) the other Redis was stopped")
        keys = subprocess.run(["redis-cli", "-p", str(port), "--raw", "keys", "*"],
                              capture_output=True, text=True).stdout.split()
        check(keys == ["mine"], "(c) the other Redis was written to: %s" % keys)
        others = [p for k, p in stack.ports.items() if k != "UP_REDIS_PORT"]
        check(not any(port_open(p) for p in others), "(c) something was started")
    finally:
        stack.close()
        check(other.poll() is None, "(c) scripts/down stopped the other Redis")
        other.terminate()
        other.wait(10)
        shutil.rmtree(other_dir, ignore_errors=True)


def case_gateway_cannot_bind(args):
    stack = Stack(args.source_dir, args.build_dir)
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))  # bound, not listening: no connection succeeds
    port = squatter.getsockname()[1]
    stack.ports["UP_HTTP_PORT"] = port
    try:
        up = stack.script("up")
        check(up.returncode == 1, "(d) exit %d:\n%s%s" % (up.returncode, up.stdout, up.stderr))
        check("oauth-gateway exited at start" in up.stderr, "(d) no reason in:\n" + up.stderr)
        check("port %d is already in use" % port in up.stderr, "(d) no gateway log in:\n" + up.stderr)
        check("oauthd is up" not in up.stdout, "(d) reported success:\n" + up.stdout)
        time.sleep(0.5)
        others = [p for k, p in stack.ports.items() if k != "UP_HTTP_PORT"]
        check(not any(port_open(p) for p in others), "(d) oauthd or Redis left running")
    finally:
        squatter.close()
        stack.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source_dir", required=True)
    parser.add_argument("--build_dir", required=True)
    args = parser.parse_args()
    for case in (case_all_free, case_gateway_port_taken, case_other_redis, case_gateway_cannot_bind):
        print("[scripts.up]", case.__name__, flush=True)
        case(args)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all cases passed")


if __name__ == "__main__":
    main()
