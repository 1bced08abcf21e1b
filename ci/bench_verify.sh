#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of the integrity checks (issue 14, budget: within 10%): `verify` of a
# store of EA_BENCH_VERIFY_RECORDS records (default 100,000) over EA_BENCH_VERIFY_STREAMS
# streams (default 1,000), each with its signed head, and EA_BENCH_VERIFY_CHECKPOINTS
# checkpoints (default 24: a day of the daemon's hourly ones), beside `verify` of the
# same records, heads included, without the checkpoints; the two runs alternate, three
# each, one core, and the medians are compared.
# Usage: ci/bench_verify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >/dev/null
bash ci/build.sh default >/dev/null
ea=$PWD/build/agent/evidence-agent
bench=$PWD/build/tests/bench_records
n=${EA_BENCH_VERIFY_RECORDS:-100000}
streams=${EA_BENCH_VERIFY_STREAMS:-1000}
cps=${EA_BENCH_VERIFY_CHECKPOINTS:-24}
base=$PWD/build
if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; fi
work=$(mktemp -d "$base/ea-bench-verify-XXXXXX")
trap 'rm -rf "$work"' EXIT
$ea keygen --private "$work/key.pem" --public "$work/key.pub" 2>/dev/null

echo "== machine: $(nproc) cores, $(uname -m); store on $base"
echo "== $n records over $streams streams, $cps checkpoints"
EA_BENCH_STREAMS=$streams "$bench" "$work/with" "$work/key.pem" "$n" 30 >/dev/null
for _ in $(seq "$cps"); do
    $ea checkpoint --store "$work/with" --key "$work/key.pem" --agent-id bench >/dev/null
done
cp -a "$work/with" "$work/without"
rm -rf "$work/without/checkpoints"
pin=""
command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null && pin="taskset -c 0"
python3 - "$ea" "$work" "$pin" <<'PY'
import statistics, subprocess, sys, time
ea, work, pin = sys.argv[1], sys.argv[2], sys.argv[3].split()
def run(store):
    t = time.monotonic()
    out = subprocess.run(pin + [ea, "verify", "--store", store, "--pubkey", work + "/key.pub"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("verify %s failed: %s" % (store, out.stdout[-500:] + out.stderr[-500:]))
    return time.monotonic() - t, out.stdout.strip().splitlines()[-1]
w, wo = [], []
for _ in range(3):
    t, sw = run(work + "/with"); w.append(t)
    t, so = run(work + "/without"); wo.append(t)
mw, mo = statistics.median(w), statistics.median(wo)
print("with checkpoints:    median %.2f s  (%s)" % (mw, sw))
print("without checkpoints: median %.2f s  (%s)" % (mo, so))
print("ratio with/without: %.3f (budget: <= 1.10)" % (mw / mo))
PY
