"""One video follows another with no black frame between them, switch
after switch, as the frame trace (every presented frame's zone colours)
shows; and the two zones can each play a video at the same time."""

from harness import (Suite, World, check, expect_zone_colour, image_item,
                     manifest, solid, zone_rects)
from videofix import (BLACK, BLUE, GREEN, GREY, MAGENTA, RED, YELLOW, check_timing,
                      classify, clip, counter_lines, describe_runs, expect_decoded,
                      first_frame_of, lines_naming, retry_if_machine_stalled,
                      run_traced, runs, video_item)

suite = Suite()

W, H = 360, 640
ZONES = zone_rects(W, H)


def first_named(rs):
    for i, r in enumerate(rs):
        if r.name is not None:
            return rs[i:]
    return []


def expect_gapless(trace, zone, palette, items, min_switches, what):
    """After ZONE's first coloured frame, every frame shows one of the two
    clips' colours, the colours alternate (each run about a second), and
    the item id of every frame is the clip of that colour."""
    rs = first_named(runs(trace, zone, palette))
    check(rs, f"{what}: the {zone} zone never showed a clip: "
              f"{describe_runs(runs(trace, zone, palette))}")
    bad = [r for r in rs if r.name is None]
    check(not bad, f"{what}: {len(bad)} stretch(es) of another colour (black is 000000) "
                   f"between the clips: {describe_runs(bad)}; all: {describe_runs(rs)}")
    names = [r.name for r in rs]
    order = list(palette)
    want = [order[i % 2] for i in range(len(names))]
    check(names == want, f"{what}: the clips did not alternate: {describe_runs(rs)}")
    check_timing(len(rs) - 1 >= min_switches,
                 f"{what}: only {len(rs) - 1} switches, expected at least {min_switches}: "
                 f"{describe_runs(rs)}")
    for r in rs[:-1]:
        check_timing(0.8 <= r.end - r.start <= 1.25,
                     f"{what}: {r.name} was up {r.end - r.start:.3f} s, expected 1 s: "
                     f"{describe_runs(rs)}")
    t0 = rs[0].start
    mismatched = []
    for fr in trace:
        if fr.t < t0 or zone not in fr.zones:
            continue
        item, rgb = fr.zones[zone]
        name = classify(rgb, palette)
        if name and items[name] != item:
            mismatched.append(fr)
    check(not mismatched, f"{what}: frames whose colour belongs to another item than the "
                          f"one the zone says it shows: {mismatched[:5]}")
    return rs


@suite.test
@retry_if_machine_stalled
def two_clips_back_to_back_show_no_black_frame(exe):
    with World(exe, "gapless") as w:
        clip(w.media("red.mp4"), [(RED, 1)])
        clip(w.media("blue.mp4"), [(BLUE, 1)])
        solid(w.media("grey.png"), GREY)
        w.write_manifest(manifest(
            upper=[video_item("red-clip", "red"), video_item("blue-clip", "blue")],
            lower=[image_item("grey", "grey")],
            media=[("red", "media/red.mp4"), ("blue", "media/blue.mp4"),
                   ("grey", "media/grey.png")]))
        w.write_config()
        res, trace = run_traced(w, after=6)
        expect_gapless(trace, "upper", {"red": RED, "blue": BLUE},
                       {"red": "red-clip", "blue": "blue-clip"}, 4, "red/blue clips")
        for item in ("red-clip", "blue-clip"):
            counts = counter_lines(res, "upper", item)
            check(len(counts) >= 2, f"{item}: expected at least two plays logged, got {counts}")
            for c in counts[:-1]:  # the last may be cut by the screenshot's exit
                check_timing(c[0] == 30 and c[1] == 30 and c[2] == 0,
                             f"{item}: counters {c}, expected 30 decoded, 30 shown, 0 dropped")


@suite.test
@retry_if_machine_stalled
def no_dark_frame_with_the_default_cross_fade(exe):
    # Terminals run with a 400 ms cross-fade between items. Whether or not
    # a video fades into the next, no frame in between may be dark.
    with World(exe, "gapless-fade") as w:
        clip(w.media("red.mp4"), [(RED, 1)])
        clip(w.media("blue.mp4"), [(BLUE, 1)])
        w.write_manifest(manifest(
            upper=[video_item("red-clip", "red"), video_item("blue-clip", "blue")],
            media=[("red", "media/red.mp4"), ("blue", "media/blue.mp4")]))
        w.write_config(display={"crossfade_ms": 400})
        res, trace = run_traced(w, after=5)
        t0 = first_frame_of(trace, "upper", "red-clip")
        check(t0 is not None, "the red clip never showed")
        shown = [fr for fr in trace if fr.t >= t0]
        dark = [fr for fr in shown if max(fr.zones["upper"][1]) < 100]
        check(not dark, f"with a 400 ms cross-fade, {len(dark)} dark frame(s) between the "
                        f"clips: {dark[:5]}")
        items = {fr.zones["upper"][0] for fr in shown}
        check(items == {"red-clip", "blue-clip"},
              f"with a 400 ms cross-fade the zone showed {sorted(items)}")
        switches = sum(1 for a, b in zip(shown, shown[1:])
                       if a.zones["upper"][0] != b.zones["upper"][0])
        check_timing(switches >= 3, f"with a 400 ms cross-fade only {switches} switches "
                                    "in 4.5 s of 1 s clips")


