#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs exactly what building and testing evidence-agent needs, from Debian's
# archive, and only what is missing (so a second run does nothing). Needs root
# or sudo when something is missing.
set -euo pipefail

packages=(
    build-essential cmake pkg-config git ca-certificates
    curl libcurl4-openssl-dev libjansson-dev libgit2-dev libssl-dev openssl libhyperscan-dev
    libyajl-dev libyaml-dev libmicrohttpd-dev libarchive-dev
    check
    python3 python3-jsonschema
    time
    flawfinder jq
    chromium
)
# flawfinder makes a real SARIF report in the scan tests; jq is their independent
# counter and the benchmarks' peer; chromium renders the HTML report in its test.
# Optional: clang with its runtime builds the libFuzzer targets (ci/fuzz.sh).
if [ "${EA_WITH_FUZZ:-0}" = 1 ]; then packages+=(clang libclang-rt-14-dev); fi

# Node.js and npm run s3rver, the S3 peer of the S3 store tests: from Debian when the machine
# has no npm of its own (a nodejs from elsewhere is left alone).
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi
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

# s3rver (npm), pinned, into .tools/ (kept across builds): the tests start it on loopback.
tools=${EA_TOOLS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.tools}
if [ ! -x "$tools/node_modules/.bin/s3rver" ]; then
    mkdir -p "$tools"
    echo "setup: npm install s3rver@3.7.1 into $tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error s3rver@3.7.1 >/dev/null
fi
