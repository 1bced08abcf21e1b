# SPDX-License-Identifier: Apache-2.0
# Checks an unpacked audit pack written by `evidence-agent export`, with
# Python 3 (standard library) and the `openssl` command alone. check.sh runs
# it from the pack's folder after `sha256sum -c SHA256SUMS`.
#
# Every record is judged by itself, in a fresh temporary folder, and prints
# one line: "yes <path>" or "no <path>: <why>". A record is accepted when ANY
# of its signatures verifies with ANY key in keys/. Then the streams (every
# record of a stream from the first one packed to its head is in the pack,
# each chained to the one before, the head signed and naming the last), the
# checkpoint chain when the pack has one, the manifest, and the report: its
# verdicts are recomputed here from the records that passed and must equal
# those of report.json and report.md. Exit 0 only when everything passed.
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
# The agent signs every head (a DSSE envelope of its own payloadType); a plain JSON head,
# as written before heads were signed, is a failure (`verify --sign-heads` migrates them).
REQUIRE_SIGNED_HEADS = True

NAME = re.compile(r"^records/controls/([^/]+)/(\d{4})/(\d{2})/(\d{2})/"
                  r"(\d{8}T\d{6}\.\d{6}Z)_([0-9a-f]{64})\.json$")
failures = 0


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
    d = "keys"
    return sorted(os.path.join(d, k) for k in os.listdir(d) if k.endswith(".pub")) \
        if os.path.isdir(d) else []


def verify_envelope(raw, want_type):
    """(payload bytes, None) when one signature verifies with one key, else (None, why)."""
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
                    return payload, None
    return None, "no signature verifies with a key in keys/"


def key_time(stamp):
    return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def rfc3339(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


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
    payload, why = verify_envelope(raw, RECORD_TYPE)
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
        r = {"path": path, "control": control, "id": rid, "time": key_time(stamp),
             "kind": pred["kind"], "result": pred["result"], "stream": agent["stream"],
             "sequence": agent["sequence"], "previous": agent["previous"]}
        if control not in pred["controls"]:
            fail("no %s: filed under %s, which it does not name" % (path, control))
            return None
        if "%s%s%s" % (y, mo, d) != stamp[:8]:
            fail("no %s: filed under another day than its time" % path)
            return None
        if not isinstance(r["sequence"], int) or r["sequence"] < 1:
            raise ValueError("sequence")
    except (ValueError, KeyError, TypeError):
        fail("no %s: its statement lacks what a record holds" % path)
        return None
    print("yes %s" % path)
    return r


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
    if not os.path.isdir(root):
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


def check_report(rep, records, manifest):
    """Recomputes every verdict from the records that passed; report.json and report.md
    must say the same."""
    before = failures
    since, until = period(rep)
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
            kinds = c.get("evidence_kinds")
            ev = [r for r in records if r["control"] == cid and
                  (since is None or r["time"] >= since) and r["time"] <= until and
                  (kinds is None or r["kind"] in kinds)]
            res = {k: sum(1 for r in ev if r["result"] == k) for k in ("pass", "fail", "error",
                                                                      "info")}
            latest = max(ev, key=lambda r: (r["time"], r["id"])) if ev else None
            max_age = duration(c.get("max_age"))
            if latest is None:
                verdict = "missing"
            elif latest["result"] in ("fail", "error"):
                verdict = "failing"
            elif max_age is None or (until - latest["time"]) / datetime.timedelta(
                    microseconds=1) > max_age:
                verdict = "stale"
            else:
                verdict = "ok"
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


def main():
    if len(sys.argv) > 1:
        os.chdir(sys.argv[1])
    manifest = json.loads(must_read("manifest.json"))
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
    rep = json.loads(must_read("report.json"))
    streams, heads = check_streams(records, *period(rep))
    check_checkpoints(streams, heads)
    check_report(rep, records, manifest)
    print("%s: %d record%s, %d failure%s" % ("PASSED" if failures == 0 else "FAILED",
                                            len(paths), "" if len(paths) == 1 else "s",
                                            failures, "" if failures == 1 else "s"))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:  # too broken to read
        print("no pack: cannot be read (%s: %s)" % (e.__class__.__name__, e))
        sys.exit(1)
