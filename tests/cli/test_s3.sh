#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end against a real S3 peer: s3rver (npm, installed by ci/setup.sh
# into .tools/) on a free loopback port, stopped on exit. collect stores to
# S3; query and verify read from S3 exactly as from a folder (listing pages
# through continuation tokens); a tampered object is found; missing
# credentials and an unreachable endpoint are clear errors.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1
if [ ! -x "$S3RVER" ]; then
    echo "FAIL: s3rver is not installed at $S3RVER (run ci/setup.sh, which installs it with npm)"
    exit 1
fi
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
make_repo repo
port=$(closed_port)
start_s3rver "$port"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
url="s3://evidence/prod?endpoint=http://127.0.0.1:$port&region=us-east-1&path_style=1"

check "collect to S3" 0 "$EA" collect --store "$url" --key key.pem git=repo
check "collect again (another stream)" 0 "$EA" collect --store "$url" --key key.pem \
    scan="$EA_SOURCE_DIR/tests/collectors/scan/zap.json"
check "query from S3" 0 "$EA" query --store "$url" --format ndjson
assert "query lists both records" python3 -c '
import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["statement"]["predicate"]["kind"] for r in rows)==["git_commit","scan_result"], rows' "$OUT"
check "query one control and day from S3" 0 "$EA" query --store "$url" --control A.8.32 \
    --since "$(date -u +%Y-%m-%d)" --until "$(date -u +%Y-%m-%d)" --format ndjson
assert "one git record under A.8.32 today" python3 -c '
import sys; assert sum(1 for _ in open(sys.argv[1]))==1' "$OUT"
check "verify from S3" 0 "$EA" verify --store "$url" --pubkey key.pub
contains "verify counts the objects" "$OUT" "5 objects, 2 records, 2 streams, 0 checkpoints: 0 problems"
check "verify with one key per listing page" 0 "$EA" verify --store "$url&max_keys=1" --pubkey key.pub
contains "continuation: the same answer" "$OUT" "5 objects, 2 records, 2 streams, 0 checkpoints: 0 problems"
check "a checkpoint in S3" 0 "$EA" checkpoint --store "$url" --key key.pem --agent-id ci
check "a second one, linked" 0 "$EA" checkpoint --store "$url" --key key.pem --agent-id ci
contains "checkpoints are numbered per agent" "$OUT" "checkpoints/ci/000000000002.json"
check "verify the chain from S3" 0 "$EA" verify --store "$url&max_keys=1" --pubkey key.pub
contains "both checkpoints verified" "$OUT" "7 objects, 2 records, 2 streams, 2 checkpoints: 0 problems"
printf 'controls:\n  A.8.32: {status: applied, justification: reviewed changes}\n' >soa.yaml
check "report from S3" 0 "$EA" report --store "$url" --soa soa.yaml --format json --gate

check "export from S3" 0 "$EA" export --store "$url" --control A.8.32 --pubkey key.pub --key key.pem --out s3pack.tar.gz
mkdir s3pack && tar -xzf s3pack.tar.gz -C s3pack
check "the S3 pack checks itself" 0 s3pack/audit-pack/check.sh
contains "its signed head, read from S3" "$OUT" "yes streams/"
contains "its checkpoints, read from S3" "$OUT" "yes checkpoints/ci/000000000002.json"

# the store's objects are the file store's: same keys, same bytes
victim=$(find s3data/evidence/prod/controls/A.8.32 -name '*._S3rver_object' | head -1)
[ -n "$victim" ] && pass || fail "no object under prod/controls/A.8.32 in the S3 peer's folder"
python3 - "$victim" <<'PY'
import base64, json, sys
e = json.load(open(sys.argv[1]))
s = bytearray(base64.b64decode(e["signatures"][0]["sig"])); s[0] ^= 1
e["signatures"][0]["sig"] = base64.b64encode(bytes(s)).decode()
open(sys.argv[1], "w").write(json.dumps(e))
PY
check "verify finds a tampered S3 object" 3 "$EA" verify --store "$url" --pubkey key.pub
contains "names it" "$OUT" "/controls/A.8.32/"
contains "says what" "$OUT" "no signature verifies with the given public key"

check "no credentials" 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$EA" query --store "$url"
contains "says which variables" "$ERR" "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
check "a bucket that does not exist" 1 "$EA" query --store "s3://nosuch/x?endpoint=http://127.0.0.1:$port&path_style=1"
check "an unreachable endpoint" 1 "$EA" query --store "s3://evidence/x?endpoint=http://127.0.0.1:$(closed_port)&path_style=1"
for f in "$OUT" "$ERR"; do lacks "no secret key in output" "$f" "S3RVER:S3RVER"; done
finish
