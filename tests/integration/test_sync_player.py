"""The player with an http(s) schedule, against a web server on loopback
(fault_server.py): what a person in front of the terminal sees when the
schedule comes over the network, when the server is down after an earlier
run filled the cache, and when the player is killed in the middle of a
large download and started again.

usage: test_sync_player.py PATH-TO-LIANBO [TEST-NAME...]
"""

import os
import re
import signal
import struct
import zlib

from fault_server import FaultServer, free_port, sha256
from harness import (PNG_SIGNATURE, Suite, World, check, expect_zone_colour, png_chunk,
                     solid, zone_rects)
from syncworld import manifest_bytes, media_entry, net_manifest

suite = Suite()

W, H = 360, 640


def read(path):
    with open(path, "rb") as f:
        return f.read()


def stored_png(width, height, rgb):
    """A one-colour PNG whose pixels are stored, not compressed."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 0)
    return (PNG_SIGNATURE
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", raw) + png_chunk(b"IEND", b""))


def sync_config(w, url, **schedule):
    sched = {"url": url, "poll_seconds": 1, "connect_timeout_s": 2, "timeout_s": 3}
    sched.update(schedule)
    return w.write_config(extra={"schedule": sched})


def image_item(item_id, media_id):
    return {"id": item_id, "type": "image", "media": media_id, "duration": 30,
            "fit": "fill"}


@suite.test
def cached_schedule_plays_with_the_server_down(exe):
    port = free_port()
    with World(exe, "sync-offline") as w:
        red = read(solid(w.media("red.png"), "#ff0000"))
        green = read(solid(w.media("green.png"), "#00ff00"))
        media = [media_entry("red", "media/red 1.png", red),
                 media_entry("green", "媒体/绿色.png", green)]
        m = net_manifest(3, media, upper=[image_item("r", "red")],
                         lower=[image_item("g", "green")])
        with FaultServer(port=port) as srv:
            srv.route("/b7/manifest.json", manifest_bytes(m), etag='"m3"')
            srv.route("/b7/media/red 1.png", red)
            srv.route("/b7/媒体/绿色.png", green)
            sync_config(w, srv.url("/b7/manifest.json"))
            res = w.run(after=4)
            zones = zone_rects(W, H)
            expect_zone_colour(res.image, zones["upper"], "#ff0000", "upper, server up")
            expect_zone_colour(res.image, zones["lower"], "#00ff00", "lower, server up")
            polls = srv.requests("/b7/manifest.json")
            check(len(polls) >= 2 and polls[1].header("if-none-match") == '"m3"' and
                  polls[1].status == 304,
                  f"the second poll should be conditional and answered 304: {polls}")

        # The server is gone; the cache alone must bring the schedule back
        # within two seconds of start.
        res = w.run(after=1.8)
        expect_zone_colour(res.image, zones["upper"], "#ff0000", "upper, server down")
        expect_zone_colour(res.image, zones["lower"], "#00ff00", "lower, server down")
        check(any(re.search(r"cannot fetch the schedule", ln) for ln in res.log_lines("warn")),
              "the failed poll should be logged:\n    " + res.tail())


@suite.test
def killed_mid_download_resumes_and_shows_only_verified_media(exe):
    with World(exe, "sync-kill") as w:
        # A PNG stored without compression: large enough to take seconds
        # at the drip rate.
        big = stored_png(1000, 1000, (255, 0, 255))
        check(len(big) > 2_000_000, f"big.png is only {len(big)} bytes")
        media = [media_entry("big", "big.png", big)]
        m = net_manifest(1, media, upper=[image_item("item-big", "big")])
        with FaultServer() as srv:
            srv.route("/manifest.json", manifest_bytes(m))
            srv.route("/big.png", big, rate=300000)
            sync_config(w, srv.url("/manifest.json"))
            proc = w.start()
            srv.wait_for(lambda: any(r.sent >= 600000 for r in srv.requests("/big.png")),
                         30, "600 kB of the big picture")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            first = w.stderr_so_far()
            check("showing image item-big" not in first,
                  "the picture was shown before its download finished")
            partial = os.path.join(w.cache_dir, "partial", sha256(big) + ".part")
            held = os.path.getsize(partial) if os.path.exists(partial) else 0
            check(held > 0, "no partial download was left to resume")

            srv.routes["/big.png"].rate = None
            srv.clear()
            res = w.run(after=5)
            reqs = srv.requests("/big.png")
            check(reqs and reqs[0].header("range") == f"bytes={held}-" and
                  reqs[0].status == 206,
                  f"the restarted player should resume with bytes={held}-: {reqs}")
            expect_zone_colour(res.image, zone_rects(W, H)["upper"], "#ff00ff",
                               "upper zone after the download finished")
            lines = res.stderr.splitlines()
            verified = [i for i, ln in enumerate(lines)
                        if 'media "big" downloaded and verified' in ln]
            shown = [i for i, ln in enumerate(lines) if "showing image item-big" in ln]
            check(verified and shown and shown[0] > verified[0],
                  "the picture must be shown only after it was verified:\n    "
                  + res.tail(40))


if __name__ == "__main__":
    suite.main()
