"""What each terminal shows under "when" and "where" rules (issue 6), from
the frame trace and screenshots: daily windows read in device.timezone,
across midnight and on chosen days; items meant for one building on that
building's terminal only; a campaign playlist outranking the plain items
during its dates and not after; the manifest's fallback item when nothing
is valid; placeholders filled into QR codes, percent-encoded in web
addresses, a missing tag logged once (also when the schedule comes from a
server and its media arrive one by one), and the codes still right after
the schedule file changes.

Rules are written relative to the current time in Asia/Shanghai while the
process's own zone is UTC, so a player that read them in the wrong zone
shows the wrong items.

usage: test_schedule_rules.py PATH-TO-LIANBO [TEST-NAME...]
"""

import re
import time
import urllib.parse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fault_server import FaultServer
from harness import (Suite, World, check, expect_colour, expect_qr, expect_zone_colour,
                     image_item, read_png, solid, zone_rects)
from syncworld import manifest_bytes, media_entry
from videofix import (BLUE, CYAN, GREEN, GREY, MAGENTA, ORANGE, RED, WHITE, YELLOW,
                      describe_runs, run_traced, runs)

suite = Suite()

W, H = 360, 640
ZONES = zone_rects(W, H)
TZ = "Asia/Shanghai"
COLOURS = {"red": RED, "green": GREEN, "blue": BLUE, "yellow": YELLOW,
           "magenta": MAGENTA, "cyan": CYAN, "orange": ORANGE, "white": WHITE,
           "grey": GREY}
PURPLE = "#8000ff"
# The neutral fallback lianbo draws, with the device name, when a zone
# has no fallback item of its own (render/content.c).
DEVICE_NAME_GREY = "#202020"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def shanghai_now():
    """The time in Asia/Shanghai, away from midnight: a test that ran
    across it would see "today" change under it."""
    now = datetime.now(ZoneInfo(TZ))
    left = (24 * 3600 - (now.hour * 3600 + now.minute * 60 + now.second))
    if left < 20:
        time.sleep(left + 1)
        now = datetime.now(ZoneInfo(TZ))
    return now


def hhmm(minutes):
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def window(frm, to):
    return {"from": hhmm(frm), "to": hhmm(to)}


def world(w, upper, lower, device=None, zones_extra=None):
    """Writes solid pictures for every colour, a manifest with UPPER and
    LOWER items, and a config for a terminal in Shanghai (process zone
    UTC). ZONES_EXTRA adds keys (playlists, fallback) to the zones."""
    for name, colour in list(COLOURS.items()) + [("purple", PURPLE)]:
        solid(w.media(f"{name}.png"), colour)
    zones = {"upper": {"items": upper}, "lower": {"items": lower}}
    for zone, extra in (zones_extra or {}).items():
        zones[zone].update(extra)
    w.write_manifest({
        "version": 1,
        "media": [{"id": n, "url": f"media/{n}.png"} for n in list(COLOURS) + ["purple"]],
        "zones": zones})
    dev = {"id": "lb-0302", "timezone": TZ,
           "tags": {"community": "qingyuan", "building": "3"}}
    dev.update(device or {})
    w.write_config(extra={"device": dev})


def item(colour, duration=1, name=None, **rules):
    """An image item showing COLOUR, named after it unless NAME is given,
    with RULES (when, where) as given."""
    return dict(image_item(name or colour, colour, duration=duration), **rules)


def seen_colours(frames, zone):
    """The colour names ZONE showed from its first picture on; None for any
    colour outside the palette, black included."""
    rs = runs(frames, zone, COLOURS)
    while rs and rs[0].name is None and rs[0].item == "(none)":
        rs = rs[1:]
    return {r.name for r in rs}, rs


def expect_seen(frames, zone, want, what):
    got, rs = seen_colours(frames, zone)
    check(got == set(want),
          f"{what}: the {zone} zone should show exactly {sorted(want)}, it showed "
          f"{sorted(got, key=str)}: {describe_runs(rs)}")


def run(w, after):
    return run_traced(w, after, env=w.env(TZ="UTC"))


