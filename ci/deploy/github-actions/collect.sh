#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The collect step of the GitHub Action (action.yml at the repository root). POSIX sh: the
# tests run it under bash and dash. Inputs arrive as environment variables, never pasted into
# the script: EA_COLLECTORS, EA_STORE, EA_CONTROLS, EA_GATE, EA_AGENT_ID, EA_KEY (the signing
# key's PEM text; empty: EVIDENCE_KEY_PEM or EVIDENCE_KEY from the step's env).
# Writes the outputs record-ids, result, stream and gate-failed to $GITHUB_OUTPUT and a
# table of the records to $GITHUB_STEP_SUMMARY.
set -eu
set -f # the lists below are split on blanks, never glob-expanded

if [ -n "${EA_KEY:-}" ]; then
    EVIDENCE_KEY_PEM=$EA_KEY
    export EVIDENCE_KEY_PEM
fi
if [ -z "${EVIDENCE_KEY_PEM:-}" ] && [ -z "${EVIDENCE_KEY:-}" ]; then
    echo "::error::evidence-agent: no signing key: pass a secret as the key input (key: \${{ secrets.EVIDENCE_KEY_PEM }})"
    exit 2
fi

set -- --store "${EA_STORE:-./evidence-store}" --output json
if [ -n "${EA_AGENT_ID:-}" ]; then set -- "$@" --agent-id "$EA_AGENT_ID"; fi
for c in ${EA_CONTROLS:-}; do set -- "$@" --control "$c"; done
case "${EA_GATE:-false}" in
true) set -- "$@" --gate ;;
false | "") ;;
*) echo "::error::evidence-agent: gate must be true or false, not '$EA_GATE'"; exit 2 ;;
esac
n=0
for c in ${EA_COLLECTORS:-}; do set -- "$@" "$c"; n=$((n + 1)); done
if [ "$n" -eq 0 ]; then echo "::error::evidence-agent: the collectors input is empty"; exit 2; fi

json=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/evidence-agent-collect.$$.json
rc=0
evidence-agent collect "$@" >"$json" || rc=$?
# 0: stored; 4: the gate failed but the records are stored (verify them before failing the job).
if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then rm -f "$json"; exit "$rc"; fi

# `collect --output json` prints one line; its record fields (hex IDs, kind and control names,
# result words) never hold quotes or commas, so sed reads them without a JSON tool.
records=$(sed -n 's/.*"records":\[\(.*\)\],"results".*/\1/p' "$json" | sed 's/},{"id"/}\
{"id"/g')
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
result=$(sed -n 's/.*,"result":"\([a-z]*\)"}$/\1/p' "$json")
stream=$(field stream <"$json")
store=$(field store <"$json")
ids=""
rows=""
while IFS= read -r r; do
    [ -n "$r" ] || continue
    id=$(printf '%s\n' "$r" | field id)
    kind=$(printf '%s\n' "$r" | field kind)
    res=$(printf '%s\n' "$r" | field result)
    controls=$(printf '%s\n' "$r" | sed -n 's/.*"controls":\[\([^]]*\)\].*/\1/p' | tr -d '"' | sed 's/,/, /g')
    ids="$ids${ids:+ }$id"
    rows="$rows| \`$(printf '%.12s' "$id")\` | $kind | $controls | $res |
"
done <<RECORDS
$records
RECORDS
rm -f "$json"

gate_failed=false
if [ "$rc" -eq 4 ]; then gate_failed=true; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "record-ids=$ids"
        echo "result=${result:-none}"
        echo "stream=$stream"
        echo "gate-failed=$gate_failed"
    } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
        echo "### evidence-agent: ${result:-no records}"
        echo
        echo "$(printf '%s\n' "$ids" | wc -w | tr -d ' ') records in \`$store\`, stream \`$stream\`."
        echo
        echo "| record | kind | controls | result |"
        echo "| --- | --- | --- | --- |"
        printf '%s' "$rows"
        if [ "$gate_failed" = true ]; then echo; echo "**Gate failed**: a record is fail or error."; fi
    } >>"$GITHUB_STEP_SUMMARY"
fi
exit 0
