#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: external collectors. The exec collector runs programs written
# here (JSON out, failures, timeouts, floods, no JSON); the sample plug-in
# (tests/plugin, built from the public headers alone) is loaded with
# --plugin and from EVIDENCE_PLUGIN_PATH; one built for another ABI version
# is refused. Records verify and are schema-valid.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
: "${EA_PLUGIN:?EA_PLUGIN must name the sample plug-in}"
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
store=$WORK/store

# --- exec
cat >check.sh <<'EOF'
#!/bin/sh
echo "checking $1 with token=ghp_CANARYexecSTDERR0123456789abcdefghijkl" >&2
printf '{"summary": "restore of %s verified", "result": "pass", "subject": {"name": "backup-%s"}, "data": {"restored_rows": 42, "source": "%s"}}\n' "$1" "$1" "$1"
EOF
printf '#!/bin/sh\necho "{\\"ok\\": false}"\nexit 3\n' >failing.sh
printf '#!/bin/sh\nsleep 30\n' >slow.sh
printf '#!/bin/sh\nyes\n' >flood.sh
printf '#!/bin/sh\necho not json\n' >nojson.sh
printf '#!/bin/sh\nhead -c 254 /dev/zero | tr "\\0" x >&2; echo >&2\necho "{}"\n' >stderr255.sh
printf '#!/bin/sh\necho "{}"\nexec >&- 2>&-\nsleep 20\n' >detach.sh
# prints its JSON and exits 0, leaving a background child that holds its stdout
printf '#!/bin/sh\nsleep 30 &\necho $! >"$1"\necho "{\\"ok\\": true}"\n' >background.sh
# starts a child of its own, then runs past its timeout
printf '#!/bin/sh\nsleep 30 &\necho $! >"$1"\nsleep 30\n' >slowtree.sh
chmod +x check.sh failing.sh slow.sh flood.sh nojson.sh stderr255.sh detach.sh background.sh slowtree.sh
# gone PIDFILE: the process whose id is in PIDFILE no longer runs (gone, or a zombie its new
# parent has not reaped yet)
gone() {
    local st
    st=$(ps -o stat= -p "$(cat "$1")" 2>/dev/null) || return 0
    case $st in Z*) return 0 ;; *) return 1 ;; esac
}
check "exec: a check that passes" 0 "$EA" collect --store "$store" --key key.pem --control A.8.13 \
    --set exec.args=db1 exec="$WORK/check.sh"
contains "exec record line" "$ERR" "custom controls=A.8.13 result=pass"
lacks "its stderr is logged redacted" "$ERR" "ghp_CANARYexecSTDERR"
contains "its stderr is logged" "$ERR" "checking db1 with token="
check "exec: dry run" 0 "$EA" collect --dry-run --key key.pem --set exec.controls=A.8.13 \
    --set exec.args=db2 exec="$WORK/check.sh"
payloads "$OUT" >exec.json
assert "exec: data, summary, subject from the JSON" python3 -c '
import json,sys; p=json.loads(open(sys.argv[1]).readline())
d=p["predicate"]
assert d["kind"]=="custom" and d["data"]=={"restored_rows": 42, "source": "db2"} and d["result"]=="pass", d
assert d["summary"]=="restore of db2 verified" and p["subject"][0]["name"]=="exec:backup-db2", p["subject"]' exec.json
check "exec: a non-zero exit with JSON is a fail record" 4 "$EA" collect --dry-run --key key.pem \
    --control A.8.13 --gate exec="$WORK/failing.sh"
check "exec: a timeout" 1 "$EA" collect --dry-run --key key.pem --control A.8.13 \
    --set exec.timeout=1s exec="$WORK/slow.sh"
contains "timeout named" "$ERR" "slow.sh: killed after its timeout"
check "exec: output over the cap" 1 "$EA" collect --dry-run --key key.pem --control A.8.13 \
    --set exec.output_max=1000 exec="$WORK/flood.sh"
contains "cap named" "$ERR" "printed more than 1000 bytes"
check "exec: stderr of a buffer's exact size" 0 "$EA" collect --dry-run --key key.pem --control A.8.13 \
    exec="$WORK/stderr255.sh"
start=$(date +%s)
check "exec: the deadline holds after the program closes its output" 1 "$EA" collect --dry-run \
    --key key.pem --control A.8.13 --set exec.timeout=1s exec="$WORK/detach.sh"
