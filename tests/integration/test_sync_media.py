"""Media downloads through network sync, against a web server on loopback
that misbehaves on purpose (fault_server.py): wrong hashes, empty files,
too many bytes, connections cut short, wrong ranges, a player killed in the
middle of a download, a size cap, a proxy and TLS.

Like test_sync_net.py these run the sync driver (tests/sync_driver.c) and
check every generation it hands over: a medium is only ever ready with a
file whose content has the manifest's hash.

usage: test_sync_media.py PATH-TO-SYNC-DRIVER-OR-LIANBO [TEST-NAME...]
(given the lianbo binary, the driver is looked for in its build directory
as tests/sync-driver)
"""

import os
import shutil
import signal
import subprocess
import time

from fault_server import FaultServer, sha256
from harness import Suite, TestFailure, check
from syncworld import NetWorld, make_cert, manifest_bytes, media_entry, net_manifest

suite = Suite()


def serve(srv, version, files, **media_kw):
    """Serves a manifest at /m.json naming FILES {name: bytes}; MEDIA_KW
    {name: route settings} make a file's route misbehave."""
    media = [media_entry(name.split(".")[0], name, data) for name, data in files.items()]
    srv.route("/m.json", manifest_bytes(net_manifest(version, media)),
              content_type="application/json")
    for name, data in files.items():
        srv.route("/" + name, data, **media_kw.get(name, {}))
    return media


def ready_ids(gen):
    return sorted(m["id"] for m in gen["media"] if m["ready"])


@suite.test
def wrong_hash_is_discarded_and_retried(exe):
    good = os.urandom(5000)
    with FaultServer() as srv, NetWorld(exe, "media-hash") as w:
        serve(srv, 1, {"a.bin": good})
        srv.route("/a.bin", os.urandom(5000))
        w.write_config(srv.url("/m.json"))
        proc = w.start(seconds=20, until=1)
        srv.wait_for(lambda: any(r.done for r in srv.requests("/a.bin")), 10,
                     "the first download")
        time.sleep(0.5)
        check(not w.stored(sha256(good)), "a file with the wrong hash was stored")
        check(w.partial_size(sha256(good)) is None, "the wrong download was kept")
        srv.route("/a.bin", good)
        proc.wait(timeout=20)
        res = w.finish(proc)
        res.log_has(r"warn .*media \"a\" from .*a\.bin: the file that came has SHA-256 "
                    r"[0-9a-f]{64}, the manifest says %s; next try in 5 s" % sha256(good),
                    "wrong hash logged")
        check(ready_ids(res.last()) == ["a"], f"the right file later: {res.last()}")
        check(len(srv.requests("/a.bin")) == 2, f"retries: {srv.requests('/a.bin')}")


@suite.test
def zero_byte_download_is_discarded(exe):
    data = os.urandom(3000)
    with FaultServer() as srv, NetWorld(exe, "media-empty") as w:
        serve(srv, 1, {"a.bin": data})
        srv.routes["/a.bin"].body = b""
        w.write_config(srv.url("/m.json"))
        res = w.run(seconds=2)
        check(all(not m["ready"] for g in res.generations for m in g["media"]),
              "an empty download was handed over")
        res.log_has(r"media \"a\" .*the server sent an empty file", "empty file logged")
        check(not w.media_files(), f"cache holds {w.media_files()}")


@suite.test
def too_many_bytes_are_cut_off(exe):
    data = os.urandom(8000)
    with FaultServer() as srv, NetWorld(exe, "media-extra") as w:
        serve(srv, 1, {"a.bin": data, "b.bin": data[:4000]})
        # a: the right file followed by junk, no Content-Length: cut off at
        # the manifest's size, and then the hash decides (good here).
        srv.route("/a.bin", data + os.urandom(50000), length=False)
        # b: announced larger than the manifest says: refused outright.
        srv.route("/b.bin", data)
        w.write_config(srv.url("/m.json"))
        res = w.run(seconds=3)
        check(ready_ids(res.last()) == ["a"], f"{res.last()}")
        res.log_has(r"sent more than the 8000 bytes expected; cut off there", "cut off")
        res.log_has(r"media \"b\" .*announced 8000 bytes, more than the 4000 expected",
                    "announced size refused")


