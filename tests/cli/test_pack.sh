#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The audit pack checks itself: export a pack, run the commands of its README
# verbatim (unpack, ./audit-pack/check.sh: PASSED), then tamper with a copy of
# the unpacked pack in each way an attacker would (a record byte, a record
# removed from a stream, a record swapped for another's file, the report's
# FAILING made passing, a head removed, a record replaced by a pipe), each time
# with SHA256SUMS regenerated, and expect check.sh to fail. A record the agent
# accepts under its second signature passes. export --soa judges like report --soa.
# The pack is signed as a whole (export --key: manifest.dsse.json): a record renamed to
# another time, a stream or checkpoint removed, the period, a status or the keys changed
# all fail; an unsigned pack fails unless check.sh is told --unsigned.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
"$EA" keygen --private other.pem --public other.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
mkdir conf
for n in 1 2 3 4; do printf 'name: service-%s\nreplicas: %s\n' "$n" "$n" >"conf/s$n.yaml"; done
check "a stream of four config records" 0 "$EA" collect --store store --key key.pem 'config=conf/*.yaml'
check "a failing secrets scan" 0 "$EA" collect --store store --key key.pem \
    scan="$EA_SOURCE_DIR/tests/collectors/scan/gitleaks.json"

# One record gets a first signature by a key the pack does not hold: the agent accepts it
# under its second signature, and so must check.sh.
python3 - store other.pem <<'PY'
import base64, glob, json, subprocess, sys
path = sorted(glob.glob(sys.argv[1] + "/controls/A.8.9/*/*/*/*.json"))[0]
e = json.load(open(path))
p, t = base64.b64decode(e["payload"]), e["payloadType"].encode()
open("pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p))
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", sys.argv[2], "-rawin", "-in",
                      "pae.bin"], check=True, capture_output=True).stdout
e["signatures"].insert(0, {"keyid": "other", "sig": base64.b64encode(sig).decode()})
open(path, "w").write(json.dumps(e))
PY
check "verify accepts the record under its second signature" 0 "$EA" verify --store store --pubkey key.pub

check "export" 0 "$EA" export --store store --control A.8.9 --control A.8.12 --pubkey key.pub \
    --key key.pem --out pack.tar.gz
contains "export counts the exported records" "$ERR" "5 records of 2 controls written to pack.tar.gz"

# The README's commands, verbatim: its first sh block.
tar -xzf pack.tar.gz audit-pack/README.md -O >pack-readme.md
awk '/^```sh$/ { on = 1; next } /^```$/ { if (on) exit } on' pack-readme.md >readme-cmds.sh
assert "the README shows the commands" grep -q check.sh readme-cmds.sh
mkdir verbatim && cp pack.tar.gz verbatim/
check "the README's commands pass on the pack as exported" 0 bash -e -c "cd verbatim && $(cat readme-cmds.sh)"
contains "check.sh says PASSED" "$OUT" "PASSED: 5 records, 0 failures"
lacks "a signed pack is not said to be unauthenticated" "$OUT" "UNAUTHENTICATED"
fpr=$(openssl pkey -pubin -in key.pub -outform DER | sha256sum | cut -c1-64)
contains "check.sh prints the key's fingerprint" "$OUT" "yes keys/1.pub: sha256 $fpr"
contains "check.sh says the manifest is signed" "$OUT" "yes manifest.json: signed by keys/1.pub"
contains "check.sh prints the period" "$OUT" "period (from the first record) .. "
contains "check.sh says a pack without checkpoints cannot show a stream deleted whole" "$OUT" "note: without checkpoints"
contains "one line per record" "$OUT" "yes records/controls/A.8.12/"
contains "the report is recomputed" "$OUT" "yes report: A.8.9 ok, A.8.12 failing"
assert "check.sh is executable as packed" test -x verbatim/audit-pack/check.sh
for f in check.py README.md; do
    assert "$f is readable" test -r "verbatim/audit-pack/$f"
