#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the daemon with real peers on loopback. s3rver (npm, from
# .tools/) is the S3 store; a second daemon is the HTTP store (its ingest).
# Cases: --check-config errors with file:line:column; collectors (git, exec,
# the sample plug-in, the drop folder) spool and ship to both stores; ingest
# refuses no token, a wrong token, an oversize body, a forged envelope; the
# S3 store stopped, records pile up, then drain; kill -9 while shipping,
# restart, resume; SIGHUP with a good and a bad config; a full spool pauses
# collection; /metrics counters match what was done; every record is in each
# store exactly once and verifies; Object Lock headers reach S3; one owner of
# retries per path (the shipper in the daemon, the HTTP client in a one-shot collect).
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
: "${EA_PLUGIN:?EA_PLUGIN must name the sample plug-in}"
: "${EA_PLUGIN_WRONG_ABI:?EA_PLUGIN_WRONG_ABI must name the wrong-ABI plug-in}"
cd "$WORK" || exit 1
if [ ! -x "$S3RVER" ]; then
    echo "FAIL: s3rver is not installed at $S3RVER (run ci/setup.sh, which installs it with npm)"
    exit 1
fi
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
"$EA" keygen --private forger.pem --public forger.pub 2>/dev/null || exit 1
make_repo repo
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export EA_TOKEN_A=tokenA-0123456789abcdef EA_TOKEN_B=tokenB-0123456789abcdef
S3PORT=$(closed_port)
S3URL="s3://evidence/prod?endpoint=http://127.0.0.1:$S3PORT&region=us-east-1&path_style=1"
mkdir -p s3data inbox

S3PID=""
start_s3() { start_s3rver "$S3PORT"; }
stop_s3() { kill "$S3PID" 2>/dev/null; wait "$S3PID" 2>/dev/null; }

