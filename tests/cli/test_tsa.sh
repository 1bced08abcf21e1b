#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 19 (trusted time and key history), end to end against a real RFC 3161
# TSA on loopback: `openssl ts -reply` with an ECDSA P-256 TSA key and a CA the
# test makes, behind tests/testkit/tsa_server.py, with faketime for a TSA whose
# clock or certificate is off. collect --tsa stores a token beside each record
# without changing it; verify --tsa-ca judges each token, as an attacker with
# write access to the store would try to fool it; verify --keys judges each
# record's key at the record's time.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK"
for tool in openssl faketime; do
    if ! command -v $tool >/dev/null; then
        echo "SKIP: $tool is not installed (ci/setup.sh installs it)"
        exit 77
    fi
done
make_repo repo
"$EA" keygen --private key.pem --public key.pub 2>/dev/null
"$EA" keygen --private other.pem --public other.pub 2>/dev/null

# make_tsa DIR: an ECDSA P-256 root and a TSA certificate (critical EKU timeStamping, 30 days)
# signed by it, and openssl's [tsa] section for them.
make_tsa() {
    local d=$1
    mkdir -p "$d"
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
    openssl req -new -x509 -key "$d/ca.key" -subj "/CN=Test TSA Root" -days 3650 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        -out "$d/ca.pem" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/tsa.key" 2>/dev/null
    openssl req -new -key "$d/tsa.key" -subj "/CN=Test TSA" -out "$d/tsa.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' >"$d/ext"
    openssl x509 -req -in "$d/tsa.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 30 -extfile "$d/ext" -out "$d/tsa.pem" 2>/dev/null
    echo 01 >"$d/serial"
    cat >"$d/tsa.cnf" <<CNF
[ tsa ]
default_tsa = t
[ t ]
serial = $d/serial
crypto_device = builtin
signer_cert = $d/tsa.pem
certs = $d/ca.pem
signer_key = $d/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
    echo ok >"$d/mode"
}

# start_tsa DIR: the TSA of DIR on a free loopback port (stopped at exit); sets TSA_URL.
start_tsa() {
    rm -f "$1/port"
    python3 "$EA_SOURCE_DIR/tests/testkit/tsa_server.py" "$1" "$1/port" >>"$WORK/tsa.log" 2>&1 &
    SERVERS="$SERVERS $!"
    for _ in $(seq 100); do [ -s "$1/port" ] && break; sleep 0.1; done
    TSA_URL="http://127.0.0.1:$(cat "$1/port")/tsa"
}
make_tsa "$WORK/tsa"
make_tsa "$WORK/rogue" # another CA: its tokens must not pass for the auditor's TSA
start_tsa "$WORK/tsa"
mode() { echo "$*" >"$WORK/tsa/mode"; }
requests() { [ -f "$WORK/tsa/requests" ] && wc -l <"$WORK/tsa/requests" || echo 0; }
records() { find "$1/controls/A.8.32" -name '*.json' 2>/dev/null | wc -l; }
# companion STORE: the path of some token companion of STORE
companion() { find "$1/timestamps" -name '*.json' | sort | head -1; }

# --- collect --tsa: a token beside every record, the record unchanged ---
S=$WORK/s
check "collect --tsa" 0 "$EA" collect --store "$S" --key key.pem --control A.8.32 \
    --tsa "$TSA_URL" "git=$WORK/repo" "git=$WORK/repo"
contains "collect says it timestamped" "$ERR" "2 records timestamped"
assert "one companion per record" test "$(find "$S/timestamps" -name '*.json' | wc -l)" -eq 2
assert "each record is a plain DSSE envelope (signed bytes unchanged)" python3 -c '
import json,sys,glob
for f in glob.glob(sys.argv[1] + "/controls/*/*/*/*/*.json"):
    assert sorted(json.load(open(f))) == ["payload", "payloadType", "signatures"], f' "$S"
