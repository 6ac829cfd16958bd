"""Shared pieces of lianbo's integration tests.

Each test script builds a small world in a temporary directory (a config,
a manifest, a few pictures made with ImageMagick), runs the real lianbo
binary headless until it writes a screenshot, and checks what a person in
front of the screen would see: colours at places, QR codes that decode,
log lines a technician would read.

Only the Python standard library is used, plus the command-line tools
packaging/install-deps.sh installs (ImageMagick, zbarimg, Xvfb, xwd).
"""

import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Seconds a run may take beyond its --after delay before it counts as hung.
# Generous because the sanitizer build is several times slower and the
# first run on a fresh machine builds the fontconfig cache.
RUN_GRACE = 45

# SDL's headless video driver. tests/run-all.sh --sanitize picks "dummy":
# "offscreen" loads Mesa's EGL, which leaks a little and is unloaded again
# before LeakSanitizer reports, so those leaks can be neither traced nor
# suppressed by name.
HEADLESS_DRIVER = os.environ.get("LIANBO_TEST_VIDEODRIVER", "offscreen")

# A sanitizer report means the test failed even if the player carried on.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


class TestFailure(Exception):
    """An expectation about what the player shows or says did not hold."""


def check(cond, message):
    if not cond:
        raise TestFailure(message)


# --- PNG ------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Image:
    """An 8-bit RGB picture: width, height and rows of bytes."""

    def __init__(self, width, height, data):
        self.width = width
        self.height = height
        self.data = data  # bytes, 3 per pixel, rows top to bottom

    def pixel(self, x, y):
        check(0 <= x < self.width and 0 <= y < self.height,
              f"pixel ({x},{y}) is outside the {self.width}x{self.height} image")
        at = (y * self.width + x) * 3
        return tuple(self.data[at:at + 3])

    def crop(self, x, y, w, h):
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        rows = []
        for row in range(y0, y1):
            at = (row * self.width + x0) * 3
            rows.append(self.data[at:at + (x1 - x0) * 3])
        return Image(x1 - x0, y1 - y0, b"".join(rows))

    def pixels(self):
        d = self.data
        for i in range(0, len(d), 3):
            yield d[i], d[i + 1], d[i + 2]

    def median(self, x, y, w, h):
        """Per-channel median of a box: one stray glyph or edge does not count."""
        box = self.crop(x, y, w, h)
        check(box.width > 0 and box.height > 0, f"empty box at ({x},{y})")
        chans = [sorted(box.data[c::3]) for c in range(3)]
        mid = len(chans[0]) // 2
        return tuple(ch[mid] for ch in chans)

    def count(self, predicate):
        return sum(1 for p in self.pixels() if predicate(p))

    def write_png(self, path):
        raw = b"".join(b"\x00" + self.data[y * self.width * 3:(y + 1) * self.width * 3]
                       for y in range(self.height))
        with open(path, "wb") as f:
            f.write(PNG_SIGNATURE)
            f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", self.width,
                                                   self.height, 8, 2, 0, 0, 0)))
            f.write(png_chunk(b"IDAT", zlib.compress(raw, 6)))
            f.write(png_chunk(b"IEND", b""))


