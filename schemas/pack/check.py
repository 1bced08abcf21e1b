# SPDX-License-Identifier: Apache-2.0
# Checks an unpacked audit pack written by `evidence-agent export`, with
# Python 3 (standard library) and the `openssl` command alone. check.sh runs
# it from the pack's folder after `sha256sum -c SHA256SUMS`.
#
# First the pack as a whole: manifest.dsse.json is manifest.json signed (DSSE) by
# a key of keys/, and manifest.json names every file of the pack with its
# SHA-256, the period, the SoA as applied, the keys' fingerprints, the stream
# heads and the checkpoints: every file it names must be there, unchanged, and
# no other. A pack exported without --key has no signature: it fails unless
# run with --unsigned, and then says UNAUTHENTICATED. The period and the keys'
# fingerprints are printed: compare them with what you asked for and with the
# keys the organisation published.
#
# Every record is judged by itself, in a fresh temporary folder, and prints
# one line: "yes <path>" or "no <path>: <why>". A record is accepted when ANY
# of its signatures verifies with ANY key in keys/; its time is the signed
# payload's collected_at, which its file name must repeat. Then the streams (every
# record of a stream from the first one packed to its head is in the pack,
# each chained to the one before, the head signed and naming the last), the
# checkpoint chain when the pack has one, the manifest, and the report: its
# verdicts are recomputed here from the records that passed and must equal
# those of report.json and report.md. Exit 0 only when everything passed.
#
# When the pack was exported with --tsa-ca (manifest.json "tsa"), every record
# needs its RFC 3161 token, timestamps/<xx>/<id>.json: over the record's own
# signature (through its Merkle path when one token covers a batch), for the
# nonce stored, verified by `openssl ts -verify` against trust/tsa-ca.pem as of
# its genTime (so it still verifies after the TSA's certificate expired), and
# its genTime within max_skew of collected_at. With --keys (manifest.json
# "key_history"), the key that signed each record must have been valid, per
# trust/keys.json, at the record's time: its token's genTime, else collected_at.
import base64
import datetime
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

RECORD_TYPE = "application/vnd.in-toto+json"
HEAD_TYPE = "application/vnd.evidence-agent.stream-head+json"
CHECKPOINT_TYPE = "application/vnd.evidence-agent.checkpoint+json"
MANIFEST_TYPE = "application/vnd.evidence-agent.pack-manifest+json"
# written besides the files manifest.json names (it cannot name itself or what signs it)
PACK_OWN = ("SHA256SUMS", "manifest.json", "manifest.dsse.json")
DEFAULT_MAX_AGE = "30d"  # a control's max_age when the SoA gives none (soa.h)
# The agent signs every head (a DSSE envelope of its own payloadType); a plain JSON head,
# as written before heads were signed, is a failure (`verify --sign-heads` migrates them).
REQUIRE_SIGNED_HEADS = True

NAME = re.compile(r"^records/controls/([^/]+)/(\d{4})/(\d{2})/(\d{2})/"
                  r"(\d{8}T\d{6}\.\d{6}Z)_([0-9a-f]{64})\.json$")
failures = 0
KEYS = []  # keys/*.pub that manifest.json lists with their fingerprint: set by check_keys
FPR = {}   # their fingerprints


def fail(line):
    global failures
    failures += 1
    print(line)


def read_file(path):
    """The bytes of a regular file; None (and a line saying why) for anything else: a link,
    a pipe or a device in a pack is never followed or waited on."""
    try:
        st = os.lstat(path)
    except OSError:
        fail("no %s: missing" % path)
        return None
    if not stat.S_ISREG(st.st_mode):
        fail("no %s: not a regular file" % path)
        return None
    with open(path, "rb") as f:
        return f.read()


def must_read(path):
    raw = read_file(path)
    if raw is None:
        raise ValueError("%s is not a regular file" % path)
    return raw