# The stored response is a plain RFC 3161 TimeStampResp over SHA-256(signature): openssl verifies it.
assert "companion layout: imprint = SHA-256 of the record's signature" python3 -c '
import base64,glob,hashlib,json,sys
for f in glob.glob(sys.argv[1] + "/timestamps/*/*.json"):
    c = json.load(open(f))
    rec = glob.glob(sys.argv[1] + "/controls/A.8.32/*/*/*/*_" + c["record"] + ".json")[0]
    sig = base64.b64decode(json.load(open(rec))["signatures"][0]["sig"])
    assert hashlib.sha256(sig).hexdigest() == c["signature_sha256"]
    assert f.endswith("/" + c["record"][:2] + "/" + c["record"] + ".json")
    assert "merkle" not in c and c["tsa"].startswith("http://127.0.0.1:")
    open(f + ".tsr", "wb").write(base64.b64decode(c["response"]))
    open(f + ".digest", "w").write(c["signature_sha256"])' "$S"
for t in "$S"/timestamps/*/*.tsr; do
    check "openssl ts -verify accepts the stored response" 0 openssl ts -verify \
        -digest "$(cat "${t%.tsr}.digest")" -in "$t" -CAfile "$WORK/tsa/ca.pem"
    rm -f "$t" "${t%.tsr}.digest"
done
check "verify --tsa-ca" 0 "$EA" verify --store "$S" --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem"
contains "verify reports each genTime" "$OUT" "TIMESTAMP $S/controls/A.8.32/"
contains "verify names the TSA" "$OUT" "by /CN=Test TSA (policy 1.3.6.1.4.1.99999.1)"
contains "verify counts the tokens" "$OUT" "timestamps verified: 2"
check "verify without --tsa-ca ignores the tokens" 0 "$EA" verify --store "$S" --pubkey key.pub

# --- failover, and every TSA down ---
dead="http://127.0.0.1:$(closed_port)/tsa"
F=$WORK/failover
check "collect fails over to the next TSA" 0 "$EA" collect --store "$F" --key key.pem \
    --control A.8.32 --tsa "$dead" --tsa "$TSA_URL" "git=$WORK/repo"
contains "the dead TSA is named" "$ERR" "127.0.0.1:"
assert "the token came from the second" grep -qF "\"tsa\":\"$TSA_URL\"" "$(companion "$F")"
check "failed-over store verifies" 0 "$EA" verify --store "$F" --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem"
D=$WORK/down
check "every TSA down: stored, with a warning" 0 "$EA" collect --store "$D" --key key.pem \
    --control A.8.32 --tsa "$dead" "git=$WORK/repo"
contains "the warning says so" "$ERR" "1 of 1 record stored without a timestamp"
assert "the record is stored" test "$(records "$D")" -eq 1
check "a record without a token fails verify --tsa-ca" 3 "$EA" verify --store "$D" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem"
contains "the missing token is named" "$OUT" "no timestamp token"
R=$WORK/required
check "--tsa-required: exit 1, nothing stored" 1 "$EA" collect --store "$R" --key key.pem \
    --control A.8.32 --tsa "$dead" --tsa-required "git=$WORK/repo"
contains "--tsa-required names the cause" "$ERR" "no TSA gave a timestamp"
assert "--tsa-required stored no record" test "$(records "$R")" -eq 0

# --- a TSA that answers wrongly is a TSA that failed ---
for m in "garbage:not a DER TimeStampResp" "wrong-imprint:wrong imprint" \
    "wrong-nonce:answers another request" "refuse:500"; do
    mode "${m%%:*}"
    check "TSA ${m%%:*}: --tsa-required exits 1" 1 "$EA" collect --store "$R" --key key.pem \
        --control A.8.32 --tsa "$TSA_URL" --tsa-required "git=$WORK/repo"
    contains "TSA ${m%%:*}: the cause is named" "$ERR" "${m#*:}"
    assert "TSA ${m%%:*}: nothing stored" test "$(records "$R")" -eq 0
done
mode ok
check "usage: --tsa needs http(s)" 2 "$EA" collect --store "$R" --key key.pem --tsa ftp://x "git=$WORK/repo"
check "usage: --tsa-required needs --tsa" 2 "$EA" collect --store "$R" --key key.pem --tsa-required "git=$WORK/repo"
check "usage: --max-skew needs --tsa-ca" 2 "$EA" verify --store "$S" --pubkey key.pub --max-skew 1m
check "usage: --tsa-ca must be readable" 2 "$EA" verify --store "$S" --pubkey key.pub --tsa-ca "$WORK/none.pem"

# --- an attacker with write access to the store ---
fresh() { rm -rf "$WORK/$1"; cp -a "$S" "$WORK/$1"; T=$WORK/$1; }
vt() { check "$1" 3 "$EA" verify --store "$T" --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem" ${2:+$2}; }
mapfile -t C < <(find "$S/timestamps" -name '*.json' | sort | sed "s|^$S/||")

fresh swapped
cp "$T/${C[0]}" "$T/${C[1]}"
vt "a token swapped between records fails"
contains "swapped: named" "$OUT" "swapped between records"

fresh relabelled # the swapped token claims the other record: its imprint gives it away
python3 -c '
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
a["record"]=b["record"]; a["signature_sha256"]=b["signature_sha256"]
open(sys.argv[2],"w").write(json.dumps(a))' "$T/${C[0]}" "$T/${C[1]}"
vt "a token over another record's signature fails"
contains "wrong imprint: named" "$OUT" "wrong imprint: the token is over other bytes"

# splice DIR TOKEN_A TOKEN_B: record B gets record A's signature in front of its own, and A's
# token relabelled as B's: a signature that verifies (B's) borrows A's token and genTime
splice() {
    python3 -c '
import json, sys, glob, os
root, ca, cb = sys.argv[1], sys.argv[2], sys.argv[3]
a = json.load(open(os.path.join(root, ca))); b = json.load(open(os.path.join(root, cb)))
rid_a, rid_b = a["record"], b["record"]
def copies(rid):
    return [f for f in glob.glob(root + "/**/*" + rid + ".json", recursive=True)
            if "/timestamps/" not in f]
