"""An alert's own picture or video, as a person in the lobby sees it: a
picture of the schedule fitted inside the emergency card, with the card's
red all round it; a picture the alert brings from its own address shown
as soon as it is downloaded and checked (words only before, and words
only for good when the download is wrong); a video playing inside the
card, and the zone's own item coming back where it was once the alert is
withdrawn; and, after a reboot without network, the alert's picture
still there from the cache, which the schedule's clean-up left alone.

usage: test_alerts_media.py PATH-TO-LIANBO [TEST-NAME...]
"""

import glob
import os
import signal
import time

from alertfix import (EMERGENCY_BG, GREEN, H, RED, W, AlertServer, alert, doc_bytes,
                      document, env, lines_matching, on_screen_pattern, pictures,
                      share_near, still_schedule, wait_for_line, world, write_config)
from fault_server import sha256
from harness import Suite, check, expect_colour, read_png, solid, zone_rects
from syncworld import media_entry, net_manifest
from videofix import clip

suite = Suite()

ZONES = zone_rects(W, H)

# Picture colours: far from the card's red, its white words and the zones'.
CYAN, MAGENTA = "#00ffff", "#ff00ff"
VIDEO_COLOURS = {"blue": "#0000ff", "yellow": "#ffff00", "cyan": CYAN, "magenta": MAGENTA}

# The emergency card over the whole 360x640 window (render/content.c): a
# title band of 1/7 of the height, a margin of 360/40 + 2 pixels, and the
# media box taking 60% of the height below the band when words share it.
BAND = int(H / 7)
MARGIN = W // 40 + 2
BOX = (MARGIN, BAND, W - 2 * MARGIN, int((H - BAND - MARGIN) * 0.6))


def box_centre(size=20):
    x, y, w, h = BOX
    return (x + w // 2 - size // 2, y + h // 2 - size // 2, size, size)


def file_alerts(w, doc):
    path = w.path("alerts.json")
    with open(path + ".tmp", "wb") as f:
        f.write(doc_bytes(doc))
    os.replace(path + ".tmp", path)
    return "file://" + path


def expect_card_around(img, what):
    """The card's red at the window's corners and in its title band."""
    for box in [(4, 4, 8, 8), (W - 12, 4, 8, 8), (4, H - 12, 8, 8), (W - 12, H - 12, 8, 8)]:
        expect_colour(img, *box, EMERGENCY_BG, f"{what}: card corner {box}", 24)
    share = share_near(img, (0, 0, W, BAND), EMERGENCY_BG)
    check(share > 0.6, f"{what}: only {share:.0%} of the title band is the card's red")


def expect_picture(img, colour, what):
    """COLOUR fills the middle of the media box, and a fair share of the
    window: the picture is shown fitted, not as a thumbnail."""
    expect_colour(img, *box_centre(), colour, f"{what}: the middle of the media box", 24)
    share = share_near(img, (0, 0, W, H), colour)
    check(share > 0.25, f"{what}: the picture covers only {share:.0%} of the window")
    for edge in [(0, 0, W, 3), (0, H - 3, W, 3), (0, 0, 3, H), (W - 3, 0, 3, H)]:
        check(share_near(img, edge, colour) == 0,
              f"{what}: the picture reaches the window's edge {edge}; it belongs inside "
              f"the card")


def expect_words_only(img, colour, what):
    share = share_near(img, (0, 0, W, H), colour)
    check(share < 0.001, f"{what}: {share:.1%} of the window shows the picture's colour; "
                         f"the card should show its words only")
    share = share_near(img, (0, 0, W, H), EMERGENCY_BG)
    check(share > 0.55, f"{what}: only {share:.0%} of the window is the card's red")


def screenshots(w):
    return sorted(glob.glob(os.path.join(w.cache_dir, "screenshot-*.png")))


def shoot(w, proc, what):
    """Asks the running lianbo for a screenshot (SIGUSR1) and reads it."""
    before = len(screenshots(w))
    proc.send_signal(signal.SIGUSR1)
    end = time.monotonic() + 5
    while len(screenshots(w)) <= before:
        check(time.monotonic() < end, f"{what}: no screenshot within 5 s")
        time.sleep(0.05)
    time.sleep(0.2)  # written in one go, but give the file system a moment
    return read_png(screenshots(w)[-1])


@suite.test
def schedule_picture_inside_the_emergency_card(exe):
    with world(exe, "media-manifest") as w:
        extra = pictures(w, {"poster": MAGENTA})
        still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)], extra_media=extra)
        write_config(w, file_alerts(w, document([
            alert("storm", "emergency", title="暴雨红色预警",
                  body="请勿外出，远离地下车库。", media="poster")])))
        res = w.run(after=2.5, env=env(w))
        expect_card_around(res.image, "emergency with a picture")
        expect_picture(res.image, MAGENTA, "emergency with a picture")
        for colour in (RED, GREEN):
            check(share_near(res.image, (0, 0, W, H), colour, 30) < 0.001,
                  f"the zone's item {colour} shows through the emergency card")


