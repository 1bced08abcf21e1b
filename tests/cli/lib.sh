# SPDX-License-Identifier: Apache-2.0
# Helpers for end-to-end scripts that run the real binary. Source it; then call
# `check NAME EXPECTED_EXIT CMD...` and `finish` at the end. Each check captures
# stdout and stderr into $OUT and $ERR (files) for later assertions.
set -u
: "${EA_BIN:?EA_BIN must name the evidence-agent binary}"
: "${EA_SOURCE_DIR:?EA_SOURCE_DIR must name the source tree}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ea-cli-XXXXXX")
OUT=$WORK/stdout
ERR=$WORK/stderr
PASSED=0
FAILED=0
SERVERS="" # peers started by the script (start_replay, or appended by it): stopped at exit
trap 'kill $SERVERS 2>/dev/null; [ -n "${EA_KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2; head -c 2000 "$OUT" >&2 || true
    echo "--- stderr:" >&2; head -c 2000 "$ERR" >&2 || true
    FAILED=$((FAILED + 1))
}

pass() {
    PASSED=$((PASSED + 1))
}

# check NAME EXPECTED_EXIT CMD...: runs CMD, compares its exit status.
check() {
    local name=$1 want=$2
    shift 2
    local got=0
    "$@" >"$OUT" 2>"$ERR" </dev/null || got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit $got, expected $want ($*)"
        return 1
    fi
    pass
    return 0
}

# contains NAME FILE TEXT: FILE must contain TEXT (fixed string).
contains() {
    if grep -qF -- "$3" "$2"; then pass; else fail "$1: '$3' not found"; fi
}

# lacks NAME FILE TEXT: FILE must not contain TEXT.
lacks() {
    if grep -qF -- "$3" "$2"; then fail "$1: '$3' found but must not be"; else pass; fi
}

# assert NAME CMD...: CMD must succeed.
assert() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then pass; else fail "$name ($*)"; fi
}

# closed_port: a loopback port with nothing listening (bound, then closed).
closed_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# payloads FILE: the Statement of every record envelope in FILE (JSON lines, as --dry-run
# prints them), decoded, one per line; the signed stream heads among them are skipped.
payloads() {
    python3 -c '
import base64,json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["payloadType"] == "application/vnd.in-toto+json":
        print(base64.b64decode(e["payload"]).decode())' "$1"
}

# start_replay ROUTES.json: the replay server on a free loopback port, stopped at exit (or by
# stop_replay); sets REPLAY_URL (http://127.0.0.1:PORT) and REPLAY_PID.
start_replay() {
    local port_file
    port_file=$(mktemp "$WORK/replay-port.XXXXXX")
    rm -f "$port_file"
    python3 "$EA_SOURCE_DIR/tests/testkit/replay_server.py" "$1" "$port_file" >>"$WORK/replay.log" 2>&1 &
    REPLAY_PID=$!
    SERVERS="$SERVERS $REPLAY_PID"
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
    REPLAY_URL="http://127.0.0.1:$(cat "$port_file")"
}

# start_silent: a loopback server that accepts connections and never answers (a hung API),
# stopped at exit; sets SILENT_URL.
start_silent() {
    local port_file
    port_file=$(mktemp "$WORK/silent-port.XXXXXX")
    rm -f "$port_file"
    python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)  # read nothing, answer nothing
' "$port_file" >>"$WORK/silent.log" 2>&1 &
    SERVERS="$SERVERS $!"
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
    SILENT_URL="http://127.0.0.1:$(cat "$port_file")"
}

# start_s3rver PORT: s3rver (npm, installed into .tools/ by ci/setup.sh) on loopback PORT,
# its bucket "evidence" kept in $WORK/s3data (so a restart on the same port finds it again),
# stopped at exit; sets S3PID. Returns 1 when it is not installed or does not answer.
S3RVER=${EA_TOOLS_DIR:-$EA_SOURCE_DIR/.tools}/node_modules/.bin/s3rver
start_s3rver() {
    [ -x "$S3RVER" ] || return 1
    mkdir -p "$WORK/s3data"
    # s3rver makes its ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 only
    # has in its legacy provider: without it, every truncated listing answers 500.
    NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" --directory "$WORK/s3data" --port "$1" \
        --address 127.0.0.1 --configure-bucket evidence --silent >>"$WORK/s3rver.log" 2>&1 &
    S3PID=$!
    SERVERS="$SERVERS $S3PID"
    for _ in $(seq 100); do
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
            "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "s3rver did not start on port $1" >&2
    return 1
}

stop_replay() {
    kill "$REPLAY_PID" 2>/dev/null
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# A git repository with two commits, fixed identities, and a remote with a secret in it.
make_repo() {
    local dir=$1
    mkdir -p "$dir"
    (
        cd "$dir" &&
            export GIT_AUTHOR_NAME="Ada Author" GIT_AUTHOR_EMAIL=ada@example.com \
                GIT_COMMITTER_NAME="Cy Committer" GIT_COMMITTER_EMAIL=cy@example.com \
                GIT_AUTHOR_DATE="2026-01-02T03:04:05Z" GIT_COMMITTER_DATE="2026-01-02T03:04:05Z" &&
            git init -q -b main . &&
            git config commit.gpgsign false &&
            echo one >a.txt && git add a.txt && git commit -q -m "first" &&
            echo two >b.txt && git add b.txt &&
            git commit -q -m "second" -m "Reviewed-by: Rae Viewer <rae@example.com>" &&
            git remote add origin "https://bot:ghp_CANARYcanary0123456789abcdefghijklmn@example.com/acme/app.git"
    )
}
