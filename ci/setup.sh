#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs exactly what building and testing evidence-agent needs, from Debian's
# archive, and only what is missing (so a second run does nothing). Needs root
# or sudo when something is missing.
#   ci/setup.sh               build and test (the test suite's tools, s3rver and the validators)
#   ci/setup.sh --build-only  only what building needs (the GitHub Action uses this)
set -euo pipefail

build_only=0
case "${1:-}" in
--build-only) build_only=1 ;;
"") ;;
*) echo "usage: ci/setup.sh [--build-only]" >&2; exit 2 ;;
esac

packages=(
    build-essential cmake pkg-config git ca-certificates openssl
    libcurl4-openssl-dev libjansson-dev libgit2-dev libssl-dev libhyperscan-dev
    libyajl-dev libyaml-dev libmicrohttpd-dev libarchive-dev
)
if [ "$build_only" = 0 ]; then packages+=(
    curl check clang-format
    python3 python3-jsonschema
    time
    flawfinder jq
    faketime
    chromium
    python3-yaml
    lintian debootstrap file podman
); fi
# flawfinder makes a real SARIF report in the scan tests; jq is their independent
# counter and the benchmarks' peer; chromium renders the HTML report in its test.
# Optional: clang with its runtime builds the libFuzzer targets (ci/fuzz.sh).
if [ "${EA_WITH_FUZZ:-0}" = 1 ]; then packages+=(clang libclang-rt-14-dev); fi

# python3-yaml parses the GitLab template in its test; lintian checks the .deb and debootstrap
# makes the Debian root the package test installs it in (file: CPack's dependency scan);
# podman builds the container image in its test.
# Node.js and npm run s3rver, the S3 peer of the S3 store tests: from Debian when the machine
# has no npm of its own (a nodejs from elsewhere is left alone).
if [ "$build_only" = 0 ] && ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages present"
else
    echo "setup: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "setup: done"
fi

[ "$build_only" = 1 ] && exit 0

# Node tools for the tests, pinned, into .tools/ (kept across builds): s3rver, the S3 peer the
# store tests start on loopback; action-validator, which checks the GitHub Action and workflow
# files; kubernetes-models and yaml, which check the Kubernetes templates against the API schemas.
tools=${EA_TOOLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tools}
node_tools=(s3rver@3.7.1 @action-validator/cli@0.6.0 kubernetes-models@4.5.1 yaml@2.6.1)
want=()
for t in "${node_tools[@]}"; do
    name=${t%@*}
    have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$tools/node_modules/$name/package.json" 2>/dev/null || true)
    [ "$have" = "${t##*@}" ] || want+=("$t")
done
if [ ${#want[@]} -gt 0 ]; then
    mkdir -p "$tools"
    echo "setup: npm install ${want[*]} into $tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "${node_tools[@]}" >/dev/null
fi
