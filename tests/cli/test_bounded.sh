#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every read is bounded: /dev/zero, a named pipe nobody writes to, a loop of
# symbolic links and a 2 GB sparse file, given as a record, a key, a daemon
# configuration, an SoA, a config file, a job log and a scan report. Each ends
# with an error that names the file; none hangs (each runs under timeout, so a
# hang fails the check with 124 rather than hanging CTest) or grows without bound
# (ulimit -v caps memory far below what an unbounded read would take).
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
check "a record to work on" 0 "$EA" collect --store store --key key.pem config="$EA_SOURCE_DIR/README.md"

mkfifo fifo
ln -s loop loop
truncate -s 2G sparse
bad="/dev/zero fifo loop sparse"

# ASan reserves terabytes of address space, so under it the cap is left to ASan itself
vcap="ulimit -v 4000000;"
(eval "$vcap" && "$EA" controls A.5.1) >/dev/null 2>&1 || vcap=""

# bounded NAME EXPECTED_EXIT TEXT CMD...: CMD ends in time with EXPECTED_EXIT and says TEXT.
bounded() {
    local name=$1 want=$2 text=$3
    shift 3
    if check "$name" "$want" bash -c "$vcap"' exec timeout 30 "$@"' - "$@"; then
        contains "$name: says why" "$ERR" "$text"
    fi
}
why() { # the message for each kind of bad file
    case $1 in
    /dev/zero) echo "a character device, not a regular file" ;;
    fifo) echo "a named pipe, not a regular file" ;;
    loop) echo "a loop of symbolic links" ;;
    sparse) echo "sparse" ;;
    esac
}

for f in $bad; do
    bounded "verify --pubkey $f" 2 "$(why "$f")" "$EA" verify --store store --pubkey "$f"
    bounded "daemon --config $f --check-config" 2 "$(why "$f")" "$EA" daemon --config "$f" --check-config
    bounded "report --soa $f" 2 "$(why "$f")" "$EA" report --soa "$f" --store store
    bounded "collect --key $f" 2 "$(why "$f")" "$EA" collect --dry-run --key "$f" config="$EA_SOURCE_DIR/README.md"
    bounded "export --pubkey $f" 2 "$(why "$f")" "$EA" export --store store --control A.8.9 \
        --pubkey "$f" --out pack.tar.gz
    [ "$f" = sparse ] || bounded "collect scan=$f" 2 "$f" "$EA" collect --dry-run --key key.pem scan="$f"
done
# a scan report is streamed, not held (reports may be large): 2 GB of zeros is read to its
# first byte, found malformed, and becomes an error record (exit 1), in time
bounded "collect scan=sparse" 1 "sparse: byte 1" "$EA" collect --dry-run --key key.pem scan=sparse
bounded "verify --pubkey sparse: too large to be a key" 2 "sparse: too large to be a key" \
    "$EA" verify --store store --pubkey sparse
bounded "daemon --config sparse: over the limit" 2 "sparse: larger than the limit" \
    "$EA" daemon --config sparse --check-config
bounded "report --soa sparse: over the limit" 2 "sparse: larger than 64 MiB" \
    "$EA" report --soa sparse --store store
for f in /dev/zero fifo; do # refused before anything runs
    bounded "collect config=$f" 2 "$f: a device, pipe or socket, where a configuration file must be a regular file" \
        "$EA" collect --dry-run --key key.pem config="$f"
done
bounded "collect config=loop" 2 "loop" "$EA" collect --dry-run --key key.pem config=loop
# a job log may be a named pipe (a documented stream), but never a device or a link loop
bounded "collect pipeline=/dev/zero" 2 "/dev/zero: a device, pipe or socket, where the job log must be a regular file" \
    "$EA" collect --dry-run --key key.pem pipeline=/dev/zero
bounded "collect pipeline=loop" 2 "loop" "$EA" collect --dry-run --key key.pem pipeline=loop
mkfifo job.fifo
log_bytes() { # the bytes of the job log the record saw
    payloads "$OUT" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["predicate"]["data"]["log"]["bytes"])'
}
(printf '2026-01-02T03:04:05Z build\nerror: one\n' >job.fifo &)
check "collect pipeline=FIFO, its writer waiting: read as a stream" 0 timeout 30 \
    "$EA" collect --dry-run --key key.pem pipeline=job.fifo
assert "the piped log was read whole" test "$(log_bytes)" = 38
( (sleep 1; printf '2026-01-02T03:04:05Z build\nerror: one\n' >job.fifo) &)
check "collect pipeline=FIFO, its writer coming later: waited for" 0 timeout 30 \
    "$EA" collect --dry-run --key key.pem pipeline=job.fifo
assert "the late writer's log was read whole" test "$(log_bytes)" = 38

# The store: a record replaced by each kind of bad file is named, never followed or read whole.
record=$(cd store && find controls -type f -name '*.json' | head -n 1)
for f in $bad; do
    rm -rf bad && cp -r store bad && rm -f "bad/$record"
    case $f in
    /dev/zero) ln -s /dev/zero "bad/$record" ;;
    fifo) mkfifo "bad/$record" ;;
    loop) ln -s "$(basename "$record")" "bad/$record" ;;
    sparse) truncate -s 2G "bad/$record" ;;
    esac
    got=0
    (eval "$vcap" && exec timeout 30 "$EA" verify --store bad --pubkey key.pub) >"$OUT" 2>"$ERR" || got=$?
    # a FAIL line for the file, and verify goes on: exit 3 (issue 14, item 3)
    if [ "$got" -eq 3 ]; then pass; else fail "verify of a record that is $f: exit $got, expected 3"; fi
    cat "$OUT" >>"$ERR" # the name is on stdout (a FAIL line) or stderr (an error)
    contains "verify of a record that is $f: names it" "$ERR" "$record"
done
finish