done

# resum DIR: SHA256SUMS rewritten for what DIR holds now, as an attacker would.
resum() {
    (cd "$1" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum >SHA256SUMS)
}
# resign DIR [KEY]: manifest.json rewritten for what DIR holds now (files, heads,
# checkpoints, records) and signed with KEY (none: manifest.dsse.json removed), then
# SHA256SUMS: a pack made consistent by whoever holds KEY.
resign() {
    python3 - "$1" "${2:-}" <<'PY2'
import base64, hashlib, json, os, subprocess, sys
d, key = sys.argv[1:]
key, pae = os.path.abspath(key) if key else "", os.path.abspath("pae.bin")
os.chdir(d)
m = json.load(open("manifest.json"))
own = ("SHA256SUMS", "manifest.json", "manifest.dsse.json")
files = sorted(os.path.relpath(os.path.join(r, n)) for r, _, ns in os.walk(".") for n in ns)
files = [f for f in files if f not in own]
m["files"] = {f: hashlib.sha256(open(f, "rb").read()).hexdigest() for f in files}
m["checkpoints"] = [f for f in files if f.startswith("checkpoints/")]
m["streams"] = {}
for f in files:
    if f.startswith("streams/"):
        doc = json.loads(base64.b64decode(json.load(open(f))["payload"]))
        m["streams"][f[len("streams/"):-len(".json")]] = doc["sequence"]
old = {e["path"]: e for e in m["records"]}
m["records"] = [old.get(f) or {"id": f[-69:-5], "control": f.split("/")[2], "path": f}
                for f in files if f.startswith("records/")]
raw = json.dumps(m, indent=1).encode()
open("manifest.json", "wb").write(raw)
if os.path.exists("manifest.dsse.json"):
    os.remove("manifest.dsse.json")
if key:
    t = b"application/vnd.evidence-agent.pack-manifest+json"
    open(pae, "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(raw), raw))
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in",
                          pae], check=True, capture_output=True).stdout
    open("manifest.dsse.json", "w").write(json.dumps({
        "payloadType": t.decode(), "payload": base64.b64encode(raw).decode(),
        "signatures": [{"keyid": "k", "sig": base64.b64encode(sig).decode()}]}))
PY2
    resum "$1"
}
# tampered NAME: a fresh copy of the unpacked pack in $T.
tampered() {
    T=$WORK/t-$1
    rm -rf "$T" && cp -r verbatim/audit-pack "$T"
}
# expect_fail NAME TEXT: check.sh fails (in time) and says TEXT.
expect_fail() {
    check "$1: check.sh fails" 1 timeout 60 "$T/check.sh" && contains "$1: says why" "$OUT" "$2"
}
records() { (cd "$T" && find records -name '*.json' | sort); }
a89() { (cd "$T" && find records/controls/A.8.9 -name '*.json' | sort); }

tampered byte
r=$(a89 | sed -n 3p)
python3 -c '
import re, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = re.search(rb"\"payload\"\s*:\s*\"", b).end() + 40  # a byte inside the payload
b[i] = ord("A") if b[i] != ord("A") else ord("B")
open(p, "wb").write(b)' "$T/$r"
expect_fail "a record byte edited" "no SHA256SUMS"
contains "a record byte edited: the record is no" "$OUT" "no $r"
resum "$T"
expect_fail "a record byte edited, sums regenerated" "no $r"
lacks "a record byte edited: not inherited" "$OUT" "yes $r"

tampered undecodable
r=$(a89 | sed -n 2p)
printf '{"payloadType": "application/vnd.in-toto+json", "payload": "%%%%", "signatures": [' >"$T/$r"
resum "$T"
expect_fail "a record that cannot be decoded" "no $r: cannot be decoded"
lacks "an undecodable record is never yes" "$OUT" "yes $r"
contains "the record before it is still judged by itself" "$OUT" "yes $(a89 | sed -n 1p)"

