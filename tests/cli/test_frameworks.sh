#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the other frameworks answered from the Annex A store. The framework
# list and aliases, one framework's requirements with their mapped controls, the
# crosswalk of one Annex A control, and unknown frameworks and requirement IDs
# (exit 2, naming the nearest valid ones). Reports per framework on a store built
# through collect: each verdict (covered, partial, uncovered, n/a, unmapped) for
# chosen requirements of every framework, in JSON (against its schema), Markdown
# and HTML, and the gate. Evidence asked for by framework IDs (collect --control
# FRAMEWORK:ID, a daemon's controls:): filed under the mapped Annex A controls,
# the record naming the framework ID, verified, and answering that requirement.
# An SoA declaring frameworks: gets a per-framework summary, gated by --gate.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1

check "the framework list" 0 "$EA" controls --frameworks
for fw in soc2-tsc-2017 nis2 cra-annex-i nist-800-53r5 nist-csf-2.0; do
    contains "framework $fw listed" "$OUT" "$fw"
done
check "aliases are accepted" 0 "$EA" controls --framework soc2 CC8.1
contains "CC8.1 listed" "$OUT" "CC8.1      Authorise, test, approve and implement changes"
contains "CC8.1 maps to A.8.32 as related, medium" "$OUT" "A.8.32  related, medium confidence: Change management"
lacks "no other requirement" "$OUT" "CC7.1"
contains "the caveat is printed" "$OUT" "not that one satisfies the other"
check "full names too" 0 "$EA" controls --framework nist-800-53r5 CM-3
contains "800-53 CM-3 mapped to A.8.32 with high confidence" "$OUT" "A.8.32  related, high confidence"
check "csf alias" 0 "$EA" controls --framework csf ID.RA-07
contains "csf ID.RA-07 maps to A.8.32" "$OUT" "A.8.32  related, medium confidence"
check "cra alias; CRA rows are low-confidence transitive hints" 0 "$EA" controls --framework cra 'I.2(a)'
contains "CRA rows say how they were derived" "$OUT" "related, low confidence, transitive via"
check "an Annex A ID finds the requirements it is mapped to" 0 "$EA" controls --framework nis2 A.8.32
contains "nis2 21(2)(e) for A.8.32" "$OUT" "21(2)(e)"
contains "nis2 CIR-6.4 for A.8.32" "$OUT" "CIR-6.4"
check "a requirement without a mapping says so" 0 "$EA" controls --framework soc2 P1.1
contains "no mapping said" "$OUT" "(no Annex A control mapped in the reference data)"

check "crosswalk of A.8.32" 0 "$EA" controls A.8.32 --crosswalk
contains "soc2 CC8.1" "$OUT" "CC8.1      related, medium confidence"
contains "nis2 21(2)(e) low" "$OUT" "21(2)(e)   related, low confidence"
contains "800-53 CM-3" "$OUT" "CM-3       related, high confidence"
contains "csf ID.RA-07" "$OUT" "ID.RA-07   related, medium confidence"
contains "cra: none" "$OUT" "(none in the reference data)"
lacks "never an equivalence" "$OUT" "equal"
check "crosswalk of a 2013 ID names the 2022 control" 0 "$EA" controls A.12.1.2 --crosswalk --framework soc2
contains "A.8.32 via the 2013 map" "$OUT" "A.8.32 Change management"
lacks "only soc2 with --framework" "$OUT" "nist-800-53r5"
check "crosswalk without an ID" 2 "$EA" controls --crosswalk
contains "says what is needed" "$ERR" "--crosswalk needs an Annex A ID"
check "crosswalk of an unknown control" 2 "$EA" controls A.8.99 --crosswalk
contains "nearest control" "$ERR" "did you mean"

check "unknown framework" 2 "$EA" controls --framework soc3
contains "nearest framework" "$ERR" "'soc3': not a framework (did you mean soc2?"
contains "every framework named" "$ERR" "nist-csf-2.0 (csf)"
check "unknown requirement ID" 2 "$EA" controls --framework soc2 CC8.9
contains "nearest requirements" "$ERR" "'CC8.9': not a requirement of soc2-tsc-2017 (did you mean CC8.1"
check "a word that matches nothing" 1 "$EA" controls --framework nis2 zebra

# --- report --framework: a store built through collect with known evidence ---
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
make_repo repo
store=$WORK/store
check "git evidence (A.8.32, A.8.4; A.8.8 added)" 0 "$EA" collect --store "$store" --key key.pem \
    --control A.8.8 git=repo
