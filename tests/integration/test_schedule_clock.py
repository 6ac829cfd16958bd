"""A terminal whose clock cannot be trusted (issue 6), from in front of the
screen and from its log: a board that boots at 1970 keeps playing what was
valid at the last time it knew to be right, says so once in words for a
technician, and follows the real clock again as soon as it is right; a
clock a month behind the saved time, or behind the manifest's publication
time, is caught the same way; a server's Date sets the schedule's time
when nothing was saved; and an HTTPS failure caused by a clock in the past
is explained as such.

The clock is moved with libfaketime (the faketime package), preloaded into
lianbo alone; the monotonic clock, which paces frames, stays real.

usage: test_schedule_clock.py PATH-TO-LIANBO [TEST-NAME...]
"""

import glob
import os
import re
import subprocess
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from fault_server import FaultServer
from harness import (RUN_GRACE, Suite, TestFailure, World, check, expect_zone_colour,
                     image_item, read_png, solid, zone_rects)
from syncworld import make_cert, manifest_bytes, media_entry
from videofix import (BLUE, GREEN, RED, YELLOW, MachineWatch, check_timing, describe_runs,
                      machine_stalls, read_trace, retry_if_machine_stalled, run_traced, runs)

suite = Suite()

W, H = 360, 640
ZONES = zone_rects(W, H)
TZ = "Asia/Shanghai"
PURPLE = "#8000ff"
PALETTE = {"red": RED, "green": GREEN, "blue": BLUE, "yellow": YELLOW, "purple": PURPLE}
BOOT_1970 = "@1970-01-02 00:00:00"

# Seconds from the clock being set right to the real schedule on screen:
# the clock is judged once a second.
RIGHT_AGAIN_S = 2.0

UNTRUSTED = re.compile(
    r"warn +schedule: the system clock reads (.+?), before (.+?) \((.+?)\): it is wrong, "
    r"perhaps set by a board without a clock battery and no network time yet; "
    r"schedules play as at (.+?) until the clock is right")


def faketime_env(w, faketime=None, timestamp_file=None):
    """The environment that runs lianbo under libfaketime, at FAKETIME or
    at what TIMESTAMP_FILE says whenever lianbo reads the time."""
    libs = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") +
                  glob.glob("/usr/lib/faketime/libfaketimeMT.so.1"))
    if not libs:
        raise TestFailure("libfaketime is not installed (apt-get install faketime)")
    env = w.env(LD_PRELOAD=libs[0], FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC")
    if faketime is not None:
        env["FAKETIME"] = faketime
    if timestamp_file is not None:
        env.pop("FAKETIME", None)
        env["FAKETIME_TIMESTAMP_FILE"] = timestamp_file
        env["FAKETIME_NO_CACHE"] = "1"
    # AddressSanitizer wants to be the first library loaded.
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    return env


def read(path):
    with open(path, "rb") as f:
        return f.read()


def shanghai(t):
    return datetime.fromtimestamp(t, ZoneInfo(TZ))


def shanghai_today():
    """Today in Asia/Shanghai, waiting out the last seconds before
    midnight so that "today" stays the same during the test."""
    now = datetime.now(ZoneInfo(TZ))
    left = 24 * 3600 - (now.hour * 3600 + now.minute * 60 + now.second)
    if left < 20:
        time.sleep(left + 1)
    return datetime.now(ZoneInfo(TZ)).date()


def on(day):
    """A "when" rule holding on DAY only."""
    return {"dates": {"from": day.isoformat(), "to": day.isoformat()}}


def stamp(t):
    """T as lianbo writes times in the log, in the device's zone."""
    return shanghai(t).strftime("%Y-%m-%d %H:%M:%S %z")


def setup(w, upper, lower, published=None, fallback=True, url=None):
    for name, colour in PALETTE.items():
        solid(w.media(f"{name}.png"), colour)
    zones = {"upper": {"items": upper}, "lower": {"items": lower}}
    if fallback:
        for z in zones.values():
            z["fallback"] = {"type": "image", "media": "purple"}
    m = {"version": 1, "media": [{"id": n, "url": f"media/{n}.png"} for n in PALETTE],
         "zones": zones}
    if published:
        m["published"] = published
    w.write_manifest(m)
    w.write_config(extra={
        "device": {"id": "lb-0302", "timezone": TZ, "tags": {"building": "3"}},
        "schedule": {"url": url or "file://" + w.manifest_path, "poll_seconds": 1,
                     "connect_timeout_s": 2, "timeout_s": 3}})


def save_clock(w, t):
    os.makedirs(w.cache_dir, exist_ok=True)
    with open(os.path.join(w.cache_dir, "clock"), "w") as f:
        f.write(f"{int(t)}\n")


def saved_clock(w):
    path = os.path.join(w.cache_dir, "clock")
    check(os.path.exists(path), f"lianbo saved no clock file {path}")
    with open(path) as f:
        return int(f.read().strip())


def log_time(line, near):
    """The time_t of LINE's stamp (HH:MM:SS.mmm in the device's zone),
    taken on the day of NEAR, a time_t."""
    m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) ", line)
    check(m, f"no time stamp on the log line {line!r}")
    return shanghai(near).replace(hour=int(m.group(1)), minute=int(m.group(2)),
                                  second=int(m.group(3)),
                                  microsecond=int(m.group(4)) * 1000).timestamp()


