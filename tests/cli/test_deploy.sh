#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The deployment files as a user pastes them: the GitHub Action and the example workflow
# (validated by action-validator, every third-party action pinned to a commit, the action's
# scripts run under bash and dash with a simulated runner), the GitLab template (its inputs
# interpolated as GitLab does, its script run under sh), the Kubernetes template (checked
# against the API schemas) and the systemd unit as `cmake --install` writes it
# (systemd-analyze verify). The node validators come from ci/setup.sh (npm, into .tools/).
. "$(dirname "$0")/lib.sh"
cd "$WORK"
SRC=$EA_SOURCE_DIR
MODS=${EA_TOOLS_DIR:-$SRC/.tools}/node_modules
BIN_DIR=$WORK/bin
mkdir -p "$BIN_DIR"
ln -s "$EA_BIN" "$BIN_DIR/evidence-agent"

# --- GitHub: the files validate, and every action they use is pinned to a commit
if [ -x "$MODS/.bin/action-validator" ]; then
    check "action.yml validates" 0 "$MODS/.bin/action-validator" "$SRC/action.yml"
    check "the example workflow validates" 0 "$MODS/.bin/action-validator" \
        "$SRC/ci/deploy/github-actions/example-workflow.yml"
    # the validator is not a no-op: a step without `run` or `uses` is refused
    mkdir -p bad-action
    printf 'name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n    - shell: sh\n' \
        >bad-action/action.yml
    check "action-validator refuses a broken action" 1 "$MODS/.bin/action-validator" bad-action/action.yml
else
    fail "action-validator is not installed in $MODS (run ci/setup.sh, which installs it with npm)"
fi
uses=$(grep -hE '^\s*-?\s*uses:' "$SRC/action.yml" "$SRC/ci/deploy/github-actions/example-workflow.yml" |
    sed 's/.*uses:[[:space:]]*//; s/[[:space:]]*#.*//')
