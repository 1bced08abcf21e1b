#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: attest makes a signed attestation record through the pipeline
# collect uses; an attached file becomes a content-addressed blob beside the
# records (a folder store and S3 through s3rver); every usage and input
# mistake is exit 2 with nothing stored; verify fails an altered or missing
# blob; query finds attestations by kind.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
store=$WORK/store
printf 'user,role,decision\nalice,admin,keep\nbob,write,remove\n' >review.csv
sum=$(sha256sum review.csv | cut -c1-64)

check "attest --help" 0 "$EA" attest --help
contains "help names --kind" "$OUT" "--kind KIND"
contains "help names every attestation kind" "$OUT" "management_review"
contains "help names --attach" "$OUT" "--attach"
contains "help documents the exit status" "$OUT" "Exit status: 0 stored"
check "the command list names attest" 0 "$EA" --help
contains "attest in the command list" "$OUT" "attest"

check "an access review with an attached sheet" 0 "$EA" attest --store "$store" --key key.pem \
    --kind access_review --control A.5.18 --control A.8.2 \
    --statement "Reviewed the 3 accounts of acme/app; bob's write access removed" \
    --file review.csv --attach --by "Jane Doe <jane@example.com>" --expires 90d \
    --subject "access:repo:acme/app=$(printf 'x' | sha256sum | cut -c1-64)"
cp "$OUT" attest1.json
assert "stdout is one JSON object naming the record and the blob" python3 - attest1.json "$sum" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kind"] == "attestation" and r["attestation"] == "access_review", r
assert r["controls"] == ["A.5.18", "A.8.2"], r
assert r["file_sha256"] == sys.argv[2] and r["blob"] == "blobs/sha256/" + sys.argv[2], r
assert len(r["id"]) == 64 and r["by"] == "Jane Doe <jane@example.com>", r
PY
contains "stderr says the record" "$ERR" "attestation controls=A.5.18,A.8.2 result=pass"
assert "the blob is the file, byte for byte" cmp review.csv "$store/blobs/sha256/$sum"
assert "one copy per control" test "$(find "$store/controls" -name '*.json' | wc -l)" -eq 2
assert "attestation records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$store"
assert "the record holds the hash and the blob key, never the file" python3 - "$store" "$sum" <<'PY'
import base64, glob, json, sys
f = sorted(glob.glob(sys.argv[1] + "/controls/A.5.18/*/*/*/*.json"))[0]
env = json.load(open(f))
payload = base64.b64decode(env["payload"]).decode()
st = json.loads(payload)
p = st["predicate"]
assert p["kind"] == "attestation" and p["collector"]["name"] == "attest", p
d = p["data"]
assert d["kind"] == "access_review" and d["by"] == "Jane Doe <jane@example.com>", d
assert d["file"] == {"name": "review.csv", "sha256": sys.argv[2], "bytes": 53,
                     "blob": "blobs/sha256/" + sys.argv[2]}, d["file"]
assert d["expires_at"] > d["attested_at"], d
assert d["subjects"][0]["name"] == "access:repo:acme/app", d
assert st["subject"][0] == {"name": "attestation:access_review:review.csv",
                            "digest": {"sha256": sys.argv[2]}}, st["subject"]
assert "bob,write,remove" not in payload, "the file is embedded"
assert p["agent"]["stream"].split(".")[1] == "attest", p["agent"]
PY
check "a statement alone, until a date" 0 "$EA" attest --store "$store" --key key.pem \
    --kind risk_acceptance --control A.5.7 --statement "We accept the residual risk of X" \
    --by cto --expires 2099-12-31
assert "a date holds to the end of that day" python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); assert r["expires_at"]=="2099-12-31T23:59:59.999999Z" and r["blob"] is None and r["file_sha256"] is None, r' "$OUT"
check "a file hashed, not attached" 0 "$EA" attest --store "$store" --key key.pem \
    --kind restore_test --control A.8.13 --file review.csv --by ops --expires 12w