@suite.test
def dayparting_follows_the_device_time_zone(exe):
    now = shanghai_now()
    n = now.hour * 60 + now.minute
    today = DAYS[now.weekday()]
    yesterday = DAYS[(now.weekday() - 1) % 7]
    # A window across midnight holding now. Before 22:00 now falls in its
    # part after midnight, which belongs to the day it started: yesterday.
    if n < 22 * 60:
        overnight, owner, other = window(n + 120, n + 60), yesterday, today
    else:
        overnight, owner, other = window(n - 60, 60), today, yesterday
    utc = datetime.now(ZoneInfo("UTC"))
    u = utc.hour * 60 + utc.minute
    upper = [
        item("green", when={"times": [window(n - 60, n + 60)]}),
        item("red", when={"times": [window(n + 120, n + 180)]}),
        # Holds now in UTC, eight hours away from Shanghai.
        item("magenta", when={"times": [window(u - 30, u + 30)]}),
        item("blue", when={"times": [overnight]}),
        item("white", when={"times": [overnight], "days": [owner]}),
        item("orange", when={"times": [overnight], "days": [other]}),
    ]
    lower = [
        item("cyan", when={"days": [today.upper()]}),
        item("yellow", when={"days": [d for d in DAYS if d != today]}),
        item("grey", when={"days": [today], "times": [window(n - 60, n + 60)],
                           "dates": {"from": now.date().isoformat(),
                                     "to": now.date().isoformat()}}),
        # A misspelt key: the rule it is in never holds.
        item("magenta", name="typo", when={"days": [today], "tims": [window(0, 0)]}),
    ]
    with World(exe, "sched-daypart") as w:
        world(w, upper, lower)
        res, frames = run(w, 4.5)
        what = (f"Shanghai time {now:%a %H:%M}, overnight window {overnight} "
                f"started {owner}")
        expect_seen(frames, "upper", {"green", "blue", "white"}, what)
        expect_seen(frames, "lower", {"cyan", "grey"}, what)
        typo = [ln for ln in res.log_lines("warn")
                if re.search(r"\.json:\d+:\d+: zones\.lower\.items\[3\]\.when\.tims: "
                             r"unknown key", ln)]
        check(len(typo) == 1, "the misspelt key should be logged once, with where it is:\n    "
              + "\n    ".join(res.log_lines("warn")))


@suite.test
def tags_choose_each_terminals_items(exe):
    upper = [
        item("red", where={"include": {"building": ["3"]}}),
        item("green", where={"include": {"building": ["5"]}}),
        # No terminal here has a unit tag: included nowhere.
        item("magenta", where={"include": {"unit": ["3-101"]}}),
    ]
    lower = [
        item("blue", where={"exclude": {"building": ["3"]}}),
        item("yellow", where={"include": {"community": ["qingyuan"]},
                              "exclude": {"building": ["5"]}}),
        item("cyan", where={"exclude": {"device": ["lb-0302"]}}),
        # A missing tag excludes nothing.
        item("white", where={"include": {"community": ["qingyuan"]},
                             "exclude": {"unit": ["3-101"]}}),
    ]
    terminals = {
        "3": ("lb-0302", {"red"}, {"yellow", "white"}),
        "5": ("lb-0502", {"green"}, {"blue", "cyan", "white"}),
    }
    for building, (device_id, want_upper, want_lower) in terminals.items():
        with World(exe, f"sched-tags-{building}") as w:
            world(w, upper, lower, device={
                "id": device_id, "tags": {"community": "qingyuan", "building": building}})
            res, frames = run(w, 3.5)
            what = f"terminal {device_id} in building {building}"
            expect_seen(frames, "upper", want_upper, what)
            expect_seen(frames, "lower", want_lower, what)


