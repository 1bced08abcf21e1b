#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the README's manual steps with the real binary, then every bad
# input the record issue lists, each with its documented exit status and a
# message naming the input. Stored records are checked by the independent
# Python validator and by OpenSSL over the PAE bytes.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK"
make_repo repo
STORE=$WORK/evidence-store

# --- help and usage
check "top-level help" 0 "$EA" --help
contains "help lists collect" "$OUT" "collect"
for c in keygen collect query verify controls; do
    check "$c --help" 0 "$EA" "$c" --help
    contains "$c --help has usage" "$OUT" "Usage: evidence-agent $c"
done
check "collect --help" 0 "$EA" collect --help
contains "collect --help lists git" "$OUT" "git="
contains "collect --help names default controls" "$OUT" "default controls: A.8.32 A.8.4"
# issue 15 item 13: the version flags, help that matches behaviour, --json suggests --format json
for v in -V --version; do
    check "$v" 0 "$EA" "$v"
    contains "$v names the version and the ABI" "$OUT" "evidence-agent "
    contains "$v names the collector ABI" "$OUT" "collector ABI"
done
check "query --json" 2 "$EA" query --json
contains "--json suggests --format json" "$ERR" "did you mean '--format json'?"
check "report --json" 2 "$EA" report --json
contains "report --json suggests --format json" "$ERR" "did you mean '--format json'?"
# without --format: the flag that prints JSON, else that there is none; never a look-alike
check "collect --json" 2 "$EA" collect --json
contains "collect --json suggests --output json" "$ERR" "did you mean '--output json'?"
lacks "collect --json does not suggest --set" "$ERR" "'--set'"
for c in export verify checkpoint daemon; do
    check "$c --json" 2 "$EA" "$c" --json
    contains "$c --json: no JSON switch, said" "$ERR" "$c has no JSON output switch"
    lacks "$c --json: no look-alike" "$ERR" "did you mean"
done
check "verify --help" 0 "$EA" verify --help
contains "verify --help: FAIL lines and the summary on stdout" "$OUT" "on standard output"
check "query --help" 0 "$EA" query --help
contains "query --help: verified only with --pubkey" "$OUT" '"verified" with --pubkey'
check "no command" 2 "$EA"
check "unknown command" 2 "$EA" frobnicate
contains "unknown command named" "$ERR" "frobnicate"

# --- keygen
check "keygen" 0 "$EA" keygen --private key.pem --public key.pub
assert "private key is 0600" test "$(stat -c %a key.pem)" = 600
assert "openssl reads the private key" openssl pkey -in key.pem -noout
assert "openssl reads the public key" openssl pkey -pubin -in key.pub -noout
check "keygen refuses to overwrite" 2 "$EA" keygen --private key.pem --public other.pub
contains "overwrite message" "$ERR" "--force"
assert "refused keygen left no public key" test ! -e other.pub
check "keygen --force" 0 "$EA" keygen --private k2.pem --public k2.pub
check "keygen other" 0 "$EA" keygen --private other.pem --public other.pub
check "keygen without args" 2 "$EA" keygen

# --- collect
check "collect git" 0 "$EA" collect --store "$STORE" --key key.pem "git=$WORK/repo"
contains "collect prints one line per record" "$ERR" "git_commit"
contains "collect names controls" "$ERR" "A.8.32"
check "collect with extra and 2013 controls" 0 \
    "$EA" collect --store "$STORE" --key key.pem --control A.8.9 --control A.12.1.2 "git=$WORK/repo"
contains "2013 id mapped" "$ERR" "A.8.9"
(cd repo && check "collect in the current directory" 0 "$EA" collect --store "$STORE" --key ../key.pem git)
check "collect with EVIDENCE_KEY_PEM" 0 env EVIDENCE_KEY_PEM="$(cat key.pem)" \
    "$EA" collect --store "$STORE" "git=$WORK/repo"
check "collect with EVIDENCE_KEY and EVIDENCE_STORE" 0 env EVIDENCE_KEY=key.pem \
    EVIDENCE_STORE="$STORE" "$EA" collect "git=$WORK/repo"
assert "store files are 0600" test -z "$(find "$STORE" -type f ! -perm 600)"
assert "store folders are 0700" test -z "$(find "$STORE" -type d ! -perm 700)"
assert "nothing temporary left" test -z "$(find "$STORE" -name '*.tmp.*')"
assert "one copy per control" test "$(find "$STORE/controls/A.8.4" -type f | wc -l)" -eq 5
find "$STORE" -type f -path '*controls*' -exec python3 -c '
import base64,json,sys
for p in sys.argv[1:]:
    print(base64.b64decode(json.load(open(p))["payload"]).decode())' {} + >payloads.txt