check "a failing secrets scan (A.8.12)" 0 "$EA" collect --store "$store" --key key.pem \
    scan="$EA_SOURCE_DIR/tests/collectors/scan/gitleaks.json"
cat >soa.yaml <<'YAML'
organisation: Acme Payments
scope: CI/CD
controls:
  A.8.32: {status: applied, justification: reviewed changes, evidence: {kinds: [git_commit], max_age: 7d}}
  A.8.4: {status: applied, justification: forge access}
  A.8.8: {status: applied, justification: dependency scanning}
  A.8.12: {status: applied, justification: secret scanning}
  A.8.9: {status: applied, justification: configuration in git, evidence: {kinds: [config_state]}}
  A.6.3: {status: planned, justification: training roadmap}
  A.7.1: {status: excluded, justification: no own premises}
  A.5.8: {status: excluded, justification: no projects outside the platform}
YAML
# Each framework: requirement -> expected verdict (see the mapping rows in schemas/frameworks/).
expect_framework() { # FILE FRAMEWORK: the JSON framework report holds the expected verdicts
    python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = {
  "soc2-tsc-2017": {"CC8.1": "partial",     # A.8.32 ok, A.8.9 missing, A.5.8 excluded, rest unnamed
                    "CC6.7": "n/a",         # A.7.1 excluded, A.6.7 not named
                    "CC6.4": "n/a",
                    "P1.1": "unmapped"},
  "nis2": {"CIR-6.4": "covered",            # A.8.32 ok, A.7.13 not named
           "21(2)(g)": "uncovered",         # A.6.3 planned only
           "CIR-6.3": "uncovered",          # A.8.9 missing
           "21(2)(f)": "unmapped"},
  "cra-annex-i": {"II.7": "covered",        # A.8.8 ok (low confidence), A.5.1 not named
                  "I.2(d)": "n/a"},         # none of its controls named
  "nist-800-53r5": {"CM-3": "partial", "AC-3(11)": "covered", "SI-20": "uncovered",
                    "PE-3": "n/a"},
  "nist-csf-2.0": {"ID.RA-07": "covered", "PR.AT-01": "uncovered", "GV": "unmapped"},
}[sys.argv[2]]
assert r["framework"]["name"] == sys.argv[2], r["framework"]
reqs = {q["id"]: q for q in r["requirements"]}
got = {k: reqs[k]["verdict"] for k in want}
assert got == want, got
for q in r["requirements"]:
    for m in q["mappings"]:
        assert m["relationship"] == "related" and m["confidence"] in ("high", "medium", "low"), m
s = r["summary"]
assert s["requirements"] == len(r["requirements"]) == sum(s[k] for k in ("covered", "partial", "uncovered", "n/a", "unmapped")), s
if sys.argv[2] == "soc2-tsc-2017":
    m = {x["control"]: x for x in reqs["CC8.1"]["mappings"]}
    assert m["A.8.32"]["status"] == "applied" and m["A.8.32"]["verdict"] == "ok" and m["A.8.32"]["records"] == 1, m
    assert m["A.8.9"]["verdict"] == "missing" and m["A.5.8"]["status"] == "excluded", m
    assert m["A.8.25"]["status"] == "not in the SoA", m
    assert reqs["CC6.4"]["note"] == "every mapped control is excluded by the SoA" or "excluded" in reqs["CC6.4"]["note"], reqs["CC6.4"]
if sys.argv[2] == "cra-annex-i":
    assert reqs["II.7"]["best_confidence"] == "low", reqs["II.7"]
    assert all(m["via"] for m in reqs["II.7"]["mappings"]), reqs["II.7"]
    assert reqs["I.2(d)"]["note"] == "none of its mapped controls is named by the SoA", reqs["I.2(d)"]
if sys.argv[2] == "nis2":
    assert reqs["21(2)(g)"]["note"] == "no mapped control is applied (1 planned)", reqs["21(2)(g)"]
PY
}
for fw in soc2 nis2 cra 800-53 csf; do
    check "report --framework $fw (json)" 0 "$EA" report --soa soa.yaml --store "$store" \
        --framework $fw --format json --pubkey key.pub --out $fw.json
