#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as CI runs it: installs what is missing, lints, builds
# the normal tree and the ASan+UBSan tree, and runs every test in both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/lint.sh
status=0
for kind in default asan; do
    bash ci/build.sh "$kind"
    dir=build; [ "$kind" = asan ] && dir=build-asan
    echo "=== tests: $kind build ($dir)"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    (cd "$dir" && ctest --output-on-failure -j 2) || status=1
done
exit $status
