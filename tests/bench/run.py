#!/usr/bin/env python3
"""lianbo's video benchmark: the player against ffplay on the same clips.

    python3 tests/bench/run.py            # the full run, about 8 minutes
    python3 tests/bench/run.py --quick    # one pair of short clips, 2 minutes

(The first run also makes the clips and builds lianbo: a few minutes more.)

What it does (issue 8, docs/performance.md):

1. Makes a 1080p30 and a 720p30 H.264 clip with ffmpeg (testsrc2, CRF 23,
   preset medium) and keeps them in a cache directory for the next run.
2. Builds a release copy of lianbo outside the source tree (or takes
   --lianbo), and starts an Xvfb server so that both players draw into a
   real window of the asked size (see "Why Xvfb" below).
3. Measures lianbo's time to first frame from its frame trace.
4. Runs lianbo (one zone filling the window) and ffplay (-autoexit) on the
   same clip at the same window size, alternately, several pairs per clip,
   sound off, and records CPU seconds (user + system), peak resident
   memory and dropped frames of each, from wait4() and their own logs.
5. Runs ffmpeg decoding the clip to nothing with lianbo's thread count,
   the floor no decoder goes under, and render_floor.c showing frames
   without decoding, the floor of the renderer in use.
6. Checks two zones playing at once, a still image costing nothing, and
   gapless switches between videos (no black frame, from the frame trace),
   and that each clip is shown in its own colours.
7. Prints medians, lianbo/ffplay ratios and each target as MET or NOT MET.

Why Xvfb: under SDL's offscreen driver a GL window keeps the surface it
was created with. ffplay creates its window at 640x480 and resizes it
once the video is open, so with a GL renderer it draws 640x480 pixels
where lianbo draws 1920x1080, and the comparison would flatter ffplay
about fivefold. Under Xvfb a resized window really is resized. --driver
offscreen is there to see the difference.

Both players get the same environment: video driver, SDL renderer
(--renderer, default opengles2), scale quality (--scale-quality, default
linear, which ffplay picks for itself; lianbo sets none), sound driver
"dummy" with sound off. Each player picks its own decoder threads (ffplay
FFmpeg's default, lianbo one a core) and the decode-only floor uses
lianbo's count. Nothing is tuned for one side only. Runs alternate which
player goes first, and each run records how busy the rest of the machine
was, because a shared machine drops frames that a quiet one would not.

Only the Python standard library is used; the tools are ffmpeg, ffplay,
ffprobe, Xvfb, meson and a C compiler (packaging/install-deps.sh installs
them).
Exits 0 when the benchmark ran (with --strict: only when every target is
met), 1 with --strict and a target missed, 2 when it could not run.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The targets of issue 8.
TARGET_CPU_RATIO = 0.8       # lianbo CPU / ffplay CPU, 1080p clip
TARGET_RSS_RATIO = 0.6       # lianbo peak RSS / ffplay peak RSS
TARGET_TTFF_S = 0.300        # start of the process to the first video frame
TARGET_IDLE_CORE = 0.02      # share of one core a still picture may cost

# Colour tolerance per channel for a solid clip seen through YUV 4:2:0
# and back, then through the renderer's scaling.
COLOUR_TOL = 40

# Before each run the machine is given up to this long (seconds) to calm
# down when other processes keep more than QUIET_CORES cores busy; the run
# then goes ahead anyway and its record says how busy the machine was.
QUIET_WAIT_S = 20
QUIET_CORES = 0.5
QUIET_BUDGET_S = 180         # most waiting in a whole run (quick: a sixth)

# A player that outlives its expected end by this long (seconds) is hung.
RUN_GRACE_S = 30

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """The benchmark itself cannot go on (a tool missing, a player that
    would not start); the message says what and why."""


def log(msg):
    print(msg, flush=True)


def tool_output(argv, what, timeout=600):
    """Runs ARGV and returns its stdout; raises BenchError on failure."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
    except FileNotFoundError:
        raise BenchError(f"{what}: {argv[0]} is not installed "
                         "(packaging/install-deps.sh installs it)")
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: {' '.join(argv)} took more than {timeout} s")
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-10:]
        raise BenchError(f"{what}: {' '.join(argv)} exited with {proc.returncode}:\n    "
                         + "\n    ".join(tail))
    return proc.stdout.decode(errors="replace")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --- the machine ------------------------------------------------------------

def cpu_times():
    """(busy, steal) seconds of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def process_cpu(pid):
    """User + system seconds of process PID and all its threads, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class MachineLoad:
    """What the rest of the machine did during one run: CPU used by other
    processes (in cores) and CPU time the hypervisor took away."""

    def __init__(self, xserver):
        self.xserver = xserver

    def __enter__(self):
        self.t0 = time.monotonic()
        self.busy0, self.steal0 = cpu_times()
        self.x0 = self.xserver.cpu() if self.xserver else None
        return self

    def finish(self, own_cpu):
        """Call once the run's own CPU seconds are known."""
        wall = time.monotonic() - self.t0
        busy, steal = cpu_times()
        self.x_cpu = self.xserver.cpu() - self.x0 if self.xserver else 0.0
        others = busy - self.busy0 - own_cpu - self.x_cpu
        self.other_cores = max(others, 0.0) / wall if wall > 0 else 0.0
        self.steal_s = steal - self.steal0

    def __exit__(self, *exc):
        return False


def wait_for_quiet(limit_s):
    """Waits up to LIMIT_S seconds for other processes to use fewer than
    QUIET_CORES cores. Returns the cores they used at the last look."""
    deadline = time.monotonic() + limit_s
    if limit_s <= 0:
        return None
    while True:
        b0, _ = cpu_times()
        time.sleep(0.5)
        b1, _ = cpu_times()
        cores = (b1 - b0) / 0.5
        if cores < QUIET_CORES or time.monotonic() >= deadline:
            return cores


def machine_description():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_release(),
    }


def os_release():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def package_version(name):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name],
                             capture_output=True, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return out.stdout.decode().strip() or None if out.returncode == 0 else None


def first_line(text):
    return text.strip().splitlines()[0] if text.strip() else "?"


def versions(lianbo):
    found = {
        "lianbo": first_line(tool_output([lianbo, "--version"], "lianbo --version")),
        "ffplay": first_line(tool_output(["ffplay", "-version"], "ffplay -version")),
        "python": platform.python_version(),
    }
    for pkg in ("libsdl2-2.0-0", "libgl1-mesa-dri", "xvfb", "libavcodec59"):
        found[pkg] = package_version(pkg)
    return found


