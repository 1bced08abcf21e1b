#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: report on a store made here (fresh, stale, missing, failing,
# planned, excluded controls), in every format: JSON against its schema, the
# Markdown table, the HTML page rendered by headless Chromium (DOM text and a
# screenshot), OSCAL against NIST's schema from ../shared/reference; the gate;
# a tampered envelope; bad SoA files; the starter SoA.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
make_repo repo
store=$WORK/store
check "git evidence" 0 "$EA" collect --store "$store" --key key.pem git=repo
check "a failing secrets scan" 0 "$EA" collect --store "$store" --key key.pem \
    scan="$EA_SOURCE_DIR/tests/collectors/scan/gitleaks.json"

# Freshness is judged at --until: evaluating a day ahead makes 1h-old evidence stale.
until=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
cat >soa.yaml <<'EOF'
organisation: Acme Payments
scope: CI/CD and production platform of payments-api
controls:
  A.8.32:                      # applied, fresh
    status: applied
    justification: All production changes go through reviewed PRs and the release pipeline
    owner: platform-team
    implementation: [github.com/acme/payments, release workflow]
    evidence:
      kinds: [git_commit, pipeline_run]
      max_age: 7d
  A.8.4:                       # applied, stale at --until
    status: applied
    justification: Source code access is controlled by the forge
    owner: platform-team
    evidence:
      kinds: [git_commit]
      max_age: 1h
  A.8.9:                       # applied, missing
    status: applied
    justification: Configuration is kept in the repository
    evidence: {kinds: [config_state], max_age: 7d}
  A.8.12:                      # applied, failing (gitleaks found secrets)
    status: applied
    justification: Secret scanning in CI
    owner: security
  A.6.3:
    status: planned
    justification: Security training roadmap defined
  A.7.1:
    status: excluded
    justification: No own premises; hosted by a cloud provider
  A.12.1.2:                    # a 2013 ID, mapped: A.8.32 is named twice
    status: applied
    justification: duplicate
EOF
check "a control named twice (2013 and 2022 IDs) is an error" 2 "$EA" report --soa soa.yaml --store "$store"
contains "duplicate named with its line" "$ERR" "soa.yaml:$(grep -n '^  A.12.1.2' soa.yaml | cut -d: -f1): A.12.1.2 names A.8.32 again"
python3 - soa.yaml <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("  A.12.1.2"))
open(p, "w").write("\n".join(lines[:i]) + "\n")
PY

# issue 15 item 1: a kind no collector emits would keep its control MISSING forever
sed 's/kinds: \[config_state\]/kinds: [config-state]/' soa.yaml >typo.yaml
check "an SoA kind that is no record kind is an error" 2 "$EA" report --soa typo.yaml --store "$store"
contains "the kind is named with its line and the nearest" "$ERR" \
    "typo.yaml:$(grep -n 'config-state' typo.yaml | cut -d: -f1): control A.8.9: evidence.kinds: 'config-state' is not a record kind (did you mean 'config_state'?"
check "query --kind of no kind is an error" 2 "$EA" query --store "$store" --kind bogus
contains "query names the kind" "$ERR" "--kind: 'bogus' is not a record kind"
check "query --kind of a known kind is fine" 0 "$EA" query --store "$store" --kind config_state

expect_verdicts() { # FILE: the JSON report holds the six expected verdicts
    python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = {c["id"]: c["verdict"] for c in r["controls"]}
want = {"A.8.32": "ok", "A.8.4": "stale", "A.8.9": "missing", "A.8.12": "failing",
        "A.6.3": "n/a", "A.7.1": "n/a"}
assert v == want, v
s = r["summary"]
assert (s["applied"], s["ok"], s["stale"], s["missing"], s["failing"], s["planned"], s["excluded"]) == (4, 1, 1, 1, 1, 1, 1), s
assert s["not_covered"] == 87 and "A.5.1" in r["not_covered"], s
c = {c["id"]: c for c in r["controls"]}
assert c["A.8.32"]["count"] == 1 and c["A.8.32"]["latest"]["kind"] == "git_commit"
assert c["A.8.12"]["results"]["fail"] == 1 and c["A.8.32"]["max_age"] == "7d"
PY
}
check "report json" 0 "$EA" report --soa soa.yaml --store "$store" --until "$until" --format json \
    --pubkey key.pub --out report.json