# start_daemon NAME CONFIG: runs the daemon in the background (log NAME.log); sets
# PID_<NAME> and PORT_<NAME> once it listens.
start_daemon() {
    local name=$1 config=$2 port="" skip
    skip=$(cat "$name.log" 2>/dev/null | wc -l)
    "$EA" daemon --config "$config" 2>>"$name.log" &
    local pid=$!
    SERVERS="$SERVERS $pid"
    eval "PID_$name=$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        port=$(tail -n +"$((skip + 1))" "$name.log" | sed -n 's/.*"listening on [^"]*(port \([0-9]*\))".*/\1/p' | tail -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    eval "PORT_$name=$port"
}

# wait_until SECONDS CMD...: polls CMD every 0.2 s.
wait_until() {
    local limit=$(($1 * 5))
    shift
    for _ in $(seq "$limit"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

# metric PORT NAME: the value of one sample ("name{labels}" exactly as exposed), 0 when absent.
metric() {
    curl -s "http://127.0.0.1:$1/metrics" | python3 -c '
import sys
want = sys.argv[1]
for line in sys.stdin:
    if line.startswith("#"): continue
    name, _, value = line.rstrip("\n").rpartition(" ")
    if name == want: print(value); break
else: print(0)' "$2"
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
metric_gt() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$(metric "$1" "$2")" "$3"; }
status_of() { curl -s -o "$OUT" -w '%{http_code}' "$@"; }
# status_is URL CODE: URL answers CODE now (for wait_until, which must fetch it on every try)
status_is() { [ "$(status_of "$1")" = "$2" ]; }

# ---------- configuration checks
cat >good.yaml <<EOF
agent:
  id: payments-sidecar
  spool: ./spool-a
  listen: 127.0.0.1:0
  ingest_token_env: EA_TOKEN_A
  ingest_max: 64KiB
  trusted_keys: [key.pub]
  plugins: [$EA_PLUGIN]
signing:
  key: key.pem
stores:
  - url: $S3URL
  - url: http://127.0.0.1:PORT_B?token_env=EA_TOKEN_B
collectors:
  - name: git
    arg: repo
    interval: 2s
    jitter: 0s
    controls: [A.8.32]
  - name: exec
    arg: check.sh
    interval: 1h
    controls: [A.8.13]
    options: {args: [db1], timeout: 10s}
  - name: sample
    arg: demo
    interval: 1h
  - name: watch
    arg: ./inbox
    interval: 1s
    controls: [A.8.8]
EOF
printf '#!/bin/sh\nprintf "{\\"summary\\": \\"restore of %%s verified\\", \\"result\\": \\"pass\\"}\\n" "$1"\n' >check.sh
chmod +x check.sh
check "check-config: a good file (offline)" 0 "$EA" daemon --config good.yaml --check-config --offline
contains "check-config: a summary" "$OUT" "ok: agent payments-sidecar, 4 collectors, 2 stores (not contacted: --offline)"
# issue 15 item 2: the stores are contacted (read-only); nothing answers on their ports yet
check "check-config: stores that do not answer" 1 "$EA" daemon --config good.yaml --check-config
contains "check-config: the S3 store named with its line" "$ERR" "good.yaml:$(grep -n '  - url: s3://' good.yaml | cut -d: -f1): stores.0 (s3://evidence/prod)"
contains "check-config: the cause" "$ERR" "Couldn't connect to server"
contains "check-config: the peer agent named" "$ERR" "stores.1 (http://127.0.0.1:PORT_B)"
contains "check-config: how to skip the network" "$ERR" "--offline"
sed 's|arg: check.sh|arg: nosuch.sh|' good.yaml >noprog.yaml
check "check-config: a collector's init runs" 2 "$EA" daemon --config noprog.yaml --check-config --offline
contains "check-config: init failure named with its line" "$ERR" "noprog.yaml:$(grep -n '  - name: exec' noprog.yaml | cut -d: -f1): collectors.1 (exec): exec:"
contains "check-config: init failure says why" "$ERR" "nosuch.sh: cannot run it"

bad() { # bad NAME FROM TO EXPECTED: good.yaml with one edit must be refused naming EXPECTED
    sed "s|$2|$3|" good.yaml >bad.yaml
    check "check-config refuses $1" 2 "$EA" daemon --config bad.yaml --check-config
    contains "$1: named with line and column" "$ERR" "$4"
}
bad "a bad duration" "interval: 2s" "interval: 5x" "bad.yaml:17:5: collectors.0.interval: '5x' is not a duration"
bad "an unknown key" "jitter: 0s" "jiter: 0s" "bad.yaml:18:5: collectors.0.jiter: unknown key"
bad "an unknown control" "A.8.13" "A.99.1" "bad.yaml:23:5: collectors.1.controls:"
bad "an unknown collector" "name: git" "name: gti" "bad.yaml:15:5: collectors.0.name:"
bad "a mistyped collector option" "timeout: 10s" "timout: 10s" \
    "collectors.1.options.timout: exec has no option 'timout' (did you mean 'timeout'?"
bad "a collector option of the wrong type" "timeout: 10s" "timeout: soon" \
    "collectors.1.options.timeout: exec option timeout: must be a duration"
bad "a bad size" "ingest_max: 64KiB" "ingest_max: lots" "bad.yaml:6:3: agent.ingest_max: 'lots' is not a size"
bad "a plug-in of another ABI" "$EA_PLUGIN" "$EA_PLUGIN_WRONG_ABI" "agent.plugins:"
contains "the ABI is named" "$ERR" "ABI"
bad "a YAML syntax error" "  - name: sample" "  - name: [sample" "bad.yaml:"
# every problem of the file is named, not only the first (a watch folder's options are scan's)
sed -e 's|jitter: 0s|jiter: 0s|' -e 's|timeout: 10s|timeout: 0s|' -e 's|interval: 1s|interval: 1s\n    options: {fial_on: critical}|' \
    good.yaml >many.yaml
check "check-config: three problems" 2 "$EA" daemon --config many.yaml --check-config --offline
contains "three problems: the unknown key" "$ERR" "many.yaml:18:5: collectors.0.jiter: unknown key"
contains "three problems: the option of exec" "$ERR" "collectors.1.options.timeout: exec option timeout:"
contains "three problems: the option of watch" "$ERR" "collectors.3.options.fial_on: scan has no option 'fial_on'"
contains "three problems: counted" "$ERR" "many.yaml: 3 problems (named above)"
# a store that cannot open (its token variable unset) is named with its line, as stores.N; the
# next problem is named too
sed -e 's|token_env=EA_TOKEN_B|token_env=EA_NO_SUCH_TOKEN|' -e 's|arg: check.sh|arg: nosuch.sh|' good.yaml >notoken.yaml
check "check-config: a store that cannot open" 2 "$EA" daemon --config notoken.yaml --check-config --offline
contains "a store that cannot open: line, stores.N" "$ERR" "notoken.yaml:$(grep -n 'EA_NO_SUCH_TOKEN' notoken.yaml | cut -d: -f1): stores.1 (http://127.0.0.1:PORT_B)"
contains "a store that cannot open: the next problem too" "$ERR" "nosuch.sh: cannot run it"
# a private key among the trusted keys: named with the file and line
sed 's|trusted_keys: \[key.pub\]|trusted_keys: [key.pem]|' good.yaml >privtrust.yaml
check "check-config: a private key as a trusted key" 2 "$EA" daemon --config privtrust.yaml --check-config --offline
contains "a private trusted key: file and line" "$ERR" "privtrust.yaml:$(grep -n 'trusted_keys' privtrust.yaml | cut -d: -f1): agent.trusted_keys: ./key.pem: this is a private key"
check "check-config: no such file" 2 "$EA" daemon --config nosuch.yaml --check-config
contains "the file is named" "$ERR" "nosuch.yaml"
printf '{"agent": {"spool": "s"}, "signing": {"key": "key.pem"}, "stores": ["st"]}\n' >mini.json
check "check-config: JSON is accepted, paths relative to the file" 0 "$EA" daemon --config mini.json --check-config
contains "relative spool" "$OUT" "spool ./s"
check "daemon without --config" 2 "$EA" daemon
check "daemon --help" 0 "$EA" daemon --help
contains "help names the signals" "$OUT" "SIGHUP"

# ---------- B: an ingest-only agent, the HTTP store of A
cat >b.yaml <<EOF
agent: {id: central, spool: spool-b, listen: "127.0.0.1:0", ingest_token_env: EA_TOKEN_B, trusted_keys: [key.pub],
        checkpoint_interval: 1s}
signing: {key: key.pem}
stores: [store-b]
EOF
start_daemon B b.yaml
[ -n "$PORT_B" ] && pass || fail "daemon B did not start: $(tail -3 B.log)"
sed -i "s|PORT_B|$PORT_B|" good.yaml

# slow clients: 80 from one address and 160 spread over ten (16 each: together more than the
# 128 slots), each sending a header byte a second
# and never finishing; /healthz, /readyz and ingest must still answer (bounded by curl's
# --max-time, not timed). One more trickles on, read at the end: the request deadline cuts it.
SLOW=$EA_SOURCE_DIR/tests/testkit/slow_clients.py
python3 "$SLOW" "$PORT_B" 1 127.0.0.12 60 deadline.json &
SERVERS="$SERVERS $!"
python3 "$SLOW" "$PORT_B" 80 127.0.0.2 20 flood1.json &
FLOOD1=$!
python3 "$SLOW" "$PORT_B" 160 "$(seq -s, -f '127.0.1.%g' 1 10)" 20 flood2.json &
FLOOD2=$!
SERVERS="$SERVERS $FLOOD1 $FLOOD2"
wait_until 20 test -e flood1.json.ready -a -e flood2.json.ready || fail "the slow clients did not start"
[ "$(curl -s --max-time 5 -o "$OUT" -w '%{http_code}' "http://127.0.0.1:$PORT_B/healthz")" = 200 ] &&
    pass || fail "/healthz did not answer under a slow-client flood"
[ "$(curl -s --max-time 5 -o "$OUT" -w '%{http_code}' "http://127.0.0.1:$PORT_B/readyz")" = 200 ] &&
    pass || fail "/readyz did not answer under a slow-client flood"
[ "$(curl -s --max-time 5 -o "$OUT" -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$PORT_B/v1/ingest")" = 401 ] &&
    pass || fail "ingest did not answer under a slow-client flood"
kill "$FLOOD1" "$FLOOD2" 2>/dev/null
wait "$FLOOD1" "$FLOOD2" 2>/dev/null

# ---------- A: the sidecar, shipping to S3 and to B
start_s3
# A's S3 store makes /readyz 503 after failing for 2s (the default, 15m, is tested with R below);
# its git records every run, though the commit stays the same (U below tests the default)
python3 - good.yaml >a.yaml <<'PY'
import sys
for line in open(sys.argv[1]):
    sys.stdout.write(line)
    if line.startswith("  - url: s3://"): sys.stdout.write("    unready_after: 2s\n")
    if line == "  - name: git\n": sys.stdout.write("    record_unchanged: true\n")
PY
check "check-config: every store answers" 0 "$EA" daemon --config a.yaml --check-config
contains "check-config: said so" "$OUT" "2 stores (each answered)"
sed 's|s3://evidence/prod|s3://no-such-bucket/prod|' a.yaml >nobucket.yaml
check "check-config: a missing bucket" 1 "$EA" daemon --config nobucket.yaml --check-config
contains "check-config: the missing bucket named" "$ERR" "stores.0 (s3://no-such-bucket/prod): s3://no-such-bucket: no such bucket"
start_daemon A a.yaml
[ -n "$PORT_A" ] && pass || fail "daemon A did not start: $(tail -3 A.log)"
A="http://127.0.0.1:$PORT_A"
wait_until 20 metric_gt "$PORT_A" 'evidence_agent_records_shipped_total{store="s3://evidence/prod"}' 2 ||
    fail "nothing shipped to S3: $(tail -5 A.log)"
wait_until 20 metric_is "$PORT_A" 'evidence_agent_records_collected_total{collector="exec"}' 1 ||
    fail "exec did not run once"
wait_until 20 metric_is "$PORT_A" 'evidence_agent_records_collected_total{collector="sample"}' 1 ||
    fail "the plug-in did not run in the daemon"
[ "$(status_of "$A/healthz")" = 200 ] && pass || fail "/healthz"
wait_until 10 status_is "$A/readyz" 200 || fail "/readyz is not 200: $(cat "$OUT")"

# ingest: a dry run prints each record, then its stream's signed head
"$EA" collect --dry-run --key key.pem --control A.5.1 git=repo >good.out 2>/dev/null
head -1 good.out >good.env && tail -1 good.out >head.json
"$EA" collect --dry-run --key forger.pem --control A.5.1 git=repo >forged.out 2>/dev/null
head -1 forged.out >forged.env && tail -1 forged.out >forged-head.json
python3 - good.env >unsigned-head.json <<'PY'
import base64, hashlib, json, sys
payload = base64.b64decode(json.loads(open(sys.argv[1]).read())["payload"])
p = json.loads(payload)["predicate"]["agent"]
print(json.dumps({"stream": p["stream"], "sequence": p["sequence"],
                  "last_id": hashlib.sha256(payload).hexdigest()}))
PY
head -c 100000 /dev/zero | tr '\0' x >big.txt
[ "$(status_of -X POST --data-binary @good.env "$A/v1/ingest")" = 401 ] && pass || fail "no token: not 401"
[ "$(status_of -X POST -H "Authorization: Bearer wrong-0123456789abcdef" --data-binary @good.env "$A/v1/ingest")" = 401 ] &&
    pass || fail "a wrong token: not 401"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @big.txt "$A/v1/ingest")" = 413 ] &&
    pass || fail "an oversize body: not 413"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @forged.env "$A/v1/ingest")" = 400 ] &&
    pass || fail "a forged envelope: not 400"
contains "forged: says why" "$OUT" "signature"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" -d '[1,2]' "$A/v1/ingest")" = 400 ] &&
    pass || fail "not an envelope: not 400"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @good.env "$A/v1/ingest")" = 202 ] &&
    pass || fail "a good envelope: not 202"
contains "accepted one" "$OUT" '"accepted":1'
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @head.json "$A/v1/ingest")" = 202 ] &&
    pass || fail "its stream head: not 202"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" -d '{"stream":"s","sequence":1,"last_id":"x\"}"}' "$A/v1/ingest")" = 400 ] &&
    pass || fail "a stream head whose last_id is not a record ID: not 400"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @unsigned-head.json "$A/v1/ingest")" = 400 ] &&
    pass || fail "an unsigned stream head (the token alone moves no head): not 400"
