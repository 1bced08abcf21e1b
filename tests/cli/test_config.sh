#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the config collector on files written here (Kubernetes, a
# Terraform plan, GitHub Actions and GitLab CI workflows, YAML with anchors
# and a secret, a binary file, a broken YAML), drift against the previous
# record (one edited value seen by its path; a reformat is not drift), drift
# against a baseline (the gate), and the shared Kubernetes and Terraform
# fixtures. Records verify, are schema-valid and hold no secret.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
store=$WORK/store
make_repo repo
mkdir -p repo/deploy repo/.github/workflows repo/infra
cat >repo/deploy/app.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments, namespace: prod}
spec:
  replicas: 3
  template:
    spec:
      hostNetwork: true
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: registry.example.com/payments@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          securityContext: {readOnlyRootFilesystem: true}
        - name: sidecar
          image: busybox:1.36
          securityContext: {privileged: true, readOnlyRootFilesystem: true}
---
apiVersion: v1
kind: Service
metadata: {name: payments}
EOF
cat >repo/deploy/settings.yaml <<'EOF'
defaults: &defaults
  timeout: 30
  retries: 2
db:
  <<: *defaults
  host: db.internal
  password: hunter2-CANARY-config
  token: ghp_CANARYconfigTOKEN0123456789abcdefghij
replicas: 3
EOF
printf '\x00\x01binary\xff' >repo/deploy/blob.bin
printf 'a: [1, 2\n' >repo/deploy/broken.yaml
cat >repo/infra/plan.json <<'EOF'
{"format_version": "1.2", "terraform_version": "1.6.0", "resource_changes": [
 {"address": "aws_s3_bucket.logs", "change": {"actions": ["create"]}},
 {"address": "aws_iam_role.ci", "change": {"actions": ["update"]}},
 {"address": "aws_instance.old", "change": {"actions": ["delete"]}},
 {"address": "aws_db_instance.main", "change": {"actions": ["delete", "create"]}},
 {"address": "aws_vpc.main", "change": {"actions": ["no-op"]}}]}
EOF
cat >repo/.github/workflows/ci.yml <<'EOF'
name: ci
on:
  pull_request_target:
    branches: [main]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    permissions: {pull-requests: write}
    steps:
      - uses: actions/checkout@v4
      - uses: some-vendor/deploy-action@v1
      - uses: other/pinned@0123456789abcdef0123456789abcdef01234567
      - uses: ./local-action
      - run: make
EOF
cat >repo/.gitlab-ci.yml <<'EOF'
include:
  - remote: https://example.com/ci/common.yml
  - project: group/templates
    ref: main
    file: /build.yml
build:
  image: node:20
  script: [npm ci]
EOF

check "config: every file" 0 "$EA" collect --store "$store" --key key.pem \
    config='repo/deploy/*' config=repo/infra/plan.json config='repo/.github/workflows/*.yml' \
    config=repo/.gitlab-ci.yml
contains "one record per file" "$ERR" "7 records stored"
check "config: the same, dry run" 0 "$EA" collect --dry-run --key key.pem \
    config='repo/deploy/*' config=repo/infra/plan.json config='repo/.github/workflows/*.yml' \
    config=repo/.gitlab-ci.yml
payloads "$OUT" >snap.json
assert "config: kinds and facts" python3 - snap.json <<'PY'
import json, sys
by = {}
for l in open(sys.argv[1]):
    st = json.loads(l); d = st["predicate"]["data"]; by[d["path"]] = (st, d)
