"""Files as phones, cameras and office PCs really make them: odd sizes,
10-bit and 4:2:2 pictures, variable frame rates, the index (moov) at
either end of an MP4, and a clip of a single frame. Each one plays: the
right colour is on screen, nothing is warned about, and the log counts
the frames it decoded."""

from harness import (Suite, World, check, expect_colour, expect_zone_colour,
                     image_item, manifest, solid, zone_rects)
from videofix import (BLUE, CYAN, GREEN, MAGENTA, ORANGE, RED, YELLOW, YUV_TOL,
                      check_timing, classify, clip, count_frames, describe_runs,
                      expect_decoded, ffmpeg, first_frame_of, hd_matrix, lines_naming,
                      mp4_top_boxes, retry_if_machine_stalled, run_traced, runs,
                      video_item, video_stream)

suite = Suite()

W, H = 360, 640
UPPER = zone_rects(W, H)["upper"]


def expect_no_warnings(res, item):
    warns = lines_naming(res, item, "warn")
    check(not warns, f"video {item} was warned about:\n    " + "\n    ".join(warns))


def play_looped(exe, name, make, colour, fit="fill", after=1.2):
    """Plays the clip MAKE(path) writes, looped, in the upper zone; checks
    its colour at the zone's centre and returns (world result, clip path)."""
    with World(exe, f"shape-{name}") as w:
        path = make(w.media(f"{name}.mkv" if "." not in name else name))
        w.write_manifest(manifest(
            upper=[video_item("clip", "clip", play="loop", duration=30, fit=fit)],
            media=[("clip", "media/" + path.rsplit("/", 1)[1])]))
        w.write_config()
        res = w.run(after=after)
        expect_zone_colour(res.image, UPPER, colour, f"{name}: upper zone centre", tol=YUV_TOL)
        expect_decoded(res, "upper", "clip")
        expect_no_warnings(res, "clip")
        return res


def converted_once(res, pix_fmt):
    lines = [ln for ln in lines_naming(res, "clip") if "converting" in ln]
    check(len(lines) == 1 and pix_fmt in lines[0],
          f"expected one line saying {pix_fmt} is converted on the CPU, found {len(lines)}:\n"
          "    " + "\n    ".join(lines or [res.tail()]))


@suite.test
def odd_size_1921x1081(exe):
    # VP9 stores odd sizes as they are (H.264 crops in steps of two), so
    # the decoder hands over a 1921x1081 4:2:0 picture with 961-wide
    # chroma. Left of column 1000 cyan, right of it magenta: a picture
    # uploaded with a wrong row stride would slant that boundary.
    def make(path):
        vf, tags = hd_matrix()
        return ffmpeg("-f", "lavfi", "-i",
                      "color=c=0x00ffff:s=1922x1082:r=10:d=1,format=rgb24,"
                      "drawbox=x=1000:y=0:w=2000:h=2000:color=0xff00ff:t=fill,"
                      "crop=1921:1081:0:0",
                      "-vf", vf, "-c:v", "libvpx-vp9", "-deadline", "realtime",
                      "-cpu-used", "8", *tags, path)

    with World(exe, "shape-odd") as w:
        path = make(w.media("odd.webm"))
        st = video_stream(path)
        check((st["width"], st["height"], st["pix_fmt"]) == (1921, 1081, "yuv420p"),
              f"fixture is {st['width']}x{st['height']} {st['pix_fmt']}, "
              "expected 1921x1081 yuv420p")
        w.write_manifest(manifest(
            upper=[video_item("clip", "clip", play="loop", duration=30, fit="fit")],
            media=[("clip", "media/odd.webm")]))
        w.write_config()
        res = w.run(after=1.2)
        img = res.image
        # "fit": 360 wide, 1081 * 360 / 1921 = 202.6 rows high, centred in
        # the 320-row zone; the boundary at 1000 * 360 / 1921 = 187.4.
        top, bottom = 160 - 101 + 3, 160 + 101 - 3
        for y, where in ((top, "top"), (160, "middle"), (bottom, "bottom")):
            expect_colour(img, 150, y - 1, 20, 3, CYAN, f"odd size: left part, {where} rows",
                          tol=YUV_TOL)
            expect_colour(img, 220, y - 1, 20, 3, MAGENTA,
                          f"odd size: right part, {where} rows", tol=YUV_TOL)
            expect_colour(img, 352, y - 1, 6, 3, MAGENTA,
                          f"odd size: right edge, {where} rows", tol=YUV_TOL)
            row = [img.pixel(x, y) for x in range(W)]
            edge = [x for x in range(1, W) if classify(row[x - 1], {"c": CYAN}) and
                    not classify(row[x], {"c": CYAN})]
            check(len(edge) == 1 and abs(edge[0] - 187.4) <= 2,
                  f"odd size: on row {y} ({where}) the cyan/magenta boundary is at "
                  f"{edge}, expected one near x=187")
        expect_colour(img, 170, 20, 20, 20, "#000000", "odd size: bar above the fitted picture")
        expect_colour(img, 170, 300, 20, 10, "#000000",
                      "odd size: bar below the fitted picture")
        expect_decoded(res, "upper", "clip")
        expect_no_warnings(res, "clip")


