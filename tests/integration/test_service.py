"""Living as a service: SIGHUP reloads a good configuration and refuses a
bad one without a restart, systemd hears READY and WATCHDOG from the render
loop, the power hours turn the screen dark and back, and a technician gets
the diagnostics screen and `lianbo --status`."""

import datetime
import os
import signal
import socket
import subprocess
import time

from harness import (HEADLESS_DRIVER, Suite, World, check, expect_colour, expect_zone_colour,
                     image_item, manifest, read_png, solid, zone_rects)

suite = Suite()
RED, BLUE = "#ff0000", "#0000ff"

UPPER = zone_rects(360, 640)["upper"]


def red_world(w):
    solid(w.media("red.png"), RED)
    solid(w.media("blue.png"), BLUE)
    w.write_manifest(manifest(upper=[image_item("red", "red")],
                              media=[("red", "media/red.png"), ("blue", "media/blue.png")]))


def shot_of(w, proc):
    """Asks the running player for a screenshot (SIGUSR1) and reads it."""
    before = set(os.listdir(w.cache_dir)) if os.path.isdir(w.cache_dir) else set()
    proc.send_signal(signal.SIGUSR1)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        new = [f for f in os.listdir(w.cache_dir)
               if f.startswith("screenshot-") and f not in before]
        if new:
            time.sleep(0.2)  # the rename is atomic, but let the write finish
            return read_png(os.path.join(w.cache_dir, new[0]))
        time.sleep(0.05)
    raise AssertionError("no screenshot after SIGUSR1")


@suite.test
def sighup_reloads_good_and_refuses_bad(exe):
    with World(exe, "svc-hup") as w:
        red_world(w)
        w.write_config()
        proc = w.start()
        check(w.wait_for_log("showing image red"), "red never showed")
        expect_zone_colour(shot_of(w, proc), UPPER, RED, "before any reload")

        # A broken file: refused, the player goes on as it was.
        with open(w.config_path, "a") as f:
            f.write("display = { width = ; };\n")
        proc.send_signal(signal.SIGHUP)
        check(w.wait_for_log("is refused; the running one stays"),
              "a bad configuration was not refused:\n" + w.stderr_so_far()[-2000:])
        check(proc.poll() is None, "the player stopped on a bad configuration")
        expect_zone_colour(shot_of(w, proc), UPPER, RED, "after the refused reload")

        # A good file pointing at another schedule: taken, same process.
        other = w.path("blue.json")
        with open(other, "w") as f:
            f.write('{"version": 1, "media": [{"id": "b", "url": "media/blue.png"}],'
                    ' "zones": {"upper": {"items": [{"id": "blue", "type": "image",'
                    ' "media": "b", "fit": "fill"}]}}}')
        w.write_config(extra={"schedule": {"url": "file://" + other}})
        proc.send_signal(signal.SIGHUP)
        check(w.wait_for_log("showing image blue"), "the reloaded schedule never showed:\n"
              + w.stderr_so_far()[-2000:])
        check(proc.poll() is None, "the player exited instead of reloading")
        expect_zone_colour(shot_of(w, proc), UPPER, BLUE, "after the good reload")
        res = w.stop(proc)
        check(res.returncode == 0, f"exit status {res.returncode} after SIGTERM")


@suite.test
def watchdog_notifications_come_from_the_render_loop(exe):
    with World(exe, "svc-watchdog") as w:
        red_world(w)
        w.write_config()
        sock_path = w.path("notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(0.2)
        env = w.env(NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="1000000")
        proc = w.start(env=env)
        messages = []
        end = time.monotonic() + 4
        while time.monotonic() < end:
            try:
                messages.append((time.monotonic(), sock.recv(4096).decode()))
            except socket.timeout:
                pass
        res = w.stop(proc)
        try:
            while True:
                messages.append((time.monotonic(), sock.recv(4096).decode()))
        except (socket.timeout, BlockingIOError):
            pass
        sock.close()
        texts = [m for _, m in messages]
        check(sum("READY=1" in m for m in texts) == 1, f"READY=1 not sent once: {texts}")
        beats = [t for t, m in messages if "WATCHDOG=1" in m]
        # Every 0.5 s for a 1 s watchdog: 4 s give at least 6.
        check(len(beats) >= 6, f"only {len(beats)} WATCHDOG=1 in 4 s: {texts}")
        gaps = [b - a for a, b in zip(beats, beats[1:])]
        check(max(gaps) < 0.9, f"a gap of {max(gaps):.2f} s between watchdog beats")
        check(any("STOPPING=1" in m for m in texts), "no STOPPING=1 at exit")
        check(res.returncode == 0, f"exit status {res.returncode}")


@suite.test
def power_hours_turn_the_screen_dark_and_back(exe):
    with World(exe, "svc-power") as w:
        red_world(w)
        now = datetime.datetime.now()
        off = now.strftime("%H:%M")
        on = (now + datetime.timedelta(minutes=3)).strftime("%H:%M")
        ran = w.path("display-off-ran")
        w.write_config(display={"power_off": off, "power_on": on,
                                "power_off_command": f"touch {ran}"})
        proc = w.start()
        check(w.wait_for_log("the screen goes dark"), "the screen never went dark:\n"
              + w.stderr_so_far()[-2000:])
        img = shot_of(w, proc)
        lit = img.count(lambda p: max(p) > 16)
        check(lit == 0, f"{lit} pixels lit while the screen should be dark")
        end = time.monotonic() + 5
        while not os.path.exists(ran) and time.monotonic() < end:
            time.sleep(0.05)
        check(os.path.exists(ran), "the display-off command did not run")
        # The headless drivers (offscreen, or dummy under the sanitizers)
        # have no monitor to put in standby, and the log says which.
        check(w.wait_for_log(f"no monitor standby: the {HEADLESS_DRIVER} video driver "
                             "offers no way"),
              "no line explaining why the monitor was not put in standby:\n"
              + w.stderr_so_far()[-2000:])

        # Out of the power hours (a reload with none): the picture is back.
        w.write_config()
        proc.send_signal(signal.SIGHUP)
        check(w.wait_for_log("showing image red", limit=10), "the picture did not come back")
        time.sleep(0.3)
        expect_zone_colour(shot_of(w, proc), UPPER, RED, "after the power hours")
        w.stop(proc)


@suite.test
def diagnostics_screen_and_status(exe):
    with World(exe, "svc-diag") as w:
        red_world(w)
        w.write_config()
        proc = w.start()
        check(w.wait_for_log("showing image red"), "red never showed")
        proc.send_signal(signal.SIGUSR2)
        check(w.wait_for_log("diagnostics on screen"), "no diagnostics screen")
        img = shot_of(w, proc)
        # The card covers the whole window in near-black #101820.
        expect_colour(img, 5, 600, 30, 30, "#101820", "diagnostics card", tol=12)
        time.sleep(5.5)  # the status file is rewritten every 5 s
        out = subprocess.run([exe, "--config", w.config_path, "--status"], capture_output=True,
                             text=True, env=w.env(), timeout=20)
        check(out.returncode == 0, f"--status exited {out.returncode}: {out.stdout}{out.stderr}")
        for line in ("device: test-terminal", "tags: building=3",
                     "schedule: file://" + w.manifest_path, "clock: trusted"):
            check(line in out.stdout, f"--status lacks {line!r}:\n{out.stdout}")
        w.stop(proc)
        out = subprocess.run([exe, "--config", w.config_path, "--status"], capture_output=True,
                             text=True, env=w.env(), timeout=20)
        check("status file" in out.stdout, f"--status after exit: {out.stdout}")


if __name__ == "__main__":
    suite.main()