st, d = by["deploy/app.yaml"]
assert d["kind"] == "kubernetes" and d["documents"] == 2 and d["format"] == "yaml", d
o = d["facts"]["objects"][0]
assert (o["kind"], o["name"], o["namespace"]) == ("Deployment", "payments", "prod"), o
assert [i["pinned_by_digest"] for i in o["images"]] == [True, False], o["images"]
assert o["privileged"] and o["host_network"] and o["run_as_non_root"] and o["read_only_root_filesystem"], o
assert d["facts"]["objects"][1]["kind"] == "Service"
st, d = by["infra/plan.json"]
f = d["facts"]
assert d["kind"] == "terraform_plan" and (f["create"], f["update"], f["delete"], f["replace"], f["no_op"]) == (1, 1, 1, 1, 1), f
assert "aws_db_instance.main" in f["addresses_changed"] and "aws_vpc.main" not in f["addresses_changed"], f
st, d = by[".github/workflows/ci.yml"]
f = d["facts"]
assert d["kind"] == "github_actions" and f["pull_request_target"] and f["permissions"] == {"contents": "read"}, f
assert f["job_permissions"] == {"build": {"pull-requests": "write"}}, f
assert [(u["uses"], u["third_party"]) for u in f["unpinned_actions"]] == [("actions/checkout@v4", False), ("some-vendor/deploy-action@v1", True)], f
st, d = by[".gitlab-ci.yml"]
assert d["kind"] == "gitlab_ci" and d["facts"]["unpinned_includes"] == ["https://example.com/ci/common.yml", "group/templates@main"], d["facts"]
assert d["facts"]["unpinned_images"] == ["build: node:20"], d["facts"]
st, d = by["deploy/blob.bin"]
assert d["format"] == "binary" and d["canonical_sha256"] is None and d["leaves"] is None, d
st, d = by["deploy/broken.yaml"]
assert st["predicate"]["result"] == "error" and "broken.yaml:" in d["error"], d
st, d = by["deploy/settings.yaml"]
assert "db.timeout" in d["leaves"] and "db.password" in d["leaves"], d["leaves"]  # the merge key expanded
# a file holding a secret: its digest is of the redacted text, so guesses cannot be confirmed
import hashlib
raw = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
assert d["sha256_of"] == "redacted" and d["sha256"] != raw("repo/deploy/settings.yaml"), d["sha256"]
assert st["subject"][0]["digest"]["sha256"] == d["sha256"], st["subject"]
st, d = by["deploy/app.yaml"]  # nothing masked: the file's own SHA-256 (sha256sum)
assert d["sha256_of"] == "file" and d["sha256"] == raw("repo/deploy/app.yaml"), d["sha256"]
assert d["repository"].endswith("acme/app.git") and "CANARY" not in d["repository"], d["repository"]
assert all(s["predicate"]["kind"] == "config_state" and s["predicate"]["controls"] == ["A.8.9"] for s, _ in by.values())
assert all(d["drift"]["changed"] is False and d["drift"]["previous_id"] is None for _, d in by.values())
PY
lacks "no secret value in the records" snap.json "hunter2"
lacks "no token in the records" snap.json "CANARYconfigTOKEN"

# --- drift against the previous record: one edited value, seen by its path
sed -i 's/^replicas: 3/replicas: 4/' repo/deploy/settings.yaml
check "config: after an edit" 0 "$EA" collect --store "$store" --key key.pem config=repo/deploy/settings.yaml
check "config: after an edit (dry run needs the store: query it)" 0 "$EA" query --store "$store" \
    --kind config_state --format ndjson
assert "drift: exactly the edited path" python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l)["statement"]["predicate"] for l in open(sys.argv[1])]
mine = [p for p in rows if p["data"]["path"] == "deploy/settings.yaml"]
d = mine[-1]["data"]["drift"]
assert d["changed"] and d["previous_id"] and d["paths"] == {"added": [], "removed": [], "modified": ["replicas"], "paths_truncated": False}, d
PY
# a reformat (indentation, key order, comments, quoting) is not drift
cat >repo/deploy/settings.yaml <<'EOF'
# reformatted, same values
replicas: "4"
defaults: &defaults {retries: 2, timeout: 30}
db:
    <<: *defaults
    token: ghp_CANARYconfigTOKEN0123456789abcdefghij
    password: hunter2-CANARY-config
    host: "db.internal"