lacks "no blob without --attach" "$OUT" '"blob":"blobs'
check "query finds attestations by kind" 0 "$EA" query --store "$store" --kind attestation --format ndjson
assert "three attestations" python3 -c '
import sys; assert sum(1 for _ in open(sys.argv[1]))==3' "$OUT"
check "verify: records and blob sound" 0 "$EA" verify --store "$store" --pubkey key.pub
contains "verify counts the blob" "$OUT" "0 problems"

# A secret typed into a statement never reaches the store.
canary="ghp_$(printf 'A%.0s' $(seq 36))"
check "a statement with a token in it" 0 "$EA" attest --store canary --key key.pem \
    --kind other --control A.5.18 --statement "token was $canary, revoked" --by me --expires 1d
assert "the token is masked in the record" sh -c "! grep -rqF '$canary' canary && ! base64 -d canary/controls/A.5.18/*/*/*/*.json 2>/dev/null | grep -qF '$canary'"
assert "masked in the payload too" python3 - canary "$canary" <<'PY'
import base64, glob, json, sys
for f in glob.glob(sys.argv[1] + "/controls/*/*/*/*/*.json"):
    assert sys.argv[2] not in base64.b64decode(json.load(open(f))["payload"]).decode()
PY

# Every mistake: exit 2, a message naming the input, nothing stored.
bad() { # NAME EXPECTED_TEXT ARGS...
    local name=$1 text=$2
    shift 2
    check "$name" 2 "$EA" attest --store nothing --key key.pem "$@"
    contains "$name: the message" "$ERR" "$text"
    assert "$name: nothing stored" test ! -e nothing
}
good=(--control A.5.18 --statement ok --by me --expires 30d)
bad "no --kind" "--kind is required" --control A.5.18 --statement ok --by me --expires 30d
bad "an unknown kind" "'acces_review' is not an attestation kind (did you mean 'access_review'?" \
    --kind acces_review "${good[@]}"
bad "an unknown control" "--control: 'A.99.1': not an ISO/IEC 27001:2022 Annex A control" \
    --kind other --control A.99.1 --statement ok --by me --expires 30d
bad "no --control" "--control is required" --kind other --statement ok --by me --expires 30d
bad "no --by" "--by is required" --kind other --control A.5.18 --statement ok --expires 30d
bad "an empty --by" "--by is empty" --kind other --control A.5.18 --statement ok --by " " --expires 30d
bad "no --expires" "--expires is required" --kind other --control A.5.18 --statement ok --by me
bad "a bad duration" "--expires 90x: not a duration" --kind other --control A.5.18 --statement ok \
    --by me --expires 90x
bad "a zero duration" "--expires 0d: not a duration" --kind other --control A.5.18 --statement ok \
    --by me --expires 0d
bad "a past date" "--expires 2020-01-01: already past" --kind other --control A.5.18 \
    --statement ok --by me --expires 2020-01-01
bad "a bad date" "--expires 2027-02-30: not a date" --kind other --control A.5.18 \
    --statement ok --by me --expires 2027-02-30
bad "nothing attested" "--statement TEXT or --file FILE" --kind other --control A.5.18 --by me \
    --expires 30d
bad "a missing file" "--file: $WORK/none.pdf: no such file" --kind other --control A.5.18 \
    --file "$WORK/none.pdf" --by me --expires 30d
bad "a folder as the file" "a folder, where the attested file must be a file" --kind other \
    --control A.5.18 --file "$WORK" --by me --expires 30d
bad "a device as the file" "/dev/null: a device, pipe or socket" --kind other \
    --control A.5.18 --file /dev/null --by me --expires 30d
mkfifo fifo
bad "a FIFO as the file (never read, never hangs)" "a device, pipe or socket" --kind other \
    --control A.5.18 --file fifo --by me --expires 30d