@suite.test
def ten_bit_hevc(exe):
    # HDR phone recordings are 10-bit HEVC (Main 10).
    res = play_looped(exe, "ten-bit", lambda p: clip(
        p, GREEN, vcodec="libx265", pix_fmt="yuv420p10le",
        vopts=["-preset", "ultrafast", "-x265-params", "log-level=error"]), GREEN)
    converted_once(res, "yuv420p10le")


@suite.test
def ten_bit_h264(exe):
    res = play_looped(exe, "ten-bit-avc.mp4", lambda p: clip(
        p, YELLOW, pix_fmt="yuv420p10le"), YELLOW)
    converted_once(res, "yuv420p10le")


@suite.test
def four_two_two(exe):
    # Cameras record 4:2:2 (H.264 High 4:2:2).
    res = play_looped(exe, "422.mp4", lambda p: clip(p, ORANGE, pix_fmt="yuv422p"), ORANGE)
    converted_once(res, "yuv422p")


def moov_clip(path, faststart):
    clip(path, BLUE, tone={"codec": "aac"},
         out_opts=["-movflags", "+faststart"] if faststart else [])
    boxes = [b for b in mp4_top_boxes(path) if b in ("moov", "mdat")]
    want = ["moov", "mdat"] if faststart else ["mdat", "moov"]
    check(boxes == want, f"fixture {path}: top-level boxes {boxes}, expected {want}")
    return path


@suite.test
def mp4_with_moov_at_the_end(exe):
    # What ffmpeg and many cameras write when not told otherwise.
    play_looped(exe, "moov-end.mp4", lambda p: moov_clip(p, False), BLUE)


@suite.test
def mp4_with_moov_at_the_front(exe):
    play_looped(exe, "faststart.mp4", lambda p: moov_clip(p, True), BLUE)


