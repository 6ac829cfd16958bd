"""The alerts document over the network, against a web server on loopback
(fault_server.py): how soon an alert published on the server is on the
screen (measured and printed), that unchanged polls cost a 304, that a
broken document is refused with line and column while the alert already
showing stays, and that after a reboot without network the alerts still
in force come back from the kept copy and expired ones do not.

usage: test_alerts_net.py PATH-TO-LIANBO [TEST-NAME...]
"""

import os
import re
import time

from alertfix import (BLUE, EMERGENCY_BG, GREEN, H, RED, TICKER_BG, W, WARNING_BG,
                      AlertServer, alert, doc_bytes, document, env, iso, lines_matching,
                      off_screen_pattern, on_screen_pattern, share_near, since,
                      still_schedule, traced_run, wait_for_line, world, write_config)
from fault_server import free_port
from harness import Suite, check, expect_zone_colour, zone_rects

suite = Suite()

ZONES = zone_rects(W, H)
POLL = 1
LATENCY_LIMIT = POLL + 1.0


def expect_zone(img, zone, colour, what):
    expect_zone_colour(img, ZONES[zone], colour, what, tol=24)


@suite.test
def alert_reaches_the_screen_within_a_poll_and_a_second(exe):
    with world(exe, "latency") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 60)], [("b", BLUE, 60)])
        srv.publish(document([]))
        write_config(w, srv.url, poll=POLL)
        proc = w.start(env=env(w))
        latencies, to_screen = [], []
        try:
            wait_for_line(w, r"feed: alerts: new document from ", 10, "the first document")
            # Publish just after a poll (the worst case: a whole interval
            # to wait), half-way, and just before the next one.
            for n, phase in enumerate((0.05, 0.5, 0.9)):
                aid = f"flood-{n}"
                seen = len(srv.requests())
                end = time.monotonic() + 5
                while len(srv.requests()) == seen and time.monotonic() < end:
                    time.sleep(0.005)
                time.sleep(phase)
                at = srv.publish(document([alert(aid, "warning", title=f"积水 {n}")],
                                          version=2 + 2 * n))
                line = wait_for_line(w, on_screen_pattern(aid), 10,
                                     f"alert {aid} on screen")
                latencies.append(since(at, line))
                got = wait_for_line(w, r"feed: alerts: new document from ", 1, "the document",
                                    after=1 + 2 * n)
                to_screen.append(since(at, line) - since(at, got))
                # Unchanged for a poll or two: those must cost a 304 each.
                time.sleep(1.5)
                srv.publish(document([], version=3 + 2 * n))
                wait_for_line(w, off_screen_pattern(aid), 10, f"alert {aid} off the screen")
        finally:
            res = w.stop(proc)
        for lat, draw in zip(latencies, to_screen):
            print(f"     alert latency: {lat:.3f} s (limit {LATENCY_LIMIT:.1f} s; "
                  f"from the document's arrival to the card: {draw:.3f} s)", flush=True)
        print(f"     alert latency: max {max(latencies):.3f} s of {len(latencies)} "
              f"(poll every {POLL} s)", flush=True)
        check(proc.returncode == 0, f"lianbo exited with {proc.returncode}:\n    {res.tail()}")
        check(max(latencies) <= LATENCY_LIMIT,
              f"an alert took {max(latencies):.3f} s from the server to the screen; the "
              f"limit is the poll interval plus one second ({LATENCY_LIMIT:.1f} s): "
              f"{[round(x, 3) for x in latencies]}")
        check(min(latencies) >= 0, f"an alert was on screen before it was published? "
                                   f"{latencies}")

        # Every document was fetched once; every other poll was conditional
        # and cost a 304.
        reqs = srv.requests()
        codes = [r.status for r in reqs]
        check(codes.count(200) == len(srv.published),
              f"{len(srv.published)} documents were published but the server sent "
              f"{codes.count(200)} full replies: {codes}")
        check(codes.count(304) >= 3, f"unchanged polls should be answered 304: {codes}")
        for prev, req in zip(reqs, reqs[1:]):
            check(req.header("if-none-match") or req.header("if-modified-since"),
                  f"a poll after the first is not conditional: {req!r}, headers "
                  f"{req.headers}")
        polls = len(reqs) / max(1e-3, reqs[-1].time - reqs[0].time)
        check(0.5 <= polls <= 1.6, f"{polls:.2f} polls a second; poll_seconds is {POLL}")