if [ "$(id -u)" != 0 ]; then
    cp review.csv locked.csv && chmod 000 locked.csv
    bad "an unreadable file" "locked.csv: cannot read" --kind other --control A.5.18 \
        --file locked.csv --by me --expires 30d
fi
bad "--attach without --file" "--attach stores the --file" --kind other "${good[@]}" --attach
bad "a subject without a digest" "--subject repo: use NAME=SHA256" --kind other "${good[@]}" \
    --subject repo
truncate -s $((16 * 1024 * 1024 + 1)) big.bin
bad "a file too big to attach" "over the 16777216-byte limit of an attached file" --kind other \
    --control A.5.18 --file big.bin --attach --by me --expires 30d
check "the same file without --attach: hashed only" 0 "$EA" attest --store big --key key.pem \
    --kind other --control A.5.18 --file big.bin --by me --expires 30d
assert "its hash is recorded" grep -qF "$(sha256sum big.bin | cut -c1-64)" "$OUT"
assert "no blob stored" test ! -e big/blobs

# verify: an altered blob and a missing blob are failures.
cp -r "$store" altered
printf 'mallory,admin,keep\n' >>"altered/blobs/sha256/$sum"
check "verify fails an altered blob" 3 "$EA" verify --store altered --pubkey key.pub
contains "the blob is named" "$OUT" "FAIL altered/blobs/sha256/$sum: the blob's bytes hash to"
cp -r "$store" missing
rm "missing/blobs/sha256/$sum"
check "verify fails a missing blob" 3 "$EA" verify --store missing --pubkey key.pub
contains "the record naming it is named" "$OUT" "names the attached file blobs/sha256/$sum, which is not in the store"
check "one control: the named blob is read" 3 "$EA" verify --store missing --pubkey key.pub \
    --control A.8.2
contains "one control: missing too" "$OUT" "which is not in the store"
cp -r "$store" stray
printf 'x' >stray/blobs/sha256/notahash
check "verify fails a stray name under blobs/" 3 "$EA" verify --store stray --pubkey key.pub
contains "the stray is named" "$OUT" "not a blob name"

# report: evidence.require is "all of"; kinds and require take KIND:SUBKIND; an expired
# attestation is stale.
rstore=$WORK/rstore
make_repo repo
check "a commit filed under A.5.18" 0 "$EA" collect --store "$rstore" --key key.pem \
    --control A.5.18 git=repo
cat >soa.yaml <<'EOF'
organisation: Acme
controls:
  A.5.18:
    status: applied
    justification: Access rights are reviewed every quarter
    evidence:
      require: [git_commit, "attestation:access_review"]
      max_age: 90d
  A.8.13:
    status: applied
    justification: Restores are tested twice a year
    evidence: {kinds: ["attestation:restore_test"], max_age: 200d}
  A.5.7:
    status: applied
    justification: any attestation counts
    evidence: {kinds: [attestation]}
EOF
verdicts() { # FILE: "ID verdict [kinds=verdict ...]" per control
    python3 - "$1" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["controls"]:
    reqs = " ".join("%s=%s" % ("|".join(q["kinds"]), q["verdict"]) for q in c.get("requirements", []))
    print(c["id"], c["verdict"], reqs)
PY
}
check "report: nothing attested yet" 0 "$EA" report --soa soa.yaml --store "$rstore" --format json --out r1.json
verdicts r1.json >v1.txt
contains "require: the commit alone is not enough" v1.txt "A.5.18 missing git_commit=ok attestation:access_review=missing"
contains "a subkind asked, none there" v1.txt "A.8.13 missing"
check "a restore test is not an access review" 0 "$EA" attest --store "$rstore" --key key.pem \
    --kind restore_test --control A.5.18 --control A.8.13 --control A.5.7 --statement restored \
    --by ops --expires 1d
