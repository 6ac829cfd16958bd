"""Alerts come and go, and the terminal gives the zones back: a warning
withdrawn from the document, or one that reaches its "expires" time on
its own, leaves the zone, and the picture it interrupted comes back with
the time it had left (not started over, not skipped). An alert whose
"start" is still ahead is not shown before it. Two warnings for one zone
take turns of ten seconds. All read from the frame trace: the colour at
each zone's centre in every frame lianbo presented.

usage: test_alerts_resume.py PATH-TO-LIANBO [TEST-NAME...]
"""

import time

from alertfix import (BLUE, GREEN, PALETTE, RED, TRACE_TOL, H, W, AlertServer, alert,
                      document, iso, line_time, lines_matching, off_screen_pattern,
                      on_screen_pattern, share_near, since, still_schedule, traced_run, world,
                      write_config)
from harness import Suite, check, zone_rects
from videofix import describe_runs, runs

suite = Suite()

ZONES = zone_rects(W, H)

# How far apart two moments a viewer sees may be from what the document
# and the schedule say, seconds: a card is drawn some milliseconds after
# the zone stops, and a busy 2-core machine adds a little.
SLACK = 0.4


def zone_runs(frames, zone):
    return runs(frames, zone, PALETTE, TRACE_TOL)


def names(rs):
    """The colour names of runs, neighbours with the same name merged."""
    out = []
    for r in rs:
        if not out or out[-1] != r.name:
            out.append(r.name)
    return out


def shown_runs(rs):
    """The runs from the first picture on: before it the zone is blank."""
    for i, r in enumerate(rs):
        if r.name not in (None, "black"):
            return rs[i:]
    return []


def merged(rs):
    """(start, end) spans of runs, neighbours with the same name merged,
    as objects with .name, .start and .end."""
    out = []
    for r in rs:
        if out and out[-1].name == r.name:
            out[-1].end = r.end
        else:
            out.append(Span(r.name, r.start, r.end))
    return out


class Span:
    def __init__(self, name, start, end):
        self.name, self.start, self.end = name, start, end


def duration(r):
    return (r.end if r.end is not None else r.last) - r.start


def only(rs, name, what):
    found = [r for r in rs if r.name == name]
    check(found, f"{what}: no {name} in {describe_runs(rs)}")
    return found


@suite.test
def withdrawn_warning_gives_the_picture_its_remaining_time(exe):
    with world(exe, "withdraw") as w, AlertServer() as srv:
        # Upper: red for 6 s, then green. Lower: blue all along.
        still_schedule(w, [("r", RED, 6), ("g", GREEN, 60)], [("b", BLUE, 60)])
        srv.publish(document([]))
        write_config(w, srv.url, poll=1)
        warning = document([alert("flood", "warning", title="积水")], version=2)
        res, frames, tl = traced_run(w, 11, [
            (1.5, lambda: srv.publish(warning)),
            (4.0, lambda: srv.publish(document([], version=3))),
        ])
        up = shown_runs(zone_runs(frames, "upper"))
        check(names(up) == ["red", "amber", "red", "green"],
              f"upper zone: expected red, amber (the warning), red again, then green; saw "
              f"{describe_runs(up)}")
        red1, amber, red2, green = merged(up)
        shown = (amber.start - red1.start) + (green.start - red2.start)
        print(f"     red before the warning {amber.start - red1.start:.2f} s, after "
              f"{green.start - red2.start:.2f} s: {shown:.2f} s in all (item: 6 s)",
              flush=True)
        check(abs(shown - 6) <= SLACK,
              f"the red picture was on screen {shown:.2f} s in all, outside the warning; "
              f"its slot is 6 s (restarted would be about "
              f"{6 + amber.start - red1.start:.1f} s, skipped about "
              f"{amber.start - red1.start:.1f} s): {describe_runs(up)}")
        low = shown_runs(zone_runs(frames, "lower"))
        check(names(low) == ["blue"], f"lower zone: the warning is for the upper zone only, "
                                      f"but the lower zone showed {describe_runs(low)}")
        # The log says when the card came and went.
        on = lines_matching(res.stderr, on_screen_pattern("flood"))
        off = lines_matching(res.stderr, off_screen_pattern("flood"))
        check(len(on) == 1 and len(off) == 1,
              f"expected one 'on screen' and one 'off the screen' line for the warning: "
              f"{on + off}\n    {res.tail()}")
        for line, at, limit in ((on[0], tl.done_at[0], 2.0), (off[0], tl.done_at[1], 2.0)):
            took = since(at, line)
            check(0 <= took <= limit,
                  f"{line!r} came {took:.2f} s after the document changed (poll 1 s)")


