"""A clip's colours as its maker meant them: full-range ("JPEG range")
video keeps its darkest and brightest greys, and a clip tagged BT.709 or
BT.601 is converted with that matrix whatever its height. Guessing
instead shifts greys by about 15 levels and saturated colours by more."""

from harness import Suite, World, expect_zone_colour, manifest, zone_rects
from videofix import clip, hd_matrix, video_item

suite = Suite()

W, H = 360, 640
# Tight: a right conversion lands within a few levels of the source; the
# wrong one is 13 or more away in at least one channel.
TOL = 8

LIGHT, DARK = "#e0e0e0", "#202020"
GREEN, PURPLE = "#00c000", "#a020c0"

BT601 = (["-colorspace", "smpte170m", "-color_primaries", "smpte170m",
          "-color_trc", "smpte170m"])


def show(exe, name, upper, lower, check_upper, check_lower):
    """Plays clip UPPER (path maker) in the upper zone and LOWER in the
    lower one and checks both zones' centres."""
    with World(exe, f"colour-{name}") as w:
        upper(w.media("up.mp4"))
        lower(w.media("low.mp4"))
        w.write_manifest(manifest(
            upper=[video_item("up", "up", play="loop", duration=30)],
            lower=[video_item("low", "low", play="loop", duration=30)],
            media=[("up", "media/up.mp4"), ("low", "media/low.mp4")]))
        w.write_config()
        res = w.run(after=1.5)
        zones = zone_rects(W, H)
        expect_zone_colour(res.image, zones["upper"], check_upper[0], check_upper[1], tol=TOL)
        expect_zone_colour(res.image, zones["lower"], check_lower[0], check_lower[1], tol=TOL)


@suite.test
def full_range_keeps_its_greys(exe):
    # yuvj420p goes to the renderer as it is; yuvj422p is converted on the
    # way, and must not be expanded twice.
    show(exe, "full",
         lambda p: clip(p, [(LIGHT, 1)], pix_fmt="yuvj420p"),
         lambda p: clip(p, [(DARK, 1)], pix_fmt="yuvj422p"),
         (LIGHT, "a light grey full-range clip (yuvj420p)"),
         (DARK, "a dark grey full-range clip (yuvj422p)"))


@suite.test
def tagged_matrix_wins_over_height(exe):
    # An SD clip written with BT.709 (as some phones do) and an HD clip
    # written with BT.601 (as old editors do): the height would guess wrong.
    hd_filter, hd_tags = hd_matrix()
    show(exe, "matrix",
         lambda p: clip(p, [(GREEN, 1)], vfilter=hd_filter, out_opts=hd_tags),
         lambda p: clip(p, [(PURPLE, 1)], size="1280x720",
                        vfilter="scale=out_color_matrix=bt601:out_range=tv,format=yuv420p",
                        out_opts=BT601),
         (GREEN, "a 320x240 clip tagged BT.709"),
         (PURPLE, "a 1280x720 clip tagged BT.601"))


if __name__ == "__main__":
    suite.main()