assert "json: every verdict" expect_verdicts report.json
assert "json: valid against schemas/report.schema.json" python3 -c '
import json,jsonschema,sys
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' report.json "$EA_SOURCE_DIR/schemas/report.schema.json"
assert "json: signatures verified" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["signatures_checked"] and all(c["verified"] in (True,None) for c in r["controls"])' report.json
check "report md (stdout)" 0 "$EA" report --soa soa.yaml --store "$store" --until "$until"
for row in "| A.8.32 Change management | applied |" "fresh, passing |" "| STALE |" "| MISSING |" \
    "| FAILING |" "| A.7.1 Physical security perimeters | excluded | No own premises" "| 1 | 1 | 1 | 1 | 1 | 1 |"; do
    contains "md: $row" "$OUT" "$row"
done
check "a period that holds nothing: every applied control is missing" 0 "$EA" report --soa soa.yaml \
    --store "$store" --since "$until" --until "$until" --format json
assert "missing everywhere" python3 -c '
import json,sys; r=json.load(sys.stdin)
assert r["summary"]["missing"]==4, r["summary"]' <"$OUT"

# --- only the named controls, in the period, are read: a corrupt record elsewhere is not touched
cp -r "$store" partial
mkdir -p partial/controls/A.5.1/2020/01/01
echo "not an envelope" >"partial/controls/A.5.1/2020/01/01/20200101T000000.000000Z_$(printf 'a%.0s' $(seq 64)).json"
check "a corrupt record of a control the SoA does not name is not read" 0 "$EA" report \
    --soa soa.yaml --store partial --until "$until" --format json
check "verify, which reads everything, finds it" 3 "$EA" verify --store partial --pubkey key.pub

# --- the gate
check "gate: not audit-ready is exit 4" 4 "$EA" report --soa soa.yaml --store "$store" \
    --until "$until" --gate --out gate.md
contains "gate says how many" "$ERR" "gate: 3 applied controls without fresh, passing evidence"
[ -s gate.md ] && pass || fail "the report is written even when the gate fails"
cat >ready.yaml <<'EOF'
organisation: Acme
scope: app
controls:
  A.8.32: {status: applied, justification: reviewed changes, evidence: {kinds: [git_commit], max_age: 30d}}
  A.7.1: {status: excluded, justification: no premises}
EOF
check "gate: audit-ready is exit 0" 0 "$EA" report --soa ready.yaml --store "$store" --gate --format md

# --- HTML: one self-contained file, rendered by headless Chromium
check "report html" 0 "$EA" report --soa soa.yaml --store "$store" --until "$until" --format html \
    --out report.html
if grep -qE '(src|href)="(https?:)?//' report.html; then fail "html: refers to an external asset"; else pass; fi
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chrome" ]; then
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --dump-dom "file://$WORK/report.html" >dom.html 2>chrome.err || true
    for text in "Statement of Applicability" "fresh, passing" "STALE" "MISSING" "FAILING" \
        "Acme Payments" "A.8.32" "not in the SoA"; do
        contains "html DOM: $text" dom.html "$text"
    done
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --window-size=1280,1400 --screenshot="$WORK/shot.png" "file://$WORK/report.html" \
        >/dev/null 2>>chrome.err || true
    assert "html screenshot shows the page with its verdict colours" python3 - shot.png <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, i = bytearray(stride), [], 0
for _ in range(h):  # undo the PNG filters
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
colours = {tuple(r[x:x + 3]) for r in rows[::4] for x in range(0, stride, bpp * 2)}
def near(c, t): return all(abs(p - q) < 40 for p, q in zip(c, t))
assert w == 1280 and len(colours) > 20, (w, len(colours))
assert any(near(c, (207, 34, 46)) for c in colours), "no red (missing/failing) on the page"
assert any(near(c, (26, 127, 55)) for c in colours), "no green (ok) on the page"
PY
else
    fail "chromium is not installed (ci/setup.sh installs it): the HTML was not rendered"
fi

# --- OSCAL, against NIST's schema
check "report oscal" 0 "$EA" report --soa soa.yaml --store "$store" --until "$until" --format oscal \
    --out oscal.json
assert "oscal: excluded controls are not applicable, a result covers a period, no SoA as plan" \
    python3 - oscal.json <<'PY'
