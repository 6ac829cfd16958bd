#!/bin/bash
# Builds the Debian package from a copy of this tree, checks it with lintian
# and systemd-analyze, installs it, plays the demo with the installed binary
# and configuration, and purges it again, leaving the machine as it was.
#
#   bash tests/package/test_package.sh
#
# Run as root on Debian 12 (it installs a package); CI runs it after
# tests/run-all.sh. Prints "N passed, N failed" and exits non-zero if any
# check failed. Takes under a minute on two cores.

# Most checks are functions called through check(), which shellcheck does
# not follow.
# shellcheck disable=SC2317
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
signup="https://example.org/lianbo/signup?building=3"
unit=/lib/systemd/system/lianbo.service

passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok: $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL: $1" >&2
}

# check WHAT COMMAND...: one check that passes when COMMAND succeeds.
check() {
    local what=$1
    shift
    if "$@"; then
        pass "$what"
    else
        fail "$what"
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}

# dpkg's two-letter state of lianbo: "ii" installed, "rc" removed with its
# configuration kept, "un" or "pn" (or nothing) not there at all.
package_state() {
    dpkg-query -W -f='${db:Status-Abbrev}' lianbo 2>/dev/null | tr -d ' '
}

installed() {
    [ "$(package_state)" = ii ]
}

package_gone() {
    case "$(package_state)" in "" | un | pn) return 0 ;; esac
    return 1
}

# Refuses to run where it would disturb something it did not set up.
preflight() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "test_package.sh: run this as root (it installs and purges a package)" >&2
        exit 1
    fi
    if ! package_gone; then
        echo "test_package.sh: lianbo is installed here, or its configuration is" \
             "left from an earlier one; the test would purge it, so purge it" \
             "first (apt-get purge lianbo)" >&2
        exit 1
    fi
    local path
    for path in /etc/lianbo /var/cache/lianbo /var/lib/lianbo; do
        if [ -e "$path" ]; then
            echo "test_package.sh: $path exists, and the test's purge would remove" \
                 "it; move it away first" >&2
            exit 1
        fi
    done
}

work=""
run_dir=""
deb=""
user_existed=true
# Groups the package's sysusers.d file makes if the system lacks them.
service_groups="video render input audio"
groups_missing=""

cleanup() {
    if ! package_gone; then
        apt-get purge -y -q lianbo >/dev/null 2>&1 || dpkg --purge lianbo >/dev/null 2>&1
    fi
    rm -rf /var/cache/lianbo /var/lib/lianbo
    # Debian keeps the system user on purge; the test does not keep one it
    # made. userdel takes the user's own group too.
    if ! $user_existed && getent passwd lianbo >/dev/null; then
        userdel lianbo
        getent group lianbo >/dev/null && groupdel lianbo
    fi
    local g
    for g in $groups_missing; do
        getent group "$g" >/dev/null && groupdel "$g"
    done
    [ -n "$run_dir" ] && rm -rf "$run_dir"
    [ -n "$work" ] && rm -rf "$work"
}

