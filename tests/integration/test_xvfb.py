"""The real X11 path: lianbo opens a window on a virtual X server (Xvfb)
and the pixels read back from that server show both zones. This is what a
terminal without a window manager does at boot."""

import datetime
import os
import signal
import subprocess
import time

from harness import (Suite, World, check, expect_colour, image_item, manifest,
                     near, hex_rgb, read_png, solid, zone_rects, centre_box, TestFailure)
from videofix import clip, video_item

suite = Suite()

SCREEN_W, SCREEN_H = 800, 1000
RED, BLUE = "#ff0000", "#0000ff"


class Xvfb:
    """A private X server on a display number it picks itself (-displayfd),
    so parallel tests never collide. Killed on exit."""

    def __enter__(self):
        read_fd, write_fd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                 f"{SCREEN_W}x{SCREEN_H}x24", "-nolisten", "tcp", "-br"],
                pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise TestFailure("Xvfb is not installed (apt-get install xvfb)")
        os.close(write_fd)
        number = b""
        deadline = time.monotonic() + 30
        with os.fdopen(read_fd, "rb") as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = pipe.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip().isdigit():
            self.__exit__()
            raise TestFailure("Xvfb did not start: "
                              + self.proc.stderr.read().decode(errors="replace")[-800:])
        self.display = ":" + number.decode().strip()
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def capture(self, path):
        """The whole screen as a PNG, the way a camera pointed at it would see."""
        env = dict(os.environ, DISPLAY=self.display)
        xwd = subprocess.run(["xwd", "-root", "-silent"], capture_output=True, env=env,
                             timeout=30)
        check(xwd.returncode == 0, "xwd failed: " + xwd.stderr.decode(errors="replace"))
        conv = subprocess.run(["convert", "xwd:-", f"PNG24:{path}"], input=xwd.stdout,
                              capture_output=True, timeout=30)
        check(conv.returncode == 0, "convert xwd: failed: " + conv.stderr.decode(errors="replace"))
        return read_png(path)


def bounding_box(img, colours, tol=40):
    """Smallest rectangle holding every pixel near one of COLOURS."""
    want = [hex_rgb(c) for c in colours]
    xs, ys = [], []
    for y in range(0, img.height, 2):
        for x in range(0, img.width, 2):
            p = img.pixel(x, y)
            if any(near(p, c, tol) for c in want):
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs) - min(xs) + 2, max(ys) - min(ys) + 2


def two_colour_world(w, display):
    solid(w.media("red.png"), RED)
    solid(w.media("blue.png"), BLUE)
    w.write_manifest(manifest(
        upper=[image_item("red", "red")], lower=[image_item("blue", "blue")],
        media=[("red", "media/red.png"), ("blue", "media/blue.png")]))
    w.write_config(display=display)


def wait_for_window(x, w, proc, size_ok):
    """Captures the screen until red and blue form a window of the expected
    size, or 30 s pass. Returns the last capture and its box."""
    deadline = time.monotonic() + 30
    img = box = None
    while time.monotonic() < deadline:
        check(proc.poll() is None, "lianbo quit on the X server:\n    "
              + "\n    ".join(w.stderr_so_far().splitlines()[-20:]))
        img = x.capture(w.path("xscreen.png"))
        box = bounding_box(img, (RED, BLUE))
        if box and size_ok(box):
            break
        time.sleep(0.5)
    return img, box


def run_on_x(exe, name, display, windowed, size_ok):
    with Xvfb() as x, World(exe, name) as w:
        two_colour_world(w, display)
        env = w.env(SDL_VIDEODRIVER="x11", DISPLAY=x.display)
        if "ASAN_OPTIONS" in env:
            # On X11, SDL loads Mesa's GLX and libdbus; both keep a little
            # memory to the end, and Mesa is unloaded before LeakSanitizer
            # reports, so it cannot be suppressed by name. Memory errors
            # and undefined behaviour still fail this test; our own leaks
            # are caught by the headless tests, which run the same code.
            env["ASAN_OPTIONS"] += ":detect_leaks=0"
        proc = w.start(env=env, windowed=windowed)
        try:
            img, box = wait_for_window(x, w, proc, size_ok)
        finally:
            res = w.stop(proc)
        check(not res.hung, "lianbo ignored SIGTERM for 15 s and had to be killed")
        check(box is not None, "no red or blue pixels ever appeared on the X screen:\n    "
                               + res.tail())
        check(size_ok(box), f"the red+blue area on screen is {box[2]}x{box[3]} at "
                            f"({box[0]},{box[1]}), not the expected size\n    {res.tail()}")
        return img, box


