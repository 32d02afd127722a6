#!/usr/bin/env python3
"""The local replica set (scripts/cluster) under steady load, through its nginx front.

Starts the cluster on a free block of ports, creates a client and a user with
oauthctl, then runs worker threads that post RFC 6749 forms to the front's
/token: client_credentials, and password grants followed by refresh_token
rotations. Meanwhile:

  (a) kills one oauthd: only in-flight requests may fail, traffic continues on
      the other pair (then that oauthd is started again);
  (b) kills the Redis primary (crash failover; the dead node is started again
      as a replica once the Sentinels have switched);
  (c) planned failover (`scripts/cluster failover`).

Checks: failures are clean (HTTP 503 temporarily_unavailable) and stop within
a few seconds; in (b) no client_credentials request fails (oauthd issues them
from its client cache while Redis is unreachable) and refresh/password
requests fail only inside the Sentinels' detection window (before they have
switched: afterwards requests wait for the new primary and its replica); in
(c) no request fails at all (requests wait for the new primary); no process
crashes; no refresh session ends with invalid_grant (a retry after a lost
answer gets the lost successor: --refresh_retry_grace); no refresh token is
accepted twice (every 200 per presented token is counted, and a sample of
used tokens, whose successors were used, is presented again at the end and
must be refused). Prints requests sent, failed and the seconds until recovery for
each phase, and the failure counts of all phases at the end.

Usage: cluster_test.py --script scripts/cluster --build_dir build [--keep]
Only the Python standard library.
"""

import argparse
import base64
import collections
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

CC_WORKERS = 3
REFRESH_WORKERS = 4
PAUSE = 0.005  # between two requests of one worker
MAX_RECOVERY = 10.0  # seconds a failover may take before requests succeed again
STEADY = 3.0  # seconds of clean traffic that end a phase


def log(*args):
    print(*args, flush=True)