contains "unsigned head: says why" "$OUT" "unsigned stream head"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @forged-head.json "$A/v1/ingest")" = 400 ] &&
    pass || fail "a stream head signed by an untrusted key: not 400"
contains "forged head: says why" "$OUT" "signature"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @"$EA_SOURCE_DIR/tests/collectors/scan/zap.json" \
    "$A/v1/ingest?collector=scan&controls=A.8.8,A.8.29&name=zap-nightly.json")" = 202 ] && pass || fail "a raw report: not 202"
# a misspelt or unknown query parameter is refused, named, with the nearest known one
ZAP=$EA_SOURCE_DIR/tests/collectors/scan/zap.json
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @"$ZAP" \
    "$A/v1/ingest?collector=scan&fail-on=medium")" = 400 ] && pass || fail "ingest ?fail-on=: not 400"
contains "ingest ?fail-on=: named, nearest" "$OUT" "query parameter 'fail-on': scan has no option 'fail-on' (did you mean 'fail_on'?"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @"$ZAP" \
    "$A/v1/ingest?collector=scan&bogus=1")" = 400 ] && pass || fail "ingest ?bogus=1: not 400"
contains "ingest ?bogus=1: named" "$OUT" "'bogus'"
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @"$ZAP" \
    "$A/v1/ingest?colector=scan")" = 400 ] && pass || fail "ingest ?colector=: not 400"