def near_size(want_w, want_h, slack=4):
    return lambda b: abs(b[2] - want_w) <= slack and abs(b[3] - want_h) <= slack


@suite.test
def window_on_x11_shows_both_zones(exe):
    img, (bx, by, bw, bh) = run_on_x(exe, "x11", {"width": 360, "height": 640}, True,
                                     near_size(360, 640))
    expect_colour(img, bx + bw // 2 - 10, by + bh // 4 - 10, 20, 20, RED,
                  "upper zone of the X11 window")
    expect_colour(img, bx + bw // 2 - 10, by + 3 * bh // 4 - 10, 20, 20, BLUE,
                  "lower zone of the X11 window")
    expect_colour(img, bx + bw // 2 - 10, by + bh // 2 - 26, 20, 20, RED,
                  "just above the middle of the X11 window")
    expect_colour(img, bx + bw // 2 - 10, by + bh // 2 + 6, 20, 20, BLUE,
                  "just below the middle of the X11 window")


@suite.test
def fullscreen_on_x11_covers_the_screen(exe):
    # No window manager runs on the server, as on a kiosk terminal.
    img, _ = run_on_x(exe, "x11-full", {"fullscreen": True, "width": 360, "height": 640},
                      False, near_size(SCREEN_W, SCREEN_H))
    expect_colour(img, 20, 20, 20, 20, RED, "top-left of a fullscreen X11 window")
    expect_colour(img, SCREEN_W - 40, SCREEN_H // 2 - 40, 20, 20, RED,
                  "upper zone, right, of a fullscreen X11 window")
    expect_colour(img, 20, SCREEN_H // 2 + 20, 20, 20, BLUE,
                  "lower zone, left, of a fullscreen X11 window")
    expect_colour(img, SCREEN_W - 40, SCREEN_H - 40, 20, 20, BLUE,
                  "bottom-right of a fullscreen X11 window")


@suite.test
def power_hours_on_x11_darken_the_real_screen(exe):
    """The power hours on a real X server: the fullscreen window turns
    black on the screen itself, the player asks the server for DPMS (Xvfb
    has none, so it says why), and the picture comes back."""
    with Xvfb() as x, World(exe, "x11-power") as w:
        plain = {"fullscreen": True, "width": 360, "height": 640}
        two_colour_world(w, plain)
        env = w.env(SDL_VIDEODRIVER="x11", DISPLAY=x.display)
        if "ASAN_OPTIONS" in env:
            env["ASAN_OPTIONS"] += ":detect_leaks=0"  # Mesa's GLX, as in run_on_x
        proc = w.start(env=env, windowed=False)
        try:
            img, box = wait_for_window(x, w, proc, near_size(SCREEN_W, SCREEN_H))
            check(box and near_size(SCREEN_W, SCREEN_H)(box),
                  f"the window never covered the screen: {box}\n{w.stderr_so_far()[-1500:]}")

            now = datetime.datetime.now()
            dark = dict(plain, power_off=now.strftime("%H:%M"),
                        power_on=(now + datetime.timedelta(minutes=3)).strftime("%H:%M"))
            w.write_config(display=dark)
            proc.send_signal(signal.SIGHUP)
            check(w.wait_for_log("the screen goes dark"), "the screen never went dark:\n"
                  + w.stderr_so_far()[-1500:])
            check(w.wait_for_log("no monitor standby: the X server offers no DPMS"),
                  "no line explaining why the monitor was not put in standby:\n"
                  + w.stderr_so_far()[-1500:])
            time.sleep(0.5)
            img = x.capture(w.path("dark.png"))
            lit = img.count(lambda p: max(p) > 16)
            check(lit == 0, f"{lit} pixels lit on the X screen during the power hours")

            w.write_config(display=plain)
            proc.send_signal(signal.SIGHUP)
            # A reload starts afresh: the picture is simply there again.
            img, box = wait_for_window(x, w, proc, near_size(SCREEN_W, SCREEN_H))
            expect_colour(img, 20, 20, 20, 20, RED, "upper zone after the power hours")
            expect_colour(img, 20, SCREEN_H - 40, 20, 20, BLUE, "lower zone after the power hours")
        finally:
            res = w.stop(proc)
        check(not res.hung, "lianbo ignored SIGTERM for 15 s and had to be killed")