class Cluster:
    def __init__(self, script, build_dir, state_dir):
        self.script = script
        self.env = dict(os.environ,
                        CLUSTER_DIR=state_dir,
                        BUILD_DIR=build_dir,
                        CLUSTER_PORT_BASE="auto",
                        CLUSTER_NO_BUILD="1",
                        CLUSTER_OAUTHD_FLAGS="--scrypt_log2_n=10")
        self.state_dir = state_dir
        self.conf = {}

    def run(self, *args, check=True):
        started = time.monotonic()
        p = subprocess.run([self.script, *args], env=self.env, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("scripts/cluster %s failed (%d):\n%s%s" %
                               (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p.stdout, time.monotonic() - started

    def up(self):
        out, took = self.run("up")
        log(out.strip())
        log("cluster up in %.1f s" % took)
        with open(os.path.join(self.state_dir, "cluster.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                self.conf[key] = value

    def oauthctl(self, *args):
        address = self.conf["CLUSTER_OAUTHD"].split(",")[0]
        admin = self.conf["CLUSTER_OAUTHD_ADMIN"].split(",")[0]
        p = subprocess.run([self.conf["CLUSTER_OAUTHCTL"], "--address=" + address,
                            "--admin_address=" + admin,
                            "--admin_token_file=" + self.conf["CLUSTER_ADMIN_TOKEN_FILE"],
                            *args], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("oauthctl %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def sentinel_primary(self):
        for s in self.conf["CLUSTER_SENTINELS"].split(","):
            host, port = s.split(":")
            p = subprocess.run(["redis-cli", "-h", host, "-p", port, "SENTINEL",
                                "get-master-addr-by-name", self.conf["CLUSTER_MASTER_NAME"]],
                               capture_output=True, text=True)
            lines = p.stdout.split()
            if p.returncode == 0 and len(lines) == 2:
                return lines[1]
        return None

    def node_name(self, port):
        for i, addr in enumerate(self.conf["CLUSTER_REDIS"].split(","), start=1):
            if addr.endswith(":" + port):
                return "redis-%d" % i
        return None

    def status(self):
        out, _ = self.run("status", check=False)
        return out


class Client:
    """One keep-alive HTTP connection to the front; reconnects after errors."""

    def __init__(self, front, client_id, secret):
        u = urllib.parse.urlparse(front)
        self.host, self.port = u.hostname, u.port
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (urllib.parse.quote(client_id, safe=""),
                        urllib.parse.quote(secret, safe=""))).encode()).decode()
        self.conn = None

    def token(self, **form):
        body = urllib.parse.urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Authorization": self.auth}
        for attempt in range(2):  # a keep-alive connection may have been closed
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
                self.conn.request("POST", "/token", body, headers)
                resp = self.conn.getresponse()
                data = resp.read()
                try:
                    payload = json.loads(data)
                except ValueError:
                    payload = {"error": "non-json", "raw": data[:200].decode(errors="replace")}
                return resp.status, payload
            except (OSError, http.client.HTTPException) as e:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    return 0, {"error": "connection", "error_description": str(e)}
        return 0, {"error": "connection"}


Event = collections.namedtuple("Event", "t kind status error")


class Load:
    """Worker threads and everything they observed."""

    def __init__(self, front, client_id, secret, username, password):
        self.args = (front, client_id, secret)
        self.username, self.password = username, password
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.events = []
        self.accepted = collections.Counter()  # refresh token -> number of 200s
        self.sessions_ended = 0  # refresh refused (invalid_grant) mid-session
        # Tokens whose successor a worker held, unused, when the load stopped:
        # presenting them again is a retry inside --refresh_retry_grace.
        self.last_rotated = set()
        self.threads = []

    def record(self, kind, status, payload):
        error = None if status == 200 else payload.get("error", "?")
        with self.lock:
            self.events.append(Event(time.monotonic(), kind, status, error))

    def cc_worker(self):
        c = Client(*self.args)
        while not self.stop.is_set():
            status, payload = c.token(grant_type="client_credentials", scope="read")
            if status == 200 and "access_token" not in payload:
                status, payload = -1, {"error": "no access_token"}
            self.record("client_credentials", status, payload)
            time.sleep(PAUSE)

    def refresh_worker(self):
        c = Client(*self.args)
        token = None
        previous = None
        while not self.stop.is_set():
            if token is None:
                status, payload = c.token(grant_type="password", username=self.username,
                                          password=self.password, scope="read")
                self.record("password", status, payload)
                if status == 200:
                    token = payload.get("refresh_token")
                else:
                    time.sleep(0.05)
                continue
            status, payload = c.token(grant_type="refresh_token", refresh_token=token)
            self.record("refresh_token", status, payload)
            if status == 200:
                with self.lock:
                    self.accepted[token] += 1
                previous, token = token, payload.get("refresh_token")
            elif status == 400 and payload.get("error") == "invalid_grant":
                with self.lock:
                    self.sessions_ended += 1
                token = previous = None
            else:
                time.sleep(0.05)  # 503: retry the same token
            time.sleep(PAUSE)
        if previous is not None:
            with self.lock:
                self.last_rotated.add(previous)

    def start(self):
        for _ in range(CC_WORKERS):
            self.threads.append(threading.Thread(target=self.cc_worker, daemon=True))
        for _ in range(REFRESH_WORKERS):
            self.threads.append(threading.Thread(target=self.refresh_worker, daemon=True))
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def since(self, t0):
        with self.lock:
            return [e for e in self.events if e.t >= t0]

    def wait_steady(self, t0, limit):
        """Waits until the last STEADY seconds were clean (after t0 + 1 s)."""
        deadline = t0 + limit
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = time.monotonic()
            if now - t0 < STEADY + 1:
                continue
            recent = [e for e in self.since(now - STEADY)]
            if recent and all(e.status == 200 for e in recent):
                return True
        return False


def summarize(name, events, t0):
    """Prints and returns the phase's numbers."""
    sent = len(events)
    failed = [e for e in events if e.status != 200]
    by_kind = collections.Counter(e.kind for e in events)
    fail_kind = collections.Counter((e.kind, e.status, e.error) for e in failed)
    recovery = 0.0
    outage = 0.0
    if failed:
        last_failure = max(e.t for e in failed)
        first_failure = min(e.t for e in failed)
        after = [e.t for e in events if e.status == 200 and e.t > last_failure]
        recovery = (min(after) if after else last_failure) - t0
        outage = (min(after) if after else last_failure) - first_failure
    log("[cluster] %s: %d requests sent (%s), %d failed, recovered %.2f s after the event "
        "(failures spanned %.2f s)" % (
            name, sent, ", ".join("%s %d" % kv for kv in sorted(by_kind.items())),
            len(failed), recovery, outage))
    for (kind, status, error), n in sorted(fail_kind.items(), key=lambda kv: -kv[1]):
        log("    %5d x %s -> %s %s" % (n, kind, status, error))
    return {"sent": sent, "failed": failed, "recovery": recovery}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--build_dir", required=True)
    ap.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = ap.parse_args()

    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)
            log("FAILED: " + message)

    state_dir = tempfile.mkdtemp(prefix="oauthd-cluster-")
    cluster = Cluster(os.path.abspath(args.script), os.path.abspath(args.build_dir), state_dir)
    load = None
    try:
        cluster.up()
        client = json.loads(cluster.oauthctl(
            "client", "create", "--name=cluster-test",
            "--grant_types=client_credentials,password,refresh_token",
            "--scopes=read", "--json"))
        client_id, secret = client["client"]["client_id"], client["client_secret"]
        password = "cluster test password %d" % random.randrange(1 << 30)
        cluster.oauthctl("user", "create", "alice", "--password=" + password)

        load = Load(cluster.conf["CLUSTER_FRONT"], client_id, secret, "alice", password)
        load.start()
        t0 = time.monotonic()
        check(load.wait_steady(t0, 20), "no steady traffic before the first event")
        summarize("warm-up", load.since(t0), t0)

        # (a) One oauthd dies: only its in-flight requests may fail.
        t0 = time.monotonic()
        cluster.run("kill", "oauthd-1")
        time.sleep(5)
        a = summarize("(a) oauthd-1 killed, 5 s", load.since(t0), t0)
        in_flight = CC_WORKERS + REFRESH_WORKERS
        check(len(a["failed"]) <= in_flight,
              "(a) %d requests failed with one oauthd down; at most the %d in flight may" %
              (len(a["failed"]), in_flight))
        per_second = collections.Counter(int(e.t - t0) for e in load.since(t0) if e.status == 200)
        check(all(per_second[s] > 0 for s in range(5)),
              "(a) traffic stopped in some second: %s" % dict(per_second))
        cluster.run("start", "oauthd-1")
        load.wait_steady(time.monotonic(), 15)

        # (b) The Redis primary crashes; the Sentinels promote the replica.
        old = cluster.sentinel_primary()
        t0 = time.monotonic()
        cluster.run("kill", "redis-primary")
        while cluster.sentinel_primary() in (old, None) and time.monotonic() - t0 < 30:
            time.sleep(0.1)
        switched = time.monotonic() - t0
        check(cluster.sentinel_primary() not in (old, None), "(b) the Sentinels did not fail over")
        # The supervisor's part: start the dead node again, as a replica.
        cluster.run("start", cluster.node_name(old))
        check(load.wait_steady(t0, 40), "(b) traffic did not become clean again")
        b = summarize("(b) Redis primary killed (Sentinels switched after %.2f s)" % switched,
                      load.since(t0), t0)
        cc_failed = [e for e in b["failed"] if e.kind == "client_credentials"]
        check(not cc_failed, "(b) %d client_credentials requests failed; the client cache "
              "must carry them through a Redis outage" % len(cc_failed))
        # Nothing can be written before the Sentinels have promoted the
        # replica; after that, requests wait for it (and for its replica)
        # instead of failing.
        late = [e for e in b["failed"] if e.t > t0 + switched]
        if b["failed"]:
            log("    last failure %.2f s after the kill" % (max(e.t for e in b["failed"]) - t0))
        check(not late, "(b) %d requests failed after the Sentinels had switched (%.2f s): %s" %
              (len(late), switched, collections.Counter((e.kind, e.status, e.error)
                                                       for e in late)))

        # (c) Planned failover.
        t0 = time.monotonic()
        _, took = cluster.run("failover")
        check(load.wait_steady(t0, 40), "(c) traffic did not become clean again")
        c = summarize("(c) planned failover (scripts/cluster failover took %.2f s)" % took,
                      load.since(t0), t0)
        check(not c["failed"], "(c) %d requests failed in a planned failover; they must wait "
              "for the new primary" % len(c["failed"]))
        log("[cluster] failed requests: (a) %d, (b) %d (client_credentials %d), (c) %d" % (
            len(a["failed"]), len(b["failed"]), len(cc_failed), len(c["failed"])))

        for name, phase in (("(b)", b), ("(c)", c)):
            check(phase["recovery"] <= MAX_RECOVERY,
                  "%s requests failed for %.2f s (more than %.0f)" %
                  (name, phase["recovery"], MAX_RECOVERY))
            # A refresh in flight when the primary died may have rotated the
            # token on the primary (and its replica) and lost only its answer:
            # the worker retries the same token, which oauthd answers with the
            # lost successor (--refresh_retry_grace) instead of taking it for
            # reuse. So no session ends: every failure is a clean 503.
            unclean = [e for e in phase["failed"]
                       if not (e.status == 503 and e.error == "temporarily_unavailable")]
            check(not unclean, "%s %d failures were not 503 temporarily_unavailable: %s" %
                  (name, len(unclean), collections.Counter((e.kind, e.status, e.error)
                                                           for e in unclean)))
    except Exception as e:  # report, then clean up
        problems.append("error: %s" % e)
        log("ERROR: %s" % e)
    finally:
        if load is not None:
            load.finish()

    try:
        if load is not None and cluster.conf:
            # No refresh token was accepted twice: each presented token got at
            # most one 200, and used tokens presented again are all refused.
            with load.lock:
                twice = [t for t, n in load.accepted.items() if n > 1]
                used = [t for t in load.accepted if t not in load.last_rotated]
            check(not twice, "%d refresh tokens were accepted more than once" % len(twice))
            check(load.sessions_ended == 0,
                  "%d refresh sessions ended by invalid_grant; a retry after a lost answer "
                  "must get the successor" % load.sessions_ended)
            sample = random.sample(used, min(200, len(used)))
            c = Client(cluster.conf["CLUSTER_FRONT"], client_id, secret)
            reaccepted = 0
            for token in sample:
                for _ in range(20):
                    status, payload = c.token(grant_type="refresh_token", refresh_token=token)
                    if status != 503:
                        break
                    time.sleep(0.1)
                if status != 400 or payload.get("error") != "invalid_grant":
                    reaccepted += 1
                    log("    used refresh token answered %s %s" % (status, payload.get("error")))
            check(reaccepted == 0, "%d of %d used refresh tokens were not refused" %
                  (reaccepted, len(sample)))
            log("[cluster] refresh tokens: %d rotations, %d sessions ended by invalid_grant, "
                "%d used tokens presented again: %d refused" % (
                    len(used), load.sessions_ended, len(sample), len(sample) - reaccepted))

            # No process crashed (the ones killed on purpose were started again).
            status = cluster.status()
            log(status.rstrip())
            check("stopped" not in status, "a process is not running:\n" + status)
            total = load.since(0)
            log("[cluster] total: %d requests sent, %d failed" %
                (len(total), sum(1 for e in total if e.status != 200)))
    finally:
        if not args.keep:
            cluster.run("down", check=False)
            if not problems:
                shutil.rmtree(state_dir, ignore_errors=True)
        if problems:
            log("logs kept in " + state_dir)

    if problems:
        log("cluster test FAILED:\n  " + "\n  ".join(problems))
        return 1
    log("cluster test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