check "report: restore test only" 0 "$EA" report --soa soa.yaml --store "$rstore" --format json --out r2.json
verdicts r2.json >v2.txt
contains "the access review is still missing" v2.txt "A.5.18 missing git_commit=ok attestation:access_review=missing"
contains "attestation:restore_test counts for A.8.13" v2.txt "A.8.13 ok"
contains "a bare kind takes any attestation" v2.txt "A.5.7 ok"
check "the access review, for one day" 0 "$EA" attest --store "$rstore" --key key.pem \
    --kind access_review --control A.5.18 --statement "3 accounts reviewed" --by jane --expires 1d
check "report: every requirement met" 0 "$EA" report --soa soa.yaml --store "$rstore" --format json --out r3.json --gate
verdicts r3.json >v3.txt
contains "all of: both there and fresh" v3.txt "A.5.18 ok git_commit=ok attestation:access_review=ok"
assert "the report is schema-valid" python3 -c '
import json, sys
from jsonschema import Draft202012Validator
Draft202012Validator(json.load(open(sys.argv[2]))).validate(json.load(open(sys.argv[1])))' \
    r3.json "$EA_SOURCE_DIR/schemas/report.schema.json"
until=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
check "report three days on: the attestations expired" 4 "$EA" report --soa soa.yaml \
    --store "$rstore" --until "$until" --format json --out r4.json --gate
verdicts r4.json >v4.txt
contains "an expired attestation is stale, well within max_age" v4.txt "A.5.18 stale git_commit=ok attestation:access_review=stale"
contains "the expired restore test too" v4.txt "A.8.13 stale"
assert "the expired report is schema-valid" python3 -c '
import json, sys
from jsonschema import Draft202012Validator
Draft202012Validator(json.load(open(sys.argv[2]))).validate(json.load(open(sys.argv[1])))' \
    r4.json "$EA_SOURCE_DIR/schemas/report.schema.json"
assert "the row says expired" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
c=[c for c in r["controls"] if c["id"]=="A.5.18"][0]
assert c["latest"]["expired"] is True and c["latest"]["attestation"]=="access_review", c["latest"]' r4.json
check "the Markdown report names each requirement" 4 "$EA" report --soa soa.yaml \
    --store "$rstore" --until "$until" --format md --gate
contains "md: each of" "$OUT" "each of: git_commit (ok), attestation:access_review (stale)"
check "the HTML report marks the expired attestation" 4 "$EA" report --soa soa.yaml \
    --store "$rstore" --until "$until" --format html --gate
contains "html: expired" "$OUT" "attestation pass EXPIRED"
contains "html: requirement" "$OUT" "required: attestation:access_review: STALE"
badsoa() { # NAME EVIDENCE TEXT
    printf 'controls:\n  A.5.18:\n    status: applied\n    justification: j\n    evidence: %s\n' "$2" >bad.yaml
    check "$1" 2 "$EA" report --soa bad.yaml --store "$rstore"
    contains "$1: the message" "$ERR" "$3"
}
badsoa "a subkind of a kind without subkinds" '{kinds: ["git_commit:x"]}' \
    "bad.yaml:5: control A.5.18: evidence.kinds: 'git_commit:x': only attestation has subkinds"
badsoa "an unknown attestation kind" '{require: ["attestation:acces_review"]}' \
    "evidence.require: 'attestation:acces_review': 'acces_review' is not an attestation kind (did you mean 'access_review'?"
badsoa "an unknown kind in require" '{require: [acess]}' "evidence.require: 'acess' is not a record kind"
badsoa "an empty require" '{require: []}' "evidence.require must be a list of record kinds"
badsoa "a misspelt evidence key" '{requires: [git_commit]}' "evidence: unknown key 'requires' (kinds: any of them, require: all of them, max_age)"

# export: the attached file travels in the pack, check.sh checks it and recomputes the
# verdicts with evidence.require and attestation kinds.
cat >soa2.yaml <<'EOF'
controls:
  A.5.18:
    status: applied
    justification: Access rights are reviewed every quarter
    evidence: {require: ["attestation:access_review"], max_age: 90d}