done
assert "soc2 verdicts" expect_framework soc2.json soc2-tsc-2017
assert "nis2 verdicts" expect_framework nis2.json nis2
assert "cra verdicts" expect_framework cra.json cra-annex-i
assert "800-53 verdicts" expect_framework 800-53.json nist-800-53r5
assert "csf verdicts" expect_framework csf.json nist-csf-2.0
for fw in soc2 nis2 cra 800-53 csf; do
    assert "$fw json: valid against schemas/framework-report.schema.json" python3 -c '
import json,jsonschema,sys
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' $fw.json "$EA_SOURCE_DIR/schemas/framework-report.schema.json"
done
check "report --framework soc2 (md)" 0 "$EA" report --soa soa.yaml --store "$store" --framework soc2
contains "md: the caveat" "$OUT" "A mapping is guidance, not certification"
contains "md: CC8.1 partial, why" "$OUT" "| CC8.1 Authorise, test, approve and implement changes | PARTIAL | 1 of 2 applied controls ok; 1 excluded; 4 not named by the SoA |"
contains "md: each mapping with its relationship and confidence" "$OUT" "A.8.32 applied ok (related, medium)"
contains "md: the summary" "$OUT" "| 61 |"
check "report --framework cra (md)" 0 "$EA" report --soa soa.yaml --store "$store" --framework cra
contains "md: a low-confidence answer says so" "$OUT" "covered (low-confidence mapping only)"
contains "md: transitive rows name their chain" "$OUT" "A.8.8 applied ok (related, low, via "
check "report --framework nis2 (html)" 0 "$EA" report --soa soa.yaml --store "$store" --framework nis2 \
    --format html --out nis2.html
contains "html: the caveat" nis2.html '<p class="caveat" id="caveat">A mapping is guidance'
contains "html: a covered row" nis2.html '<td class="v covered">covered'
contains "html: ids are escaped text" nis2.html '<tr id="21(2)(g)">'
check "oscal does not fit a framework report" 2 "$EA" report --soa soa.yaml --store "$store" \
    --framework soc2 --format oscal
contains "oscal: says why" "$ERR" "OSCAL assessment results name the controls of an OSCAL catalog"
check "report --framework of no framework" 2 "$EA" report --soa soa.yaml --store "$store" --framework nist
contains "report: the nearest framework" "$ERR" "'nist': not a framework"
check "gate: soc2 has partial and uncovered requirements" 4 "$EA" report --soa soa.yaml \
    --store "$store" --framework soc2 --gate --format json
contains "gate: counted" "$ERR" "gate: "
contains "gate: names the framework" "$ERR" "of soc2-tsc-2017 in scope not covered"
# Only A.8.32 applied: every requirement in scope is covered, the rest n/a or unmapped.
cat >only.yaml <<'YAML'
controls:
  A.8.32: {status: applied, justification: reviewed changes}
YAML
check "gate: csf with only covered requirements in scope passes" 0 "$EA" report --soa only.yaml \
    --store "$store" --framework csf --gate --format json
assert "only ID.RA-07 is in scope" python3 -c '
import json,sys; r=json.load(sys.stdin); s=r["summary"]
assert (s["covered"], s["partial"], s["uncovered"]) == (1, 0, 0), s' <"$OUT"

# --- collect --control FRAMEWORK:ID
fstore=$WORK/fstore
check "collect --control soc2:CC8.1" 0 "$EA" collect --store "$fstore" --key key.pem \
    --control soc2:CC8.1 --control 'nis2:21(2)(g)' git=repo
contains "the record line names the mapped controls" "$ERR" "controls=A.5.8,A.6.3,A.8.3,A.8.4,A.8.7,A.8.9,A.8.25,A.8.27,A.8.28,A.8.32"
for c in A.5.8 A.8.3 A.8.9 A.8.25 A.8.27 A.8.28 A.8.32 A.6.3 A.8.7; do
    assert "filed under $c" test "$(find "$fstore/controls/$c" -type f -name '*.json' | wc -l)" -eq 1
done
assert "the store stays keyed by Annex A only" test "$(ls "$fstore/controls" | grep -cv '^A\.')" -eq 0
check "the store verifies" 0 "$EA" verify --store "$fstore" --pubkey key.pub
check "query one of the mapped controls" 0 "$EA" query --store "$fstore" --control A.8.27 --format json
assert "the record says which framework IDs asked" python3 -c '
import json,sys
r = json.load(sys.stdin)[0]["statement"]["predicate"]
refs = {(x["framework"], x["id"]): x["controls"] for x in r["framework_refs"]}
assert refs == {("soc2-tsc-2017", "CC8.1"): ["A.5.8", "A.8.3", "A.8.9", "A.8.25", "A.8.27", "A.8.28", "A.8.32"],
                ("nis2", "21(2)(g)"): ["A.6.3", "A.8.7"]}, refs
