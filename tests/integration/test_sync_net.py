"""Network sync on its own, against a web server on loopback that
misbehaves on purpose (fault_server.py).

These tests run the sync driver (tests/sync_driver.c), which runs the
player's network thread without a screen and prints every generation of
the schedule it hands over. They check what a technician would: which
schedule the terminal would play, which media it would show, what the
server was asked, and the log line that explains a failure.

usage: test_sync_net.py PATH-TO-SYNC-DRIVER-OR-LIANBO [TEST-NAME...]
(given the lianbo binary, the driver is looked for in its build directory
as tests/sync-driver)
"""

import os
import time

from fault_server import FaultServer, free_port, sha256
from harness import Suite, check
from syncworld import NetWorld, manifest_bytes, media_entry, net_manifest

suite = Suite()

PHOTO = os.urandom(30000)
LOBBY = os.urandom(20000)


def good_world(srv, version=1):
    """Serves a manifest at /signs/manifest.json whose two media have a
    space and Chinese characters in their names; returns the manifest."""
    media = [media_entry("photo", "media/photo 1.jpg", PHOTO),
             media_entry("lobby", "媒体/大堂 照片.png", LOBBY)]
    m = net_manifest(version, media)
    srv.route("/signs/manifest.json", manifest_bytes(m), etag=f'"v{version}"',
              content_type="application/json")
    srv.route("/signs/media/photo 1.jpg", PHOTO)
    srv.route("/signs/媒体/大堂 照片.png", LOBBY)
    return m


def filled_cache(w, srv):
    """Runs the driver once against a good server so that the cache holds
    schedule version 1 and both media."""
    good_world(srv)
    w.write_config(srv.url("/signs/manifest.json"))
    res = w.run(seconds=15, until=1)
    last = res.last()
    check(last["version"] == 1 and last["ready"] == 2,
          f"first run did not get version 1 fully ready: {last}\n    {res.tail()}")
    return res


