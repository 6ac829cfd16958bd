"""Pictures keep their shape: "fit" letterboxes with black bars, "fill"
covers the zone and crops; odd shapes neither crash nor distort."""

from harness import (Suite, World, expect_colour, expect_zone_colour,
                     image_item, magick, manifest, solid, zone_rects)

suite = Suite()

RED, GREEN, BLACK = "#ff0000", "#00ff00", "#000000"

# Window 360x640, split 0.5: each zone is 360x320.


def shapes(w, fit):
    solid(w.media("wide.png"), RED, 320, 80)     # 4:1
    solid(w.media("tall.png"), GREEN, 80, 320)   # 1:4
    w.write_manifest(manifest(
        upper=[image_item("wide", "wide", fit=fit)],
        lower=[image_item("tall", "tall", fit=fit)],
        media=[("wide", "media/wide.png"), ("tall", "media/tall.png")]))
    w.write_config()
    return w.run().image


@suite.test
def fit_letterboxes_a_wide_picture(exe):
    with World(exe, "fit") as w:
        img = shapes(w, "fit")
        # 320x80 scaled to the 360-wide zone is 360x90, centred in 320 rows:
        # rows 115..205 red, black above and below.
        expect_colour(img, 170, 150, 20, 20, RED, "upper zone centre (wide picture, fit)")
        expect_colour(img, 170, 20, 20, 20, BLACK, "bar above a wide picture in fit mode")
        expect_colour(img, 170, 280, 20, 20, BLACK, "bar below a wide picture in fit mode")
        expect_colour(img, 2, 150, 6, 20, RED, "left edge of a wide picture in fit mode")


@suite.test
def fit_pillarboxes_a_tall_picture(exe):
    with World(exe, "fit-tall") as w:
        img = shapes(w, "fit")
        # 80x320 in a 360x320 zone keeps its size, centred: columns 140..220.
        expect_colour(img, 170, 470, 20, 20, GREEN, "lower zone centre (tall picture, fit)")
        expect_colour(img, 30, 470, 20, 20, BLACK, "bar left of a tall picture in fit mode")
        expect_colour(img, 310, 470, 20, 20, BLACK, "bar right of a tall picture in fit mode")
        expect_colour(img, 170, 322, 20, 6, GREEN, "top of a tall picture in fit mode")


@suite.test
def fill_covers_the_zone(exe):
    with World(exe, "fill") as w:
        img = shapes(w, "fill")
        for y in (4, 150, 300):
            expect_colour(img, 170, y, 20, 12, RED, f"upper zone row {y} (wide picture, fill)")
        for x in (2, 170, 350):
            expect_colour(img, x, 470, 6, 20, GREEN, f"lower zone column {x} (tall picture, fill)")


@suite.test
def fill_keeps_the_aspect_ratio(exe):
    with World(exe, "aspect") as w:
        # An 80x320 picture in three bands: red rows 0-119, green 120-199,
        # blue 200-319. Filled into a 360x320 zone it is scaled 4.5x to
        # 360x1440 and its middle 320 rows show, which are picture rows
        # 124-195: all green. Stretched instead, red and blue would show.
        magick("-size", "80x120", "xc:#ff0000", "-size", "80x80", "xc:#00ff00",
               "-size", "80x120", "xc:#0000ff", "-append", w.media("bands.png"))
        solid(w.media("black.png"), BLACK)
        w.write_manifest(manifest(
            upper=[image_item("bands", "bands", fit="fill")],
            lower=[image_item("black", "black")],
            media=[("bands", "media/bands.png"), ("black", "media/black.png")]))
        w.write_config()
        img = w.run().image
        for y in (10, 160, 300):
            expect_colour(img, 170, y - 5, 20, 10, GREEN,
                          f"row {y} of a filled 1:4 picture (only its middle band shows)")


@suite.test
def one_pixel_wide_picture(exe):
    with World(exe, "sliver") as w:
        solid(w.media("sliver.png"), "#ff00ff", 1, 2000)
        w.write_manifest(manifest(
            upper=[image_item("sliver-fill", "sliver", fit="fill")],
            lower=[image_item("sliver-fit", "sliver", fit="fit")],
            media=[("sliver", "media/sliver.png")]))
        w.write_config()
        img = w.run().image
        zones = zone_rects(360, 640)
        expect_zone_colour(img, zones["upper"], "#ff00ff",
                           "upper zone (1x2000 picture, fill)")
        # Fitted, it is a hair-thin line down the middle; the rest is black.
        expect_colour(img, 20, 470, 60, 20, BLACK, "lower zone left of a 1x2000 picture (fit)")
        expect_colour(img, 280, 470, 60, 20, BLACK, "lower zone right of a 1x2000 picture (fit)")


if __name__ == "__main__":
    suite.main()
