# SPDX-License-Identifier: Apache-2.0
# Reads the GitLab CI template as GitLab does: the spec header, then the jobs with
# $[[ inputs.NAME ]] replaced by the inputs given (NAME=VALUE arguments) or their defaults.
# Usage: python3 gitlab_job.py TEMPLATE JOB OUT_DIR [NAME=VALUE]...
# Writes OUT_DIR/script.sh (the job's script lines, as the runner's shell gets them),
# OUT_DIR/variables (NAME=VALUE lines, for the test to export) and prints the job as JSON.
import json, re, sys
import yaml

template, job_name, out = sys.argv[1], sys.argv[2], sys.argv[3]
given = dict(a.split("=", 1) for a in sys.argv[4:])
with open(template) as f:
    header, body = f.read().split("\n---\n", 1)
spec = yaml.safe_load(header)["spec"]["inputs"]
unknown = set(given) - set(spec)
if unknown:
    sys.exit("unknown input: %s" % ", ".join(sorted(unknown)))
values = {}
for name, s in spec.items():
    v = given.get(name, s.get("default"))
    if v is None:
        sys.exit("input %s has no default and was not given" % name)
    if s.get("type") == "boolean":
        v = str(v).lower()
        if v not in ("true", "false"):
            sys.exit("input %s must be true or false" % name)
    values[name] = str(v)

def interpolate(m):
    name = m.group(1)
    if name not in values:
        sys.exit("the template uses an undeclared input: %s" % name)
    return values[name]

body = re.sub(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]", interpolate, body)
jobs = yaml.safe_load(body)
job = jobs[job_name]
with open(out + "/script.sh", "w") as f:
    f.write("\n".join(job["script"]) + "\n")
with open(out + "/variables", "w") as f:
    for k, v in job.get("variables", {}).items():
        f.write("%s=%s\n" % (k, v))
print(json.dumps({"spec": sorted(spec), "job": job}))
