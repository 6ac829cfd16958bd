"""A schedule change seen from in front of the screen (issue 6): an item
removed from the manifest on the server leaves within one poll, not after
its 30-second slot; an item whose time window ends leaves on the minute,
and one whose window starts takes over from the fallback on the same
minute; a campaign whose media is still downloading leaves the plain
items on screen until it is ready, and a zone whose only item is still
downloading shows the manifest's fallback meanwhile.

The frame trace (--trace-frames) is followed while lianbo runs, so each
colour is timed by when the test itself saw it presented: an upper bound
on how late it came.

usage: test_schedule_change.py PATH-TO-LIANBO [TEST-NAME...]
"""

import glob
import os
import re
import signal
import struct
import time
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fault_server import FaultServer
from harness import (PNG_SIGNATURE, RUN_GRACE, Suite, TestFailure, World, check,
                     expect_colour, expect_zone_colour, hex_rgb, image_item, png_chunk,
                     read_png, solid, zone_rects)
from syncworld import manifest_bytes, media_entry
from videofix import (BLUE, GREEN, RED, TRACE_ZONE, Frame, MachineWatch, check_timing,
                      classify, describe_runs, machine_stalls, read_trace,
                      retry_if_machine_stalled, runs)

suite = Suite()

W, H = 360, 640
ZONES = zone_rects(W, H)
TZ = "Asia/Shanghai"
PURPLE = "#8000ff"
PALETTE = {"red": RED, "green": GREEN, "blue": BLUE, "purple": PURPLE}

# Seconds from a change on the server to the new picture on screen: one
# poll (1 s, varied by up to 10%), the fetch and the switch.
ONE_POLL_S = 2.5

# Seconds from a window's edge to the new picture: the schedule is looked
# at once a second.
EDGE_S = 2.0

# How much earlier than a window's edge a change may be seen: the test's
# own reading of the clocks.
EARLY_S = 0.1


def stored_png(width, height, rgb):
    """A one-colour PNG whose pixels are stored, not compressed."""
    raw = zlib.compress((b"\x00" + bytes(rgb) * width) * height, 0)
    return (PNG_SIGNATURE
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", raw) + png_chunk(b"IEND", b""))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def config(w, url, device=None, **schedule):
    dev = {"id": "lb-0302", "timezone": TZ, "tags": {"building": "3"}}
    dev.update(device or {})
    sched = {"url": url, "poll_seconds": 1, "connect_timeout_s": 2, "timeout_s": 3}
    sched.update(schedule)
    return w.write_config(extra={"device": dev, "schedule": sched})


def faketime_env(w, faketime):
    """The environment that runs lianbo under libfaketime with FAKETIME;
    the monotonic clock, which paces frames, stays real."""
    libs = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") +
                  glob.glob("/usr/lib/faketime/libfaketimeMT.so.1"))
    if not libs:
        raise TestFailure("libfaketime is not installed (apt-get install faketime)")
    env = w.env(LD_PRELOAD=libs[0], FAKETIME=faketime, FAKETIME_DONT_FAKE_MONOTONIC="1")
    # AddressSanitizer wants to be the first library loaded.
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    return env


class LiveTrace:
    """Follows the frame trace of a running lianbo and notes, for each
    frame, the time.monotonic() at which the test first read it."""

    def __init__(self, w, proc, path):
        self.w, self.proc, self.path = w, proc, path
        self.frames, self.seen = [], []
        self._offset, self._partial = 0, ""

    def poll(self):
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            f.seek(self._offset)
            text = f.read()
            self._offset = f.tell()
        now = time.monotonic()
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            fields = line.split()
            zones = {}
            for field in fields[1:]:
                m = TRACE_ZONE.match(field)
                check(m, f"cannot read {field!r} in the frame trace")
                zones[m.group(1)] = (m.group(2), hex_rgb(m.group(3)))
            self.frames.append(Frame(float(fields[0]), zones))
            self.seen.append(now)

    def colour(self, i, zone):
        return classify(self.frames[i].zones[zone][1], PALETTE)

    def wait_for(self, zone, name, timeout, what):
        """Waits until ZONE shows colour NAME; returns when it was seen."""
        end = time.monotonic() + timeout
        while True:
            self.poll()
            for i in range(len(self.frames)):
                if self.colour(i, zone) == name:
                    return self.seen[i]
            if self.proc.poll() is not None:
                raise TestFailure(f"lianbo exited before {what}:\n    "
                                  + self.w.stop(self.proc).tail())
            if time.monotonic() > end:
                check_timing(False, f"{what}: not seen within {timeout} s; the {zone} zone "
                             f"showed {describe_runs(runs(self.frames, zone, PALETTE))}")
            time.sleep(0.01)

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.poll()
            time.sleep(0.01)


