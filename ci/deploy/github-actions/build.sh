#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The build step of the GitHub Action (mode=build of install.sh): the build dependencies from the
# distribution, then a Release build without tests into EA_BUILD_DIR (restored by actions/cache
# when the sources did not change, so CMake only checks it), and the binary's folder on PATH.
set -eu
src=${EA_ACTION_PATH:?EA_ACTION_PATH must name the action folder}
dir=${EA_BUILD_DIR:?EA_BUILD_DIR must name the build folder}
bash "$src/ci/setup.sh" --build-only
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir/agent" >>"$GITHUB_PATH"; fi
"$dir/agent/evidence-agent" --version