EOF
check "config: after a reformat" 0 "$EA" collect --store "$store" --key key.pem config=repo/deploy/settings.yaml
"$EA" query --store "$store" --kind config_state --format ndjson >rows.json 2>/dev/null
assert "a reformat is not drift" python3 - rows.json <<'PY'
import json, sys
rows = [json.loads(l)["statement"]["predicate"] for l in open(sys.argv[1])]
d = [p for p in rows if p["data"]["path"] == "deploy/settings.yaml"][-1]["data"]["drift"]
assert d["changed"] is False and d["previous_id"], d
PY
# a changed secret alone is masked, hence not drift (documented), and never recorded
sed -i 's/hunter2-CANARY-config/another-CANARY-secret/' repo/deploy/settings.yaml
check "config: a secret rotated" 0 "$EA" collect --dry-run --key key.pem config=repo/deploy/settings.yaml
payloads "$OUT" >rot.json
lacks "the new secret is not recorded" rot.json "another-CANARY-secret"

# a list or a map under a secret-looking key is masked whole: no digest of its items
printf 'api_tokens: [s3cr3t-CANARY-one, s3cr3t-CANARY-two]\ncredentials: {user: a, pass: b}\nport: 1\n' >listsecret.yaml
check "config: secrets in lists" 0 "$EA" collect --dry-run --key key.pem config=listsecret.yaml
payloads "$OUT" >ls.json
assert "a secret list is one masked leaf" python3 -c '
import json,sys; l=json.loads(open(sys.argv[1]).readline())["predicate"]["data"]["leaves"]
assert sorted(l)==["api_tokens","credentials","port"], l' ls.json

# --- drift against an approved baseline, and the gate
cp repo/deploy/settings.yaml approved.yaml
check "baseline: same values pass" 0 "$EA" collect --dry-run --key key.pem --gate \
    --baseline approved.yaml config=repo/deploy/settings.yaml
sed -i 's/timeout: 30/timeout: 60/' repo/deploy/settings.yaml
check "baseline: drift fails the gate" 4 "$EA" collect --dry-run --key key.pem --gate \
    --baseline approved.yaml config=repo/deploy/settings.yaml
payloads "$OUT" >base.json
assert "baseline: the drifted path" python3 -c '
import json,sys; d=json.loads(open(sys.argv[1]).readline())["predicate"]["data"]["baseline"]
assert d["drift"] and d["paths"]["modified"]==["defaults.timeout", "db.timeout"], d' base.json

# --- a broken JSON file: its error names line and column, never the text at the error
printf '{"db": {"password": FAKEjsonBare0123}}\n' >bad1.json
check "config: a JSON syntax error" 0 "$EA" collect --dry-run --key key.pem config=bad1.json
payloads "$OUT" >bad1.out
assert "the parse error quotes no content" python3 -c '
import json, sys
t = open(sys.argv[1]).read() + open(sys.argv[2]).read()
d = json.loads(open(sys.argv[1]).readline())["predicate"]["data"]
assert "FAKEjson" not in t, t
assert d["error"].startswith("bad1.json:1:") and "invalid token" in d["error"], d["error"]' bad1.out "$ERR"

# --- leaf digests are keyed by the signing key: a short value cannot be guessed from its digest
printf 'db:\n  auth: FAKEpw12\n  port: 5432\n' >keyed.yaml
"$EA" keygen --private key2.pem --public key2.pub >/dev/null 2>&1
check "config: leaf digests (key 1)" 0 "$EA" collect --dry-run --key key.pem config=keyed.yaml
payloads "$OUT" >keyed1.json
check "config: leaf digests (key 1, again)" 0 "$EA" collect --dry-run --key key.pem config=keyed.yaml
payloads "$OUT" >keyed1b.json
check "config: leaf digests (key 2)" 0 "$EA" collect --dry-run --key key2.pem config=keyed.yaml
payloads "$OUT" >keyed2.json
assert "leaf digests: keyed, stable for one key" python3 -c '
import hashlib, json, sys
l1, l1b, l2 = (json.loads(open(f).readline())["predicate"]["data"]["leaves"] for f in sys.argv[1:4])
plain = lambda v: hashlib.sha256(json.dumps(v).encode()).hexdigest()[:16]
assert l1["db.auth"] != plain("FAKEpw12") and l1["db.port"] != plain(5432), l1
assert l1 == l1b, (l1, l1b)
assert l1["db.auth"] != l2["db.auth"] and len(l1["db.auth"]) == 16, (l1, l2)' keyed1.json keyed1b.json keyed2.json

