"""The configuration file: --check-config says exactly which lines are
wrong, and the player refuses to start on a file it does not understand
rather than running half-configured."""

import os
import re
import subprocess

from harness import (RUN_GRACE, SOURCE_ROOT, Result, Suite, World, check,
                     check_no_sanitizer_report, describe_rc, image_item, manifest,
                     solid)

suite = Suite()


def run_plain(w, args):
    argv = [w.exe] + args
    proc = subprocess.run(argv, capture_output=True, timeout=RUN_GRACE, env=w.env(),
                          cwd=w.dir)
    res = Result(argv, proc.returncode, proc.stderr.decode(errors="replace"), None, w.dir)
    res.stdout = proc.stdout.decode(errors="replace")
    check_no_sanitizer_report(res)
    return res


def line_of(path, needle):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if needle in line:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def located(res, path):
    """stderr lines of the form PATH:LINE: message, as {line: message}."""
    pat = re.compile(re.escape(path) + r":(\d+): (.+)")
    found = {}
    for ln in res.stderr.splitlines():
        m = pat.search(ln)
        if m:
            found.setdefault(int(m.group(1)), m.group(2))
    return found


def world_with_media(w):
    solid(w.media("red.png"), "#ff0000")
    w.write_manifest(manifest(upper=[image_item("red", "red")], lower=[],
                              media=[("red", "media/red.png")]))


@suite.test
def check_config_accepts_a_good_file(exe):
    with World(exe, "cfg-good") as w:
        world_with_media(w)
        path = w.write_config()
        res = run_plain(w, ["--check-config", path])
        check(res.returncode == 0, f"--check-config on a good file exited with "
                                   f"{describe_rc(res.returncode)}:\n    {res.tail()}")
        check(not located(res, path), f"--check-config reported problems in a good file:\n"
                                      f"    {res.tail()}")


@suite.test
def check_config_accepts_the_shipped_example(exe):
    # config/lianbo.cfg documents every key; it must itself be valid.
    path = os.path.join(SOURCE_ROOT, "config", "lianbo.cfg")
    check(os.path.exists(path), f"{path} is missing")
    with World(exe, "cfg-example") as w:
        res = run_plain(w, ["--check-config", path])
        check(res.returncode == 0, f"--check-config {path} exited with "
                                   f"{describe_rc(res.returncode)}:\n    {res.tail()}")


@suite.test
def check_config_names_each_bad_line(exe):
    with World(exe, "cfg-bad") as w:
        world_with_media(w)
        path = w.write_config(display={"rotation": 45, "split": 2.0, "brightness": 80},
                              extra={"log": {"level": "chatty"}})
        bad = {line_of(path, "rotation ="): "rotation", line_of(path, "split ="): "split",
               line_of(path, "brightness ="): "brightness",
               line_of(path, "chatty"): "level"}
        res = run_plain(w, ["--check-config", path])
        check(res.returncode == 1, f"--check-config on a bad file exited with "
                                   f"{describe_rc(res.returncode)}, expected status 1")
        found = located(res, path)
        for line, key in sorted(bad.items()):
            check(line in found, f"no '{path}:{line}: ...' line for the bad {key} "
                                 f"setting; stderr was:\n    {res.tail()}")
        extra = set(found) - set(bad)
        check(not extra, f"problems reported on good lines {sorted(extra)}:\n    {res.tail()}")


@suite.test
def check_config_reports_syntax_errors(exe):
    with World(exe, "cfg-syntax") as w:
        # Line 6 lacks its '=' (libconfig's ';' is optional, so that is
        # not the test).
        text = 'device: {\n    id = "x";\n};\ndisplay: {\n    width = 540;\n    height 960;\n};\n'
        path = w.write_config(text=text)
        res = run_plain(w, ["--check-config", path])
        check(res.returncode == 1, f"--check-config on a syntax error exited with "
                                   f"{describe_rc(res.returncode)}, expected status 1")
        found = located(res, path)
        check(6 in found, f"no '{path}:6:' line for the missing '=':\n    {res.tail()}")


@suite.test
def unknown_key_refuses_to_start(exe):
    with World(exe, "cfg-unknown") as w:
        world_with_media(w)
        path = w.write_config(display={"brigthness": 80})  # a typo a technician might make
        line = line_of(path, "brigthness")
        res = w.run(expect_rc=None, after=1)
        check(res.returncode > 0,
              f"lianbo started with an unknown key (exit {describe_rc(res.returncode)})")
        check(not os.path.exists(w.path("screen.png")),
              "lianbo wrote a screenshot although its config has an unknown key")
        msgs = [ln for ln in res.stderr.splitlines()
                if f"{path}:{line}:" in ln and "brigthness" in ln]
        check(msgs, f"no '{path}:{line}: ... brigthness ...' message:\n    {res.tail()}")


@suite.test
def missing_config_file_refuses_to_start(exe):
    with World(exe, "cfg-missing") as w:
        res = w.run(expect_rc=None, after=1)  # the config was never written
        check(res.returncode > 0, f"lianbo started without its config file "
                                  f"(exit {describe_rc(res.returncode)})")
        check(w.config_path in res.stderr, f"the error does not name {w.config_path}:\n"
                                           f"    {res.tail()}")


@suite.test
def version_and_help(exe):
    with World(exe, "cli") as w:
        res = run_plain(w, ["--version"])
        check(res.returncode == 0, f"--version exited with {describe_rc(res.returncode)}")
        check(re.search(r"\d+\.\d+\.\d+", res.stdout + res.stderr),
              f"--version printed no version number: {res.stdout!r}")
        res = run_plain(w, ["--help"])
        check(res.returncode == 0, f"--help exited with {describe_rc(res.returncode)}")
        for opt in ("--config", "--windowed", "--screenshot", "--after", "--check-config"):
            check(opt in res.stdout + res.stderr, f"--help does not mention {opt}")
        res = run_plain(w, ["--no-such-option"])
        check(res.returncode > 0, f"an unknown option was accepted "
                                  f"(exit {describe_rc(res.returncode)})")


@suite.test
def check_config_alone_does_not_open_a_window(exe):
    # A technician checks a file over ssh on a terminal with no display
    # driver at all: the check must not need one.
    with World(exe, "cfg-novideo") as w:
        world_with_media(w)
        path = w.write_config()
        env = w.env(SDL_VIDEODRIVER="no-such-driver")
        argv = [exe, "--check-config", path]
        proc = subprocess.run(argv, capture_output=True, timeout=RUN_GRACE, env=env)
        check(proc.returncode == 0, f"--check-config needed a video driver: exit "
                                    f"{describe_rc(proc.returncode)}\n    "
                                    + proc.stderr.decode(errors="replace")[-1500:])


if __name__ == "__main__":
    suite.main()
