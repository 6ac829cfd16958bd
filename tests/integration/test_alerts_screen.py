"""Breaking alerts as a person in the lobby sees them: an emergency takes
the whole terminal (both zones, both screens) in white on deep red with
its QR code; a warning takes one zone in black on amber and leaves the
other zone alone; an info alert crawls as a ticker along the bottom of
its zone, right to left at the configured speed, also when its text is
far wider than any texture. Several alerts: the highest level wins.

usage: test_alerts_screen.py PATH-TO-LIANBO [TEST-NAME...]
"""

import re
import signal
import time

from alertfix import (EMERGENCY_BG, GREEN, H, RED, TICKER_BG, W, WARNING_BG, alert,
                      best_shift, bright_columns, corners, doc_bytes, document, env,
                      line_time, lines_matching, on_screen_pattern,
                      share_near, still_schedule, wait_for_line, world, write_config)
from harness import Suite, check, expect_colour, expect_qr, read_png, zone_rects

suite = Suite()

ZONES = zone_rects(W, H)

# The ticker band: 12% of the zone's height, at least 40 px (overlay.c).
BAND_H = max(int(ZONES["lower"][3] * 0.12), 40)


def file_alerts(w, doc):
    """Writes DOC next to the world and returns its file:// URL: what is
    drawn does not depend on how the document came."""
    path = w.path("alerts.json")
    with open(path, "wb") as f:
        f.write(doc_bytes(doc))
    return "file://" + path


def two_colour_world(w, doc, display=None, **cfg):
    """Upper zone red, lower zone green, alerts from DOC."""
    still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)])
    write_config(w, file_alerts(w, doc), display=display, **cfg)


def expect_corners(img, rect, colour, what, tol=24):
    for box in corners(rect):
        expect_colour(img, *box, colour, f"{what}, corner box {box}", tol)


def expect_covered(img, rect, colour, what, min_share=0.55):
    """Most of RECT is COLOUR (the card's background; the rest is its
    words and QR code), and its four corners are."""
    expect_corners(img, rect, colour, what)
    share = share_near(img, rect, colour)
    check(share >= min_share,
          f"{what}: only {share:.0%} of the zone {rect} is {colour}; a card covers the zone")


def expect_untouched(img, rect, colour, what):
    """RECT shows its item and nothing of any alert."""
    share = share_near(img, rect, colour)
    check(share >= 0.99, f"{what}: only {share:.1%} of the zone {rect} shows its item "
                         f"colour {colour}; no alert should touch it")


def ink(img, rect, colour, tol=60):
    """How many pixels of RECT are COLOUR: the card's words."""
    return share_near(img, rect, colour, tol) * rect[2] * rect[3]


def expect_logged_once(res, aid):
    hits = lines_matching(res.stderr, on_screen_pattern(aid))
    check(len(hits) == 1, f"expected one 'alert {aid} on screen' line, found {len(hits)}:\n"
                          f"    {res.tail()}")


def expect_not_drawn(res, aid):
    hits = lines_matching(res.stderr, on_screen_pattern(aid))
    check(not hits, f"alert {aid} should never have been drawn: {hits}")


@suite.test
def emergency_covers_both_zones_with_its_qr_code(exe):
    with world(exe, "emergency") as w:
        two_colour_world(w, document([
            alert("storm", "emergency", title="暴雨红色预警",
                  body="今晚 20 时至明晨 6 时有特大暴雨。请勿外出。",
                  qr="https://example.org/weather/rainstorm")]))
        res = w.run(after=2.5, env=env(w))
        img = res.image
        for zone in ("upper", "lower"):
            expect_covered(img, ZONES[zone], EMERGENCY_BG, f"emergency over the {zone} zone")
        check(share_near(img, (0, 0, W, H), RED, 30) < 0.001 and
              share_near(img, (0, 0, W, H), GREEN, 30) < 0.001,
              "pieces of the zones' pictures show through the emergency card")
        # White words, large enough to read across a lobby.
        words = ink(img, (0, 0, W, H), "#ffffff", 40)
        check(words > 3000, f"the emergency card shows almost no white text "
                            f"({words:.0f} white pixels)")
        expect_qr(img, "https://example.org/weather/rainstorm", "the emergency card")
        expect_logged_once(res, "storm")


@suite.test
def emergency_covers_both_screens(exe):
    with world(exe, "emergency-dual") as w:
        two_colour_world(w, document([alert("fire", "emergency", title="火警",
                                            body="请从楼梯疏散")]),
                         display={"layout": "dual", "width": 320, "height": 240})
        res = w.run(after=2.5, env=env(w))
        img = res.image
        check((img.width, img.height) == (320, 480),
              f"two 320x240 screens stacked should make a 320x480 shot, got "
              f"{img.width}x{img.height}")
        expect_covered(img, (0, 0, 320, 240), EMERGENCY_BG, "emergency on the upper screen")
        expect_covered(img, (0, 240, 320, 240), EMERGENCY_BG, "emergency on the lower screen")


