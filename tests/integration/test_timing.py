"""Playlists move on: each item stays for its duration, then the next one
shows, and after the last the first comes back."""

from harness import (Suite, World, expect_zone_colour, image_item, manifest,
                     solid, zone_rects)

suite = Suite()

RED, BLUE, GREY = "#ff0000", "#0000ff", "#808080"


def shot_at(exe, after):
    with World(exe, f"timing{after}") as w:
        solid(w.media("red.png"), RED)
        solid(w.media("blue.png"), BLUE)
        solid(w.media("grey.png"), GREY)
        w.write_manifest(manifest(
            upper=[image_item("first-red", "red", duration=2),
                   image_item("second-blue", "blue", duration=2)],
            lower=[image_item("grey", "grey", duration=30)],
            media=[("red", "media/red.png"), ("blue", "media/blue.png"),
                   ("grey", "media/grey.png")]))
        w.write_config()
        return w.run(after=after).image


# Two-second items sampled in the middle of each slot, so start-up time of
# up to a second does not change the answer.
@suite.test
def first_item_at_1s(exe):
    expect_zone_colour(shot_at(exe, 1.0), zone_rects(360, 640)["upper"], RED,
                       "upper zone at 1 s (first item, 0-2 s)")


@suite.test
def second_item_at_3s(exe):
    img = shot_at(exe, 3.0)
    expect_zone_colour(img, zone_rects(360, 640)["upper"], BLUE,
                       "upper zone at 3 s (second item, 2-4 s)")
    expect_zone_colour(img, zone_rects(360, 640)["lower"], GREY,
                       "lower zone at 3 s (its one item stays)")


@suite.test
def playlist_wraps_around_at_5s(exe):
    expect_zone_colour(shot_at(exe, 5.0), zone_rects(360, 640)["upper"], RED,
                       "upper zone at 5 s (first item again, 4-6 s)")


if __name__ == "__main__":
    suite.main()
