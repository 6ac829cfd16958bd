"""Pieces shared by the breaking-alerts tests (test_alerts_*.py).

A test builds a world (harness.World) whose zones show solid-colour
pictures, publishes an alerts document on a loopback web server
(fault_server.FaultServer) with an ETag and a Last-Modified date, lets
lianbo run, and reads what a viewer saw: screenshot pixels, the frame
trace (videofix.read_trace) and the log lines lianbo writes when an alert
reaches or leaves the screen.

The document can change while lianbo runs: a Timeline calls functions at
set seconds after lianbo was started, in its own thread, and notes the
wall-clock time of each change.
"""

import json
import re
import threading
import time

from fault_server import FaultServer
from harness import World, check, hex_rgb, image_item, manifest, near, solid
from videofix import read_trace

# The window every alerts test uses (harness.World's default) and its zones.
W, H = 360, 640

# The card and ticker colours docs/alerts.md and player/overlay.c promise.
EMERGENCY_BG = "#b00000"
WARNING_BG = "#ffb300"
TICKER_BG = "#0b2545"

# Item colours: far from every alert colour and from each other.
RED, GREEN, BLUE = "#ff0000", "#00ff00", "#0000ff"
CYAN, MAGENTA = "#00ffff", "#ff00ff"

# The frame trace's palette: pictures pass through no codec, so a small
# tolerance keeps amber (#ffb300) apart from red, and the card red
# (#b00000) apart from the item red (#ff0000).
PALETTE = {"red": RED, "green": GREEN, "blue": BLUE, "cyan": CYAN, "magenta": MAGENTA,
           "amber": WARNING_BG, "deep-red": EMERGENCY_BG, "black": "#000000",
           "white": "#ffffff"}
TRACE_TOL = 12

# Lianbo's log says local time; the tests run it in UTC so that a
# time-of-day in its log can be compared with time.time().
TZ = "UTC"

LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) ")


def iso(t):
    """T (seconds since the epoch) as the document spells times, in UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def alert(aid, level, title=None, body="", expires_in=3600.0, start_in=None, zone=None,
          **extra):
    """One alert of a document; EXPIRES_IN and START_IN are seconds from
    now (rounded down to the whole second the document can say)."""
    now = time.time()
    a = {"id": aid, "level": level, "title": title if title is not None else aid,
         "expires": iso(now + expires_in)}
    if body:
        a["body"] = body
    if start_in is not None:
        a["start"] = iso(now + start_in)
    if zone is not None:
        a["zone"] = zone
    a.update(extra)
    return a


def document(alerts=(), inserts=None, version=1):
    doc = {"version": version, "alerts": list(alerts)}
    if inserts is not None:
        doc["insert"] = list(inserts)
    return doc


def doc_bytes(doc):
    """DOC as a JSON file: a dict is written one key a line (so that
    line numbers in error messages are easy to find); bytes and str are
    served as they are."""
    if isinstance(doc, bytes):
        return doc
    if isinstance(doc, str):
        return doc.encode("utf-8")
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class AlertServer:
    """A FaultServer serving /alerts.json. publish() replaces the document
    and its validators, as an operator's upload would; the old ETag then
    no longer matches."""

    PATH = "/alerts.json"

    def __init__(self, port=0):
        self.srv = FaultServer(port=port)
        self.generation = 0
        self.published = []   # (wall-clock time, document bytes)

    def __enter__(self):
        self.srv.start()
        return self

    def __exit__(self, *exc):
        self.srv.stop()

    def stop(self):
        self.srv.stop()

    @property
    def url(self):
        return self.srv.url(self.PATH)

    def publish(self, doc):
        """Serves DOC from now on; returns the wall-clock time of the change."""
        self.generation += 1
        body = doc_bytes(doc)
        # Last-Modified has a resolution of one second, so the ETag is what
        # tells a change within the same second apart.
        self.srv.route(self.PATH, body, content_type="application/json",
                       etag=f'"alerts-{self.generation}"', last_modified=time.time())
        at = time.time()
        self.published.append((at, body))
        return at

    def requests(self):
        return self.srv.requests(self.PATH)


class Timeline(threading.Thread):
    """Calls each (seconds, fn) of STEPS that many seconds after start();
    records when it did. A failure inside a step is kept for the test."""

    def __init__(self, steps):
        super().__init__(daemon=True)
        self.steps = sorted(steps, key=lambda s: s[0])
        self.done_at = []
        self.error = None
        self.stopping = threading.Event()

    def run(self):
        t0 = time.monotonic()
        for at, fn in self.steps:
            if self.stopping.wait(max(0.0, t0 + at - time.monotonic())):
                return
            try:
                fn()
            except Exception as e:  # reported by finish()
                self.error = e
                return
            self.done_at.append(time.time())

    def finish(self):
        self.stopping.set()
        self.join(timeout=10)
        check(self.error is None, f"a step of the test's timeline failed: {self.error!r}")


def pictures(w, colours):
    """Solid PNGs for COLOURS ({media id: "#rrggbb"}) as manifest media."""
    media = []
    for mid, colour in colours.items():
        solid(w.media(f"{mid}.png"), colour, 160, 120)
        media.append((mid, f"media/{mid}.png"))
    return media


def still_schedule(w, upper, lower, extra_media=()):
    """Writes a manifest of still pictures. UPPER and LOWER are lists of
    (item id, colour, seconds); each item gets its own picture."""
    colours = {}
    for item_id, colour, _ in list(upper) + list(lower):
        colours[f"m-{item_id}"] = colour
    media = pictures(w, colours) + list(extra_media)
    w.write_manifest(manifest(
        upper=[image_item(i, f"m-{i}", duration=d) for i, _, d in upper],
        lower=[image_item(i, f"m-{i}", duration=d) for i, _, d in lower],
        media=media))


def write_config(w, url, poll=1, speed=120, ticker_zone="lower", display=None, alerts=None):
    """A config showing W's manifest, with alerts from URL."""
    section = {"url": url, "poll_seconds": poll, "ticker_speed": speed,
               "ticker_zone": ticker_zone}
    section.update(alerts or {})
    return w.write_config(display=display, extra={"alerts": section})


