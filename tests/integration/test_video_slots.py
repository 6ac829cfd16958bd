"""How long a video stays: played to its end (the default), looped to fill
its slot, or cut at the slot's end. Whatever the rule, a video never
freezes on one picture: from the frame trace, the colours change when the
clip says and the next item follows on time. Also with sound on, when the
sound ends before the picture, and with no sound at all."""

from harness import (Suite, World, check, expect_zone_colour, image_item,
                     manifest, solid, zone_rects)
from videofix import (BLUE, GREEN, RED, check_timing, clip, describe_runs,
                      expect_decoded, lines_naming, retry_if_machine_stalled,
                      run_traced, runs, video_item)

suite = Suite()

W, H = 360, 640
UPPER = zone_rects(W, H)["upper"]
PALETTE = {"red": RED, "green": GREEN, "blue": BLUE}

# Slack for when an item starts or ends, seconds: a few frames at 30 fps
# on a busy 2-core machine.
SLACK = 0.25


def after_start(rs):
    """The runs from the video's first frame on (before it, the zone shows
    nothing yet)."""
    for i, r in enumerate(rs):
        if r.name is not None:
            return rs[i:]
    return []


def world_with(w, video_items, clips, audio=False):
    """Writes a manifest whose upper zone plays VIDEO_ITEMS and then a blue
    picture; CLIPS maps media id to (file name, colours, clip options)."""
    for mid, (name, colours, opts) in clips.items():
        clip(w.media(name), colours, **opts)
    solid(w.media("blue.png"), BLUE)
    w.write_manifest(manifest(
        upper=list(video_items) + [image_item("next", "blue")],
        media=[(mid, "media/" + name) for mid, (name, _, _) in clips.items()]
        + [("blue", "media/blue.png")]))
    extra = {"audio": {"enabled": True, "volume": 80}} if audio else None
    w.write_config(extra=extra)


def expect_next_at(rs, t0, when, what):
    """The blue picture (the next item) must come WHEN seconds after T0."""
    blue = [r for r in rs if r.name == "blue"]
    check(blue, f"{what}: the next item (blue) never came: {describe_runs(rs)}")
    took = blue[0].start - t0
    check_timing(abs(took - when) <= SLACK,
                 f"{what}: the next item came {took:.3f} s after the video's first frame, "
                 f"expected {when} s: {describe_runs(rs)}")
    return blue[0]


@suite.test
@retry_if_machine_stalled
def short_clip_loops_to_fill_its_slot(exe):
    # A 1 s clip, red then green, looped for 4 s: red, green, red, green...
    with World(exe, "slot-loop") as w:
        world_with(w, [video_item("looped", "rg", play="loop", duration=4)],
                   {"rg": ("rg.mp4", [(RED, 0.5), (GREEN, 0.5)], {})})
        res, trace = run_traced(w, after=5.5)
        rs = after_start(runs(trace, "upper", PALETTE))
        check(rs, f"the looped clip never showed: {describe_runs(runs(trace, 'upper', PALETTE))}")
        t0 = rs[0].start
        blue = expect_next_at(rs, t0, 4.0, "loop for 4 s")
        during = rs[:rs.index(blue)]
        names = [r.name for r in during]
        check(None not in names,
              f"loop: a colour other than red or green (black?) showed while the clip "
              f"looped: {describe_runs(during)}")
        want = ["red", "green"] * 4
        check_timing(names == want,
                     f"loop: expected red, green four times over, saw {names}: "
                     f"{describe_runs(during)}")
        for r in during[:-1]:
            check_timing(0.3 <= r.end - r.start <= 0.7,
                         f"loop: {r.name} stayed {r.end - r.start:.3f} s, expected 0.5 s "
                         f"(a freeze at the loop point?): {describe_runs(during)}")
        # Frames keep coming across every loop point: no stall either.
        times = [fr.t for fr in trace if t0 <= fr.t < blue.start]
        gaps = [b - a for a, b in zip(times, times[1:])]
        check_timing(max(gaps) <= 0.2,
                     f"loop: {max(gaps):.3f} s passed without a new frame while it looped")
        counts = expect_decoded(res, "upper", "looped", at_least=100)
        check_timing(counts[0][2] <= 2, f"loop: counters {counts[0]}: frames were dropped")


@suite.test
@retry_if_machine_stalled
def clip_played_to_its_end_moves_on(exe):
    # play "end": after the 1 s clip the next item, not its last frame for
    # the rest of a slot; a duration does not hold it either.
    with World(exe, "slot-end") as w:
        world_with(w, [video_item("to-end", "rg", duration=5)],
                   {"rg": ("rg.mp4", [(RED, 0.5), (GREEN, 0.5)], {})})
        res, trace = run_traced(w, after=2.5)
        expect_zone_colour(res.image, UPPER, BLUE, "play to end: upper zone at 2.5 s")
        rs = after_start(runs(trace, "upper", PALETTE))
        check([r.name for r in rs] == ["red", "green", "blue"],
              f"play to end: expected red, green, then the next item: {describe_runs(rs)}")
        expect_next_at(rs, rs[0].start, 1.0, "play to end")
        counts = expect_decoded(res, "upper", "to-end", at_least=30)
        check_timing(counts[0][:2] == (30, 30),
                     f"play to end: counters {counts[0]}, expected all 30 frames decoded "
                     "and shown")