contains "ingest ?colector=: named, nearest" "$OUT" "unknown query parameter 'colector' (did you mean 'collector'?"
[ "$(status_of "$A/v1/ingest")" = 405 ] && pass || fail "GET ingest: not 405"
lacks "no token in A's log" A.log "$EA_TOKEN_A"
lacks "no token in B's log" B.log "$EA_TOKEN_B"

# the drop folder
cp "$EA_SOURCE_DIR/tests/collectors/scan/trivy.json" inbox/trivy.json
"$EA" collect --dry-run --key key.pem --control A.8.9 git=repo >.envelopes.jsonl 2>/dev/null
mv .envelopes.jsonl inbox/envelopes.jsonl
cat forged.out >inbox/forged.jsonl
echo "not a report" >inbox/junk.txt
ln -s "$WORK/key.pem" inbox/link.json
wait_until 20 test -e inbox/done/trivy.json -a -e inbox/done/envelopes.jsonl -a -e inbox/failed/junk.txt \
    -a -e inbox/failed/forged.jsonl \
    -a -L inbox/failed/link.json || fail "the drop folder did not sort its files: $(ls -R inbox)"
assert "failed/ has the reason" test -s inbox/failed/junk.txt.reason
contains "the reason names the file, not how it was read" inbox/failed/junk.txt.reason "junk.txt"
lacks "the reason names no descriptor" inbox/failed/junk.txt.reason "/dev/fd/"
contains "a symbolic link is refused, not followed" inbox/failed/link.json.reason "symbolic link"
lacks "no key text in the drop folder" inbox/failed/link.json.reason "PRIVATE"
assert "nothing left in the inbox" test -z "$(find inbox -maxdepth 1 -type f)"
contains "a forged file is refused" inbox/failed/forged.jsonl.reason "signature"
assert "watch counters" metric_is "$PORT_A" 'evidence_agent_watch_files_total{collector="watch",outcome="failed"}' 3

