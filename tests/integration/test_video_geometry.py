"""A video keeps its true shape: a phone clip recorded upright (stored
sideways with a rotation tag) appears upright, and an anamorphic clip
(pixels twice as wide as tall) is shown at its display aspect, not its
storage size."""

from harness import (Suite, World, check, expect_colour, manifest, read_png,
                     zone_rects)
from videofix import (BLUE, GREEN, RED, YELLOW, YUV_TOL, classify, ffmpeg,
                      expect_decoded, lines_naming, video_item, video_stream)

suite = Suite()


# How a phone stores an upright picture, by the angle in its rotate tag:
# the filter that turns the upright picture into the stored frame.
STORED_AS = {90: "transpose=clock", 270: "transpose=cclock", 180: "hflip,vflip"}


def make_phone_clip(w, rotate=90):
    """An upright 180x320 picture, red above blue with a green square at
    its top-left, stored as a phone does: turned by ROTATE degrees, with a
    display matrix saying how to turn it back."""
    stored = w.path("stored.mp4")
    ffmpeg("-f", "lavfi", "-i",
           "color=c=red:s=180x160:r=30:d=1[a];color=c=blue:s=180x160:r=30:d=1[b];"
           "[a][b]vstack,drawbox=x=0:y=0:w=40:h=40:color=0x00ff00:t=fill,"
           + STORED_AS[rotate],
           "-c:v", "libx264", "-pix_fmt", "yuv420p", stored)
    path = w.media("phone.mp4")
    ffmpeg("-i", stored, "-c", "copy", "-metadata:s:v:0", f"rotate={rotate}", path)

    st = video_stream(path)
    want = (180, 320) if rotate == 180 else (320, 180)
    check((st["width"], st["height"]) == want,
          f"phone fixture is stored {st['width']}x{st['height']}, expected {want}")
    rotations = [sd.get("rotation") for sd in st.get("side_data_list", [])]
    check(rotations and rotations[0] % 360 != 0,
          f"phone fixture carries no display matrix (side data {st.get('side_data_list')})")
    # Sanity: ffmpeg's own autorotation makes it upright, red on top.
    up = w.path("upright.png")
    ffmpeg("-i", path, "-frames:v", "1", up)
    img = read_png(up)
    check((img.width, img.height) == (180, 320),
          f"ffmpeg turns the phone fixture to {img.width}x{img.height}, expected 180x320")
    expect_colour(img, 80, 70, 20, 20, RED, "ffmpeg's upright frame, top half", tol=YUV_TOL)
    expect_colour(img, 80, 230, 20, 20, BLUE, "ffmpeg's upright frame, bottom half", tol=YUV_TOL)
    expect_colour(img, 10, 10, 20, 20, GREEN, "ffmpeg's upright frame, top-left", tol=YUV_TOL)
    return path


def check_upright(exe, rotate):
    with World(exe, f"geo-phone{rotate}") as w:
        make_phone_clip(w, rotate)
        w.write_manifest(manifest(
            upper=[video_item("phone", "phone", play="loop", duration=30, fit="fit")],
            media=[("phone", "media/phone.mp4")]))
        w.write_config()
        res = w.run(after=1.2)
        img = res.image
        what = f"phone clip turned {rotate}"
        # The 360x320 upper zone shows the 180x320 upright picture at full
        # height, centred: columns 90 to 269, black bars either side.
        for x, y, colour, where in (
                (170, 60, RED, "upper half of the picture"),
                (170, 240, BLUE, "lower half of the picture"),
                (100, 10, GREEN, "top-left corner of the picture (not mirrored)"),
                (240, 10, RED, "top-right corner of the picture")):
            expect_colour(img, x, y, 20, 20, colour, f"{what}: {where}", tol=YUV_TOL)
        expect_colour(img, 20, 150, 40, 20, "#000000", f"{what}: bar left of the picture")
        expect_colour(img, 300, 150, 40, 20, "#000000", f"{what}: bar right of the picture")
        row = [img.pixel(x, 240) for x in range(360)]
        blue_cols = [x for x, p in enumerate(row) if classify(p, {"b": BLUE})]
        check(blue_cols and abs(blue_cols[0] - 90) <= 2 and abs(blue_cols[-1] - 269) <= 2,
              f"{what}: the picture spans columns {blue_cols[:1]}..{blue_cols[-1:]}, "
              "expected 90..269 (an upright 180x320 picture fitted to 320 rows)")
        expect_decoded(res, "upper", "phone")
        check(not lines_naming(res, "phone", "warn"), "phone clip was warned about")


@suite.test
def phone_clip_appears_upright(exe):
    check_upright(exe, 90)


@suite.test
def phone_clip_held_the_other_way_appears_upright(exe):
    check_upright(exe, 270)


@suite.test
def upside_down_clip_appears_upright(exe):
    check_upright(exe, 180)


def coloured_box(img, rect, colour):
    """Height and width of the region of COLOUR through the centre of RECT."""
    x, y, w, h = rect
    cx, cy = x + w // 2, y + h // 2
    col = [yy for yy in range(y, y + h) if classify(img.pixel(cx, yy), {"c": colour})]
    row = [xx for xx in range(x, x + w) if classify(img.pixel(xx, cy), {"c": colour})]
    check(col and row, f"no {colour} picture through the centre of zone {rect}")
    check(col[-1] - col[0] + 1 == len(col) and row[-1] - row[0] + 1 == len(row),
          f"the {colour} picture has holes along the zone's centre lines")
    return len(col), len(row)


def aspect_run(exe, name, sar):
    with World(exe, f"geo-{name}") as w:
        path = w.media("clip.mp4")
        ffmpeg("-f", "lavfi", "-i", "color=c=yellow:s=320x240:r=30:d=1",
               "-vf", f"setsar={sar}", "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
        st = video_stream(path)
        check(st["sample_aspect_ratio"] == f"{sar}:1",
              f"fixture {name}: ffprobe says SAR {st['sample_aspect_ratio']}, expected {sar}:1")
        w.write_manifest(manifest(
            upper=[video_item("clip", "clip", play="loop", duration=30, fit="fit")],
            media=[("clip", "media/clip.mp4")]))
        # A 540x960 window: the upper zone is 540x480.
        w.write_config(display={"width": 540, "height": 960})
        res = w.run(after=1.2)
        zone = zone_rects(540, 960)["upper"]
        height, width = coloured_box(res.image, zone, YELLOW)
        expect_decoded(res, "upper", "clip")
        return width, height


@suite.test
def anamorphic_clip_has_its_display_aspect(exe):
    # 320x240 stored, each pixel twice as wide as tall: shown 640:240.
    # Fitted into 540x480 that is 540 wide and 540 * 240 / 640 = 202.5 high.
    width, height = aspect_run(exe, "anamorphic", 2)
    check(width == 540 and abs(height - 202.5) <= 2,
          f"anamorphic clip is shown {width}x{height}, expected 540x202 or 540x203")
    ratio = width / height
    check(abs(ratio - 640 / 240) <= 0.03 * 640 / 240,
          f"anamorphic clip is shown at {ratio:.3f}:1, expected its display aspect "
          f"{640 / 240:.3f}:1 (its storage aspect is {320 / 240:.3f}:1)")


@suite.test
def square_pixel_control(exe):
    # The same clip with square pixels: 540 * 240 / 320 = 405 high.
    width, height = aspect_run(exe, "square", 1)
    check(width == 540 and abs(height - 405) <= 2,
          f"square-pixel clip is shown {width}x{height}, expected 540x405")


if __name__ == "__main__":
    suite.main()