sig_a = json.load(open(copies(rid_a)[0]))["signatures"][0]
for f in copies(rid_b):
    e = json.load(open(f)); e["signatures"] = [sig_a] + e["signatures"]
    open(f, "w").write(json.dumps(e))
a["record"] = rid_b
open(os.path.join(root, cb), "w").write(json.dumps(a))' "$1" "$2" "$3"
}
fresh spliced
splice "$T" "${C[0]}" "${C[1]}"
vt "a record with another record's signature and token in front fails"
contains "spliced: named" "$OUT" "2 signatures: with --tsa-ca or --keys a record must carry exactly one"

fresh nonce
python3 -c '
import json,sys
a=json.load(open(sys.argv[1])); a["nonce"]="0102030405060708"
open(sys.argv[1],"w").write(json.dumps(a))' "$T/${C[0]}"
vt "a token for another nonce fails"
contains "nonce: named" "$OUT" "answers another request"

fresh malformed
echo '{"type":"application/vnd.evidence-agent.timestamp.v1+json"' >"$T/${C[0]}"
vt "a malformed companion fails"
contains "malformed: named" "$OUT" "timestamp: not a JSON object"

fresh truncated
python3 -c '
import json,sys
a=json.load(open(sys.argv[1])); a["response"]=a["response"][:300]
open(sys.argv[1],"w").write(json.dumps(a))' "$T/${C[0]}"
vt "a truncated token fails"
contains "truncated: named" "$OUT" "not a DER TimeStampResp"

fresh deleted
rm "$T/${C[0]}"
vt "a deleted token fails"
contains "deleted: named" "$OUT" "no timestamp token"

fresh orphan
find "$T/controls" -name "*_$(basename "${C[0]}")" -delete
vt "a token whose record was deleted fails"
contains "orphan: named" "$OUT" "which the store does not hold"

fresh stray
mkdir -p "$T/timestamps/zz" && echo '{}' >"$T/timestamps/zz/x.json"
vt "a stray file under timestamps/ fails"
contains "stray: named" "$OUT" "not a timestamp name"

check "query --tsa-ca answers a sound store" 0 "$EA" query --store "$S" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --control A.8.32
check "query --tsa-ca refuses a store whose token was deleted" 3 "$EA" query --store "$WORK/deleted" \
    --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem"