@suite.test
def unknown_media_id_shows_the_words_with_one_warning(exe):
    with world(exe, "media-unknown") as w:
        still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)])
        write_config(w, file_alerts(w, document([
            alert("storm", "emergency", title="暴雨红色预警", body="请勿外出。",
                  media="no-such-poster")])))
        res = w.run(after=3.0, env=env(w))
        expect_words_only(res.image, MAGENTA, "emergency naming an unknown media id")
        hits = [ln for ln in res.log_lines("warn") if "storm" in ln and "no-such-poster" in ln]
        check(len(hits) == 1, f"expected one warning naming the alert and the media id, got "
                              f"{len(hits)}:\n    {res.tail()}")
        check(lines_matching(res.stderr, on_screen_pattern("storm")),
              f"the alert never reached the screen:\n    {res.tail()}")


def own_media(srv, path, data, sha=None):
    return {"url": srv.srv.url(path), "size": len(data), "sha256": sha or sha256(data)}


def poster_bytes(w, colour):
    path = w.path("own-poster.png")
    solid(path, colour, 160, 120)
    with open(path, "rb") as f:
        return f.read()


@suite.test
def own_picture_shows_once_downloaded(exe):
    with world(exe, "media-own") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)])
        data = poster_bytes(w, CYAN)
        # Not there at first: the card shows its words, and says why once.
        srv.srv.route("/poster.png", b"gone", status=404)
        srv.publish(document([alert("flood", "emergency", title="积水",
                                    body="地库积水，请绕行",
                                    media=own_media(srv, "/poster.png", data))]))
        write_config(w, srv.url)
        proc = w.start(env=env(w))
        try:
            wait_for_line(w, on_screen_pattern("flood"), 10, "the card without its picture")
            wait_for_line(w, r"feed: alerts: the media of flood from .*404", 10,
                          "the failed download")
            expect_words_only(shoot(w, proc, "before"), CYAN, "before the picture is there")
            # The server has it now: the next try (5 s later) brings it.
            srv.srv.route("/poster.png", data, content_type="image/png")
            wait_for_line(w, r"the media of flood is downloaded and verified", 15,
                          "the download")
            wait_for_line(w, on_screen_pattern("flood"), 5, "the card with its picture",
                          after=1)
            img = shoot(w, proc, "after")
        finally:
            res = w.stop(proc)
        expect_card_around(img, "own picture")
        expect_picture(img, CYAN, "own picture")
        check(os.path.exists(os.path.join(w.cache_dir, "media", sha256(data))),
              "the picture is not in the media cache")
        fails = [ln for ln in res.log_lines("warn") if "media of flood" in ln]
        check(len(fails) == 1, f"expected one warning about the failed download, got "
                               f"{len(fails)}:\n    " + "\n    ".join(fails))


@suite.test
def own_picture_with_a_wrong_hash_is_never_shown(exe):
    with world(exe, "media-badhash") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)])
        data = poster_bytes(w, CYAN)
        srv.srv.route("/poster.png", data, content_type="image/png")
        srv.publish(document([alert("flood", "emergency", title="积水",
                                    body="地库积水，请绕行",
                                    media=own_media(srv, "/poster.png", data,
                                                    sha=sha256(b"another file")))]))
        write_config(w, srv.url)
        # Long enough for the retry 5 s later: it must not log again.
        res = w.run(after=7.0, env=env(w))
        expect_words_only(res.image, CYAN, "a picture with a wrong hash")
        fails = [ln for ln in res.log_lines("warn") if "media of flood" in ln]
        check(len(fails) == 1, f"expected one warning about the bad download, got "
                               f"{len(fails)}:\n    {res.tail()}")
        check(len(srv.srv.requests("/poster.png")) >= 2,
              "the picture was not tried again after the first failure")
        check(not os.path.exists(os.path.join(w.cache_dir, "media", sha256(data))),
              "a file with the wrong hash was kept in the media cache")