@suite.test
def interrupted_download_resumes_with_a_range(exe):
    data = os.urandom(100000)
    with FaultServer() as srv, NetWorld(exe, "media-resume") as w:
        # Every connection is cut after 40000 bytes: each try must go on
        # from where the last one stopped.
        serve(srv, 1, {"a.bin": data}, **{"a.bin": {"cut_at": 40000}})
        w.write_config(srv.url("/m.json"))
        res = w.run(seconds=10, until=1)
        reqs = srv.requests("/a.bin")
        ranges = [r.header("range") for r in reqs]
        check(ranges == [None, "bytes=40000-", "bytes=80000-"],
              f"each try should ask for the rest: {reqs}\n    {res.tail()}")
        check([r.status for r in reqs] == [200, 206, 206] and
              [r.sent for r in reqs] == [40000, 40000, 20000], f"{reqs}")
        check(ready_ids(res.last()) == ["a"], f"{res.last()}")
        check(res.last()["t"] < 3, f"progress should be followed up at once, not after a "
                                   f"back-off: ready after {res.last()['t']:.1f} s")
        res.log_has(r"resuming .*a\.bin at byte 40000 of 100000", "resume logged")
        res.log_has(r"media \"a\": transfer closed .*\(40000 of 100000 bytes kept to "
                    r"resume\); continuing", "interruption logged")


@suite.test
def wrong_range_restarts_from_zero(exe):
    data = os.urandom(50000)
    with FaultServer() as srv, NetWorld(exe, "media-badrange") as w:
        serve(srv, 1, {"a.bin": data},
              **{"a.bin": {"cut_at": 30000, "wrong_range": True}})
        w.write_config(srv.url("/m.json"))
        proc = w.start(seconds=30, until=1)
        srv.wait_for(lambda: len(srv.requests("/a.bin")) >= 2 and
                     srv.requests("/a.bin")[1].done, 15, "the resume attempt")
        route = srv.routes["/a.bin"]
        route.cut_at = None
        route.wrong_range = False
        proc.wait(timeout=30)
        res = w.finish(proc)
        res.log_has(r"asked for the bytes from 30000 on, the server sent another range; "
                    r"starting again from the first byte", "wrong range logged")
        reqs = srv.requests("/a.bin")
        check(reqs[1].header("range") == "bytes=30000-" and reqs[1].status == 206 and
              reqs[2].header("range") is None, f"third try should start over: {reqs}")
        check(ready_ids(res.last()) == ["a"], f"{res.last()}")


@suite.test
def server_ignoring_ranges_restarts_cleanly(exe):
    data = os.urandom(50000)
    with FaultServer() as srv, NetWorld(exe, "media-norange") as w:
        serve(srv, 1, {"a.bin": data}, **{"a.bin": {"cut_at": 20000, "ranges": False}})
        w.write_config(srv.url("/m.json"))
        proc = w.start(seconds=20, until=1)
        srv.wait_for(lambda: len(srv.requests("/a.bin")) >= 2 and
                     srv.requests("/a.bin")[1].done, 10, "the second try")
        srv.routes["/a.bin"].cut_at = None
        proc.wait(timeout=20)
        res = w.finish(proc)
        reqs = srv.requests("/a.bin")
        check(reqs[1].header("range") == "bytes=20000-" and reqs[1].status == 200,
              f"the server should have ignored the range: {reqs}")
        # The whole file came again from its start, cut at the same place:
        # no progress, so the next try waits, and then gets it all.
        check(len(reqs) == 3 and reqs[2].time - reqs[1].time > 4,
              f"a try that made no progress should back off: {reqs}")
        check(ready_ids(res.last()) == ["a"], f"whole file after a 200: {res.last()}")