@suite.test
def campaign_playlist_outranks_plain_items_only_during_its_dates(exe):
    today = shanghai_now().date()
    past = {"dates": {"from": (today - timedelta(days=7)).isoformat(),
                      "to": (today - timedelta(days=1)).isoformat()}}
    current = {"dates": {"from": (today - timedelta(days=1)).isoformat(),
                         "to": (today + timedelta(days=1)).isoformat()}}
    never_now = {"times": [window(0, 1)] if shanghai_now().hour else [window(720, 721)]}
    upper_lists = [
        {"id": "christmas", "priority": 10, "when": current,
         "items": [item("red"), item("yellow", when=never_now)]},
        {"id": "last-week", "priority": 20, "when": past, "items": [item("magenta")]},
    ]
    lower_lists = [
        {"id": "ended", "priority": 10, "when": past, "items": [item("cyan")]},
        # Valid dates, but for another building.
        {"id": "elsewhere", "priority": 30, "when": current,
         "where": {"include": {"building": ["5"]}}, "items": [item("orange")]},
    ]
    with World(exe, "sched-priority") as w:
        world(w, [item("green"), item("white")], [item("blue")],
              zones_extra={"upper": {"playlists": upper_lists},
                           "lower": {"playlists": lower_lists}})
        res, frames = run(w, 3.5)
        expect_seen(frames, "upper", {"red"}, "campaign christmas valid today")
        expect_seen(frames, "lower", {"blue"}, "campaigns ended or for another building")
        expect_zone_colour(res.image, ZONES["upper"], RED, "upper zone, campaign")
        expect_zone_colour(res.image, ZONES["lower"], BLUE, "lower zone, plain items")


@suite.test
def nothing_valid_shows_the_manifests_fallback(exe):
    today = shanghai_now().date()
    ended = {"dates": {"to": (today - timedelta(days=1)).isoformat()}}
    upper = [item("red", when=ended), item("green", when=ended)]
    lower = [item("blue", where={"include": {"building": ["5"]}})]
    desk = "https://example.org/desk?b={tag.building}&t={device.id}"
    with World(exe, "sched-fallback") as w:
        world(w, upper, lower, zones_extra={
            "upper": {"fallback": {"type": "text", "title": "清源小区",
                                   "body": "物业服务中心 8:00-18:00", "bg": PURPLE}},
            "lower": {"fallback": {"type": "qr", "qr": desk, "caption": "{tag.building}号楼"}},
        })
        res, frames = run(w, 2.5)
        ux, uy, uw, uh = ZONES["upper"]
        # The zone's median, which the title and body do not reach.
        expect_colour(res.image, ux, uy, uw, uh, PURPLE,
                      "upper zone: the manifest's text fallback, not the device name on "
                      f"{DEVICE_NAME_GREY}")
        for zone in ("upper", "lower"):
            shown = [fr.zones[zone][0] for fr in frames]
            while shown and shown[0] == "(none)":
                shown.pop(0)
            check(shown and set(shown) == {"(fallback)"},
                  f"the {zone} zone should show only its fallback once it shows anything, "
                  f"the trace names {shown}")
        expect_qr(res.image.crop(*ZONES["lower"]),
                  "https://example.org/desk?b=3&t=lb-0302",
                  "lower zone: the fallback QR code with the building filled in")
        check(re.search(r"upper: nothing playable; showing the fallback", res.stderr),
              "the fallback was not logged:\n    " + res.tail())


def read(path):
    with open(path, "rb") as f:
        return f.read()


def placeholder_manifest(version):
    report = "https://example.org/report?b={tag.building}&c={tag.community}&d={device.id}"
    return {"version": version, "zones": {
        "upper": {"items": [
            {"id": "plain", "type": "qr", "qr": "楼 {tag.building} 单元 {{tag.unit}}",
             "duration": 30},
            {"id": "notice", "type": "text", "title": "{tag.community}",
             "body": "{tag.building} 单元 {tag.unit}", "duration": 30}]},
        "lower": {"items": [
            {"id": "report", "type": "qr", "qr": report, "caption": "{tag.building} 报修",
             "duration": 30 + version}]}}}


PLACEHOLDER_TAGS = {"community": "清源 小区", "building": "三号楼"}


def expected_report_url():
    enc = {k: urllib.parse.quote(v, safe="") for k, v in PLACEHOLDER_TAGS.items()}
    return (f"https://example.org/report?b={enc['building']}&c={enc['community']}"
            f"&d=lb-0302")