import json, sys
from datetime import datetime
doc = json.load(open(sys.argv[1]))["assessment-results"]
res = doc["results"][0]
states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in res["findings"]}
assert states["A.8.32"] == "satisfied" and states["A.8.12"] == "not-satisfied", states
assert len(res["observations"]) == 3, len(res["observations"])  # one per record used
# excluded (A.7.1): not a not-satisfied finding, but excluded from the reviewed controls
assert "A.7.1" not in states, states
sel = res["reviewed-controls"]["control-selections"][0]
assert [c["control-id"] for c in sel["exclude-controls"]] == ["A.7.1"], sel
assert "A.7.1" not in [c["control-id"] for c in sel["include-controls"]], sel
assert "No own premises" in sel["remarks"], sel
planned = [f for f in res["findings"] if f["target"]["target-id"] == "A.6.3"][0]
assert planned["target"]["implementation-status"]["state"] == "planned", planned
# a period: start before end
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
assert t(res["start"]) < t(res["end"]), (res["start"], res["end"])
# import-ap: a back-matter resource saying there is no OSCAL plan, not the SoA file
href = doc["import-ap"]["href"]
assert href.startswith("#") and "soa.yaml" not in href, href
res_by_id = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
assert "No OSCAL assessment plan" in res_by_id[href[1:]]["description"], res_by_id
assert any(l["href"] == "soa.yaml" for r in res_by_id.values() for l in r.get("rlinks", [])), res_by_id
PY
check "report oscal with --since" 0 "$EA" report --soa soa.yaml --store "$store" --since 2020-01-01 \
    --until "$until" --format oscal --out oscal-since.json
assert "oscal: --since is the start of the result" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))["assessment-results"]["results"][0]
assert r["start"].startswith("2020-01-01T00:00:00"), r["start"]' oscal-since.json
OSCAL_SCHEMA=$EA_SOURCE_DIR/../shared/reference/oscal_assessment-results_schema-1.0.6.json
if [ -f "$OSCAL_SCHEMA" ]; then
    for doc in oscal.json oscal-since.json; do
        assert "oscal: $doc valid against NIST's assessment-results schema 1.0.6" python3 - "$doc" "$OSCAL_SCHEMA" <<'PY'
import json, sys, jsonschema
# Python's re has no \p{L} / \p{N}: the same classes, spelled for it
text = open(sys.argv[2]).read().replace("\\\\p{L}", "[^\\\\W\\\\d_]").replace("\\\\p{N}", "\\\\d")
v = jsonschema.Draft7Validator(json.loads(text), format_checker=jsonschema.FormatChecker())
doc = json.load(open(sys.argv[1]))
errors = [f"{list(e.path)}: {e.message[:150]}" for e in v.iter_errors(doc)]
assert not errors, errors[:5]
PY
    done
else
    echo "SKIP: $OSCAL_SCHEMA absent; the OSCAL output was not validated against NIST's schema"
fi

# --- a tampered envelope: found with --pubkey, exit 3, its control failing
cp -r "$store" tampered
victim=$(find tampered/controls/A.8.32 -name '*.json' | head -1)
python3 - "$victim" <<'PY'
import base64, json, sys
e = json.load(open(sys.argv[1]))
s = bytearray(base64.b64decode(e["signatures"][0]["sig"])); s[0] ^= 1
e["signatures"][0]["sig"] = base64.b64encode(bytes(s)).decode()
json.dump(e, open(sys.argv[1], "w"))
PY
check "tampered: report --pubkey exits 3" 3 "$EA" report --soa soa.yaml --store tampered \
    --pubkey key.pub --format json --out tampered.json
contains "tampered: the error says so" "$ERR" "1 record failed a check"
assert "tampered: its control is failing and unverified" python3 -c '
import json,sys; c={c["id"]:c for c in json.load(open(sys.argv[1]))["controls"]}
assert c["A.8.32"]["verdict"]=="failing" and c["A.8.32"]["verified"] is False, c["A.8.32"]' tampered.json

# --- the audit pack
check "export" 0 "$EA" export --store "$store" --control A.8.32 --control A.12.6.1 \
    --pubkey key.pub --key key.pem --out pack.tar.gz