contains "payloads decoded" payloads.txt "git_commit"
lacks "no secret in any payload" payloads.txt "ghp_CANARY"
lacks "no secret on stderr" "$ERR" "ghp_CANARY"
contains "remote kept without credentials" payloads.txt "https://example.com/acme/app.git"

# --- dry run
before=$(find "$STORE" -type f | wc -l)
mkdir dry && cd dry
check "dry run" 0 "$EA" collect --dry-run --key ../key.pem "git=$WORK/repo"
assert "no default store was created by the dry run" test ! -e ./evidence-store
cd "$WORK"
assert "dry run stores nothing" test "$(find "$STORE" -type f | wc -l)" -eq "$before"
assert "dry run prints one JSON envelope per line, then the signed stream head" python3 -c '
import json,sys
lines=open(sys.argv[1]).read().splitlines()
assert len(lines)==2
assert json.loads(lines[0])["payloadType"]=="application/vnd.in-toto+json"
assert json.loads(lines[1])["payloadType"]=="application/vnd.evidence-agent.stream-head+json"' "$OUT"
cp "$OUT" dry.ndjson
assert "dry-run envelope is schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" dry.ndjson

# --- query
check "query: an unknown s3 URL parameter" 2 "$EA" query --store 's3://evidence/p?region=x&bogus=1'
contains "the parameter is named" "$ERR" "unknown s3:// URL parameter 'bogus'"
# a file:// URL with a query is refused: no folder named by what follows '?', no secret shown
check "collect: a file:// URL with a query" 2 "$EA" collect --key key.pem \
    --store "file://$WORK/nostore/FAKEpath?password=FAKEstorePw0123" "git=$WORK/repo"
contains "says a file:// URL takes no query" "$ERR" "takes no query"
assert "nothing created, the query not shown" python3 -c '
import os, sys
assert not os.path.exists(sys.argv[1] + "/nostore")
t = open(sys.argv[2]).read() + open(sys.argv[3]).read()
assert "FAKEstorePw" not in t, t' "$WORK" "$OUT" "$ERR"
check "query table" 0 "$EA" query --store "$STORE" --control A.8.32
contains "table header" "$OUT" "COLLECTED_AT"
contains "table row" "$OUT" "git_commit"
check "query json" 0 "$EA" query --store "$STORE" --control A.8.32 --format json
assert "json is one array of 5 records with statements" python3 -c '
import json,sys
a=json.load(open(sys.argv[1]))
assert len(a)==5, len(a)
for r in a:
    assert len(r["id"])==64 and "A.8.32" in r["controls"]
    assert r["statement"]["predicate"]["kind"]=="git_commit"
assert [r["statement"]["predicate"]["collected_at"] for r in a]==sorted(r["statement"]["predicate"]["collected_at"] for r in a)' "$OUT"
check "query ndjson" 0 "$EA" query --store "$STORE" --format ndjson
assert "ndjson lists each record once" test "$(wc -l <"$OUT")" -eq 5
check "query 2013 id" 0 "$EA" query --store "$STORE" --control A.12.1.2 --format ndjson
assert "2013 query finds the A.8.32 records" test "$(wc -l <"$OUT")" -eq 5
check "query by kind" 0 "$EA" query --store "$STORE" --kind pr_approval --format ndjson
assert "no records of another kind" test ! -s "$OUT"
check "query a past period" 0 "$EA" query --store "$STORE" --since 2001-01-01 --until 2001-12-31 --format ndjson
assert "nothing in 2001" test ! -s "$OUT"
today=$(date -u +%Y-%m-%d)
check "query today" 0 "$EA" query --store "$STORE" --control A.8.9 --since "$today" --until "$today" --format ndjson
assert "one A.8.9 record today" test "$(wc -l <"$OUT")" -eq 1
check "query with pubkey" 0 "$EA" query --store "$STORE" --pubkey key.pub --format json
contains "verified flag" "$OUT" '"verified": true'
check "query bad time" 2 "$EA" query --store "$STORE" --since yesterday
contains "bad time named" "$ERR" "yesterday"
check "query bad format" 2 "$EA" query --store "$STORE" --format xml
check "query missing store" 1 "$EA" query --store "$WORK/none"
contains "missing store says what to do" "$ERR" "collect"

