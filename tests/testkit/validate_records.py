#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent validation of evidence records with python3-jsonschema.

    validate_records.py [--schemas DIR] PATH...

PATH is a store folder (every *.json under controls/), a file holding one
envelope, or an NDJSON file of envelopes (as `collect --dry-run` prints).
Each envelope is checked against envelope.schema.json; its payload is decoded
(standard or URL-safe base64, padding optional) and checked against
statement.schema.json and data/<kind>.schema.json when that exists. Every
schema is itself checked as a 2020-12 schema. Prints one line per problem
and a summary; exit 0 when all is valid, 1 on any problem or when no
envelope was found (a test that validates nothing must not pass), 2 on usage.
"""
import argparse
import base64
import binascii
import json
import os
import sys

from jsonschema import Draft202012Validator


def b64(text):
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def load_schemas(root):
    schemas = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(".schema.json"):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    schema = json.load(f)
                Draft202012Validator.check_schema(schema)
                schemas[os.path.relpath(path, root)] = Draft202012Validator(schema)
    return schemas


def envelopes(path):
    if os.path.isdir(path):
        for dirpath, _, files in sorted(os.walk(os.path.join(path, "controls"))):
            for name in sorted(files):
                if name.endswith(".json") and ".tmp." not in name:
                    p = os.path.join(dirpath, name)
                    with open(p, "rb") as f:
                        yield p, f.read()
        return
    with open(path, "rb") as f:
        data = f.read()
    lines = [l for l in data.splitlines() if l.strip()]
    # --dry-run ends each stream with its signed head: not a record, so not validated here
    lines = [l for l in lines if b"application/vnd.evidence-agent.stream-head+json" not in l]
    if len(lines) == 1:
        data = lines[0]
    if len(lines) > 1:
        for i, line in enumerate(lines, 1):
            yield "%s:%d" % (path, i), line
    else:
        yield path, data


def errors_of(validator, doc):
    return ["%s: %s" % ("/".join(str(x) for x in e.absolute_path) or "(document)", e.message)
            for e in validator.iter_errors(doc)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schemas", default=os.path.join(os.path.dirname(__file__), "..", "..", "schemas"))
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    schemas = load_schemas(args.schemas)
    count, problems = 0, 0
    for path in args.paths:
        if not os.path.exists(path):
            print("%s: no such file or folder" % path)
            return 2
        for where, raw in envelopes(path):
            count += 1
            found = []
            try:
                env = json.loads(raw)
                found += errors_of(schemas["envelope.schema.json"], env)
                statement = json.loads(b64(env["payload"]))
                found += errors_of(schemas["statement.schema.json"], statement)
                kind = statement.get("predicate", {}).get("kind", "")
                data_schema = schemas.get(os.path.join("data", "%s.schema.json" % kind))
                if data_schema:
                    found += ["predicate.data." + e
                              for e in errors_of(data_schema, statement["predicate"]["data"])]
            except (ValueError, KeyError, TypeError, binascii.Error) as e:
                found.append("unreadable: %s" % e)
            for e in found:
                print("%s: %s" % (where, e))
            problems += len(found)
    print("validated %d envelopes, %d problems" % (count, problems))
    return 0 if count and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