@suite.test
def warning_takes_only_its_zone(exe):
    cases = [
        ("default", None, ["upper"], ["lower"]),
        ("lower", "lower", ["lower"], ["upper"]),
        ("all", "all", ["upper", "lower"], []),
    ]
    item = {"upper": RED, "lower": GREEN}
    for name, zone, covered, free in cases:
        with world(exe, f"warning-{name}") as w:
            two_colour_world(w, document([alert("lift", "warning", title="3 号楼电梯停用",
                                                body="维修期间请走楼梯", zone=zone)]))
            res = w.run(after=2.5, env=env(w))
            img = res.image
            for z in covered:
                what = f"warning with zone {name} over the {z} zone"
                expect_covered(img, ZONES[z], WARNING_BG, what)
                check(ink(img, ZONES[z], "#000000") > 500,
                      f"{what}: the amber card has no black words on it")
            for z in free:
                expect_untouched(img, ZONES[z], item[z],
                                 f"warning with zone {name}: the {z} zone")
            expect_logged_once(res, "lift")


def band_rect(zone):
    x, y, w, h = ZONES[zone]
    return (x, y + h - BAND_H, w, BAND_H)


def expect_ticker_band(img, zone, item_colour, what):
    """The band along the bottom of ZONE is the ticker's blue with white
    text on it, and the zone above it still shows its item."""
    x, y, w, h = band_rect(zone)
    # The text sits in the band's middle: its top and bottom rows are
    # bare band.
    for row in (y + 1, y + h - 2):
        share = share_near(img, (x, row, w, 1), TICKER_BG, 12)
        check(share >= 0.98, f"{what}: row {row} of the ticker band is only {share:.0%} "
                             f"{TICKER_BG}")
    check(ink(img, (x, y, w, h), "#ffffff", 50) > 100,
          f"{what}: no white text in the ticker band {(x, y, w, h)}")
    above = share_near(img, (x, y - 6, w, 5), item_colour, 12)
    check(above >= 0.99, f"{what}: just above the band the zone should show its item "
                         f"{item_colour}; only {above:.0%} does (band too tall?)")
    zx, zy, zw, zh = ZONES[zone]
    rest = share_near(img, (zx, zy, zw, zh - BAND_H), item_colour, 12)
    check(rest >= 0.99, f"{what}: the zone above the band is only {rest:.1%} its item "
                        f"colour {item_colour}")


def usr1_shot(w, proc, n):
    """Sends SIGUSR1 and waits for the Nth (from 0) screenshot line; returns
    (picture, time stamp of the line in seconds since midnight)."""
    proc.send_signal(signal.SIGUSR1)
    line = wait_for_line(w, r"player: screenshot written to ", 10, "SIGUSR1 screenshot",
                         after=n)
    path = re.search(r"screenshot written to (\S+\.png)$", line).group(1)
    return read_png(path), line_time(line)


@suite.test
def ticker_crawls_right_to_left_at_its_speed(exe):
    speed = 150  # not the default 120, so the setting must be read
    with world(exe, "ticker") as w:
        two_colour_world(w, document([alert("road", "info", title="交通提示",
                                            body="青园路封闭 ROAD CLOSED")]),
                         speed=speed, ticker_zone="lower")
        proc = w.start(env=env(w))
        try:
            wait_for_line(w, r"alerts: ticker on the lower zone: 交通提示  青园路封闭 ROAD CLOSED$",
                          10, "the info alert's ticker")
            time.sleep(0.8)
            img1, t1 = usr1_shot(w, proc, 0)
            time.sleep(1.1)
            img2, t2 = usr1_shot(w, proc, 1)
        finally:
            res = w.stop(proc)
        check(proc.returncode == 0, f"lianbo exited with {proc.returncode}:\n    {res.tail()}")
        for img, when in ((img1, "first"), (img2, "second")):
            expect_ticker_band(img, "lower", GREEN, f"{when} screenshot")
            expect_untouched(img, ZONES["upper"], RED, f"{when} screenshot: the upper zone")
        band = band_rect("lower")
        before, after = bright_columns(img1, band), bright_columns(img2, band)
        # Either way: a text going the wrong way shows as a rightward shift.
        left, left_match = best_shift(before, after, W - 1)
        right, right_match = best_shift(after, before, W - 1)
        dt = t2 - t1
        want = speed * dt
        print(f"     ticker moved {left} px left in {dt:.3f} s "
              f"({left / dt:.0f} px/s; configured {speed})", flush=True)
        check(left_match >= 0.8 and left_match > right_match and left > 0,
              f"the ticker text did not move left between the screenshots (best leftward "
              f"shift {left} px matches {left_match:.0%}, rightward {right} px "
              f"{right_match:.0%})")
        check(abs(left - want) <= max(0.25 * want, 20),
              f"the ticker moved {left} px in {dt:.3f} s; at {speed} px/s it should move "
              f"about {want:.0f} px")