# --- media -------------------------------------------------------------------

class Clip:
    def __init__(self, name, path, width, height, fps, seconds):
        self.name, self.path = name, path
        self.width, self.height, self.fps, self.seconds = width, height, fps, seconds

    @property
    def size(self):
        return f"{self.width}x{self.height}"

    @property
    def frames(self):
        return round(self.fps * self.seconds)


def ffmpeg_make(args, out, what):
    """Writes OUT with ffmpeg ARGS, through a temporary name so that an
    interrupted run never leaves half a clip in the cache."""
    tmp = out + ".part" + os.path.splitext(out)[1]
    tool_output(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args, tmp],
                what, timeout=1800)
    os.replace(tmp, out)
    return out


def test_clip(cache, width, height, fps, seconds):
    """A testsrc2 clip encoded as an ordinary H.264 file of its size would be:
    CRF 23, preset medium, BT.709 as HD is, moov at the front for the web."""
    name = f"testsrc2-{width}x{height}-{fps}fps-{seconds}s-crf23-medium.mp4"
    path = os.path.join(cache, name)
    if not os.path.exists(path):
        log(f"  making {name} (once; kept in {cache})")
        ffmpeg_make(["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={seconds}",
                     "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                     "-colorspace", "bt709", "-color_primaries", "bt709",
                     "-color_trc", "bt709", "-c:v", "libx264", "-preset", "medium",
                     "-crf", "23", "-movflags", "+faststart"], path, f"making {name}")
    return Clip(f"{height}p", path, width, height, fps, seconds)


def solid_clip(cache, colour, seconds=1, size="640x360", fps=30):
    name = f"solid-{colour}-{size}-{fps}fps-{seconds}s.mp4"
    path = os.path.join(cache, name)
    if not os.path.exists(path):
        ffmpeg_make(["-f", "lavfi", "-i", f"color=c=0x{colour}:s={size}:r={fps}:d={seconds}",
                     "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"],
                    path, f"making {name}")
    return path


def still_image(cache, size):
    path = os.path.join(cache, f"still-{size}.png")
    if not os.path.exists(path):
        ffmpeg_make(["-f", "lavfi", "-i", f"testsrc2=s={size}", "-frames:v", "1"], path,
                    "making the still image")
    return path


def warm_page_cache(path):
    """Reads PATH once so that every run finds it in memory, as a player
    finds a file its cache has just verified."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def clip_bitrate(path):
    out = tool_output(["ffprobe", "-v", "error", "-show_entries", "format=bit_rate",
                       "-of", "csv=p=0", path], f"probing {path}")
    try:
        return int(out.strip()) / 1e6
    except ValueError:
        return None


# --- lianbo ------------------------------------------------------------------

def build_lianbo(cache):
    """Builds a release copy of the current source tree outside it and
    returns the binary; the tree's own build directory is left alone."""
    build = os.path.join(cache, "build-release")
    if not os.path.exists(os.path.join(build, "build.ninja")):
        log(f"  configuring a release build in {build}")
        tool_output(["meson", "setup", build, SOURCE_ROOT, "--buildtype=release"],
                    "configuring the release build", timeout=600)
    log("  compiling lianbo (release)")
    tool_output(["meson", "compile", "-C", build, "lianbo"], "compiling lianbo", timeout=1800)
    return os.path.join(build, "lianbo")


def build_type(exe):
    """meson's buildtype of the build EXE comes from, when it says."""
    info = os.path.join(os.path.dirname(os.path.abspath(exe)), "meson-info",
                        "intro-buildoptions.json")
    try:
        with open(info) as f:
            for opt in json.load(f):
                if opt.get("name") == "buildtype":
                    return opt.get("value")
    except (OSError, ValueError):
        pass
    return None


def config_text(world, width, height, split):
    return (f'display: {{ fullscreen = false; width = {width}; height = {height};\n'
            f'  layout = "split"; split = {split}; rotation = 0; crossfade_ms = 0; }};\n'
            f'schedule: {{ url = "file://{world.manifest}"; }};\n'
            f'cache: {{ dir = "{world.dir}/cache"; }};\n'
            f'device: {{ id = "bench"; }};\n'
            f'audio: {{ enabled = false; }};\n'
            f'log: {{ level = "info"; }};\n')


class World:
    """A directory holding one lianbo configuration and manifest."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.config = os.path.join(self.dir, "lianbo.cfg")
        self.manifest = os.path.join(self.dir, "manifest.json")
        self.trace = os.path.join(self.dir, "frames.trace")
        self.stderr = os.path.join(self.dir, "stderr.log")

    def write(self, width, height, split, upper, lower, media):
        doc = {"version": 1, "media": [{"id": k, "url": v} for k, v in media.items()],
               "zones": {"upper": {"items": upper}, "lower": {"items": lower}}}
        with open(self.manifest, "w") as f:
            json.dump(doc, f, indent=1)
        with open(self.config, "w") as f:
            f.write(config_text(self, width, height, split))


def video_item(item_id, media, loop=True, fit="fit"):
    """A video item; a looping one with a long slot plays its clip over
    in the same decoder, so no second decoder opens during a run."""
    item = {"id": item_id, "type": "video", "media": media, "fit": fit}
    if loop:
        item.update({"play": "loop", "duration": 3600})
    return item


def pick_split(exe, root):
    """1.0 (one zone fills the window) when this lianbo accepts it, else
    0.9, the smallest lower zone older versions allow."""
    w = World(root, "split-check")
    w.write(640, 360, 1.0, [], [], {})
    proc = subprocess.run([exe, "--check-config", w.config], capture_output=True, timeout=60)
    return 1.0 if proc.returncode == 0 else 0.9


COUNTERS = re.compile(r"\b(upper|lower): video (\S+): decoded (\d+), shown (\d+), "
                      r"dropped (\d+) frames")
OPENED = re.compile(r"\b(upper|lower): video (\S+): \S+ \d+x\d+, decoder (\S+) "
                    r"\(([^,]+), (\d+) threads?\)")


def lianbo_counters(text):
    """{zone: [decoded, shown, dropped]} summed over the log's end lines."""
    out = {}
    for m in COUNTERS.finditer(text):
        c = out.setdefault(m.group(1), [0, 0, 0])
        for i in range(3):
            c[i] += int(m.group(3 + i))
    return out


