#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The verify step of the GitHub Action: checks the store the collect step wrote. POSIX sh.
# EA_STORE, EA_PUBKEY (public key files, blank-separated; empty: the public half of the
# signing key, which proves the store consistent with that key only), EA_STREAM (verify only
# what this job wrote), EA_KEY / EVIDENCE_KEY_PEM / EVIDENCE_KEY as for collect.sh.
set -eu
set -f

if [ -n "${EA_KEY:-}" ]; then
    EVIDENCE_KEY_PEM=$EA_KEY
    export EVIDENCE_KEY_PEM
fi
set -- --store "${EA_STORE:-./evidence-store}"
n=0
for k in ${EA_PUBKEY:-}; do set -- "$@" --pubkey "$k"; n=$((n + 1)); done
if [ "$n" -eq 0 ]; then
    pub=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/evidence-agent-key.$$.pub
    if [ -n "${EVIDENCE_KEY:-}" ]; then
        openssl pkey -in "$EVIDENCE_KEY" -pubout -out "$pub"
    else
        printf '%s\n' "$EVIDENCE_KEY_PEM" | openssl pkey -pubout -out "$pub"
    fi
    set -- "$@" --pubkey "$pub"
fi
# A long-lived store holds other jobs' streams: check only this job's.
if [ -n "${EA_STREAM:-}" ]; then set -- "$@" --stream "$EA_STREAM"; fi
evidence-agent verify "$@" # exit 3: a record failed a check