# the S3 store stopped for a while: records pile up, /readyz says so, then everything drains
stop_s3
wait_until 20 metric_gt "$PORT_A" 'evidence_agent_ship_failures_total{store="s3://evidence/prod"}' 0 ||
    fail "no shipping failure while S3 is down"
wait_until 10 metric_gt "$PORT_A" 'evidence_agent_spool_records' 1 || fail "nothing piled up in the spool"
wait_until 20 status_is "$A/readyz" 503 || fail "/readyz with S3 down past unready_after: not 503"
contains "readyz names the store" "$OUT" "s3://evidence/prod: failing for"
contains "readyz names the limit" "$OUT" "unready after 2s"
[ "$(status_of "$A/healthz")" = 200 ] && pass || fail "/healthz with S3 down: not 200"
assert "B still gets records while S3 is down" metric_gt "$PORT_A" 'evidence_agent_store_up{store="http://127.0.0.1:'"$PORT_B"'"}' 0
start_s3
wait_until 60 metric_is "$PORT_A" 'evidence_agent_spool_records' 0 || fail "the spool did not drain: $(tail -3 A.log)"
wait_until 10 status_is "$A/readyz" 200 || fail "/readyz did not recover"

# kill -9 in the middle of shipping: S3 is frozen (SIGSTOP) so a PUT hangs in flight, the
# daemon is killed, S3 thaws, the daemon restarts and resumes its spool
kill -STOP "$S3PID"
before=$(metric "$PORT_A" 'evidence_agent_records_collected_total{collector="git"}')
wait_until 20 metric_gt "$PORT_A" 'evidence_agent_records_collected_total{collector="git"}' "$before" ||
    fail "git did not run while S3 was frozen"
sleep 1
kill -9 "$PID_A"
wait "$PID_A" 2>/dev/null
killed_at=$(wc -l <A.log) # records logged after the last committed run were never spooled
kill -CONT "$S3PID"
left=$(find spool-a/pending -name '*.batch' | wc -l)
[ "$left" -gt 0 ] && pass || fail "kill -9 while shipping left nothing in the spool to resume"
start_daemon A a.yaml
A="http://127.0.0.1:$PORT_A"
contains "the spool is resumed at start" A.log "($left batch"
wait_until 60 metric_is "$PORT_A" 'evidence_agent_spool_records' 0 || fail "the resumed spool did not drain"

# SIGHUP: a good config is applied, a bad one refused and the old one kept
sed 's/interval: 1h/interval: 2h/' a.yaml >a2.yaml && cp a2.yaml a.yaml
kill -HUP "$PID_A"
wait_until 20 grep -q '"configuration reloaded' A.log || fail "a good config was not reloaded"
echo "agent: [" >a.yaml
kill -HUP "$PID_A"
wait_until 20 grep -q '"reload refused' A.log || fail "a bad config was not refused"
contains "the refusal names the file" A.log "a.yaml:"
[ "$(status_of "$A/healthz")" = 200 ] && pass || fail "A died on a bad reload (or its port moved)"
collected=$(metric "$PORT_A" 'evidence_agent_records_collected_total{collector="git"}')
wait_until 10 metric_gt "$PORT_A" 'evidence_agent_records_collected_total{collector="git"}' "$collected" ||
    fail "the old config stopped collecting"
cp a2.yaml a.yaml

# /metrics against what was done (this process: exec ran once after the restart, ingest none)
curl -s "$A/metrics" >metrics.txt
assert "metrics: valid exposition" python3 -c '
import re,sys
for l in open(sys.argv[1]):
    l=l.rstrip("\n")
    assert l.startswith("# HELP ") or l.startswith("# TYPE ") or re.match(r"^evidence_agent_[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$", l), l' metrics.txt
contains "metrics: build info" metrics.txt 'evidence_agent_build_info{version="'
contains "metrics: last success per collector" metrics.txt 'evidence_agent_collector_last_success_timestamp_seconds{collector="git"}'
contains "metrics: last success per store" metrics.txt 'evidence_agent_store_last_success_timestamp_seconds{store="s3://evidence/prod"}'
# exec ran once in this process (maybe late under a slow build), printing what it printed before
# the restart: unchanged, so not recorded again
wait_until 10 metric_is "$PORT_A" 'evidence_agent_collector_unchanged_total{collector="exec"}' 1 &&
    pass || fail "metrics: exec once, unchanged since its record before the restart"
assert "metrics: exec's unchanged output made no record" \
    metric_is "$PORT_A" 'evidence_agent_records_collected_total{collector="exec"}' 0

# SIGTERM: drain and exit 0
kill -TERM "$PID_A"
rc=0
wait "$PID_A" || rc=$?
[ "$rc" = 0 ] && pass || fail "SIGTERM: exit $rc"
contains "SIGTERM: drained" A.log '"stopped;'
wait_until 20 metric_is "$PORT_B" 'evidence_agent_spool_records' 0 || fail "B did not drain"