def zone_counters(run, zone):
    """[decoded, shown, dropped] of ZONE's video in RUN's log; a run
    without that line did not play, and the benchmark stops there."""
    counts = lianbo_counters(run.log).get(zone)
    if counts is None:
        raise BenchError(f"lianbo ({run.what}) logged no 'decoded N, shown M, dropped K' "
                         f"line for the {zone} zone:\n    "
                         + "\n    ".join(run.log.splitlines()[-15:]))
    return counts


def lianbo_threads(text):
    m = OPENED.search(text)
    return (int(m.group(5)), m.group(3), m.group(4)) if m else (None, None, None)


# --- running a player --------------------------------------------------------

class Run:
    """One run of a player: what wait4() and its log say."""

    def __init__(self, player, what):
        self.player, self.what = player, what
        self.cpu = self.user = self.sys = self.rss_mb = self.wall = None
        self.dropped = self.decoded = self.shown = None
        self.x_cpu = self.other_cores = self.steal_s = 0.0
        self.log = ""

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "log"}


def spawn(argv, env, stderr_path):
    workdir = os.path.dirname(stderr_path)
    with open(stderr_path, "wb") as err:
        return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err, cwd=workdir)


# Popen.poll(), and Popen.send_signal() which calls it, reap a process that
# has ended, and its resource usage is lost with it. These two leave it for
# wait4() in reap().

def alive(proc):
    """Whether PROC still runs, leaving an ended one unreaped."""
    info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return info is None


def signal_proc(proc, sig):
    """Sends SIG to PROC unless it has been reaped already."""
    if proc.returncode is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass


def reap(proc, run, limit_s):
    """Waits for PROC (killing it after LIMIT_S seconds) and fills RUN from
    its resource usage."""
    done = threading.Event()

    def kill():
        if not done.is_set():
            signal_proc(proc, signal.SIGKILL)

    timer = threading.Timer(limit_s, kill)
    timer.start()
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        done.set()
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    run.user, run.sys = ru.ru_utime, ru.ru_stime
    run.cpu = ru.ru_utime + ru.ru_stime
    run.rss_mb = ru.ru_maxrss / 1024
    return proc.returncode


def run_lianbo(bench, world, stop_after, what, trace=False, on_running=None):
    """Runs lianbo on WORLD, ends it with SIGTERM STOP_AFTER seconds after
    it was started (SDL turns that into a clean quit) and returns the Run.
    ON_RUNNING(proc, t0) may watch it meanwhile."""
    argv = [bench.lianbo, "--config", world.config, "--windowed"]
    if trace:
        argv += ["--trace-frames", world.trace]
    run = Run("lianbo", what)
    with MachineLoad(bench.xserver) as load:
        t0 = time.monotonic()
        proc = spawn(argv, bench.env, world.stderr)
        if on_running:
            on_running(proc, t0)
        delay = stop_after - (time.monotonic() - t0)
        if delay > 0 and alive(proc):
            time.sleep(delay)
        if alive(proc):
            signal_proc(proc, signal.SIGTERM)
        rc = reap(proc, run, RUN_GRACE_S)
        run.wall = time.monotonic() - t0
        load.finish(run.cpu)
    with open(world.stderr, errors="replace") as f:
        run.log = f.read()
    if rc != 0:
        raise BenchError(f"lianbo exited with {rc} ({what}): {' '.join(argv)}\n    "
                         + "\n    ".join(run.log.splitlines()[-15:]))
    fill_load(run, load)
    return run


def fill_load(run, load):
    run.x_cpu, run.other_cores, run.steal_s = load.x_cpu, load.other_cores, load.steal_s


FFPLAY_DROPS = re.compile(r"fd=\s*(\d+)")


def run_ffplay(bench, clip, width, height, workdir, play_s=None):
    """Plays CLIP to its end (or for PLAY_S seconds) with ffplay in a
    WIDTHxHEIGHT window. Its status line (-stats; printed to stderr because
    the log level is below info) counts dropped frames as fd=."""
    argv = ["ffplay", "-hide_banner", "-autoexit", "-an", "-sn", "-x", str(width),
            "-y", str(height), "-loglevel", "error", "-stats"]
    if play_s:
        argv += ["-t", str(play_s)]
    argv.append(clip.path)
    err_path = os.path.join(workdir, "ffplay.stderr")
    run = Run("ffplay", clip.name)
    with MachineLoad(bench.xserver) as load:
        t0 = time.monotonic()
        proc = spawn(argv, bench.env, err_path)
        rc = reap(proc, run, clip.seconds + RUN_GRACE_S)
        run.wall = time.monotonic() - t0
        load.finish(run.cpu)
    with open(err_path, errors="replace") as f:
        run.log = f.read()
    if rc != 0:
        raise BenchError(f"ffplay exited with {rc}: {' '.join(argv)}\n    "
                         + "\n    ".join(run.log.replace("\r", "\n").splitlines()[-10:]))
    drops = FFPLAY_DROPS.findall(run.log)
    run.dropped = int(drops[-1]) if drops else None
    fill_load(run, load)
    return run


def run_decode_floor(bench, clip, threads):
    """ffmpeg decoding CLIP's picture to nothing, with THREADS decoder
    threads as lianbo uses: no player can spend less."""
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    if threads:
        argv += ["-threads", str(threads)]
    argv += ["-i", clip.path, "-an", "-sn", "-f", "null", "-"]
    run = Run("ffmpeg decode", clip.name)
    with MachineLoad(None) as load:
        t0 = time.monotonic()
        proc = spawn(argv, bench.env, os.path.join(bench.root, "ffmpeg.stderr"))
        rc = reap(proc, run, 600)
        run.wall = time.monotonic() - t0
        load.finish(run.cpu)
    if rc != 0:
        raise BenchError(f"ffmpeg exited with {rc}: {' '.join(argv)}")
    fill_load(run, load)
    return run


