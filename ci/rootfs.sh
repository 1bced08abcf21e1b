#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the path of a minimal Debian 12 root file system as a tar file, made once with
# `debootstrap --variant=minbase bookworm` from Debian's archive and cached in
# .cache/rootfs/ (ignored by git; delete it to make a fresh one). The package test installs
# the .deb into a copy of it; ci/image.sh imports it as the debian:12 base images when no
# registry is reachable. Needs root and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=${EA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=.cache/rootfs
tar=$cache/bookworm-minbase.tar
if [ ! -s "$tar" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "rootfs: debootstrap needs root" >&2; exit 1; }
    command -v debootstrap >/dev/null || { echo "rootfs: debootstrap is not installed" >&2; exit 1; }
    mkdir -p "$cache"
    root=$(mktemp -d "$cache/root.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "rootfs: debootstrap --variant=minbase bookworm ($mirror)" >&2
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { echo "rootfs: debootstrap failed; see $cache/debootstrap.log" >&2; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
fi
echo "$PWD/$tar"
