"""Pieces shared by the network sync tests: a temporary world with a config
pointing at a fault server, manifests whose media carry real sizes and
hashes, and a runner for the sync driver (tests/sync_driver.c), which runs
net/sync.c alone and prints each generation it publishes as a JSON line."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from fault_server import sha256
from harness import TestFailure, check, check_no_sanitizer_report, config_text


def media_entry(mid, url, data):
    """A manifest media entry for DATA served at URL (as written in the
    manifest, relative or absolute)."""
    return {"id": mid, "url": url, "size": len(data), "sha256": sha256(data)}


def net_manifest(version, media, upper=None, lower=None):
    """A manifest with MEDIA (entries from media_entry); each medium gets an
    image item in the upper zone unless UPPER says otherwise; the lower zone
    holds a text item."""
    if upper is None:
        upper = [{"id": f"item-{m['id']}", "type": "image", "media": m["id"],
                  "duration": 30, "fit": "fill"} for m in media]
    if lower is None:
        lower = [{"id": "notice", "type": "text", "title": "Notice", "body": "Lift",
                  "duration": 30}]
    return {"version": version, "media": media,
            "zones": {"upper": {"items": upper}, "lower": {"items": lower}}}


def manifest_bytes(m):
    return json.dumps(m, ensure_ascii=False, indent=1).encode("utf-8")


class DriverResult:
    def __init__(self, argv, rc, stdout, stderr, elapsed):
        self.argv = argv
        self.returncode = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.generations = []
        self.status = None
        self.stopped_ms = None
        for line in stdout.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                raise TestFailure(f"sync-driver printed a line that is not JSON: {line!r}")
            if "generation" in obj:
                self.generations.append(obj)
            elif "status" in obj:
                self.status = obj["status"]
            elif "stopped_ms" in obj:
                self.stopped_ms = obj["stopped_ms"]

    def tail(self, n=30):
        lines = self.stderr.splitlines()
        return "\n    ".join(lines[-n:]) if lines else "(no output on stderr)"

    def last(self):
        check(self.generations, f"no generation was published\n    {self.tail()}")
        return self.generations[-1]

    def log_has(self, pattern, what):
        import re
        hits = [ln for ln in self.stderr.splitlines() if re.search(pattern, ln)]
        check(hits, f"{what}: no log line matches {pattern!r}\n    {self.tail()}")
        return hits

    def log_lacks(self, pattern, what):
        import re
        hits = [ln for ln in self.stderr.splitlines() if re.search(pattern, ln)]
        check(not hits, f"{what}: unexpected log lines:\n    " + "\n    ".join(hits))


def check_generations_honest(res):
    """Every medium handed over as ready has a file whose content has the
    manifest's hash, read when the generation arrived; none not ready has
    a path."""
    for g in res.generations:
        for m in g["media"]:
            if m["ready"]:
                check(m["path"] and m["content_sha256"] == m["sha256"],
                      f"generation {g['generation']}: media {m['id']} handed over as "
                      f"ready but its file {m['path']} has content hash "
                      f"{m['content_sha256']!r}, not {m['sha256']}")
            else:
                check(m["path"] is None,
                      f"generation {g['generation']}: media {m['id']} not ready "
                      f"but has a path {m['path']}")


def find_driver(exe):
    """The sync driver: EXE itself, or, when EXE is the lianbo binary
    (as meson passes it), tests/sync-driver in the same build directory."""
    if os.path.basename(exe) != "lianbo":
        return exe
    driver = os.path.join(os.path.dirname(exe), "tests", "sync-driver")
    check(os.access(driver, os.X_OK), f"the sync driver is not built: {driver}")
    return driver


class NetWorld:
    """A temporary directory with a config for the sync driver and a cache.
    Deleted on exit unless KEEP_TEST_DIRS=1."""

    def __init__(self, exe, name):
        self.driver = find_driver(exe)
        self.dir = tempfile.mkdtemp(prefix=f"lianbo-{name}-")
        self.cache_dir = os.path.join(self.dir, "cache")
        self.config_path = os.path.join(self.dir, "lianbo.cfg")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if os.environ.get("KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write_config(self, url, schedule=None, network=None, cache=None, device="test-terminal"):
        sched = {"url": url, "poll_seconds": 1, "connect_timeout_s": 2, "timeout_s": 3}
        sched.update(schedule or {})
        cache_section = {"dir": self.cache_dir}
        cache_section.update(cache or {})
        sections = {
            "device": {"id": device},
            "schedule": sched,
            "cache": cache_section,
            "log": {"level": "debug"},
        }
        if network:
            sections["network"] = network
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config_text(sections))
        return self.config_path

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items()
               if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        env.update({"HOME": self.dir, "XDG_CACHE_HOME": self.path("xdg-cache")})
        env.update(extra or {})
        return env

    def argv(self, seconds, until):
        argv = [self.driver, "--config", self.config_path, "--seconds", str(seconds)]
        if until is not None:
            argv += ["--until-version", str(until)]
        return argv

    def run(self, seconds=4, until=None, env=None, expect_rc=0):
        argv = self.argv(seconds, until)
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=seconds + 30,
                                  env=self.env(env), cwd=self.dir)
        except subprocess.TimeoutExpired as e:
            err = (e.stderr or b"").decode(errors="replace")
            raise TestFailure(f"sync-driver did not stop: {' '.join(argv)}\n    "
                              + "\n    ".join(err.splitlines()[-25:]))
        res = DriverResult(argv, proc.returncode, proc.stdout.decode(errors="replace"),
                           proc.stderr.decode(errors="replace"), time.monotonic() - start)
        check_no_sanitizer_report(res)
        if expect_rc is not None:
            check(res.returncode == expect_rc,
                  f"sync-driver exited {res.returncode}, expected {expect_rc}\n    "
                  f"{res.tail()}")
        check_generations_honest(res)
        return res

    def start(self, seconds=60, until=None, env=None):
        """Starts the driver in the background; its output is collected by
        threads. Finish it with finish()."""
        argv = self.argv(seconds, until)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env(env), cwd=self.dir)
        proc.argv = argv
        proc.out, proc.err = [], []
        proc.started = time.monotonic()

        def pump(stream, sink):
            for line in iter(stream.readline, b""):
                sink.append(line.decode(errors="replace"))

        proc.pumps = [threading.Thread(target=pump, args=(proc.stdout, proc.out), daemon=True),
                      threading.Thread(target=pump, args=(proc.stderr, proc.err), daemon=True)]
        for t in proc.pumps:
            t.start()
        self.procs.append(proc)
        return proc

    def finish(self, proc, sig=signal.SIGTERM, wait=15):
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise TestFailure(f"sync-driver did not stop within {wait} s of "
                              f"{signal.Signals(sig).name}")
        for t in proc.pumps:
            t.join(timeout=5)
        res = DriverResult(proc.argv, proc.returncode, "".join(proc.out), "".join(proc.err),
                           time.monotonic() - proc.started)
        check_no_sanitizer_report(res)
        check_generations_honest(res)
        return res

    def stored(self, sha):
        return os.path.exists(os.path.join(self.cache_dir, "media", sha))

    def partial_size(self, sha):
        p = os.path.join(self.cache_dir, "partial", sha + ".part")
        return os.path.getsize(p) if os.path.exists(p) else None

    def media_files(self):
        d = os.path.join(self.cache_dir, "media")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


def make_cert(dirname):
    """A self-signed certificate for 127.0.0.1 in DIRNAME: (cert, key)."""
    cert, key = os.path.join(dirname, "cert.pem"), os.path.join(dirname, "key.pem")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise TestFailure("openssl is not installed (run packaging/install-deps.sh)")
    return cert, key