# Colours whose red and blue differ, so a swap of the two channels shows.
ORANGE, AZURE = "#ff8000", "#2060d0"


def video_colours_on_gles(exe, rotation, upper=(ORANGE, {}), lower=(AZURE, {}), tol=40):
    """Two videos, one a zone, drawn by the OpenGL ES 2 renderer (what a
    Raspberry Pi uses) on a real X server; the colours on the screen must
    be the clips' own, unrotated or through the turned canvas. UPPER and
    LOWER are each a colour and options for videofix.clip()."""
    with Xvfb() as x, World(exe, f"x11-gles-{rotation}") as w:
        clip(w.media("up.mp4"), [(upper[0], 4)], **upper[1])
        clip(w.media("low.mp4"), [(lower[0], 4)], **lower[1])
        w.write_manifest(manifest(
            upper=[video_item("up", "up", duration=60)],
            lower=[video_item("low", "low", duration=60)],
            media=[("up", "media/up.mp4"), ("low", "media/low.mp4")]))
        w.write_config(display={"fullscreen": True, "rotation": rotation,
                                "width": 360, "height": 640})
        env = w.env(SDL_VIDEODRIVER="x11", DISPLAY=x.display, SDL_RENDER_DRIVER="opengles2")
        if "ASAN_OPTIONS" in env:
            env["ASAN_OPTIONS"] += ":detect_leaks=0"  # Mesa, as in run_on_x
        zones = zone_rects(SCREEN_W, SCREEN_H, rotation)
        proc = w.start(env=env, windowed=False)
        try:
            check(w.wait_for_log("opengles2 renderer"), "the OpenGL ES 2 renderer was not used:\n"
                  + w.stderr_so_far()[-1500:])
            deadline = time.monotonic() + 30
            while True:
                check(proc.poll() is None, "lianbo quit on the X server:\n"
                      + w.stderr_so_far()[-1500:])
                img = x.capture(w.path("gles.png"))
                up = img.median(*centre_box(zones["upper"], 40))
                low = img.median(*centre_box(zones["lower"], 40))
                if near(up, hex_rgb(upper[0]), tol) and near(low, hex_rgb(lower[0]), tol):
                    break
                check(time.monotonic() < deadline,
                      f"rotation {rotation}: upper zone shows {up}, lower {low}; want "
                      f"{hex_rgb(upper[0])} and {hex_rgb(lower[0])}\n"
                      + w.stderr_so_far()[-1500:])
                time.sleep(0.5)
        finally:
            res = w.stop(proc)
        check(not res.hung, "lianbo ignored SIGTERM for 15 s and had to be killed")


@suite.test
def video_colours_with_opengles2(exe):
    video_colours_on_gles(exe, 0)


@suite.test
def video_colours_with_opengles2_turned(exe):
    video_colours_on_gles(exe, 90)


@suite.test
def full_range_and_tagged_matrix_with_opengles2(exe):
    # The GL renderers convert YUV when drawing, not when uploading: a
    # full-range clip beside an HD clip tagged BT.601, in the same frame.
    bt601 = ["-colorspace", "smpte170m", "-color_primaries", "smpte170m",
             "-color_trc", "smpte170m"]
    video_colours_on_gles(
        exe, 0, upper=("#e0e0e0", {"pix_fmt": "yuvj420p"}),
        lower=("#a020c0", {"size": "1280x720", "out_opts": bt601,
                           "vfilter": "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p"}),
        tol=8)


if __name__ == "__main__":
    suite.main()