def build_render_floor(cache):
    """Compiles tests/bench/render_floor.c (once per version of it)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_floor.c")
    with open(src, "rb") as f:
        digest = hashlib.sha1(f.read()).hexdigest()[:12]
    exe = os.path.join(cache, f"render_floor-{digest}")
    if not os.path.exists(exe):
        flags = tool_output(["pkg-config", "--cflags", "--libs", "sdl2"], "finding SDL2").split()
        tool_output(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-o", exe + ".part", src,
                     *flags], "compiling render_floor.c")
        os.replace(exe + ".part", exe)
    return exe


def run_render_floor(bench, width, height, fps, seconds):
    """The renderer's floor: render_floor showing WIDTHxHEIGHT frames."""
    argv = [bench.render_floor, str(width), str(height), str(fps), str(seconds)]
    out_path = os.path.join(bench.root, "render_floor.out")
    run = Run("render floor", f"{width}x{height}")
    with MachineLoad(bench.xserver) as load:
        t0 = time.monotonic()
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(argv, env=bench.env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
        rc = reap(proc, run, seconds + RUN_GRACE_S)
        run.wall = time.monotonic() - t0
        load.finish(run.cpu)
    with open(out_path, errors="replace") as f:
        run.log = f.read()
    m = re.search(r"renderer (\S+), frames (\d+)", run.log)
    if rc != 0 or not m:
        raise BenchError(f"render_floor exited with {rc}: {' '.join(argv)}\n    " + run.log)
    run.renderer, run.shown = m.group(1), int(m.group(2))
    fill_load(run, load)
    return run


# --- the frame trace -----------------------------------------------------------

TRACE_ZONE = re.compile(r"(upper|lower)=(.*):([0-9a-f]{6})$")


def parse_trace_line(line):
    """(seconds, {zone: (item, (r, g, b))}) of one --trace-frames line."""
    fields = line.split()
    zones = {}
    for field in fields[1:]:
        m = TRACE_ZONE.match(field)
        if m:
            rgb = bytes.fromhex(m.group(3))
            zones[m.group(1)] = (m.group(2), tuple(rgb))
    return float(fields[0]), zones


def read_trace(path):
    with open(path) as f:
        return [parse_trace_line(ln) for ln in f if ln.strip()]


class TraceWatch:
    """Follows a trace file as lianbo writes it and notes, by the wall
    clock, when the first frame showing ITEM in ZONE appears."""

    def __init__(self, path, zone, item):
        self.path, self.zone, self.item = path, zone, item
        self.seen_at = None      # monotonic time it appeared in the file
        self.trace_t = None      # its time stamp in the trace, on lianbo's clock

    def follow(self, proc, t0, limit_s=10):
        """Looks every 2 ms, so the time seen is at most that late; a look
        is one stat() unless the file grew, to leave the CPU to lianbo."""
        buf = ""
        pos = 0
        deadline = t0 + limit_s
        while time.monotonic() < deadline and alive(proc):
            chunk = ""
            try:
                if os.stat(self.path).st_size > pos:
                    with open(self.path) as f:
                        f.seek(pos)
                        chunk = f.read()
                        pos = f.tell()
            except OSError:
                pass
            now = time.monotonic()
            buf += chunk
            *lines, buf = buf.split("\n")
            for ln in lines:
                t, zones = parse_trace_line(ln)
                if zones.get(self.zone, ("",))[0] == self.item:
                    self.seen_at, self.trace_t = now - t0, t
                    return
            time.sleep(0.002)


# --- X server ------------------------------------------------------------------

class XServer:
    """An Xvfb server on a free display, stopped by its pid."""

    def __init__(self, width, height):
        rfd, wfd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(wfd), "-screen", "0", f"{width}x{height}x24",
                 "-nolisten", "tcp", "-noreset"],
                pass_fds=(wfd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            raise BenchError("Xvfb is not installed (apt-get install xvfb), or use "
                             "--driver offscreen")
        os.close(wfd)
        number = b""
        with os.fdopen(rfd, "rb") as r:
            while not number.endswith(b"\n"):
                chunk = r.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip():
            self.stop()
            raise BenchError("Xvfb did not start (it named no display)")
        self.display = ":" + number.decode().strip()

    def cpu(self):
        return process_cpu(self.proc.pid) or 0.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the benchmark ---------------------------------------------------------------

class Bench:
    """What every measurement shares: the options, the working and cache
    directories, the programs, the environment both players get, and the
    record of every run."""

    def __init__(self, args, root, cache, lianbo, xserver):
        self.args, self.root, self.cache = args, root, cache
        self.lianbo, self.xserver = lianbo, xserver
        self.env = dict(os.environ)
        self.env.update({
            "SDL_VIDEODRIVER": "x11" if xserver else "offscreen",
            "SDL_RENDER_DRIVER": args.renderer,
            "SDL_AUDIODRIVER": "dummy",
        })
        self.env.pop("SDL_RENDER_SCALE_QUALITY", None)
        if args.scale_quality != "own":
            self.env["SDL_RENDER_SCALE_QUALITY"] = args.scale_quality
        if xserver:
            self.env["DISPLAY"] = xserver.display
        self.results = {"runs": []}
        self.waited = 0.0
        self.render_floor = None

    def settle(self):
        """Gives the machine a moment to calm down before a run, within the
        run's waiting budget."""
        if self.args.no_wait:
            return
        budget = QUIET_BUDGET_S / (6 if self.args.quick else 1) - self.waited
        limit = min(QUIET_WAIT_S if not self.args.quick else 5, budget)
        t0 = time.monotonic()
        wait_for_quiet(max(limit, 0))
        self.waited += time.monotonic() - t0

    def record(self, run, **extra):
        d = run.as_dict()
        d.update(extra)
        self.results["runs"].append(d)
        return run


def one_zone_world(bench, clip, width, height):
    w = World(bench.root, f"one-zone-{clip.name}")
    w.write(width, height, bench.split, [video_item("clip", "clip")], [],
            {"clip": clip.path})
    return w


def measure_ttff(bench, clip, width, height, n):
    """Lianbo's time to the first video frame, from the trace as it is
    written: by the wall clock from the process start, and by the trace's
    own clock, which lianbo starts during its start-up (the difference is
    the time spent before that, loading libraries and reading options)."""
    w = one_zone_world(bench, clip, width, height)
    out = []
    for i in range(n):
        bench.settle()
        watch = TraceWatch(w.trace, "upper", "clip")
        if os.path.exists(w.trace):
            os.unlink(w.trace)
        # Stopped as soon as the frame is seen.
        run = run_lianbo(bench, w, 0, f"ttff {i + 1}", trace=True, on_running=watch.follow)
        if watch.seen_at is None:
            raise BenchError(f"lianbo showed no frame of {clip.path} within 10 s:\n    "
                             + "\n    ".join(run.log.splitlines()[-15:]))
        out.append((watch.seen_at, watch.trace_t))
        bench.record(run, test="ttff", ttff_wall=watch.seen_at, ttff_trace=watch.trace_t)
    return out


def measure_pairs(bench, clip, width, height, pairs, stop_after):
    """PAIRS runs each of lianbo and ffplay on CLIP, alternating which goes
    first. Lianbo is ended STOP_AFTER seconds after its start: the clip's
    length plus its own time to first frame."""
    w = one_zone_world(bench, clip, width, height)
    lb, ff = [], []
    for i in range(pairs):
        order = ("lianbo", "ffplay") if i % 2 == 0 else ("ffplay", "lianbo")
        for player in order:
            bench.settle()
            if player == "lianbo":
                run = run_lianbo(bench, w, stop_after, clip.name)
                run.decoded, run.shown, run.dropped = zone_counters(run, "upper")
                run.threads, run.decoder, run.how = lianbo_threads(run.log)
                lb.append(bench.record(run, test="pair", clip=clip.name, pair=i))
            else:
                run = run_ffplay(bench, clip, width, height, bench.root)
                ff.append(bench.record(run, test="pair", clip=clip.name, pair=i))
            log(f"    pair {i + 1} {player:6s}: {describe_run(run)}")
    return lb, ff


def describe_run(r):
    text = (f"cpu {r.cpu:6.2f} s  rss {r.rss_mb:6.1f} MB  dropped {fmt_int(r.dropped)}"
            f"  wall {r.wall:5.2f} s")
    if r.shown is not None:
        text += f"  shown {r.shown}/{r.decoded} decoded"
    return text + f"  (others {r.other_cores:.2f} cores, X {r.x_cpu:.2f} s)"


def fmt_int(v):
    return "?" if v is None else str(v)


def measure_two_zones(bench, big, small, width, height, runs, stop_after):
    """BIG looping in the upper zone and SMALL in the lower, each fitted
    into half of the window, RUNS times: frames dropped by both zones."""
    w = World(bench.root, "two-zones")
    w.write(width, height, 0.5, [video_item("big", "big")], [video_item("small", "small")],
            {"big": big.path, "small": small.path})
    out = []
    for i in range(runs):
        bench.settle()
        run = run_lianbo(bench, w, stop_after, "two zones")
        counts = {z: zone_counters(run, z) for z in ("upper", "lower")}
        run.dropped = sum(c[2] for c in counts.values())
        run.zones = counts
        out.append(bench.record(run, test="two-zones"))
        log(f"    run {i + 1}: {describe_run(run)}; "
            + "; ".join(f"{z}: shown {c[1]}, dropped {c[2]}" for z, c in sorted(counts.items())))
    return out


def measure_still(bench, image, width, height, settle_s, measure_s, loop_offset):
    """CPU of lianbo while one zone shows a still image: sampled from /proc
    after SETTLE_S seconds, over MEASURE_S seconds, with the frames it
    presented meanwhile counted from the trace. LOOP_OFFSET is how long
    after the process start the trace clock starts (from the TTFF runs)."""
    w = World(bench.root, "still")
    item = {"id": "still", "type": "image", "media": "still", "duration": 3600}
    w.write(width, height, bench.split, [item], [], {"still": image})
    sample = {}

    def watch(proc, t0):
        time.sleep(settle_s)
        sample["cpu0"], sample["x0"] = process_cpu(proc.pid), bench_x_cpu(bench)
        sample["t0"] = time.monotonic()
        time.sleep(measure_s)
        sample["cpu1"], sample["x1"] = process_cpu(proc.pid), bench_x_cpu(bench)
        sample["t1"] = time.monotonic()
        sample["from"], sample["to"] = sample["t0"] - t0, sample["t1"] - t0

    bench.settle()
    run = run_lianbo(bench, w, settle_s + measure_s + 0.5, "still image", trace=True,
                     on_running=watch)
    if sample.get("cpu1") is None or sample.get("cpu0") is None:
        raise BenchError("lianbo ended before the still-image measurement finished:\n    "
                         + "\n    ".join(run.log.splitlines()[-15:]))
    span = sample["t1"] - sample["t0"]
    frames = [t for t, _ in read_trace(w.trace)]
    lo, hi = sample["from"] - loop_offset, sample["to"] - loop_offset
    presented = sum(1 for t in frames if lo <= t <= hi)
    result = {
        "core_share": (sample["cpu1"] - sample["cpu0"]) / span,
        "x_core_share": (sample["x1"] - sample["x0"]) / span,
        "seconds": span,
        "frames_presented": presented,
        "frames_total": len(frames),
    }
    bench.record(run, test="still", **result)
    return result


def bench_x_cpu(bench):
    return bench.xserver.cpu() if bench.xserver else 0.0


def measure_gapless(bench, width, height, seconds):
    """Two one-second solid clips, red then blue, over and over in one
    zone: every frame the trace sees after the first must be red or blue.
    Each frame must also show the colour of the item the zone says it
    plays: a red clip shown blue is a colour fault of the renderer path."""
    red = solid_clip(bench.cache, "ff0000")
    blue = solid_clip(bench.cache, "0000ff")
    w = World(bench.root, "gapless")
    w.write(width, height, bench.split,
            [video_item("red", "red", loop=False, fit="fill"),
             video_item("blue", "blue", loop=False, fit="fill")], [],
            {"red": red, "blue": blue})
    bench.settle()
    run = run_lianbo(bench, w, seconds, "gapless", trace=True)
    frames = [(t, z["upper"]) for t, z in read_trace(w.trace) if "upper" in z]
    names = {(255, 0, 0): "red", (0, 0, 255): "blue"}

    def colour_name(rgb):
        for want, name in names.items():
            if all(abs(a - b) <= COLOUR_TOL for a, b in zip(rgb, want)):
                return name
        return None

    first = next((i for i, (_, (item, _)) in enumerate(frames) if item in names.values()),
                 None)
    if first is None:
        raise BenchError("the gapless run showed neither clip:\n    "
                         + "\n    ".join(run.log.splitlines()[-15:]))
    seq = [(t, colour_name(rgb), rgb) for t, (_, rgb) in frames[first:]]
    others = [(t, "%02x%02x%02x" % rgb) for t, name, rgb in seq if name is None]
    wrong = [(t, item, "%02x%02x%02x" % rgb) for t, (item, rgb) in frames[first:]
             if colour_name(rgb) not in (None, item)]
    switches, worst_gap = 0, 0.0
    for (t0, n0, _), (t1, n1, _) in zip(seq, seq[1:]):
        if n0 and n1 and n0 != n1:
            switches += 1
            worst_gap = max(worst_gap, t1 - t0)
    counts = lianbo_counters(run.log)
    result = {"frames": len(seq), "switches": switches, "other_frames": len(others),
              "first_others": others[:5], "worst_switch_gap_s": worst_gap,
              "wrong_colour_frames": len(wrong), "first_wrong": wrong[:5],
              "dropped": counts.get("upper", [0, 0, 0])[2]}
    bench.record(run, test="gapless", **result)
    return result


# --- the report ---------------------------------------------------------------------

def summarise_pairs(lb, ff, frames):
    """Medians of each player's runs, and the median of the per-pair
    lianbo/ffplay ratios. A frame dropped is a frame not drawn, so CPU is
    also given per frame shown (ffplay: the clip's frames less its drops)."""
    def ratio(key):
        rs = [getattr(a, key) / getattr(b, key) for a, b in zip(lb, ff)
              if getattr(a, key) is not None and getattr(b, key)]
        return median(rs)

    for r in lb:
        r.ms_per_frame = r.cpu * 1000 / r.shown if r.shown else None
    for r in ff:
        shown = frames - r.dropped if r.dropped is not None else None
        r.ms_per_frame = r.cpu * 1000 / shown if shown else None

    return {
        "lianbo": {k: median([getattr(r, k) for r in lb]) for k in
                   ("cpu", "user", "sys", "rss_mb", "dropped", "wall", "x_cpu", "other_cores")},
        "ffplay": {k: median([getattr(r, k) for r in ff]) for k in
                   ("cpu", "user", "sys", "rss_mb", "dropped", "wall", "x_cpu", "other_cores")},
        "cpu_ratio": ratio("cpu"),
        "frame_ratio": ratio("ms_per_frame"),
        "lianbo_ms_per_frame": median([r.ms_per_frame for r in lb]),
        "ffplay_ms_per_frame": median([r.ms_per_frame for r in ff]),
        "rss_ratio": ratio("rss_mb"),
        "lianbo_max_dropped": max((r.dropped for r in lb if r.dropped is not None),
                                  default=None),
        "ffplay_max_dropped": max((r.dropped for r in ff if r.dropped is not None),
                                  default=None),
        "lianbo_shown": median([r.shown for r in lb]),
        "pairs": len(lb),
    }


def verdict(ok):
    return "MET" if ok else "NOT MET"


def targets(res):
    s1080 = res["clips"]["1080p"]["summary"]
    ttff = res["ttff"]["median_wall"]
    two = res["two_zones"]
    still = res["still"]
    gap = res["gapless"]
    rows = [
        ("CPU <= 0.8x ffplay (1080p)", f"{s1080['cpu_ratio']:.2f}x in all, "
         f"{s1080['frame_ratio']:.2f}x a frame shown",
         s1080["cpu_ratio"] <= TARGET_CPU_RATIO and s1080["frame_ratio"] <= TARGET_CPU_RATIO),
        ("peak RSS <= 0.6x ffplay (1080p)", f"{s1080['rss_ratio']:.2f}x",
         s1080["rss_ratio"] <= TARGET_RSS_RATIO),
        ("no dropped frames at 1080p30", f"{s1080['lianbo_max_dropped']} in the worst run "
         f"(median {s1080['lianbo']['dropped']:g})", s1080["lianbo_max_dropped"] == 0),
        ("time to first frame < 300 ms", f"{ttff * 1000:.0f} ms median, "
         f"{res['ttff']['max_wall'] * 1000:.0f} ms worst", ttff < TARGET_TTFF_S),
        ("two zones (1080p + 720p): no drops", f"{two['max_dropped']} in the worst run",
         two["max_dropped"] == 0),
        ("still image < 2% of a core", f"{still['core_share'] * 100:.2f}% "
         f"({still['frames_presented']} frames presented)",
         still["core_share"] < TARGET_IDLE_CORE),
        ("gapless: no black frame between videos",
         f"{gap['other_frames']} foreign frames in {gap['switches']} switches",
         gap["other_frames"] == 0 and gap["switches"] >= 2),
        ("(check) each clip in its own colour", f"{gap['wrong_colour_frames']} of "
         f"{gap['frames']} frames in the other clip's colour", gap["wrong_colour_frames"] == 0),
    ]
    return [(name, value, verdict(ok)) for name, value, ok in rows]


def tables(res):
    """The report as a list of (title, header, rows) tables."""
    out = []
    for name, c in res["clips"].items():
        s = c["summary"]
        lb, ff = s["lianbo"], s["ffplay"]
        lb_above = lb["rss_mb"] - c["render_floor_rss"]
        ff_above = ff["rss_mb"] - c["render_floor_rss"]
        rows = [
            ("CPU s (user+sys)", f"{lb['cpu']:.2f}", f"{ff['cpu']:.2f}", f"{s['cpu_ratio']:.2f}"),
            ("  user / sys", f"{lb['user']:.2f} / {lb['sys']:.2f}",
             f"{ff['user']:.2f} / {ff['sys']:.2f}", ""),
            ("CPU ms a frame shown", f"{s['lianbo_ms_per_frame']:.1f}",
             f"{fmt_num(s['ffplay_ms_per_frame'], '.1f')}", f"{fmt_num(s['frame_ratio'], '.2f')}"),
            ("peak RSS MB", f"{lb['rss_mb']:.1f}", f"{ff['rss_mb']:.1f}", f"{s['rss_ratio']:.2f}"),
            ("peak RSS above the render floor MB", f"{lb_above:.1f}", f"{ff_above:.1f}",
             f"{lb_above / ff_above:.2f}" if ff_above > 0 else "?"),
            ("frames shown (lianbo, median)", f"{s['lianbo_shown']:g} of {c['frames']}", "", ""),
            ("dropped frames (median / worst)", f"{lb['dropped']:g} / {s['lianbo_max_dropped']}",
             f"{fmt_num(ff['dropped'])} / {fmt_int(s['ffplay_max_dropped'])}", ""),
            ("wall s", f"{lb['wall']:.2f}", f"{ff['wall']:.2f}", ""),
            ("X server CPU s", f"{lb['x_cpu']:.2f}", f"{ff['x_cpu']:.2f}", ""),
            ("other processes, cores", f"{lb['other_cores']:.2f}", f"{ff['other_cores']:.2f}", ""),
            ("decode-only floor: ffmpeg CPU s", f"{c['floor_cpu']:.2f}", "",
             f"lianbo {lb['cpu'] / c['floor_cpu']:.2f}x"),
            ("  the same a frame, ms", f"{c['floor_cpu'] * 1000 / c['frames']:.1f}", "", ""),
            ("render-only floor: CPU ms a frame", f"{c['render_floor_ms']:.1f}", "", ""),
            ("render-only floor: peak RSS MB", f"{c['render_floor_rss']:.1f}", "", ""),
        ]
        out.append((f"{name} clip ({c['size']}, {c['fps']} fps, {c['seconds']} s, "
                    f"{c['mbps']:.1f} Mb/s), window {c['window']}, medians of "
                    f"{s['pairs']} pair(s)", ("", "lianbo", "ffplay", "lianbo/ffplay"), rows))
    t = res["ttff"]
    out.append(("lianbo time to first frame (1080p, from the page cache)",
                ("", "median", "worst"),
                [("process start -> first frame (wall clock)",
                  f"{t['median_wall'] * 1000:.0f} ms", f"{t['max_wall'] * 1000:.0f} ms"),
                 ("lianbo's own clock -> first frame (trace)",
                  f"{t['median_trace'] * 1000:.0f} ms", f"{t['max_trace'] * 1000:.0f} ms")]))
    two = res["two_zones"]
    out.append((f"two zones, window {two['window']}, split 0.5", ("", "value"),
                [("CPU s (median)", f"{two['cpu']:.2f}"),
                 ("peak RSS MB (median)", f"{two['rss_mb']:.1f}"),
                 ("dropped frames per run", ", ".join(str(d) for d in two["dropped"]))]))
    st = res["still"]
    out.append((f"still image, window {st['window']}", ("", "value"),
                [("lianbo CPU while idle", f"{st['core_share'] * 100:.2f}% of a core over "
                  f"{st['seconds']:.0f} s"),
                 ("X server CPU meanwhile", f"{st['x_core_share'] * 100:.2f}% of a core"),
                 ("frames presented meanwhile", str(st["frames_presented"]))]))
    g = res["gapless"]
    out.append(("gapless: red and blue 1 s clips in turn", ("", "value"),
                [("frames traced", str(g["frames"])), ("switches", str(g["switches"])),
                 ("frames neither red nor blue", str(g["other_frames"])),
                 ("frames in the other clip's colour (red shown blue)",
                  str(g["wrong_colour_frames"])),
                 ("longest gap at a switch", f"{g['worst_switch_gap_s'] * 1000:.0f} ms"),
                 ("dropped frames", str(g["dropped"]))]))
    out.append(("targets", ("target", "measured", "verdict"), targets(res)))
    return out


def fmt_num(v, spec="g"):
    return "?" if v is None else format(v, spec)


def render_plain(tabs):
    lines = []
    for title, header, rows in tabs:
        lines.append("")
        lines.append(title)
        widths = [max(len(str(r[i])) for r in [header] + list(rows))
                  for i in range(len(header))]
        for r in [header] + list(rows):
            lines.append("  " + "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def render_markdown(tabs):
    lines = []
    for title, header, rows in tabs:
        lines += ["", f"**{title}**", "",
                  "| " + " | ".join(header) + " |",
                  "|" + "|".join("---" for _ in header) + "|"]
        for r in rows:
            lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in r) + " |")
    return "\n".join(lines)


