#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks a store's checkpoint chains with python3 and openssl alone.

    check_checkpoints.py STORE_FOLDER KEY.pub [KEY.pub...]

For every chain checkpoints/<agent>/: each checkpoint is a DSSE envelope whose
Ed25519 signature over PAE(payloadType, payload) must verify with one of the
keys (openssl pkeyutl -verify -rawin); sequences run 1..N; each `previous` is
the SHA-256 of the previous checkpoint file exactly as stored. Then every
stream a checkpoint states must still hold, at the stated sequence, the record
with the stated ID (read from the records' own payloads). Prints one line per
problem and exits 1 on any, 0 when all is sound.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

CP_TYPE = "application/vnd.evidence-agent.checkpoint+json"


def signed_by(env, keys):
    t = env["payloadType"].encode()
    p = base64.b64decode(env["payload"])
    pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p)
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "pae"), "wb").write(pae)
        for s in env["signatures"]:  # any signature, any key
            open(os.path.join(d, "sig"), "wb").write(base64.b64decode(s["sig"]))
            for k in keys:
                r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", k,
                                    "-rawin", "-in", os.path.join(d, "pae"),
                                    "-sigfile", os.path.join(d, "sig")], capture_output=True)
                if r.returncode == 0:
                    return True
    return False


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    store, keys = sys.argv[1], sys.argv[2:]
    bad = []
    records = {}  # (stream, sequence) -> record ID
    for d, _, files in os.walk(os.path.join(store, "controls")):
        for f in files:
            path = os.path.join(d, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                raw = base64.b64decode(json.load(open(path))["payload"])
                a = json.loads(raw)["predicate"]["agent"]
                records[(a["stream"], a["sequence"])] = hashlib.sha256(raw).hexdigest()
            except (ValueError, KeyError, TypeError):
                pass  # verify reports it; here only the checkpoints are judged
    claims = []
    top = os.path.join(store, "checkpoints")
    for agent in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        prev = None
        for n, name in enumerate(sorted(os.listdir(os.path.join(top, agent))), 1):
            path = os.path.join(top, agent, name)
            raw = open(path, "rb").read()
            try:
                env = json.loads(raw)
                cp = json.loads(base64.b64decode(env["payload"]))
            except (ValueError, KeyError):
                bad.append("%s: not a checkpoint envelope" % path)
                prev = None
                continue
            if env.get("payloadType") != CP_TYPE or not signed_by(env, keys):
                bad.append("%s: not signed by a given key" % path)
            if name != "%012d.json" % n or cp.get("sequence") != n or cp.get("agent") != agent:
                bad.append("%s: expected checkpoint %d of agent %s" % (path, n, agent))
            if cp.get("previous") != prev:
                bad.append("%s: does not link to the checkpoint before it" % path)
            prev = hashlib.sha256(raw).hexdigest()
            for s, v in cp.get("streams", {}).items():
                claims.append((path, s, v["sequence"], v["last_id"]))
    for path, s, seq, last in claims:
        if records.get((s, seq)) != last:
            bad.append("%s: stream %s no longer holds record %s at sequence %d" %
                       (path, s, last[:12], seq))
    for b in bad:
        print("FAIL", b)
    print("%s: %d checkpoint claims, %d problems" % ("OK" if not bad else "FAILED",
                                                     len(claims), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