def b64(text):
    """Standard or URL-safe base64, padding optional, as the agent reads it."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", text):
        raise ValueError("not base64")
    t = text.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(t + "=" * (-len(t) % 4), validate=True)


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def keys():
    return KEYS


def fingerprint(path):
    """SHA-256 of the key's DER SubjectPublicKeyInfo (the agent's key ID), or None."""
    r = subprocess.run(["openssl", "pkey", "-pubin", "-in", path, "-outform", "DER"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return hashlib.sha256(r.stdout).hexdigest() if r.returncode == 0 and r.stdout else None


def verify_envelope(raw, want_type, signer=None):
    """(payload bytes, None) when one signature verifies with one key, else (None, why).
    signer, a list, gets the key that verified."""
    try:
        env = json.loads(raw)
        if not isinstance(env, dict) or env.get("payloadType") != want_type:
            return None, "not a %s envelope" % want_type
        payload = b64(env["payload"])
        sigs = env["signatures"]
        if not isinstance(sigs, list) or not sigs:
            return None, "no signature"
    except (ValueError, KeyError, TypeError) as e:
        return None, "cannot be decoded (%s)" % e.__class__.__name__
    ks = keys()
    if not ks:
        return None, "no key in keys/ to check its signature"
    with tempfile.TemporaryDirectory(prefix="ea-check-") as tmp:  # nothing is shared
        msg = os.path.join(tmp, "pae")
        with open(msg, "wb") as f:
            f.write(pae(want_type, payload))
        for i, s in enumerate(sigs):
            try:
                sig = b64(s["sig"])
            except (ValueError, KeyError, TypeError):
                continue
            sf = os.path.join(tmp, "sig%d" % i)
            with open(sf, "wb") as f:
                f.write(sig)
            for k in ks:
                r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", k,
                                    "-rawin", "-in", msg, "-sigfile", sf],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if r.returncode == 0:
                    if signer is not None:
                        signer.append(k)
                    return payload, None
    return None, "no signature verifies with a key in keys/"


def key_time(stamp):
    return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
                  r"(Z|[+-]\d{2}:\d{2})$")


def rfc3339(text):
    """An RFC 3339 time (as the agent writes and reads them), to the microsecond."""
    m = TIME.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError("not an RFC 3339 time: %r" % (text,))
    y, mo, d, h, mi, sec, frac, zone = m.groups()
    t = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec),
                          int((frac or "0").ljust(6, "0")[:6]), tzinfo=datetime.timezone.utc)
    if zone != "Z":
        off = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        t = t - off if zone[0] == "+" else t + off
    return t


SEEN = {}


def check_record(path):
    """The record's facts when it is sound, else None (its line says why)."""
    m = NAME.match(path)
    if not m:
        fail("no %s: not the name of a record" % path)
        return None
    control, y, mo, d, stamp, rid = m.groups()
    raw = read_file(path)
    if raw is None:
        return None
    signer = []
    payload, why = verify_envelope(raw, RECORD_TYPE, signer)
    if payload is None:
        fail("no %s: %s" % (path, why))
        return None
    if hashlib.sha256(payload).hexdigest() != rid:
        fail("no %s: the payload's SHA-256 is not the ID in its name" % path)
        return None
    try:
        st = json.loads(payload)
        pred = st["predicate"]
        agent = pred["agent"]
        r = {"path": path, "control": control, "id": rid,
             "time": rfc3339(pred["collected_at"]), "signer": signer[0],
             "sig_sha256": hashlib.sha256(b64(json.loads(raw)["signatures"][0]["sig"])).digest(),
             "nsigs": len(json.loads(raw)["signatures"]),
             "kind": pred["kind"], "result": pred["result"], "stream": agent["stream"],
             "sequence": agent["sequence"], "previous": agent["previous"],
             "sub": None, "expires": None, "blob": None}
        if pred["kind"] == "attestation":  # attest: its kind, until when, the file it attached
            data = pred["data"]
            r["sub"] = data["kind"]
            r["expires"] = rfc3339(data["expires_at"])
            f = data.get("file")
            if f and f.get("blob"):
                if f["blob"] != "blobs/sha256/" + f["sha256"]:
                    fail("no %s: names the blob %s, not the blob of its file's SHA-256"
                         % (path, f["blob"]))
                    return None
                r["blob"] = f["blob"]
        if control not in pred["controls"]:
            fail("no %s: filed under %s, which it does not name" % (path, control))
            return None
        if key_time(stamp) != r["time"]:
            fail("no %s: its name says %s, its signed collected_at %s" % (path, stamp,
                                                                        pred["collected_at"]))
            return None
        if "%s%s%s" % (y, mo, d) != stamp[:8]:
            fail("no %s: filed under another day than its time" % path)
            return None
        if (control, rid) in SEEN:
            fail("no %s: record %s is filed twice under %s (also %s)"
                 % (path, rid[:12], control, SEEN[(control, rid)]))
            return None
        SEEN[(control, rid)] = path
        if not isinstance(r["sequence"], int) or r["sequence"] < 1:
            raise ValueError("sequence")
    except (ValueError, KeyError, TypeError):
        fail("no %s: its statement lacks what a record holds" % path)
        return None
    print("yes %s" % path)
    return r


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_of, index, size, path):
    """RFC 9162 2.1.3.2: the root the inclusion path leads to, or None."""
    if not (isinstance(index, int) and isinstance(size, int) and 0 <= index < size):
        return None
    fn, sn, r = index, size - 1, hashlib.sha256(b"\x00" + leaf_of).digest()
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


