#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 14, as an attacker with write access to the store would try it: every
# way of deleting or altering evidence seen there is reproduced on a copy of a
# sound store, and verify (and query, report, export with --pubkey) must fail
# with one "FAIL <path>: <what>" line per problem, exit 3, and go on through
# the whole store. Then the migration of unsigned heads, and the checkpoints.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK"
make_repo repo
"$EA" keygen --private key.pem --public key.pub 2>/dev/null
"$EA" keygen --private other.pem --public other.pub 2>/dev/null

# A sound store: three runs (three streams), the second with two records.
S=$WORK/sound
check "collect 1" 0 "$EA" collect --store "$S" --key key.pem --control A.8.32 "git=$WORK/repo"
check "collect 2" 0 "$EA" collect --store "$S" --key key.pem --control A.8.32 "git=$WORK/repo" "git=$WORK/repo"
check "collect 3" 0 "$EA" collect --store "$S" --key key.pem --control A.8.32 "git=$WORK/repo"
check "the sound store verifies" 0 "$EA" verify --store "$S" --pubkey key.pub
contains "three signed heads" "$OUT" "3 streams"
for f in "$S"/streams/*.json; do
    assert "head $(basename "$f") is a signed envelope" python3 -c '
import json,sys
e=json.load(open(sys.argv[1]))
assert e["payloadType"]=="application/vnd.evidence-agent.stream-head+json" and e["signatures"]' "$f"
done

# fresh NAME: a copy of the sound store at $WORK/NAME
fresh() { rm -rf "$WORK/$1"; cp -a "$S" "$WORK/$1"; T=$WORK/$1; }
# head_field FILE FIELD: a field of a signed head's payload
head_field() {
    python3 -c 'import base64,json,sys; print(json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))[sys.argv[2]])' "$1" "$2"
}
# stream_of_two: the stream with two records
two=""
for f in "$S"/streams/*.json; do [ "$(head_field "$f" sequence)" = 2 ] && two=$(basename "$f" .json); done
[ -n "$two" ] && pass || fail "no stream of two records"
one=$(ls "$S/streams" | grep -v "$two" | head -1); one=${one%.json}
other=$(ls "$S/streams" | grep -v "$two" | tail -1); other=${other%.json}
# expect_fail NAME PATTERN: verify, query, report and export all refuse $T, naming PATTERN
expect_fail() {
    check "$1: verify exits 3" 3 "$EA" verify --store "$T" --pubkey key.pub
    contains "$1: verify names it" "$OUT" "$2"
    contains "$1: verify ends with its summary" "$OUT" "FAILED "
    check "$1: query --pubkey exits 3" 3 "$EA" query --store "$T" --control A.8.32 --pubkey key.pub
    contains "$1: query names it" "$ERR" "$2"
    lacks "$1: query prints no record" "$OUT" "git_commit"
    check "$1: report --pubkey exits 3" 3 "$EA" report --store "$T" --soa soa.yaml --pubkey key.pub
    check "$1: export --pubkey exits 3" 3 "$EA" export --store "$T" --control A.8.32 --pubkey key.pub --out "$WORK/pack.tar.gz"
    assert "$1: no pack written" test ! -e "$WORK/pack.tar.gz"
}
cat >soa.yaml <<'YAML'
organisation: Acme
scope: CI/CD
controls:
  A.8.32:
    status: applied
    justification: reviewed changes
    owner: platform
    evidence:
      kinds: [git_commit]
      max_age: 7d
YAML

# --- item 1: stream heads
fresh truncated
last=$(head_field "$T/streams/$two.json" last_id)
rm -f $(find "$T/controls" -name "*_$last.json")
python3 - "$T/streams/$two.json" <<'PY'
import json,sys
json.dump({"stream": sys.argv[1].split("/")[-1][:-5], "sequence": 1,
           "last_id": "0"*64}, open(sys.argv[1], "w"))
PY
expect_fail "last record deleted, head rewritten unsigned" "streams/$two.json: unsigned stream head"

fresh rehead
python3 - "$T/streams/$two.json" <<'PY'
import base64,json,sys
e=json.load(open(sys.argv[1])); p=json.loads(base64.b64decode(e["payload"])); p["sequence"]=1
e["payload"]=base64.b64encode(json.dumps(p).encode()).decode(); json.dump(e, open(sys.argv[1], "w"))
PY
expect_fail "a signed head altered" "streams/$two.json: stream head: no signature verifies"

fresh forged
"$EA" collect --dry-run --key other.pem --control A.8.32 "git=$WORK/repo" 2>/dev/null | tail -1 >forged.head
cp forged.head "$T/streams/$(head_field forged.head stream).json"
expect_fail "a head signed by another key" "no signature verifies"

fresh vanished
id=$(head_field "$T/streams/$one.json" last_id)
rm -f "$T/streams/$one.json" $(find "$T/controls" -name "*_$id.json")
check "a whole stream deleted before any checkpoint: not caught without one" 0 "$EA" verify --store "$T" --pubkey key.pub
contains "verify warns that the store has no checkpoint" "$ERR" "but no checkpoint, so a stream deleted whole"

fresh copied
cp "$T/streams/$one.json" "$T/streams/$other.json"
expect_fail "a head copied over another stream's" "streams/$other.json: the head names stream $one"

fresh dangling
id=$(head_field "$T/streams/$two.json" last_id)
rm -f $(find "$T/controls" -name "*_$id.json")
expect_fail "the head points at a deleted record" "streams/$two.json: the head points at record ${id:0:12}"

# --- item 3: verify keeps going and reports everything
fresh many
echo '{' >"$T/streams/broken.json"
day=$(dirname "$(find "$T/controls/A.8.32" -name '*.json' | head -1)")
rec=$(find "$T/controls/A.8.32" -name '*.json' | head -1)
rel=${day#"$T/controls/A.8.32/"}
mkdir -p "$T/controls/A.12.1.2/$rel" && cp "$rec" "$T/controls/A.12.1.2/$rel/"
touch "$day/notes.txt"
cp "$S/streams/$one.json" "$T/streams/copy.json"
victim=$(find "$T/controls/A.8.4" -name '*.json' | head -1)
cp "$victim" "$WORK/outside.json" && rm "$victim" && ln -s "$WORK/outside.json" "$victim"
mkfifo "$day/20261202T000000.000000Z_$(printf 'f%.0s' $(seq 64)).json"
ln -s /dev/zero "$day/20261202T000000.000001Z_$(printf 'e%.0s' $(seq 64)).json"
altered=$(find "$T/controls/A.8.32" -name '*.json' -type f | tail -1)
python3 - "$altered" <<'PY'
import base64,json,sys
e=json.load(open(sys.argv[1])); s=json.loads(base64.b64decode(e["payload"]))
s["predicate"]["result"]="pass" if s["predicate"].get("result")!="pass" else "fail"
e["payload"]=base64.b64encode(json.dumps(s).encode()).decode(); json.dump(e, open(sys.argv[1], "w"))
PY
if timeout 60 "$EA" verify --store "$T" --pubkey key.pub >"$OUT" 2>"$ERR"; then got=0; else got=$?; fi
[ "$got" = 3 ] && pass || fail "many problems: exit $got, not 3 (and no hang on a FIFO)"
contains "a malformed stream file is reported" "$OUT" "streams/broken.json: not a signed stream head"
contains "the run went on: 2013-ID folder" "$OUT" "controls/A.12.1.2/$rel/"
contains "the 2013 folder is named" "$OUT" "folder 'A.12.1.2' is not a control ID of the 2022 catalogue"
contains "a file that is not a record name" "$OUT" "notes.txt: not a record name"
contains "a stream file copied from another head" "$OUT" "streams/copy.json: the head names stream $one"
contains "a symlink to a valid copy outside" "$OUT" "${victim#"$T/"}: a symbolic link (not followed)"
contains "a FIFO is reported, not read" "$OUT" "not a regular file"
contains "a symlink to /dev/zero is reported, not read" "$OUT" "$(printf 'e%.0s' $(seq 64)).json: a symbolic link"
contains "the altered record is reported" "$OUT" "${altered#"$T/"}: no signature verifies"
alt_id=$(basename "$altered" .json); alt_id=${alt_id#*_}
lacks "altered is not also missing" "$OUT" "missing (record before"
lacks "altered is not a broken chain" "$OUT" "does not chain"
lacks "a record replaced by a link is not also a missing copy" "$OUT" "its copy there is missing"
assert "one line per problem" test "$(grep -c '^FAIL ' "$OUT")" -ge 8
check "a store that cannot be read: exit 1" 1 "$EA" verify --store "$WORK/nosuch" --pubkey key.pub

# Folders the walk cannot go through are one FAIL each, and the run goes on (exit 3, not 1).
fresh deep
mkdir -p "$T/checkpoints/x/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17"
echo planted >"$T/checkpoints/x/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/f"
mkdir -p "$T/controls/A.8.32/empty"
mkdir -p "$T/controls/A.8.32/x.json.tmp.1.2" && echo hidden >"$T/controls/A.8.32/x.json.tmp.1.2/f"
echo hidden >"$T/controls/A.8.32/notes.json.tmp.1.2"
day=$(dirname "$(find "$T/controls/A.8.32" -name '*.json' | head -1)")
rec=$(find "$T/controls/A.8.32" -name '*.json' | head -1)
cp "$rec" "$rec.tmp.77.1" # a writer's temp file next to its record: in flight, not reported
alt=$(find "$T/controls/A.8.4" -name '*.json' | head -1)
echo '{}' >"$alt"
check "folders nested too deep: exit 3, not 1" 3 "$EA" verify --store "$T" --pubkey key.pub
contains "the deep folder is named" "$OUT" "checkpoints/x/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15: folders nested too deep"
lacks "an altered copy is not also a missing copy" "$OUT" "its copy there is missing"
contains "the run went on past it" "$OUT" "${alt#"$T/"}: "
contains "an empty folder is reported" "$OUT" "controls/A.8.32/empty: an empty folder"
contains "a folder named like a temp file is not skipped" "$OUT" "x.json.tmp.1.2/f"
contains "a file named like a temp file of no record is not skipped" "$OUT" "notes.json.tmp.1.2"
lacks "a real temp file is not reported" "$OUT" "$(basename "$rec").tmp.77.1"
check "query --pubkey: exit 3 too" 3 "$EA" query --store "$T" --control A.8.32 --pubkey key.pub
contains "query names the deep folder" "$ERR" "folders nested too deep"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else asuser() { "$@"; }; fi
LK=$(mktemp -d "${TMPDIR:-/tmp}/ea-locked-XXXXXX") # readable by the unprivileged user
cp -a "$S" "$LK/s" && cp key.pub "$LK/" && T=$LK/s
mkdir -p "$T/controls/A.8.32/locked" && echo x >"$T/controls/A.8.32/locked/f"
alt=$(find "$T/controls/A.8.4" -name '*.json' | head -1)
echo '{}' >"$alt"
chmod -R a+rX "$LK" && chmod 000 "$T/controls/A.8.32/locked"
check "a folder that cannot be read: exit 3, not 1" 3 asuser "$EA" verify --store "$T" --pubkey "$LK/key.pub"
contains "the unreadable folder is named" "$OUT" "controls/A.8.32/locked: a folder that cannot be read"
contains "the run went on past it" "$OUT" "${alt#"$T/"}: "
chmod 700 "$T/controls/A.8.32/locked" && rm -rf "$LK"

# An altered record is there: not also missing, not a vanished stream (issue 14, review 11).
G=$WORK/gone; rm -rf "$G" && cp -a "$S" "$G"
check "checkpoint for the altered-record cases" 0 "$EA" checkpoint --store "$G" --key key.pem --agent-id ci
for how in empty symlink sparse; do
    T=$WORK/gone-$how; rm -rf "$T"; cp -a "$G" "$T"
    id=$(head_field "$T/streams/$one.json" last_id)
    for f in $(find "$T/controls" -name "*_$id.json"); do
        case $how in
        empty) : >"$f" ;;
        symlink) rm "$f" && ln -s "$S/streams/$one.json" "$f" ;;
        sparse) rm "$f" && truncate -s 3G "$f" ;;
        esac
    done
    check "record replaced ($how): exit 3" 3 "$EA" verify --store "$T" --pubkey key.pub
    contains "record replaced ($how): reported" "$OUT" "_$id.json: "
    lacks "record replaced ($how): the head is not said to lack it" "$OUT" "none of the stream's records exist"
    lacks "record replaced ($how): the stream has not vanished" "$OUT" "the stream vanished"
    lacks "record replaced ($how): the head does not lack it" "$OUT" "which the store lacks"
done
T=$WORK/gone-first; rm -rf "$T"; cp -a "$G" "$T"
id=$(head_field "$T/streams/$two.json" last_id)
for f in $(find "$T/controls" -name "*.json" -path "*controls*"); do
    python3 - "$f" "$two" <<'PY' && : >"$f"
import base64,json,sys
s=json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))["predicate"]["agent"]
sys.exit(0 if s["stream"]==sys.argv[2] and s["sequence"]==1 else 1)
PY
done
check "first record of two emptied: exit 3" 3 "$EA" verify --store "$T" --pubkey key.pub
lacks "first record emptied: not reported missing" "$OUT" "missing (record before"

# --- item 1: the migration of unsigned heads
fresh legacy
for f in "$T"/streams/*.json; do
    python3 - "$f" <<'PY'
import base64,json,sys
p=json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
open(sys.argv[1], "w").write(json.dumps({"stream": p["stream"], "sequence": p["sequence"], "last_id": p["last_id"]}) + "\n")
PY
done
check "unsigned heads: verify exits 3" 3 "$EA" verify --store "$T" --pubkey key.pub
assert "one FAIL per unsigned head" test "$(grep -c 'unsigned stream head' "$OUT")" = 3
contains "the FAIL names the migration" "$OUT" "verify --sign-heads"
# one stream of the legacy store lost a record: its head must not be signed
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_id"])' "$T/streams/$two.json")
first=$(find "$T/controls/A.8.32" -name '*.json' | xargs grep -l . | while read -r f; do
    python3 - "$f" "$two" <<'PY'
import base64,json,sys
s=json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))["predicate"]["agent"]
if s["stream"]==sys.argv[2] and s["sequence"]==1: print(sys.argv[1])
PY
done | head -1)
fid=$(basename "$first" .json); fid=${fid#*_}
rm -f $(find "$T/controls" -name "*_$fid.json")
check "--sign-heads needs a key" 2 "$EA" verify --store "$T" --pubkey key.pub --sign-heads
check "--sign-heads: exit 3 while a stream is broken" 3 "$EA" verify --store "$T" --pubkey key.pub --sign-heads --key key.pem
assert "two heads signed" test "$(grep -c '^SIGNED ' "$OUT")" = 2
contains "the broken stream's head stays unsigned" "$OUT" "streams/$two.json: unsigned stream head; not signed"
check "after the migration only the broken stream fails" 3 "$EA" verify --store "$T" --pubkey key.pub
assert "no other unsigned head" test "$(grep -c 'unsigned stream head' "$OUT")" = 1
check "--sign-heads again after the migration: refused" 3 "$EA" verify --store "$T" --pubkey key.pub --sign-heads --key key.pem
lacks "nothing signed the second time" "$OUT" "SIGNED "
contains "the migration is once" "$OUT" "--sign-heads migrates only a store written before heads were signed"

# A signed store: a record deleted and a plain head written at sequence-1 is never migrated.
fresh resigned
last=$(head_field "$T/streams/$two.json" last_id)
prev=$(python3 - "$(find "$T/controls/A.8.32" -name "*_$last.json" | head -1)" <<'PY'
import base64,json,sys
print(json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))["predicate"]["agent"]["previous"])
PY
)
rm -f $(find "$T/controls" -name "*_$last.json")
printf '{"stream":"%s","sequence":1,"last_id":"%s"}\n' "$two" "$prev" >"$T/streams/$two.json"
check "an unsigned head in a signed store: exit 3" 3 "$EA" verify --store "$T" --pubkey key.pub
contains "it is called a rewritten head" "$OUT" "streams/$two.json: unsigned stream head in a store that already has signed heads"
lacks "verify does not suggest the migration" "$OUT" "run 'evidence-agent verify --sign-heads"
check "--sign-heads refuses it" 3 "$EA" verify --store "$T" --pubkey key.pub --sign-heads --key key.pem
lacks "nothing signed" "$OUT" "SIGNED "
check "still failing afterwards" 3 "$EA" verify --store "$T" --pubkey key.pub

# --- item 2: checkpoints
C=$WORK/cp
rm -rf "$C" && cp -a "$S" "$C"
check "checkpoint" 0 "$EA" checkpoint --store "$C" --key key.pem --agent-id ci
contains "checkpoint names its key" "$OUT" "checkpoints/ci/000000000001.json"
check "collect after it" 0 "$EA" collect --store "$C" --key key.pem --control A.8.32 "git=$WORK/repo"
check "second checkpoint" 0 "$EA" checkpoint --store "$C" --key key.pem --agent-id ci
check "another agent's chain" 0 "$EA" checkpoint --store "$C" --key other.pem --agent-id ci2 --pubkey key.pub
check "verify with checkpoints" 0 "$EA" verify --store "$C" --pubkey key.pub --pubkey other.pub \
    --save-checkpoint saved.ckpt
contains "checkpoints counted" "$OUT" "3 checkpoints: 0 problems"
lacks "no warning once checkpointed" "$ERR" "no checkpoint"
assert "the saved file holds each chain's latest" test "$(wc -l <saved.ckpt)" = 2
check "verify against the saved checkpoint" 0 "$EA" verify --store "$C" --pubkey key.pub --pubkey other.pub --checkpoint saved.ckpt
: >empty.ckpt
check "an empty saved checkpoint is refused, not taken as nothing to check" 2 "$EA" verify --store "$C" --pubkey key.pub --pubkey other.pub --checkpoint empty.ckpt
contains "the empty file is named" "$ERR" "empty.ckpt: holds no checkpoint"

T=$WORK/cp-vanished; rm -rf "$T"; cp -a "$C" "$T"
id=$(head_field "$T/streams/$one.json" last_id)
rm -f "$T/streams/$one.json" $(find "$T/controls" -name "*_$id.json")
check "a whole stream deleted after a checkpoint: exit 3" 3 "$EA" verify --store "$T" --pubkey key.pub --pubkey other.pub
contains "the vanished stream is named" "$OUT" "streams/$one: the stream vanished"
check "the vanished stream: query --pubkey exits 3" 3 "$EA" query --store "$T" --control A.8.32 --pubkey key.pub --pubkey other.pub
contains "the vanished stream: query names it" "$ERR" "streams/$one: the stream vanished"
check "the vanished stream: report --pubkey exits 3" 3 "$EA" report --store "$T" --soa soa.yaml --pubkey key.pub --pubkey other.pub
check "the vanished stream: export --pubkey exits 3" 3 "$EA" export --store "$T" --control A.8.32 --pubkey key.pub --pubkey other.pub --out "$WORK/pack.tar.gz"
assert "the vanished stream: no pack written" test ! -e "$WORK/pack.tar.gz"

T=$WORK/cp-shrunk; rm -rf "$T"; cp -a "$C" "$T"
id=$(head_field "$T/streams/$two.json" last_id)
rm -f $(find "$T/controls" -name "*_$id.json")
check "a stream shrunk after a checkpoint: exit 3" 3 "$EA" verify --store "$T" --pubkey key.pub --pubkey other.pub
contains "the shrunk stream is named" "$OUT" "streams/$two: the stream shrank to sequence 1"

T=$WORK/cp-rolled; rm -rf "$T"; cp -a "$C" "$T"
rm "$T/checkpoints/ci/000000000002.json"
check "the chain cut at its end still verifies alone" 0 "$EA" verify --store "$T" --pubkey key.pub --pubkey other.pub
check "but not against the saved checkpoint" 3 "$EA" verify --store "$T" --pubkey key.pub --pubkey other.pub --checkpoint saved.ckpt
contains "rolled back is named" "$OUT" "checkpoints/ci/000000000002.json: gone from the store"

T=$WORK/cp-cut; rm -rf "$T"; cp -a "$C" "$T"
rm "$T/checkpoints/ci/000000000001.json"
check "a checkpoint removed from the chain" 3 "$EA" verify --store "$T" --pubkey key.pub --pubkey other.pub
contains "the gap is named" "$OUT" "checkpoint 1 to 1 of agent ci missing"

T=$WORK/cp-relinked; rm -rf "$T"; cp -a "$C" "$T"
cp "$T/checkpoints/ci/000000000001.json" "$WORK/c1" && "$EA" checkpoint --store "$T" --key key.pem --agent-id ci >/dev/null 2>&1
python3 - "$T/checkpoints/ci/000000000001.json" <<'PY'
import json,sys
e=json.load(open(sys.argv[1])); e["signatures"][0]["keyid"]="x"; open(sys.argv[1],"w").write(json.dumps(e)+"\n")
PY
check "a checkpoint rewritten (even with a valid signature)" 3 "$EA" verify --store "$T" --pubkey key.pub --pubkey other.pub
contains "the broken link is named" "$OUT" "checkpoints/ci/000000000002.json: does not link"

T=$WORK/cp-endorse; rm -rf "$T"; cp -a "$C" "$T"
fs=$(head_field forged.head stream)
cp forged.head "$T/streams/$fs.json"
check "a checkpoint never endorses a forged head: exit 3" 3 "$EA" checkpoint --store "$T" --key key.pem --agent-id ci
contains "the forged head is named" "$ERR" "streams/$fs.json: not taken into the checkpoint"
contains "the checkpoint is written all the same" "$OUT" "checkpoints/ci/000000000003.json"
python3 - "$T/checkpoints/ci/000000000003.json" "$fs" <<'PY' && pass || fail "the forged stream is stated in the checkpoint"
import base64,json,sys
p=json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
sys.exit(sys.argv[2] in p["streams"])
PY
T=$WORK/cp-forged; rm -rf "$T"; cp -a "$C" "$T"
check "the tool finds the vanished stream too" 1 python3 "$EA_SOURCE_DIR/tools/check_checkpoints.py" "$WORK/cp-vanished" key.pub other.pub
check "a forged chain needs the key" 3 "$EA" checkpoint --store "$T" --key other.pem --agent-id ci
check "checkpoint into a missing store" 1 "$EA" checkpoint --store "$WORK/nosuch" --key key.pem

# checkable with openssl and python3 alone (the README's recipe)
check "README recipe: verify a checkpoint chain" 0 python3 "$EA_SOURCE_DIR/tools/check_checkpoints.py" "$C" key.pub other.pub

finish