# --- verify, independent checks
check "verify" 0 "$EA" verify --store "$STORE" --pubkey key.pub
contains "verify summary" "$OUT" "OK 16 objects, 5 records, 5 streams, 0 checkpoints"
check "verify one control" 0 "$EA" verify --store "$STORE" --pubkey key.pub --control A.8.9
check "verify with the wrong key" 3 "$EA" verify --store "$STORE" --pubkey other.pub
contains "wrong key reported" "$OUT" "no signature verifies"
check "verify with both keys" 0 "$EA" verify --store "$STORE" --pubkey other.pub --pubkey key.pub
check "verify given the private key" 2 "$EA" verify --store "$STORE" --pubkey key.pem
contains "private key as pubkey named" "$ERR" "key.pem: this is a private key"
contains "private key as pubkey: the hint" "$ERR" "-pubout"
lacks "private key as pubkey: no key text" "$ERR" "PRIVATE KEY-----"
check "verify needs a key" 2 "$EA" verify --store "$STORE"
assert "python validates every stored record" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$STORE"
one=$(find "$STORE/controls/A.8.32" -type f | head -1)
assert "openssl verifies the PAE bytes independently" python3 - "$one" key.pub <<'PY'
import base64, json, subprocess, sys, tempfile, os
env = json.load(open(sys.argv[1]))
payload = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
with tempfile.TemporaryDirectory() as d:
    open(os.path.join(d, "pae"), "wb").write(pae)
    open(os.path.join(d, "sig"), "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
    subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", sys.argv[2], "-rawin",
                    "-in", os.path.join(d, "pae"), "-sigfile", os.path.join(d, "sig")], check=True,
                   stdout=subprocess.DEVNULL)
PY
assert "keyid is the SHA-256 of the DER SPKI" python3 - "$one" key.pub <<'PY'
import hashlib, json, subprocess, sys
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", sys.argv[2], "-outform", "DER"],
                     check=True, capture_output=True).stdout
assert json.load(open(sys.argv[1]))["signatures"][0]["keyid"] == hashlib.sha256(der).hexdigest()
PY
assert "record ID is the SHA-256 of the payload" python3 - "$one" <<'PY'
import base64, hashlib, json, sys, os
p = sys.argv[1]
rid = os.path.basename(p).split("_", 1)[1][:-5]
assert hashlib.sha256(base64.b64decode(json.load(open(p))["payload"])).hexdigest() == rid
PY