@suite.test
def alerts_keep_to_their_start_and_expires_times(exe):
    with world(exe, "expiry") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 5), ("g", GREEN, 60)], [("b", BLUE, 60)])
        now = time.time()
        # Whole seconds, as the document says them.
        expires = int(now) + 3
        start, end = int(now) + 4, int(now) + 7
        srv.publish(document([
            alert("short", "warning", title="短时", expires=iso(expires)),
            alert("later", "warning", title="稍后", zone="lower", start=iso(start),
                  expires=iso(end)),
            alert("news", "info", title="通知", body="今天停水", expires=iso(expires - 1)),
        ]))
        write_config(w, srv.url, poll=1)
        res, frames, _ = traced_run(w, 10)
        up = shown_runs(zone_runs(frames, "upper"))
        low = shown_runs(zone_runs(frames, "lower"))

        check(names(up)[-3:] == ["amber", "red", "green"] and "amber" not in names(up)[:-3],
              f"upper zone: expected the warning, then the red picture, then green; saw "
              f"{describe_runs(up)}")
        # The red picture had no time before the warning covered it, or
        # only until the card was drawn: it gets its 5 s after.
        red = [r for r in up if r.name == "red"]
        amber = only(up, "amber", "upper zone")[-1]
        green = only(up, "green", "upper zone")[0]
        before = sum(duration(r) for r in red if r.start < amber.start)
        after = green.start - red[-1].start
        check(abs(before + after - 5) <= SLACK,
              f"the red picture was on screen {before:.2f} + {after:.2f} s outside the "
              f"warning; its slot is 5 s: {describe_runs(up)}")
        check(names(low) == ["blue", "amber", "blue"],
              f"lower zone: expected blue, the later warning, blue again; saw "
              f"{describe_runs(low)}")

        # When, by the wall clock, each card came and went.
        def at(pattern, aid):
            hits = lines_matching(res.stderr, pattern(aid))
            check(len(hits) == 1, f"expected one line matching {pattern(aid)!r}, found "
                                  f"{hits}\n    {res.tail()}")
            return line_time(hits[0])

        def late(t_line, t_doc):
            return t_line - t_doc % 86400

        gone, came, left = (late(at(off_screen_pattern, "short"), expires),
                            late(at(on_screen_pattern, "later"), start),
                            late(at(off_screen_pattern, "later"), end))
        print(f"     after its time: 'short' left {gone:+.3f} s, 'later' came "
              f"{came:+.3f} s and left {left:+.3f} s", flush=True)
        for what, d in (("'short' left", gone), ("'later' came", came),
                        ("'later' left", left)):
            check(d >= 0, f"{what} {-d:.3f} s before its time in the document")
            # The document says whole seconds; the screen follows within
            # a fraction of one.
            check(d <= 0.5, f"{what} {d:.3f} s after its time in the document")
        # The ticker crawled, and was gone when its alert expired.
        check(lines_matching(res.stderr, r"alerts: ticker on the lower zone: 通知  今天停水$"),
              "the info alert's ticker was never drawn:\n    " + res.tail())
        left = share_near(res.image, ZONES["lower"], BLUE, 12)
        check(left >= 0.99, f"10 s in, long after the info alert expired, only {left:.1%} of "
                            f"the lower zone shows its blue picture (the ticker stayed?)")
        # Nothing was changed on the server: the polls were all answered 304.
        codes = [r.status for r in srv.requests()]
        check(codes.count(200) == 1 and codes.count(304) >= 5,
              f"the document never changed, so one 200 and then 304s; got {codes}")


@suite.test
def two_warnings_for_one_zone_take_turns(exe):
    with world(exe, "turns") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 60)], [("b", BLUE, 60)])
        # A ticker in the lower zone keeps frames coming all the time, so
        # any frame between two cards would be seen.
        srv.publish(document([alert("w1", "warning", title="一号"),
                              alert("w2", "warning", title="二号"),
                              alert("news", "info", title="通知", body="周五停水")]))
        write_config(w, srv.url, poll=1)
        res, frames, _ = traced_run(w, 21.5)
        events = []
        for ln in res.stderr.splitlines():
            for aid in ("w1", "w2"):
                if lines_matching(ln, on_screen_pattern(aid)):
                    events.append((line_time(ln), "on", aid))
                elif lines_matching(ln, off_screen_pattern(aid)):
                    events.append((line_time(ln), "off", aid))
        ons = [e for e in events if e[1] == "on"]
        text = "\n    ".join(f"{t:.3f} {kind} {aid}" for t, kind, aid in events)
        check(len(ons) == 3 and ons[0][2] != ons[1][2] and ons[1][2] != ons[2][2],
              f"in 21 s the two warnings should have come in turn three times:\n    {text}")
        first_turn, second_turn = ons[1][0] - ons[0][0], ons[2][0] - ons[1][0]
        print(f"     turns: first {first_turn:.2f} s (it ends on the turn clock), "
              f"second {second_turn:.2f} s", flush=True)
        check(first_turn <= 10 + SLACK, f"the first warning kept the zone {first_turn:.2f} s; "
                                        f"turns are 10 s\n    {text}")
        check(abs(second_turn - 10) <= SLACK,
              f"the second warning kept the zone {second_turn:.2f} s; turns are 10 s"
              f"\n    {text}")
        # The zone stays covered while the cards change over: neither the
        # picture under them nor an empty zone may flash between two turns.
        up = shown_runs(zone_runs(frames, "upper"))
        covered = [r for r in up if r.start >= next(u.start for u in up if u.name == "amber")]
        check(all(r.name == "amber" for r in covered),
              f"upper zone: something else than a warning card showed between two "
              f"warnings' turns: {describe_runs(covered)}")
        check(names(shown_runs(zone_runs(frames, "lower"))) == ["blue"],
              "lower zone: the warnings are for the upper zone only")


if __name__ == "__main__":
    suite.main()