contains "query: the cause is named" "$ERR" "no timestamp token"
"$EA" report --init-soa --out soa.yaml 2>/dev/null
check "report --tsa-ca on a sound store" 0 "$EA" report --store "$S" --soa soa.yaml --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --out report.md
check "report --tsa-ca refuses a swapped token" 3 "$EA" report --store "$WORK/swapped" --soa soa.yaml \
    --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem" --out report.md
contains "report: the cause is named" "$ERR" "swapped between records"
check "usage: query --tsa-ca needs a key" 2 "$EA" query --store "$S" --tsa-ca "$WORK/tsa/ca.pem"
T=$S
check "a token of another CA fails" 3 "$EA" verify --store "$S" --pubkey key.pub --tsa-ca "$WORK/rogue/ca.pem"
contains "rogue: named" "$OUT" "does not verify against --tsa-ca"
check "a token under another policy fails --tsa-policy" 3 "$EA" verify --store "$S" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --tsa-policy 1.3.6.1.4.1.99999.2
contains "policy: named" "$OUT" "issued under policy 1.3.6.1.4.1.99999.1, not 1.3.6.1.4.1.99999.2"
P=$WORK/policy
check "collect --tsa-policy asks for a policy" 0 "$EA" collect --store "$P" --key key.pem --control A.8.32 \
    --tsa "$TSA_URL" --tsa-policy 1.3.6.1.4.1.99999.2 "git=$WORK/repo"
check "and the token carries it" 0 "$EA" verify --store "$P" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --tsa-policy 1.3.6.1.4.1.99999.2

# --- a TSA whose clock or certificate is off (faketime) ---
K=$WORK/skew
mode ok +2h
check "collect with a TSA clock 2 h ahead" 0 "$EA" collect --store "$K" --key key.pem --control A.8.32 \
    --tsa "$TSA_URL" "git=$WORK/repo"
check "collected_at 2 h before genTime fails --max-skew" 3 "$EA" verify --store "$K" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem"
contains "skew: named" "$OUT" "more than --max-skew 5m"
contains "skew: back-dated" "$OUT" "back-dated, or timestamped late"
check "--max-skew 3h accepts it" 0 "$EA" verify --store "$K" --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem" \
    --max-skew 3h
X=$WORK/expired
mode ok +40d
check "collect with a TSA whose certificate has expired" 0 "$EA" collect --store "$X" --key key.pem \
    --control A.8.32 --tsa "$TSA_URL" "git=$WORK/repo"
check "a token signed after its certificate expired fails" 3 "$EA" verify --store "$X" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --max-skew 100d
contains "expired: named" "$OUT" "TSA certificate /CN=Test TSA was expired at the token's genTime"
Y=$WORK/early
mode ok -3d
check "collect with a TSA whose certificate is not yet valid" 0 "$EA" collect --store "$Y" --key key.pem \
    --control A.8.32 --tsa "$TSA_URL" "git=$WORK/repo"
check "a token signed before its certificate was valid fails" 3 "$EA" verify --store "$Y" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --max-skew 100d
contains "not yet valid: named" "$OUT" "was not yet valid at the token's genTime"
mode ok

# --- key history: the key must have been valid at the record's time ---
now=$(date -u +%Y)
cat >keys-ok.yaml <<YAML
keys:
  - public_key: key.pub
    not_before: 2020-01-01T00:00:00Z
YAML
check "verify --keys: a valid key" 0 "$EA" verify --store "$S" --keys keys-ok.yaml --tsa-ca "$WORK/tsa/ca.pem"
cat >keys-revoked.yaml <<YAML
keys:
  - public_key: key.pub
    revoked_at: 2020-06-01T00:00:00Z
    reason: laptop stolen
  - public_key: |
$(sed 's/^/      /' other.pub)
YAML
check "verify --keys: a key revoked before the record's time" 3 "$EA" verify --store "$S" \
    --keys keys-revoked.yaml --tsa-ca "$WORK/tsa/ca.pem"
