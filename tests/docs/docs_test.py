#!/usr/bin/env python3
"""docs.commands: the shell commands of README.md and docs/*.md run as written.

Issue 14: the README's Kubernetes section disagreed with the manifests, the
quick start stopped early, docs/client.md's install step failed after only
`./scripts/up`, and the README pointed at files outside the repository. This
test keeps the documents honest:

  1. Every ```sh (or bash, shell, console) block of README.md and docs/*.md
     runs, in order, one bash session per document (`set -euo pipefail`, so a
     failing command fails its block), against a real stack: `./scripts/up`
     (UP_NO_BUILD=1) with a real redis-server, oauthd and oauth-gateway on
     free loopback ports. The documents' well-known ports (6380, 50051, 50052,
     8080, 9464) are rewritten to those free ports, and 0.0.0.0 to 127.0.0.1.
     README.md starts its own stack with its first block; docs/operations.md
     starts its own processes (its TLS walk-through); every other document
     runs after the README's `./scripts/up` and quick-start environment, as
     the documents say.
  2. A block that cannot run on one machine is marked in the markdown with
     `<!-- not run: REASON -->` on the line before its fence. NOT_RUN below
     lists the marked blocks: a marked block missing from it, a listed block
     no longer marked, or a marker before no shell block fails the test.
  3. Relative links (and their #anchors) resolve inside the repository, every
     repository path mentioned exists, and no document names a file outside
     the repository (a .md that is not in it, /work/..., ../shared).
  4. What the documents run from build/ is built by ./scripts/up (or by a
     `cmake --build build --target` in the same document), and so are the
     archives docs/client.md's `cmake --install` copies: "after only
     ./scripts/up" holds.

Each document runs in a scratch directory that mirrors the checkout (a
symlink per top-level entry, build -> --build_dir), so files the commands
create (client.json, tls-demo/, .run/) never land in the source tree; HOME is
a scratch directory too.

Usage: docs_test.py --source_dir DIR --build_dir DIR [--only README.md ...] [--list] [--keep]
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from loopback_ports import free_ports  # noqa: E402  (tests/support)

SHELL_INFOS = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"^<!-- not run: (.+) -->\s*$")
FENCE = re.compile(r"^(```|~~~)\s*([\w+-]*)\s*$")

# Blocks marked `<!-- not run: ... -->`, by document and first line. Marking
# a block, or changing or removing a marked one, means changing this list:
# a skipped command is a decision, not an accident.
NOT_RUN = {
    ("README.md", "./scripts/test   # install what is missing, build, run every test through CTest (own throwaway Redis)"),
    ("README.md", "oauthctl login --device --client_secret= --scope=read \\"),
    ("README.md", "docker build -f deploy/docker/Dockerfile -t oauthd:0.1.0 .   # Debian 12 slim, non-root (10001)"),
    ("docs/device-flow.md", "$ oauthctl login --device --client_id=$TV_CLIENT_ID --scope=tv"),
    ("docs/fuzzing.md", "scripts/fuzz --list                                   # target names"),
    ("docs/high-availability.md", "./scripts/cluster            # install (nginx, redis) and build what is missing, start, print addresses"),
    ("docs/operations.md", "docker build -f deploy/docker/Dockerfile -t oauthd:0.1.0 ."),
    ("docs/operations.md", "NS=oauthd                      # oauthd-dev for the dev overlay"),
    ("docs/operations.md", "kubectl apply -k deploy/k8s/overlays/prod"),
    ("docs/operations.md", "kubectl label namespace shop oauthd/client-namespace=true"),
    ("docs/operations.md", "kubectl -n oauthd port-forward deployment/oauthd 50052:50052 &   # or pod/<name>"),
    ("docs/operations.md", "oauthctl keys generate --alg=ES256 --out=signing-1.pem --force"),
    ("docs/operations.md", "oauthctl --admin_address=127.0.0.1:50052 --admin_token_file=admin.token \\"),
    ("docs/operations.md", "cmake -S . -B build -G Ninja && cmake --build build -j2   # RelWithDebInfo"),
}

# Documents that bring up what they need themselves; the others run in the
# README quick start's environment.
OWN_STACK = {"README.md", "docs/operations.md"}

# Ports the documents use, by what listens there.
DOC_PORTS = {6380: "redis", 50051: "grpc", 50052: "admin", 8080: "http", 9464: "metrics"}

# Top-level entries of the repository a mentioned path may start with.
REPO_DIRS = ("bench", "client", "deploy", "docs", "proto", "scripts", "server", "storage", "tests")

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


class Block:
    def __init__(self, doc, line, info, text, skip_reason):
        self.doc, self.line, self.info, self.text, self.skip_reason = doc, line, info, text, skip_reason

    @property
    def first_line(self):
        return next((l for l in self.text.splitlines() if l.strip()), "")

    def where(self):
        return "%s:%d" % (self.doc, self.line)


def parse(doc, text):
    """Shell blocks of one markdown document, with their `not run` markers."""
    blocks, lines = [], text.splitlines()
    i, pending_marker = 0, None
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            if pending_marker:
                fail("%s:%d: a `not run` marker before another marker" % (doc, pending_marker[0]))
            pending_marker = (i + 1, m.group(1))
            i += 1
            continue
        fence = FENCE.match(line)
        if fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1))
                        and not lines[j][len(fence.group(1)):].strip()), None)
            if end is None:
                fail("%s:%d: a code block that never closes" % (doc, i + 1))
                break
            info = fence.group(2).lower()
            body = "\n".join(lines[i + 1:end]) + "\n"
            if info in SHELL_INFOS:
                blocks.append(Block(doc, i + 1, info, body, pending_marker[1] if pending_marker else None))
            elif pending_marker:
                fail("%s:%d: `not run` marker before a %s block, which is never run anyway"
                     % (doc, pending_marker[0], info or "plain"))
            pending_marker = None
            i = end + 1
            continue
        if pending_marker and line.strip():
            fail("%s:%d: `not run` marker not directly before a code block" % (doc, pending_marker[0]))
            pending_marker = None
        i += 1
    if pending_marker:
        fail("%s:%d: `not run` marker at the end of the document" % (doc, pending_marker[0]))
    return blocks


def documents(source_dir):
    docs = ["README.md"] + sorted(os.path.relpath(p, source_dir)
                                  for p in glob.glob(os.path.join(source_dir, "docs", "*.md")))
    return {d: open(os.path.join(source_dir, d), encoding="utf-8").read() for d in docs}


# ------------------------------------------------------------ references

def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"`|\*\*|\[|\]\([^)]*\)", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    out, in_code = set(), False
    for line in open(path, encoding="utf-8"):
        if FENCE.match(line.rstrip("\n")):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out


def expand_braces(path):
    m = re.search(r"\{([^{}]*)\}", path)
    if not m:
        return [path]
    return [q for alt in m.group(1).split(",")
            for q in expand_braces(path[:m.start()] + alt + path[m.end():])]


def check_references(source_dir, build_dir, docs):
    root = os.path.realpath(source_dir)
    for doc, text in docs.items():
        base = os.path.dirname(os.path.join(root, doc))
        # Links: [text](target) with a relative target, and its anchor.
        for m in re.finditer(r"\]\(([^)\s]+)\)", text):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            full = os.path.realpath(os.path.join(base, path)) if path else os.path.join(root, doc)
            if not (full == root or full.startswith(root + os.sep)):
                fail("%s: link %s leaves the repository" % (doc, target))
            elif not os.path.exists(full):
                fail("%s: link %s: no such file" % (doc, target))
            elif anchor and full.endswith(".md") and anchor not in anchors(full):
                fail("%s: link %s: no heading with that anchor" % (doc, target))
        # Repository paths mentioned anywhere: in backticks, or looking like a
        # path (an extension, a trailing slash, two slashes) rather than prose
        # such as "client/user". A path may name a file without its extension
        # (server/gateway/form), brace alternatives (primary_locator.{h,cc}),
        # or a program built from the tree (bench/oauthd-load).
        for m in re.finditer(r"(`?)(?<![\w./$-])((?:%s)/[\w./*{},-]*)" % "|".join(REPO_DIRS), text):
            path = m.group(2).rstrip(".,:;")
            if not (m.group(1) or re.search(r"\.\w+$|/$|/.*/|[{*]", path)):
                continue
            if not any(glob.glob(os.path.join(root, p)) or glob.glob(os.path.join(root, p) + ".*") or
                       os.path.exists(os.path.join(build_dir, p)) for p in expand_braces(path)):
                fail("%s: mentions %s, which is not in the repository" % (doc, path))
        # Markdown files named anywhere must be in the repository.
        for m in re.finditer(r"(?<![\w/.-])((?:\.\./|\./)?[\w./-]*\w\.md)\b", text):
            name = m.group(1)
            if not any(os.path.exists(os.path.join(b, name)) for b in (root, base)):
                fail("%s: names %s, which is not in the repository" % (doc, name))
        for outside in ("/work/", "../shared", "/home/"):
            if outside in text:
                fail("%s: names %s..., outside the repository" % (doc, outside))


# ------------------------------------------------- built by scripts/up

def built_by(build_dir, targets):
    """Absolute paths of everything building `targets` produces or reads."""
    out = set()
    inputs = subprocess.run(["ninja", "-C", build_dir, "-t", "inputs", *targets],
                            capture_output=True, text=True, check=True).stdout.split()
    query = subprocess.run(["ninja", "-C", build_dir, "-t", "query", *targets],
                           capture_output=True, text=True, check=True).stdout
    files = inputs + re.findall(r"^\s+(?:\|\| |\| )?(\S+)$", query, re.M)
    for f in files:
        out.add(os.path.normpath(f if os.path.isabs(f) else os.path.join(build_dir, f)))
    return out


def check_built_by_up(source_dir, build_dir, blocks):
    up = open(os.path.join(source_dir, "scripts", "up")).read().replace("\\\n", " ")
    m = re.search(r"cmake --build \S+ .*--target ([^\n]+)", up)
    if not m:
        return fail("scripts/up: no `cmake --build ... --target` line")
    up_targets = m.group(1).split()
    build_dir = os.path.realpath(build_dir)
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        print("[docs] %s is not a Ninja build: what ./scripts/up builds is not checked" % build_dir)
        return
    have = built_by(build_dir, up_targets)
    # The archives `cmake --install --component oauth_client` copies.
    install = open(os.path.join(build_dir, "client", "lib", "cmake_install.cmake")).read()
    for archive in re.findall(r'TYPE STATIC_LIBRARY FILES "([^"]+)"', install):
        if os.path.normpath(archive) not in have:
            fail("docs/client.md installs %s, which ./scripts/up does not build (targets: %s)"
                 % (os.path.relpath(archive, build_dir), " ".join(up_targets)))
    # Programs the run blocks start from build/.
    for doc in sorted({b.doc for b in blocks}):
        text = "".join(b.text for b in blocks if b.doc == doc and not b.skip_reason)
        extra = re.findall(r"cmake --build build\b[^\n]*--target (\S+)", text)
        doc_have = have | (built_by(build_dir, extra) if extra else set())
        for path in sorted(set(re.findall(r"\bbuild/([\w./-]*\w)", text))):
            full = os.path.join(build_dir, path)
            if os.path.isfile(full) and os.access(full, os.X_OK) and full not in doc_have:
                fail("%s runs build/%s, which ./scripts/up does not build" % (doc, path))


# ------------------------------------------------------------ running

def substitute_ports(text, ports):
    def repl(m):
        port = int(m.group(2))
        if port not in DOC_PORTS:
            return m.group(0)
        return "127.0.0.1:%d" % ports[DOC_PORTS[port]]
    return re.sub(r"\b(127\.0\.0\.1|0\.0\.0\.0|localhost):(\d+)\b", repl, text)


def mirror(source_dir, build_dir):
    """A scratch directory that looks like the checkout."""
    work = tempfile.mkdtemp(prefix="docs-test-")
    for entry in os.listdir(source_dir):
        # No top-level CMakeLists.txt: `cmake -S .` here must fail at once
        # instead of pointing the shared build directory at this copy.
        if entry in ("build", ".run", ".git", "CMakeLists.txt") or entry.startswith("build-"):
            continue
        os.symlink(os.path.join(source_dir, entry), os.path.join(work, entry))
    os.symlink(os.path.realpath(build_dir), os.path.join(work, "build"))
    os.mkdir(os.path.join(work, "home"))
    return work


def preamble_blocks(readme_blocks):
    runnable = [b.text for b in readme_blocks if not b.skip_reason]
    up = next((t for t in runnable if t.startswith("./scripts/up")), None)
    quick = next((t for t in runnable if t.startswith("export OAUTHCTL_ADDRESS=")), None)
    return up, quick


# Commands that would configure or build the shared build directory from the
# scratch checkout, or run the whole suite: such a block must be marked.
UNSAFE = re.compile(r"scripts/(test|deps|fuzz|cluster)\b|cmake -S \.(\s|$)|cmake -B build\b")


def run_document(args, doc, blocks, readme_blocks):
    runnable = [b for b in blocks if not b.skip_reason]
    if not runnable:
        return 0
    names = sorted(set(DOC_PORTS.values()))
    ports = dict(zip(names, free_ports(len(names))))
    work = mirror(args.source_dir, args.build_dir)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OAUTHD_", "OAUTH_GATEWAY_", "OAUTHCTL_", "UP_", "BUILD_DIR"))}
    env.update(HOME=os.path.join(work, "home"), UP_NO_BUILD="1",
               UP_REDIS_PORT=str(ports["redis"]), UP_GRPC_PORT=str(ports["grpc"]),
               UP_ADMIN_PORT=str(ports["admin"]), UP_HTTP_PORT=str(ports["http"]))
    state = os.path.join(work, ".docs-test-block")
    script = ["set -euo pipefail", "shopt -s expand_aliases inherit_errexit"]
    if doc not in OWN_STACK:
        # As the documents say: ./scripts/up, then the quick start's environment
        # (its lines up to the first blank one). Only blocks that run.
        up, quick_start = preamble_blocks(readme_blocks)
        quick_start = quick_start.split("\n\n")[0]
        script += ["# preamble: the README's ./scripts/up and quick-start environment",
                   "echo 0 > %s" % state, substitute_ports(up, ports), substitute_ports(quick_start, ports)]
    for n, b in enumerate(blocks, 1):
        if b.skip_reason:
            continue
        script += ["echo %d > %s" % (n, state), "# %s" % b.where(), substitute_ports(b.text, ports)]
    script.append("echo done > %s" % state)
    path = os.path.join(work, ".docs-test.sh")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    print("[docs] %s: %d block(s) to run, %d marked not run (ports %s)" %
          (doc, len(runnable), len(blocks) - len(runnable), ports), flush=True)
    # Output to a file, not a pipe: a background job a failed block left
    # running would hold a pipe open until the timeout.
    log = os.path.join(work, ".docs-test.log")
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", path], cwd=work, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        code = proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = "timeout after %d s" % args.timeout
    finally:
        # Background jobs the document left, then what ./scripts/up started.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        subprocess.run([os.path.join(work, "scripts", "down")], cwd=work, env=env,
                       capture_output=True, timeout=60)
    output = open(log, errors="replace").read()
    reached = open(state).read().strip() if os.path.exists(state) else "?"
    if code != 0 or reached != "done":
        if reached.isdigit() and int(reached) > 0:
            b = blocks[int(reached) - 1]
            what = "block at %s (%s)" % (b.where(), b.first_line)
        else:
            what = "the preamble (./scripts/up and the quick-start environment)"
        fail("%s: %s failed (exit %s); output:\n%s" % (doc, what, code, output[-4000:]))
    elif args.verbose:
        print(output)
    if args.keep:
        print("[docs] kept", work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return len(runnable)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source_dir", required=True)
    parser.add_argument("--build_dir", required=True)
    parser.add_argument("--only", nargs="*", help="run only these documents (all checks still apply)")
    parser.add_argument("--list", action="store_true", help="list the blocks and stop")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    parser.add_argument("--verbose", action="store_true", help="print each document's output")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per document")
    args = parser.parse_args()
    args.source_dir = os.path.realpath(args.source_dir)

    docs = documents(args.source_dir)
    blocks = {doc: parse(doc, text) for doc, text in docs.items()}
    all_blocks = [b for bs in blocks.values() for b in bs]
    if args.list:
        for b in all_blocks:
            print("%-32s %-8s %s" % (b.where(), "SKIP" if b.skip_reason else "run", b.first_line))
        return

    marked = {(b.doc, b.first_line) for b in all_blocks if b.skip_reason}
    for key in sorted(marked - NOT_RUN):
        fail("%s: block %r is marked not run but not in NOT_RUN (tests/docs/docs_test.py)" % key)
    for key in sorted(NOT_RUN - marked):
        fail("%s: NOT_RUN lists %r, which is no longer a marked block" % key)
    if None in preamble_blocks(blocks["README.md"]):
        fail("README.md: no ./scripts/up block, or no quick start beginning with export OAUTHCTL_ADDRESS=")
    for b in all_blocks:
        if not b.skip_reason and UNSAFE.search(b.text):
            fail("%s: the block %r builds the tree or runs the suite; mark it not run" % (b.where(), b.first_line))
    check_references(args.source_dir, args.build_dir, docs)
    check_built_by_up(args.source_dir, args.build_dir, all_blocks)
    if failures:
        print("%d failure(s) before running anything" % len(failures))
        sys.exit(1)

    ran = skipped = 0
    for doc, bs in blocks.items():
        if args.only and doc not in args.only:
            continue
        ran += run_document(args, doc, bs, blocks["README.md"])
        skipped += sum(1 for b in bs if b.skip_reason)
    print("[docs] ran %d block(s), %d marked not run" % (ran, skipped))
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all documents passed")


if __name__ == "__main__":
    main()