contains "export says what it wrote" "$ERR" "1 record of 2 controls written to pack.tar.gz"
mkdir unpacked && tar -xzf pack.tar.gz -C unpacked
assert "pack: sha256sum -c SHA256SUMS" sh -c 'cd unpacked/audit-pack && sha256sum -c --quiet SHA256SUMS'
for f in README.md manifest.json report.json report.md keys/1.pub; do
    [ -f "unpacked/audit-pack/$f" ] && pass || fail "pack lacks $f"
done
assert "pack: every record as stored" python3 - unpacked/audit-pack "$store" <<'PY2'
import json, os, sys
pack, store = sys.argv[1:]
m = json.load(open(os.path.join(pack, "manifest.json")))
assert m["controls"] == ["A.8.8", "A.8.32"] and m["signatures_checked"], m["controls"]
assert len(m["records"]) == 1, m["records"]  # git evidence is A.8.32; nothing is filed under A.8.8
for r in m["records"]:
    a = open(os.path.join(pack, r["path"]), "rb").read()
    b = open(os.path.join(store, r["path"][len("records/"):]), "rb").read()
    assert a == b, r["path"]
PY2
# the pack's own check, run as an auditor would (sha256sum, openssl and python3 only;
# tests/cli/test_pack.sh runs its README verbatim and tampers with it)
check "pack: check.sh passes" 0 unpacked/audit-pack/check.sh
contains "pack: check.sh names the record" "$OUT" "yes records/"
lacks "pack: check.sh finds nothing wrong" "$OUT" "no "
if python3 -c 'import cryptography' 2>/dev/null; then
    assert "pack: python3-cryptography verifies too" python3 - unpacked/audit-pack <<'PY2'
import base64, glob, json, os, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
pack = sys.argv[1]
key = load_pem_public_key(open(os.path.join(pack, "keys/1.pub"), "rb").read())
for f in glob.glob(os.path.join(pack, "records/**/*.json"), recursive=True):
    e = json.load(open(f)); p = base64.b64decode(e["payload"]); t = e["payloadType"].encode()
    key.verify(base64.b64decode(e["signatures"][0]["sig"]), b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p))
PY2
fi
check "export of a tampered store exits 3" 3 "$EA" export --store tampered --control A.8.32 \
    --pubkey key.pub --out bad.tar.gz
contains "export names the tampered record" "$ERR" "FAIL controls/A.8.32/"
[ ! -e bad.tar.gz ] && pass || fail "a pack was written from a tampered store"
check "export without --control" 2 "$EA" export --store "$store" --out x.tar.gz
check "export without --out" 2 "$EA" export --store "$store" --control A.8.32

# --- bad SoA files: each a clear error naming the line
printf 'controls:\n  A.8.32:\n    status: applied\n    justification: x\n  A.8.99:\n    status: applied\n' >unknown.yaml
printf 'controls:\n  A.8.32:\n    status: implemented\n' >status.yaml
printf 'controls:\n  A.8.32:\n    status: applied\n  A.7.1:\n    status: excluded\n' >nojust.yaml
printf 'controls:\n  A.8.32: [unclosed\n' >broken.yaml
printf 'controls:\n  A.8.32:\n    status: applied\n    evidence: {max_age: soon}\n' >age.yaml
for case in "unknown.yaml:unknown.yaml:5:" "status.yaml:status.yaml:3: control A.8.32: status 'implemented'" \
    "nojust.yaml:nojust.yaml:4: control A.7.1 is excluded without a justification" \
    "broken.yaml:broken.yaml:3:" "age.yaml:duration 'soon'" "missing.yaml:missing.yaml"; do
    f=${case%%:*} want=${case#*:}
    check "bad SoA: $f" 2 "$EA" report --soa "$f" --store "$store"
    contains "bad SoA: $f says where" "$ERR" "$want"
done
contains "unknown control suggests" "$ERR" "missing.yaml"
check "no --soa" 2 "$EA" report --store "$store"
contains "no --soa says how to start" "$ERR" "--init-soa"

# --- the starter SoA
check "init-soa" 0 "$EA" report --init-soa --out starter.yaml
check "init-soa does not overwrite" 2 "$EA" report --init-soa --out starter.yaml
check "the starter SoA is read" 0 "$EA" report --soa starter.yaml --store "$store" --format json
assert "the starter covers all 93 controls" python3 -c '
import json,sys; r=json.load(sys.stdin)
assert r["summary"]["controls_in_soa"]==93 and r["summary"]["not_covered"]==0, r["summary"]' <"$OUT"
finish