tampered delete
r=$(a89 | sed -n 2p)
rm "$T/$r"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["records"]=[e for e in m["records"] if e["path"]!=sys.argv[2]]; json.dump(m,open(sys.argv[1],"w"))' "$T/manifest.json" "$r"
resum "$T"
expect_fail "a record deleted from its stream" "records missing at sequence"

tampered swap
r1=$(a89 | sed -n 1p)
r2=$(a89 | sed -n 4p)
cp "$T/$r2" "$T/$r1"
resum "$T"
expect_fail "a record swapped for another's file" "no $r1: the payload's SHA-256 is not the ID in its name"

tampered report
sed -i 's/| FAILING |/| fresh, passing |/' "$T/report.md"
python3 -c '
import json,sys
p=sys.argv[1]; r=json.load(open(p))
for c in r["controls"]:
    if c["verdict"]=="failing": c["verdict"]="ok"; c["results"]={"pass":1,"fail":0,"error":0,"info":0}
r["summary"]["ok"]+=1; r["summary"]["failing"]-=1
json.dump(r,open(p,"w"),indent=1)' "$T/report.json"
assert "the report now says passing" grep -q "fresh, passing |$" "$T/report.md"
resum "$T"
expect_fail "the report edited FAILING -> passing" "no report.json: A.8.12"
contains "the edited report.md is named" "$OUT" "no report.md: A.8.12"

