"""Video fixtures and readers for lianbo's video tests.

Clips are made at test time with the ffmpeg command-line tool: solid
colours (or a few colours one after another) of known length and frame
rate, in whatever codec, container and shape a test needs. Solid colours
survive every codec's rounding, so a screenshot's pixel says which clip,
and which part of it, was on screen.

The readers turn what lianbo leaves behind into facts: the frame trace
(--trace-frames, one line per presented frame) into time-stamped colours
per zone, and the log into each video's decoded/shown/dropped counters.

Checks of when things happen use check_timing. The host of a shared
virtual machine now and then stops it for a quarter of a second, and a
parallel test takes CPU time a terminal would not share; a test wrapped
in retry_if_machine_stalled runs again when a timing check failed while
the machine itself was seen stalled or busy, and says so in its output.
"""

import functools
import json
import os
import re
import struct
import subprocess
import threading
import time

from harness import TestFailure, check, hex_rgb, run_tool

# Per-channel tolerance for a colour that went through YUV and back.
YUV_TOL = 24

# Colours used for clips, as lavfi and lianbo's trace spell them.
RED, GREEN, BLUE = "#ff0000", "#00ff00", "#0000ff"
YELLOW, MAGENTA, CYAN = "#ffff00", "#ff00ff", "#00ffff"
ORANGE, WHITE, GREY = "#ff8000", "#ffffff", "#808080"
BLACK = "#000000"


def ffmpeg(*args, what="ffmpeg"):
    """Runs ffmpeg quietly with ARGS (the last one is the output)."""
    run_tool(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
             f"making {what if what != 'ffmpeg' else args[-1]}")
    return args[-1]


def ffprobe(path):
    """ffprobe's view of PATH: {"streams": [...], "format": {...}}."""
    proc = run_tool(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                     "-show_format", path], f"probing {path}")
    return json.loads(proc.stdout.decode())


def video_stream(path):
    streams = [s for s in ffprobe(path)["streams"] if s["codec_type"] == "video"]
    check(len(streams) == 1, f"{path}: expected one video stream, ffprobe found {len(streams)}")
    return streams[0]