def run_live(w, after, scenario, env=None):
    """Runs lianbo with a frame trace and a screenshot after AFTER seconds;
    SCENARIO(live) acts while it runs. Returns (result, frames, screenshot)."""
    trace, shot = w.path("frames.trace"), w.path("screen.png")
    with MachineWatch() as watch:
        proc = w.start(args=["--trace-frames", trace, "--screenshot", shot,
                             "--after", str(after)], env=env)
        try:
            scenario(LiveTrace(w, proc, trace))
            proc.wait(timeout=after + RUN_GRACE)
        finally:
            machine_stalls.extend(watch.stalls)
            res = w.stop(proc)
    check(res.returncode == 0, f"lianbo exited with {res.returncode}:\n    {res.tail()}")
    check(os.path.exists(shot), f"lianbo wrote no screenshot:\n    {res.tail()}")
    return res, read_trace(trace), read_png(shot)


def from_first(rs, name):
    """The runs from the first one of colour NAME on: before it the zone
    shows nothing yet."""
    for i, r in enumerate(rs):
        if r.name == name:
            return rs[i:]
    return []


def expect_runs(frames, zone, names, what):
    """From its first picture on, ZONE shows exactly the colours NAMES, in
    that order: nothing else, and nothing black, in between."""
    rs = from_first(runs(frames, zone, PALETTE), names[0])
    check([r.name for r in rs] == names,
          f"{what}: the {zone} zone should show {' then '.join(names)}, "
          f"it showed {describe_runs(runs(frames, zone, PALETTE))}")


def log_lines_matching(res, pattern):
    return [ln for ln in res.log_lines() if re.search(pattern, ln)]


@suite.test
@retry_if_machine_stalled
def removed_item_leaves_within_one_poll(exe):
    with World(exe, "sched-remove") as w:
        red = read(solid(w.media("red.png"), RED))
        green = read(solid(w.media("green.png"), GREEN))
        blue = read(solid(w.media("blue.png"), BLUE))
        media = [media_entry("red", "media/red.png", red),
                 media_entry("green", "media/green.png", green),
                 media_entry("blue", "media/blue.png", blue)]

        def version(n, upper):
            return {"version": n, "media": media, "zones": {
                "upper": {"items": upper},
                "lower": {"items": [image_item("blue", "blue")]}}}

        long_red = image_item("red", "red", duration=30)
        green_item = image_item("green", "green", duration=30)
        times = {}
        with FaultServer() as srv:
            srv.route("/b7/manifest.json", manifest_bytes(version(1, [long_red, green_item])),
                      etag='"v1"')
            for name, data in (("red", red), ("green", green), ("blue", blue)):
                srv.route(f"/b7/media/{name}.png", data)
            config(w, srv.url("/b7/manifest.json"))

            def scenario(live):
                live.wait_for("upper", "red", 8, "the red item")
                # Well into red's 30-second slot, and past the first polls.
                live.sleep(1.5)
                srv.route("/b7/manifest.json", manifest_bytes(version(2, [green_item])),
                          etag='"v2"')
                times["change"] = time.monotonic()
                times["green"] = live.wait_for("upper", "green", 8,
                                               "green after red was removed")

            res, frames, shot = run_live(w, 9, scenario)
            polls = [(round(r.time - times["change"], 2), r.status)
                     for r in srv.requests("/b7/manifest.json")]

        late = times["green"] - times["change"]
        check_timing(late <= ONE_POLL_S,
                     f"red stayed {late:.2f} s after it was removed from the manifest "
                     f"(at most {ONE_POLL_S} s: one 1 s poll); manifest requests "
                     f"(seconds after the change, status): {polls}")
        expect_runs(frames, "upper", ["red", "green"], "red removed")
        expect_zone_colour(shot, ZONES["upper"], GREEN, "upper zone at the end")
        expect_zone_colour(shot, ZONES["lower"], BLUE, "lower zone at the end")
        check(log_lines_matching(res, r"upper: red is not in the new schedule; replacing it"),
              "no log line says red was replaced:\n    " + res.tail())
        print(f"     red gone {late:.2f} s after the change", flush=True)