tampered head
h=$(cd "$T" && ls streams/*.json | head -n 1)
rm "$T/$h"
resum "$T"
expect_fail "a head removed" "no $h: the head of stream"

tampered unsigned-head
python3 - "$T/streams" <<'PY2'
import base64, glob, json, sys
for h in glob.glob(sys.argv[1] + "/*.json"):
    doc = json.loads(base64.b64decode(json.load(open(h))["payload"]))
    open(h, "w").write(json.dumps({k: doc[k] for k in ("stream", "sequence", "last_id")}))
PY2
resum "$T"
expect_fail "a head replaced by an unsigned one" ": an unsigned head"

tampered extra
cp "$T/$(a89 | sed -n 1p)" "$T/records/stray.json"
expect_fail "a file SHA256SUMS does not list" "files it does not list: records/stray.json"

tampered pipe
r=$(a89 | sed -n 1p)
rm "$T/$r" && mkfifo "$T/$r"
expect_fail "a record replaced by a pipe (ends, never waits)" "no $r: not a regular file"

# The checkpoint chain, when a pack holds one: checkpoints/<agent>/<seq>.json, signed DSSE,
# each naming the SHA-256 of the one before as stored. Made here with openssl, as the agent
# (issue 14, item 2) writes them.
make_checkpoints() { # DIR KEY: two checkpoints stating every packed stream at its head
    python3 - "$1" "$2" <<'PY2'
import base64, glob, hashlib, json, os, subprocess, sys
d, key = sys.argv[1:]
T = "application/vnd.evidence-agent.checkpoint+json"
def env(obj):
    p = json.dumps(obj).encode()
    t = T.encode()
    open("pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p))
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in",
                          "pae.bin"], check=True, capture_output=True).stdout
    return (json.dumps({"payloadType": T, "payload": base64.b64encode(p).decode(),
                        "signatures": [{"keyid": "k", "sig": base64.b64encode(sig).decode()}]})
            + "\n").encode()
streams = {}
for h in glob.glob(d + "/streams/*.json"):
    doc = json.load(open(h))
    if "payload" in doc:
        doc = json.loads(base64.b64decode(doc["payload"]))
    bump = int(os.environ.get("BUMP", "0"))  # a checkpoint ahead of the heads: pruned since
    streams[doc["stream"]] = {"sequence": doc["sequence"] + bump, "last_id": doc["last_id"]}
os.makedirs(d + "/checkpoints/crafted", exist_ok=True)
prev = None
for n in (1, 2):
    raw = env({"_type": "https://evidence-agent.dev/checkpoint/v1", "agent": "crafted", "sequence": n,
               "previous": prev, "time": "2026-01-02T03:04:05Z", "streams": streams})
    open(d + "/checkpoints/crafted/%012d.json" % n, "wb").write(raw)
    prev = hashlib.sha256(raw).hexdigest()
PY2
}
# (Each pack re-signed with the exporter's key, so that only the chain is at fault.)
tampered checkpoints
make_checkpoints "$T" key.pem
resum "$T"
expect_fail "checkpoints added to a signed pack" "no checkpoints/crafted/000000000001.json: in the pack, not listed in manifest.json"
resign "$T" key.pem
check "a pack with a sound checkpoint chain passes" 0 "$T/check.sh"
contains "each checkpoint has its line" "$OUT" "yes checkpoints/crafted/000000000002.json"
rm "$T/checkpoints/crafted/000000000001.json"
resum "$T"
expect_fail "a checkpoint removed from a signed pack" "no checkpoints/crafted/000000000001.json: listed in manifest.json, not in the pack"
resign "$T" key.pem
expect_fail "a checkpoint removed from the chain" "no checkpoints/crafted/000000000002.json: checkpoint 1 of its chain is missing"
tampered checkpoint-forged
make_checkpoints "$T" other.pem
resign "$T" key.pem
expect_fail "checkpoints signed by a key not in the pack" "no checkpoints/crafted/000000000001.json: no signature verifies"
tampered checkpoint-ahead
BUMP=1 make_checkpoints "$T" key.pem
resign "$T" key.pem
expect_fail "streams shorter than checkpointed (records pruned, heads rewritten)" "shorter (4) than checkpointed (5)"

# --- the pack as a whole (signed manifest): what an attacker without the key tries
a812() { (cd "$T" && find records/controls/A.8.12 -name '*.json' | sort | head -n 1); }
stream_of() { python3 -c 'import base64,json,sys; print(json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))["predicate"]["agent"]["stream"])' "$1"; }
tampered renamed
r=$(a812)
early="${r%/*}/$(basename "$r" | cut -c1-8)T000000.000000Z_${r##*_}"
mv "$T/$r" "$T/$early"
resum "$T"
expect_fail "the failing record renamed to an earlier time" "no $early: its name says"
contains "the renamed record breaks the signed manifest" "$OUT" "no $r: listed in manifest.json, not in the pack"
resign "$T" key.pem
expect_fail "renamed, with a manifest to match" "its signed collected_at"
lacks "a renamed record is never yes" "$OUT" "yes $early"

tampered copied-later
r=$(a89 | sed -n 1p)
later="${r%/*}/$(basename "$r" | cut -c1-8)T235959.999999Z_${r##*_}"
cp "$T/$r" "$T/$later"
resign "$T" key.pem
expect_fail "a passing record copied under a later time" "no $later: its name says"

tampered stream-gone
r=$(a812)
h="streams/$(stream_of "$T/$r").json"
rm "$T/$r" "$T/$h"
resum "$T"
expect_fail "the failing stream removed, record and head" "no $h: listed in manifest.json, not in the pack"
contains "its record is missed too" "$OUT" "no $r: listed in manifest.json, not in the pack"
resign "$T" other.pem
expect_fail "removed, manifest re-signed by another key" "no manifest.dsse.json: no signature verifies"
tampered stream-records-gone
r=$(a812)
rm "$T/$r"
resign "$T" key.pem
expect_fail "the failing stream's record removed, its head left" "its head is packed, none of its records is"

tampered period
python3 -c '
import json,sys
p=sys.argv[1]; r=json.load(open(p)); r["period"]["until"]="2020-01-01T00:00:00.000000Z"
json.dump(r,open(p,"w"),indent=1)' "$T/report.json"
resum "$T"
expect_fail "the report's period edited" "no report.json: its period (None .. 2020-01-01T00:00:00.000000Z) is not the exported one"
contains "an edited report is not the exported file" "$OUT" "no report.json: not the file exported"

tampered excluded
python3 -c '
import json,sys
p=sys.argv[1]; r=json.load(open(p))
for c in r["controls"]:
    c["status"]="excluded"; c["verdict"]="n/a"; c["count"]=0
json.dump(r,open(p,"w"),indent=1)' "$T/report.json"
resign "$T" key.pem
expect_fail "a control's status made excluded" "no report.json: A.8.12: judged as {'status': 'excluded'"

# a module planted beside check.py (hashlib.py) must not run instead of the check
tampered planted-module
printf 'import sys\nprint("PASSED: 0 records, 0 failures")\nsys.exit(0)\n' >"$T/hashlib.py"
rm -f "$T/$(a89 | tail -1)"
resum "$T"
expect_fail "a hashlib.py planted beside check.py, a record removed" "no hashlib.py: in the pack, not listed in manifest.json"

# a period ending in the future ends now: a pack made early cannot pass for a later one
check "export --until in the future" 0 "$EA" export --store store --control A.8.9 --pubkey key.pub \
    --key key.pem --until 2099-01-01 --out future.tar.gz
contains "export says the period ends now" "$ERR" "--until is in the future"
rm -rf future && mkdir future && tar -xzf future.tar.gz -C future
check "the clamped pack passes" 0 future/audit-pack/check.sh
lacks "its period is not the future one" "$OUT" "2099-01-01"
contains "check.sh prints when and where the pack was made" "$OUT" "made "
tampered future-period
python3 -c '
import json,sys
for f in ("manifest.json", "report.json"):
    p=sys.argv[1]+"/"+f; m=json.load(open(p)); m["period"]["until"]="2099-01-01T00:00:00.000000Z"; json.dump(m,open(p,"w"))' "$T"
resign "$T" key.pem
expect_fail "a signed period ending after the pack was made" "the period ends after the pack was made"

tampered extra-key
cp other.pub "$T/keys/2.pub"
resum "$T"
expect_fail "a key added to keys/" "no keys/2.pub: a key manifest.json does not list"
resign "$T" key.pem
python3 -c '
import json,sys
p=sys.argv[1]; m=json.load(open(p)); m["keys"][0]["sha256"]="0"*64; json.dump(m,open(p,"w"))' "$T/manifest.json"
resign "$T" key.pem
expect_fail "a key whose fingerprint is not the listed one" "no keys/1.pub: its fingerprint is $fpr, manifest.json lists 0000"
tampered own-key
cp other.pub "$T/keys/2.pub"
python3 -c '
import json,subprocess,hashlib,sys
p=sys.argv[1]; m=json.load(open(p))
der=subprocess.run(["openssl","pkey","-pubin","-in","other.pub","-outform","DER"],capture_output=True,check=True).stdout
m["keys"].append({"path":"keys/2.pub","sha256":hashlib.sha256(der).hexdigest()}); json.dump(m,open(p,"w"))' "$T/manifest.json"
resign "$T" other.pem
check "a pack re-signed by a key added to it passes alone" 0 "$T/check.sh"
contains "but prints that key's fingerprint" "$OUT" "yes keys/2.pub: sha256 "
check "and fails when the keys are pinned with --trust" 1 "$T/check.sh" --trust "$fpr"
contains "--trust names the stranger" "$OUT" "no keys/2.pub: sha256 "
check "check.sh --trust with the pack's own key passes" 0 verbatim/audit-pack/check.sh --trust "$fpr"
check "check.sh with an unknown option" 2 verbatim/audit-pack/check.sh --bogus
check "check.sh --trust with what is not a fingerprint" 2 verbatim/audit-pack/check.sh --trust "$fpr ../x"
check "check.sh --trust without a fingerprint" 2 verbatim/audit-pack/check.sh --trust

# an unsigned pack: fails unless --unsigned; then checks what it can, and says so
check "export without --key" 0 "$EA" export --store store --control A.8.9 --control A.8.12 \
    --pubkey key.pub --out unsigned.tar.gz
contains "export warns the pack is unsigned" "$ERR" "is not signed (no --key)"
mkdir unsigned && tar -xzf unsigned.tar.gz -C unsigned
check "an unsigned pack fails check.sh" 1 unsigned/audit-pack/check.sh
contains "says why" "$OUT" "no manifest.json: the pack is not signed (exported without --key)"
check "an unsigned pack passes check.sh --unsigned" 0 unsigned/audit-pack/check.sh --unsigned
contains "and says it is unauthenticated" "$OUT" "(UNAUTHENTICATED: the pack is not signed)"
T=$WORK/unsigned-excluded && cp -r unsigned/audit-pack "$T"
python3 -c '
import json,sys
p=sys.argv[1]; r=json.load(open(p))
for c in r["controls"]:
    c["status"]="excluded"; c["verdict"]="n/a"; c["count"]=0
json.dump(r,open(p,"w"),indent=1)' "$T/report.json"
resign "$T"
check "unsigned, without an SoA, a status other than applied" 1 "$T/check.sh" --unsigned
contains "is judged by the defaults" "$OUT" "the SoA says {'status': 'applied', 'evidence_kinds': None, 'max_age': '30d'}"
T=$WORK/unsigned-renamed && cp -r unsigned/audit-pack "$T"
r=$(a812)
mv "$T/$r" "$T/${r%/*}/$(basename "$r" | cut -c1-8)T000000.000000Z_${r##*_}"
resign "$T"
check "unsigned, a record renamed" 1 "$T/check.sh" --unsigned
contains "is caught by its collected_at" "$OUT" "its signed collected_at"
check "export --key whose public half is not a --pubkey" 2 "$EA" export --store store \
    --control A.8.9 --pubkey key.pub --key other.pem --out x.tar.gz
contains "says which key and what to do" "$ERR" "--key other.pem: its public key is not among --pubkey"

# A period that cuts a stream: the pack holds the stream's records of the period and one
# witness on each side, not the whole stream; removing any of them fails.
times=$(cd store && find controls/A.8.9 -name '*.json' | sort | sed 's|.*/\([0-9T.]*Z\)_.*|\1|' |
    python3 -c 'import sys,datetime
for l in sys.stdin:
    t = datetime.datetime.strptime(l.strip(), "%Y%m%dT%H%M%S.%fZ")
    print(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))')