@suite.test
@retry_if_machine_stalled
def long_clip_is_cut_at_its_slot(exe):
    # A 5 s clip cut at 1.5 s.
    with World(exe, "slot-cut") as w:
        world_with(w, [video_item("cut", "red5", play="cut", duration=1.5)],
                   {"red5": ("red5.mp4", [(RED, 5)], {})})
        res, trace = run_traced(w, after=2.3)
        expect_zone_colour(res.image, UPPER, BLUE, "cut at 1.5 s: upper zone at 2.3 s")
        rs = after_start(runs(trace, "upper", PALETTE))
        check([r.name for r in rs] == ["red", "blue"],
              f"cut: expected red, then the next item: {describe_runs(rs)}")
        expect_next_at(rs, rs[0].start, 1.5, "cut at 1.5 s")
        counts = expect_decoded(res, "upper", "cut", at_least=40)
        check(counts[0][0] < 100, f"cut: counters {counts[0]}: more than 1.5 s was decoded")


@suite.test
@retry_if_machine_stalled
def clip_shorter_than_its_cut_ends_at_its_end(exe):
    # "cut" at 3 s of a 1 s clip: the clip's end comes first.
    with World(exe, "slot-cut-short") as w:
        world_with(w, [video_item("cut-short", "rg", play="cut", duration=3)],
                   {"rg": ("rg.mp4", [(RED, 0.5), (GREEN, 0.5)], {})})
        res, trace = run_traced(w, after=2.5)
        expect_zone_colour(res.image, UPPER, BLUE, "cut at 3 s of a 1 s clip: at 2.5 s")
        rs = after_start(runs(trace, "upper", PALETTE))
        check([r.name for r in rs] == ["red", "green", "blue"],
              f"short cut: expected red, green, then the next item: {describe_runs(rs)}")
        expect_next_at(rs, rs[0].start, 1.0, "cut at 3 s of a 1 s clip")


def sound_run(exe, name, tone):
    """Plays a 2 s clip (red, then green) with sound on, then the blue
    picture; TONE as for videofix.clip."""
    with World(exe, name) as w:
        world_with(w, [video_item("clip", "rg")],
                   {"rg": ("rg.mp4", [(RED, 1), (GREEN, 1)], {"tone": tone})},
                   audio=True)
        res, trace = run_traced(w, after=3.5)
        check(any("sound:" in ln and "driver" in ln for ln in res.log_lines("info")),
              f"{name}: the sound device did not open, so this proves nothing:\n    "
              + res.tail())
        rs = after_start(runs(trace, "upper", PALETTE))
        check([r.name for r in rs] == ["red", "green", "blue"],
              f"{name}: expected red, green, then the next item: {describe_runs(rs)}")
        t0 = rs[0].start
        check_timing(abs(rs[1].start - t0 - 1.0) <= SLACK,
                     f"{name}: green (at 1 s in the clip) came {rs[1].start - t0:.3f} s in: "
                     f"{describe_runs(rs)}")
        expect_next_at(rs, t0, 2.0, name)
        times = [fr.t for fr in trace if t0 <= fr.t < rs[2].start]
        gaps = [b - a for a, b in zip(times, times[1:])]
        check_timing(max(gaps) <= 0.2,
                     f"{name}: {max(gaps):.3f} s passed without a new frame while it played")
        counts = expect_decoded(res, "upper", "clip", at_least=60)
        check_timing(counts[0][1] >= 58, f"{name}: counters {counts[0]}: frames were not shown")
        check(not lines_naming(res, "clip", "warn"), f"{name}: the clip was warned about")
        return res


@suite.test
@retry_if_machine_stalled
def sound_ending_before_the_picture(exe):
    # 0.4 s of sound in a 2 s clip: when the sound runs out, the picture
    # carries on on the clock, and the clip still ends at 2 s.
    sound_run(exe, "slot-short-sound", {"seconds": 0.4, "codec": "aac"})


@suite.test
@retry_if_machine_stalled
def no_sound_track_with_sound_on(exe):
    sound_run(exe, "slot-no-sound", None)


@suite.test
@retry_if_machine_stalled
def sound_as_long_as_the_picture(exe):
    sound_run(exe, "slot-full-sound", {"seconds": 2, "codec": "aac"})


if __name__ == "__main__":
    suite.main()
