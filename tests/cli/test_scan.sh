#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the scan collector on the project's own reports (one per format,
# with their edges), on a real SARIF report made now by Debian's flawfinder,
# on every report under ../shared/fixtures (counts checked against an
# independent count), and on broken input. Records must verify, be
# schema-valid and hold no secret of the reports.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
FX=$EA_SOURCE_DIR/tests/collectors/scan
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
store=$WORK/store

# --- the project's fixtures: every count, flag and verdict
for f in sarif-edges.sarif sarif-kinds.sarif trivy.json trivy-licenses.json grype.json gitleaks.json \
    cyclonedx.json zap.json; do
    check "scan $f" 0 "$EA" collect --store "$store" --key key.pem scan="$FX/$f" || continue
    check "scan $f (dry run)" 0 "$EA" collect --dry-run --key key.pem scan="$FX/$f"
    payloads "$OUT" >payload.json
    assert "scan $f: the expected summary" python3 - "$FX/expect.json" "$f" payload.json <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))["expect"][sys.argv[2]]
st = json.load(open(sys.argv[3]))
d = st["predicate"]["data"]
assert d["format"] == want["format"], d["format"]
assert d["counts"] == want["counts"], (d["counts"], want["counts"])
for k in ("suppressed", "absent", "total", "runs", "components", "licenses", "sarif_kinds"):
    if k in want: assert d[k] == want[k], (k, d.get(k), want[k])
if "controls" in want: assert st["predicate"]["controls"] == want["controls"], st["predicate"]["controls"]
assert d["tool"]["name"] == want["tool"], d["tool"]
assert d["category"] == want["category"], d["category"]
if "artifact" in want: assert d["scanned"]["artifact"] == want["artifact"], d["scanned"]
if "repository" in want: assert d["scanned"]["repository"] == want["repository"], d["scanned"]
assert st["predicate"]["result"] == want["result"], st["predicate"]["result"]
assert d["report"]["bytes"] > 0 and len(d["report"]["sha256"]) == 64
f = d["findings"]
ranks = ["unknown", "info", "low", "medium", "high", "critical"]
keys = [(not x["suppressed"], ranks.index(x["severity"]) if not x["suppressed"] else 0) for x in f]
assert keys == sorted(keys, reverse=True), "findings are not worst first"
PY
done
# issue 15 item 11: license findings fail the gate as Trivy's own --exit-code does
check "7 HIGH license findings fail the gate" 4 "$EA" collect --dry-run --key key.pem --gate \
    scan="$FX/trivy-licenses.json"
contains "filed as license, under A.5.32" "$ERR" "scan_result controls=A.5.32 result=fail"
check "license findings under --fail-on critical pass" 0 "$EA" collect --dry-run --key key.pem \
    --gate --fail-on critical scan="$FX/trivy-licenses.json"
check "SARIF: open and review results of level error do not fail the gate" 0 "$EA" collect \
    --dry-run --key key.pem --gate scan="$FX/sarif-kinds.sarif"
# every stored Statement, decoded (a secret would hide in base64 otherwise)
python3 - "$store" >stored.json <<'PY2'
import base64, json, os, sys
for root, _, files in os.walk(os.path.join(sys.argv[1], "controls")):
    for f in files:
        print(base64.b64decode(json.load(open(os.path.join(root, f)))["payload"]).decode())
PY2
contains "the secrets fixtures were stored" stored.json '"format":"gitleaks"'
for s in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["secrets"]))' "$FX/expect.json"); do
    lacks "no secret of the reports in the store" stored.json "$s"
    lacks "no secret on stderr" "$ERR" "$s"
done
check "controls follow the category" 0 "$EA" query --store "$store" --control A.8.12 --format ndjson
assert "gitleaks and trivy's secrets are A.8.12" python3 -c '
import json,sys
kinds=[json.loads(l)["statement"]["predicate"]["data"]["category"] for l in open(sys.argv[1])]
assert kinds==["secrets"], kinds' "$OUT"

# --- a SARIF with its rules after its results (sorted keys: "results" < "tool"): two passes,
# the same severities
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"), sort_keys=True)' \
    "$FX/sarif-edges.sarif" sorted.sarif