since=$(echo "$times" | sed -n 2p)
until=$(echo "$times" | sed -n 3p)
check "export of a period that cuts a stream" 0 "$EA" export --store store --control A.8.9 \
    --since "$since" --until "$until" --pubkey key.pub --key key.pem --out cut.tar.gz
contains "two records of the period" "$ERR" "2 records of 1 control written"
mkdir cut && tar -xzf cut.tar.gz -C cut
check "check.sh passes on it" 0 cut/audit-pack/check.sh
contains "the stream is whole from witness to witness" "$OUT" "yes stream"
contains "1..4 of 4" "$OUT" ": 1..4 of 4"
assert "two witnesses packed as context" python3 -c '
import json,sys; m=json.load(open(sys.argv[1]))
assert sum(1 for r in m["records"] if r.get("context")) == 2, m["records"]' cut/audit-pack/manifest.json
cut_remove() { # NAME N TEXT: the Nth A.8.9 record removed (manifest and sums too)
    T=$WORK/cut-$1
    rm -rf "$T" && cp -r cut/audit-pack "$T"
    r=$(a89 | sed -n "$2p")
    rm "$T/$r"
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["records"]=[e for e in m["records"] if e["path"]!=sys.argv[2]]; json.dump(m,open(sys.argv[1],"w"))' "$T/manifest.json" "$r"
    resign "$T" key.pem
    expect_fail "$1" "$3"
}
cut_remove "the witness before the period removed" 1 "records missing before sequence 2"
cut_remove "the witness after the period removed" 4 "records missing after sequence 3 (its head is at 4)"
cut_remove "the last record of the period removed" 3 "records missing at sequence 3"

