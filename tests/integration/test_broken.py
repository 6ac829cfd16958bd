"""Bad media never takes the screen down: each broken item is skipped with
one warning that names it and says why, the zone shows what still works,
and a zone with nothing left shows a neutral fallback, never black."""

import re

from harness import (Suite, World, check, expect_colour, expect_zone_colour,
                     huge_png_header, image_item, magick, manifest, solid,
                     text_item, truncated_jpeg, warn_lines_naming, zone_rects)

suite = Suite()

W, H = 360, 640
GREEN = "#00ff00"
FALLBACK_GREY = "#202020"

BROKEN = {
    # item id: (file name, what is wrong with it)
    "bad-missing": ("missing.png", "file does not exist"),
    "bad-empty": ("empty.png", "zero bytes"),
    "bad-truncated": ("truncated.jpg", "JPEG cut before its image data"),
    "bad-garbage": ("garbage.jpg", "JPEG marker followed by noise"),
    "bad-huge": ("huge.png", "PNG header claiming 30000x30000"),
    "bad-textfile": ("notes.png", "a text file named .png"),
}


def make_broken_media(w):
    open(w.media("empty.png"), "wb").close()
    magick("-size", "320x240", "plasma:", "-quality", "90", w.path("whole.jpg"))
    truncated_jpeg(w.media("truncated.jpg"), w.path("whole.jpg"))
    with open(w.media("garbage.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + bytes((i * 73 + 41) % 256 for i in range(4000)))
    huge_png_header(w.media("huge.png"))
    with open(w.media("notes.png"), "w") as f:
        f.write("This is not a picture.\nIt is a text file with the wrong name.\n")
    return [(media_id(item_id), "media/" + name) for item_id, (name, _) in BROKEN.items()]


def media_id(item_id):
    # Media ids differ from item ids so that a warning can be told to name
    # the item, not only the file.
    return item_id.replace("bad-", "file-")


def broken_items(duration=1):
    return [image_item(item_id, media_id(item_id), duration=duration) for item_id in BROKEN]


def expect_one_warning_each(res, ids):
    for item_id in ids:
        lines = warn_lines_naming(res, item_id)
        check(len(lines) == 1,
              f"expected exactly one warn line naming {item_id} "
              f"({BROKEN[item_id][1]}), found {len(lines)}:\n    "
              + ("\n    ".join(lines) if lines else res.tail()))


def expect_zone_line(res, zone):
    """A log line about the ZONE as a whole (not one of its items) tells a
    technician why the screen shows the fallback."""
    lines = [ln for ln in res.log_lines()
             if re.search(rf"\b{zone}\b", ln) and not any(i in ln for i in BROKEN)
             and re.search(r"fallback|nothing|no item|empty", ln, re.I)]
    check(lines, f"no log line says the {zone} zone has nothing to show:\n    "
                 + res.tail())


def expect_fallback(img, rect, zone, res):
    """The neutral fallback: dark grey #202020 with the device id on it."""
    x, y, w, h = rect
    expect_colour(img, x + 4, y + 4, 16, 16, FALLBACK_GREY,
                  f"{zone} zone corner (fallback background)", tol=12)
    zone_img = img.crop(*rect)
    light = zone_img.count(lambda p: min(p) > 128)
    check(light > 50, f"{zone} zone fallback shows no text ({light} light pixels); "
                      f"expected the device id 'test-terminal'\n    {res.tail()}")


@suite.test
def broken_items_are_skipped(exe):
    with World(exe, "broken") as w:
        media = make_broken_media(w)
        solid(w.media("green.png"), GREEN)
        w.write_manifest(manifest(
            upper=broken_items() + [image_item("good-green", "green", duration=30)],
            lower=[text_item("info", "Info", "Lower zone", bg="#336699")],
            media=media + [("green", "media/green.png")]))
        w.write_config()
        res = w.run(after=3)
        zones = zone_rects(W, H)
        expect_zone_colour(res.image, zones["upper"], GREEN,
                           "upper zone after its broken items were skipped")
        expect_zone_colour(res.image, (0, 330, 30, 30), "#336699", "lower zone margin")
        expect_one_warning_each(res, BROKEN)
        check(not warn_lines_naming(res, "good-green"),
              "the good item was warned about:\n    "
              + "\n    ".join(warn_lines_naming(res, "good-green")))


@suite.test
def broken_first_item_does_not_delay_the_good_one(exe):
    # With ten-second durations, a player that sat on a broken item for its
    # duration would still show it (or black) after 2 s.
    with World(exe, "broken-slow") as w:
        media = make_broken_media(w)
        solid(w.media("green.png"), GREEN)
        w.write_manifest(manifest(
            upper=broken_items(duration=10) + [image_item("good-green", "green")],
            lower=[text_item("info", "Info", "Lower zone", bg="#336699")],
            media=media + [("green", "media/green.png")]))
        w.write_config()
        res = w.run(after=2)
        expect_zone_colour(res.image, zone_rects(W, H)["upper"], GREEN,
                           "upper zone 2 s in, after six broken 10-second items")


@suite.test
def zone_with_only_broken_items_shows_the_fallback(exe):
    with World(exe, "allbroken") as w:
        media = make_broken_media(w)
        solid(w.media("green.png"), GREEN)
        w.write_manifest(manifest(
            upper=[image_item("good-green", "green")],
            lower=broken_items(duration=30),
            media=media + [("green", "media/green.png")]))
        w.write_config()
        res = w.run(after=3)
        zones = zone_rects(W, H)
        expect_zone_colour(res.image, zones["upper"], GREEN, "upper zone (good item)")
        expect_fallback(res.image, zones["lower"], "lower", res)
        expect_one_warning_each(res, BROKEN)
        expect_zone_line(res, "lower")


@suite.test
def configured_fallback_image_is_used(exe):
    with World(exe, "fallback-img") as w:
        make_broken_media(w)
        solid(w.path("fallback.png"), "#00ffff", 400, 300)
        solid(w.media("green.png"), GREEN)
        w.write_manifest(manifest(
            upper=[image_item("good-green", "green")],
            lower=[image_item("bad-missing", "file-missing")],
            media=[("green", "media/green.png"), ("file-missing", "media/missing.png")]))
        w.write_config(display={"fallback_image": w.path("fallback.png")})
        res = w.run(after=2)
        expect_zone_colour(res.image, zone_rects(W, H)["lower"], "#00ffff",
                           "lower zone showing the configured fallback image")


@suite.test
def empty_zone_shows_the_fallback(exe):
    with World(exe, "empty-zone") as w:
        solid(w.media("green.png"), GREEN)
        w.write_manifest(manifest(upper=[image_item("good-green", "green")], lower=[],
                                  media=[("green", "media/green.png")]))
        w.write_config()
        res = w.run(after=2)
        zones = zone_rects(W, H)
        expect_zone_colour(res.image, zones["upper"], GREEN, "upper zone (good item)")
        expect_fallback(res.image, zones["lower"], "lower (no items)", res)
        expect_zone_line(res, "lower")


if __name__ == "__main__":
    suite.main()