@suite.test
def first_sync_downloads_and_verifies(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-first") as w:
        m = good_world(srv)
        w.write_config(srv.url("/signs/manifest.json"))
        res = w.run(seconds=15, until=1)
        gens = res.generations
        check(gens[0]["ready"] < 2 and gens[0]["playable"]["upper"] != ["item-photo",
                                                                          "item-lobby"],
              f"the first generation should come before the media: {gens[0]}")
        check(gens[0]["playable"]["lower"] == ["notice"],
              f"the text item plays at once: {gens[0]['playable']}")
        last = res.last()
        check(last["ready"] == 2 and last["playable"]["upper"] == ["item-photo", "item-lobby"],
              f"both media should end up ready and playing: {last}")
        for entry in m["media"]:
            check(w.stored(entry["sha256"]), f"{entry['url']} is not in cache/media")
        # The names with a space and Chinese characters reached the server
        # percent-encoded and were found.
        for path in ("/signs/media/photo 1.jpg", "/signs/媒体/大堂 照片.png"):
            reqs = srv.requests(path)
            check(reqs and reqs[0].status == 200, f"server did not serve {path}: {reqs}")
        ua = srv.requests("/signs/manifest.json")[0].header("user-agent")
        check(ua and ua.startswith("lianbo/") and ua.endswith("(test-terminal)"),
              f"User-Agent should name lianbo, its version and the device: {ua!r}")
        check(os.path.exists(os.path.join(w.cache_dir, "manifest.json")),
              "the adopted manifest was not stored as the last good one")
        res.log_has(r"adopted schedule version 1", "adoption logged")


@suite.test
def etag_makes_the_second_poll_a_304(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-etag") as w:
        good_world(srv)
        w.write_config(srv.url("/signs/manifest.json"))
        res = w.run(seconds=4.5)
        reqs = srv.requests("/signs/manifest.json")
        check(len(reqs) >= 2, f"expected at least two polls in 4.5 s, saw {reqs}")
        check(reqs[0].header("if-none-match") is None, f"first poll was conditional: {reqs[0]}")
        check(reqs[1].header("if-none-match") == '"v1"' and reqs[1].status == 304,
              f"second poll should send If-None-Match \"v1\" and get 304: {reqs[1]}")
        versions = [g["version"] for g in res.generations]
        check(len(res.generations) <= 3, f"a 304 must not hand over a new generation: "
                                         f"{len(res.generations)} generations {versions}")
        res.log_has(r"unchanged \(HTTP 304\)", "304 noted")


@suite.test
def last_modified_makes_a_conditional_request(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-lastmod") as w:
        m = net_manifest(1, [])
        srv.route("/m.json", manifest_bytes(m), last_modified=time.time() - 3600)
        w.write_config(srv.url("/m.json"))
        w.run(seconds=2.5)
        reqs = srv.requests("/m.json")
        check(len(reqs) >= 2 and reqs[1].header("if-modified-since") and
              reqs[1].status == 304,
              f"second poll should send If-Modified-Since and get 304: {reqs}")


@suite.test
def restart_resumes_with_the_stored_etag(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-restart") as w:
        filled_cache(w, srv)
        srv.clear()
        res = w.run(seconds=1.5)
        reqs = srv.requests("/signs/manifest.json")
        check(reqs and reqs[0].header("if-none-match") == '"v1"' and reqs[0].status == 304,
              f"after a restart the first poll should reuse the stored ETag: {reqs}")
        media_reqs = [r for r in srv.requests() if "/media/" in r.path or "媒体" in r.path]
        check(not media_reqs, f"cached media were downloaded again: {media_reqs}")
        check(res.generations and res.generations[0]["ready"] == 2,
              f"the stored schedule should be handed over with both media: "
              f"{res.generations[:1]}")


def run_with_fault(exe, name, setup, pattern, what, seconds=2.5, schedule=None):
    """Fills a cache from a good server, then makes the manifest misbehave
    with SETUP(srv) and runs again: the stored schedule must be handed over
    (and nothing else), and a log line must match PATTERN."""
    with FaultServer() as srv, NetWorld(exe, name) as w:
        filled_cache(w, srv)
        setup(srv)
        if schedule:
            w.write_config(srv.url("/signs/manifest.json"), schedule=schedule)
        res = w.run(seconds=seconds)
        versions = [(g["version"], g["ready"]) for g in res.generations]
        check(versions == [(1, 2)],
              f"{what}: expected only the stored version 1 with both media, got {versions}"
              f"\n    {res.tail()}")
        check(res.generations[0]["t"] < 2.0,
              f"{what}: the stored schedule came {res.generations[0]['t']:.2f} s after "
              "start; it must come within 2 s")
        res.log_has(pattern, what)
        check(res.status["version"] == 1, f"{what}: status shows {res.status}")
        return res, srv


def replace_manifest(srv, body, **kw):
    srv.route("/signs/manifest.json", body, content_type="application/json", **kw)


@suite.test
def server_error_500_keeps_the_last_schedule(exe):
    run_with_fault(exe, "sync-500",
                   lambda s: replace_manifest(s, b"oops", status=500),
                   r"warn .*manifest\.json: the server answered HTTP 500", "HTTP 500")


@suite.test
def not_found_404_keeps_the_last_schedule(exe):
    run_with_fault(exe, "sync-404", lambda s: s.routes.pop("/signs/manifest.json"),
                   r"the server answered HTTP 404 \(no manifest at that address", "HTTP 404")


@suite.test
def redirect_loop_is_given_up(exe):
    def setup(srv):
        srv.route("/signs/manifest.json", redirect="/signs/loop")
        srv.route("/signs/loop", redirect="/signs/manifest.json")
    res, srv = run_with_fault(exe, "sync-loop", setup, r"[Mm]aximum \(5\) redirects",
                              "redirect loop")
    check(len(srv.requests("/signs/loop")) <= 6, "more than 5 redirects were followed")


@suite.test
def redirect_is_followed(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-redirect") as w:
        good_world(srv)
        srv.route("/moved.json", redirect="/signs/manifest.json")
        w.write_config(srv.url("/moved.json"))
        res = w.run(seconds=15, until=1)
        # Relative media resolve against where the manifest really was.
        check(res.last()["ready"] == 2, f"media after a redirect: {res.last()}")


@suite.test
def slow_drip_is_abandoned(exe):
    res, _ = run_with_fault(
        exe, "sync-drip",
        lambda s: replace_manifest(s, b" " * 400 + b"{}", rate=20),
        r"cannot fetch the schedule: .*[Tt]imed? ?out", "byte-by-byte server",
        seconds=4.5, schedule={"timeout_s": 2})


@suite.test
def truncated_transfer_is_refused(exe):
    body = manifest_bytes(net_manifest(2, []))
    run_with_fault(exe, "sync-cut",
                   lambda s: replace_manifest(s, body, cut_at=len(body) // 2),
                   r"cannot fetch the schedule: transfer closed with \d+ bytes remaining",
                   "connection cut in the middle")


@suite.test
def truncated_json_is_refused(exe):
    body = manifest_bytes(net_manifest(2, []))
    run_with_fault(exe, "sync-halfjson",
                   lambda s: replace_manifest(s, body[:len(body) // 2]),
                   r"error .*manifest\.json:\d+:\d+: syntax error", "half a manifest")


@suite.test
def captive_portal_page_is_refused(exe):
    page = (b"<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head>"
            b"<body><form>Log in to continue</form></body></html>")
    run_with_fault(exe, "sync-portal",
                   lambda s: replace_manifest(s, page, etag='"portal"'),
                   r"this is an HTML page, not a manifest \(a Wi-Fi login page",
                   "captive portal login page with status 200")


@suite.test
def empty_reply_is_refused(exe):
    run_with_fault(exe, "sync-empty", lambda s: replace_manifest(s, b""),
                   r"empty document", "empty 200 reply")


@suite.test
def oversize_manifest_is_refused(exe):
    huge = b"[" + b"0," * (3 * 1024 * 1024) + b"0]"
    run_with_fault(exe, "sync-huge", lambda s: replace_manifest(s, huge),
                   r"announced \d+ bytes, more than the 4194304 allowed",
                   "6 MB manifest with Content-Length")
    run_with_fault(exe, "sync-huge2", lambda s: replace_manifest(s, huge, length=False),
                   r"the body passed the 4194304 bytes allowed",
                   "6 MB manifest without Content-Length")


@suite.test
def rollback_to_an_older_version_is_refused(exe):
    old = manifest_bytes(net_manifest(0, []))
    res, _ = run_with_fault(exe, "sync-rollback",
                            lambda s: replace_manifest(s, old, etag='"v0"'),
                            r"error .*refusing version 0: older than version 1 in use",
                            "manifest version 0 after version 1", seconds=7)
    refusals = [ln for ln in res.stderr.splitlines() if "refusing version 0" in ln]
    check(len(refusals) == 1, f"the same refusal should be logged once, not at every "
                              f"poll: {len(refusals)} times")


@suite.test
def media_without_hash_is_refused(exe):
    m = net_manifest(2, [{"id": "x", "url": "media/x.png", "size": 5}])
    run_with_fault(exe, "sync-nohash", lambda s: replace_manifest(s, manifest_bytes(m)),
                   r"media\[0\] \(\"x\"\): no \"sha256\"", "media without sha256")


@suite.test
def server_down_at_boot_plays_the_stored_schedule(exe):
    port = free_port()
    with NetWorld(exe, "sync-down") as w:
        with FaultServer(port=port) as srv:
            filled_cache(w, srv)
        # Nothing listens on the port now.
        res = w.run(seconds=2.5)
        versions = [(g["version"], g["ready"]) for g in res.generations]
        check(versions == [(1, 2)], f"expected the stored version 1, got {versions}")
        check(res.generations[0]["t"] < 2.0,
              f"stored schedule after {res.generations[0]['t']:.2f} s, not within 2 s")
        res.log_has(r"cannot fetch the schedule: .*([Cc]onnect|refused)",
                    "connection refused logged")
        res.log_has(r"next try in 5 s", "back-off starts at 5 s")


@suite.test
def server_coming_up_later_is_picked_up(exe):
    port = free_port()
    with NetWorld(exe, "sync-later") as w:
        w.write_config(f"http://127.0.0.1:{port}/signs/manifest.json")
        proc = w.start(seconds=20, until=1)
        time.sleep(1.5)
        with FaultServer(port=port) as srv:
            good_world(srv)
            proc.wait(timeout=20)
            res = w.finish(proc)
        check(res.generations and res.last()["ready"] == 2,
              f"the schedule should arrive once the server is up: {res.generations}")
        res.log_has(r"no schedule yet, next try in 5 s", "first failure before any schedule")


@suite.test
def new_schedule_url_starts_its_own_versions(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-newurl") as w:
        filled_cache(w, srv)
        # Another server numbers its schedules on its own: version 0 there
        # is no rollback of version 1 here.
        srv.route("/other/manifest.json", manifest_bytes(net_manifest(0, [])))
        w.write_config(srv.url("/other/manifest.json"))
        res = w.run(seconds=2.5)
        versions = [(g["version"], g["ready"], g["total"]) for g in res.generations]
        check(versions[:2] == [(1, 2, 2), (0, 0, 0)],
              f"the stored schedule first, then the new URL's: {versions}")
        res.log_has(r"the stored schedule came from .*/signs/manifest\.json, not from "
                    r"schedule\.url", "change of URL noted")
        res.log_lacks(r"refusing version", "no rollback across URLs")


@suite.test
def newer_version_is_adopted_and_old_files_collected(exe):
    with FaultServer() as srv, NetWorld(exe, "sync-newer") as w:
        filled_cache(w, srv)
        srv.clear()
        new = os.urandom(10000)
        media = [media_entry("lobby", "媒体/大堂 照片.png", LOBBY),
                 media_entry("new", "media/new.png", new)]
        srv.route("/signs/manifest.json", manifest_bytes(net_manifest(2, media)), etag='"v2"')
        srv.route("/signs/media/new.png", new)
        res = w.run(seconds=16)
        last = res.last()
        check(last["version"] == 2 and last["ready"] == 2, f"version 2 not ready: {last}")
        check(w.media_files() == sorted([sha256(LOBBY), sha256(new)]),
              f"once version 2 plays, the photo it dropped should be deleted: "
              f"{w.media_files()}")
        check(not srv.requests("/signs/媒体/大堂 照片.png"),
              "the file both versions use was downloaded again")
        res.log_has(r"removed %s .*no longer uses it" % sha256(PHOTO), "collection logged")


@suite.test
def shutdown_is_prompt_during_a_download(exe):
    big = os.urandom(2 * 1024 * 1024)
    with FaultServer() as srv, NetWorld(exe, "sync-stop") as w:
        m = net_manifest(1, [media_entry("big", "big.bin", big)])
        srv.route("/m.json", manifest_bytes(m))
        srv.route("/big.bin", big, rate=50000)
        w.write_config(srv.url("/m.json"))
        proc = w.start(seconds=60)
        srv.wait_for(lambda: any(r.sent > 0 for r in srv.requests("/big.bin")), 10,
                     "the download to start")
        res = w.finish(proc)
        check(res.returncode == 0, f"driver exit status {res.returncode}")
        check(res.stopped_ms is not None and res.stopped_ms < 2500,
              f"sync_destroy took {res.stopped_ms} ms during a download")


if __name__ == "__main__":
    suite.main()
