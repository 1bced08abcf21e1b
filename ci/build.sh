#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds one tree: ci/build.sh [default|asan] (default: default).
# default -> build/ (warnings are errors), asan -> build-asan/ (ASan + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-default}
jobs=$(nproc 2>/dev/null || echo 2)
case "$kind" in
default) dir=build; flags=(-DEA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
asan) dir=build-asan; flags=(-DEA_WERROR=ON -DEA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
*) echo "usage: ci/build.sh [default|asan]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