def world(exe, name):
    return World(exe, f"alerts-{name}")


def env(w):
    """W's environment for lianbo, in the time zone the tests read its log in."""
    return w.env(TZ=TZ)


# --- reading the log --------------------------------------------------------

def day_seconds(t):
    """Wall-clock time T as seconds since midnight in TZ (UTC)."""
    return t % 86400


def line_time(line):
    """Seconds since midnight of a log line's time stamp, or None."""
    m = LOG_TIME.match(line)
    if not m:
        return None
    h, mi, s, ms = (int(x) for x in m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


def since(t_wall, line):
    """Seconds from wall-clock T_WALL to the time stamp of log LINE."""
    d = line_time(line) - day_seconds(t_wall)
    # A run that crosses midnight.
    if d < -43200:
        d += 86400
    return d


def lines_matching(text, pattern):
    pat = re.compile(pattern)
    return [ln for ln in text.splitlines() if pat.search(ln)]


def on_screen_pattern(aid):
    return rf"alerts: alert {re.escape(aid)} on screen$"


def off_screen_pattern(aid):
    return rf"alerts: alert {re.escape(aid)} is off the screen$"


def wait_for_line(w, pattern, timeout, what, after=0):
    """Waits until lianbo's log (started with W.start) holds a line
    matching PATTERN beyond the first AFTER matching ones; returns it."""
    end = time.monotonic() + timeout
    while True:
        hits = lines_matching(w.stderr_so_far(), pattern)
        if len(hits) > after:
            return hits[after]
        if time.monotonic() > end:
            tail = "\n    ".join(w.stderr_so_far().splitlines()[-20:])
            check(False, f"{what}: no log line matching {pattern!r} within {timeout} s"
                         f"\n    {tail}")
        time.sleep(0.02)


# --- reading pictures -------------------------------------------------------

def corners(rect, inset=5, size=6):
    """Boxes (x, y, w, h) just inside the four corners of RECT."""
    x, y, w, h = rect
    return [(x + inset, y + inset, size, size),
            (x + w - inset - size, y + inset, size, size),
            (x + inset, y + h - inset - size, size, size),
            (x + w - inset - size, y + h - inset - size, size, size)]


def share_near(img, box, colour, tol=24):
    """The share of the pixels of BOX that are COLOUR."""
    want = hex_rgb(colour) if isinstance(colour, str) else colour
    part = img.crop(*box)
    total = part.width * part.height
    check(total > 0, f"empty box {box}")
    return part.count(lambda p: near(p, want, tol)) / total


def bright_columns(img, box, threshold=170):
    """For each column of BOX, how many of its pixels are bright (text
    on a dark band)."""
    part = img.crop(*box)
    cols = [0] * part.width
    for y in range(part.height):
        row = part.data[y * part.width * 3:(y + 1) * part.width * 3]
        for x in range(part.width):
            if min(row[x * 3:x * 3 + 3]) >= threshold:
                cols[x] += 1
    return cols


def best_shift(before, after, max_shift):
    """The leftward shift D (0..MAX_SHIFT) for which AFTER[x] best matches
    BEFORE[x + D], and how much of the ink matched, as a share."""
    best, best_score = None, -1
    # Text leaving or entering the band leaves less ink in one picture.
    total = min(sum(before), sum(after)) or 1
    for d in range(0, max_shift + 1):
        score = sum(min(after[x], before[x + d]) for x in range(len(after) - d))
        if score > best_score:
            best, best_score = d, score
    return best, best_score / total


def traced_run(w, after, steps=(), args=()):
    """Runs lianbo in W with a frame trace until its screenshot AFTER
    seconds in, while a Timeline performs STEPS; returns (result, frames,
    timeline)."""
    trace = w.path("frames.trace")
    timeline = Timeline(steps)
    timeline.start()
    try:
        res = w.run(args=["--trace-frames", trace, *args], after=after, env=env(w))
    finally:
        timeline.finish()
    return res, read_trace(trace), timeline