@suite.test
@retry_if_machine_stalled
def variable_frame_rate(exe):
    # Screen recorders and phones write frames only when the picture
    # changes: here intervals of 33 to 533 ms. Red for the first second,
    # green for the second; each frame must show at its own time.
    with World(exe, "shape-vfr") as w:
        path = w.media("vfr.mp4")
        ffmpeg("-f", "lavfi", "-i",
               "color=c=red:s=320x240:r=30:d=1[a];color=c=0x00ff00:s=320x240:r=30:d=1[b];"
               "[a][b]concat=n=2:v=1",
               "-vf", r"select='eq(n\,0)+eq(n\,30)+lt(mod(n*7\,11)\,5)*not(between(n\,12\,26))'",
               "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
        frames = count_frames(path)
        check(frames == 21, f"VFR fixture has {frames} frames, expected 21")
        solid(w.media("blue.png"), BLUE)
        w.write_manifest(manifest(
            upper=[video_item("vfr", "vfr"), image_item("after", "blue")],
            media=[("vfr", "media/vfr.mp4"), ("blue", "media/blue.png")]))
        w.write_config()
        res, trace = run_traced(w, after=3.5)
        rs = runs(trace, "upper", {"red": RED, "green": GREEN, "blue": BLUE})
        names = [r.name for r in rs if r.start >= rs[0].start]
        check([n for n in names if n is not None] == ["red", "green", "blue"] and
              names[-3:] == ["red", "green", "blue"],
              f"VFR: expected red, then green, then the blue picture; saw "
              f"{describe_runs(rs)}")
        red, green, blue = rs[-3:]
        check_timing(abs(green.start - red.start - 1.0) <= 0.12,
                     f"VFR: green (pts 1.0 s) appeared {green.start - red.start:.3f} s after the "
                     f"first red frame: {describe_runs(rs)}")
        # The last frame is at 1.9 s and lasts a 30th of a second.
        check_timing(abs(blue.start - red.start - 1.933) <= 0.25,
                     f"VFR: the next item appeared {blue.start - red.start:.3f} s after the clip "
                     f"started, expected about 1.93 s: {describe_runs(rs)}")
        counts = expect_decoded(res, "upper", "vfr", at_least=21)
        check_timing(counts[0][1] >= 20 and counts[0][2] == 0,
                     f"VFR: counters {counts[0]}: expected all 21 frames shown, none dropped")


@suite.test
@retry_if_machine_stalled
def one_frame_clip(exe):
    # A single frame: looped it fills its 1.5 s slot; played to its end it
    # shows for its frame's time, and then the zone moves on.
    with World(exe, "shape-one") as w:
        clip(w.media("red1.mp4"), RED, out_opts=["-frames:v", "1"])
        clip(w.media("green1.mp4"), GREEN, out_opts=["-frames:v", "1"])
        check(count_frames(w.media("red1.mp4")) == 1, "one-frame fixture has more frames")
        solid(w.media("blue.png"), BLUE)
        w.write_manifest(manifest(
            upper=[video_item("one-loop", "red", play="loop", duration=1.5),
                   video_item("one-end", "green"),
                   image_item("after", "blue")],
            media=[("red", "media/red1.mp4"), ("green", "media/green1.mp4"),
                   ("blue", "media/blue.png")]))
        w.write_config()
        res, trace = run_traced(w, after=3)
        expect_zone_colour(res.image, UPPER, BLUE, "one-frame clips: upper zone at 3 s")
        t_loop = first_frame_of(trace, "upper", "one-loop")
        t_end = first_frame_of(trace, "upper", "one-end")
        t_after = first_frame_of(trace, "upper", "after")
        check(None not in (t_loop, t_end, t_after),
              f"one-frame clips: not every item was on screen (first frames at "
              f"{t_loop}, {t_end}, {t_after})")
        check_timing(1.3 <= t_end - t_loop <= 1.75,
                     f"one-frame clip looped for a 1.5 s slot was up {t_end - t_loop:.3f} s")
        check_timing(t_after - t_end <= 0.5,
                     f"one-frame clip played to its end was up {t_after - t_end:.3f} s")
        rs = runs(trace, "upper", {"red": RED, "green": GREEN, "blue": BLUE})
        named = [r.name for r in rs if r.start >= t_loop]
        check(named == ["red", "green", "blue"],
              f"one-frame clips: expected red, green, blue on screen, saw {describe_runs(rs)}")
        expect_decoded(res, "upper", "one-loop")
        expect_decoded(res, "upper", "one-end")
        for item in ("one-loop", "one-end"):
            expect_no_warnings(res, item)


if __name__ == "__main__":
    suite.main()
