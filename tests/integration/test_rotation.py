"""A screen mounted sideways or upside down: display.rotation turns the
whole picture clockwise, and pictures are not mirrored on the way."""

from harness import (Suite, World, c_round, canvas_to_window, expect_colour,
                     expect_size, expect_zone_colour, halves, image_item,
                     manifest, solid, zone_rects)

suite = Suite()

RED, BLUE, GREEN = "#ff0000", "#0000ff", "#00ff00"
W, H = 360, 640


def run_rotated(exe, rotation):
    with World(exe, f"rot{rotation}") as w:
        # Upper: left half red, right half blue. Lower: green.
        halves(w.media("halves.png"), RED, BLUE, 320, 240)
        solid(w.media("green.png"), GREEN)
        w.write_manifest(manifest(
            upper=[image_item("halves", "halves", fit="fill")],
            lower=[image_item("green", "green", fit="fill")],
            media=[("halves", "media/halves.png"), ("green", "media/green.png")]))
        w.write_config(display={"rotation": rotation})
        res = w.run()
        expect_size(res, W, H)
        return res.image


def check_rotation(img, rotation):
    zones = zone_rects(W, H, rotation)
    expect_zone_colour(img, zones["lower"], GREEN,
                       f"lower zone with rotation {rotation}")
    # The upper zone's own centre line is the red/blue boundary; look a
    # quarter of the way in from each end of the canvas instead.
    cw = H if rotation in (90, 270) else W
    cuh = c_round((W if rotation in (90, 270) else H) * 0.5)
    for frac, colour, name in ((0.25, RED, "left"), (0.75, BLUE, "right")):
        x, y = canvas_to_window(int(cw * frac), cuh // 2, W, H, rotation)
        expect_colour(img, x - 8, y - 8, 16, 16, colour,
                      f"rotation {rotation}: the {name} half of the upper picture "
                      f"(window point {x},{y})")


@suite.test
def rotation_0(exe):
    img = run_rotated(exe, 0)
    check_rotation(img, 0)
    expect_colour(img, 60, 100, 20, 20, RED, "rotation 0: top-left (picture's left half)")
    expect_colour(img, 280, 100, 20, 20, BLUE, "rotation 0: top-right (picture's right half)")
    expect_colour(img, 170, 480, 20, 20, GREEN, "rotation 0: bottom of the window")


@suite.test
def rotation_90_puts_the_upper_zone_on_the_right(exe):
    img = run_rotated(exe, 90)
    check_rotation(img, 90)
    # The left half of the upper picture is at the top of the window.
    expect_colour(img, 260, 100, 20, 20, RED, "rotation 90: top of the right half")
    expect_colour(img, 260, 540, 20, 20, BLUE, "rotation 90: bottom of the right half")
    expect_colour(img, 80, 320, 20, 20, GREEN, "rotation 90: left half of the window")


@suite.test
def rotation_180_puts_the_upper_zone_at_the_bottom(exe):
    img = run_rotated(exe, 180)
    check_rotation(img, 180)
    expect_colour(img, 80, 480, 20, 20, BLUE, "rotation 180: bottom-left (picture's right half)")
    expect_colour(img, 260, 480, 20, 20, RED, "rotation 180: bottom-right (picture's left half)")
    expect_colour(img, 170, 150, 20, 20, GREEN, "rotation 180: top of the window")


@suite.test
def rotation_270_puts_the_upper_zone_on_the_left(exe):
    img = run_rotated(exe, 270)
    check_rotation(img, 270)
    # The left half of the upper picture is at the bottom of the window.
    expect_colour(img, 80, 540, 20, 20, RED, "rotation 270: bottom of the left half")
    expect_colour(img, 80, 100, 20, 20, BLUE, "rotation 270: top of the left half")
    expect_colour(img, 260, 320, 20, 20, GREEN, "rotation 270: right half of the window")


if __name__ == "__main__":
    suite.main()