assert "A.8.4" in r["controls"] and "A.8.32" in r["controls"], r["controls"]' <"$OUT"
check "a dry run carries the same" 0 "$EA" collect --dry-run --key key.pem --control 800-53:cm-3 git=repo
assert "800-53 ID as the reference writes it" python3 -c '
import base64,json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["payloadType"] != "application/vnd.in-toto+json": continue
    p = json.loads(base64.b64decode(e["payload"]))["predicate"]
    assert p["framework_refs"] == [{"framework": "nist-800-53r5", "id": "CM-3", "controls": ["A.8.9", "A.8.32"]}], p' "$OUT"
check "plain controls leave no framework_refs" 0 "$EA" collect --dry-run --key key.pem --control A.8.9 git=repo
lacks "no framework_refs" "$OUT" "framework_refs"
cat >cc81.yaml <<'YAML'
controls:
  A.5.8: {status: applied, justification: x}
  A.8.3: {status: applied, justification: x}
  A.8.9: {status: applied, justification: x}
  A.8.25: {status: applied, justification: x}
  A.8.27: {status: applied, justification: x}
  A.8.28: {status: applied, justification: x}
  A.8.32: {status: applied, justification: x}
  A.6.3: {status: applied, justification: x}
  A.8.7: {status: planned, justification: x}
YAML
check "report: evidence filed for soc2:CC8.1 covers it" 0 "$EA" report --soa cc81.yaml --store "$fstore" \
    --framework soc2 --format json --pubkey key.pub
assert "CC8.1 covered" python3 -c '
import json,sys; r = json.load(sys.stdin); q = {x["id"]: x for x in r["requirements"]}
assert q["CC8.1"]["verdict"] == "covered", q["CC8.1"]
assert all(m["verdict"] == "ok" for m in q["CC8.1"]["mappings"])' <"$OUT"
check "report: nis2 21(2)(g) judged by its applied control (A.6.3 ok, A.8.7 planned)" 0 "$EA" report --soa cc81.yaml \
    --store "$fstore" --framework nis2 --format json
assert "21(2)(g) covered by its applied control" python3 -c '
import json,sys; r = json.load(sys.stdin); q = {x["id"]: x for x in r["requirements"]}
assert q["21(2)(g)"]["verdict"] == "covered" and "1 planned" in q["21(2)(g)"]["note"], q["21(2)(g)"]' <"$OUT"
check "collect: unknown framework" 2 "$EA" collect --dry-run --key key.pem --control soc:CC8.1 git=repo
contains "collect: the nearest framework" "$ERR" "--control: 'soc': not a framework (did you mean soc2?"
check "collect: unknown requirement" 2 "$EA" collect --dry-run --key key.pem --control soc2:CC8.9 git=repo
contains "collect: the nearest requirements" "$ERR" "'CC8.9': not a requirement of soc2-tsc-2017 (did you mean CC8.1"
check "collect: a requirement nothing maps to" 2 "$EA" collect --dry-run --key key.pem --control soc2:P1.1 git=repo
contains "collect: says to name Annex A controls" "$ERR" "no Annex A control is mapped to soc2-tsc-2017 P1.1"
assert "nothing stored by the failures" test ! -e "$WORK/evidence-store"

# --- the daemon's controls:
cat >d.yaml <<'YAML'
agent: {id: fw-daemon, spool: ./spool}
signing: {key: key.pem}
stores: [./dstore]
collectors:
  - name: git
    arg: repo
    interval: 1h
    controls: [A.5.1, "soc2:CC8.1"]