check "scan: rules after results" 0 "$EA" collect --dry-run --key key.pem scan=sorted.sarif
payloads "$OUT" >sorted.json
assert "rules after results: the same counts as tool-first" python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))["predicate"]["data"]; w=json.load(open(sys.argv[2]))["expect"]["sarif-edges.sarif"]
assert d["counts"]==w["counts"] and d["suppressed"]==w["suppressed"], (d["counts"], w["counts"])' sorted.json "$FX/expect.json"
# --- trivy k8s, today's layout (Resources[].Results[]) and the consolidated one (Findings[])
printf '%s' '{"ClusterName": "prod", "Resources": [{"Namespace": "pay", "Kind": "Deployment", "Name": "api", "Results": [{"Target": "img", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "openssl", "InstalledVersion": "3", "Severity": "CRITICAL"}], "Misconfigurations": [{"ID": "KSV001", "Severity": "HIGH", "Status": "FAIL"}]}]}], "Findings": [{"Results": [{"Secrets": [{"RuleID": "aws", "Severity": "HIGH"}]}]}]}' >k8s-trivy.json
check "scan: trivy k8s report" 4 "$EA" collect --dry-run --key key.pem --gate scan=k8s-trivy.json
contains "a dry run's gate says nothing was stored" "$ERR" "nothing was stored (dry run)"
lacks "a dry run's gate does not claim a store" "$ERR" "the records are stored"
payloads "$OUT" >k8s.json
assert "the summary names the tool once (Trivy report, not Trivy trivy report)" python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))["predicate"]["summary"]
assert s.startswith("Trivy report on ") and "Trivy trivy" not in s, s' k8s.json
assert "trivy k8s: every finding counted" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))["predicate"]["data"]
assert d["total"]==3 and d["counts"]["critical"]==1 and d["counts"]["high"]==2 and d["scanned"]["artifact"]=="prod", d' k8s.json

# --- the policy and the gate
# --- a secret running over a title's length limit: redacted before the cut, no part left
python3 - cut.sarif <<'PY'
import json, sys
texts = ["x" * 270 + " ghp_FAKEq1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6",
         "x" * 270 + " postgres://app:FAKEdbCutPass0123456789@db/app",
         "x" * 285 + " AKIAFAKE0123456789AB", "x" * 290 + " FAKEliteralValue0123456789"]
res = [{"ruleId": "r" * 250 + " AKIAFAKE0123456789AC", "level": "error", "message": {"text": t},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a" * 500 + "?token=FAKEuriTok0123456789"}}}]}
       for t in texts]
json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}}, "results": res}]},
          open(sys.argv[1], "w"))
PY
check "scan: secrets at the length limits" 0 env LITV=FAKEliteralValue0123456789 "$EA" collect \
    --dry-run --key key.pem --redact-env LITV scan=cut.sarif
payloads "$OUT" >cut.json
assert "scan: no part of a secret survives a cut" python3 -c '
import sys; t = open(sys.argv[1]).read()
for frag in ("FAKEq1w2", "FAKEdbCu", "AKIAFAKE", "FAKElite", "FAKEuriT"): assert frag not in t, frag' cut.json

check "fail-on critical passes a report with only high" 0 "$EA" collect --dry-run --key key.pem \
    --gate --fail-on critical scan="$FX/gitleaks.json"
check "the gate blocks a failing report" 4 "$EA" collect --dry-run --key key.pem --gate \
    scan="$FX/gitleaks.json"
check "fail-on none never fails" 0 "$EA" collect --dry-run --key key.pem --gate --fail-on none \
    scan="$FX/trivy.json"
check "fail-on low catches the zap low" 4 "$EA" collect --dry-run --key key.pem --gate \
    --fail-on low --set scan.max_findings=1 scan="$FX/zap.json"
payloads "$OUT" >payload.json
assert "max_findings caps the list" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))["predicate"]["data"]
assert len(d["findings"])==1 and d["findings_truncated"] and d["findings"][0]["severity"]=="high", d' payload.json
check "a bad fail-on" 2 "$EA" collect --dry-run --key key.pem --fail-on severe scan="$FX/zap.json"
contains "fail_on named" "$ERR" "fail_on must be"

