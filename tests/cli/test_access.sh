#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the access collector against recorded GitHub answers on
# loopback, into a file store, twice — the second record names the first as
# its previous one and lists who was added and whose role changed (the
# access-review trail) — then a policy that fails exits 4 with --gate, and
# the records verify and are schema-valid.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
TOK=ghp_CANARYaccessCliT0kenXXXXXXXXXXXXXXXXX
cat >routes.json <<'JSON'
{"routes": [
 {"path": "/repos/acme/app", "responses": [{"body": {"visibility": "private", "owner": {"login": "acme", "type": "Organization"}}}]},
 {"path": "/repos/acme/app/collaborators", "query": {"affiliation": "all"}, "responses": [
   {"body": [{"login": "alice", "role_name": "admin"}, {"login": "bob", "role_name": "read"}]},
   {"body": [{"login": "alice", "role_name": "admin"}, {"login": "bob", "role_name": "write"}, {"login": "carol", "role_name": "maintain"}]}]},
 {"path": "/repos/acme/app/collaborators", "query": {"affiliation": "outside"}, "responses": [{"body": []}]},
 {"path": "/repos/acme/app/collaborators", "responses": [{"body": [{"login": "alice"}]}]},
 {"path": "/repos/acme/app/teams", "responses": [{"body": []}]},
 {"path": "/repos/acme/app/keys", "responses": [{"body": []}]},
 {"path": "/repos/acme/app/invitations", "responses": [{"body": []}]},
 {"path": "/repos/acme/app/actions/permissions", "responses": [{"body": {"enabled": true, "allowed_actions": "selected"}}]},
 {"path": "/repos/acme/app/actions/permissions/workflow", "responses": [{"body": {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": false}}]},
 {"path": "/repos/acme/app/environments", "responses": [{"body": {"total_count": 0, "environments": []}}]},
 {"path": "/orgs/acme", "responses": [{"body": {"login": "acme", "two_factor_requirement_enabled": true, "default_repository_permission": "read", "members_can_create_public_repositories": false}}]},
 {"path": "/orgs/acme/members", "query": {"role": "admin"}, "responses": [{"body": [{"login": "alice"}]}]},
 {"path": "/orgs/acme/members", "query": {"filter": "2fa_disabled"}, "responses": [{"body": []}]}
]}
JSON
start_replay routes.json
run() { env GITHUB_TOKEN=$TOK GITHUB_API_URL="$REPLAY_URL" "$EA" "$@"; }

check "access: the first record" 0 run collect --store store --key key.pem access=repo:acme/app
contains "access: filed under its controls" "$ERR" "access controls=A.5.15,A.5.17,A.5.18,A.8.2,A.8.3,A.8.5,A.8.30,A.8.31"
contains "access: a pass" "$ERR" "result=pass"
check "access: the second record, with --gate" 0 run collect --gate --store store --key key.pem \
    access=repo:acme/app
check "access: query" 0 "$EA" query --store store --control A.8.2 --kind access --format ndjson
cp "$OUT" access.ndjson
assert "access: the second record's diff names the first" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
recs = sorted(rows, key=lambda r: r["statement"]["predicate"]["agent"]["sequence"])
assert len(recs) == 2, len(recs)
first, second = (r["statement"]["predicate"]["data"] for r in recs)
assert first["drift"]["previous_id"] is None and first["drift"]["added"] == [], first["drift"]
d = second["drift"]
assert d["previous_id"] == recs[0]["id"], (d, recs[0]["id"])
assert d["added"] == [{"who": "user:carol", "role": "maintain"}], d
assert d["changed"] == [{"who": "user:bob", "from": "read", "to": "write"}], d
assert d["removed"] == [], d
' access.ndjson
lacks "access: no token in the store" access.ndjson "$TOK"
check "access: a broken rule fails the gate" 4 run collect --gate --dry-run --key key.pem \
    --set access.max_admins=0 access=repo:acme/app
contains "access: the gate says why" "$ERR" "gate"
payloads "$OUT" >gate.payloads
contains "access: the reason is recorded" gate.payloads "1 people with admin rights, the policy allows at most 0: alice"
check "access: a bad scope is a usage error" 2 run collect --dry-run --key key.pem access=repository:acme
contains "access: the usage names the scopes" "$ERR" "access=org:NAME"
check "access: collect --help lists it" 0 "$EA" collect --help
contains "access: its options listed" "$OUT" "require_environment_reviewers"
check "access: the records verify" 0 "$EA" verify --store store --pubkey key.pub
assert "access: the records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" store
stop_replay
finish