def describe_setup(res):
    m, v, s = res["machine"], res["versions"], res["setup"]
    lines = [
        f"- machine: {m['cpus']} CPUs, {m['cpu_model']}, {m['memory_gb']} GB, "
        f"{m['os']}, Linux {m['kernel']}",
        f"- lianbo: {v['lianbo']} ({s['lianbo']}, buildtype {s['buildtype']})",
        f"- ffplay: {v['ffplay']}",
        f"- SDL {v.get('libsdl2-2.0-0')}, Mesa {v.get('libgl1-mesa-dri')}, "
        f"Xvfb {v.get('xvfb')}, libavcodec {v.get('libavcodec59')}, Python {v['python']}",
        f"- video driver {s['video_driver']}, renderer {s['renderer']}, scale quality "
        f"{s['scale_quality']}, sound off, lianbo zone split {s['split']}, "
        f"lianbo decoder {s['decoder']} ({s['how']}, {s['threads']} threads)",
        f"- command: {s['command']}",
    ]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description="lianbo against ffplay on the same clips "
                                 "(docs/performance.md).")
    ap.add_argument("--quick", action="store_true",
                    help="one pair of 6-second clips and short checks: a smoke test")
    ap.add_argument("--pairs", type=int, help="lianbo/ffplay pairs per clip (default 3)")
    ap.add_argument("--lianbo", help="the lianbo binary (default: build a release copy "
                    "of this tree in the cache directory)")
    ap.add_argument("--driver", choices=("xvfb", "offscreen"), default="xvfb",
                    help="SDL video driver for both players (default xvfb; see the top of "
                    "this file for why not offscreen)")
    ap.add_argument("--renderer", default="opengles2",
                    help="SDL_RENDER_DRIVER for both players (default opengles2)")
    ap.add_argument("--scale-quality", default="linear",
                    choices=("nearest", "linear", "best", "own"),
                    help="SDL_RENDER_SCALE_QUALITY for both players (default linear, "
                    "ffplay's own choice); 'own' sets none and lets each player choose "
                    "(ffplay linear, lianbo SDL's default, nearest)")
    ap.add_argument("--cache", help="where clips and the release build are kept "
                    "(default $XDG_CACHE_HOME/lianbo-bench or ~/.cache/lianbo-bench)")
    ap.add_argument("--no-wait", action="store_true",
                    help="do not wait for a quiet machine before each run")
    ap.add_argument("--json", help="also write every run and the summary to this file")
    ap.add_argument("--markdown", help="also write the report as Markdown to this file")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a target is not met")
    args = ap.parse_args(argv)
    if args.pairs is None:
        args.pairs = 1 if args.quick else 3
    if args.pairs < 1:
        ap.error("--pairs wants 1 or more")
    return args