EOF
check "export an attestation with its blob" 0 "$EA" export --store "$store" --control A.5.18 \
    --soa soa2.yaml --pubkey key.pub --key key.pem --out att-pack.tar.gz
mkdir att-pack && tar -xzf att-pack.tar.gz -C att-pack
assert "the blob is in the pack, unchanged" cmp review.csv "att-pack/audit-pack/blobs/sha256/$sum"
check "the pack checks itself" 0 att-pack/audit-pack/check.sh
contains "check.sh checks the blob" "$OUT" "yes blobs/sha256/$sum"
contains "check.sh recomputes the required attestation" "$OUT" "yes report: A.5.18 ok"
contains "the manifest states evidence.require" att-pack/audit-pack/manifest.json '"evidence_require"'
cp -r att-pack att-pack2
printf 'mallory,admin,keep\n' >>"att-pack2/audit-pack/blobs/sha256/$sum"
check "an altered blob fails the pack's check" 1 att-pack2/audit-pack/check.sh
contains "the altered blob is named" "$OUT" "no blobs/sha256/$sum: its bytes do not hash to its name"
check "export from a store missing the blob" 3 "$EA" export --store missing --control A.5.18 \
    --pubkey key.pub --key key.pem --out none.tar.gz
contains "export names the missing blob" "$ERR" "which is not in the store"
assert "no pack written" test ! -e none.tar.gz

# http(s) store: the blob goes to the peer agent's /v1/blobs/sha256/<hex>, through its spool,
# into the store it ships to, beside the record.
cat >d.yaml <<EOF
agent: {id: central, spool: spool-d, listen: "127.0.0.1:0", ingest_token_env: EA_TOKEN_D,
        trusted_keys: [key.pub]}
signing: {key: key.pem}
stores: [store-d]
EOF
export EA_TOKEN_D=token-for-the-attest-test
"$EA" daemon --config d.yaml 2>>d.log &
dpid=$!
SERVERS="$SERVERS $dpid"
dport=""
for _ in $(seq 100); do
    kill -0 "$dpid" 2>/dev/null || break
    dport=$(sed -n 's/.*"listening on [^"]*(port \([0-9]*\))".*/\1/p' d.log | tail -1)
    [ -n "$dport" ] && break
    sleep 0.1
done
if [ -n "$dport" ]; then
    pass
    check "attest to another agent's ingest with an attached file" 0 "$EA" attest \
        --store "http://127.0.0.1:$dport?token_env=EA_TOKEN_D" --key key.pem \
        --kind access_review --control A.5.18 --file review.csv --attach --by jane --expires 90d
    for _ in $(seq 100); do
        [ -e "store-d/blobs/sha256/$sum" ] && [ -n "$(find store-d/controls -name '*.json' 2>/dev/null)" ] && break
        sleep 0.2
    done
    assert "the peer stored the blob, byte for byte" cmp review.csv "store-d/blobs/sha256/$sum"
    check "verify the peer's store: record and blob" 0 "$EA" verify --store store-d --pubkey key.pub
    contains "the peer's store counts the blob" "$OUT" "0 problems"
    printf 'not the file' >wrong.bin
    got=$(curl -s -o "$OUT" -w '%{http_code}' -X POST -H "Authorization: Bearer $EA_TOKEN_D" \
        --data-binary @wrong.bin "http://127.0.0.1:$dport/v1/blobs/sha256/$sum")
    [ "$got" = 400 ] && pass || fail "a blob that does not hash to its name: $got, expected 400"
    contains "the peer says why" "$OUT" "not to its name"
    got=$(curl -s -o "$OUT" -w '%{http_code}' -X POST --data-binary @review.csv \
        "http://127.0.0.1:$dport/v1/blobs/sha256/$sum")
    [ "$got" = 401 ] && pass || fail "a blob without the token: $got, expected 401"
    kill "$dpid" 2>/dev/null
    wait "$dpid" 2>/dev/null