# every record logged by A is in S3 and in B's store exactly once, and verifies
python3 - A.log "$killed_at" good.env inbox/done/envelopes.jsonl >expected.ids <<'PY'
import base64, hashlib, json, re, sys
ids, pending = set(), set()
for n, line in enumerate(open(sys.argv[1]), 1):
    m = re.search(r'"msg":"record ([0-9a-f]{12}) ', line)
    if m: pending.add(m.group(1))
    if re.search(r'"msg":"(run done|[^"]*spooled)', line): ids |= pending; pending = set()
    if n == int(sys.argv[2]): pending = set()  # the run kill -9 cut short committed nothing
ids |= pending
for f in sys.argv[3:]:
    for l in open(f):
        if 'application/vnd.in-toto+json' in l: ids.add(hashlib.sha256(base64.b64decode(json.loads(l)["payload"])).hexdigest()[:12])
print("\n".join(sorted(ids)))
PY
for store in "$S3URL" store-b; do
    check "verify $store" 0 "$EA" verify --store "$store" --pubkey key.pub
    check "query $store" 0 "$EA" query --store "$store" --format ndjson
    python3 -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
ids=[r["id"][:12] for r in rows]
assert len(ids)==len(set(ids)), "a record twice"
want=set(open(sys.argv[2]).read().split())
assert want <= set(ids), "missing: %s" % sorted(want-set(ids))[:5]
print(len(ids))' "$OUT" expected.ids >count.txt 2>&1 && pass || fail "exactly once in $store: $(cat count.txt)"
done

# issue 15 item 10: a report from the drop folder or ingest is named as itself, paths without ././
check "query the scan records" 0 "$EA" query --store store-b --kind scan_result --format ndjson
assert "scan records name their reports, not a descriptor or a spool file" python3 -c '
import json,sys
paths=sorted(json.loads(l)["statement"]["predicate"]["data"]["report"]["path"] for l in open(sys.argv[1]))
assert paths==["trivy.json", "zap-nightly.json"], paths' "$OUT"
lacks "no ././ in the log" A.log "././"
lacks "no descriptor in the log" A.log "/dev/fd/"

# ---------- R: a store failing for less than unready_after (default 15m): still ready, and said
cat >r.yaml <<EOF
agent: {spool: spool-r, listen: "127.0.0.1:0"}
signing: {key: key.pem}
stores: ["s3://evidence/r?endpoint=http://127.0.0.1:$(closed_port)&path_style=1"]
collectors: [{name: git, arg: repo, interval: 1s, jitter: 0s, controls: [A.8.32]}]
EOF
start_daemon R r.yaml
[ -n "$PORT_R" ] && pass || fail "daemon R did not start: $(tail -3 R.log)"
wait_until 20 metric_gt "$PORT_R" 'evidence_agent_ship_failures_total{store="s3://evidence/r"}' 1 ||
    fail "R: no shipping failure"
[ "$(status_of "http://127.0.0.1:$PORT_R/readyz")" = 200 ] && pass ||
    fail "/readyz: a store that failed twice, for less than 15m, made the agent unready"
contains "readyz: the failing store is named though ready" "$OUT" "s3://evidence/r: failing for"
contains "readyz: when it will turn unready" "$OUT" "unready after 15m"
assert "R: the ready metric agrees" metric_is "$PORT_R" evidence_agent_ready 1
kill -TERM "$PID_R"
wait "$PID_R" 2>/dev/null
bad "a bad unready_after" "  - url: http://127.0.0.1:$PORT_B?token_env=EA_TOKEN_B" \
    "  - {url: 'http://127.0.0.1:$PORT_B?token_env=EA_TOKEN_B', unready_after: soon}" \
    "stores.1.unready_after: 'soon' is not a duration"

# (before B stops: the trickling client started against B must have been cut by B's deadline)
wait_until 60 test -s deadline.json || fail "the trickling client did not finish"
assert "a request trickling a byte a second is cut at the request deadline" python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); assert r["opened"]==1 and r["cut"]==1, r' deadline.json

# B checkpoints its store every second (agent.checkpoint_interval) and once more when it stops
kill -TERM "$PID_B"
rc=0
wait "$PID_B" || rc=$?
[ "$rc" = 0 ] && pass || fail "B SIGTERM: exit $rc"
assert "B wrote checkpoints on schedule and at shutdown" test "$(grep -c 'checkpoints/central/' B.log)" -ge 2
check "verify store-b with its checkpoint chain" 0 "$EA" verify --store store-b --pubkey key.pub
lacks "B's chain verified" "$OUT" " 0 checkpoints"