# --- broken input: exit 2, the file named, the byte where it broke, nothing stored
bad=$WORK/badstore
head -c 700 "$FX/sarif-edges.sarif" >truncated.sarif
printf '{"hello": 1}' >other.json
python3 -c 'print("{\"runs\": " + "[" * 300 + "]" * 300 + "}")' >deep.sarif
printf '{"version": "2.1.0", "runs": [{"results": [{"message": {"text": "\xff\xfe"}}]}]}' >badutf8.sarif
: >empty.json
# refused before anything runs (exit 2, nothing stored): a missing report, a folder, a device,
# a format that does not exist
for case in "missing.json:no such file (the report)" "$WORK:a folder, where the report must be a file" \
    "/dev/zero:a device, pipe or socket" "$FX/sarif-edges.sarif,format=cobol:is not one of"; do
    arg=${case%%:*} want=${case#*:}
    check "refused: $arg" 2 "$EA" collect --store "$bad" --key key.pem scan="$arg"
    contains "refused: $arg named" "$ERR" "${arg%%,*}"
    contains "refused: $arg says why" "$ERR" "$want"
    contains "refused: $arg says nothing ran" "$ERR" "nothing was run or stored"
done
assert "a refused input stores nothing" test ! -e "$bad"
# found broken while running: an error record for that report, exit 1, the summary line
for case in "truncated.sarif:byte" "other.json:not a report of a known format" \
    "deep.sarif:nested deeper than 256" "badutf8.sarif:byte" "empty.json:empty" \
    "$FX/trivy.json,format=sarif:not a sarif report"; do
    arg=${case%%:*} want=${case#*:}
    check "broken: $arg" 1 "$EA" collect --store "$bad" --key key.pem scan="$arg"
    contains "broken: $arg named" "$ERR" "${arg%%,*}"
    contains "broken: $arg says why" "$ERR" "$want"
    contains "broken: $arg is an error record" "$ERR" "custom controls=A.8.16 result=error"
    contains "broken: $arg summary line" "$ERR" "1 record stored in"
done
check "broken reports: only error records" 0 "$EA" query --store "$bad" --format ndjson
assert "broken reports: six error records, no scan result" python3 -c '
import json,sys
rs=[json.loads(l)["statement"]["predicate"] for l in open(sys.argv[1])]
assert len(rs)==6 and all(r["kind"]=="custom" and r["result"]=="error" for r in rs), rs' "$OUT"
# issue 15 item 8: a missing report next to a good one: nothing runs, nothing is stored
check "a missing report beside a good one" 2 "$EA" collect --store "$WORK/partial" --key key.pem \
    scan="$FX/zap.json" scan=missing.json
assert "nothing stored before the missing report was found" test ! -e "$WORK/partial"
# a broken report beside a good one: the good one is kept, the broken one recorded as error
check "a broken report beside a good one" 1 "$EA" collect --store "$WORK/partial" --key key.pem \
    scan="$FX/zap.json" scan=truncated.sarif
contains "the good report is kept" "$ERR" "scan_result"
contains "the broken one is an error record" "$ERR" "result=error"
contains "the summary line is printed" "$ERR" "2 records stored in"
contains "the failure is named at the end" "$ERR" "1 of 2 collectors failed"
check "null with a forced format is an empty report" 0 "$EA" collect --dry-run --key key.pem \
    scan="$(printf 'null' >null.json; echo "$WORK/null.json"),format=gitleaks"

# --- a real report, made now: flawfinder --sarif on this repository's agent/
if command -v flawfinder >/dev/null; then
    flawfinder --sarif "$EA_SOURCE_DIR/agent" >flawfinder.sarif 2>/dev/null
    check "flawfinder's SARIF" 0 "$EA" collect --store "$store" --key key.pem scan=flawfinder.sarif
    check "flawfinder's SARIF (dry run)" 0 "$EA" collect --dry-run --key key.pem scan=flawfinder.sarif
    payloads "$OUT" >payload.json
    # independent count with jq: flawfinder gives levels only (error high, warning medium, note low)
    jq -c '[.runs[].results[] | .level // "warning"] | {high: map(select(. == "error")) | length,
        medium: map(select(. == "warning")) | length, low: map(select(. == "note")) | length,
        total: length}' flawfinder.sarif >jq.count
    assert "flawfinder counts agree with jq" python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))["predicate"]["data"]; j=json.load(open(sys.argv[2]))
assert d["tool"]["name"]=="Flawfinder", d["tool"]
assert (d["counts"]["high"],d["counts"]["medium"],d["counts"]["low"],d["total"])==(j["high"],j["medium"],j["low"],j["total"]), (d["counts"],j)
assert j["total"] > 0' payload.json jq.count
else
    echo "SKIP: flawfinder is not installed (ci/setup.sh installs it)"
fi