def untrusted_lines(res):
    return [m for m in (UNTRUSTED.search(ln) for ln in res.log_lines()) if m]


def expect_untrusted_once(res, before, ahead, what):
    """One warning that the clock is wrong, naming BEFORE and the time
    AHEAD (a time_t) it is behind, and playing as at AHEAD."""
    found = untrusted_lines(res)
    check(len(found) == 1,
          f"{what}: the wrong clock should be logged once, found {len(found)} such "
          f"line(s):\n    {res.tail(40)}")
    m = found[0]
    check(m.group(2) == before and m.group(3) == stamp(ahead) and m.group(4) == stamp(ahead),
          f"{what}: expected 'before {before} ({stamp(ahead)})' and 'play as at "
          f"{stamp(ahead)}', the log says: {m.group(0)}")
    return m


def expect_only(frames, zone, names, what):
    """From its first picture on, ZONE shows only the colours NAMES."""
    rs = runs(frames, zone, PALETTE)
    while rs and rs[0].item == "(none)":
        rs = rs[1:]
    check(rs and {r.name for r in rs} <= set(names) and rs[-1].name == names[-1],
          f"{what}: the {zone} zone should show {' then '.join(names)}, it showed "
          f"{describe_runs(runs(frames, zone, PALETTE))}")
    return rs


@suite.test
def clock_at_1970_plays_what_was_valid_when_last_trusted(exe):
    today = shanghai_today()
    with World(exe, "clock-1970") as w:
        setup(w, upper=[dict(image_item("today", "green"), when=on(today)),
                        dict(image_item("in-1970", "red"), when={"dates": {"to": "1970-12-31"}})],
              lower=[dict(image_item("today-too", "yellow"), when=on(today))])
        before = time.time()
        res = w.run(after=1)
        after = time.time()
        expect_zone_colour(res.image, ZONES["upper"], GREEN, "upper zone, clock right")
        trusted = saved_clock(w)
        check(int(before) <= trusted <= after + 1,
              f"the clock file says {trusted}, not a time between {before:.0f} and {after:.0f}")

        res, frames = run_traced(w, 3, env=faketime_env(w, BOOT_1970))
        expect_only(frames, "upper", ["green"], "clock at 1970")
        expect_only(frames, "lower", ["yellow"], "clock at 1970")
        m = expect_untrusted_once(res, "the last time known to be right", trusted,
                                  "clock at 1970")
        check(m.group(1).startswith("1970-01-02 08:00:0"),
              f"the warning should quote the clock's reading in Shanghai: {m.group(0)}")
        check(saved_clock(w) == trusted,
              f"the saved time moved from {trusted} to {saved_clock(w)} while the clock "
              "read 1970")


@suite.test
@retry_if_machine_stalled
def clock_right_again_brings_the_real_schedule_back_at_once(exe):
    today = shanghai_today()
    saved = time.time() - 2 * 86400
    with World(exe, "clock-right-again") as w:
        setup(w, upper=[dict(image_item("then", "red"), when=on(shanghai(saved).date())),
                        dict(image_item("now", "green"), when=on(today))],
              lower=[image_item("always", "blue")])
        save_clock(w, saved)
        clockfile = w.path("faketime")
        with open(clockfile, "w") as f:
            f.write(BOOT_1970 + "\n")
        trace, shot = w.path("frames.trace"), w.path("screen.png")
        with MachineWatch() as watch:
            proc = w.start(args=["--trace-frames", trace, "--screenshot", shot,
                                 "--after", "6"],
                           env=faketime_env(w, timestamp_file=clockfile))
            try:
                end = time.monotonic() + 8
                while time.monotonic() < end and not os.path.exists(trace):
                    time.sleep(0.05)
                time.sleep(2.5)
                with open(clockfile + ".new", "w") as f:
                    f.write("+0\n")
                os.rename(clockfile + ".new", clockfile)
                fixed = time.time()
                proc.wait(timeout=6 + RUN_GRACE)
            finally:
                res = w.stop(proc)
        machine_stalls.extend(watch.stalls)
        check(res.returncode == 0, f"lianbo exited with {res.returncode}:\n    {res.tail()}")
        frames = read_trace(trace)
        rs = expect_only(frames, "upper", ["red", "green"], "clock at 1970, then right")
        check([r.name for r in rs] == ["red", "green"],
              f"red should play while the clock read 1970, then green: {describe_runs(rs)}")
        expect_untrusted_once(res, "the last time known to be right", int(saved),
                              "clock at 1970")
        right = [ln for ln in res.log_lines("info")
                 if "and is right again; schedules follow it" in ln]
        check(len(right) == 1, "the clock being right again should be logged once:\n    "
              + res.tail(40))
        shown = [ln for ln in res.log_lines() if re.search(r"showing image now$", ln)]
        check(shown, "the item valid now was never shown:\n    " + res.tail(40))
        for line, what in ((right[0], "noticed the clock"), (shown[0], "showed green")):
            late = log_time(line, fixed) - fixed
            check_timing(-0.5 <= late <= RIGHT_AGAIN_S,
                         f"the clock was set right at {stamp(fixed)}; lianbo {what} at "
                         f"{line[:12]}, {late:+.2f} s later (at most {RIGHT_AGAIN_S} s)")
        expect_zone_colour(read_png(shot), ZONES["upper"], GREEN, "upper zone at the end")
        check(saved_clock(w) >= int(fixed),
              f"the saved time {saved_clock(w)} did not move on to the right clock "
              f"({int(fixed)})")


