"""A bad schedule manifest is reported clearly (file, line:column and, past
the syntax, the JSON path of the bad field) and the terminal keeps running on its fallback
screen instead of crashing or going black."""

import json
import re

from harness import (Suite, World, check, expect_colour, image_item, manifest,
                     solid, zone_rects)

suite = Suite()

W, H = 360, 640


def run_bad(exe, name, text):
    """Runs with manifest TEXT; returns the result after checking that the
    player exits 0 with a screenshot whose zones are not black."""
    with World(exe, name) as w:
        solid(w.media("red.png"), "#ff0000")
        w.write_manifest(text)
        w.write_config()
        res = w.run(after=2)
        for zone, rect in zone_rects(W, H).items():
            zone_img = res.image.crop(*rect)
            dark = zone_img.count(lambda p: max(p) <= 8)
            check(dark < 0.9 * zone_img.width * zone_img.height,
                  f"{name}: the {zone} zone is black ({dark} black pixels) after a bad "
                  "manifest; expected the fallback screen")
        res.manifest_path = w.manifest_path
        return res


def expect_error(res, pattern, what):
    lines = res.log_lines("error") + res.log_lines("warn")
    hits = [ln for ln in lines if re.search(pattern, ln)]
    check(hits, f"{what}: no error line matches {pattern!r}; errors and warnings were:\n    "
                + ("\n    ".join(lines) if lines else res.tail()))
    return hits


def position(text, needle):
    """The line and column (1-based, in characters) where NEEDLE first
    occurs in TEXT, as the player reports places in a manifest."""
    before = text[:text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def good_manifest():
    return manifest(upper=[image_item("red", "red")], lower=[image_item("red2", "red")],
                    media=[("red", "media/red.png")])


@suite.test
def syntax_error_names_line_and_column(exe):
    # Line 4 lacks the comma after the media list.
    text = ('{\n  "version": 1,\n  "media": [{"id": "red", "url": "media/red.png"}]\n'
            '  "zones": {"upper": {"items": []}, "lower": {"items": []}}\n}\n')
    res = run_bad(exe, "syntax", text)
    expect_error(res, r"manifest\.json.*\b4:\d+|manifest\.json.*line 4",
                 "missing comma on line 4")


@suite.test
def wrong_type_names_the_field(exe):
    m = good_manifest()
    m["zones"]["upper"]["items"][0]["duration"] = "ten"
    text = json.dumps(m, indent=2)
    res = run_bad(exe, "type", text)
    line, col = position(text, '"ten"')
    expect_error(res, re.escape(f"manifest.json:{line}:{col}: zones.upper.items[0].duration: "
                                'must be a number greater than 0 and at most 86400, got "ten"'),
                 "duration given as a string, with the line and column of the value")


@suite.test
def unknown_item_type_names_the_field(exe):
    m = good_manifest()
    m["zones"]["lower"]["items"][0]["type"] = "slideshow"
    res = run_bad(exe, "itemtype", json.dumps(m, indent=2))
    expect_error(res, r"zones\.lower\.items\[0\].*slideshow|slideshow.*zones\.lower\.items\[0\]",
                 "unknown item type 'slideshow'")


@suite.test
def unknown_media_reference_is_named(exe):
    m = good_manifest()
    m["zones"]["upper"]["items"][0]["media"] = "no-such-media"
    res = run_bad(exe, "mediaref", json.dumps(m, indent=2))
    expect_error(res, r"no-such-media", "item naming undeclared media 'no-such-media'")


@suite.test
def bad_colour_is_named(exe):
    m = good_manifest()
    m["zones"]["lower"]["items"] = [{"id": "t", "type": "text", "title": "x",
                                     "bg": "#12345g"}]
    text = json.dumps(m, indent=2)
    res = run_bad(exe, "colour", text)
    line, col = position(text, '"#12345g"')
    expect_error(res, re.escape(f"manifest.json:{line}:{col}: zones.lower.items[0].bg: "
                                "must be a colour"),
                 "colour '#12345g', with the line and column of the value")


@suite.test
def empty_file_is_reported(exe):
    res = run_bad(exe, "empty", "")
    expect_error(res, r"manifest\.json", "empty manifest file")


@suite.test
def top_level_array_is_reported(exe):
    res = run_bad(exe, "array", "[1, 2, 3]\n")
    expect_error(res, r"manifest\.json", "manifest that is a JSON array")


@suite.test
def invalid_utf8_is_reported(exe):
    text = json.dumps(good_manifest()).replace('"red2"', '"red\udcff"',)
    with World(exe, "utf8") as w:
        solid(w.media("red.png"), "#ff0000")
        with open(w.manifest_path, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
        w.write_config()
        res = w.run(after=2)
        expect_error(res, r"manifest\.json", "manifest with invalid UTF-8")


@suite.test
def deep_nesting_does_not_crash(exe):
    res = run_bad(exe, "deep", '{"version": 1, "zones": ' + "[" * 100000 + "]" * 100000 + "}")
    expect_error(res, r"manifest\.json", "manifest nested 100000 levels deep")


@suite.test
def missing_manifest_is_reported(exe):
    with World(exe, "nomanifest") as w:
        w.write_config()  # the manifest file is never written
        res = w.run(after=2)
        expect_error(res, re.escape(w.manifest_path), "manifest file that does not exist")
        expect_colour(res.image, 4, 4, 16, 16, "#202020", "fallback background", tol=12)


if __name__ == "__main__":
    suite.main()