# --- ../shared/fixtures: every report, counts against an independent count
SHARED=${EA_FIXTURES_DIR:-$EA_SOURCE_DIR/../shared/fixtures}
if [ -d "$SHARED/sarif" ]; then
    n=0
    for f in "$SHARED"/sarif/*.sarif "$SHARED"/{trivy,grype,gitleaks,cyclonedx,zap}/*.json; do
        [ -f "$f" ] || continue
        if "$EA" collect --dry-run --key key.pem scan="$f" >one.out 2>one.err; then
            payloads one.out >payload.json
            if python3 - "$f" payload.json <<'PY'; then pass; else fail "independent count of $f"; fi
import json, sys
path, st = sys.argv[1], json.load(open(sys.argv[2]))
d = st["predicate"]["data"]
doc = json.load(open(path, encoding="utf-8-sig"))
fmt = d["format"]
def items(x, key):
    return x.get(key) or [] if isinstance(x, dict) else []
if fmt == "sarif":
    res = [r for run in doc.get("runs") or [] for r in run.get("results") or []]
    res = [r for r in res if r.get("baselineState") != "absent"]
    # SARIF 2.1.0: only kind fail (the default) carries a problem; the others are counted apart
    others = ("pass", "open", "review", "informational", "notApplicable")
    assert d["sarif_kinds"] == {k: sum(1 for r in res if r.get("kind") == k) for k in others}, d["sarif_kinds"]
    res = [r for r in res if r.get("kind", "fail") not in others]
    supp = [r for r in res if any(s.get("status", "accepted") == "accepted" for s in r.get("suppressions") or [])]
    want = {"total": len(res), "suppressed": len(supp)}
elif fmt == "grype":
    m, ig = doc.get("matches") or [], doc.get("ignoredMatches") or []
    want = {"total": len(m) + len(ig), "suppressed": len(ig)}
    sev = {}
    for x in m:
        s = x["vulnerability"].get("severity", "Unknown").lower()
        s = {"negligible": "info"}.get(s, s)
        sev[s] = sev.get(s, 0) + 1
    want["counts"] = sev
elif fmt == "gitleaks":
    want = {"total": len(doc or []), "suppressed": 0}
elif fmt == "zap":
    al = [a for s in doc.get("site") or [] for a in s.get("alerts") or []]
    fp = [a for a in al if a.get("confidence") == "0"]
    want = {"total": len(al), "suppressed": len(fp)}
elif fmt == "cyclonedx":
    v = doc.get("vulnerabilities") or []
    want = {"total": len(v), "components": len(doc.get("components") or [])}
elif fmt == "trivy":
    results = doc if isinstance(doc, list) else (doc.get("Results") or [])
    if isinstance(doc, dict) and "ClusterName" in doc:
        results = [r for k in ("Vulnerabilities", "Misconfigurations") for res in doc.get(k) or [] for r in res.get("Results") or []]
    v = [x for r in results for x in r.get("Vulnerabilities") or []]
    mc = [x for r in results for x in r.get("Misconfigurations") or [] if x.get("Status") != "PASS"]
    se = [x for r in results for x in r.get("Secrets") or []]
    mod = [x for r in results for k in ("ExperimentalModifiedFindings", "ModifiedFindings") for x in r.get(k) or []]
    li = [x for r in results for x in r.get("Licenses") or []]
    want = {"total": len(v) + len(mc) + len(se) + len(mod) + len(li), "licenses": len(li)}
for k, w in want.items():
    got = d[k] if k != "counts" else {s: c for s, c in d["counts"].items() if c}
    assert got == w, (path, k, got, w)
PY
            n=$((n + 1))
        else
            # the reports the collector refuses must be refused for a named reason, exit 2
            case "$(basename "$f")" in
            binskim-v2.0.0.sarif|sarif-v1-minimal.sarif|invalid-results-not-array.sarif|\
            alpine-310-gitlab-container-scanning.json|legacy-null.json|null-no-findings.json|\
            spec-invalid-bomformat-1.6.json) pass ;;
            *) fail "fixture refused: $f: $(cat one.err)" ;;
            esac
        fi
        # the secrets the report holds (some fixtures hold them masked already: skip those)
        payloads one.out >decoded.json 2>/dev/null || : >decoded.json
        jq -r '.. | objects | (.Secret?, .Match?, .offender?) | strings' "$f" 2>/dev/null |
            grep -vE '^[*]+$' | grep -E '^.{8,}$' | head -50 >secrets.txt || true
        while IFS= read -r s; do
            if grep -qF -- "$s" decoded.json one.err; then fail "a secret of $f reached the record"; else pass; fi
        done <secrets.txt
    done
    echo "conformance: $n shared reports ingested and counted"
    "$EA" collect --store "$store" --key key.pem scan="$SHARED/gitleaks/v8-many.json" \
        scan="$SHARED/trivy/secrets.json" 2>/dev/null
else
    echo "SKIP: ../shared/fixtures not present; the shared reports were not read"
fi

check "scan records verify" 0 "$EA" verify --store "$store" --pubkey key.pub
assert "scan records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$store"
finish