def png_chunk(kind, payload):
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(data, height, stride, bpp):
    out = bytearray(height * stride)
    prior = bytearray(stride)
    pos = 0
    for y in range(height):
        check(pos + 1 + stride <= len(data), "PNG image data is cut short")
        kind = data[pos]
        row = bytearray(data[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif kind == 2:
            for i in range(stride):
                row[i] = (row[i] + prior[i]) & 255
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + prior[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                upleft = prior[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + _paeth(left, prior[i], upleft)) & 255
        elif kind != 0:
            raise TestFailure(f"PNG row {y} has unknown filter type {kind}")
        out[y * stride:(y + 1) * stride] = row
        prior = row
    return out


def read_png(path):
    """Reads an 8-bit, non-interlaced PNG (grey, RGB, palette, with or
    without alpha) and returns its RGB pixels; alpha is dropped."""
    with open(path, "rb") as f:
        blob = f.read()
    check(blob.startswith(PNG_SIGNATURE), f"{path}: not a PNG file")
    pos = len(PNG_SIGNATURE)
    header = None
    palette = b""
    idat = []
    while pos + 8 <= len(blob):
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        payload = blob[pos + 8:pos + 8 + length]
        crc_at = pos + 8 + length
        check(crc_at + 4 <= len(blob), f"{path}: chunk {kind!r} is cut short")
        crc = struct.unpack(">I", blob[crc_at:crc_at + 4])[0]
        check(crc == zlib.crc32(kind + payload) & 0xFFFFFFFF,
              f"{path}: chunk {kind!r} has a bad CRC")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", payload)
        elif kind == b"PLTE":
            palette = payload
        elif kind == b"IDAT":
            idat.append(payload)
        elif kind == b"IEND":
            break
        pos = crc_at + 4
    check(header is not None, f"{path}: no IHDR chunk")
    width, height, depth, ctype, _, _, interlace = header
    check(depth == 8, f"{path}: bit depth {depth} is not supported (only 8)")
    check(interlace == 0, f"{path}: interlaced PNGs are not supported")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    check(channels is not None, f"{path}: unknown colour type {ctype}")
    raw = _unfilter(zlib.decompress(b"".join(idat)), height, width * channels, channels)

    if ctype == 2:
        rgb = bytes(raw)
    elif ctype == 6:
        rgb = bytearray(width * height * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = raw[0::4], raw[1::4], raw[2::4]
    elif ctype in (0, 4):
        grey = raw[0::channels]
        rgb = bytearray(width * height * 3)
        rgb[0::3] = rgb[1::3] = rgb[2::3] = grey
    else:
        check(len(palette) % 3 == 0 and palette, f"{path}: bad or missing palette")
        rgb = b"".join(palette[i * 3:i * 3 + 3] for i in raw)
    return Image(width, height, bytes(rgb))


# --- colours and geometry -------------------------------------------------

def hex_rgb(text):
    text = text.lstrip("#")
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def near(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def is_black(p, tol=16):
    return max(p) <= tol


def expect_colour(img, x, y, w, h, want, what, tol=40):
    """The median of box (x, y, w, h) must be WANT, within TOL per channel."""
    if isinstance(want, str):
        want = hex_rgb(want)
    got = img.median(x, y, w, h)
    check(near(got, want, tol),
          f"{what}: expected colour {want} around box ({x},{y},{w}x{h}), "
          f"saw {got}")


def c_round(v):
    return int(math.floor(v + 0.5))


def zone_rects(width, height, rotation=0, split=0.5):
    """Window rectangles (x, y, w, h) of the upper and lower zones.

    The canvas is the window, or its transpose when turned by 90 or 270
    degrees; the upper zone is its top round(canvas_h * split) rows, and
    the whole canvas is then turned clockwise by ROTATION.
    """
    cw, ch = (height, width) if rotation in (90, 270) else (width, height)
    uh = c_round(ch * split)
    canvas = {"upper": (0, 0, cw, uh), "lower": (0, uh, cw, ch - uh)}
    out = {}
    for zone, (x, y, w, h) in canvas.items():
        if rotation == 0:
            out[zone] = (x, y, w, h)
        elif rotation == 90:
            out[zone] = (ch - y - h, x, h, w)
        elif rotation == 180:
            out[zone] = (cw - x - w, ch - y - h, w, h)
        elif rotation == 270:
            out[zone] = (y, cw - x - w, h, w)
        else:
            raise ValueError(f"rotation {rotation}")
    return out


def canvas_to_window(px, py, width, height, rotation=0):
    """Where canvas point (PX, PY) lands in a WIDTHxHEIGHT window."""
    cw, ch = (height, width) if rotation in (90, 270) else (width, height)
    return {0: (px, py), 90: (ch - 1 - py, px), 180: (cw - 1 - px, ch - 1 - py),
            270: (py, cw - 1 - px)}[rotation]


def centre_box(rect, size=20):
    x, y, w, h = rect
    return (x + w // 2 - size // 2, y + h // 2 - size // 2, size, size)


def expect_zone_colour(img, rect, want, what, tol=40, size=20):
    expect_colour(img, *centre_box(rect, size), want, what, tol)


# --- fixtures -------------------------------------------------------------

def run_tool(argv, what, **kwargs):
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=60, **kwargs)
    except FileNotFoundError:
        raise TestFailure(f"{argv[0]} is not installed (run packaging/install-deps.sh)")
    if proc.returncode != 0:
        raise TestFailure(f"{what} failed: {' '.join(argv)}: "
                          f"{proc.stderr.decode(errors='replace').strip()}")
    return proc


def magick(*args):
    """Runs ImageMagick's convert with ARGS (the last one is the output)."""
    run_tool(["convert", *args], f"making {args[-1]}")
    return args[-1]


def solid(path, colour, width=320, height=240):
    return magick("-size", f"{width}x{height}", f"xc:{colour}", path)


def halves(path, left, right, width=320, height=240):
    """A picture whose left half is LEFT and right half RIGHT."""
    return magick("-size", f"{width // 2}x{height}", f"xc:{left}",
                  "-size", f"{width - width // 2}x{height}", f"xc:{right}",
                  "+append", path)


def add_exif_orientation(path, orientation):
    """Inserts an EXIF block holding only an orientation tag right after a
    JPEG's SOI marker. ImageMagick writes no EXIF block of its own, and
    no EXIF tool is among the dependencies, so the few bytes are built here:
    "Exif\\0\\0", a little-endian TIFF header, and an IFD0 with one SHORT."""
    with open(path, "rb") as f:
        jpeg = f.read()
    check(jpeg[:2] == b"\xff\xd8", f"{path} is not a JPEG")
    tiff = (b"II*\x00" + struct.pack("<I", 8)
            + struct.pack("<H", 1)
            + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
            + struct.pack("<I", 0))
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    with open(path, "wb") as f:
        f.write(jpeg[:2] + app1 + jpeg[2:])
    return path


def truncated_jpeg(path, source):
    """A JPEG cut just before its first scan: headers, but no picture."""
    with open(source, "rb") as f:
        jpeg = f.read()
    sos = jpeg.find(b"\xff\xda")
    check(sos > 0, f"{source} has no scan")
    with open(path, "wb") as f:
        f.write(jpeg[:sos])
    return path


def huge_png_header(path, width=30000, height=30000):
    """A PNG whose header claims WIDTHxHEIGHT RGBA pixels but which holds
    almost no data: a player must refuse it before allocating 3.6 GB."""
    row = b"\x00" + b"\x00" * 16
    with open(path, "wb") as f:
        f.write(PNG_SIGNATURE)
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
        f.write(png_chunk(b"IDAT", zlib.compress(row)))
        f.write(png_chunk(b"IEND", b""))
    return path


# --- running lianbo -------------------------------------------------------

def cfg_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return "{ " + " ".join(f"{k} = {cfg_value(x)};" for k, x in v.items()) + " }"
    return json.dumps(str(v), ensure_ascii=False)


def config_text(sections):
    """libconfig text for SECTIONS: {"display": {"width": 540, ...}, ...}.
    One setting per line, so line numbers in error messages are easy to
    predict."""
    lines = []
    for name, body in sections.items():
        lines.append(f"{name}: {{")
        for key, value in body.items():
            lines.append(f"    {key} = {cfg_value(value)};")
        lines.append("};")
    return "\n".join(lines) + "\n"


class Result:
    def __init__(self, argv, returncode, stderr, image, workdir):
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        self.image = image
        self.workdir = workdir

    def log_lines(self, level=None):
        lines = self.stderr.splitlines()
        if level is None:
            return lines
        pat = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} +" + re.escape(level) + r"\b")
        return [ln for ln in lines if pat.match(ln)]

    def tail(self, n=25):
        lines = self.stderr.splitlines()
        return "\n    ".join(lines[-n:]) if lines else "(no output on stderr)"


class World:
    """A temporary directory with a config, a manifest and media, and a way
    to run lianbo against them. Deleted on exit unless KEEP_TEST_DIRS=1."""

    def __init__(self, exe, name="lianbo"):
        self.exe = exe
        self.dir = tempfile.mkdtemp(prefix=f"lianbo-{name}-")
        self.media_dir = os.path.join(self.dir, "media")
        os.makedirs(self.media_dir)
        self.manifest_path = os.path.join(self.dir, "manifest.json")
        self.config_path = os.path.join(self.dir, "lianbo.cfg")
        self.cache_dir = os.path.join(self.dir, "cache")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # A test that failed half-way must not leave a player running.
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if os.environ.get("KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def media(self, name):
        return os.path.join(self.media_dir, name)

    def write_manifest(self, manifest):
        """Writes MANIFEST (a dict, or a string written as is)."""
        text = manifest if isinstance(manifest, str) else \
            json.dumps(manifest, ensure_ascii=False, indent=2)
        with open(self.manifest_path, "w", encoding="utf-8") as f:
            f.write(text)

    def write_config(self, display=None, extra=None, text=None):
        """Writes a config for a small window showing this world's manifest.
        DISPLAY overrides display keys; EXTRA adds or replaces sections."""
        if text is None:
            disp = {"fullscreen": False, "width": 360, "height": 640,
                    "rotation": 0, "layout": "split", "split": 0.5,
                    "crossfade_ms": 0, "fallback_image": ""}
            disp.update(display or {})
            sections = {
                "device": {"id": "test-terminal", "tags": {"building": "3"}},
                "schedule": {"url": "file://" + self.manifest_path},
                "cache": {"dir": self.cache_dir},
                "display": disp,
                "audio": {"enabled": False},
                "log": {"level": "debug"},
            }
            sections.update(extra or {})
            text = config_text(sections)
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(text)
        return self.config_path

    def env(self, **overrides):
        env = dict(os.environ)
        env.update({
            "SDL_VIDEODRIVER": HEADLESS_DRIVER,
            "SDL_RENDER_DRIVER": "software",
            "SDL_AUDIODRIVER": "dummy",
            "HOME": self.dir,
            "XDG_CACHE_HOME": self.path("xdg-cache"),
            "XDG_CONFIG_HOME": self.path("xdg-config"),
        })
        env.update(overrides)
        return env

    def run(self, args=None, after=1.5, config=True, expect_rc=0, timeout=None,
            env=None, screenshot=True, windowed=True):
        """Runs lianbo; with SCREENSHOT, waits for the frame it writes after
        AFTER seconds and returns it decoded in the result."""
        shot = self.path("screen.png")
        if os.path.exists(shot):
            os.unlink(shot)
        argv = [self.exe]
        if config:
            argv += ["--config", self.config_path]
        if windowed:
            argv += ["--windowed"]
        if screenshot:
            argv += ["--screenshot", shot, "--after", str(after)]
        argv += list(args or [])
        limit = timeout if timeout is not None else after + RUN_GRACE
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=limit,
                                  env=env or self.env(), cwd=self.dir)
        except subprocess.TimeoutExpired as e:
            err = (e.stderr or b"").decode(errors="replace")
            raise TestFailure(f"lianbo did not exit within {limit:.0f} s: "
                              f"{' '.join(argv)}\n    " + "\n    ".join(err.splitlines()[-25:]))
        res = Result(argv, proc.returncode, proc.stderr.decode(errors="replace"),
                     None, self.dir)
        check_no_sanitizer_report(res)
        if expect_rc is not None:
            check(res.returncode == expect_rc,
                  f"lianbo exited with {describe_rc(res.returncode)}, expected "
                  f"{expect_rc}: {' '.join(argv)}\n    {res.tail()}")
        if screenshot and res.returncode == 0:
            check(os.path.exists(shot),
                  f"lianbo exited 0 but wrote no screenshot {shot}\n    {res.tail()}")
            res.image = read_png(shot)
        return res


    def start(self, args=None, config=True, env=None, windowed=True):
        """Starts lianbo in the background, its stderr going to a file in
        the world; stop it with stop()."""
        argv = [self.exe]
        if config:
            argv += ["--config", self.config_path]
        if windowed:
            argv += ["--windowed"]
        argv += list(args or [])
        self.stderr_path = self.path("stderr.log")
        with open(self.stderr_path, "wb") as err:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                                    env=env or self.env(), cwd=self.dir)
        proc.argv = argv
        self.procs.append(proc)
        return proc

    def stderr_so_far(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for_log(self, needle, limit=10):
        """Whether NEEDLE appears in the player's log within LIMIT seconds."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if needle in self.stderr_so_far():
                return True
            time.sleep(0.05)
        return False

    def stop(self, proc, wait=15):
        """Asks PROC to quit with SIGTERM as a service manager would; kills
        it if it is still there after WAIT seconds. Returns a Result."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=wait)
            hung = False
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            hung = True
        res = Result(proc.argv, proc.returncode, self.stderr_so_far(), None, self.dir)
        res.hung = hung
        check_no_sanitizer_report(res)
        return res


def describe_rc(rc):
    if rc < 0:
        try:
            return f"signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"signal {-rc}"
    return f"status {rc}"


def check_no_sanitizer_report(res):
    for marker in SANITIZER_MARKERS:
        check(marker not in res.stderr,
              f"sanitizer report from {' '.join(res.argv)}:\n    {res.tail(60)}")


def expect_size(res, width, height):
    img = res.image
    check((img.width, img.height) == (width, height),
          f"screenshot is {img.width}x{img.height}, expected {width}x{height}")


def zbar(img, what, scale=1):
    """Decodes every QR code in IMG with zbarimg; returns the texts.

    zbarimg is told to hand over the code's bytes as they are (-Sbinary)
    and they are read as UTF-8 here: a QR code without an ECI marker does
    not say its character set, and zbar's own guess turns UTF-8 Chinese
    into Shift JIS."""
    fd, path = tempfile.mkstemp(suffix=".png", prefix="lianbo-qr-")
    os.close(fd)
    try:
        img.write_png(path)
        if scale != 1:
            magick(path, "-filter", "point", "-resize", f"{scale * 100}%", path)
        proc = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", path],
                              capture_output=True, timeout=60)
    except FileNotFoundError:
        raise TestFailure("zbarimg is not installed (apt-get install zbar-tools)")
    finally:
        if os.environ.get("KEEP_TEST_DIRS") != "1":
            os.unlink(path)
    # zbarimg exits 4 when it finds no code; the caller's check says so.
    # With -Sbinary each code's data is followed by a newline.
    return [ln for ln in proc.stdout.decode("utf-8", errors="replace").splitlines() if ln]


def expect_qr(img, want, what):
    texts = zbar(img, what)
    if not texts:
        texts = zbar(img, what, scale=2)
    check(texts == [want], f"{what}: expected one QR code reading {want!r}, "
                           f"zbarimg read {texts!r}")


def warn_lines_naming(res, name):
    return [ln for ln in res.log_lines("warn") if name in ln]


# --- manifests ------------------------------------------------------------

def manifest(upper=(), lower=(), media=()):
    """A manifest dict; MEDIA is a list of (id, url) pairs."""
    return {
        "version": 1,
        "media": [{"id": mid, "url": url} for mid, url in media],
        "zones": {"upper": {"items": list(upper)}, "lower": {"items": list(lower)}},
    }


def image_item(item_id, media_id, duration=30, fit="fill"):
    return {"id": item_id, "type": "image", "media": media_id,
            "duration": duration, "fit": fit}


def text_item(item_id, title, body, bg="#000000", fg="#ffffff", duration=30):
    return {"id": item_id, "type": "text", "title": title, "body": body,
            "duration": duration, "fg": fg, "bg": bg}


# --- the test runner ------------------------------------------------------

class Suite:
    """Runs test functions in order and prints a line per test and a tally.
    A test is a function taking the lianbo executable path."""

    def __init__(self):
        self.tests = []

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def main(self):
        if len(sys.argv) < 2 and "LIANBO" not in os.environ:
            sys.exit(f"usage: {sys.argv[0]} PATH-TO-LIANBO [TEST-NAME...]")
        exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ["LIANBO"])
        only = set(sys.argv[2:])
        passed = failed = 0
        for fn in self.tests:
            if only and fn.__name__ not in only:
                continue
            start = time.monotonic()
            try:
                fn(exe)
            except TestFailure as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {fn.__name__}: the test itself broke:\n"
                      + traceback.format_exc(), flush=True)
            else:
                passed += 1
                print(f"ok   {fn.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
        print(f"{passed} passed, {failed} failed")
        sys.exit(1 if failed or not passed else 0)