@suite.test
def sigkill_mid_download_then_resume(exe):
    big = os.urandom(3 * 1024 * 1024)
    with FaultServer() as srv, NetWorld(exe, "media-kill") as w:
        serve(srv, 1, {"big.bin": big, "small.bin": b"x" * 100},
              **{"big.bin": {"rate": 400000}})
        w.write_config(srv.url("/m.json"))
        proc = w.start(seconds=60)
        srv.wait_for(lambda: any(r.sent >= 600000 for r in srv.requests("/big.bin")), 20,
                     "600 kB of the big file")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        first = w.finish(proc, sig=signal.SIGKILL)
        held = w.partial_size(sha256(big))
        check(held and 0 < held < len(big), f"partial file after SIGKILL: {held}")
        check(not w.stored(sha256(big)), "an incomplete file is in cache/media")
        for g in first.generations:
            big_entry = [m for m in g["media"] if m["id"] == "big"][0]
            check(not big_entry["ready"], f"big handed over before it was complete: {g}")

        srv.routes["/big.bin"].rate = None
        srv.clear()
        res = w.run(seconds=20, until=1)
        reqs = srv.requests("/big.bin")
        check(reqs and reqs[0].header("range") == f"bytes={held}-" and reqs[0].status == 206,
              f"the restarted download should ask for bytes={held}-: {reqs}")
        check(reqs[0].sent == len(big) - held, f"only the rest should come: {reqs[0]}")
        check(ready_ids(res.last()) == ["big", "small"], f"{res.last()}")
        check(w.stored(sha256(big)) and w.partial_size(sha256(big)) is None,
              "the finished file should be in media/, its partial file gone")


@suite.test
def cache_cap_evicts_unused_files_first(exe):
    old = os.urandom(600 * 1024)
    keep = os.urandom(300 * 1024)
    new = os.urandom(500 * 1024)
    with FaultServer() as srv, NetWorld(exe, "media-cap") as w:
        serve(srv, 1, {"old.bin": old, "keep.bin": keep})
        w.write_config(srv.url("/m.json"), cache={"max_mb": 1})
        w.run(seconds=10, until=1)
        check(w.media_files() == sorted([sha256(old), sha256(keep)]), "first schedule")
        # Version 2 drops old.bin; new.bin only fits once old.bin is gone.
        serve(srv, 2, {"keep.bin": keep, "new.bin": new})
        res = w.run(seconds=10, until=2)
        check(ready_ids(res.last()) == ["keep", "new"], f"{res.last()}")
        res.log_has(r"removed %s .*making room under cache\.max_mb" % sha256(old),
                    "eviction logged")
        # Version 3 needs more than the cap holds even with everything
        # unused gone: that medium is skipped, the rest plays.
        huge = os.urandom(900 * 1024)
        serve(srv, 3, {"keep.bin": keep, "huge.bin": huge})
        res = w.run(seconds=3)
        check(res.last()["version"] == 3 and ready_ids(res.last()) == ["keep"],
              f"{res.last()}")
        res.log_has(r"error .*media \"huge\" .*the cache cannot hold it.*playback goes on",
                    "cap too small logged")
        check(w.stored(sha256(keep)), "a file the playing schedule uses was evicted")


@suite.test
def proxy_from_config_and_environment(exe):
    data = os.urandom(2000)
    with FaultServer() as proxy, NetWorld(exe, "media-proxy") as w:
        # The proxy serves the schedule of a host that does not exist, so
        # nothing could have gone anywhere but through it.
        serve(proxy, 1, {"a.bin": data})
        url = "http://lianbo-test.invalid/m.json"
        w.write_config(url, network={"proxy": proxy.base})
        res = w.run(seconds=10, until=1)
        check(ready_ids(res.last()) == ["a"], f"through network.proxy: {res.last()}")
        check(all(r.proxied for r in proxy.requests()), f"{proxy.requests()}")

        shutil.rmtree(w.cache_dir)
        proxy.clear()
        w.write_config(url)
        res = w.run(seconds=10, until=1, env={"http_proxy": proxy.base})
        check(ready_ids(res.last()) == ["a"], f"through $http_proxy: {res.last()}")
        check(proxy.requests() and all(r.proxied for r in proxy.requests()),
              f"{proxy.requests()}")


@suite.test
def tls_is_verified_and_ca_file_is_used(exe):
    data = os.urandom(2000)
    with NetWorld(exe, "media-tls") as w:
        cert, key = make_cert(w.dir)
        with FaultServer(cert=cert, key=key) as srv:
            serve(srv, 1, {"a.bin": data})
            w.write_config(srv.url("/m.json"))
            res = w.run(seconds=2)
            check(not res.generations, "a self-signed server was trusted")
            res.log_has(r"cannot fetch the schedule: .*(SSL certificate problem|self.signed)",
                        "certificate refusal logged")
            w.write_config(srv.url("/m.json"), network={"ca_file": cert})
            res = w.run(seconds=10, until=1)
            check(ready_ids(res.last()) == ["a"], f"with network.ca_file: {res.last()}")


if __name__ == "__main__":
    suite.main()
