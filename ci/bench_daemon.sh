#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The idle daemon's cost (budget: RSS < 10 MiB, ~0% CPU), beside a peer measured
# the same way in the same run: python3's http.server, an idle HTTP server.
# The daemon runs a git collector hourly, a folder store and its HTTP server;
# after a warm-up (the first run collected and shipped), RSS and CPU time are
# read from /proc over EA_BENCH_IDLE_SECONDS (default 20).
# Usage: ci/bench_daemon.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >/dev/null
bash ci/build.sh default >/dev/null
ea=$PWD/build/agent/evidence-agent
secs=${EA_BENCH_IDLE_SECONDS:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/ea-bench-daemon-XXXXXX")
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
$ea keygen --private key.pem --public key.pub 2>/dev/null
git init -q app && git -C app -c user.name=b -c user.email=b@example.com commit -q --allow-empty -m one
cat >agent.yaml <<'EOF'
agent: {spool: spool, listen: "127.0.0.1:0", log_level: warn}
signing: {key: key.pem}
stores: [store]
collectors: [{name: git, arg: app, interval: 1h, controls: [A.8.32]}]
EOF

# measure PID: "rss_kib private_kib cpu_percent" over $secs seconds of idleness
measure() {
    local pid=$1 t0 t1 c0 c1
    read -r c0 < <(awk '{print $14 + $15}' "/proc/$pid/stat")
    t0=$(date +%s.%N)
    sleep "$secs"
    read -r c1 < <(awk '{print $14 + $15}' "/proc/$pid/stat")
    t1=$(date +%s.%N)
    python3 - "$pid" "$c0" "$c1" "$t0" "$t1" "$(getconf CLK_TCK)" <<'PY'
import sys
pid, c0, c1, t0, t1, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
priv = sum(int(l.split()[1]) for l in open(f"/proc/{pid}/smaps_rollup")
           if l.startswith(("Private_Clean:", "Private_Dirty:")))
print(rss, priv, f"{100.0 * (c1 - c0) / hz / (t1 - t0):.2f}")
PY
}

$ea daemon --config agent.yaml 2>daemon.log &
pid=$!
pids="$pids $pid"
for _ in $(seq 100); do [ -d store/controls ] && [ -z "$(ls spool/pending 2>/dev/null)" ] && break; sleep 0.1; done
sleep 2
read -r rss priv cpu < <(measure "$pid")

python3 -m http.server --bind 127.0.0.1 0 >/dev/null 2>&1 &
peer=$!
pids="$pids $peer"
sleep 2
read -r prss ppriv pcpu < <(measure "$peer")

python3 - "$secs" "$rss" "$priv" "$cpu" "$prss" "$ppriv" "$pcpu" <<'PY'
import sys
secs, rss, priv, cpu, prss, ppriv, pcpu = sys.argv[1:]
mib = lambda k: int(k) / 1024
print(f"== idle daemon over {secs} s (git hourly, folder store, HTTP server)")
print(f"daemon: RSS {mib(rss):.1f} MiB (private {mib(priv):.1f} MiB), CPU {cpu}%")
print(f"peer python3 -m http.server: RSS {mib(prss):.1f} MiB (private {mib(ppriv):.1f} MiB), CPU {pcpu}%")
print(f"ratio of RSS to the peer: {int(rss) / int(prss):.2f} (budget: RSS < 10 MiB, CPU ~0%)")
PY
echo "largest shares of the daemon's RSS (KiB, by mapping):"
pmap -x "$pid" 2>/dev/null | awk 'NR>2 && NF>=6 {rss[$NF]+=$3} END {for (m in rss) print rss[m], m}' |
    sort -n -r | head -8 | sed 's/^/  /'