# ---------- U: the only store never answers. config still records (drift from local state, or
# unknown with the reason); facts that did not change are not recorded again (a heartbeat in the
# metrics) unless record_unchanged: true
mkdir -p conf && printf 'replicas: 2\nimage: app:1\n' >conf/app.yaml
cat >u.yaml <<EOF
agent: {spool: spool-u, listen: "127.0.0.1:0"}
signing: {key: key.pem}
stores: ["s3://evidence/u?endpoint=http://127.0.0.1:$(closed_port)&path_style=1"]
collectors:
  - {name: config, arg: conf/app.yaml, interval: 1s, jitter: 0s}
  - {name: git, arg: repo, interval: 1s, jitter: 0s, controls: [A.8.32]}
  - {name: git, id: git-every, arg: repo, interval: 1s, jitter: 0s, controls: [A.8.32], record_unchanged: true}
EOF
check "check-config: record_unchanged" 0 "$EA" daemon --config u.yaml --check-config --offline
start_daemon U u.yaml
[ -n "$PORT_U" ] && pass || fail "daemon U did not start: $(tail -3 U.log)"
wait_until 20 metric_gt "$PORT_U" 'evidence_agent_collector_unchanged_total{collector="git"}' 1 ||
    fail "git at the same commit: no unchanged heartbeat: $(grep git U.log | tail -3)"
assert "git at the same commit is recorded once" \
    metric_is "$PORT_U" 'evidence_agent_records_collected_total{collector="git"}' 1
assert "unchanged: a heartbeat timestamp" \
    metric_gt "$PORT_U" 'evidence_agent_collector_last_unchanged_timestamp_seconds{collector="git"}' 0
wait_until 20 metric_gt "$PORT_U" 'evidence_agent_records_collected_total{collector="git-every"}' 1 ||
    fail "record_unchanged: true did not record the same commit again"
assert "record_unchanged: no heartbeat" \
    metric_is "$PORT_U" 'evidence_agent_collector_unchanged_total{collector="git-every"}' 0
contains "unchanged runs say so" U.log "unchanged (not recorded again"
assert "config recorded with the store down" \
    metric_is "$PORT_U" 'evidence_agent_records_collected_total{collector="config"}' 1
assert "config: the unchanged file is not recorded again" \
    metric_gt "$PORT_U" 'evidence_agent_collector_unchanged_total{collector="config"}' 0
printf 'replicas: 3\nimage: app:1\n' >conf/.app.yaml && mv conf/.app.yaml conf/app.yaml # never half-written
wait_until 20 metric_is "$PORT_U" 'evidence_agent_records_collected_total{collector="config"}' 2 ||
    fail "config: a changed file was not recorded with the store down"
kill -TERM "$PID_U"
wait "$PID_U" 2>/dev/null
python3 - spool-u/pending >config-check.txt 2>&1 <<'PY'
import base64, glob, json, sys
recs = []
for f in sorted(glob.glob(sys.argv[1] + "/*.batch")):
    for line in open(f):
        tag, _, rest = line.partition(" ")
        if tag != "E": continue
        st = json.loads(base64.b64decode(json.loads(rest)["payload"]))
        if st["predicate"]["kind"] == "config_state": recs.append(st["predicate"]["data"])
assert len(recs) == 2, [r["drift"] for r in recs]
first, second = recs
assert first["drift"]["changed"] is None and "could not be read" in first["drift"]["unknown"], first["drift"]
assert second["drift"]["changed"] is True and second["drift"]["previous_id"], second["drift"]
assert second["drift"]["paths"]["modified"] == ["replicas"], second["drift"]
PY
[ $? = 0 ] && pass ||
    fail "config: the first record says drift unknown and why, the second drift from local state: $(tail -3 config-check.txt)"