@suite.test
def last_modified_alone_is_enough_for_a_304(exe):
    # Some static hosts send no ETag: If-Modified-Since must do.
    with world(exe, "last-modified") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 60)], [("b", BLUE, 60)])
        body = doc_bytes(document([alert("note", "info", title="通知", body="周五停水")]))
        srv.srv.route(AlertServer.PATH, body, content_type="application/json",
                      last_modified=time.time() - 60)
        write_config(w, srv.url, poll=POLL)
        res = w.run(after=3.5, env=env(w))
        reqs = srv.requests()
        check(len(reqs) >= 3 and reqs[0].status == 200 and
              all(r.status == 304 and r.header("if-modified-since") for r in reqs[1:]),
              f"with only Last-Modified, polls after the first should send "
              f"If-Modified-Since and get 304: {[(r.status, r.headers) for r in reqs]}")
        band = (0, H - 40, W, 40)
        check(share_near(res.image, band, TICKER_BG, 12) > 0.5,
              "the info alert's ticker is not at the bottom of the lower zone")


def token_columns(text, line_no, token):
    """1-based columns of the first and last character of TOKEN on line
    LINE_NO of TEXT."""
    line = text.splitlines()[line_no - 1]
    at = line.index(token)
    return at + 1, at + len(token)


def error_lines(res):
    return lines_matching(res.stderr, r"warn  feed: http://127\.0\.0\.1:\d+/alerts\.json:"
                                      r"\d+:\d+: ")


@suite.test
def broken_document_is_refused_and_the_alert_stays(exe):
    with world(exe, "malformed") as w, AlertServer() as srv:
        still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)])
        good = document([alert("lift", "warning", title="电梯停用")])
        srv.publish(good)
        write_config(w, srv.url, poll=POLL)

        # A missing comma on line 4, just before "title".
        syntax = ('{\n  "version": 2,\n  "alerts": [\n'
                  '    {"id": "fire", "level": "emergency" "title": "火警"}\n  ]\n}\n')
        # A level the player does not know, next to a good emergency that
        # must not be shown either: a document is taken whole or not at all.
        level = doc_bytes(document([alert("fire", "emergency", title="火警"),
                                    alert("odd", "urgent", title="紧急")], version=3)).decode()
        level_line = level.splitlines().index('      "level": "urgent",') + 1
        html = "<!DOCTYPE html>\n<html><body>Wi-Fi login</body></html>\n"

        res, frames, tl = traced_run(w, 7.5, [
            (2.0, lambda: srv.publish(syntax)),
            (3.8, lambda: srv.publish(level)),
            (5.6, lambda: srv.publish(html)),
        ])
        img = res.image
        expect_zone(img, "upper", WARNING_BG, "upper zone after three broken documents")
        share = share_near(img, ZONES["upper"], WARNING_BG)
        check(share > 0.6, f"the warning card covers only {share:.0%} of the upper zone "
                           f"after the broken documents")
        expect_zone(img, "lower", GREEN, "lower zone after three broken documents")
        check(share_near(img, (0, 0, W, H), EMERGENCY_BG, 24) < 0.01,
              "the emergency of a refused document is on screen")
        check(not lines_matching(res.stderr, off_screen_pattern("lift")),
              "the warning left the screen when a broken document came:\n    " + res.tail())
        check(not lines_matching(res.stderr, on_screen_pattern("fire")),
              "the emergency of a refused document was drawn")

        refused = lines_matching(res.stderr,
                                 r"warn  feed: alerts: the new document is not valid; "
                                 r"the one in use stays$")
        check(len(refused) >= 3, f"expected the three broken documents refused, found "
                                 f"{len(refused)} refusals:\n    {res.tail()}")
        errs = error_lines(res)
        url = re.escape(srv.url)

        first, last = token_columns(syntax, 4, '"title"')
        hits = [ln for ln in errs if re.search(rf"{url}:4:(\d+): syntax error", ln)]
        check(hits, "no 'URL:4:COL: syntax error' line for the missing comma on line 4:\n    "
                    + "\n    ".join(errs))
        col = int(re.search(rf"{url}:4:(\d+):", hits[0]).group(1))
        check(first <= col <= last, f"the syntax error is reported at column {col}; the "
                                    f"unexpected \"title\" is at columns {first}-{last}: "
                                    f"{hits[0]}")

        vfirst, _ = token_columns(level, level_line, '"urgent"')
        want = (rf"{url}:{level_line}:{vfirst}: alerts\[1\]\.level: must be one of "
                r"info, warning, emergency, got \"urgent\"$")
        check(any(re.search(want, ln) for ln in errs),
              f"no line 'URL:{level_line}:{vfirst}: alerts[1].level: ...' for the unknown "
              f"level:\n    " + "\n    ".join(errs))

        check(any(re.search(rf"{url}:1:1: syntax error: .*HTML page", ln) for ln in errs),
              "the HTML page is not reported as one at 1:1:\n    " + "\n    ".join(errs))

        # The kept copy is still the good document: a reboot now would
        # bring the warning back, not a broken document.
        with open(os.path.join(w.cache_dir, "alerts.json"), "rb") as f:
            kept = f.read()
        check(kept == doc_bytes(good), f"the kept copy is not the last good document: "
                                       f"{kept[:200]!r}")