@suite.test
def ticker_far_wider_than_a_texture_scrolls_without_gaps(exe):
    # 1200 wide characters at 24 px are about 29000 px: far more than the
    # 8192 px the player allows a texture. At 2000 px/s the screenshots 5
    # to 7 s in show the text 10000 to 14000 px along.
    text = "".join("暴雨预警请勿外出远离车库"[i % 12] for i in range(1200))
    with world(exe, "ticker-long") as w:
        two_colour_world(w, document([alert("long", "info", title="", body=text)]),
                         speed=2000, ticker_zone="lower")
        proc = w.start(env=env(w))
        shots = []
        try:
            line = wait_for_line(w, r"alerts: ticker on the lower zone: ", 15,
                                 "the long ticker")
            # The log cuts a long line short; what it shows must be the
            # alert's text.
            said = line.split("lower zone: ", 1)[1].rstrip("\ufffd")
            check(len(said) > 100 and text.startswith(said),
                  f"the ticker says something else than the alert: {line[:200]}")
            time.sleep(5)
            for n in range(4):
                shots.append(usr1_shot(w, proc, n)[0])
                time.sleep(0.45)
        finally:
            res = w.stop(proc)
        check(proc.returncode == 0, f"lianbo exited with {proc.returncode}:\n    {res.tail()}")
        band = band_rect("lower")
        for n, img in enumerate(shots):
            cols = bright_columns(img, band, 150)
            inked = [x for x, c in enumerate(cols) if c]
            check(inked, f"screenshot {n}: the ticker band is empty 5 s or more into a "
                         f"text about 29000 px wide")
            # Dense Chinese text leaves no blank stretch wider than the gap
            # between two characters; a seam between two pieces of the text
            # would.
            gaps = [b - a - 1 for a, b in zip(inked, inked[1:])]
            edge = [inked[0], W - 1 - inked[-1]]
            widest = max(gaps + edge)
            check(widest <= 16, f"screenshot {n}: a blank stretch of {widest} px in the "
                                f"ticker text (inked columns {inked[0]}..{inked[-1]})")


@suite.test
def ticker_in_the_upper_zone(exe):
    with world(exe, "ticker-upper") as w:
        two_colour_world(w, document([alert("water", "info", title="停水通知",
                                            body="明天 9 点至 12 点停水", zone="upper")]),
                         ticker_zone="lower")
        res = w.run(after=3, env=env(w))
        expect_ticker_band(res.image, "upper", RED, "info alert with zone upper")
        expect_untouched(res.image, ZONES["lower"], GREEN, "info alert with zone upper: "
                                                           "the lower zone")


@suite.test
def highest_level_wins(exe):
    with world(exe, "priority") as w:
        # A warning and an info alert for the lower zone: the warning
        # hides the ticker. Then an emergency joins two warnings: it takes
        # everything and neither warning is drawn.
        two_colour_world(w, document([
            alert("road", "info", title="交通提示", body="青园路封闭"),
            alert("lift", "warning", title="电梯停用", zone="lower"),
        ]))
        res = w.run(after=2.5, env=env(w))
        expect_untouched(res.image, ZONES["upper"], RED, "warning + info: the upper zone")
        expect_covered(res.image, ZONES["lower"], WARNING_BG, "warning + info: the lower zone",
                       min_share=0.7)
        check(share_near(res.image, band_rect("lower"), TICKER_BG, 12) < 0.01,
              "warning + info: the ticker shows through the warning card")
        check(not lines_matching(res.stderr, r"alerts: ticker on the"),
              "warning + info: a ticker was drawn in a zone the warning covers:\n    "
              + res.tail())

        with open(w.path("alerts.json"), "wb") as f:
            f.write(doc_bytes(document([
                alert("lift", "warning", title="电梯停用", zone="lower"),
                alert("fire", "emergency", title="火警", body="请从楼梯疏散"),
                alert("lift-2", "warning", title="2 号楼电梯停用"),
            ])))
        res = w.run(after=2.5, env=env(w))
        for zone in ("upper", "lower"):
            expect_covered(res.image, ZONES[zone], EMERGENCY_BG,
                           f"emergency + warnings: the {zone} zone")
        expect_logged_once(res, "fire")
        expect_not_drawn(res, "lift")
        expect_not_drawn(res, "lift-2")


if __name__ == "__main__":
    suite.main()
