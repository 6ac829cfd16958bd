#!/bin/bash
# Installs everything needed to build lianbo and run its tests on Debian 12.
# Run as root. Safe to run again: apt-get skips what is already installed.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run this as root (it calls apt-get)" >&2
    exit 1
fi

packages=(
    # build tools
    meson ninja-build pkg-config gcc
    # libraries the player links against
    libsdl2-dev libsdl2-image-dev libsdl2-ttf-dev
    libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
    libswresample-dev
    libcurl4-openssl-dev libconfig-dev libqrencode-dev libjansson-dev
    libfontconfig-dev libexif-dev libsystemd-dev libdrm-dev libx11-dev libxext-dev
    # fonts: a CJK face for Chinese notices and a Latin fallback
    fonts-wqy-microhei fonts-dejavu-core
    # time zones for dayparting; CA certificates for https schedules
    tzdata ca-certificates
    # integration tests: fixtures, QR decoding, a virtual X display, video
    imagemagick zbar-tools xvfb x11-apps xauth python3 ffmpeg
    # the https tests make their own certificate; the clock tests fake the time
    openssl faketime
    # the package test (tests/package): dpkg-buildpackage, dh and its
    # sysusers sequence, lintian, systemd-analyze and systemd.pc, man
    build-essential dpkg-dev debhelper lintian systemd man-db
)

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