contains "revoked: named, with the reason" "$OUT" "was revoked at 2020-06-01T00:00:00.000000Z (laptop stolen)"
contains "revoked: judged at the TSA's time" "$OUT" "(its TSA genTime)"
check "verify --keys without --tsa-ca judges collected_at" 3 "$EA" verify --store "$S" --keys keys-revoked.yaml
contains "collected_at: said" "$OUT" "its collected_at: no trusted timestamp"
contains "without --tsa-ca: warned" "$ERR" "warning: --keys without --tsa-ca judges each key"
printf '{"keys":[{"public_key":"key.pub","not_before":"%s-12-31T00:00:00Z"}]}\n' $((now + 5)) >keys-future.json
check "verify --keys (JSON): a key not yet valid" 3 "$EA" verify --store "$S" --keys keys-future.json
contains "not yet valid key: named" "$OUT" "its not_before is"
printf '{"keys":[{"public_key":"other.pub"}]}\n' >keys-other.json
check "verify --keys: a key not in the history" 3 "$EA" verify --store "$S" --keys keys-other.json --pubkey key.pub
contains "unknown key: named" "$OUT" "is not in the key history"
printf 'keys:\n  - public_key: key.pub\n    revoked: 2020-01-01T00:00:00Z\n' >keys-typo.yaml
check "verify --keys: a misspelt field is refused" 2 "$EA" verify --store "$S" --keys keys-typo.yaml
contains "typo: named" "$ERR" "keys[0].revoked: unknown field"

