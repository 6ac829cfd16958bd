"""Text pages: the background colour fills the zone, the text is drawn in
its colour, Chinese characters render as themselves (not empty boxes), and
text too long for the zone is paged."""

from harness import (Suite, World, check, expect_zone_colour, hex_rgb, manifest,
                     near, text_item, zone_rects)

suite = Suite()

GREEN, BLACK, WHITE, NAVY = "#00ff00", "#000000", "#ffffff", "#1d3557"
W, H = 360, 640


def fg_mask(img, rect, fg, tol=90):
    """The set of pixels in RECT close to the text colour FG."""
    x0, y0, w, h = rect
    want = hex_rgb(fg)
    zone = img.crop(x0, y0, w, h)
    return {(i % w, i // w) for i, p in enumerate(zone.pixels()) if near(p, want, tol)}


@suite.test
def background_fills_and_text_is_drawn(exe):
    with World(exe, "text") as w:
        w.write_manifest(manifest(
            upper=[text_item("notice-en", "Notice",
                             "The lift in block 3 is serviced on Wednesday.",
                             bg=GREEN, fg=BLACK)],
            lower=[text_item("plain", "", "Water off 9:00-12:00", bg=NAVY, fg=WHITE)]))
        w.write_config()
        img = w.run().image
        zones = zone_rects(W, H)
        for zone, bg in (("upper", GREEN), ("lower", NAVY)):
            x, y, zw, zh = zones[zone]
            # The corners are margin: background, no text.
            expect_zone_colour(img, (x, y, 24, 24), bg, f"{zone} zone top-left margin")
            expect_zone_colour(img, (x + zw - 24, y + zh - 24, 24, 24), bg,
                               f"{zone} zone bottom-right margin")
        ink = len(fg_mask(img, zones["upper"], BLACK, tol=60))
        check(ink > 300, f"upper zone: only {ink} pixels in the text colour; "
                         "the title and body were not drawn")
        ink = len(fg_mask(img, zones["lower"], WHITE, tol=60))
        check(ink > 150, f"lower zone: only {ink} pixels in the text colour")


@suite.test
def chinese_characters_render(exe):
    # Two different six-character phrases in the same style. A missing CJK
    # font draws the same empty box for every character, so both zones
    # would look alike; real glyphs differ.
    with World(exe, "cjk") as w:
        w.write_manifest(manifest(
            upper=[text_item("lift", "电梯维护通知", "", bg=NAVY, fg=WHITE)],
            lower=[text_item("meeting", "业主大会报名", "", bg=NAVY, fg=WHITE)]))
        w.write_config()
        res = w.run()
        zones = zone_rects(W, H)
        upper = fg_mask(res.image, zones["upper"], WHITE)
        lower = fg_mask(res.image, zones["lower"], WHITE)
        check(len(upper) > 200 and len(lower) > 200,
              f"Chinese titles drew {len(upper)} and {len(lower)} text pixels; "
              "expected hundreds each")
        differ = len(upper ^ lower)
        check(differ > 0.3 * max(len(upper), len(lower)),
              f"two different Chinese titles look nearly identical ({differ} of "
              f"{len(upper)}/{len(lower)} text pixels differ): the characters are "
              "probably drawn as empty boxes (no CJK font found)")


@suite.test
def body_adds_text(exe):
    # The same title with and without a Chinese body: the body must add ink.
    with World(exe, "cjk-body") as w:
        w.write_manifest(manifest(
            upper=[text_item("title-only", "电梯维护通知", "", bg=NAVY, fg=WHITE)],
            lower=[text_item("with-body", "电梯维护通知",
                             "3 号楼电梯周三 9:00 至 17:00 停用检修，请走楼梯。",
                             bg=NAVY, fg=WHITE)]))
        w.write_config()
        img = w.run().image
        zones = zone_rects(W, H)
        bare = len(fg_mask(img, zones["upper"], WHITE))
        full = len(fg_mask(img, zones["lower"], WHITE))
        check(full > bare * 1.3,
              f"a Chinese body added little ink: {bare} text pixels without it, "
              f"{full} with it")


@suite.test
def long_text_is_paged(exe):
    # Far more text than fits even at the smallest size: the player shows it
    # a page at a time, DURATION seconds a page.
    body = "".join(f"第{i}条：请住户注意用电安全，离家时关闭电源，楼道内禁止堆放杂物。"
                   for i in range(1, 80))
    pages = []
    for after in (1.0, 3.5):
        with World(exe, "paging") as w:
            w.write_manifest(manifest(
                upper=[text_item("rules", "安全须知", body, bg=NAVY, fg=WHITE, duration=2.5)],
                lower=[text_item("short", "", "OK", bg=BLACK, fg=GREEN)]))
            w.write_config()
            img = w.run(after=after).image
            zones = zone_rects(W, H)
            mask = fg_mask(img, zones["upper"], WHITE)
            check(len(mask) > 500, f"long text at {after} s drew only {len(mask)} pixels")
            # Text stays inside its zone: no white in the lower zone, whose
            # own text is green.
            spill = len(fg_mask(img, zones["lower"], WHITE, tol=60))
            check(spill < 20, f"long text at {after} s spills into the lower zone "
                              f"({spill} white pixels there)")
            pages.append(mask)
    differ = len(pages[0] ^ pages[1])
    check(differ > 0.3 * len(pages[0]),
          f"long text looks the same at 1.0 s and 3.5 s ({differ} pixels differ): "
          "it was not paged")


if __name__ == "__main__":
    suite.main()
