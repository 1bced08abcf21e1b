#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The install step of the GitHub Action. POSIX sh. Decides where evidence-agent comes from, in
# this order, and writes mode=path|package|build and cache-key to $GITHUB_OUTPUT:
#   path     `evidence-agent` is already on PATH (a self-hosted runner, an image with it);
#   package  EA_PACKAGE names a .deb file (e.g. downloaded from a release by an earlier step):
#            installed with apt-get, which resolves its dependencies from the distribution;
#   build    otherwise: the action's own source is built (ci/setup.sh --build-only, then CMake);
#            the next step restores and saves the build tree with actions/cache under
#            cache-key, a hash of the sources, so a later run with the same sources only links.
# EA_ACTION_PATH is the action's folder (github.action_path).
set -eu

out() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >>"$GITHUB_OUTPUT"; fi; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi

if [ -n "${EA_PACKAGE:-}" ]; then
    case $EA_PACKAGE in
    *.deb) ;;
    *) echo "::error::evidence-agent: package must name a .deb file, not '$EA_PACKAGE'"; exit 2 ;;
    esac
    if [ ! -f "$EA_PACKAGE" ]; then
        echo "::error::evidence-agent: package '$EA_PACKAGE' is not a file"
        exit 2
    fi
    case $EA_PACKAGE in /* | ./*) deb=$EA_PACKAGE ;; *) deb=./$EA_PACKAGE ;; esac
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
    out mode=package
elif command -v evidence-agent >/dev/null 2>&1; then
    out mode=path
else
    src=${EA_ACTION_PATH:?EA_ACTION_PATH must name the action folder}
    # Every file the build reads; the key changes when any of them does.
    hash=$(cd "$src" && find CMakeLists.txt agent collectors include schemas -type f | LC_ALL=C sort |
        xargs sha256sum | sha256sum | cut -c1-16)
    out mode=build
    out "cache-key=evidence-agent-build-$(uname -s)-$(uname -m)-$hash"
fi