# Copies the files git would commit (tracked, or new and not ignored) into
# DEST, as a fresh clone would have them plus uncommitted work; leftovers
# of an earlier dpkg-buildpackage run in the checkout are skipped.
copy_tree() {
    local dest=$1 file
    mkdir -p "$dest"
    if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
        tar -C "$root" --exclude='./build*' --exclude='./obj-*' -cf - . |
            tar -C "$dest" -xf -
        return
    fi
    # cp --parents makes the directories of a path relative to here.
    (cd "$root" &&
        git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' file; do
            case "$file" in obj-*/*) continue ;; esac
            [ -e "$file" ] || continue
            cp --parents -P "$file" "$dest/" || exit 1
        done)
}

# Runs a command with its output in a log, shown only if it fails.
quietly() {
    "$@" >"$work/quiet.log" 2>&1 && return 0
    cat "$work/quiet.log"
    return 1
}

meson_version() {
    sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$root/meson.build" | head -n 1
}

build_package() {
    echo "--- building the package"
    copy_tree "$work/src" || return 1
    (cd "$work/src" &&
        DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -b -us -uc) \
        >"$work/build.log" 2>&1
}

# lintian fails the check on any error; warnings are shown.
run_lintian() {
    local status
    lintian --info --fail-on error "$deb" >"$work/lintian.log" 2>&1
    status=$?
    # It warns about running as root, which a CI job always does.
    grep -v "running with root privileges" "$work/lintian.log"
    [ "$status" -eq 0 ] && ! grep -q "^E: " "$work/lintian.log"
}

# systemd-analyze verify needs no running systemd; it checks the unit's
# syntax, that ExecStart= and ExecReload= exist and are executable and that
# the man pages in Documentation= are installed. It prints nothing when
# all is well.
verify_unit() {
    local out
    out=$(systemd-analyze verify "$1" 2>&1)
    local status=$?
    [ -n "$out" ] && echo "$out"
    [ "$status" -eq 0 ] && [ -z "$out" ]
}

# Shows that verify_unit can fail here: a misspelt directive is reported.
verify_catches_typo() {
    local dir="$work/typo"
    mkdir -p "$dir"
    sed 's/^WatchdogSec=/WatchdogSecs=/' "$unit" >"$dir/lianbo.service"
    ! verify_unit "$dir/lianbo.service" >/dev/null
}

# systemd's own rating of the sandbox, from 0 (tight) to 10: 1.7 as
# shipped, so above 2.5 a hardening setting has been lost.
exposure_ok() {
    local out status
    out=$(systemd-analyze security --offline=yes --threshold=25 "$unit" 2>&1)
    status=$?
    tail -n 1 <<<"$out"
    return "$status"
}

# Options in `lianbo --help` and keys in the installed lianbo.cfg that the
# man pages do not mention; prints each one and fails if there are any.
manpages_cover_everything() {
    local missing=0 opt key page1 page5
    # In the C locale man writes plain ASCII hyphens.
    page1=$(LC_ALL=C MANWIDTH=200 man 1 lianbo 2>/dev/null)
    page5=$(LC_ALL=C MANWIDTH=200 man 5 lianbo.cfg 2>/dev/null)
    [ -n "$page1" ] && [ -n "$page5" ] || return 1
    for opt in $(lianbo --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        if ! grep -q -- "$opt" <<<"$page1"; then
            echo "lianbo(1) does not mention $opt"
            missing=1
        fi
    done
    # Keys are "name = ..." inside "group: {" ... "};" at the top level.
    while read -r key; do
        if ! grep -q -- "$key" <<<"$page5"; then
            echo "lianbo.cfg(5) does not mention $key"
            missing=1
        fi
    done < <(awk '
        /^[a-z_]+: *\{/ { group = $1; sub(/:.*/, "", group); next }
        /^\};/ { group = ""; next }
        group != "" && /^  [a-z_]+ *=/ {
            key = $1; sub(/=.*/, "", key); print group "." key
        }' /etc/lianbo/lianbo.cfg)
    return "$missing"
}

user_has_groups() {
    local groups g
    groups=" $(id -nG lianbo 2>/dev/null) "
    for g in $service_groups; do
        [[ "$groups" == *" $g "* ]] || { echo "lianbo is not in group $g"; return 1; }
    done
}

# Fraction of the pixels in the crop GEOMETRY of PNG brighter than 16 of
# 255 in their brightest channel, as a decimal number.
lit_fraction() {
    convert "$1" -crop "$2" +repage -separate -evaluate-sequence Max \
        -threshold 6.3% -format '%[fx:mean]' info:
}

colour_count() {
    convert "$1" -crop "$2" +repage -format '%k' info:
}

# A zone of the demo shows a photo or a notice: mostly lit, many colours.
zone_shows_content() {
    local png=$1 geometry=$2 lit colours
    lit=$(lit_fraction "$png" "$geometry") || return 1
    colours=$(colour_count "$png" "$geometry") || return 1
    echo "zone $geometry: $lit of the pixels lit, $colours colours"
    awk -v lit="$lit" -v n="$colours" 'BEGIN { exit !(lit > 0.5 && n > 50) }'
}

qr_in_zone() {
    local png=$1 geometry=$2 crop="$run_dir/lower.png"
    convert "$png" -crop "$geometry" +repage "$crop" || return 1
    # zbarimg complains on stderr when there is no D-Bus, as in a container.
    zbarimg -q --raw "$crop" 2>/dev/null | grep -qxF "$signup"
}

# The installed player on the installed configuration, as the service user,
# headless. Its log must show the demo came from the installed data.
screenshot_demo() {
    local png width height half
    run_dir=$(mktemp -d /tmp/lianbo-run.XXXXXX)
    chown lianbo: "$run_dir"
    png="$run_dir/demo.png"
    runuser -u lianbo -- env -i PATH=/usr/bin:/bin SDL_VIDEODRIVER=offscreen \
        HOME="$run_dir" XDG_CACHE_HOME="$run_dir" CACHE_DIRECTORY="$run_dir/cache" \
        timeout 60 lianbo --config /etc/lianbo/lianbo.cfg --windowed \
        --screenshot "$png" --after 3 >"$run_dir/log" 2>&1
    local status=$?
    grep -v "^ALSA lib" "$run_dir/log"
    check "the installed player exits 0 after its screenshot" [ "$status" -eq 0 ]
    check "it plays the demo installed in /usr/share/lianbo" \
        grep -q "schedule file:///usr/share/lianbo/demo/manifest.json" "$run_dir/log"
    if [ ! -s "$png" ]; then
        fail "the screenshot was written"
        return
    fi
    read -r width height < <(identify -format '%w %h\n' "$png")
    half=$((height / 2))
    check "the upper zone shows a photo" \
        zone_shows_content "$png" "${width}x${half}+0+0"
    check "the lower zone shows a notice" \
        zone_shows_content "$png" "${width}x$((height - half))+0+$half"
    check "the lower zone's QR code reads $signup" \
        qr_in_zone "$png" "${width}x$((height - half))+0+$half"
}