# --- bad input
check "config: a glob matching nothing" 2 "$EA" collect --dry-run --key key.pem config='nowhere/*.yaml'
contains "says it matched nothing" "$ERR" "matched no file"
check "config: no glob" 2 "$EA" collect --dry-run --key key.pem config
check "config: a missing baseline" 2 "$EA" collect --dry-run --key key.pem --baseline nosuch.yaml config=approved.yaml
contains "names the baseline" "$ERR" "nosuch.yaml"

# --- an unreadable file: named, exit 2, checked before anything runs, nothing stored
ln -s /nonexistent/target repo/deploy/dangling.yaml
check "config: an unreadable file" 2 "$EA" collect --store "$WORK/store2" --key key.pem \
    "git=$WORK/repo" config='repo/deploy/*'
contains "names the unreadable file" "$ERR" "dangling.yaml: no such file"
assert "nothing stored, not even the git record" test ! -e "$WORK/store2"
rm repo/deploy/dangling.yaml
# issue 15 item 9: a folder or a device where files are needed is refused, not 0 records
check "config=FOLDER is refused" 2 "$EA" collect --dry-run --key key.pem config=repo/deploy
contains "a folder: says to give files" "$ERR" "matched only folders"
check "config=/dev/zero is refused" 2 timeout 20 "$EA" collect --dry-run --key key.pem config=/dev/zero
contains "a device: named" "$ERR" "/dev/zero: a device, pipe or socket"
check "pipeline=/dev/zero is refused" 2 timeout 20 "$EA" collect --dry-run --key key.pem pipeline=/dev/zero
contains "a device log: named" "$ERR" "/dev/zero: a device, pipe or socket"
check "pipeline=FOLDER is refused" 2 "$EA" collect --dry-run --key key.pem pipeline=repo
contains "a folder log: named" "$ERR" "a folder, where the job log must be a file"

# --- a large Terraform plan (20,000 resources): counted as jq counts it
python3 - big-plan.json <<'PY2'
import json, sys
acts = [["create"], ["update"], ["delete"], ["delete", "create"], ["no-op"]]
rc = [{"address": f"aws_instance.x[{i}]", "change": {"actions": acts[i % 5], "after": {"tags": {"k": "v" * 100}}}} for i in range(20000)]
json.dump({"format_version": "1.2", "terraform_version": "1.6.0", "resource_changes": rc}, open(sys.argv[1], "w"))
PY2
check "config: a large plan" 0 "$EA" collect --dry-run --key key.pem config=big-plan.json
payloads "$OUT" >big.json
assert "large plan: counts, addresses capped, leaves capped" python3 -c '
import json,sys; d=json.loads(open(sys.argv[1]).readline())["predicate"]["data"]; f=d["facts"]
assert (f["create"],f["update"],f["delete"],f["replace"],f["no_op"])==(4000,4000,4000,4000,4000), f
assert len(f["addresses_changed"])==200 and f["addresses_truncated"] and d["leaves_truncated"], d["leaves_truncated"]' big.json

# --- the shared fixtures: every Kubernetes manifest, the Terraform plan
SHARED=${EA_FIXTURES_DIR:-$EA_SOURCE_DIR/../shared/fixtures}
if [ -d "$SHARED/k8s" ]; then
    check "shared kubernetes manifests" 0 "$EA" collect --dry-run --key key.pem config="$SHARED/k8s/*.yaml"
    payloads "$OUT" >k8s.json
    assert "every manifest is kubernetes, privileged and hostNetwork ones found" python3 - k8s.json <<'PY'