# ---------- a full spool pauses collection and refuses ingest; nothing is dropped
cat >full.yaml <<EOF
agent: {spool: spool-full, spool_max: 1KiB, listen: "127.0.0.1:0", ingest_token_env: EA_TOKEN_A, trusted_keys: [key.pub]}
signing: {key: key.pem}
stores: ["s3://evidence/x?endpoint=http://127.0.0.1:$(closed_port)&path_style=1"]
collectors: [{name: git, arg: repo, interval: 1s, jitter: 0s, record_unchanged: true}]
EOF
sed -i 's/interval: 1s, jitter: 0s, record_unchanged: true}/interval: 1s, jitter: 0s, record_unchanged: true, controls: [A.8.32]}/' full.yaml
start_daemon F full.yaml
wait_until 20 grep -q 'spool full' F.log || fail "a full spool was not logged"
[ "$(status_of "http://127.0.0.1:$PORT_F/readyz")" = 503 ] && pass || fail "/readyz with a full spool: not 503"
contains "readyz says spool full" "$OUT" "spool full"
assert "spool_full metric" metric_is "$PORT_F" evidence_agent_spool_full 1
assert "paused runs counted" metric_gt "$PORT_F" 'evidence_agent_collector_paused_total{collector="git"}' 0
[ "$(status_of -X POST -H "Authorization: Bearer $EA_TOKEN_A" --data-binary @good.env "http://127.0.0.1:$PORT_F/v1/ingest")" = 503 ] &&
    pass || fail "ingest into a full spool: not 503"
batches=$(metric "$PORT_F" evidence_agent_spool_batches)
kill -INT "$PID_F"
rc=0
wait "$PID_F" || rc=$?
[ "$rc" = 0 ] && pass || fail "SIGINT: exit $rc"
contains "SIGINT: drained" F.log '"SIGINT: draining'
[ "$(find spool-full/pending -name '*.batch' | wc -l)" = "$batches" ] && pass || fail "spooled batches were dropped"

# ---------- Object Lock headers reach S3 on records, not on stream heads
cat >routes.json <<'EOF'
{"routes": [{"method": "PUT", "path_prefix": "/locked/", "responses": [{"status": 200}]}]}
EOF
start_replay routes.json
check "collect to S3 with Object Lock" 0 "$EA" collect --key key.pem --control A.8.32 \
    --store "s3://locked/p?endpoint=$REPLAY_URL&path_style=1&object_lock_mode=COMPLIANCE&object_lock_retain=30d" git=repo
assert "records carry the lock, heads do not" python3 -c '
import json,sys,datetime
reqs=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
recs=[r for r in reqs if "/controls/" in r["path"]]
heads=[r for r in reqs if "/streams/" in r["path"]]
assert recs and heads
for r in recs:
    assert r["object_lock"]["x-amz-object-lock-mode"]=="COMPLIANCE" and r["content_md5"], r
    until=datetime.datetime.fromisoformat(r["object_lock"]["x-amz-object-lock-retain-until-date"].replace("Z","+00:00"))
    days=(until-datetime.datetime.now(datetime.timezone.utc)).days
    assert 28 <= days <= 30, days
for r in heads: assert not r["object_lock"], r' "$WORK/replay.log"
check "a bad lock mode" 2 "$EA" collect --key key.pem --control A.8.32 \
    --store "s3://locked/p?endpoint=$REPLAY_URL&object_lock_mode=FOREVER&object_lock_retain=30d" git=repo
contains "names the modes" "$ERR" "GOVERNANCE or COMPLIANCE"

# ---------- one owner of retries per path. The daemon: only the shipper retries a store, after
# the wait the store's Retry-After asks for; each store request is one attempt (nested, the S3
# store made 5 requests and the http store 3 per shipper attempt, waiting inside the store).
cat >routes.json <<'EOF'
{"routes": [{"method": "POST", "path": "/v1/ingest",
             "responses": [{"status": 503, "headers": {"Retry-After": "120"}}]},
            {"method": "PUT", "path_prefix": "/busy/",
             "responses": [{"status": 503, "headers": {"Retry-After": "120"}}]}]}
EOF
skip=$(cat "$WORK/replay.log" 2>/dev/null | wc -l)
start_replay routes.json
cat >q.yaml <<EOF
agent: {spool: spool-q, listen: "127.0.0.1:0"}
signing: {key: key.pem}
stores:
  - url: $REPLAY_URL?token_env=EA_TOKEN_B
  - url: s3://busy/q?endpoint=$REPLAY_URL&path_style=1
collectors: [{name: git, arg: repo, interval: 1h, jitter: 0s, controls: [A.8.32]}]
EOF
start_daemon Q q.yaml
[ -n "$PORT_Q" ] && pass || fail "daemon Q did not start: $(tail -3 Q.log)"
two_waits() { [ "$(grep -c 'attempt 1; retrying in 120000 ms' Q.log)" -ge 2 ]; }
wait_until 60 two_waits ||
    fail "Q: the shipper did not wait the stores' Retry-After: $(grep shipper Q.log | tail -3)"
# what the replay server logged since it started
tail -n +"$((skip + 1))" "$WORK/replay.log" >q-requests.log
assert "Q: the http store got one request per shipper attempt" test \
    "$(grep -c '"method": "POST", "path": "/v1/ingest"' q-requests.log)" = 1
assert "Q: the S3 store got one record PUT per shipper attempt" test \
    "$(grep '"method": "PUT"' q-requests.log | grep -c '/controls/')" = 1
kill -TERM "$PID_Q"
wait "$PID_Q" 2>/dev/null
stop_replay
# A one-shot command has no shipper: its store's HTTP client retries, a bounded number of times.
cat >routes.json <<'EOF'
{"routes": [{"method": "PUT", "path_prefix": "/busy/",
             "responses": [{"status": 503, "headers": {"Retry-After": "0"}}]}]}
EOF
skip=$(wc -l <"$WORK/replay.log")
start_replay routes.json
check "collect to a store that answers 503" 1 "$EA" collect --key key.pem --control A.8.32 \
    --store "s3://busy/c?endpoint=$REPLAY_URL&path_style=1" git=repo
contains "collect: how many attempts" "$ERR" "HTTP 503 after 5 attempts"
assert "collect: the client retried the PUT 4 times, nobody above it" test \
    "$(tail -n +"$((skip + 1))" "$WORK/replay.log" | grep '"method": "PUT"' | grep -c '/controls/')" = 5

for f in A.log B.log F.log Q.log; do lacks "no secret key in $f" "$f" "S3RVER:S3RVER"; done
finish
