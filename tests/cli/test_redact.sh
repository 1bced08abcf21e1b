#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: every line of tests/fixtures/redact/secrets.txt, in four CI forms
# (bare, GitHub timestamp, ANSI colours, GitLab section), split between two
# reads of the log inside the secret, straddling the kept length of a line,
# and a private-key block in each form, goes through `collect pipeline=LOG`
# into a folder store and through --dry-run. No secret may be in the store's
# files, stdout, stderr or any decoded payload; the lines of
# tests/fixtures/redact/ordinary.txt must come through whole. Failures name
# corpus entries by number, never the secret.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub >/dev/null 2>&1

python3 - "$EA_SOURCE_DIR/tests/fixtures/redact" <<'PY'
import sys
d = sys.argv[1]
rows = [l.rstrip("\n").split("\t", 1) for l in open(f"{d}/secrets.txt") if not l.startswith("#")]
ordinary = [l.rstrip("\n") for l in open(f"{d}/ordinary.txt") if not l.startswith("#")]
open("secrets.list", "w").write("".join(s + "\n" for s, _ in rows))
def forms(secret, line):
    at = line.index(secret)
    return [line, "2026-11-20T10:03:12.1234567Z " + line,
            "\x1b[32m" + line[:at] + "\x1b[0;m\x1b[1m" + line[at:] + "\x1b[0m",
            "\x1b[0Ksection_start:1700000000:deploy\r\x1b[0K\x1b[36;1m" + line + "\x1b[0;m",
            "\x1b[0Ksection_end:1700000000:deploy\r\x1b[0K",
            "x" * (999 - at - len(secret) // 2) + " " + line]
key = ["-----BEGIN RSA PRIVATE KEY-----"] + ["MIIEpAIBAAKCAQEA%02dKEYBODYzz" % k for k in range(8)] + \
      ["-----END RSA PRIVATE KEY-----"]
batch = 25
for b in range(0, len(rows), batch):
    # each log: its lines and, per line, where to cut the read (inside the secret)
    text, cuts = "", []
    for secret, line in rows[b:b + batch]:
        for f in forms(secret, line):
            if secret in f:
                cuts.append(len((text + f)[:len(text) + f.index(secret) + len(secret) // 2].encode()))
            text += f + "\n"
    for prefix in ("", "2026-11-20T10:03:12.1234567Z ", "\x1b[32m"):
        text += "".join(prefix + k + "\n" for k in key)
    text += "".join(o + "\n" for o in ordinary[:20]) + "end of log\n"
    open(f"log{b // batch}.log", "w").write(text)
    open(f"log{b // batch}.cuts", "w").write(" ".join(map(str, cuts)) + "\n")
open("ordinary.list", "w").write("".join(o + "\n" for o in ordinary[:20]))
PY

# writes FILE to stdout in pieces cut at the offsets of FILE.cuts, so each read ends in a secret
cat >feed.py <<'PY'
import sys, time
data = open(sys.argv[1], "rb").read()
cuts = [int(c) for c in open(sys.argv[2]).read().split()]
out, at = sys.stdout.buffer, 0
for c in cuts + [len(data)]:
    out.write(data[at:c]); out.flush(); at = c
    time.sleep(0.002)
PY

store=$WORK/store
: >all.stdout
: >all.stderr
for log in log*.log; do
    base=${log%.log}
    python3 feed.py "$log" "$base.cuts" |
        "$EA" collect --store "$store" --key key.pem --set pipeline.tail_lines=200 pipeline=- \
            >"$OUT" 2>"$ERR" && pass || fail "collect pipeline=- $log"
    cat "$OUT" >>all.stdout
    cat "$ERR" >>all.stderr
    check "collect --dry-run pipeline=$log" 0 \
        "$EA" collect --dry-run --key key.pem --set pipeline.tail_lines=200 "pipeline=$log"
    cat "$OUT" >>all.stdout
    cat "$ERR" >>all.stderr
    payloads "$OUT" >>all.payloads
done
find "$store" -type f -path '*controls*' -exec python3 -c '
import base64,json,sys
for p in sys.argv[1:]:
    print(base64.b64decode(json.load(open(p))["payload"]).decode())' {} + >>all.payloads
find "$store" -type f -exec cat {} + >all.store

assert "no corpus secret in the store, stdout, stderr or payloads" python3 - <<'PY'
import json, sys
secrets = [s.rstrip("\n") for s in open("secrets.list")]
bad = []
for name in ("all.store", "all.stdout", "all.stderr", "all.payloads"):
    text = open(name, encoding="utf-8", errors="replace").read()
    bad += [f"{name}: secrets.txt entry {i + 1}" for i, s in enumerate(secrets) if s in text]
    if "KEYBODYzz" in text or "END RSA PRIVATE" in text:
        bad.append(f"{name}: key block material")
for b in bad: print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
assert "every record counts its masks, by kind" python3 - <<'PY'
import json
n = 0
for l in open("all.payloads"):
    p = json.loads(l)["predicate"]
    tail = json.dumps(p["data"]["log"]["tail"])
    assert p["redactions"] == tail.count("[REDACTED:"), (p["redactions"], tail.count("[REDACTED:"))
    assert sum(p["redactions_by_kind"].values()) == p["redactions"]
    assert p["redactions_by_kind"]["private-key"] >= 30
    n += 1
assert n >= 10
PY
assert "ordinary lines come through whole" python3 - <<'PY'
import json
ordinary = [o.rstrip("\n") for o in open("ordinary.list")]
for l in open("all.payloads"):
    tail = json.loads(l)["predicate"]["data"]["log"]["tail"]
    for o in ordinary:
        assert o in tail, "an ordinary line was changed"
    assert tail[-1] == "end of log"
PY
# --- exec: the program's stderr is redacted whole, so a key block or a continued value
# spanning lines is masked on every line; a long line is redacted before the log cuts it
cat >noisy.sh <<'SH'
#!/bin/sh
echo "-----BEGIN RSA PRIVATE KEY-----" >&2
echo "MIIEpAIBAAKCAQEAFAKEstderrBody01" >&2
echo "MIIEpAIBAAKCAQEAFAKEstderrBody02" >&2
echo "-----END RSA PRIVATE KEY-----" >&2
echo 'export API_TOKEN=\' >&2
echo '  FAKEstderrCont0123' >&2
printf '%02000d ghp_FAKEq1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6\n' 0 >&2
echo "after" >&2
echo '{"data": {"ok": true}}'
SH
chmod +x noisy.sh
check "exec: a program printing secrets on stderr" 0 "$EA" collect --dry-run --key key.pem \
    --control A.8.15 exec="$WORK/noisy.sh"
assert "exec: no part of them on the agent's stderr" python3 -c '
import sys; t = open(sys.argv[1]).read()
for frag in ("FAKEstderrBody", "FAKEstderrCont", "END RSA", "FAKEq1w2"): assert frag not in t, frag
assert "after" in t, t' "$ERR"

check "the redacted records verify" 0 "$EA" verify --store "$store" --pubkey key.pub
assert "the redacted records are schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$store"
finish