import json, sys
rows = [json.loads(l)["predicate"]["data"] for l in open(sys.argv[1])]
assert rows and all(r["kind"] == "kubernetes" for r in rows), [(r["path"], r["kind"]) for r in rows]
objs = {r["path"].rsplit("/", 1)[-1]: r["facts"]["objects"] for r in rows}
assert any(o.get("privileged") for o in objs["multi-doc-privileged-container.yaml"])
assert any(o.get("host_network") for o in objs["host-network.yaml"])
PY
    check "shared terraform plan" 0 "$EA" collect --dry-run --key key.pem config="$SHARED/terraform/plan-show-json.json"
    payloads "$OUT" >tf.json
    assert "terraform counts agree with jq" python3 - tf.json "$SHARED/terraform/plan-show-json.json" <<'PY'
import json, subprocess, sys
f = json.loads(open(sys.argv[1]).readline())["predicate"]["data"]["facts"]
j = json.loads(subprocess.run(["jq", "-c", '[.resource_changes[].change.actions | if length == 2 then "replace" else .[0] end] | group_by(.) | map({(.[0]): length}) | add // {}', sys.argv[2]], capture_output=True, text=True, check=True).stdout)
got = {k: f[k if k != "no-op" else "no_op"] for k in ("create", "update", "delete", "replace")}
want = {k: j.get(k, 0) for k in ("create", "update", "delete", "replace")}
assert got == want, (got, want)
PY
    # GitLab's recorded protected branch and approval settings, served on loopback
    python3 - "$SHARED/gitlab" >glroutes.json <<'PY2'
import json, sys
d = sys.argv[1]
pb = json.load(open(d + "/protected-branch.json"))
ap = json.load(open(d + "/project-approvals-config.json"))
print(json.dumps({"routes": [
    {"path": "/api/v4/projects/7/protected_branches", "responses": [{"status": 200, "body": [pb]}]},
    {"path": "/api/v4/projects/7/approvals", "responses": [{"status": 200, "body": ap}]}]}))
PY2
    start_replay glroutes.json
    check "branch-protection on GitLab's recorded settings" 0 env -u GITHUB_ACTIONS GITLAB_CI=true \
        CI_PROJECT_ID=7 GITLAB_TOKEN=glpat-CANARY-recorded "CI_API_V4_URL=$REPLAY_URL/api/v4" \
        "$EA" collect --dry-run --key key.pem --gate branch-protection=develop
    stop_replay
    payloads "$OUT" >glbp.json
    assert "recorded GitLab protection normalised" python3 -c '
import json,sys; d=json.loads(open(sys.argv[1]).readline())["predicate"]["data"]; e=d["effective"]
assert d["setting"]=="branch_protection" and e["protected"] and e["required_approvals"]==2 and e["dismiss_stale_reviews"], e
assert e["force_pushes_allowed"] is False and e["bypass"][0]["actor_id"]=="Masters", e' glbp.json
    lacks "no GitLab token in the record" glbp.json "CANARY-recorded"
else
    echo "SKIP: ../shared/fixtures not present; the shared manifests were not read"
fi

