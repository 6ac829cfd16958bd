"""Broken video files never take the screen down. A file that cannot be
opened is skipped with one warning naming its item; a file that breaks
off midway shows what it can, ends early with one warning, and the zone
moves on. The zone never goes black for more than a frame or two (from
the frame trace) and the player never crashes.

Each case plays a good green clip, then the broken item, then a blue
picture."""

import random

from harness import (Suite, World, check, expect_zone_colour, image_item, manifest,
                     solid, zone_rects)
from videofix import (BLUE, GREEN, RED, check_timing, clip, describe_runs,
                      expect_decoded, ffmpeg, first_frame_of, lines_naming,
                      mp4_top_boxes, retry_if_machine_stalled, run_traced, runs,
                      video_item)

suite = Suite()

W, H = 360, 640
UPPER = zone_rects(W, H)["upper"]
PALETTE = {"green": GREEN, "red": RED, "blue": BLUE}

# Longest a zone may show something other than a clip's or picture's
# colour (black, say) after the first clip started, seconds: two frames.
MAX_BLANK = 0.07


def grainy_red(path, seconds=3):
    """A red clip whose frames all carry data (moving grain), index at the
    front, so cutting or damaging its middle hits pictures, not the index."""
    clip(path, [(RED, seconds)], vfilter="noise=alls=8:allf=t",
         out_opts=["-movflags", "+faststart"])
    boxes = [b for b in mp4_top_boxes(path) if b in ("moov", "mdat")]
    check(boxes == ["moov", "mdat"], f"{path}: boxes {boxes}, expected moov before mdat")
    with open(path, "rb") as f:
        blob = f.read()
    return blob, blob.index(b"mdat") + 4


def make_truncated(w, path):
    blob, mdat = grainy_red(w.path("whole.mp4"))
    with open(path, "wb") as f:
        f.write(blob[:mdat + (len(blob) - mdat) // 2])


def make_garbage(w, path):
    # A fifth of the pictures' bytes, in the middle, replaced by noise: a
    # download that went wrong half-way.
    blob, mdat = grainy_red(w.path("whole.mp4"))
    mid = mdat + (len(blob) - mdat) // 2
    half = (len(blob) - mdat) // 10
    rnd = random.Random(3)
    bad = bytearray(blob)
    bad[mid - half:mid + half] = bytes(rnd.randrange(256) for _ in range(2 * half))
    with open(path, "wb") as f:
        f.write(bad)


def make_text(w, path):
    with open(path, "w") as f:
        f.write("This is not a video.\nMinutes of the residents' meeting, saved as .mp4.\n")


def make_empty(w, path):
    open(path, "wb").close()


def make_noise(w, path):
    rnd = random.Random(7)
    with open(path, "wb") as f:
        f.write(bytes(rnd.randrange(256) for _ in range(60000)))


def make_unknown_codec(w, path):
    # A well-formed MP4 whose video is in a codec nobody knows: the sample
    # entry "avc1" renamed "zzzz".
    clip(w.path("whole.mp4"), [(RED, 1)], out_opts=["-movflags", "+faststart"])
    with open(w.path("whole.mp4"), "rb") as f:
        blob = f.read()
    at = blob.index(b"avc1", blob.index(b"stsd"))
    with open(path, "wb") as f:
        f.write(blob[:at] + b"zzzz" + blob[at + 4:])


def make_sound_only(w, path):
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", path)


def broken_case(exe, name, file_name, make, after=3.5, partial=None):
    """Plays green clip, broken item, blue picture. PARTIAL is None for a
    file that cannot start, or the most seconds it may play before the
    zone moves on."""
    with World(exe, f"vbroken-{name}") as w:
        clip(w.media("green.mp4"), [(GREEN, 1)])
        make(w, w.media(file_name))
        solid(w.media("blue.png"), BLUE)
        w.write_manifest(manifest(
            upper=[video_item("good", "green"), video_item("broken", "bad"),
                   image_item("next", "blue")],
            media=[("green", "media/green.mp4"), ("bad", "media/" + file_name),
                   ("blue", "media/blue.png")]))
        w.write_config()
        res, trace = run_traced(w, after=after)
        what = f"{name} ({file_name})"

        expect_zone_colour(res.image, UPPER, BLUE, f"{what}: upper zone at the end")
        warns = lines_naming(res, "broken", "warn")
        check(len(warns) == 1,
              f"{what}: expected exactly one warning naming the item 'broken', found "
              f"{len(warns)}:\n    " + "\n    ".join(warns or res.log_lines()[-15:]))
        for good in ("good", "next"):
            check(not lines_naming(res, good, "warn"), f"{what}: item {good} was warned about")

        t_good = first_frame_of(trace, "upper", "good")
        check(t_good is not None, f"{what}: the good clip never showed")
        rs = [r for r in runs(trace, "upper", PALETTE) if r.start >= t_good]
        blank = [r for r in rs if r.name is None and (r.end or r.last) - r.start > MAX_BLANK]
        check_timing(not blank, f"{what}: the zone showed neither clip nor picture for more than "
                                f"{MAX_BLANK} s: {describe_runs(blank)}; all: {describe_runs(rs)}")
        names = [r.name for r in rs if r.name]
        t_next = first_frame_of(trace, "upper", "next")
        if partial is None:
            check(names == ["green", "blue"],
                  f"{what}: expected the green clip, then the blue picture: "
                  f"{describe_runs(rs)}")
            check(first_frame_of(trace, "upper", "broken") is None,
                  f"{what}: the broken item was put on screen")
            check_timing(t_next - t_good <= 1.25,
                         f"{what}: the blue picture came {t_next - t_good:.3f} s after the 1 s "
                         "green clip started")
        else:
            check(names == ["green", "red", "blue"],
                  f"{what}: expected green, the red part that survives, then blue: "
                  f"{describe_runs(rs)}")
            t_bad = first_frame_of(trace, "upper", "broken")
            check_timing(t_next - t_bad <= partial,
                         f"{what}: the broken clip held the zone for {t_next - t_bad:.3f} s, "
                         f"expected at most {partial} s")
            expect_decoded(res, "upper", "broken")
        expect_decoded(res, "upper", "good", at_least=30)
        return res


@suite.test
@retry_if_machine_stalled
def truncated_mp4(exe):
    # Half of a 3 s clip: 1.5 s play, then the zone moves on.
    broken_case(exe, "truncated", "cut.mp4", make_truncated, after=4, partial=2.0)


@suite.test
@retry_if_machine_stalled
def garbage_in_the_middle(exe):
    broken_case(exe, "garbage", "damaged.mp4", make_garbage, after=5.5, partial=3.5)


@suite.test
@retry_if_machine_stalled
def text_file_named_mp4(exe):
    broken_case(exe, "text", "minutes.mp4", make_text)


@suite.test
@retry_if_machine_stalled
def zero_byte_mp4(exe):
    broken_case(exe, "empty", "empty.mp4", make_empty)


@suite.test
@retry_if_machine_stalled
def random_bytes_of_no_known_format(exe):
    broken_case(exe, "noise", "noise.mkv", make_noise)


@suite.test
@retry_if_machine_stalled
def unknown_video_codec(exe):
    broken_case(exe, "codec", "zzzz.mp4", make_unknown_codec)


@suite.test
@retry_if_machine_stalled
def sound_only_file_as_video(exe):
    broken_case(exe, "sound-only", "song.m4a", make_sound_only)


if __name__ == "__main__":
    suite.main()