[ -n "$uses" ] && pass || fail "no uses: found"
for u in $uses; do
    if [[ $u == ./* || ${u##*@} =~ ^[0-9a-f]{40}$ ]]; then pass; else fail "$u: not pinned to a commit SHA"; fi
done

# --- GitHub: the action's scripts with a simulated runner, under bash and dash
make_repo repo >/dev/null
"$EA_BIN" keygen --private key.pem --public key.pub >/dev/null 2>&1
KEY_TEXT=$(cat key.pem)
KEY_BODY=$(sed -n 2p key.pem)
cat >high.sarif <<'SARIF'
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"R1"}]}},"results":[{"ruleId":"R1","level":"error","message":{"text":"bad"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":1}}}]}]}]}
SARIF
GH=$SRC/ci/deploy/github-actions
for shell in bash dash; do
    if ! command -v "$shell" >/dev/null; then fail "$shell is not installed"; continue; fi
    run=$WORK/runner-$shell
    mkdir -p "$run/temp"
    runner=(env -u EVIDENCE_KEY -u EVIDENCE_KEY_PEM PATH="$BIN_DIR:$PATH" RUNNER_TEMP="$run/temp"
        GITHUB_OUTPUT="$run/output" GITHUB_STEP_SUMMARY="$run/summary" GITHUB_PATH="$run/path"
        EA_ACTION_PATH="$SRC" EA_STORE="$run/store")

    check "$shell: install finds the agent on PATH" 0 "${runner[@]}" "$shell" "$GH/install.sh"
    contains "$shell: mode=path" "$run/output" "mode=path"
    : >"$run/output"
    check "$shell: without the agent, install chooses to build, with a cache key" 0 \
        env PATH=/usr/bin:/bin GITHUB_OUTPUT="$run/output" EA_ACTION_PATH="$SRC" "$shell" "$GH/install.sh"
    contains "$shell: mode=build" "$run/output" "mode=build"
    if grep -qE '^cache-key=evidence-agent-build-[A-Za-z]+-[A-Za-z0-9_]+-[0-9a-f]{16}$' "$run/output"; then
        pass; else fail "$shell: cache key: $(cat "$run/output")"; fi
    check "$shell: a package that is not a .deb is refused" 2 "${runner[@]}" EA_PACKAGE=agent.tar \
        "$shell" "$GH/install.sh"
    contains "$shell: it says why" "$OUT" "must name a .deb file"
    check "$shell: a missing .deb is refused" 2 "${runner[@]}" EA_PACKAGE=nosuch.deb "$shell" "$GH/install.sh"

    : >"$run/output"
    check "$shell: collect stores the commit" 0 "${runner[@]}" EA_KEY="$KEY_TEXT" \
        EA_COLLECTORS="git=$WORK/repo" EA_CONTROLS="A.5.1 A.8.9" EA_GATE=false "$shell" "$GH/collect.sh"
    if grep -qE '^record-ids=[0-9a-f]{64}$' "$run/output"; then pass; else fail "$shell: record-ids: $(cat "$run/output")"; fi
    contains "$shell: result output" "$run/output" "result=info"
    contains "$shell: gate-failed output" "$run/output" "gate-failed=false"
    contains "$shell: the summary's table" "$run/summary" "| record | kind | controls | result |"
    contains "$shell: the record's row, with --control added" "$run/summary" "| git_commit | A.5.1, A.8.4, A.8.9, A.8.32 | info |"
    stream=$(sed -n 's/^stream=//p' "$run/output")
    [ -n "$stream" ] && pass || fail "$shell: no stream output"
    check "$shell: verify checks the job's stream with the key's public half" 0 "${runner[@]}" \
        EA_KEY="$KEY_TEXT" EA_STREAM="$stream" "$shell" "$GH/verify.sh"
    contains "$shell: verify read only that stream" "$OUT" "0 problems"
    check "$shell: verify with a committed public key" 0 "${runner[@]}" EA_PUBKEY="$WORK/key.pub" \
        EA_STREAM="$stream" "$shell" "$GH/verify.sh"
    "$EA_BIN" keygen --private other.pem --public other.pub >/dev/null 2>&1
    check "$shell: verify with another key fails (3)" 3 "${runner[@]}" EA_PUBKEY="$WORK/other.pub" \
        EA_STREAM="$stream" "$shell" "$GH/verify.sh"

    : >"$run/output"
    check "$shell: with the gate on, a failing scan is stored and the step says so" 0 "${runner[@]}" \
        EA_KEY="$KEY_TEXT" EA_COLLECTORS="scan=$WORK/high.sarif" EA_GATE=true "$shell" "$GH/collect.sh"
    contains "$shell: gate-failed=true" "$run/output" "gate-failed=true"
    contains "$shell: result=fail" "$run/output" "result=fail"
    contains "$shell: the summary says the gate failed" "$run/summary" "**Gate failed**"
    check "$shell: no key is a usage error" 2 "${runner[@]}" EA_COLLECTORS="git=$WORK/repo" "$shell" "$GH/collect.sh"
    contains "$shell: it names the input" "$OUT" "key input"
    check "$shell: a bad gate value is a usage error" 2 "${runner[@]}" EA_KEY="$KEY_TEXT" EA_GATE=yes \
        EA_COLLECTORS="git=$WORK/repo" "$shell" "$GH/collect.sh"
    check "$shell: no collectors is a usage error" 2 "${runner[@]}" EA_KEY="$KEY_TEXT" EA_COLLECTORS=" " \
        "$shell" "$GH/collect.sh"
    check "$shell: a collector's runtime failure is the step's" 2 "${runner[@]}" EA_KEY="$KEY_TEXT" \
        EA_COLLECTORS="nosuch" "$shell" "$GH/collect.sh"
    cat "$run/output" "$run/summary" >"$run/everything"
    lacks "$shell: the key is in no output or summary" "$run/everything" "$KEY_BODY"
done

# --- GitLab: the template with its inputs interpolated, its script under sh
GL=$SRC/ci/deploy/gitlab-ci/evidence-agent.gitlab-ci.yml
gl_run() { # gl_run DIR EXPECTED_EXIT NAME=VALUE...: interpolate, then run the job's script
    local dir=$1 want=$2
    shift 2
    mkdir -p "$dir"
    if ! python3 "$SRC/tests/cli/gitlab_job.py" "$GL" evidence-agent "$dir" "$@" >"$dir/job.json" 2>"$ERR"; then
        fail "gitlab: the template does not parse: $(cat "$ERR")"
        return
    fi
    (
        cd "$dir" || exit 1
        set -a
        CI_PROJECT_DIR=$dir CI_JOB_ID=42 CI_PIPELINE_ID=7 CI_PROJECT_PATH_SLUG=acme-app
        EVIDENCE_KEY_PEM_B64=$(base64 -w0 "$WORK/key.pem")
        while IFS='=' read -r k v; do eval "$k=\"$v\""; done <variables
        set +a
        check "gitlab: the job's script under sh ($*)" "$want" env -u EVIDENCE_KEY -u EVIDENCE_KEY_PEM \
            PATH="$BIN_DIR:$PATH" sh script.sh
        cp "$OUT" "$dir/stdout"
        cp "$ERR" "$dir/stderr"
        echo "$PASSED $FAILED" >"$dir/counts"
    )
    read -r p f <"$dir/counts"
    PASSED=$p FAILED=$f
}
gl_run "$WORK/gl1" 0 collectors="git=$WORK/repo" controls="A.8.9"
contains "gitlab: image pinned by digest" "$WORK/gl1/job.json" '"name": "registry.example/evidence-agent@sha256:'
contains "gitlab: the agent id input reaches the job" "$WORK/gl1/job.json" '"EA_AGENT_ID": "$CI_PROJECT_PATH_SLUG"'
contains "gitlab: the job verified its stream" "$WORK/gl1/stdout" "0 problems"
contains "gitlab: the record carries the control input" "$WORK/gl1/evidence-agent.json" '"A.8.9"'
contains "gitlab: the agent id" "$WORK/gl1/evidence-agent.json" '"agent_id":"acme-app"'
for input in collectors store controls gate agent-id pubkey image stage; do
    contains "gitlab: input $input, as the action has" "$WORK/gl1/job.json" "\"$input\""
done
gl_run "$WORK/gl2" 4 collectors="scan=$WORK/high.sarif" gate=true pubkey="$WORK/key.pub"
contains "gitlab: the gate failed after verify passed" "$WORK/gl2/stdout" "0 problems"
contains "gitlab: and says so" "$WORK/gl2/stderr" "gate failed"
gl_run "$WORK/gl3" 3 collectors="git=$WORK/repo" pubkey="$WORK/other.pub"
if python3 "$SRC/tests/cli/gitlab_job.py" "$GL" evidence-agent "$WORK" gate=maybe >/dev/null 2>"$ERR"; then
    fail "gitlab: a boolean input accepted 'maybe'"
else
    pass
fi
cat "$WORK"/gl*/stdout "$WORK"/gl*/stderr >"$WORK/gl-all"
lacks "gitlab: the key is in no output" "$WORK/gl-all" "$KEY_BODY"

# --- Kubernetes: every object against the API's schemas
if [ -d "$MODS/kubernetes-models" ]; then
    check "kubernetes: sidecar.yaml validates" 0 node "$SRC/tests/cli/k8s_validate.js" "$MODS" \
        "$SRC/ci/deploy/kubernetes/sidecar.yaml"
    sed 's/periodSeconds: 20/periodSeconds: "often"/' "$SRC/ci/deploy/kubernetes/sidecar.yaml" >bad.yaml
    check "kubernetes: the validator refuses a string where an integer belongs" 1 node \
        "$SRC/tests/cli/k8s_validate.js" "$MODS" bad.yaml
else
    fail "kubernetes-models is not installed in $MODS (run ci/setup.sh)"
fi

# --- the daemon configurations the templates ship pass --check-config --offline, with their
# /etc/evidence-agent files (key, trusted keys) made in a temporary folder
mkdir -p etc
cp key.pem etc/key.pem
cp key.pub etc/key.pub
cp key.pub etc/ci-signer.pub
python3 - "$SRC/ci/deploy/kubernetes/sidecar.yaml" >sidecar-agent.yaml <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and "agent.yaml" in d.get("data", {}):
        sys.stdout.write(d["data"]["agent.yaml"])
PY
# and the host's files they name, as a user's host has them
mkdir -p host/app-config host/nginx host/inbox host/bin
echo "listen: 8080" >host/app-config/app.yaml
echo "server {}" >host/nginx/site.conf
printf '#!/bin/sh\necho "{}"\n' >host/bin/check && chmod +x host/bin/check
for conf in sidecar-agent.yaml "$SRC/ci/deploy/systemd/agent.yaml"; do
    sed "s#/etc/evidence-agent/#$WORK/etc/#g; s#/var/lib/evidence-agent/#$WORK/var/#g
         s#/srv/app/config/#$WORK/host/app-config/#g; s#/srv/app#$WORK/repo#g
         s#/etc/nginx/conf.d/#$WORK/host/nginx/#g; s#/var/spool/evidence-inbox#$WORK/host/inbox#g
         s#/usr/local/bin/backup-restore-check#$WORK/host/bin/check#g" "$conf" >conf.yaml
    check "$(basename "$conf"): daemon --check-config --offline" 0 env EA_INGEST_TOKEN=t0k3n-for-the-check \
        CENTRAL_INGEST_TOKEN=t0k3n AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=example \
        "$EA_BIN" daemon --config conf.yaml --check-config --offline
done

# --- systemd: the unit as `cmake --install` writes it, its binary installed beside it (a staging
# root: the ExecStart path is re-rooted there, as systemd-analyze checks that it is executable)
if command -v systemd-analyze >/dev/null; then
    build_dir=$(dirname "$(dirname "$EA_BIN")")
    if DESTDIR=$WORK/root cmake --install "$build_dir" >/dev/null 2>"$ERR"; then
        unit=$(find "$WORK/root" -name evidence-agent.service | head -1)
        exec_path=$(sed -n 's/^ExecStart=\([^ ]*\) daemon --config .*/\1/p' "$unit")
        if [ -n "$exec_path" ] && [ -x "$WORK/root$exec_path" ]; then pass; else
            fail "systemd: the unit's ExecStart ($exec_path) is not what cmake --install installed"; fi
        mkdir -p unit
        sed "s#^ExecStart=$exec_path#ExecStart=$WORK/root$exec_path#" "$unit" >unit/evidence-agent.service
        check "systemd: systemd-analyze verify" 0 systemd-analyze verify unit/evidence-agent.service
        if [ -s "$ERR" ]; then fail "systemd: systemd-analyze warns: $(head -3 "$ERR")"; else pass; fi
        printf '[Service]\nProtectSystem=bogus\n' >>unit/evidence-agent.service
        systemd-analyze verify unit/evidence-agent.service >"$OUT" 2>"$ERR" || true
        contains "systemd: the check sees a bad value" "$ERR" "bogus"
    else
        fail "cmake --install failed: $(head -3 "$ERR")"
    fi
else
    echo "SKIP: systemd-analyze is not installed"
fi
finish