def cache_dir(args):
    if args.cache:
        path = args.cache
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        path = os.path.join(base, "lianbo-bench")
    os.makedirs(path, exist_ok=True)
    return path


def run_all(args, bench, clips, windows):
    res = bench.results
    seconds = clips["1080p"].seconds
    quick = args.quick

    log("\nwarming up (one uncounted run of each player)")
    for clip in clips.values():
        warm_page_cache(clip.path)
    big = clips["1080p"]
    w, h = windows["1080p"]
    run_lianbo(bench, one_zone_world(bench, big, w, h), 2, "warm-up")
    run_ffplay(bench, big, w, h, bench.root, play_s=2)

    log("\ntime to first frame (1080p)")
    ttff = measure_ttff(bench, big, w, h, 3 if quick else 5)
    walls, traces = [a for a, _ in ttff], [b for _, b in ttff]
    res["ttff"] = {"median_wall": median(walls), "max_wall": max(walls),
                   "median_trace": median(traces), "max_trace": max(traces),
                   "runs": ttff}
    log("    " + ", ".join(f"{a * 1000:.0f} ms" for a in walls)
        + "  (trace clock: " + ", ".join(f"{b * 1000:.0f}" for b in traces) + " ms)")
    # Lianbo plays the clip once: its length, its time to first frame and
    # one frame more, measured from its start as ffplay's run is.
    stop_after = seconds + res["ttff"]["median_wall"] + 1 / big.fps

    res["clips"] = {}
    for name, clip in clips.items():
        cw, ch = windows[name]
        log(f"\n{name}: lianbo and ffplay, {args.pairs} pair(s), window {cw}x{ch}")
        lb, ff = measure_pairs(bench, clip, cw, ch, args.pairs,
                               clip.seconds + res["ttff"]["median_wall"] + 1 / clip.fps)
        res["setup"].update(threads=lb[0].threads, decoder=lb[0].decoder, how=lb[0].how)
        floors = [bench.record(run_decode_floor(bench, clip, lb[0].threads),
                               test="floor", clip=name)
                  for _ in range(args.pairs)]
        floor = median([r.cpu for r in floors])
        log(f"    decode-only floor (ffmpeg -threads {lb[0].threads}): {floor:.2f} s CPU")
        rf_seconds = 5 if quick else 10
        rfs = []
        for _ in range(args.pairs):
            bench.settle()
            rfs.append(bench.record(run_render_floor(bench, cw, ch, clip.fps, rf_seconds),
                                    test="render-floor", clip=name))
        res["setup"]["renderer_used"] = rfs[0].renderer
        rf_ms = median([r.cpu * 1000 / r.shown for r in rfs])
        log(f"    render-only floor (render_floor, {rfs[0].renderer}): {rf_ms:.1f} ms CPU "
            f"a frame, {median([r.rss_mb for r in rfs]):.1f} MB")
        res["clips"][name] = {
            "size": clip.size, "fps": clip.fps, "seconds": clip.seconds,
            "frames": clip.frames, "mbps": clip_bitrate(clip.path) or 0.0,
            "window": f"{cw}x{ch}", "summary": summarise_pairs(lb, ff, clip.frames),
            "floor_cpu": floor, "render_floor_ms": rf_ms,
            "render_floor_rss": median([r.rss_mb for r in rfs]),
        }

    log("\ntwo zones: 1080p upper, 720p lower")
    w2, h2 = windows["1080p"]
    two = measure_two_zones(bench, clips["1080p"], clips["720p"], w2, h2,
                            1 if quick else args.pairs, stop_after)
    res["two_zones"] = {"window": f"{w2}x{h2}", "cpu": median([r.cpu for r in two]),
                        "rss_mb": median([r.rss_mb for r in two]),
                        "dropped": [r.dropped for r in two],
                        "max_dropped": max(r.dropped for r in two)}

    log("\nstill image")
    image = still_image(bench.cache, f"{w2}x{h2}")
    offset = max(res["ttff"]["median_wall"] - res["ttff"]["median_trace"], 0.0)
    st = measure_still(bench, image, w2, h2, 3 if quick else 5, 8 if quick else 20, offset)
    st["window"] = f"{w2}x{h2}"
    res["still"] = st
    log(f"    {st['core_share'] * 100:.2f}% of a core, {st['frames_presented']} frames "
        "presented while nothing changed")

    log("\ngapless")
    res["gapless"] = measure_gapless(bench, w2, h2, 4.5 if quick else 8.5)
    g = res["gapless"]
    log(f"    {g['switches']} switches, {g['other_frames']} frames of another colour, "
        f"{g['wrong_colour_frames']} frames in the other clip's colour")
    if g["first_wrong"]:
        log("    for example (seconds, item, colour seen): "
            + ", ".join(f"{t:.3f} {item} #{rgb}" for t, item, rgb in g["first_wrong"][:3]))