@suite.test
def reboot_without_network_keeps_only_alerts_in_force(exe):
    port = free_port()
    with world(exe, "reboot") as w:
        still_schedule(w, [("r", RED, 60)], [("g", GREEN, 60)])
        t0 = time.time()
        upper_end, lower_end = int(t0) + 17, int(t0) + 7
        doc = document([
            alert("lift", "warning", title="电梯停用", zone="upper",
                  expires=iso(upper_end)),
            alert("gas", "warning", title="燃气检修", zone="lower",
                  expires=iso(lower_end)),
            alert("road", "info", title="交通提示", body="青园路封闭", zone="upper",
                  expires=iso(t0 + 3600)),
        ])
        with AlertServer(port=port) as srv:
            srv.publish(doc)
            write_config(w, srv.url, poll=POLL)
            res = w.run(after=2.5, env=env(w))
            expect_zone(res.image, "upper", WARNING_BG, "run 1 (online): upper zone")
            expect_zone(res.image, "lower", WARNING_BG, "run 1 (online): lower zone")
        kept = os.path.join(w.cache_dir, "alerts.json")
        check(os.path.exists(kept), f"no kept copy {kept} after run 1")

        # The server is gone. Wait until the lower warning has expired.
        time.sleep(max(0.0, lower_end + 0.3 - time.time()))
        res, frames, _ = traced_run(w, 2.5)
        check(lines_matching(res.stderr, r"feed: alerts: using the copy kept from before$"),
              "run 2 (offline): the kept copy was not used:\n    " + res.tail())
        check(lines_matching(res.stderr, r"warn  feed: alerts: cannot fetch "),
              "run 2 (offline): no warning that the alerts server cannot be reached:\n    "
              + res.tail())
        expect_zone(res.image, "upper", WARNING_BG, "run 2 (offline): the upper warning, "
                                                    "still in force")
        expect_zone(res.image, "lower", GREEN, "run 2 (offline): the lower warning expired")
        check(not lines_matching(res.stderr, on_screen_pattern("gas")),
              "run 2 (offline): the expired warning was drawn, if only for a moment")
        lower = {fr.zones["lower"][1] for fr in frames if "lower" in fr.zones}
        check(not any(all(abs(a - b) <= 24 for a, b in zip(c, (0xff, 0xb3, 0x00)))
                      for c in lower),
              "run 2 (offline): a frame showed amber in the lower zone")

        # Later the upper warning has expired too; the info alert has an
        # hour left, so the kept copy is still read.
        time.sleep(max(0.0, upper_end + 0.3 - time.time()))
        res = w.run(after=2.5, env=env(w))
        check(lines_matching(res.stderr, r"feed: alerts: using the copy kept from before$"),
              "run 3 (offline): the kept copy was not used:\n    " + res.tail())
        expect_zone(res.image, "upper", RED, "run 3 (offline): upper zone, both warnings over")
        expect_zone(res.image, "lower", GREEN, "run 3 (offline): lower zone")
        check(not lines_matching(res.stderr, r"alerts: alert \S+ on screen$"),
              "run 3 (offline): an expired alert was drawn:\n    " + res.tail())
        ux, uy, uw, uh = ZONES["upper"]
        band = (ux, uy + uh - 40, uw, 40)
        check(share_near(res.image, band, TICKER_BG, 12) > 0.5,
              "run 3 (offline): the info alert still in force is not crawling along the "
              "bottom of the upper zone")


if __name__ == "__main__":
    suite.main()