def next_edge(now_real, lead):
    """(offset, edge): a whole number of seconds OFFSET to add to the clock
    so that the faked clock reaches a minute boundary EDGE (a time_t of the
    faked clock) about LEAD seconds after NOW_REAL."""
    target = int(now_real + lead)
    offset = -target % 60
    return offset, target + offset


def hhmm(t):
    return datetime.fromtimestamp(t, ZoneInfo(TZ)).strftime("%H:%M")


@suite.test
@retry_if_machine_stalled
def window_end_and_start_switch_on_the_minute(exe):
    with World(exe, "sched-edge") as w:
        for name, colour in (("red", RED), ("green", GREEN), ("blue", BLUE),
                             ("purple", PURPLE)):
            solid(w.media(f"{name}.png"), colour)
        lead = 5
        start_real = time.time()
        offset, edge = next_edge(start_real, lead)
        edge_mono = time.monotonic() + (edge - offset - start_real)
        before = {"times": [{"from": hhmm(edge - 600), "to": hhmm(edge)}]}
        after = {"times": [{"from": hhmm(edge), "to": hhmm(edge + 600)}]}
        red = dict(image_item("red", "red", duration=30), when=before)
        blue = dict(image_item("blue", "blue", duration=30), when=after)
        w.write_manifest({
            "version": 1,
            "media": [{"id": n, "url": f"media/{n}.png"}
                      for n in ("red", "green", "blue", "purple")],
            "zones": {
                "upper": {"items": [red, image_item("green", "green", duration=30)]},
                "lower": {"items": [blue], "fallback": {"type": "image", "media": "purple"}},
            }})
        config(w, "file://" + w.manifest_path)
        seen = {}

        def scenario(live):
            live.wait_for("upper", "red", lead - 1, "red, before its window ends")
            live.wait_for("lower", "purple", lead - 1, "the fallback, before blue's window")
            seen["green"] = live.wait_for("upper", "green", lead + 6, "green after red's window")
            seen["blue"] = live.wait_for("lower", "blue", lead + 6, "blue in its window")

        res, frames, shot = run_live(w, lead + 4, scenario,
                                     env=faketime_env(w, f"+{offset}"))
        for zone, name in (("upper", "green"), ("lower", "blue")):
            late = seen[name] - edge_mono
            check(late >= -EARLY_S,
                  f"{name} came {-late:.2f} s before {hhmm(edge)}:\n    {res.tail()}")
            check_timing(late <= EDGE_S,
                         f"{name} came {late:.2f} s after {hhmm(edge)} (at most {EDGE_S} s)"
                         f"; the {zone} zone showed "
                         f"{describe_runs(runs(frames, zone, PALETTE))}")
            print(f"     {zone}: {name} {late:+.2f} s after {hhmm(edge)}", flush=True)
        expect_runs(frames, "upper", ["red", "green"], f"red's window ends at {hhmm(edge)}")
        expect_runs(frames, "lower", ["purple", "blue"],
                    f"blue's window starts at {hhmm(edge)}")
        expect_zone_colour(shot, ZONES["upper"], GREEN, "upper zone at the end")
        expect_zone_colour(shot, ZONES["lower"], BLUE, "lower zone at the end")
        check(log_lines_matching(res, r"upper: red is not scheduled now; replacing it"),
              "no log line says red left at the end of its window:\n    " + res.tail())