def count_frames(path):
    """Frames in PATH's video stream, counted by decoding it."""
    proc = run_tool(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                     "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                    f"counting frames of {path}")
    return int(proc.stdout.decode().strip().split(",")[0])


def lavfi_colour(colour):
    return "0x" + colour.lstrip("#")


def colour_source(colours, size, fps):
    """A lavfi graph showing COLOURS one after another: [(colour, seconds)]."""
    parts = [f"color=c={lavfi_colour(c)}:s={size}:r={fps}:d={secs}[s{i}]"
             for i, (c, secs) in enumerate(colours)]
    if len(colours) == 1:
        return parts[0].rsplit("[", 1)[0]
    joined = "".join(f"[s{i}]" for i in range(len(colours)))
    return ";".join(parts) + f";{joined}concat=n={len(colours)}:v=1:a=0"


def clip(path, colours, size="320x240", fps=30, vcodec="libx264", pix_fmt="yuv420p",
         vopts=(), vfilter=None, tone=None, out_opts=()):
    """Writes a clip of COLOURS ([(colour, seconds)] or one colour for a
    second). TONE is None for no sound, or a dict: {"freq": 440,
    "seconds": 1, "rate": 48000, "filter": "pan=...", "codec": "aac"};
    the tone is one channel unless FILTER makes more of it."""
    if isinstance(colours, str):
        colours = [(colours, 1)]
    args = ["-f", "lavfi", "-i", colour_source(colours, size, fps)]
    if tone is not None:
        secs = tone.get("seconds", sum(s for _, s in colours))
        args += ["-f", "lavfi", "-i",
                 f"sine=frequency={tone.get('freq', 440)}:sample_rate={tone.get('rate', 48000)}"
                 f":duration={secs}"]
    if vfilter:
        args += ["-vf", vfilter]
    args += ["-c:v", vcodec]
    if pix_fmt:
        args += ["-pix_fmt", pix_fmt]
    args += list(vopts)
    if vcodec == "libx264":
        # A solid colour is a scene cut at each change, so each colour's
        # first frame is a key frame and no frame mixes two colours.
        args += ["-preset", "veryfast"]
    if tone is not None:
        args += ["-c:a", tone.get("codec", "aac"), "-b:a", "128k"]
        if "filter" in tone:
            args += ["-af", tone["filter"]]
    args += list(out_opts)
    return ffmpeg(*args, path)


def hd_matrix(pix_fmt="yuv420p"):
    """Filter options for a clip 720 lines or taller: converted with the
    BT.709 matrix and tagged so, as cameras and phones write HD video.
    Untagged HD is shown with BT.709 by convention, so an untagged clip
    converted with ffmpeg's default BT.601 matrix would come out in
    slightly wrong colours on any correct player."""
    return (f"scale=out_color_matrix=bt709:out_range=tv,format={pix_fmt}",
            ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"])


# --- reading the frame trace -----------------------------------------------

class Frame:
    """One presented frame: T seconds after start, and per zone on that
    output the item shown and the zone centre's colour."""

    def __init__(self, t, zones):
        self.t = t
        self.zones = zones  # {"upper": ("item-id", (r, g, b))}

    def __repr__(self):
        z = " ".join(f"{k}={i}:{'%02x%02x%02x' % c}" for k, (i, c) in self.zones.items())
        return f"{self.t:.3f} {z}"


TRACE_ZONE = re.compile(r"(upper|lower)=(.*):([0-9a-f]{6})$")


def read_trace(path):
    check(os.path.exists(path), f"lianbo wrote no frame trace {path}")
    frames = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            check(fields, f"{path}:{n}: empty line in the frame trace")
            zones = {}
            for field in fields[1:]:
                m = TRACE_ZONE.match(field)
                check(m, f"{path}:{n}: cannot read {field!r} in the frame trace")
                zones[m.group(1)] = (m.group(2), hex_rgb(m.group(3)))
            frames.append(Frame(float(fields[0]), zones))
    check(frames, f"{path}: the frame trace is empty")
    return frames


def classify(rgb, palette, tol=YUV_TOL):
    """The name of the colour in PALETTE ({name: "#rrggbb"}) RGB is, or
    None when it is none of them."""
    for name, want in palette.items():
        if all(abs(a - b) <= tol for a, b in zip(rgb, hex_rgb(want))):
            return name
    return None


class Run:
    """A stretch of frames in one zone with the same colour name."""

    def __init__(self, name, item, start, last):
        self.name = name      # colour name, or None for an unknown colour
        self.item = item      # item id of its first frame
        self.start = start    # time of its first frame
        self.last = last      # time of its last frame
        self.end = None       # time of the next run's first frame
        self.frames = 1
        self.rgb = None

    def __repr__(self):
        return (f"{self.name or 'other'}({self.item}) {self.start:.3f}-"
                f"{self.end if self.end is None else round(self.end, 3)} "
                f"[{self.frames} frames]")


def runs(frames, zone, palette, tol=YUV_TOL):
    """Cuts ZONE's frames into runs of one colour. A run lasts until the
    next run's first frame: a frozen picture presents no frames, so the
    time between frames counts as the colour still on screen."""
    out = []
    for fr in frames:
        if zone not in fr.zones:
            continue
        item, rgb = fr.zones[zone]
        name = classify(rgb, palette, tol)
        if out and out[-1].name == name and (name is not None or out[-1].rgb == rgb):
            out[-1].last = fr.t
            out[-1].frames += 1
            continue
        if out:
            out[-1].end = fr.t
        r = Run(name, item, fr.t, fr.t)
        r.rgb = rgb
        out.append(r)
    return out


def describe_runs(rs, limit=40):
    text = ", ".join(repr(r) for r in rs[:limit])
    return text + (f", ... ({len(rs) - limit} more)" if len(rs) > limit else "")


def first_frame_of(frames, zone, item):
    for fr in frames:
        if zone in fr.zones and fr.zones[zone][0] == item:
            return fr.t
    return None


# --- reading the log -------------------------------------------------------

def counter_lines(res, zone, item):
    """(decoded, shown, dropped) for each time video ITEM in ZONE ended."""
    pat = re.compile(rf"\b{zone}: video {re.escape(item)}: decoded (\d+), shown (\d+), "
                     r"dropped (\d+) frames")
    out = []
    for ln in res.log_lines():
        m = pat.search(ln)
        if m:
            out.append(tuple(int(x) for x in m.groups()))
    return out


def open_lines(res, zone, item):
    """The "<codec> WxH, decoder <name> (...)" lines of ITEM in ZONE."""
    pat = re.compile(rf"\b{zone}: video {re.escape(item)}: (\S+) (\d+)x(\d+), decoder (\S+) ")
    return [m for m in (pat.search(ln) for ln in res.log_lines()) if m]


def expect_decoded(res, zone, item, at_least=1):
    counts = counter_lines(res, zone, item)
    check(counts, f"no 'decoded N, shown M, dropped K frames' line for video {item} "
                  f"in the {zone} zone:\n    {res.tail()}")
    check(max(c[0] for c in counts) >= at_least and max(c[1] for c in counts) >= 1,
          f"video {item}: counters {counts} say fewer than {at_least} frame(s) decoded "
          f"or none shown")
    return counts


def lines_naming(res, item, level=None):
    """Log lines of LEVEL (all when None) that name item ITEM as a word."""
    pat = re.compile(rf"(?<![\w-]){re.escape(item)}(?![\w-])")
    return [ln for ln in res.log_lines(level) if pat.search(ln)]


# --- manifests ---------------------------------------------------------------

def video_item(item_id, media_id, play=None, duration=None, volume=None, fit="fill"):
    item = {"id": item_id, "type": "video", "media": media_id, "fit": fit}
    if play is not None:
        item["play"] = play
    if duration is not None:
        item["duration"] = duration
    if volume is not None:
        item["volume"] = volume
    return item


# --- sound -------------------------------------------------------------------

def read_f32_stereo(path):
    """The samples SDL's disk driver wrote: float32, two channels. Returns
    (left, right) lists."""
    with open(path, "rb") as f:
        blob = f.read()
    n = len(blob) // 8
    samples = struct.unpack(f"<{n * 2}f", blob[:n * 8])
    return list(samples[0::2]), list(samples[1::2])


def loud_span(samples, threshold=0.01):
    """(first, last) index of samples louder than THRESHOLD, or None."""
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    return (loud[0], loud[-1]) if loud else None


def zero_crossing_hz(samples, rate):
    """The frequency of a pure tone from how often it crosses zero."""
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    check(len(samples) > rate // 10, "fewer than 0.1 s of sound to measure")
    return crossings / 2 / (len(samples) / rate)


def ffmpeg_encoders():
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True,
                          timeout=60)
    if proc.returncode != 0:
        raise TestFailure("ffmpeg -encoders failed: " + proc.stderr.decode(errors="replace"))
    names = set()
    for ln in proc.stdout.decode().splitlines():
        parts = ln.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return names


# --- the machine's own hiccups ---------------------------------------------

# A sleeping thread that wakes this much later than asked (seconds) means
# the whole machine stopped for a moment: on a shared virtual machine the
# host sometimes takes the CPUs away for a quarter of a second. Every
# process stalls alike, so a late frame then says nothing about lianbo.
MACHINE_STALL_S = 0.05

# Other programs using more than this share of the machine's CPUs
# (0 to 1) during a run make its timing say nothing about lianbo either:
# a terminal runs the player alone.
MACHINE_BUSY_SHARE = 0.15

# What disturbed the lianbo runs of the current attempt: "470 ms stall at
# 1.54 s", "other programs used 35% of the CPUs".
machine_stalls = []


class MachineWatch(threading.Thread):
    """Notes every moment the machine stalled while it runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stalls = []
        self.done = threading.Event()

    def run(self):
        start = last = time.monotonic()
        while not self.done.wait(0.005):
            now = time.monotonic()
            if now - last > MACHINE_STALL_S:
                self.stalls.append(f"{(now - last) * 1000:.0f} ms stall at "
                                   f"{last - start:.2f} s")
            last = now

    def __enter__(self):
        self.t0 = time.monotonic()
        self.cpu0 = busy_cpu_seconds()
        self.ours0 = our_cpu_seconds()
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()
        wall = time.monotonic() - self.t0
        others = (busy_cpu_seconds() - self.cpu0) - (our_cpu_seconds() - self.ours0)
        share = others / (wall * (os.cpu_count() or 1))
        if wall > 0 and share > MACHINE_BUSY_SHARE:
            self.stalls.append(f"other programs used {share:.0%} of the CPUs")


def busy_cpu_seconds():
    """CPU seconds all programs have spent running, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def our_cpu_seconds():
    """CPU seconds of this test and the programs it ran and waited for."""
    me = os.times()
    return me.user + me.system + me.children_user + me.children_system


class TimingFailure(TestFailure):
    """Something came too early, too late or not at all in time: the kind
    of failure a stalled or busy machine can cause."""


def check_timing(cond, message):
    if not cond:
        raise TimingFailure(message)


def retry_if_machine_stalled(fn, tries=3):
    """Runs test FN again when a timing check failed and the machine itself
    stalled, or other programs were busy, during its lianbo runs. Any
    other failure, and a timing failure on a quiet machine, fails at once."""
    @functools.wraps(fn)
    def wrapper(exe):
        for attempt in range(1, tries + 1):
            del machine_stalls[:]
            try:
                return fn(exe)
            except TimingFailure as e:
                if not machine_stalls:
                    raise
                stalls = ", ".join(machine_stalls)
                if attempt == tries:
                    raise TestFailure(f"{e}\n    (the machine was disturbed in each of "
                                      f"{tries} attempts; this time: {stalls})")
                print(f"     {fn.__name__}: attempt {attempt} failed while the machine "
                      f"was disturbed ({stalls}); trying again. It said: "
                      f"{str(e).splitlines()[0][:300]}", flush=True)
    return wrapper


def run_traced(w, after, env=None):
    """Runs lianbo in world W with a frame trace; returns (result, frames)."""
    trace = w.path("frames.trace")
    with MachineWatch() as watch:
        res = w.run(args=["--trace-frames", trace], after=after, env=env)
    machine_stalls.extend(watch.stalls)
    return res, read_trace(trace)


def mp4_top_boxes(path):
    """The types of an MP4 file's top-level boxes, in file order."""
    boxes = []
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while pos + 8 <= len(blob):
        size, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", blob[pos + 8:pos + 16])[0]
        elif size == 0:
            size = len(blob) - pos
        check(size >= 8, f"{path}: box {kind!r} at {pos} has size {size}")
        boxes.append(kind.decode("latin-1"))
        pos += size
    return boxes
