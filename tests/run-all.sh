#!/bin/bash
# Builds lianbo from a clean clone and runs every test: unit tests, fuzz
# corpus replays and the headless integration tests.
#
#   bash tests/run-all.sh              # build/ with the normal options
#   bash tests/run-all.sh --sanitize   # build-asan/ under ASan and UBSan
#
# Run as root on Debian 12 to have the dependencies installed first; as any
# other user it assumes they are there. Exits non-zero if anything fails.
set -euo pipefail

usage() {
    echo "usage: bash tests/run-all.sh [--sanitize]" >&2
    exit 2
}

sanitize=false
case "${1:-}" in
    "") ;;
    --sanitize) sanitize=true ;;
    *) usage ;;
esac
[ $# -le 1 ] || usage

cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -eq 0 ]; then
    bash packaging/install-deps.sh
else
    echo "run-all.sh: not root, so not installing packages;" \
         "assuming packaging/install-deps.sh has run" >&2
fi

builddir=build
setup_opts=()
test_opts=()
if $sanitize; then
    builddir=build-asan
    # b_lundef=false: the sanitizer runtimes resolve some symbols only at
    # load time, which a link with -Wl,--no-undefined would refuse.
    setup_opts=(-Db_sanitize=address,undefined -Db_lundef=false)
    # Sanitized code runs several times slower.
    test_opts=(--timeout-multiplier 3)

    # Every finding fails the test: UBSan stops at its first report instead
    # of printing it and carrying on, and aborts so the exit is non-zero.
    export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1
    export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1
    # Third-party libraries only (see the file); our own leaks still fail.
    export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
    # SDL's offscreen driver loads Mesa's EGL, whose leaks LeakSanitizer
    # cannot name once SDL has unloaded it; the dummy driver draws the
    # same frames without it (tests/integration/harness.py).
    export LIANBO_TEST_VIDEODRIVER=dummy
fi

if [ -f "$builddir/build.ninja" ]; then
    meson setup --reconfigure "${setup_opts[@]}" "$builddir"
else
    meson setup "${setup_opts[@]}" "$builddir"
fi
meson compile -C "$builddir"
meson test -C "$builddir" --print-errorlogs "${test_opts[@]}"