@suite.test
@retry_if_machine_stalled
def campaign_and_items_wait_for_their_media(exe):
    with World(exe, "sched-slow-media") as w:
        green = read(solid(w.media("green.png"), GREEN))
        # Large enough to take seconds at the drip rate.
        campaign = stored_png(800, 600, hex_rgb(RED))
        lift = stored_png(800, 600, hex_rgb(BLUE))
        check(len(campaign) > 1_000_000, f"the big pictures are only {len(campaign)} bytes")
        today = datetime.now(ZoneInfo(TZ)).date()
        dates = {"from": (today - timedelta(days=1)).isoformat(),
                 "to": (today + timedelta(days=1)).isoformat()}
        m = {"version": 1,
             "media": [media_entry("green", "green.png", green),
                       media_entry("campaign", "campaign.png", campaign),
                       media_entry("lift", "lift.png", lift)],
             "zones": {
                 "upper": {"items": [image_item("plain", "green")],
                           "playlists": [{"id": "campaign", "priority": 10,
                                          "when": {"dates": dates},
                                          "items": [image_item("sale", "campaign")]}]},
                 "lower": {"items": [image_item("lift", "lift")],
                           "fallback": {"type": "text", "title": "清源小区",
                                        "body": "物业服务中心", "bg": PURPLE}}}}
        seen = {}
        with FaultServer() as srv:
            srv.route("/manifest.json", manifest_bytes(m))
            srv.route("/green.png", green)
            srv.route("/campaign.png", campaign, rate=500_000)
            srv.route("/lift.png", lift, rate=500_000)
            config(w, srv.url("/manifest.json"))

            def scenario(live):
                seen["green"] = live.wait_for("upper", "green", 6,
                                              "the plain item while the campaign downloads")
                seen["middle"] = screenshot_now(w, live)
                seen["red"] = live.wait_for("upper", "red", 12, "the campaign once ready")
                seen["blue"] = live.wait_for("lower", "blue", 12, "the lift notice once ready")

            res, frames, shot = run_live(w, 10, scenario)
        middle = seen["middle"]
        expect_zone_colour(middle, ZONES["upper"], GREEN,
                           "upper zone while the campaign downloads")
        expect_colour(middle, *ZONES["lower"], PURPLE,
                      "lower zone while its only item downloads: the manifest's fallback")
        expect_runs(frames, "upper", ["green", "red"], "campaign downloading, then ready")
        lower = [fr.zones["lower"][0] for fr in frames]
        while lower and lower[0] == "(none)":
            lower.pop(0)
        check(lower and lower[0] == "(fallback)" and lower[-1] == "lift" and
              set(lower) == {"(fallback)", "lift"},
              f"the lower zone should show its fallback, then the lift notice: {lower}")
        expect_zone_colour(shot, ZONES["upper"], RED, "upper zone at the end")
        expect_zone_colour(shot, ZONES["lower"], BLUE, "lower zone at the end")
        lines = res.stderr.splitlines()
        for mid, item in (("campaign", "sale"), ("lift", "lift")):
            verified = [i for i, ln in enumerate(lines)
                        if f'media "{mid}" downloaded and verified' in ln]
            shown = [i for i, ln in enumerate(lines)
                     if re.search(rf"showing image {item}$", ln)]
            check(shown and verified and shown[0] > verified[0],
                  f"{item} was shown before its picture was verified, or never:\n    "
                  + res.tail(40))


def screenshot_now(w, live):
    """Asks the running lianbo for a screenshot (SIGUSR1) and returns it
    once the log says it is written."""
    before = w.stderr_so_far().count("screenshot written to ")
    live.proc.send_signal(signal.SIGUSR1)
    end = time.monotonic() + 5
    while time.monotonic() < end:
        live.poll()
        done = re.findall(r"screenshot written to (\S+)", w.stderr_so_far())
        if len(done) > before:
            return read_png(done[-1])
        time.sleep(0.02)
    raise TestFailure("lianbo wrote no screenshot on SIGUSR1:\n    "
                      + "\n    ".join(w.stderr_so_far().splitlines()[-20:]))


if __name__ == "__main__":
    suite.main()