purge_package() {
    # What the service would have made, so that the purge is seen to
    # remove it.
    mkdir -p /var/cache/lianbo /var/lib/lianbo
    touch /var/cache/lianbo/media /var/lib/lianbo/state
    check "apt-get purge lianbo succeeds" quietly apt-get purge -y lianbo
    check "the package is gone, configuration included" package_gone
    local path
    for path in /usr/bin/lianbo /etc/lianbo "$unit" \
                /etc/systemd/system/multi-user.target.wants/lianbo.service \
                /var/cache/lianbo /var/lib/lianbo; do
        check "purge removes $path" test ! -e "$path"
    done
}

main() {
    preflight
    getent passwd lianbo >/dev/null || user_existed=false
    local g
    for g in $service_groups; do
        getent group "$g" >/dev/null || groups_missing+=" $g"
    done
    work=$(mktemp -d /tmp/lianbo-package.XXXXXX)
    trap cleanup EXIT
    # apt reads the .deb as its own unprivileged user.
    chmod 755 "$work"

    bash "$root/packaging/install-deps.sh" >"$work/deps.log" 2>&1 ||
        { cat "$work/deps.log"; fail "packaging/install-deps.sh"; finish; }

    local version arch
    version=$(meson_version)
    arch=$(dpkg --print-architecture)
    deb="$work/lianbo_${version}_${arch}.deb"
    local started=$SECONDS
    if ! build_package; then
        tail -n 40 "$work/build.log"
        fail "dpkg-buildpackage -b builds the package"
        finish
    fi
    pass "dpkg-buildpackage -b builds the package in $((SECONDS - started)) s"
    check "it is named lianbo_${version}_${arch}.deb after meson.build's version" \
        test -f "$deb"
    [ -f "$deb" ] || finish
    check "debian/changelog has the version meson.build has" \
        test "$(cd "$work/src" && dpkg-parsechangelog -S Version)" = "$version"
    # The build tree goes, so that nothing below can fall back on it (the
    # binary knows the source's demo directory as a last resort).
    rm -rf "$work/src"

    echo "--- lintian"
    check "lintian reports no errors" run_lintian

    echo "--- contents"
    local contents
    contents=$(dpkg-deb -c "$deb")
    local path
    for path in ./usr/bin/lianbo ./etc/lianbo/lianbo.cfg .$unit \
                ./usr/lib/sysusers.d/lianbo.conf \
                ./usr/share/lianbo/demo/manifest.json \
                ./usr/share/man/man1/lianbo.1.gz ./usr/share/man/man5/lianbo.cfg.5.gz; do
        check "the package holds $path" grep -q " $path\$" <<<"$contents"
    done
    check "/etc/lianbo/lianbo.cfg is a conffile" \
        bash -c "dpkg-deb -I '$deb' conffiles | grep -qx /etc/lianbo/lianbo.cfg"

    echo "--- installing"
    if ! quietly apt-get install -y "$deb"; then
        fail "apt-get install ./lianbo_${version}_${arch}.deb"
        finish
    fi
    pass "apt-get install ./lianbo_${version}_${arch}.deb"
    check "dpkg lists lianbo as installed" installed
    check "the lianbo system user exists" getent passwd lianbo
    check "it is in the groups video, render, input and audio" user_has_groups
    check "the service is enabled" \
        test -L /etc/systemd/system/multi-user.target.wants/lianbo.service
    check "lianbo --version prints $version" \
        bash -c "lianbo --version | grep -qx 'lianbo $version'"
    check "lianbo --check-config accepts the installed configuration" \
        lianbo --check-config /etc/lianbo/lianbo.cfg
    check "the man pages cover every option and configuration key" \
        manpages_cover_everything

    echo "--- systemd-analyze"
    check "systemd-analyze verify passes on the installed unit" verify_unit "$unit"
    check "systemd-analyze verify catches a misspelt directive" verify_catches_typo
    check "systemd-analyze security rates the unit's exposure at 2.5 or less" \
        exposure_ok

    echo "--- playing the demo"
    screenshot_demo

    echo "--- purging"
    purge_package
    finish
}

main "$@"