YAML
check "daemon: framework IDs in controls: are accepted" 0 "$EA" daemon --config d.yaml --check-config --offline
sed 's/soc2:CC8.1/soc2:CC8.9/' d.yaml >bad.yaml
check "daemon: an unknown requirement is a configuration error" 2 "$EA" daemon --config bad.yaml --check-config --offline
contains "daemon: named with its line and the nearest" "$ERR" "bad.yaml:$(grep -n 'controls:' bad.yaml | cut -d: -f1)"
contains "daemon: the nearest requirement" "$ERR" "did you mean CC8.1"
"$EA" daemon --config d.yaml 2>daemon.log &
dpid=$!
SERVERS="$SERVERS $dpid"
for _ in $(seq 300); do
    [ -n "$(find dstore/controls/A.8.27 -type f -name '*.json' 2>/dev/null)" ] && break
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.1
done
kill -TERM "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
check "daemon: its record is found under a mapped control" 0 "$EA" query --store dstore --control A.8.27 --format json
assert "daemon: the record names soc2:CC8.1" python3 -c '
import json,sys; r = json.load(sys.stdin)
assert r, "no record"
p = r[0]["statement"]["predicate"]
assert p["framework_refs"] == [{"framework": "soc2-tsc-2017", "id": "CC8.1", "controls": ["A.5.8", "A.8.3", "A.8.9", "A.8.25", "A.8.27", "A.8.28", "A.8.32"]}], p
assert "A.5.1" in p["controls"]' <"$OUT"
check "daemon: the store verifies" 0 "$EA" verify --store dstore --pubkey key.pub

# --- an SoA declaring frameworks:
{ echo "frameworks: [soc2, nis2]"; cat soa.yaml; } >fsoa.yaml
check "report --soa with frameworks: (json)" 0 "$EA" report --soa fsoa.yaml --store "$store" --format json --out fsoa.json
assert "the per-framework summaries" python3 - fsoa.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["name"]: x for x in r["frameworks"]}
assert list(f) == ["soc2-tsc-2017", "nis2"], list(f)
assert f["soc2-tsc-2017"]["summary"]["requirements"] == 61, f["soc2-tsc-2017"]
assert "CC8.1" in f["soc2-tsc-2017"]["not_covered"] and "21(2)(g)" in f["nis2"]["not_covered"], f
assert "CIR-6.4" not in f["nis2"]["not_covered"]
# the same verdicts as report --framework
for name, file in (("soc2-tsc-2017", "soc2.json"), ("nis2", "nis2.json")):
    one = json.load(open(file))
    assert one["summary"] == f[name]["summary"], (one["summary"], f[name]["summary"])
PY
assert "json with frameworks: valid against schemas/report.schema.json" python3 -c '
import json,jsonschema,sys
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' fsoa.json "$EA_SOURCE_DIR/schemas/report.schema.json"
check "report --soa with frameworks: (md)" 0 "$EA" report --soa fsoa.yaml --store "$store"
contains "md: the frameworks section" "$OUT" "## Frameworks"
contains "md: the soc2 summary row" "$OUT" "| soc2-tsc-2017 AICPA 2017"
contains "md: its caveat" "$OUT" "A mapping is guidance, not certification"
check "report --soa with frameworks: (html)" 0 "$EA" report --soa fsoa.yaml --store "$store" --format html
contains "html: the frameworks table" "$OUT" '<tr id="fw-nis2">'
check "report --soa without frameworks: has no frameworks section" 0 "$EA" report --soa soa.yaml --store "$store"
lacks "no frameworks section" "$OUT" "## Frameworks"
# Every applied control ok, but nis2 21(2)(g) rests on a planned control: the gate covers frameworks too.
cat >gsoa.yaml <<'YAML'
frameworks: [soc2]
controls:
  A.8.32: {status: applied, justification: reviewed changes}
  A.6.3: {status: planned, justification: training roadmap}
YAML
check "gate: applied controls ok, soc2 in scope covered (CC8.1)" 0 "$EA" report --soa gsoa.yaml --store "$store" --gate --format json
sed -i 's/^frameworks: \[soc2\]/frameworks: [soc2, nis2]/' gsoa.yaml
check "gate: nis2 has an uncovered requirement" 4 "$EA" report --soa gsoa.yaml --store "$store" --gate --format json
contains "gate: says it is the frameworks" "$ERR" "of the SoA's frameworks in scope not covered"
check "without --gate the report is written" 0 "$EA" report --soa gsoa.yaml --store "$store" --format json
sed 's/^frameworks: .*/frameworks: [csf, soc3]/' gsoa.yaml >bad-fw.yaml
check "an SoA naming an unknown framework" 2 "$EA" report --soa bad-fw.yaml --store "$store"
contains "named with its line and the nearest" "$ERR" "bad-fw.yaml:1: frameworks: 'soc3': not a framework (did you mean soc2?"
sed 's/^frameworks: .*/frameworks: [csf, nist-csf-2.0]/' gsoa.yaml >dup-fw.yaml
check "an SoA naming a framework twice" 2 "$EA" report --soa dup-fw.yaml --store "$store"
contains "twice" "$ERR" "frameworks names nist-csf-2.0 twice"
finish