def colour_name(rgb, tol=60):
    for name, colour in VIDEO_COLOURS.items():
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        if all(abs(a - b) <= tol for a, b in zip(rgb, want)):
            return name
    return None


@suite.test
def video_plays_in_the_card_and_the_zone_resumes(exe):
    with world(exe, "media-video") as w:
        clip(w.media("alert-clip.mp4"), [("#0000ff", 0.5), ("#ffff00", 0.5),
                                         ("#00ffff", 0.5), ("#ff00ff", 0.5)])
        # The upper zone shows r for 3 s, then g: covered for longer than
        # that, it must still show r (with its time left) afterwards.
        still_schedule(w, [("r", RED, 3), ("g2", GREEN, 60)], [("g", GREEN, 60)],
                       extra_media=[("alert-clip", "media/alert-clip.mp4")])
        doc = document([alert("drill", "warning", title="消防演习", body="请观看",
                              zone="all", media="alert-clip")])
        write_config(w, file_alerts(w, doc))
        trace = w.path("frames.trace")
        proc = w.start(args=["--trace-frames", trace], env=env(w))
        try:
            wait_for_line(w, r"alerts: alert drill: its video plays on the card", 10,
                          "the video starting")
            time.sleep(0.3)
            first = shoot(w, proc, "first")
            time.sleep(0.8)
            second = shoot(w, proc, "second")
            time.sleep(3.0)
            file_alerts(w, document([], version=2))
            wait_for_line(w, r"alerts: alert drill is off the screen", 10, "the withdrawal")
            time.sleep(1.0)
            after = shoot(w, proc, "after")
        finally:
            res = w.stop(proc)
        seen = []
        for img in (first, second):
            rgb = img.median(*box_centre(10))
            seen.append(colour_name(rgb))
        check(None not in seen, f"the media box does not show the video's colours: {seen}")
        check(seen[0] != seen[1], f"the video did not move on between two screenshots 0.8 s "
                                  f"apart: both {seen[0]}")
        # The card's own colour (amber) frames the video.
        expect_colour(first, 4, 4, 8, 8, "#ffb300", "the warning card's corner", 24)
        expect_colour(after, *box_centre(), RED, "the upper zone after the alert", 24)
        check(lines_matching(res.stderr, r"alert drill: video: "),
              f"the video did not go through the video decoder:\n    {res.tail()}")


@suite.test
def own_picture_survives_reboot_offline_and_cache_cleanup(exe):
    with world(exe, "media-reboot") as w, AlertServer() as srv:
        # A schedule over the network, so that its cache clean-up runs.
        sched_png = w.path("sched.png")
        solid(sched_png, RED, 160, 120)
        with open(sched_png, "rb") as f:
            sched = f.read()
        srv.srv.route("/m/sched.png", sched, content_type="image/png")
        srv.srv.route("/manifest.json", doc_bytes(net_manifest(1, [
            media_entry("sched", "m/sched.png", sched)])), content_type="application/json")
        data = poster_bytes(w, CYAN)
        srv.srv.route("/poster.png", data, content_type="image/png")
        srv.publish(document([alert("flood", "emergency", title="积水", body="地库积水",
                                    media=own_media(srv, "/poster.png", data))]))
        # A stray file the clean-up must remove: proof that it ran.
        stray = b"left over from an old schedule"
        os.makedirs(os.path.join(w.cache_dir, "media"), exist_ok=True)
        with open(os.path.join(w.cache_dir, "media", sha256(stray)), "wb") as f:
            f.write(stray)
        w.write_config(extra={
            "schedule": {"url": srv.srv.url("/manifest.json"), "poll_seconds": 1},
            "alerts": {"url": srv.url, "poll_seconds": 1}})
        proc = w.start(env=env(w))
        try:
            wait_for_line(w, r"the media of flood is downloaded and verified", 15,
                          "the download")
            wait_for_line(w, rf"removed {sha256(stray)}", 20, "the cache clean-up")
        finally:
            w.stop(proc)
        kept = os.path.join(w.cache_dir, "media", sha256(data))
        check(os.path.exists(kept), "the cache clean-up deleted the alert's picture")

        srv.stop()
        res = w.run(after=3.0, env=env(w))
        expect_card_around(res.image, "after a reboot without network")
        expect_picture(res.image, CYAN, "after a reboot without network")


if __name__ == "__main__":
    suite.main()
