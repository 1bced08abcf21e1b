// SPDX-License-Identifier: Apache-2.0
// Checks every document of a Kubernetes YAML file against the API's JSON schemas
// (kubernetes-models, offline). Usage: node k8s_validate.js NODE_MODULES FILE.yaml
// Prints one line per object; exits 1 when one is invalid or of an unknown kind.
'use strict';
const path = require('path');
const fs = require('fs');
const mods = process.argv[2];
const YAML = require(path.join(mods, 'yaml'));
let bad = 0;
for (const doc of YAML.parseAllDocuments(fs.readFileSync(process.argv[3], 'utf8'))) {
    if (doc.errors.length) { console.log(`FAIL yaml: ${doc.errors[0].message}`); bad++; continue; }
    const o = doc.toJS();
    if (!o) continue;
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const where = group ? `${group}/${version}/${o.kind}` : `${version}/${o.kind}`;
    let Model;
    try {
        Model = require(path.join(mods, 'kubernetes-models', where))[o.kind];
    } catch (e) {
        console.log(`FAIL ${where}: no schema`); bad++; continue;
    }
    try {
        new Model(o).validate();
        console.log(`ok ${o.kind} ${o.metadata.name}`);
    } catch (e) {
        console.log(`FAIL ${o.kind} ${o.metadata && o.metadata.name}: ${e.message}`); bad++;
    }
}
process.exit(bad ? 1 : 0);