GENTIME = re.compile(r"^Time stamp: (\w{3}) +(\d+) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4}) GMT$",
                     re.M)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def check_timestamp(r, tsa):
    """The genTime of the record's token when it verifies (a "yes" line), else None."""
    rid = r["id"]
    path = "timestamps/%s/%s.json" % (rid[:2], rid)
    if not os.path.lexists(path):
        fail("no %s: no timestamp token (%s is missing): its time is only the agent's clock"
             % (r["path"], path))
        return None
    raw = read_file(path)
    if raw is None:
        return None
    try:
        c = json.loads(raw)
        if c["type"] != "application/vnd.evidence-agent.timestamp.v1+json" or c["record"] != rid:
            fail("no %s: not the timestamp of record %s (swapped between records?)"
                 % (path, rid[:12]))
            return None
        resp = b64(c["response"])
        nonce = int(c["nonce"], 16)
        if "merkle" in c:
            m = c["merkle"]
            imprint = merkle_root(r["sig_sha256"], m["index"], m["size"],
                                  [bytes.fromhex(h) for h in m["path"]])
            if imprint is None:
                fail("no %s: its Merkle path is not a path of its tree" % path)
                return None
        else:
            imprint = r["sig_sha256"]
    except (ValueError, KeyError, TypeError):
        fail("no %s: not a timestamp companion" % path)
        return None
    with tempfile.TemporaryDirectory(prefix="ea-check-") as tmp:
        tsr = os.path.join(tmp, "token.tsr")
        with open(tsr, "wb") as f:
            f.write(resp)
        out = subprocess.run(["openssl", "ts", "-reply", "-in", tsr, "-text"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        text = out.stdout.decode("utf-8", "replace")
        g = GENTIME.search(text)
        n = re.search(r"^Nonce: (?:0x)?([0-9A-Fa-f]+)$", text, re.M)
        if out.returncode != 0 or not g:
            fail("no %s: the response is not an RFC 3161 TimeStampResp" % path)
            return None
        if not n or int(n.group(1), 16) != nonce:
            fail("no %s: the token answers another request (its nonce is not the one sent)"
                 % path)
            return None
        mon, day, hh, mm, ss, frac, year = g.groups()
        gen = datetime.datetime(int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm),
                                int(ss), int((frac or "0").ljust(6, "0")[:6]),
                                tzinfo=datetime.timezone.utc)
        v = subprocess.run(["openssl", "ts", "-verify", "-digest", imprint.hex(), "-in", tsr,
                            "-CAfile", tsa["ca"], "-attime", str(int(gen.timestamp()))],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if v.returncode != 0:
            why = [l for l in v.stdout.decode("utf-8", "replace").splitlines()
                   if "rror" in l or "mismatch" in l]
            fail("no %s: openssl ts -verify refuses it at its genTime %s (%s)"
                 % (path, gen.isoformat(), "; ".join(why[:2]) or "no reason given"))
            return None
    skew = abs((r["time"] - gen).total_seconds())
    if skew > tsa["max_skew_seconds"]:
        fail("no %s: collected_at %s is %.1f s from the TSA's genTime %s (more than %d s): "
             "back-dated, or timestamped late" % (r["path"], r["time"].isoformat(), skew,
                                                  gen.isoformat(), tsa["max_skew_seconds"]))
        return None
    print("yes %s: genTime %s" % (path, gen.isoformat()))
    return gen


def check_key_times(records, tsa, hist_path):
    """Each record's key was valid at its time (genTime when its token verified)."""
    hist = {}
    for e in json.loads(must_read(hist_path))["keys"]:
        hist.setdefault(e["sha256"], []).append(e)
    seen = set()
    for r in records:
        if r["id"] in seen:
            continue
        seen.add(r["id"])
        # a token is over one signature, the history judges one key: with more, a signature
        # that verifies could borrow another record's token (and older genTime)
        if r["nsigs"] != 1:
            fail("no %s: %d signatures: with a timestamp or key history a record must carry "
                 "exactly one" % (r["path"], r["nsigs"]))
            continue
        gen = check_timestamp(r, tsa) if tsa else None
        t, which = (gen, "its TSA genTime") if gen else \
            (r["time"], "its collected_at: no trusted timestamp")
        if hist_path is None:
            continue
        fp = FPR[r["signer"]]
        entries = hist.get(fp)
        if not entries:
            fail("no %s: key %s is not in the key history" % (r["path"], fp[:12]))
            continue
        revoked = [rfc3339(e["revoked_at"]) for e in entries if e.get("revoked_at")]
        revoked = [x for x in revoked if t >= x]
        inside = [e for e in entries
                  if (not e.get("not_before") or t >= rfc3339(e["not_before"]))
                  and (not e.get("not_after") or t < rfc3339(e["not_after"]))]
        if revoked:
            fail("no %s: key %s was revoked at %s, before the record's time %s (%s)"
                 % (r["path"], fp[:12], min(revoked).isoformat(), t.isoformat(), which))
        elif not inside:
            fail("no %s: key %s was not valid at the record's time %s (%s)"
                 % (r["path"], fp[:12], t.isoformat(), which))
        else:
            print("yes %s: key %s valid at %s (%s)" % (r["path"], fp[:12], t.isoformat(), which))


def read_head(stream):
    """(sequence, last_id) of streams/<stream>.json when sound, else None."""
    path = "streams/%s.json" % stream
    if not os.path.lexists(path):
        fail("no %s: the head of stream %s is missing" % (path, stream))
        return None
    raw = read_file(path)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        fail("no %s: not JSON" % path)
        return None
    if isinstance(doc, dict) and "payloadType" in doc:
        payload, why = verify_envelope(raw, HEAD_TYPE)
        if payload is None:
            fail("no %s: %s" % (path, why))
            return None
        try:
            doc = json.loads(payload)
        except ValueError:
            fail("no %s: its payload is not JSON" % path)
            return None
    elif REQUIRE_SIGNED_HEADS:
        fail("no %s: an unsigned head" % path)
        return None
    if not isinstance(doc, dict) or doc.get("stream") != stream:
        fail("no %s: names another stream than its file" % path)
        return None
    seq, last = doc.get("sequence"), doc.get("last_id")
    if not isinstance(seq, int) or not isinstance(last, str):
        fail("no %s: lacks sequence or last_id" % path)
        return None
    print("yes %s" % path)
    return seq, last


def check_streams(records, since, until):
    """Each stream's packed records run unbroken, each chained to the one before, from
    record 1 or a record before the period to its head or a record after the period:
    export packs those witnesses, so a record of the period cannot be left out unseen."""
    streams = {}
    for r in records:
        seqs = streams.setdefault(r["stream"], {})
        other = seqs.get(r["sequence"])
        if other and other["id"] != r["id"]:
            fail("no stream %s: two records at sequence %d (%s, %s)"
                 % (r["stream"], r["sequence"], other["path"], r["path"]))
        seqs[r["sequence"]] = r
    heads = {}
    packed = set(n[:-len(".json")] for n in os.listdir("streams") if n.endswith(".json")) \
        if os.path.isdir("streams") else set()
    for s in sorted(packed - set(streams)):  # a head whose records were all taken out
        if read_head(s) is not None:
            fail("no stream %s: its head is packed, none of its records is" % s)
    for s in sorted(streams):
        seqs = streams[s]
        head = read_head(s)
        if head is None:
            continue
        heads[s] = head
        first, last = min(seqs), max(seqs)
        hseq, hlast = head
        bad = []
        gaps = [n for n in range(first, last + 1) if n not in seqs]
        if gaps:
            bad.append("records missing at sequence %s" % ", ".join(map(str, gaps[:10])))
        if first > 1 and (since is None or seqs[first]["time"] >= since):
            bad.append("records missing before sequence %d" % first)
        if last > hseq:
            bad.append("its head is at %d, before record %d" % (hseq, last))
        elif last < hseq and seqs[last]["time"] <= until:
            bad.append("records missing after sequence %d (its head is at %d)" % (last, hseq))
        elif last == hseq and seqs[last]["id"] != hlast:
            bad.append("its head names %s, not record %d" % (hlast[:12], hseq))
        for n in sorted(seqs):
            prev = seqs[n]["previous"]
            if n == 1 and prev is not None:
                bad.append("record 1 names a previous one")
            elif n - 1 in seqs and prev != seqs[n - 1]["id"]:
                bad.append("record %d is not chained to record %d" % (n, n - 1))
        if bad:
            fail("no stream %s: %s" % (s, "; ".join(bad)))
        else:
            print("yes stream %s: %d..%d of %d" % (s, first, last, hseq))
    return streams, heads


def check_checkpoints(streams, heads):
    """checkpoints/<agent>/<n>.json: signed, each linked to the one before by the SHA-256 of
    its bytes, and no packed stream behind what the latest one states."""
    root = "checkpoints"
    if not os.path.isdir(root) or not os.listdir(root):
        print("note: without checkpoints, a stream deleted whole from the store before export "
              "would not show here (compare with the checkpoint saved at the last audit)")
        return
    for agent in sorted(os.listdir(root)):
        names = sorted(os.listdir(os.path.join(root, agent)))
        previous = None
        latest = None
        for i, name in enumerate(names):
            path = "%s/%s/%s" % (root, agent, name)
            raw = read_file(path)
            if raw is None:
                previous = None
                continue
            payload, why = verify_envelope(raw.rstrip(b"\n"), CHECKPOINT_TYPE)
            try:
                cp = json.loads(payload) if payload is not None else None
            except ValueError:
                cp, why = None, "its payload is not JSON"
            if cp is None:
                fail("no %s: %s" % (path, why))
                previous = hashlib.sha256(raw).hexdigest()
                continue
            if not re.fullmatch(r"\d{12}\.json", name) or cp.get("agent") != agent or \
                    cp.get("sequence") != int(name[:12]):
                fail("no %s: its name and its content differ" % path)
            elif cp.get("sequence") != i + 1:
                fail("no %s: checkpoint %d of its chain is missing" % (path, i + 1))
            elif cp.get("previous") != previous:
                fail("no %s: not linked to the checkpoint before it" % path)
            elif not isinstance(cp.get("streams"), dict):
                fail("no %s: states no streams" % path)
            else:
                print("yes %s" % path)
            previous = hashlib.sha256(raw).hexdigest()
            latest = cp
        for s, st in sorted((latest or {}).get("streams", {}).items()):
            if s in heads and heads[s][0] < st.get("sequence", 0):
                fail("no stream %s: shorter (%d) than checkpointed (%d)"
                     % (s, heads[s][0], st.get("sequence", 0)))
            rec = streams.get(s, {}).get(st.get("sequence"))
            if rec and rec["id"] != st.get("last_id"):
                fail("no stream %s: record %d is not the checkpointed one" % (s, rec["sequence"]))


def duration(text):
    m = re.fullmatch(r"(\d+)(w|d|h|m|s|us)", text or "")
    if not m:
        return None
    unit = {"w": 604800e6, "d": 86400e6, "h": 3600e6, "m": 60e6, "s": 1e6, "us": 1}[m.group(2)]
    return int(m.group(1)) * int(unit)


def period(rep):
    per = rep["period"]
    return (rfc3339(per["since"]) if per.get("since") else None), rfc3339(per["until"])


def kind_in(kinds, r):
    """Whether record r is of one of kinds (None: any): KIND, or attestation:SUBKIND."""
    if kinds is None:
        return True
    return any(k == r["kind"] or (r["sub"] is not None and k == r["kind"] + ":" + r["sub"])
               for k in kinds)


def check_blobs(records):
    """Every file an attestation attached is packed, and hashes to its name."""
    for b in sorted(set(r["blob"] for r in records if r["blob"])):
        if not os.path.lexists(b):
            fail("no %s: an attestation names it, the pack does not hold it" % b)
            continue
        raw = read_file(b)  # a link or a pipe fails there, with its line
        if raw is None:
            continue
        if hashlib.sha256(raw).hexdigest() != b.rsplit("/", 1)[1]:
            fail("no %s: its bytes do not hash to its name (altered)" % b)
        else:
            print("yes %s" % b)


def check_report(rep, records, manifest, since, until):
    """Recomputes every verdict from the records that passed; report.json and report.md
    must say the same."""
    before = failures
    want = {}
    counts = {"ok": 0, "stale": 0, "missing": 0, "failing": 0}
    ids = [c["id"] for c in rep["controls"]]
    if sorted(ids) != sorted(manifest["controls"]):
        fail("no report.json: covers %s, the pack exports %s"
             % (", ".join(ids), ", ".join(manifest["controls"])))
    for c in rep["controls"]:
        cid = c["id"]
        if c["status"] != "applied":
            want[cid] = {"verdict": "n/a", "count": 0, "results": [0, 0, 0]}
        else:
            # evidence_kinds: any one of them; evidence_require: each of them (all of); a
            # kind is KIND or attestation:SUBKIND; the control takes the worst verdict
            kinds, require = c.get("evidence_kinds"), c.get("evidence_require")
            groups = [[k] for k in (require or [])]
            if kinds is not None or not require:
                groups.append(kinds)
            mine = [r for r in records if r["control"] == cid and
                    (since is None or r["time"] >= since) and r["time"] <= until]
            ev = [r for r in mine if any(kind_in(g, r) for g in groups)]
            res = {k: sum(1 for r in ev if r["result"] == k) for k in ("pass", "fail", "error",
                                                                      "info")}
            newest = lambda rs: max(rs, key=lambda r: (r["time"], r["id"])) if rs else None
            latest = newest(ev)
            max_age = duration(c.get("max_age"))
            rank = ["ok", "stale", "missing", "failing"]
            verdict = "ok"
            for g in groups:
                last = newest([r for r in ev if kind_in(g, r)])
                if last is None:
                    v = "missing"
                elif last["result"] in ("fail", "error"):
                    v = "failing"
                elif max_age is None or (until - last["time"]) / datetime.timedelta(
                        microseconds=1) > max_age or \
                        (last["expires"] is not None and last["expires"] <= until):
                    v = "stale"  # too old, or an attestation past its expires_at
                else:
                    v = "ok"
                verdict = max(verdict, v, key=rank.index)
            if not ev:
                verdict = "missing"
            counts[verdict] += 1
            want[cid] = {"verdict": verdict, "count": len(ev),
                         "results": [res["pass"], res["fail"], res["error"]]}
            got_latest = (c.get("latest") or {}).get("id")
            if got_latest != (latest["id"] if latest else None) or c.get("problems") != 0:
                fail("no report.json: %s: its latest record is not the packed one" % cid)
        got = {"verdict": c.get("verdict"), "count": c.get("count"),
               "results": [c.get("results", {}).get(k) for k in ("pass", "fail", "error")]}
        if got != want[cid]:
            fail("no report.json: %s: says %s, the records say %s" % (cid, got, want[cid]))
    s = rep["summary"]
    if [s.get(k) for k in counts] != list(counts.values()) or s.get("records_failing_checks"):
        fail("no report.json: its summary is not what the records say (%s)" % counts)
    # report.md: the verdict, count and results of every control, and the summary row
    label = {"ok": "fresh, passing", "stale": "STALE", "missing": "MISSING",
             "failing": "FAILING", "n/a": "n/a"}
    md = must_read("report.md").decode("utf-8")
    rows = {}
    for line in md.splitlines():
        m = re.match(r"^\| (A\.\d+\.\d+) ", line)
        if m:
            rows.setdefault(m.group(1), []).append(line)
    for cid, w in want.items():
        lines = rows.get(cid, [])
        cells = lines[0].split(" | ") if len(lines) == 1 else []
        ok = len(cells) >= 3 and cells[-1].rstrip(" |") == label[w["verdict"]]
        if ok and w["verdict"] != "n/a":
            ok = cells[-2] == "%d/%d/%d" % tuple(w["results"]) and \
                ("%d record(s)" % w["count"]) in lines[0]
        if not ok:
            fail("no report.md: %s: not what the records say (%s)" % (cid, label[w["verdict"]]))
    applied = sum(1 for c in rep["controls"] if c["status"] == "applied")
    row = "| %d | %d | %d | %d | %d |" % (applied, counts["ok"], counts["stale"],
                                           counts["missing"], counts["failing"])
    if not any(line.startswith(row) for line in md.splitlines()):
        fail("no report.md: its summary is not what the records say")
    if failures == before:
        print("yes report: %s" % ", ".join("%s %s" % (k, want[k]["verdict"]) for k in ids))


def check_keys(manifest, trusted):
    """keys/ holds exactly the keys manifest.json lists, each with the fingerprint it lists;
    only those are trusted. Prints each fingerprint: compare them with the published keys."""
    listed = {}
    for k in manifest.get("keys") or []:
        if isinstance(k, dict) and isinstance(k.get("path"), str):
            listed[k["path"]] = k.get("sha256")
        else:
            fail("no manifest.json: a key it lists has no path and sha256")
    present = sorted(os.path.join("keys", k) for k in os.listdir("keys")) \
        if os.path.isdir("keys") else []
    for path in present:
        if path not in listed:
            fail("no %s: a key manifest.json does not list (not trusted)" % path)
            continue
        if read_file(path) is None:
            continue
        fp = fingerprint(path)
        if fp is None:
            fail("no %s: not a public key" % path)
        elif fp != listed[path]:
            fail("no %s: its fingerprint is %s, manifest.json lists %s" % (path, fp, listed[path]))
        elif trusted and fp not in trusted:
            fail("no %s: sha256 %s is not a key given with --trust" % (path, fp))
        else:
            KEYS.append(path)
            FPR[path] = fp
            print("yes %s: sha256 %s (compare it with the key your organisation published)"
                  % (path, fp))
    for path in sorted(set(listed) - set(present)):
        fail("no %s: listed in manifest.json, not in the pack" % path)


def check_signature(raw, accept_unsigned):
    """manifest.json is what manifest.dsse.json signs with a key of keys/; True when so."""
    if os.path.lexists("manifest.dsse.json"):
        env = read_file("manifest.dsse.json")
        signer = []
        payload, why = verify_envelope(env, MANIFEST_TYPE, signer) if env is not None \
            else (None, None)
        if env is None:
            return False
        if payload is None:
            fail("no manifest.dsse.json: %s" % why)
            return False
        if payload != raw:
            fail("no manifest.json: not the manifest that manifest.dsse.json signs")
            return False
        print("yes manifest.json: signed by %s (sha256 %s)" % (signer[0], FPR[signer[0]]))
        return True
    if accept_unsigned:
        print("UNAUTHENTICATED manifest.json: the pack is not signed (exported without --key): "
              "a stream, checkpoint or key removed or added, the period or the SoA changed, "
              "all with the manifest to match, would not show")
    else:
        fail("no manifest.json: the pack is not signed (exported without --key), so nothing "
             "shows its streams, checkpoints, keys, period and SoA are the ones exported; "
             "export it with --key, or run ./check.sh --unsigned to check what an unsigned "
             "pack can show")
    return False


def check_files(manifest):
    """Every file manifest.json names is there with its SHA-256, and no other file is."""
    before = failures
    files = manifest.get("files")
    if not isinstance(files, dict):
        fail("no manifest.json: lists no files")
        return
    present = set(os.path.relpath(os.path.join(d, n)) for d, _, ns in os.walk(".")
                  for n in ns) - set(PACK_OWN)
    for p in sorted(set(files) - present):
        fail("no %s: listed in manifest.json, not in the pack" % p)
    for p in sorted(present - set(files)):
        fail("no %s: in the pack, not listed in manifest.json" % p)
    for p in sorted(present & set(files)):
        raw = read_file(p)
        if raw is not None and hashlib.sha256(raw).hexdigest() != files[p]:
            fail("no %s: not the file exported (manifest.json lists another SHA-256)" % p)
    for what, d, listed in (("stream heads", "streams", sorted(
            "streams/%s.json" % s for s in (manifest.get("streams") or {}))),
            ("checkpoints", "checkpoints", sorted(manifest.get("checkpoints") or []))):
        held = sorted(p for p in present if p.startswith(d + "/"))
        if held != listed:
            fail("no manifest.json: lists %d %s, the pack holds %d" % (len(listed), what,
                                                                        len(held)))
    if failures == before:
        print("yes manifest.json: the pack holds the %d files it lists, unchanged, and "
              "nothing else" % len(files))


def check_period(manifest, rep):
    """The exported period (manifest.json's), which report.json must state. Printed."""
    per = manifest["period"]
    since = rfc3339(per["since"]) if per.get("since") else None
    until = rfc3339(per["until"])
    if period(rep) != (since, until):
        fail("no report.json: its period (%s .. %s) is not the exported one"
             % (rep["period"].get("since"), rep["period"].get("until")))
    print("period %s .. %s" % (per.get("since") or "(from the first record)", per["until"]))
    created = manifest.get("created_at")
    if created is None or until > rfc3339(created):
        fail("no manifest.json: the period ends after the pack was made (%s)" % created)
    else:
        print("made %s from %s" % (created, manifest.get("store")))
    return since, until


def check_soa(manifest, rep, signed):
    """Each control of report.json is judged by the SoA's status, evidence kinds and max_age:
    those manifest.json states (from soa.yaml, whose SHA-256 it names), or, in a pack neither
    signed nor holding an SoA, the defaults (applied, any kind, 30d)."""
    before = failures
    soa = manifest.get("soa")
    if not isinstance(soa, dict) or not isinstance(soa.get("controls"), dict):
        fail("no manifest.json: states no SoA")
        return
    held = os.path.lexists("soa.yaml")
    if bool(soa.get("sha256")) != held:
        fail("no soa.yaml: %s" % ("missing" if soa.get("sha256") else "not named in manifest.json"))
    elif held:
        raw = read_file("soa.yaml")
        if raw is not None and hashlib.sha256(raw).hexdigest() != soa["sha256"]:
            fail("no soa.yaml: not the SoA exported (manifest.json names another SHA-256)")
    want = soa["controls"]
    if not signed and not held:
        want = {c: {"status": "applied", "evidence_kinds": None, "max_age": DEFAULT_MAX_AGE}
                for c in manifest["controls"]}
    for c in rep["controls"]:
        got = {k: c.get(k) for k in ("status", "evidence_kinds", "max_age")}
        if "evidence_require" in c:  # an SoA's evidence.require, stated only when given
            got["evidence_require"] = c["evidence_require"]
        if want.get(c["id"]) != got:
            fail("no report.json: %s: judged as %s, the SoA says %s" % (c["id"], got,
                                                                       want.get(c["id"])))
    if failures == before:
        print("yes SoA: %s" % ("soa.yaml" if held else
                               "none given: every control applied, any evidence kind, max_age "
                               + DEFAULT_MAX_AGE))


def main():
    args = sys.argv[1:]
    accept_unsigned = "--unsigned" in args
    trusted = set(a[len("--trust="):].lower() for a in args if a.startswith("--trust="))
    args = [a for a in args if a != "--unsigned" and not a.startswith("--trust=")]
    if args:
        os.chdir(args[0])
    raw = must_read("manifest.json")
    manifest = json.loads(raw)
    if not isinstance(manifest, dict):
        raise ValueError("manifest.json is not a JSON object")
    check_keys(manifest, trusted)
    signed = check_signature(raw, accept_unsigned)
    check_files(manifest)
    rep = json.loads(must_read("report.json"))
    since, until = check_period(manifest, rep)
    check_soa(manifest, rep, signed)
    paths = sorted(os.path.join(d, n) for d, _, ns in os.walk("records") for n in ns)
    records = [r for r in (check_record(p) for p in paths) if r]
    summed = sorted(line.split("  ", 1)[1]
                    for line in must_read("SHA256SUMS").decode("utf-8").splitlines()
                    if "  " in line)
    present = sorted(os.path.relpath(os.path.join(d, n)) for d, _, ns in os.walk(".")
                     for n in ns if os.path.relpath(os.path.join(d, n)) != "SHA256SUMS")
    extra = sorted(set(present) - set(summed))
    if extra:
        fail("no SHA256SUMS: files it does not list: %s" % ", ".join(extra[:10]))
    listed = sorted(e["path"] for e in manifest.get("records", []))
    if listed != paths:
        fail("no manifest.json: lists %d records, the pack holds %d" % (len(listed), len(paths)))
    tsa = manifest.get("tsa")
    if tsa or manifest.get("key_history"):
        check_key_times(records, tsa, manifest.get("key_history"))
    streams, heads = check_streams(records, since, until)
    check_checkpoints(streams, heads)
    check_blobs(records)
    check_report(rep, records, manifest, since, until)
    print("%s: %d record%s, %d failure%s%s" % (
        "PASSED" if failures == 0 else "FAILED", len(paths), "" if len(paths) == 1 else "s",
        failures, "" if failures == 1 else "s",
        "" if signed or failures else " (UNAUTHENTICATED: the pack is not signed)"))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:  # too broken to read
        print("no pack: cannot be read (%s: %s)" % (e.__class__.__name__, e))
        sys.exit(1)
