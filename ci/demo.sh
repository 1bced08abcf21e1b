#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the embedded default store: installs what is missing, builds,
# creates a signing key (once), collects evidence about this repository's HEAD
# commit into ./evidence-store, writes a signed checkpoint of the store (so a
# stream deleted whole would be caught), then queries and verifies it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh default >/dev/null
ea=./build/agent/evidence-agent
mkdir -p -m 0700 .evidence-keys
if [ ! -f .evidence-keys/key.pem ]; then
    $ea keygen --private .evidence-keys/key.pem --public .evidence-keys/key.pub
fi
set -x
$ea collect --store ./evidence-store --key .evidence-keys/key.pem git
$ea checkpoint --store ./evidence-store --key .evidence-keys/key.pem
$ea query --store ./evidence-store --control A.8.32
$ea verify --store ./evidence-store --pubkey .evidence-keys/key.pub
