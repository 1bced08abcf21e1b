#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of RFC 3161 timestamps (issue 19, item 5) against a real TSA on loopback
# (`openssl ts -reply`, ECDSA P-256, behind tests/testkit/tsa_server.py): the same
# records signed and stored durably with no TSA, with one token per commit of
# EA_BENCH_TSA_BATCH records (default 256, what collect and the daemon commit at most),
# and with one token per record (batch 1: what a daemon asking per record would do).
# Prints records/s, TSA requests and the ratios; no budget is asserted here.
# Usage: ci/bench_tsa.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >/dev/null
bash ci/build.sh default >/dev/null
ea=$PWD/build/agent/evidence-agent
bench=$PWD/build/tests/bench_records
n=${EA_BENCH_TSA_RECORDS:-5000}
n1=${EA_BENCH_TSA_SINGLE:-200}
batch=${EA_BENCH_TSA_BATCH:-256}
base=$PWD/build
if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; fi
work=$(mktemp -d "$base/ea-bench-tsa-XXXXXX")
tsa_pid=""
trap '[ -n "$tsa_pid" ] && kill "$tsa_pid" 2>/dev/null; rm -rf "$work"' EXIT
$ea keygen --private "$work/key.pem" --public "$work/key.pub" 2>/dev/null
d=$work/tsa
mkdir -p "$d"
openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
openssl req -new -x509 -key "$d/ca.key" -subj "/CN=Bench TSA Root" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -out "$d/ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$d/tsa.key" 2>/dev/null
openssl req -new -key "$d/tsa.key" -subj "/CN=Bench TSA" -out "$d/tsa.csr" 2>/dev/null
printf 'extendedKeyUsage=critical,timeStamping\n' >"$d/ext"
openssl x509 -req -in "$d/tsa.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/ext" -out "$d/tsa.pem" 2>/dev/null
echo 01 >"$d/serial"
cat >"$d/tsa.cnf" <<CNF
[ tsa ]
default_tsa = t
[ t ]
serial = $d/serial
crypto_device = builtin
signer_cert = $d/tsa.pem
signer_key = $d/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
ess_cert_id_alg = sha256
CNF
echo ok >"$d/mode"
python3 tests/testkit/tsa_server.py "$d" "$d/port" >/dev/null 2>&1 &
tsa_pid=$!
for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$d/port")/tsa"
requests() { [ -f "$d/requests" ] && wc -l <"$d/requests" || echo 0; }

echo "== machine: $(nproc) cores, $(uname -m); store on $base; TSA: openssl ts -reply per request"
rate() { sed -n 's/.* = \([0-9]*\) records\/s/\1/p'; }
plain=$("$bench" "$work/plain" "$work/key.pem" "$n" | rate)
r0=$(requests)
batched=$(EA_BENCH_TSA=$url EA_BENCH_BATCH=$batch "$bench" "$work/batched" "$work/key.pem" "$n" | rate)
r1=$(requests)
single=$(EA_BENCH_TSA=$url EA_BENCH_BATCH=1 "$bench" "$work/single" "$work/key.pem" "$n1" | rate)
r2=$(requests)
$ea verify --store "$work/batched" --pubkey "$work/key.pub" --tsa-ca "$d/ca.pem" >/dev/null
echo "no TSA:                 $plain records/s ($n records)"
echo "one token per $batch:   $batched records/s ($n records, $((r1 - r0)) TSA requests)"
echo "one token per record:   $single records/s ($n1 records, $((r2 - r1)) TSA requests)"
python3 -c '
import sys
p, b, s = map(float, sys.argv[1:4])
print("batched / no TSA: %.2f; batched / per record: %.1fx; per record / no TSA: %.3f"
      % (b / p, b / s, s / p))' "$plain" "$batched" "$single"
echo "(the batched store verified with --tsa-ca: every record's Merkle path leads to its token)"