def main(argv):
    args = parse_args(argv)
    cache = cache_dir(args)
    log(f"lianbo video benchmark ({'quick' if args.quick else 'full'}); cache {cache}")
    lianbo = os.path.abspath(args.lianbo) if args.lianbo else build_lianbo(cache)
    if not os.access(lianbo, os.X_OK):
        raise BenchError(f"{lianbo}: no such program (build lianbo first, or drop --lianbo)")
    btype = build_type(lianbo)
    if btype not in ("release", None):
        log(f"  note: {lianbo} is a {btype} build; figures for a release build differ")

    seconds = 6 if args.quick else 20
    log("clips")
    clips = {"1080p": test_clip(cache, 1920, 1080, 30, seconds),
             "720p": test_clip(cache, 1280, 720, 30, seconds)}
    windows = {name: (c.width, c.height) for name, c in clips.items()}

    root = tempfile.mkdtemp(prefix="lianbo-bench-")
    xserver = None
    try:
        if args.driver == "xvfb":
            xserver = XServer(max(w for w, _ in windows.values()),
                              max(h for _, h in windows.values()))
        else:
            log("  note: under the offscreen driver ffplay keeps drawing into the 640x480 "
                "surface its window was made with; its figures are not comparable")
        bench = Bench(args, root, cache, lianbo, xserver)
        bench.render_floor = build_render_floor(cache)
        bench.split = pick_split(lianbo, root)
        if bench.split != 1.0:
            log("  note: this lianbo refuses split = 1.0, so the video zone takes 90% of "
                "the window and the lower zone shows its fallback")
        bench.results.update(
            machine=machine_description(), versions=versions(lianbo),
            setup={"lianbo": lianbo, "buildtype": btype, "split": bench.split,
                   "video_driver": bench.env["SDL_VIDEODRIVER"], "renderer": args.renderer,
                   "scale_quality": args.scale_quality, "quick": args.quick,
                   "pairs": args.pairs,
                   "command": "python3 tests/bench/run.py " + " ".join(argv)})
        run_all(args, bench, clips, windows)
    finally:
        if xserver:
            xserver.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            log(f"working directory kept: {root}")

    res = bench.results
    tabs = tables(res)
    log("\n" + describe_setup(res))
    log(render_plain(tabs))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(describe_setup(res) + "\n" + render_markdown(tabs) + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
    missed = [t for t in targets(res) if t[2] != "MET"]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        print(f"run.py: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
