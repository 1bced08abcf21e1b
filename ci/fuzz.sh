#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# EA_FUZZ_SECONDS (default 60) on a copy of its corpus. New crashes are left
# in build-fuzz/<target>-crash-*; add the input to tests/fuzz/corpus/<target>/
# once fixed, so the corpus replay in ctest keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
EA_WITH_FUZZ=1 bash ci/setup.sh
secs=${EA_FUZZ_SECONDS:-60}
CC=clang cmake -S . -B build-fuzz -DEA_FUZZ=ON -DEA_SANITIZE=ON -DEA_WERROR=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
status=0
for t in envelope statement control_id time redact log_scan change_request access \
    scan_sarif scan_trivy scan_grype scan_gitleaks scan_cyclonedx scan_zap scan_detect soa yaml \
    head checkpoint timestamp; do
    corpus=$(mktemp -d)
    cp tests/fuzz/corpus/$t/* "$corpus"/ 2>/dev/null || true
    echo "== fuzz $t for ${secs}s"
    (cd build-fuzz && ./tests/${t}_fuzzer -max_total_time="$secs" -max_len=65536 \
        -artifact_prefix="$t-" "$corpus" 2>&1 | tail -3) || status=1
    rm -rf "$corpus"
done
exit $status