# --- no digest confirms a guessed secret: a named entry's value, a key only the document
# rules know (password_1), a YAML anchor's value used under a secret key (review 13: 10-12)
mkdir -p guess
printf 'env:\n- name: DB_PASSWORD\n  value: hunter2x\n' >guess/pod.yaml
printf 'db:\n  password_1: hunter2x\n' >guess/pw1.yaml
printf 'base: &pw hunter2x\ndb:\n  password: *pw\n' >guess/anchor.yaml
check "config: secrets only the documents show" 0 "$EA" collect --dry-run --key key.pem config='guess/*'
payloads "$OUT" >guess.json
assert "config: no digest of a guess" python3 - guess.json <<'PY'
import hashlib, json, sys
h = lambda b: hashlib.sha256(b).hexdigest()
canon = lambda o: h(json.dumps(o, sort_keys=True, separators=(",", ":")).encode())
guesses = {
    "pod.yaml": [{"env": [{"name": "DB_PASSWORD", "value": "hunter2x"}]}],
    "pw1.yaml": [{"db": {"password_1": "hunter2x"}}],
    "anchor.yaml": [{"base": "hunter2x", "db": {"password": "hunter2x"}},
                    {"base": "hunter2x", "db": {"password": "[MASKED]"}}],
}
seen = 0
for l in open(sys.argv[1]):
    d = json.loads(l)["predicate"]["data"]
    name = d["path"].rsplit("/", 1)[-1]
    raw = h(open("guess/" + name, "rb").read())
    assert d["sha256"] != raw and d["sha256_of"] == "redacted", (name, d["sha256_of"])
    for g in guesses[name]:
        assert d["canonical_sha256"] != canon(g), (name, "canonical confirms the guess")
    seen += 1
assert seen == 3, seen
PY
lacks "config: no guessed secret in the records" guess.json "hunter2x"

# --- nor one the redactor cannot take as a literal: shorter than 4 bytes, or past its 256th
# value (review 13, residual leak b): two files differing only in that secret hash alike
mkdir -p short1 short2
for d in 1 2; do
    v=$([ $d = 1 ] && echo ab1 || echo zq7)
    printf 'db:\n  password_1: %s\n' "$v" >short$d/key.yaml
    printf 'base: &pw %s\ndb:\n  password: *pw\n' "$v" >short$d/anchor.yaml
    { for i in $(seq 1 300); do printf 'password_%d: value%04d%s\n' "$i" "$i" \
        "$([ "$i" = 300 ] && echo "$v")"; done; } >short$d/many.yaml
done
check "config: short secrets, 1" 0 "$EA" collect --dry-run --key key.pem config='short1/*'
payloads "$OUT" >short1.json
check "config: short secrets, 2" 0 "$EA" collect --dry-run --key key.pem config='short2/*'
payloads "$OUT" >short2.json
assert "config: a short or 257th secret changes no digest" python3 - short1.json short2.json <<'PY'
import json, sys
def load(f):
    out = {}
    for l in open(f):
        d = json.loads(l)["predicate"]["data"]
        out[d["path"].rsplit("/", 1)[-1]] = d
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert sorted(a) == ["anchor.yaml", "key.yaml", "many.yaml"], sorted(a)
for name in a:
    for field in ("sha256", "canonical_sha256"):
        assert a[name][field] == b[name][field], (name, field)
    assert a[name]["sha256_of"] == "redacted", name
PY

# parse_max: a sidecar with a small memory limit parses only small files; larger ones are hashed
check "config: parse_max=100 (bytes) hashes the plan instead of parsing it" 0 "$EA" collect --dry-run \
    --key key.pem --set config.parse_max=100 config=repo/infra/plan.json
payloads "$OUT" >pm.json
contains "config: the plan is too_large under parse_max" pm.json '"format":"too_large"'
check "config: the default parses it" 0 "$EA" collect --dry-run --key key.pem config=repo/infra/plan.json
payloads "$OUT" >pm2.json
contains "config: parsed as json by default" pm2.json '"format":"json"'
check "config: parse_max above 64MiB is refused" 2 "$EA" collect --dry-run --key key.pem \
    --set config.parse_max=1GiB config=repo/infra/plan.json
contains "config: it says the range" "$ERR" "parse_max must be bytes, from 1 to 64MiB"
check "config: parse_max that is not a size is refused" 2 "$EA" collect --dry-run --key key.pem \
    --set config.parse_max=lots config=repo/infra/plan.json

check "config records verify" 0 "$EA" verify --store "$store" --pubkey key.pub
assert "config records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$store"
finish
