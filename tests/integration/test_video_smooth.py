"""A 30 fps clip plays on this 2-core machine without dropping a frame: its
own counters say every decoded frame was shown, and the frame trace shows
the frames presented at an even pace.

The clips are a moving test pattern with film-grain-like noise, encoded at
a phone's bit rate, so the decoder has real work to do (a solid colour
would decode for free). Run alone, not beside other tests: a second busy
process on two cores would measure the machine, not the player."""

from harness import Suite, World, check, image_item, manifest, solid
from videofix import (BLUE, check_timing, count_frames, counter_lines, ffmpeg,
                      hd_matrix, lines_naming, open_lines, retry_if_machine_stalled,
                      run_traced, video_item)

suite = Suite()

SECONDS = 4
FPS = 30


def busy_clip(path, size):
    vf, tags = hd_matrix()
    return ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={size}:r={FPS}:d={SECONDS}",
                  "-vf", "noise=alls=5:allf=t," + vf,
                  "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", *tags, path)


def plays_smoothly(exe, size):
    with World(exe, f"smooth-{size}") as w:
        path = busy_clip(w.media("busy.mp4"), size)
        frames = count_frames(path)
        check(frames == SECONDS * FPS, f"fixture has {frames} frames, expected {SECONDS * FPS}")
        solid(w.media("blue.png"), BLUE)
        w.write_manifest(manifest(
            upper=[video_item("busy", "busy", fit="fit"), image_item("next", "blue")],
            media=[("busy", "media/busy.mp4"), ("blue", "media/blue.png")]))
        # Sound off: the pace is the monotonic clock's.
        w.write_config()
        res, trace = run_traced(w, after=SECONDS + 1.5)

        opened = open_lines(res, "upper", "busy")
        decoder = opened[0].string[opened[0].start(4) - 8:] if opened else "(no decoder line)"
        counts = counter_lines(res, "upper", "busy")
        check(len(counts) == 1,
              f"{size}: expected one 'decoded N, shown M, dropped K frames' line for the "
              f"clip, found {counts}:\n    {res.tail()}")
        decoded, shown, dropped = counts[0]
        print(f"     {size}: decoded {decoded}, shown {shown}, dropped {dropped}; {decoder}")
        check(decoded == frames,
              f"{size}: decoded {decoded} of the clip's {frames} frames")
        check_timing(dropped == 0 and shown >= decoded - 1,
                     f"{size}: decoded {decoded}, shown {shown}, dropped {dropped}: a 30 fps clip "
                     "must not drop frames on this machine")

        times = [fr.t for fr in trace if fr.zones.get("upper", ("",))[0] == "busy"]
        check_timing(len(times) >= frames - 1,
                     f"{size}: only {len(times)} frames of the clip were presented")
        gaps = [b - a for a, b in zip(times, times[1:])]
        check_timing(max(gaps) <= 3 / FPS,
                     f"{size}: {max(gaps) * 1000:.0f} ms passed between two presented frames "
                     f"(a frame lasts {1000 / FPS:.0f} ms)")
        took = times[-1] - times[0]
        check_timing(abs(took - (frames - 1) / FPS) <= 0.15,
                     f"{size}: the clip's frames were presented over {took:.3f} s, expected "
                     f"{(frames - 1) / FPS:.3f} s")
        check(not lines_naming(res, "busy", "warn"), f"{size}: the clip was warned about")


@suite.test
@retry_if_machine_stalled
def hd_720p_drops_no_frames(exe):
    plays_smoothly(exe, "1280x720")


@suite.test
@retry_if_machine_stalled
def full_hd_1080p_drops_no_frames(exe):
    plays_smoothly(exe, "1920x1080")


if __name__ == "__main__":
    suite.main()
