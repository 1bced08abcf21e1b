#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of the scan collector on huge reports (issue budget: 200 MB SARIF
# with 500,000 results at >= 100 MB/s with peak RSS < 64 MiB), beside jq
# computing the same severity counts on the same file in the same run.
# Usage: ci/bench_scan.sh   (EA_BENCH_SARIF_RESULTS=500000 to change the size)
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >/dev/null
bash ci/build.sh default >/dev/null
ea=$PWD/build/agent/evidence-agent
results=${EA_BENCH_SARIF_RESULTS:-500000}
work=$(mktemp -d "${TMPDIR:-/tmp}/ea-bench-scan-XXXXXX")
trap 'rm -rf "$work"' EXIT
$ea keygen --private "$work/key.pem" --public "$work/key.pub" 2>/dev/null

python3 - "$work" "$results" <<'PY'
import json, random, sys
work, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
levels = ["error", "warning", "note", "none"]
with open(f"{work}/big.sarif", "w") as f:
    rules = [{"id": f"R{i:03d}", "shortDescription": {"text": f"rule {i}"},
              "properties": {"security-severity": f"{(i % 100) / 10:.1f}"} if i % 3 else {}}
             for i in range(300)]
    f.write('{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "BenchScanner", "version": "1.0", "rules": ')
    f.write(json.dumps(rules))
    f.write('}}, "results": [')
    for i in range(n):
        r = random.randrange(300)
        f.write(("," if i else "") + json.dumps({
            "ruleId": f"R{r:03d}", "ruleIndex": r, "level": levels[i % 4],
            "message": {"text": f"Finding {i} in a function that does something questionable with input {i * 7}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/module{i % 500}/file{i % 97}.c", "uriBaseId": "SRCROOT"},
                                                "region": {"startLine": i % 4000 + 1, "startColumn": 5, "endColumn": 42}}}],
            "partialFingerprints": {"primaryLocationLineHash": f"{i * 2654435761 % (1 << 64):016x}:1"},
            **({"suppressions": [{"kind": "inSource", "status": "accepted"}]} if i % 50 == 0 else {})}))
    f.write("]}]}\n")
sev = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
with open(f"{work}/big-trivy.json", "w") as f:
    f.write('{"SchemaVersion": 2, "ArtifactName": "registry.example.com/big:1", "ArtifactType": "container_image", "Results": [')
    for t in range(20):
        f.write(("," if t else "") + '{"Target": "layer %d", "Class": "lang-pkgs", "Vulnerabilities": [' % t)
        f.write(",".join(json.dumps({"VulnerabilityID": f"CVE-2024-{t}{i:05d}", "PkgName": f"pkg{i % 900}", "InstalledVersion": "1.2.3",
                                     "FixedVersion": "1.2.4", "Severity": sev[i % 5], "Title": "A vulnerability in a package that parses input",
                                     "Description": "x" * 300, "References": [f"https://example.com/{i}"]}) for i in range(n // 20)))
        f.write("]}")
    f.write("]}\n")
PY

python3 - "$ea" "$work" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
ea, work = sys.argv[1:]
def timed(cmd, runs):
    t, rss = [], 0
    for _ in range(runs):
        with tempfile.NamedTemporaryFile() as f:
            s = time.monotonic()
            p = subprocess.run(["/usr/bin/time", "-o", f.name, "-f", "%M"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            t.append(time.monotonic() - s)
            rss = max(rss, int(open(f.name).read().split()[-1]))
        if p.returncode not in (0,):
            sys.exit(f"failed: {' '.join(cmd)}")
    return statistics.median(t), rss / 1024, p.stdout
for name, path, jq in (
        ("SARIF", "big.sarif", '[.runs[].results[] | (.properties."security-severity" // .level // "warning")] | group_by(.) | map({(.[0]|tostring): length}) | add'),
        ("Trivy", "big-trivy.json", '[.Results[].Vulnerabilities[]?.Severity] | group_by(.) | map({(.[0]): length}) | add')):
    f = os.path.join(work, path)
    mb = os.path.getsize(f) / 1e6
    te, re, _ = timed([ea, "collect", "--dry-run", "--key", os.path.join(work, "key.pem"), "scan=" + f], 3)
    tj, rj, _ = timed(["jq", "-c", jq, f], 1)
    print(f"{name} {mb:.0f} MB: evidence-agent {mb / te:.0f} MB/s, peak RSS {re:.1f} MiB; "
          f"jq (same counts) {mb / tj:.0f} MB/s, peak RSS {rj:.0f} MiB; speed ratio {tj / te:.1f}x"
          + ("  (budget: >= 100 MB/s, < 64 MiB)" if name == "SARIF" else ""))
PY
