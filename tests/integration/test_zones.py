"""Both zones show their own content, where the split ratio says, on one
screen or two; SIGUSR1 captures the running screen."""

import os
import re
import signal
import time

from harness import (Suite, World, check, expect_colour, expect_size,
                     expect_zone_colour, image_item, manifest, read_png,
                     solid, zone_rects)

suite = Suite()

RED, BLUE = "#ff0000", "#0000ff"


def two_colours(w, display=None):
    # The example manifest's own spellings: a relative URL with a space in
    # the file name, and an absolute file:// URL.
    solid(w.media("red photo.png"), RED)
    solid(w.path("blue.png"), BLUE)
    w.write_manifest(manifest(
        upper=[image_item("upper-red", "red")],
        lower=[image_item("lower-blue", "blue")],
        media=[("red", "media/red photo.png"), ("blue", "file://" + w.path("blue.png"))]))
    w.write_config(display=display)


@suite.test
def each_zone_shows_its_own_picture(exe):
    with World(exe, "zones") as w:
        two_colours(w)
        res = w.run()
        expect_size(res, 360, 640)
        zones = zone_rects(360, 640)
        expect_zone_colour(res.image, zones["upper"], RED, "upper zone centre")
        expect_zone_colour(res.image, zones["lower"], BLUE, "lower zone centre")
        # Filled pictures reach the corners of their zone, too.
        expect_colour(res.image, 2, 2, 6, 6, RED, "upper zone top-left corner")
        expect_colour(res.image, 352, 632, 6, 6, BLUE, "lower zone bottom-right corner")


@suite.test
def split_ratio_moves_the_boundary(exe):
    with World(exe, "split") as w:
        two_colours(w, display={"split": 0.3})
        img = w.run().image
        boundary = 192  # round(640 * 0.3)
        expect_colour(img, 170, boundary - 14, 20, 8, RED,
                      "just above the 30% boundary (upper zone)")
        expect_colour(img, 170, boundary + 6, 20, 8, BLUE,
                      "just below the 30% boundary (lower zone)")
        # With the default 0.5 this point would still be in the upper zone.
        expect_colour(img, 170, 280, 20, 20, BLUE,
                      "40% down the screen with split 0.3 (lower zone)")


@suite.test
def split_ratio_0_7(exe):
    with World(exe, "split7") as w:
        two_colours(w, display={"split": 0.7})
        img = w.run().image
        boundary = 448  # round(640 * 0.7)
        expect_colour(img, 170, 360, 20, 20, RED,
                      "60% down the screen with split 0.7 (upper zone)")
        expect_colour(img, 170, boundary - 14, 20, 8, RED, "just above the 70% boundary")
        expect_colour(img, 170, boundary + 6, 20, 8, BLUE, "just below the 70% boundary")


@suite.test
def dual_layout_stacks_both_screens(exe):
    with World(exe, "dual") as w:
        two_colours(w, display={"layout": "dual", "width": 320, "height": 240})
        res = w.run()
        # One window per zone, each the configured size; the screenshot puts
        # the upper screen's frame above the lower's.
        expect_size(res, 320, 480)
        expect_colour(res.image, 150, 110, 20, 20, RED, "upper screen centre")
        expect_colour(res.image, 150, 350, 20, 20, BLUE, "lower screen centre")
        expect_colour(res.image, 2, 232, 6, 6, RED, "upper screen bottom-left corner")
        expect_colour(res.image, 2, 242, 6, 6, BLUE, "lower screen top-left corner")


@suite.test
def sigusr1_writes_a_screenshot(exe):
    with World(exe, "usr1") as w:
        two_colours(w)
        proc = w.start()
        try:
            time.sleep(3)
            check(proc.poll() is None,
                  f"lianbo quit on its own before SIGUSR1:\n    {w.stderr_so_far()[-2000:]}")
            proc.send_signal(signal.SIGUSR1)
            shot = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and shot is None:
                time.sleep(0.3)
                for path in re.findall(r"(/\S+\.png)\b", w.stderr_so_far()):
                    if os.path.isfile(path) and os.path.getsize(path) > 0:
                        shot = path
            check(shot is not None,
                  "no log line names a written .png within 15 s of SIGUSR1:\n    "
                  + "\n    ".join(w.stderr_so_far().splitlines()[-15:]))
            check(os.path.abspath(shot).startswith(w.cache_dir + os.sep),
                  f"SIGUSR1 screenshot {shot} is not in the cache dir {w.cache_dir}")
            time.sleep(0.5)  # the file may be named before it is complete
            img = read_png(shot)
            check((img.width, img.height) == (360, 640),
                  f"SIGUSR1 screenshot is {img.width}x{img.height}, expected 360x640")
            zones = zone_rects(360, 640)
            expect_zone_colour(img, zones["upper"], RED, "upper zone in SIGUSR1 screenshot")
            expect_zone_colour(img, zones["lower"], BLUE, "lower zone in SIGUSR1 screenshot")
            check(proc.poll() is None, "lianbo quit after writing the SIGUSR1 screenshot")
        finally:
            res = w.stop(proc)
        check(not res.hung, "lianbo ignored SIGTERM for 15 s and had to be killed")


if __name__ == "__main__":
    suite.main()