[ $(( $(date +%s) - start )) -lt 10 ] && pass || fail "exec waited past its timeout"
check "exec: a background child holding stdout does not make a success a timeout" 0 "$EA" collect \
    --dry-run --key key.pem --control A.8.13 --set exec.timeout=20s --set exec.args=bg.pid \
    exec="$WORK/background.sh"
payloads "$OUT" >bg.json
assert "exec: its evidence is kept" python3 -c '
import json,sys; d=json.loads(open(sys.argv[1]).readline())["predicate"]
assert d["data"]=={"ok": True}, d' bg.json
assert "exec: the background child does not outlive the collection" gone bg.pid
check "exec: a timeout kills the whole process group" 1 "$EA" collect --dry-run --key key.pem \
    --control A.8.13 --set exec.timeout=1s --set exec.args=tree.pid exec="$WORK/slowtree.sh"
assert "exec: the grandchild does not outlive the timeout" gone tree.pid
check "exec: no JSON" 1 "$EA" collect --dry-run --key key.pem --control A.8.13 exec="$WORK/nojson.sh"
contains "no JSON named" "$ERR" "nojson.sh: printed no JSON object"
contains "no JSON: an error record instead" "$ERR" "custom controls=A.8.13,A.8.16 result=error"
check "exec: a folder is refused before it runs" 2 "$EA" collect --dry-run --key key.pem \
    --control A.8.13 exec="$WORK"
contains "a folder: named" "$ERR" "not a program file"
check "exec: no control" 2 "$EA" collect --dry-run --key key.pem exec="$WORK/check.sh"
contains "no control says how" "$ERR" "give --control ID"
check "exec: not a program" 2 "$EA" collect --dry-run --key key.pem --control A.8.13 exec=/nonexistent/x
check "exec: no shell" 0 "$EA" collect --dry-run --key key.pem --control A.8.13 \
    --set 'exec.args=$(touch pwned); echo' exec="$WORK/check.sh"
[ ! -e pwned ] && pass || fail "an argument went through a shell"

# --- plug-ins
check "plug-in: loaded with --plugin" 0 "$EA" collect --store "$store" --key key.pem \
    --plugin "$EA_PLUGIN" sample=auditor
contains "plug-in record" "$ERR" "custom controls=A.5.37 result=pass"
contains "plug-in logs through the host" "$ERR" "sample: saying hello to auditor"
check "plug-in: its option table is honoured" 0 "$EA" collect --dry-run --key key.pem \
    --plugin "$EA_PLUGIN" --set sample.greeting=hi sample=auditor
assert "plug-in option reached it" grep -q '"word":"hi"' <(payloads "$OUT")
check "plug-in: collect --help lists a --plugin's options" 0 "$EA" collect --plugin "$EA_PLUGIN" --help
contains "plug-in in --help" "$OUT" "greeting=text"
check "plug-in: a mistyped option is refused" 2 "$EA" collect --dry-run --key key.pem \
    --plugin "$EA_PLUGIN" --set sample.greting=hi sample=auditor
contains "plug-in typo named" "$ERR" "sample has no option 'greting' (did you mean 'greeting'?"
check "exec: a mistyped option is refused" 2 "$EA" collect --dry-run --key key.pem \
    --set exec.timout=1s exec="$WORK/check.sh"
contains "exec typo named" "$ERR" "'timout' (did you mean 'timeout'?"
mkdir plugins && cp "$EA_PLUGIN" plugins/sample.so
check "plug-in: found in EVIDENCE_PLUGIN_PATH" 0 env EVIDENCE_PLUGIN_PATH="$WORK/nowhere:$WORK/plugins" \
    "$EA" collect --dry-run --key key.pem sample=path
check "plug-in: another ABI is refused" 2 "$EA" collect --dry-run --key key.pem \
    --plugin "$EA_PLUGIN_WRONG_ABI" sample=x
contains "ABI mismatch explained" "$ERR" "this agent speaks ABI"
check "plug-in: not a plug-in" 2 "$EA" collect --dry-run --key key.pem --plugin "$WORK/check.sh" sample=x
check "unknown collector mentions plug-ins" 2 "$EA" collect --dry-run --key key.pem nosuch
contains "plug-ins explained" "$ERR" "EVIDENCE_PLUGIN_PATH"

check "records verify" 0 "$EA" verify --store "$store" --pubkey key.pub
assert "records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$store"
finish
