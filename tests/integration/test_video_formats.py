"""Video in the codecs and containers people bring: each clip is one solid
colour, and the zone shows that colour, from edge to edge with "fill".
The log names the codec and the decoder that played it."""

from harness import (Suite, World, check, expect_colour, expect_size,
                     expect_zone_colour, manifest, zone_rects, TestFailure)
from videofix import (BLUE, CYAN, GREEN, MAGENTA, ORANGE, RED, YELLOW, YUV_TOL,
                      clip, expect_decoded, ffmpeg_encoders, lines_naming, open_lines,
                      video_item, video_stream)

suite = Suite()

W, H = 360, 640


def av1_encoder():
    have = ffmpeg_encoders()
    for name, opts in (("libaom-av1", ["-cpu-used", "8", "-row-mt", "1"]),
                       ("libsvtav1", ["-preset", "12"]),
                       ("librav1e", ["-speed", "10"])):
        if name in have:
            return name, opts
    raise TestFailure("this ffmpeg has no AV1 encoder (libaom-av1, libsvtav1 or librav1e), "
                      "so no AV1 fixture can be made")


def play_format(exe, name, colour, codec, container, vcodec, vopts=(), tone=None,
                pix_fmt="yuv420p"):
    """Makes a one-colour clip with VCODEC in CONTAINER, plays it looped in
    the upper zone and checks the screen and the log."""
    with World(exe, f"fmt-{name}") as w:
        path = w.media(f"clip.{container}")
        clip(path, [(colour, 1)], vcodec=vcodec, vopts=vopts, tone=tone, pix_fmt=pix_fmt)
        probed = video_stream(path)
        check(probed["codec_name"] == codec,
              f"fixture {path}: ffprobe says {probed['codec_name']}, expected {codec}")
        w.write_manifest(manifest(
            upper=[video_item(f"clip-{name}", "clip", play="loop", duration=30)],
            media=[("clip", f"media/clip.{container}")]))
        w.write_config()
        res = w.run(after=1.2)
        expect_size(res, W, H)
        upper = zone_rects(W, H)["upper"]
        expect_zone_colour(res.image, upper, colour,
                           f"{codec} in .{container}: upper zone centre", tol=YUV_TOL)
        # "fill" covers the zone: its corners show the clip, not black bars.
        expect_colour(res.image, 2, 2, 8, 8, colour,
                      f"{codec} in .{container}: upper zone top-left corner", tol=YUV_TOL)
        expect_colour(res.image, W - 10, upper[3] - 10, 8, 8, colour,
                      f"{codec} in .{container}: upper zone bottom-right corner", tol=YUV_TOL)

        opened = open_lines(res, "upper", f"clip-{name}")
        check(opened, f"no 'upper: video clip-{name}: <codec> WxH, decoder ...' line:\n    "
                      + res.tail())
        got_codec, got_w, got_h, decoder = opened[0].groups()
        check(got_codec == codec and (got_w, got_h) == ("320", "240"),
              f"the log says {got_codec} {got_w}x{got_h}, expected {codec} 320x240: "
              f"{opened[0].string}")
        expect_decoded(res, "upper", f"clip-{name}")
        warns = lines_naming(res, f"clip-{name}", "warn")
        check(not warns, f"{codec} in .{container} was warned about:\n    " + "\n    ".join(warns))
        return decoder


@suite.test
def h264_in_mp4(exe):
    play_format(exe, "h264", RED, "h264", "mp4", "libx264", tone={"codec": "aac"})


@suite.test
def hevc_in_mkv(exe):
    play_format(exe, "hevc", GREEN, "hevc", "mkv", "libx265",
                vopts=["-preset", "ultrafast", "-x265-params", "log-level=error"])


@suite.test
def vp9_in_webm(exe):
    play_format(exe, "vp9", BLUE, "vp9", "webm", "libvpx-vp9",
                vopts=["-deadline", "realtime", "-cpu-used", "8"], tone={"codec": "libopus"})


@suite.test
def mpeg4_part2_in_avi(exe):
    play_format(exe, "mpeg4", YELLOW, "mpeg4", "avi", "mpeg4", vopts=["-q:v", "3"],
                tone={"codec": "libmp3lame"})


@suite.test
def av1_in_mkv(exe):
    encoder, opts = av1_encoder()
    play_format(exe, "av1", MAGENTA, "av1", "mkv", encoder, vopts=opts)


@suite.test
def hevc_in_mov_as_phones_write_it(exe):
    # iPhones write HEVC in QuickTime files with the "hvc1" sample entry.
    play_format(exe, "mov", CYAN, "hevc", "mov", "libx265",
                vopts=["-preset", "ultrafast", "-x265-params", "log-level=error",
                       "-tag:v", "hvc1"], tone={"codec": "aac"})


@suite.test
def h264_in_mpeg_ts(exe):
    play_format(exe, "ts", ORANGE, "h264", "ts", "libx264", tone={"codec": "aac"})


if __name__ == "__main__":
    suite.main()
