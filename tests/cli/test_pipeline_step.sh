#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 16, item 7: a pipeline step that scales with the store. `verify --since/--until`,
# `--stream` and `--agent-id` read only what a job wrote (day folders outside the window are
# not listed; other agents' streams are not judged), and still catch a record deleted from the
# job's stream; `collect --output json` prints what was stored for the next step.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK"
make_repo repo
"$EA" keygen --private key.pem --public key.pub 2>/dev/null
S=$WORK/store

check "an earlier agent's run" 0 "$EA" collect --store "$S" --key key.pem --agent-id old "git=$WORK/repo"
check "the job: --output json" 0 "$EA" collect --store "$S" --key key.pem --agent-id job \
    --output json "git=$WORK/repo" "git=$WORK/repo"
cp "$OUT" job.json
assert "the JSON names the store, stream, records and the overall result" python3 -c '
import json,os,sys
d=json.load(open("job.json"))
assert d["store"]==sys.argv[1] and d["agent_id"]=="job" and d["dry_run"] is False, d
assert d["stream"].startswith("job."), d
assert len(d["records"])==2 and [r["sequence"] for r in d["records"]]==[1,2], d
for r in d["records"]:
    assert r["kind"]=="git_commit" and r["collector"]=="git" and r["result"]=="info", r
    assert "A.8.32" in r["controls"], r
    for c in r["controls"]:
        day=[p for p,_,fs in os.walk(os.path.join(sys.argv[1],"controls",c)) if any(r["id"] in f for f in fs)]
        assert day, (c, r["id"])
assert d["results"]=={"pass":0,"info":2,"fail":0,"error":0} and d["result"]=="info", d
' "$S"
lacks "no envelope on stdout" "$OUT" "payloadType"
stream=$(python3 -c 'import json; print(json.load(open("job.json"))["stream"])')

check "--output json with --dry-run" 0 "$EA" collect --key key.pem --dry-run --output json "git=$WORK/repo"
assert "a dry run's JSON says nothing was stored" python3 -c '
import json,sys
lines=open(sys.argv[1]).read().splitlines()
assert len(lines)==1, lines
d=json.loads(lines[0]); assert d["store"] is None and d["dry_run"] is True and len(d["records"])==1' "$OUT"
check "--output yaml is a usage error" 2 "$EA" collect --key key.pem --dry-run --output yaml "git=$WORK/repo"
contains "it names the formats" "$ERR" "use text or json"
check "--json suggests --output json" 2 "$EA" collect --json git
contains "the suggestion" "$ERR" "--output json"

# A stray record in a day folder long ago: the whole-store verify sees it, a job's window does not.
mkdir -p "$S/controls/A.8.32/2020/01/01"
echo '{}' >"$S/controls/A.8.32/2020/01/01/20200101T000000.000000Z_$(printf '%064d' 0).json"
check "the whole store fails on the old object" 3 "$EA" verify --store "$S" --pubkey key.pub
today=$(date -u +%F)
check "a window from today passes" 0 "$EA" verify --store "$S" --pubkey key.pub --since "$today"
contains "it says what a window leaves out" "$OUT" "a window"
contains "both streams of today" "$OUT" "2 streams"
check "--agent-id job" 0 "$EA" verify --store "$S" --pubkey key.pub --since "$today" --agent-id job
contains "the job's records only" "$OUT" "2 records, 1 stream"
check "--stream NAME" 0 "$EA" verify --store "$S" --pubkey key.pub --stream "$stream"
contains "the stream's records only" "$OUT" "2 records, 1 stream"
check "an agent with nothing in the window" 0 "$EA" verify --store "$S" --pubkey key.pub --since "$today" --agent-id nobody
contains "says so" "$ERR" "no records in the window"
check "a failing record in the window is judged whatever its stream" 3 "$EA" verify --store "$S" --pubkey key.pub --since 2019-12-31 --until 2020-01-01 --stream "$stream"
check "a window holding the old object fails" 3 "$EA" verify --store "$S" --pubkey key.pub --until 2020-01-01
check "--since after --until" 2 "$EA" verify --store "$S" --pubkey key.pub --since 2026-02-01 --until 2026-01-01
check "a window refuses --save-checkpoint" 2 "$EA" verify --store "$S" --pubkey key.pub --since "$today" --save-checkpoint cp.json
rm -rf "$S/controls/A.8.32/2020"

# The job's second record deleted (every copy): its window catches it; the other agent's does not.
id2=$(python3 -c 'import json; print(json.load(open("job.json"))["records"][1]["id"])')
find "$S/controls" -name "*_$id2.json" -delete
check "the job's window fails" 3 "$EA" verify --store "$S" --pubkey key.pub --agent-id job
contains "the head names the missing record" "$OUT" "streams/$stream.json"
check "the other agent's window is sound" 0 "$EA" verify --store "$S" --pubkey key.pub --agent-id old

# The first record deleted instead: the gap inside the window is named.
rm -rf "$S"
check "the job again" 0 "$EA" collect --store "$S" --key key.pem --agent-id job --output json \
    "git=$WORK/repo" "git=$WORK/repo" "git=$WORK/repo"
mid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"][1]["id"])' "$OUT")
find "$S/controls" -name "*_$mid.json" -delete
check "a record missing in the middle" 3 "$EA" verify --store "$S" --pubkey key.pub --since "$today"
contains "the gap is named" "$OUT" "sequence 2 to 2 missing"
finish