@suite.test
@retry_if_machine_stalled
def trace_sees_a_single_black_frame(exe):
    # The control for the tests above: one black frame (a 30th of a
    # second) inside a clip is in the trace, so a black frame at a switch
    # could not slip through unseen.
    with World(exe, "gapless-control") as w:
        clip(w.media("rbr.mp4"), [(RED, 0.5), (BLACK, 1 / 30), (RED, 0.5)])
        w.write_manifest(manifest(
            upper=[video_item("with-black", "rbr")],
            media=[("rbr", "media/rbr.mp4")]))
        w.write_config()
        res, trace = run_traced(w, after=1.5)
        rs = [r for r in runs(trace, "upper", {"red": RED, "black": BLACK})
              if r.item == "with-black"]
        names = [r.name for r in rs]
        check(names[:3] == ["red", "black", "red"] and rs[1].frames == 1,
              f"expected red, one black frame, red: {describe_runs(rs)}")


@suite.test
@retry_if_machine_stalled
def clips_of_different_codecs_and_sizes_follow_without_black(exe):
    # The picture size and the decoder change at every switch.
    with World(exe, "gapless-mixed") as w:
        clip(w.media("red.mp4"), [(RED, 1)], size="320x240")
        clip(w.media("blue.webm"), [(BLUE, 1)], size="640x360", vcodec="libvpx-vp9",
             vopts=["-deadline", "realtime", "-cpu-used", "8"])
        w.write_manifest(manifest(
            upper=[video_item("red-avc", "red"), video_item("blue-vp9", "blue")],
            media=[("red", "media/red.mp4"), ("blue", "media/blue.webm")]))
        w.write_config()
        res, trace = run_traced(w, after=5)
        expect_gapless(trace, "upper", {"red": RED, "blue": BLUE},
                       {"red": "red-avc", "blue": "blue-vp9"}, 3, "H.264 then VP9")


@suite.test
@retry_if_machine_stalled
def clips_with_sound_follow_without_black(exe):
    # With sound the clock is the sound card's; the switch must still be
    # seamless.
    with World(exe, "gapless-sound") as w:
        clip(w.media("red.mp4"), [(RED, 1)], tone={"freq": 440})
        clip(w.media("blue.mp4"), [(BLUE, 1)], tone={"freq": 660})
        w.write_manifest(manifest(
            upper=[video_item("red-clip", "red"), video_item("blue-clip", "blue")],
            media=[("red", "media/red.mp4"), ("blue", "media/blue.mp4")]))
        w.write_config(extra={"audio": {"enabled": True, "volume": 80}})
        res, trace = run_traced(w, after=5)
        check(any("sound:" in ln for ln in res.log_lines("info")),
              "the sound device did not open:\n    " + res.tail())
        expect_gapless(trace, "upper", {"red": RED, "blue": BLUE},
                       {"red": "red-clip", "blue": "blue-clip"}, 3, "clips with sound")


@suite.test
@retry_if_machine_stalled
def both_zones_play_a_video_at_once(exe):
    # Upper: green then yellow, half a second each, looped; lower: magenta
    # then blue. Both zones animate together, and a screenshot shows both.
    with World(exe, "two-zones") as w:
        clip(w.media("up.mp4"), [(GREEN, 0.5), (YELLOW, 0.5)])
        clip(w.media("down.mp4"), [(MAGENTA, 0.5), (BLUE, 0.5)])
        w.write_manifest(manifest(
            upper=[video_item("up", "up", play="loop", duration=30)],
            lower=[video_item("down", "down", play="loop", duration=30)],
            media=[("up", "media/up.mp4"), ("down", "media/down.mp4")]))
        w.write_config()
        res, trace = run_traced(w, after=3.25)
        # 3.25 s in is mid-way through the first colour of each clip
        # (give or take the start-up time).
        up = first_named(runs(trace, "upper", {"green": GREEN, "yellow": YELLOW}))
        down = first_named(runs(trace, "lower", {"magenta": MAGENTA, "blue": BLUE}))
        for zone, rs, pair in (("upper", up, "green/yellow"), ("lower", down, "magenta/blue")):
            check(len(rs) >= 5 and all(r.name for r in rs),
                  f"{zone} zone: expected its {pair} clip to alternate at least five "
                  f"times in 3 s, saw {describe_runs(rs)}")
            for r in rs[:-1]:
                check_timing(0.3 <= r.end - r.start <= 0.7,
                             f"{zone} zone: {r.name} was up {r.end - r.start:.3f} s, expected "
                             f"0.5 s: {describe_runs(rs)}")
        last = trace[-1]
        check({"upper", "lower"} <= set(last.zones), f"trace lacks a zone: {last}")
        # The screenshot is the last frame traced: each zone shows its clip.
        img = res.image
        up_name = up[-1].name
        down_name = down[-1].name
        expect_zone_colour(img, ZONES["upper"], {"green": GREEN, "yellow": YELLOW}[up_name],
                           "upper zone in the screenshot", tol=24)
        expect_zone_colour(img, ZONES["lower"], {"magenta": MAGENTA, "blue": BLUE}[down_name],
                           "lower zone in the screenshot", tol=24)
        for zone, item in (("upper", "up"), ("lower", "down")):
            counts = expect_decoded(res, zone, item, at_least=80)
            check_timing(counts[0][2] <= 2, f"{zone} zone: counters {counts[0]}: frames dropped")
            check(not lines_naming(res, item, "warn"), f"video {item} was warned about")


if __name__ == "__main__":
    suite.main()