else
    fail "the ingest daemon did not start: $(tail -3 d.log)"
fi

# The README's worked example, run as written (the first sh block after its heading).
mkdir example && cd example || exit 1
cp ../key.pem ../key.pub . && printf 'person,access,decision\n' >q3-access-review.csv
python3 - "$EA_SOURCE_DIR/README.md" >example.sh <<'PY'
import sys
text = open(sys.argv[1]).read().split("### Worked example: an access review", 1)[1]
print(text.split("```sh\n", 1)[1].split("\n```", 1)[0])
PY
# the forge's answers for step 1 (acme/payments: two people, 2FA required), on loopback
cat >routes.json <<'JSON'
{"routes": [
 {"path": "/repos/acme/payments", "responses": [{"body": {"visibility": "private", "owner": {"login": "acme", "type": "Organization"}}}]},
 {"path": "/repos/acme/payments/collaborators", "query": {"affiliation": "all"}, "responses": [{"body": [{"login": "alice", "role_name": "admin"}, {"login": "bob", "role_name": "write"}]}]},
 {"path": "/repos/acme/payments/collaborators", "query": {"affiliation": "outside"}, "responses": [{"body": []}]},
 {"path": "/repos/acme/payments/collaborators", "responses": [{"body": [{"login": "alice"}]}]},
 {"path": "/repos/acme/payments/teams", "responses": [{"body": []}]},
 {"path": "/repos/acme/payments/keys", "responses": [{"body": []}]},
 {"path": "/repos/acme/payments/invitations", "responses": [{"body": []}]},
 {"path": "/repos/acme/payments/actions/permissions", "responses": [{"body": {"enabled": true, "allowed_actions": "selected"}}]},
 {"path": "/repos/acme/payments/actions/permissions/workflow", "responses": [{"body": {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": false}}]},
 {"path": "/repos/acme/payments/environments", "responses": [{"body": {"total_count": 0, "environments": []}}]},
 {"path": "/orgs/acme", "responses": [{"body": {"login": "acme", "two_factor_requirement_enabled": true, "default_repository_permission": "read", "members_can_create_public_repositories": false}}]},
 {"path": "/orgs/acme/members", "query": {"role": "admin"}, "responses": [{"body": [{"login": "alice"}]}]},
 {"path": "/orgs/acme/members", "query": {"filter": "2fa_disabled"}, "responses": [{"body": []}]}
]}
JSON
start_replay routes.json
check "the README's worked example runs" 0 env PATH="$(dirname "$EA"):$PATH" \
    GITHUB_TOKEN=ghp_CANARYexampleT0kenXXXXXXXXXXXXXXXXXXX GITHUB_API_URL="$REPLAY_URL" bash -e example.sh
stop_replay
contains "it reports the access record and the review" "$OUT" "each of: access (ok), attestation:access_review (ok)"
contains "and the control passes" "$OUT" "fresh, passing"
cd .. || exit 1

# S3: the blob goes beside the records in the bucket, and verify reads it from there.
if [ -x "$S3RVER" ]; then
    port=$(closed_port)
    start_s3rver "$port"
    export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
    url="s3://evidence/prod?endpoint=http://127.0.0.1:$port&region=us-east-1&path_style=1"
    check "attest to S3 with an attached file" 0 "$EA" attest --store "$url" --key key.pem \
        --kind access_review --control A.5.18 --file review.csv --attach --by jane --expires 90d
    check "verify from S3: the blob is there and sound" 0 "$EA" verify --store "$url" --pubkey key.pub
    contains "S3: blob, record and head counted" "$OUT" "3 objects, 1 record, 1 stream"
    check "query the S3 attestation" 0 "$EA" query --store "$url" --kind attestation --format ndjson
    contains "S3: the record names the blob" "$OUT" "blobs/sha256/$sum"
else
    echo "SKIP: s3rver is not installed at $S3RVER (ci/setup.sh installs it): S3 blobs not tested"
fi
finish