# --- tampering: every change to any stored file is caught
tamper_store() { rm -rf t && cp -a "$STORE" t; }
tamper_store
python3 - "$(find t/controls/A.8.4 -type f | head -1)" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1; open(p, "wb").write(b)
PY
check "one flipped byte is caught" 3 "$EA" verify --store t --pubkey key.pub
contains "problem names the file" "$OUT" "controls/A.8.4/"
tamper_store
f=$(find t/controls/A.8.32 -type f | sort | sed -n 2p)
rm "$f"
check "a deleted copy is caught" 3 "$EA" verify --store t --pubkey key.pub
contains "missing copy reported" "$OUT" "its copy there is missing"
tamper_store
for f in $(find t/controls -type f -name "*$(basename "$(find t/controls/A.8.32 -type f | sort | sed -n 2p)" | cut -d_ -f2)"); do rm "$f"; done
check "a deleted record is caught" 3 "$EA" verify --store t --pubkey key.pub
contains "gap reported" "$OUT" "stream"
tamper_store
echo "not json" > "$(find t/controls/A.8.32 -type f | head -1)"
check "a store file that is not JSON" 3 "$EA" verify --store t --pubkey key.pub
contains "not JSON reported" "$OUT" "not a JSON envelope"
check "query reports it too" 3 "$EA" query --store t --control A.8.32
tamper_store
f=$(find t/controls/A.8.32 -type f | head -1)
head -c 100 "$f" > "$f.cut" && mv "$f.cut" "$f"
check "a truncated envelope" 3 "$EA" verify --store t --pubkey key.pub
tamper_store
f=$(find t/controls/A.8.32 -type f | head -1)
"$EA" collect --dry-run --key other.pem "git=$WORK/repo" 2>/dev/null > "$f"
check "an envelope signed by another key" 3 "$EA" verify --store t --pubkey key.pub
tamper_store
rm -f t/streams/*.json
check "a missing stream head" 3 "$EA" verify --store t --pubkey key.pub
contains "missing head reported" "$OUT" "stream head file is missing"

# --- bad input to collect: each names the input, documented exit status, nothing written
before=$(find "$STORE" -type f | wc -l)
check "unknown collector" 2 "$EA" collect --store "$STORE" --key key.pem nosuch
contains "unknown collector named" "$ERR" "'nosuch': unknown collector"
lacks "no look-alike for a far name" "$ERR" "did you mean"
check "a mistyped collector" 2 "$EA" collect --dry-run --key key.pem gti
contains "gti: did you mean git" "$ERR" "'gti': unknown collector (did you mean 'git'?"
check "a mistyped command" 2 "$EA" colect
contains "colect: did you mean collect" "$ERR" "'colect' is not a command (did you mean 'collect'?"
check "--allow-stale and --set approvals.allow_stale" 2 "$EA" collect --dry-run --key key.pem --allow-stale \
    --set approvals.allow_stale=false approvals
contains "both sources named" "$ERR" "--set approvals.allow_stale and --allow-stale both set approvals.allow_stale: give one of them"
check "unknown flag" 2 "$EA" collect --stroe "$STORE" --key key.pem git
contains "did you mean" "$ERR" "did you mean '--store'"
check "unknown control" 2 "$EA" collect --store "$STORE" --key key.pem --control A.8.99 git
contains "unknown control named" "$ERR" "'A.8.99'"
contains "suggestion" "$ERR" "did you mean"
check "path in a control id" 2 "$EA" collect --store "$STORE" --key key.pem --control ../x git
contains "path control named" "$ERR" "'../x'"
check "empty control id" 2 "$EA" collect --store "$STORE" --key key.pem --control "" git
check "no key" 2 env -u EVIDENCE_KEY -u EVIDENCE_KEY_PEM "$EA" collect --store "$STORE" git
contains "no key says how" "$ERR" "keygen"
echo "garbage" > corrupt.pem
check "corrupt key" 2 "$EA" collect --store "$STORE" --key corrupt.pem git
contains "corrupt key named" "$ERR" "corrupt.pem"
check "corrupt EVIDENCE_KEY_PEM" 2 env EVIDENCE_KEY_PEM="-----BEGIN PRIVATE KEY-----
bm90IGEga2V5
-----END PRIVATE KEY-----" "$EA" collect --store "$STORE" git
lacks "key text never echoed" "$ERR" "bm90IGEga2V5"
check "missing key file" 2 "$EA" collect --store "$STORE" --key nosuch.pem git
# a public key where the private one belongs, and a PEM whose line breaks are literal \n
check "collect --key key.pub" 2 "$EA" collect --dry-run --key key.pub "git=$WORK/repo"
contains "--key key.pub: said to be a public key" "$ERR" "key.pub: this is a public key; signing needs the private key"
check "EVIDENCE_KEY_PEM holding a public key" 2 env -u EVIDENCE_KEY EVIDENCE_KEY_PEM="$(cat key.pub)" \
    "$EA" collect --dry-run "git=$WORK/repo"
contains "EVIDENCE_KEY_PEM public: said" "$ERR" "this is a public key"
check "EVIDENCE_KEY_PEM with literal \\n" 2 env -u EVIDENCE_KEY EVIDENCE_KEY_PEM="$(awk '{printf "%s\\n", $0}' key.pem)" \
    "$EA" collect --dry-run "git=$WORK/repo"
contains "literal \\n: the hint" "$ERR" "literal \\n sequences where line breaks belong"
lacks "literal \\n: no key text" "$ERR" "$(sed -n 2p key.pem | cut -c1-20)"
# --- keys: file modes and EVIDENCE_KEY_PEM encodings
cp key.pem open.pem && chmod 0644 open.pem
check "a world-readable private key is refused" 2 "$EA" collect --dry-run --key open.pem "git=$WORK/repo"
contains "world-readable named, with the fix" "$ERR" "chmod 600"
lacks "world-readable: no key text" "$ERR" "PRIVATE KEY-----"
cp key.pem own.pem && chmod 0640 own.pem
check "a private key readable by the agent's own group is quiet" 0 "$EA" collect --dry-run --key own.pem \
    "git=$WORK/repo"
lacks "own group: no warning" "$ERR" "readable by"
# another group: any group but ours that we may give the file to (root may give it to any)
other_gid=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -n1)
[ -n "$other_gid" ] || { [ "$(id -u)" = 0 ] && other_gid=$(( $(id -g) + 1 )); }
if [ -n "$other_gid" ] && cp key.pem group.pem && chmod 0640 group.pem && chgrp "$other_gid" group.pem; then
    check "a private key readable by another group warns" 0 "$EA" collect --dry-run --key group.pem \
        "git=$WORK/repo"
    contains "group-readable warning" "$ERR" "readable by group"
else
    echo "note: no second group to test a group-readable key with" >&2
fi
check "base64-encoded EVIDENCE_KEY_PEM is decoded" 0 env -u EVIDENCE_KEY \
    EVIDENCE_KEY_PEM="$(base64 <key.pem)" "$EA" collect --dry-run "git=$WORK/repo"
check "base64 EVIDENCE_KEY_PEM signs like the file" 0 env -u EVIDENCE_KEY \
    EVIDENCE_KEY_PEM="$(base64 -w0 <key.pem)" "$EA" collect --store b64store "git=$WORK/repo"
check "records signed with it verify" 0 "$EA" verify --store b64store --pubkey key.pub
check "EVIDENCE_KEY_PEM that is neither PEM nor base64 PEM" 2 env -u EVIDENCE_KEY \
    EVIDENCE_KEY_PEM="bm90IGEga2V5IGF0IGFsbA==" "$EA" collect --dry-run "git=$WORK/repo"
contains "not-PEM: the hint names the format" "$ERR" "from its BEGIN PRIVATE KEY line"
contains "not-PEM: base64 mentioned" "$ERR" "base64"
lacks "not-PEM: value never echoed" "$ERR" "bm90IGEga2V5"
check "public key cannot sign" 2 "$EA" collect --store "$STORE" --key key.pub git
check "not a repository" 2 "$EA" collect --store "$STORE" --key key.pem "git=$WORK"
contains "path named" "$ERR" "$WORK"

# a depth-1 clone (CI's default checkout) has no parent commit: the record says so
git clone -q --depth 1 "file://$WORK/repo" "$WORK/shallow" 2>/dev/null
check "collect git in a shallow clone" 0 "$EA" collect --dry-run --key key.pem --control A.8.32 "git=$WORK/shallow"
payloads "$OUT" >shallow.json
assert "files_unknown says why" python3 -c '
import json,sys; d=json.loads(open(sys.argv[1]).readline())["predicate"]
assert d["data"]["files_unknown"].startswith("shallow clone") and d["data"]["files_changed"]==[], d["data"]
assert "files changed unknown (shallow clone)" in d["summary"], d["summary"]' shallow.json
echo x > afile
check "store is a file" 2 "$EA" collect --store afile --key key.pem "git=$WORK/repo"
assert "nothing was written by the failures" test "$(find "$STORE" -type f | wc -l)" -eq "$before"
if [ "$(id -u)" -ne 0 ]; then
    mkdir locked && chmod 0500 locked
    check "store not writable" 1 "$EA" collect --store locked/s --key key.pem "git=$WORK/repo"
    contains "permissions named" "$ERR" "permissions"
fi

# --- canaries: secrets in a commit, in the environment and in --redact-env never leave
CAN_GH="ghp_CANARYzz0123456789abcdefghijklmnopqrs"
CAN_ENV="env-CANARY-$(date +%s)-value"
CAN_TOK="tok-CANARY-agent-own-token"
(
    cd repo && export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=C \
        GIT_COMMITTER_EMAIL=c@example.com &&
        echo x >"note-$CAN_TOK.txt" && git add . &&
        git commit -q -m "deploy with $CAN_GH and $CAN_ENV" \
            -m "password=hunter2-CANARY-pw
Reviewed-by: R <r@example.com>"
)
canary_store=$WORK/canary-store
check "collect with secrets in the commit" 0 env GITHUB_TOKEN="$CAN_TOK" MY_SECRET="$CAN_ENV" \
    "$EA" collect --store "$canary_store" --key key.pem --redact-env MY_SECRET "git=$WORK/repo"
cp "$ERR" canary.stderr
check "dry run with secrets" 0 env GITHUB_TOKEN="$CAN_TOK" MY_SECRET="$CAN_ENV" \
    "$EA" collect --dry-run --key key.pem --redact-env MY_SECRET "git=$WORK/repo"
cp "$OUT" canary.stdout
cat "$ERR" >>canary.stderr
find "$canary_store" -type f -path '*controls*' -exec python3 -c '
import base64,json,sys
for p in sys.argv[1:]:
    print(base64.b64decode(json.load(open(p))["payload"]).decode())' {} + >canary.payloads
payloads canary.stdout >>canary.payloads
contains "canary payloads decoded" canary.payloads "git_commit"
for c in CANARYzz hunter2-CANARY "$CAN_ENV" "$CAN_TOK"; do
    lacks "no canary $c in records" canary.payloads "$c"
    lacks "no canary $c on stderr" canary.stderr "$c"
    lacks "no canary $c in raw store files" <(cat $(find "$canary_store" -type f)) "$c"
done
contains "masks are visible" canary.payloads "[REDACTED:github-token]"
contains "literal masks are visible" canary.payloads "[REDACTED:literal]"
assert "records count their masks" python3 -c '
import json,sys
for l in open(sys.argv[1]):
    assert json.loads(l)["predicate"]["redactions"] >= 3, l' canary.payloads
check "redacted records verify" 0 "$EA" verify --store "$canary_store" --pubkey key.pub
assert "redacted records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$canary_store"

# --- pipeline collector: a job log from a file and from standard input, in a GitHub-like env
printf '2026-01-02T03:04:05Z build\nerror: one\nexport GITHUB_TOKEN=%s\n' "$CAN_TOK" >job.log
pstore=$WORK/pipeline-store
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check "collect pipeline log (API unreachable)" 0 env GITHUB_ACTIONS=true GITHUB_REPOSITORY=acme/app \
    GITHUB_RUN_ID=7 GITHUB_SHA=ffac537e6cbbf934b08745a378932722df287a53 GITHUB_TOKEN="$CAN_TOK" \
    GITHUB_API_URL="http://127.0.0.1:$closed" \
    "$EA" collect --store "$pstore" --key key.pem pipeline=job.log
contains "an unreachable API is an error result, not a lost record" "$ERR" "result=error"
lacks "the token is not on stderr" "$ERR" "$CAN_TOK"
contains "pipeline record line" "$ERR" "pipeline_run controls=A.8.25,A.8.32"
contains "an unreachable API is said on stderr, naming the API and the cause" "$ERR" \
    "warning: pipeline: the GitHub API did not describe run 7: http://127.0.0.1:$closed/repos/acme/app/actions/runs/7: Couldn't connect to server"
# issue 15 item 3: a server that accepts and never answers is bounded by the collector's timeout
start_silent
check "a hung API ends at the pipeline's timeout" 0 timeout 40 env GITHUB_ACTIONS=true \
    GITHUB_REPOSITORY=acme/app GITHUB_RUN_ID=7 GITHUB_SHA=ffac537e6cbbf934b08745a378932722df287a53 \
    GITHUB_TOKEN="$CAN_TOK" GITHUB_API_URL="$SILENT_URL" \
    "$EA" collect --dry-run --key key.pem --set pipeline.timeout=2s pipeline=job.log
contains "hung API: a record with result error" "$ERR" "result=error"
contains "hung API: the warning names the API and the timeout" "$ERR" "the timeout of 2s ran out"
contains "hung API: the warning says the fix" "$ERR" "the collector's timeout option gives it longer"
lacks "hung API: no token on stderr" "$ERR" "$CAN_TOK"
check "a hung API ends at the approvals' timeout" 0 timeout 40 env GITHUB_ACTIONS=true \
    GITHUB_REPOSITORY=acme/app GITHUB_RUN_ID=7 GITHUB_SHA=ffac537e6cbbf934b08745a378932722df287a53 \
    GITHUB_TOKEN="$CAN_TOK" GITHUB_API_URL="$SILENT_URL" \
    "$EA" collect --dry-run --key key.pem --set approvals.timeout=2s approvals=pr:1
contains "hung API: approvals warns" "$ERR" "the timeout of 2s ran out"
check "a hung API ends at branch-protection's timeout" 0 timeout 40 env GITHUB_ACTIONS=true \
    GITHUB_REPOSITORY=acme/app GITHUB_RUN_ID=7 GITHUB_TOKEN="$CAN_TOK" GITHUB_API_URL="$SILENT_URL" \
    "$EA" collect --dry-run --key key.pem --set branch-protection.timeout=2s branch-protection=main
contains "hung API: branch-protection warns naming the API" "$ERR" \
    "the GitHub API did not describe the protection of main"
contains "hung API: branch-protection names the timeout" "$ERR" "the timeout of 2s ran out"
check "collect --help shows the timeout" 0 "$EA" collect --help
contains "help: timeout with its default" "$OUT" "timeout=duration"
if "$EA" collect --dry-run --key key.pem pipeline=- <job.log >stdin.out 2>stdin.err; then pass; else
    fail "collect pipeline=- from standard input"; fi
assert "stdin log was read" python3 -c '
import base64,json,sys
st=json.loads(base64.b64decode(json.loads(open(sys.argv[1]).readline())["payload"]))
log=st["predicate"]["data"]["log"]
assert log["lines"]==3 and log["error_lines"]==1, log' stdin.out
lacks "no token from the log in the record" stdin.out "$CAN_TOK"
# a short log with a short secret: no digest in the record lets a guess of the log be confirmed
# (review 13, residual leak c); the keyed digest is the same for the same log and key
printf 'db password: x7\n' >short.log
check "collect a short log" 0 "$EA" collect --dry-run --key key.pem pipeline=short.log
payloads "$OUT" >short1.json
check "collect it again" 0 "$EA" collect --dry-run --key key.pem pipeline=short.log
payloads "$OUT" >short2.json
assert "no digest of the short log is its SHA-256" python3 - short.log short1.json short2.json <<'PY'
import hashlib, json, sys
raw = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
seen = []
for f in sys.argv[2:]:
    for l in open(f):
        st = json.loads(l)
        if st.get("predicate", {}).get("kind") != "pipeline_run": continue
        p = st["predicate"]; log = p["data"]["log"]
        digests = [p["source"]["raw_sha256"], log["sha256"], st["subject"][0]["digest"].get("sha256")]
        assert raw not in json.dumps(st), "the log's SHA-256 is in the record"
        assert log["sha256_of"] == "keyed", log
        assert p["source"]["raw_sha256"] == log["sha256"], digests
        seen.append(log["sha256"])
assert len(seen) == 2 and seen[0] == seen[1], seen
PY
check "pipeline records verify" 0 "$EA" verify --store "$pstore" --pubkey key.pub
assert "pipeline records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$pstore"
# a secret inside an API response is masked too (replay server on loopback, stopped on exit)
cat >routes.json <<JSON
{"routes": [
 {"path": "/repos/acme/app/actions/runs/8", "responses": [{"status": 200, "body":
   {"status": "completed", "conclusion": "success", "html_url": "https://ci.example.com/?token=$CAN_GH"}}]},
 {"path": "/repos/acme/app/actions/runs/8/jobs", "responses": [{"status": 200, "body":
   {"jobs": [{"name": "deploy with password=api-CANARY-pw", "conclusion": "success", "steps": []}]}}]}
]}
JSON
start_replay routes.json
check "collect pipeline with the API" 0 env GITHUB_ACTIONS=true GITHUB_REPOSITORY=acme/app \
    GITHUB_RUN_ID=8 GITHUB_TOKEN="$CAN_TOK" GITHUB_API_URL="$REPLAY_URL" \
    "$EA" collect --dry-run --key key.pem pipeline
stop_replay
payloads "$OUT" >api.payloads
contains "the API answered" api.payloads '"status":"ok"'
contains "a passing run is a pass" api.payloads '"result":"pass"'
lacks "no token from an API response" api.payloads "CANARYzz"
lacks "no password from an API response" api.payloads "api-CANARY-pw"
lacks "our token never reached the record" api.payloads "$CAN_TOK"
check "collector options with --set" 0 "$EA" collect --dry-run --key key.pem \
    --set pipeline.match='^error' --set pipeline.tail_lines=1 pipeline=job.log
assert "--set reached the collector" python3 -c '
import base64,json,sys
log=json.loads(base64.b64decode(json.loads(open(sys.argv[1]).readline())["payload"]))["predicate"]["data"]["log"]
assert len(log["tail"])==1 and len(log["matches"])==1, log' "$OUT"
check "a bad pattern" 2 "$EA" collect --dry-run --key key.pem --set 'pipeline.match=(' pipeline
contains "bad pattern named" "$ERR" "match pattern '('"
check "--set for a collector not in the run" 2 "$EA" collect --dry-run --key key.pem --set git.max_files=1 pipeline
# issue 15 item 1: a mistyped option is refused, naming the key and the nearest known one
check "--set: a mistyped pipeline option" 2 "$EA" collect --dry-run --key key.pem \
    --set pipeline.tail_line=5 pipeline=job.log
contains "mistyped option: the key and the nearest one" "$ERR" \
    "pipeline has no option 'tail_line' (did you mean 'tail_lines'?"
lacks "mistyped option: nothing signed" "$OUT" "payload"
check "--set: a mistyped scan option" 2 "$EA" collect --dry-run --key key.pem \
    --set scan.fial_on=critical scan="$EA_SOURCE_DIR/tests/collectors/scan/sarif-edges.sarif"
contains "scan typo named" "$ERR" "'fial_on' (did you mean 'fail_on'?"
check "--set: a value of the wrong type" 2 "$EA" collect --dry-run --key key.pem \
    --set pipeline.tail_lines=many pipeline=job.log
contains "wrong type named" "$ERR" "--set pipeline.tail_lines=many: pipeline option tail_lines: must be an integer"
check "--set: one value given twice" 2 "$EA" collect --dry-run --key key.pem \
    --set pipeline.tail_lines=1 --set pipeline.tail_lines=2 pipeline=job.log
contains "given twice named" "$ERR" "tail_lines: takes one value"
check "collect --help lists each collector's options" 0 "$EA" collect --help
contains "help: scan's fail_on" "$OUT" "fail_on=text"
contains "help: pipeline's tail_lines with its default" "$OUT" "(default 20)"
contains "help: approvals takes mr:N" "$OUT" "mr:NUMBER"
check "pipeline log missing" 2 "$EA" collect --dry-run --key key.pem pipeline=nosuch.log
contains "missing log named" "$ERR" "nosuch.log"

# issue 15 items 8-9: a missing token is found before anything runs (init), not after git stored
check "approvals without a token, beside git" 2 env -u GITHUB_TOKEN -u GH_TOKEN -u GITLAB_TOKEN \
    -u CI_JOB_TOKEN -u GITHUB_ACTIONS -u GITLAB_CI "$EA" collect --store "$WORK/notoken-store" \
    --key key.pem "git=$WORK/repo" approvals
contains "the token is asked for" "$ERR" "approvals: needs an API token to read pull request reviews: GITHUB_TOKEN"
lacks "the collector is named once" "$ERR" "approvals: approvals"
# GITHUB_REPOSITORY is read outside GitHub Actions too (the README: --repo, else GITHUB_REPOSITORY)
check "approvals: GITHUB_REPOSITORY outside Actions" 2 env -u GITHUB_ACTIONS -u GITLAB_CI -u GITLAB_TOKEN \
    -u CI_JOB_TOKEN GITHUB_TOKEN=ghp_notarealtoken0123456789 GITHUB_REPOSITORY=noslash \
    "$EA" collect --dry-run --key key.pem approvals
contains "GITHUB_REPOSITORY was read" "$ERR" "repository 'noslash' (--repo, else GITHUB_REPOSITORY) must be owner/name"
check "approvals: no repository at all" 2 env -u GITHUB_ACTIONS -u GITLAB_CI -u GITLAB_TOKEN \
    -u CI_JOB_TOKEN -u GITHUB_REPOSITORY GITHUB_TOKEN=ghp_notarealtoken0123456789 \
    "$EA" collect --dry-run --key key.pem approvals
contains "no repository: both ways named" "$ERR" "give --repo owner/name or set GITHUB_REPOSITORY"
contains "nothing ran" "$ERR" "nothing was run or stored"
assert "nothing stored, not even git's record" test ! -e "$WORK/notoken-store"

# --- approvals: the gate (replay server on loopback with two recorded pull requests)
python3 - "$EA_SOURCE_DIR/tests/collectors/approvals" >aroutes.json <<'PY2'
import json, sys
d = sys.argv[1]
routes = json.load(open(d + "/gh-only-self-approval.json"))["routes"]       # PR 1: fail
routes += json.load(open(d + "/gh-pr-from-ci-ref.json"))["routes"]          # PR 5: pass
print(json.dumps({"routes": routes}))
PY2
start_replay aroutes.json
astore=$WORK/astore
aenv=(env -u GITHUB_ACTIONS -u GITLAB_CI GITHUB_TOKEN="$CAN_TOK" GITHUB_API_URL="$REPLAY_URL")
check "approvals: an approved PR passes the gate" 0 "${aenv[@]}" "$EA" collect --store "$astore" \
    --key key.pem --repo acme/app --gate approvals=pr:5
contains "approvals record line" "$ERR" "pr_approval controls=A.5.3,A.8.4,A.8.32 result=pass"
check "approvals: a self-approved PR fails the gate with exit 4" 4 "${aenv[@]}" "$EA" collect \
    --store "$astore" --key key.pem --repo acme/app --gate approvals=pr:1
contains "the gate says why" "$ERR" "gate: 1 record failed"
check "approvals: without --gate the same record is only stored" 0 "${aenv[@]}" "$EA" collect \
    --store "$astore" --key key.pem --repo acme/app approvals=pr:1
check "approvals: --min-approvals 2 fails the approved PR" 4 "${aenv[@]}" "$EA" collect \
    --dry-run --key key.pem --repo acme/app --min-approvals 2 --gate approvals=pr:5
check "approvals: --allow-self-approval passes the self-approved PR" 0 "${aenv[@]}" "$EA" collect \
    --dry-run --key key.pem --repo acme/app --allow-self-approval --gate approvals=pr:1
check "approvals: an API that is down is an error, and the gate blocks it" 4 env -u GITHUB_ACTIONS \
    GITHUB_TOKEN="$CAN_TOK" GITHUB_API_URL="http://127.0.0.1:$(closed_port)" "$EA" collect \
    --dry-run --key key.pem --repo acme/app --gate approvals=pr:1
assert "the error is recorded" python3 -c '
import base64,json,sys
st=json.loads(base64.b64decode(json.loads(open(sys.argv[1]).readline())["payload"]))
assert st["predicate"]["result"]=="error" and st["predicate"]["data"]["error"], st' "$OUT"
check "approvals: --repo without approvals is a usage error" 2 "$EA" collect --dry-run \
    --key key.pem --repo acme/app git
contains "--repo names its collector" "$ERR" "--repo applies to the approvals collector"
check "approvals: a bad argument" 2 "$EA" collect --dry-run --key key.pem approvals=branch:main
contains "usage named" "$ERR" "approvals=pr:NUMBER"
stop_replay
check "approvals records verify" 0 "$EA" verify --store "$astore" --pubkey key.pub
assert "approvals records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$astore"
check "query by kind" 0 "$EA" query --store "$astore" --kind pr_approval --format ndjson
assert "three approvals records stored: one pass, two fail" python3 -c '
import json,sys
rs={r["id"]: r["statement"]["predicate"]["result"] for r in map(json.loads, open(sys.argv[1]))}
assert sorted(rs.values())==["fail","fail","pass"], rs' "$OUT"
for f in "$WORK"/stdout "$WORK"/stderr; do lacks "no token in output" "$f" "$CAN_TOK"; done
if grep -rqF "$CAN_TOK" "$astore"; then fail "the token reached the store"; else pass; fi

# --- controls
check "controls change" 0 "$EA" controls change
contains "change management listed" "$OUT" "A.8.32"
check "controls all" 0 "$EA" controls
assert "93 controls" test "$(wc -l <"$OUT")" -eq 93
check "controls 2013 id" 0 "$EA" controls A.12.1.2
contains "2013 maps" "$OUT" "A.8.32"
check "controls nothing" 1 "$EA" controls zzzzqqq

finish
