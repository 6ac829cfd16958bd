"""Phone photos stored sideways with an EXIF orientation tag appear the
right way up."""

from harness import (Suite, World, add_exif_orientation, expect_colour,
                     image_item, magick, manifest, solid)

suite = Suite()

RED, BLUE = "#ff0000", "#0000ff"


def stored(path, top, bottom):
    """A 240x320 JPEG, TOP colour over BOTTOM: how a camera held sideways
    stores a 320x240 scene."""
    return magick("-size", "240x160", f"xc:{top}", "-size", "240x160", f"xc:{bottom}",
                  "-append", "-quality", "95", path)


def upright_scene(exe, name, top, bottom, orientation):
    with World(exe, name) as w:
        add_exif_orientation(stored(w.media("photo.jpg"), top, bottom), orientation)
        solid(w.media("grey.png"), "#808080")
        w.write_manifest(manifest(
            upper=[image_item("photo", "photo", fit="fill")],
            lower=[image_item("grey", "grey")],
            media=[("photo", "media/photo.jpg"), ("grey", "media/grey.png")]))
        w.write_config()
        img = w.run().image
        # Shown upright the scene is 320x240, left half red, right half
        # blue; filled into the 360x320 upper zone. Shown as stored it
        # would be red and blue one above the other.
        for x, y, colour, where in ((40, 40, RED, "top-left"), (40, 260, RED, "bottom-left"),
                                    (300, 40, BLUE, "top-right"),
                                    (300, 260, BLUE, "bottom-right")):
            expect_colour(img, x, y, 20, 20, colour,
                          f"{where} of a photo tagged EXIF orientation {orientation}",
                          tol=50)


@suite.test
def orientation_6_is_turned_clockwise(exe):
    # Orientation 6: turn 90 degrees clockwise to view, so the stored
    # bottom (red) becomes the left.
    upright_scene(exe, "exif6", BLUE, RED, 6)


@suite.test
def orientation_8_is_turned_anticlockwise(exe):
    # Orientation 8: turn 90 degrees anticlockwise, the stored top becomes
    # the left.
    upright_scene(exe, "exif8", RED, BLUE, 8)


@suite.test
def orientation_3_is_turned_over(exe):
    with World(exe, "exif3") as w:
        # Stored upside down: blue left, red right; shown: red left.
        magick("-size", "160x240", "xc:#0000ff", "-size", "160x240", "xc:#ff0000",
               "+append", "-quality", "95", w.media("photo.jpg"))
        add_exif_orientation(w.media("photo.jpg"), 3)
        solid(w.media("grey.png"), "#808080")
        w.write_manifest(manifest(
            upper=[image_item("photo", "photo", fit="fill")],
            lower=[image_item("grey", "grey")],
            media=[("photo", "media/photo.jpg"), ("grey", "media/grey.png")]))
        w.write_config()
        img = w.run().image
        expect_colour(img, 40, 150, 20, 20, RED, "left of a photo tagged orientation 3", tol=50)
        expect_colour(img, 300, 150, 20, 20, BLUE, "right of a photo tagged orientation 3",
                      tol=50)


if __name__ == "__main__":
    suite.main()