def expect_placeholder_qrs(img, when):
    expect_qr(img.crop(*ZONES["upper"]), "楼 三号楼 单元 {tag.unit}",
              f"upper QR {when}: tag filled in as written, doubled braces literal")
    expect_qr(img.crop(*ZONES["lower"]), expected_report_url(),
              f"lower QR {when}: a web address with the tags percent-encoded")


def tag_warnings(res, tag):
    return [ln for ln in res.log_lines("warn") if f'no tag "{tag}"' in ln]


@suite.test
def placeholders_fill_qr_codes_and_text(exe):
    with World(exe, "sched-placeholders") as w:
        w.write_manifest(placeholder_manifest(1))
        w.write_config(extra={"device": {"id": "lb-0302", "timezone": TZ,
                                         "tags": PLACEHOLDER_TAGS}})
        res = w.run(after=1.5, env=w.env(TZ="UTC"))
        expect_placeholder_qrs(res.image, "at start")
        check(len(tag_warnings(res, "unit")) == 1,
              "the missing tag \"unit\" should be logged once, naming the tag:\n    "
              + "\n    ".join(res.log_lines("warn")))
        others = [ln for ln in res.log_lines("warn")
                  if re.search(r"community|building|placeholder", ln)]
        check(not others, "warnings about tags the terminal has:\n    " + "\n    ".join(others))


@suite.test
def placeholders_from_a_server_warn_once(exe):
    with World(exe, "sched-placeholders-http") as w:
        m = placeholder_manifest(1)
        media = []
        for name in ("red", "green", "blue"):
            data = read(solid(w.media(f"{name}.png"), COLOURS[name]))
            media.append((name, data))
        m["media"] = [media_entry(n, f"{n}.png", d) for n, d in media]
        m["zones"]["upper"]["items"] += [item(n, duration=30) for n, _ in media]
        with FaultServer() as srv:
            srv.route("/manifest.json", manifest_bytes(m))
            for n, d in media:
                srv.route(f"/{n}.png", d)
            w.write_config(extra={
                "device": {"id": "lb-0302", "timezone": TZ, "tags": PLACEHOLDER_TAGS},
                "schedule": {"url": srv.url("/manifest.json"), "poll_seconds": 1}})
            res = w.run(after=3, env=w.env(TZ="UTC"))
        expect_placeholder_qrs(res.image, "from the server")
        check(re.search(r'media "blue" downloaded and verified', res.stderr),
              "the media were not all downloaded:\n    " + res.tail())
        check(len(tag_warnings(res, "unit")) == 1,
              "one schedule from the server: the missing tag \"unit\" should be logged "
              "once, not once per media download:\n    "
              + "\n    ".join(res.log_lines("warn") + res.log_lines("info")[-8:]))


@suite.test
def placeholders_stay_right_after_the_schedule_file_changes(exe):
    with World(exe, "sched-placeholders-change") as w:
        w.write_manifest(placeholder_manifest(1))
        w.write_config(extra={
            "device": {"id": "lb-0302", "timezone": TZ, "tags": PLACEHOLDER_TAGS},
            "schedule": {"url": "file://" + w.manifest_path, "poll_seconds": 1}})
        shot = w.path("screen.png")
        proc = w.start(args=["--screenshot", shot, "--after", "4"], env=w.env(TZ="UTC"))
        time.sleep(1.5)
        # Version 2 changes only the lower item's duration.
        w.write_manifest(placeholder_manifest(2))
        proc.wait(timeout=40)
        res = w.stop(proc)
        check(res.returncode == 0, f"lianbo exited with {res.returncode}:\n    {res.tail()}")
        check(re.search(r"version 2", res.stderr),
              "the changed schedule file was not read again:\n    " + res.tail())
        expect_placeholder_qrs(read_png(shot), "after the file changed")
        bad = [ln for ln in res.log_lines("warn") if "placeholder" in ln]
        check(not bad, "text that was never a placeholder is reported as one after the "
                       "change:\n    " + "\n    ".join(bad))


if __name__ == "__main__":
    suite.main()