# export --soa judges exactly as report --soa: statuses and max_age (1s, and the newest
# A.8.9 record older than that: export ends a period at the moment it runs)
cat >soa.yaml <<'EOF'
controls:
  A.8.9:
    status: applied
    justification: configuration is reviewed
    evidence: {kinds: [config_state], max_age: 1s}
  A.8.12:
    status: applied
    justification: secret scanning in CI
  A.8.32:
    status: planned
    justification: later
EOF
check "a checkpoint" 0 "$EA" checkpoint --store store --key key.pem --agent-id ci-1
check "another checkpoint" 0 "$EA" checkpoint --store store --key key.pem --agent-id ci-1
sleep 2
check "report --soa" 0 "$EA" report --soa soa.yaml --store store --format json --out r.json
check "export --soa" 0 "$EA" export --soa soa.yaml --store store --control A.8.9 \
    --control A.8.12 --control A.8.32 --pubkey key.pub --key key.pem --out soa-pack.tar.gz
mkdir soa-pack && tar -xzf soa-pack.tar.gz -C soa-pack
assert "the pack's verdicts are report --soa's" python3 -c '
import json,sys
v = lambda p: {c["id"]: (c["status"], c["verdict"], c["max_age"], c["count"]) for c in json.load(open(p))["controls"] if c["id"] in ("A.8.9","A.8.12","A.8.32")}
a, b = v(sys.argv[1]), v(sys.argv[2])
assert a == b and a["A.8.9"][1] == "stale" and a["A.8.32"][1] == "n/a", (a, b)' r.json soa-pack/audit-pack/report.json
assert "the SoA is in the pack" cmp soa.yaml soa-pack/audit-pack/soa.yaml
check "check.sh recomputes the SoA's verdicts" 0 soa-pack/audit-pack/check.sh
contains "stale by the SoA's max_age" "$OUT" "A.8.9 stale, A.8.12 failing, A.8.32 n/a"
contains "the store's checkpoints are packed and checked" "$OUT" "yes checkpoints/ci-1/000000000002.json"
T=$WORK/soa-ckpt && cp -r soa-pack/audit-pack "$T"
rm "$T/checkpoints/ci-1/000000000001.json"
resign "$T" key.pem
expect_fail "the agent's first checkpoint removed" "checkpoint 1 of its chain is missing"
T=$WORK/soa-no-ckpt && cp -r soa-pack/audit-pack "$T"
rm -r "$T/checkpoints"
resum "$T"
expect_fail "checkpoints/ removed" "no checkpoints/ci-1/000000000002.json: listed in manifest.json, not in the pack"
contains "the manifest counts them" "$OUT" "lists 2 checkpoints, the pack holds 0"
T=$WORK/soa-status && cp -r soa-pack/audit-pack "$T"
sed -i 's/^    status: planned$/    status: applied/' "$T/soa.yaml"
python3 -c '
import json,sys
p=sys.argv[1]; r=json.load(open(p))
for c in r["controls"]:
    if c["id"]=="A.8.32": c["status"]="applied"
json.dump(r,open(p,"w"),indent=1)' "$T/report.json"
resum "$T"
expect_fail "a status changed in soa.yaml and report.json" "no soa.yaml: not the SoA exported"
contains "the report is judged by the signed SoA" "$OUT" "no report.json: A.8.32: judged as {'status': 'applied'"
check "export --soa with a control the SoA lacks" 2 "$EA" export --soa soa.yaml --store store \
    --control A.5.1 --out x.tar.gz
contains "names the control and the SoA" "$ERR" "--control A.5.1: not in the SoA soa.yaml"
finish