@suite.test
def clock_a_month_behind_the_saved_time_is_not_trusted(exe):
    today = shanghai_today()
    saved = time.time() + 30 * 86400
    with World(exe, "clock-month") as w:
        setup(w, upper=[dict(image_item("next-month", "green"),
                             when=on(shanghai(saved).date())),
                        dict(image_item("today", "red"), when=on(today))],
              lower=[image_item("always", "blue")])
        save_clock(w, saved)
        res, frames = run_traced(w, 2.5, env=w.env(TZ="UTC"))
        expect_only(frames, "upper", ["green"], "clock a month behind")
        expect_only(frames, "lower", ["blue"], "clock a month behind")
        expect_untrusted_once(res, "the last time known to be right", int(saved),
                              "clock a month behind")


@suite.test
def clock_behind_the_publication_time_is_not_trusted(exe):
    today = shanghai_today()
    published = int(time.time()) + 2 * 86400
    with World(exe, "clock-published") as w:
        setup(w, upper=[dict(image_item("publication-day", "green"),
                             when=on(shanghai(published).date())),
                        dict(image_item("today", "red"), when=on(today))],
              lower=[image_item("always", "blue")],
              published=shanghai(published).isoformat())
        res, frames = run_traced(w, 2.5, env=w.env(TZ="UTC"))
        expect_only(frames, "upper", ["green"], "manifest published in two days")
        expect_untrusted_once(res, "the time the schedule was published", published,
                              "manifest published in two days")


@suite.test
def server_date_sets_the_time_of_a_1970_clock(exe):
    today = shanghai_today()
    with World(exe, "clock-server-date") as w:
        for name, colour in PALETTE.items():
            solid(w.media(f"{name}.png"), colour)
        data = {n: read(w.media(f"{n}.png")) for n in PALETTE}
        media = [media_entry(n, f"{n}.png", data[n]) for n in ("green", "blue", "purple")]
        m = {"version": 1, "media": media, "zones": {
            "upper": {"items": [dict(image_item("today", "green"), when=on(today))],
                      "fallback": {"type": "image", "media": "purple"}},
            "lower": {"items": [image_item("always", "blue")]}}}
        with FaultServer() as srv:
            srv.route("/manifest.json", manifest_bytes(m))
            for n in ("green", "blue", "purple"):
                srv.route(f"/{n}.png", data[n])
            setup(w, [], [], url=srv.url("/manifest.json"))
            # A first run fills the cache; then the board forgets the time.
            res = w.run(after=2)
            expect_zone_colour(res.image, ZONES["upper"], GREEN, "upper zone, clock right")
            os.unlink(os.path.join(w.cache_dir, "clock"))
            res, frames = run_traced(w, 3, env=faketime_env(w, BOOT_1970))
        # Until the server answers, nothing says 1970 is wrong, and only a
        # fallback is valid then.
        rs = runs(frames, "upper", PALETTE)
        while rs and rs[0].item == "(none)":
            rs = rs[1:]
        check(rs and rs[-1].name == "green" and rs[-1].start < 2 and
              all(r.item == "(fallback)" for r in rs[:-1]),
              "the zone should show a fallback at most until the server's time arrives, "
              "then the item valid today, within 2 s: "
              + describe_runs(runs(frames, "upper", PALETTE)))
        found = untrusted_lines(res)
        check(len(found) == 1 and found[0].group(2) == "the time the server sent",
              "the clock should be logged once as behind the time the server sent:\n    "
              + res.tail(40))


@suite.test
def tls_failure_from_a_clock_in_the_past_is_explained(exe):
    with World(exe, "clock-tls") as w:
        cert, key = make_cert(w.dir)
        with FaultServer(cert=cert, key=key) as srv:
            srv.route("/manifest.json", manifest_bytes({"version": 1, "zones": {}}))
            setup(w, [], [], url=srv.url("/manifest.json"))
            with open(w.config_path, "a") as f:
                f.write(f'network: {{ ca_file = "{cert}"; }};\n')
            res = w.run(after=2.5, env=faketime_env(w, BOOT_1970))
        said = [ln for ln in res.log_lines("warn") if "cannot fetch the schedule" in ln]
        want = ("this terminal's clock says 1970-01-02 00:00 (UTC), before this player was "
                "even built, so no certificate can be checked until the clock is set: is "
                "network time (NTP) reachable?")
        check(said and all(want in ln for ln in said),
              f"the failed HTTPS fetch should say {want!r}:\n    " + res.tail(40))


if __name__ == "__main__":
    suite.main()
