"""A video whose file stops delivering data (a dead network share, a pipe
nobody writes to) never holds a zone for ever: the stalled decode is
abandoned with one warning and the zone moves on.

The stalled file is a named pipe the test keeps open for writing: reads
from it block, as reads from a hung network mount do. Each case plays a
good green clip, then the stalled item, then a blue picture."""

import os

from harness import (Suite, World, check, expect_zone_colour, image_item, manifest,
                     solid, zone_rects)
from videofix import (BLUE, GREEN, RED, check_timing, clip, describe_runs,
                      first_frame_of, lines_naming, retry_if_machine_stalled,
                      run_traced, runs, video_item)

suite = Suite()

UPPER = zone_rects(360, 640)["upper"]
PALETTE = {"green": GREEN, "red": RED, "blue": BLUE}


def stalled_case(exe, name, feed_bytes, after, limit):
    """FEED_BYTES: how much of a grainy red clip the pipe gives before it
    stalls. LIMIT: the most seconds after the green clip's end until the
    blue picture must show."""
    with World(exe, f"vstall-{name}") as w:
        clip(w.media("green.mp4"), [(GREEN, 1)])
        clip(w.path("red.mp4"), [(RED, 3)], vfilter="noise=alls=8:allf=t",
             out_opts=["-movflags", "+faststart"])
        solid(w.media("blue.png"), BLUE)
        pipe = w.media("stalled.mp4")
        os.mkfifo(pipe)
        # Read and write: opening does not wait for a reader, and as long
        # as this end is open, a reader that has read everything waits.
        fd = os.open(pipe, os.O_RDWR | os.O_NONBLOCK)
        try:
            with open(w.path("red.mp4"), "rb") as f:
                data = f.read()[:feed_bytes]
            check(len(data) < 60000, "the fed part must fit in a pipe's buffer")
            if data:
                os.write(fd, data)
            w.write_manifest(manifest(
                upper=[video_item("good", "green"), video_item("stalled", "stalled"),
                       image_item("next", "blue")],
                media=[("green", "media/green.mp4"), ("stalled", "media/stalled.mp4"),
                       ("blue", "media/blue.png")]))
            w.write_config()
            res, trace = run_traced(w, after=after)
        finally:
            os.close(fd)

        what = f"stalled {name}"
        rs = runs(trace, "upper", PALETTE)
        t_good = first_frame_of(trace, "upper", "good")
        t_next = first_frame_of(trace, "upper", "next")
        check(t_good is not None, f"{what}: the good clip never showed: {describe_runs(rs)}")
        check(t_next is not None,
              f"{what}: after {after} s the zone still had not moved past the stalled item: "
              f"{describe_runs(rs)}\n    " + "\n    ".join(res.log_lines()[-12:]))
        check_timing(t_next - (t_good + 1) <= limit,
                     f"{what}: the blue picture came {t_next - t_good - 1:.1f} s after the green "
                     f"clip ended, expected at most {limit} s: {describe_runs(rs)}")
        expect_zone_colour(res.image, UPPER, BLUE, f"{what}: upper zone at the end")
        warns = lines_naming(res, "stalled", "warn")
        check(len(warns) == 1, f"{what}: expected one warning naming the item, found "
                               f"{len(warns)}:\n    " + "\n    ".join(warns))
        return rs


@suite.test
@retry_if_machine_stalled
def stall_while_playing(exe):
    # Some 40% of the clip arrives, then nothing: the red part plays and,
    # after the player's 5 s stall limit, the zone moves on.
    rs = stalled_case(exe, "midway", 40000, after=10, limit=1.2 + 5 + 1)
    check("red" in [r.name for r in rs],
          f"stalled midway: the part that arrived was not shown: {describe_runs(rs)}")


@suite.test
@retry_if_machine_stalled
def stall_while_opening(exe):
    # Not a byte arrives: the header cannot even be read. The zone may
    # wait a while on the green clip's last frame, but not for ever.
    stalled_case(exe, "opening", 0, after=15, limit=12)


if __name__ == "__main__":
    suite.main()