# --- the daemon: signing.tsa; every TSA down: the record ships, its token follows ---
wait_until() { # wait_until SECONDS CMD...: polls CMD every 0.2 s
    local limit=$(($1 * 5))
    shift
    for _ in $(seq "$limit"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
count() { find "$1" -name '*.json' 2>/dev/null | wc -l; }
at_least() { [ "$(count "$1")" -ge "$2" ]; }
none_in() { [ "$(count "$1")" -eq 0 ]; }
cat >bad-tsa.yaml <<YAML
agent: {spool: spool-bad}
signing: {key: key.pem, tsa: [ftp://tsa.example]}
stores: [$WORK/never]
collectors: [{name: git, arg: repo, interval: 1h, controls: [A.8.32]}]
YAML
check "daemon --check-config: a TSA URL that is not http(s)" 2 "$EA" daemon --config bad-tsa.yaml --check-config
contains "the bad TSA URL is named" "$ERR" "signing.tsa"
export EA_TOKEN_T=tokenT-0123456789abcdef
DS=$WORK/dstore
cat >d.yaml <<YAML
agent: {spool: spool-d, listen: "127.0.0.1:0", ingest_token_env: EA_TOKEN_T, trusted_keys: [key.pub]}
signing: {key: key.pem, tsa: ["$TSA_URL"]}
stores: [$DS]
collectors: [{name: git, arg: repo, interval: 1s, jitter: 0s, controls: [A.8.32]}]
YAML
mode refuse
"$EA" daemon --config d.yaml 2>>d.log &
DPID=$!
SERVERS="$SERVERS $DPID"
wait_until 60 at_least "$DS/controls/A.8.32" 1 || fail "daemon: no record shipped while the TSA is down"
wait_until 30 at_least spool-d/tsa-pending 1 || fail "daemon: the unstamped record was not kept"
assert "daemon: no token while the TSA is down" test "$(count "$DS/timestamps")" -eq 0
contains "daemon: says the record shipped without a timestamp for now" d.log "shipped without a timestamp for now"
mode ok
wait_until 60 at_least "$DS/timestamps" 1 || fail "daemon: the token did not follow once the TSA was back"
wait_until 30 none_in spool-d/tsa-pending || fail "daemon: the pending list was not cleared"
contains "daemon: says it timestamped late" d.log "timestamped late"
PORT_D=$(sed -n 's/.*"listening on [^"]*(port \([0-9]*\))".*/\1/p' d.log | tail -1)
check "collect --tsa into the daemon's ingest (http store)" 0 "$EA" collect --key key.pem --control A.8.32 \
    --store "http://127.0.0.1:$PORT_D?token_env=EA_TOKEN_T" --tsa "$TSA_URL" "git=$WORK/repo"
contains "collect: the token went with the record" "$ERR" "1 record timestamped"
wait_until 30 at_least "$DS/timestamps" 2 || fail "the ingested token did not reach the store"
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null
check "the daemon's store verifies with --tsa-ca" 0 "$EA" verify --store "$DS" --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem"
contains "daemon: every record has its token" "$OUT" "timestamps verified: $(count "$DS/timestamps")"

# --- export: the tokens, the TSA's CA and the key history go into the pack ---
check "export --tsa-ca --keys" 0 "$EA" export --store "$S" --control A.8.32 --pubkey key.pub --key key.pem \
    --tsa-ca "$WORK/tsa/ca.pem" --keys keys-ok.yaml --out pack.tar.gz
mkdir -p pk && tar xzf pack.tar.gz -C pk
PK=$WORK/pk/audit-pack
assert "the pack holds the tokens" test "$(find "$PK/timestamps" -name '*.json' | wc -l)" -eq 2
assert "the pack holds the TSA's CA and the key history" test -s "$PK/trust/tsa-ca.pem" -a -s "$PK/trust/keys.json"
check "check.sh judges the tokens and the keys offline" 0 "$PK/check.sh"
contains "check.sh: each genTime" "$OUT" "yes timestamps/"
contains "check.sh: each key at its genTime" "$OUT" "(its TSA genTime)"
check "check.sh 400 days later (the TSA certificate expired): still passes" 0 faketime -f +400d "$PK/check.sh"
check "export refuses a revoked key" 3 "$EA" export --store "$S" --control A.8.32 --pubkey key.pub \
    --keys keys-revoked.yaml --out bad.tar.gz
check "export refuses a token from an expired TSA certificate" 3 "$EA" export --store "$X" --control A.8.32 \
    --pubkey key.pub --tsa-ca "$WORK/tsa/ca.pem" --max-skew 100d --out bad.tar.gz
# check.py's own judgement, on an unsigned pack whose hashes an attacker recomputed
check "export unsigned" 0 "$EA" export --store "$S" --control A.8.32 --pubkey key.pub \
    --tsa-ca "$WORK/tsa/ca.pem" --keys keys-ok.yaml --out unsigned.tar.gz
reseal() { # reseal PACK_DIR: manifest.json and SHA256SUMS made to match the files again
    python3 -c '
import hashlib,json,os,sys
os.chdir(sys.argv[1])
m = json.load(open("manifest.json"))
for p in m["files"]:
    m["files"][p] = hashlib.sha256(open(p, "rb").read()).hexdigest()
open("manifest.json", "w").write(json.dumps(m, indent=1))
with open("SHA256SUMS", "w") as f:
    for d, _, ns in sorted(os.walk(".")):
        for n in sorted(ns):
            p = os.path.relpath(os.path.join(d, n))
            if p != "SHA256SUMS":
                f.write("%s  %s\n" % (hashlib.sha256(open(p, "rb").read()).hexdigest(), p))' "$1"
}
for case in nonce swap skew splice; do
    rm -rf "$WORK/u" && mkdir -p "$WORK/u" && tar xzf unsigned.tar.gz -C "$WORK/u"
    U=$WORK/u/audit-pack
    mapfile -t UC < <(cd "$U" && find timestamps -name '*.json' | sort)
    case $case in
    nonce) python3 -c '
import json,sys
a=json.load(open(sys.argv[1])); a["nonce"]="0102030405060708"
open(sys.argv[1],"w").write(json.dumps(a))' "$U/${UC[0]}"; want="answers another request" ;;
    swap) cp "$U/${UC[0]}" "$U/${UC[1]}"; want="swapped between records" ;;
    skew) python3 -c '
import json,sys
m=json.load(open(sys.argv[1])); m["tsa"]["max_skew_seconds"]=-1
open(sys.argv[1],"w").write(json.dumps(m))' "$U/manifest.json"; want="back-dated, or timestamped late" ;;
    splice) splice "$U" "${UC[0]}" "${UC[1]}"; want="2 signatures: with a timestamp or key history" ;;
    esac
    reseal "$U"
    check "check.sh --unsigned: a resealed pack with a $case token fails" 1 "$U/check.sh" --unsigned
    contains "check.sh: $case named" "$OUT" "$want"
done
finish
