"""Play something now: an "insert" of the alerts document interrupts a
zone's rotation to play one item of the schedule N times, and the item it
interrupted then comes back where it was: a picture with the time it had
left, a video from the frame it stopped at. An alert covering a video
pauses it the same way. Each insert id plays once, however often the
document is fetched or republished. Read from the frame trace and the
log.

usage: test_alerts_insert.py PATH-TO-LIANBO [TEST-NAME...]
"""

import time

from alertfix import (BLUE, CYAN, GREEN, MAGENTA, PALETTE, RED, AlertServer, alert, document,
                      iso, lines_matching, pictures, since, traced_run, world, write_config)
from harness import Suite, check, image_item, manifest
from videofix import clip, counter_lines, runs, video_item

suite = Suite()

# Seconds: see test_alerts_resume.py. Video frames add up to a frame or
# two of 30 fps.
SLACK = 0.4

# Colours through H.264 and back drift a little; pictures do not.
VIDEO_TOL = 24


def spans(frames, zone, tol=VIDEO_TOL):
    """[(colour name, start, end)] of ZONE, from its first picture on,
    neighbours of one colour merged; the last span ends at the last frame."""
    out = []
    for r in runs(frames, zone, PALETTE, tol):
        end = r.end if r.end is not None else r.last
        if not out and r.name in (None, "black"):
            continue
        if out and out[-1][0] == r.name:
            out[-1][2] = end
        else:
            out.append([r.name, r.start, end])
    return [tuple(s) for s in out]


def describe(sp):
    return ", ".join(f"{n}({a:.2f}-{b:.2f})" for n, a, b in sp)


def length(span):
    return span[2] - span[1]


def insert_doc(iid, zone, item, times, version):
    return document([], inserts=[{"id": iid, "zone": zone, "item": item, "times": times}],
                    version=version)


@suite.test
def insert_interrupts_a_picture_which_then_gets_its_remaining_time(exe):
    with world(exe, "insert-still") as w, AlertServer() as srv:
        # Upper: red 8 s, blue 2 s, green. Lower: cyan alone. About 2 s in,
        # one insert plays the blue picture twice in the upper zone and
        # another plays it once in the lower zone.
        media = pictures(w, {"red": RED, "blue": BLUE, "green": GREEN, "cyan": CYAN})
        w.write_manifest(manifest(
            upper=[image_item("r", "red", 8), image_item("b", "blue", 2),
                   image_item("g", "green", 60)],
            lower=[image_item("c", "cyan", 60)], media=media))
        srv.publish(document([]))
        write_config(w, srv.url, poll=1)
        # A third insert expired a minute ago and must not play.
        inserts = [{"id": "drill", "zone": "upper", "item": "b", "times": 2},
                   {"id": "drill-low", "zone": "lower", "item": "b", "times": 1},
                   {"id": "old", "zone": "lower", "item": "b", "times": 1,
                    "expires": iso(time.time() - 60)}]
        # The same inserts again in a new version of the document: an
        # insert id plays once.
        res, frames, tl = traced_run(w, 16, [
            (2.0, lambda: srv.publish(document([], inserts=inserts, version=2))),
            (9.0, lambda: srv.publish(document([], inserts=inserts, version=3))),
        ])

        # The lower zone has nothing queued behind its picture.
        low = spans(frames, "lower", 12)
        check([s[0] for s in low] == ["cyan", "blue", "cyan"],
              f"lower zone: expected cyan, blue (the insert), cyan again; saw {describe(low)}")
        check(abs(length(low[1]) - 2) <= SLACK,
              f"lower zone: the insert showed {length(low[1]):.2f} s, not 2 s: {describe(low)}")
        check(lines_matching(res.stderr, r"player: lower: back to c after the insert$"),
              "no 'lower: back to c after the insert' line:\n    " + res.tail())
        check(not lines_matching(res.stderr, r"insert old plays"),
              "the insert that expired a minute ago was played")

        plays = lines_matching(res.stderr, r"player: upper: insert drill plays b 2 times$")
        check(len(plays) == 1, f"expected one 'upper: insert drill plays b 2 times' line "
                               f"(an insert id plays once), found {plays}\n    {res.tail()}")
        took = since(tl.done_at[0], plays[0])
        check(0 <= took <= 2.0, f"the insert started {took:.2f} s after it was published "
                                f"(poll 1 s)")

        # The upper zone has the blue picture prepared behind the red one.
        up = spans(frames, "upper", 12)
        names = [s[0] for s in up]
        check(names == ["red", "blue", "red", "blue", "green"],
              f"upper zone: expected red, blue (the insert: published at second "
              f"{tl.done_at[0] % 60:.2f} of the minute, logged as accepted at second "
              f"{plays[0][6:12]}), red again, blue (its own turn), green; saw "
              f"{describe(up)}")
        red1, ins, red2, own, green = up
        print(f"     insert {length(ins):.2f} s (2 x 2 s); red {length(red1):.2f} s before, "
              f"{length(red2):.2f} s after (slot 8 s)", flush=True)
        check(abs(length(ins) - 4) <= SLACK,
              f"the insert showed the blue picture {length(ins):.2f} s; 2 times 2 s is 4 s: "
              f"{describe(up)}")
        check(abs(length(red1) + length(red2) - 8) <= SLACK,
              f"the red picture was on screen {length(red1):.2f} + {length(red2):.2f} s; "
              f"its slot is 8 s: {describe(up)}")
        check(abs(length(own) - 2) <= SLACK,
              f"blue's own turn lasted {length(own):.2f} s, not 2 s: {describe(up)}")
        check(lines_matching(res.stderr, r"player: upper: back to r after the insert$"),
              "no 'upper: back to r after the insert' line:\n    " + res.tail())


@suite.test
def insert_interrupts_a_video_which_resumes_where_it_stopped(exe):
    with world(exe, "insert-video") as w, AlertServer() as srv:
        # Upper: a clip, red for 4 s then green for 4 s, then a magenta
        # picture. The insert plays the lower zone's blue picture in the
        # upper zone once, 2 s into the clip.
        clip(w.media("rg.mp4"), [(RED, 4), (GREEN, 4)])
        media = pictures(w, {"blue": BLUE, "magenta": MAGENTA})
        w.write_manifest(manifest(
            upper=[video_item("v", "rg"), image_item("m", "magenta", 60)],
            lower=[image_item("b", "blue", 3)],
            media=media + [("rg", "media/rg.mp4")]))
        srv.publish(document([]))
        write_config(w, srv.url, poll=1)
        res, frames, tl = traced_run(w, 13, [(2.0, lambda: srv.publish(
            insert_doc("clip-break", "upper", "b", 1, 2)))])
        up = spans(frames, "upper")
        names = [s[0] for s in up]
        check(names == ["red", "blue", "red", "green", "magenta"],
              f"upper zone: expected red, blue (the insert), red again (the clip resumed), "
              f"green, then magenta; saw {describe(up)}")
        red1, ins, red2, green, _ = up
        print(f"     insert {length(ins):.2f} s (the item lasts 3 s); clip red "
              f"{length(red1):.2f} + {length(red2):.2f} s (4 s), green {length(green):.2f} s "
              f"(4 s)", flush=True)
        check(abs(length(ins) - 3) <= SLACK,
              f"the insert showed {length(ins):.2f} s; the item lasts 3 s: {describe(up)}")
        check(abs(length(red1) + length(red2) - 4) <= SLACK,
              f"the clip's red part showed {length(red1):.2f} + {length(red2):.2f} s; it is "
              f"4 s long (started over would be more, carried on under the insert less): "
              f"{describe(up)}")
        check(abs(length(green) - 4) <= SLACK,
              f"the clip's green part showed {length(green):.2f} s, not 4 s: {describe(up)}")
        counts = counter_lines(res, "upper", "v")
        check(len(counts) == 1, f"the clip should have played once, in two pieces; its "
                                f"counter lines: {counts}\n    {res.tail()}")
        decoded, shown, dropped = counts[0]
        check(abs(decoded - 240) <= 2 and shown + dropped >= 236,
              f"the clip has 240 frames; lianbo decoded {decoded}, showed {shown}, dropped "
              f"{dropped}: a resumed clip goes on counting where it stopped")
        check(lines_matching(res.stderr, r"player: upper: back to v after the insert$"),
              "no 'upper: back to v after the insert' line:\n    " + res.tail())


@suite.test
def warning_over_a_video_pauses_it(exe):
    with world(exe, "alert-video") as w, AlertServer() as srv:
        clip(w.media("rg.mp4"), [(RED, 4), (GREEN, 4)])
        media = pictures(w, {"blue": BLUE, "magenta": MAGENTA})
        w.write_manifest(manifest(
            upper=[video_item("v", "rg"), image_item("m", "magenta", 60)],
            lower=[image_item("b", "blue", 60)],
            media=media + [("rg", "media/rg.mp4")]))
        srv.publish(document([]))
        write_config(w, srv.url, poll=1)
        res, frames, tl = traced_run(w, 13, [
            (2.0, lambda: srv.publish(document([alert("smoke", "warning", title="烟雾")],
                                               version=2))),
            (4.5, lambda: srv.publish(document([], version=3))),
        ])
        up = spans(frames, "upper")
        names = [s[0] for s in up]
        check(names == ["red", "amber", "red", "green", "magenta"],
              f"upper zone: expected red, amber (the warning), red again (the clip "
              f"resumed), green, then magenta; saw {describe(up)}")
        red1, card, red2, green, _ = up
        print(f"     warning {length(card):.2f} s; clip red {length(red1):.2f} + "
              f"{length(red2):.2f} s (4 s), green {length(green):.2f} s (4 s)", flush=True)
        check(abs(length(red1) + length(red2) - 4) <= SLACK,
              f"the clip's red part showed {length(red1):.2f} + {length(red2):.2f} s around "
              f"the warning; it is 4 s long: {describe(up)}")
        check(abs(length(green) - 4) <= SLACK,
              f"the clip's green part showed {length(green):.2f} s, not 4 s: {describe(up)}")
        counts = counter_lines(res, "upper", "v")
        check(len(counts) == 1 and abs(counts[0][0] - 240) <= 2,
              f"the clip (240 frames) should have played once, paused under the warning: "
              f"counter lines {counts}\n    {res.tail()}")


if __name__ == "__main__":
    suite.main()
