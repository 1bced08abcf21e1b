#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package as a new user gets it: ci/package.sh builds the .deb, a minimal Debian 12
# root (ci/rootfs.sh: debootstrap minbase, cached) installs it with apt-get, which resolves the
# dependencies from Debian's archive, and there, with nothing from the build tree, the agent
# runs: --version, keygen, collect --dry-run git, collect scan= into a store, verify,
# report --init-soa, and daemon --check-config --offline on the shipped example. Prints the
# time of install plus first collect (budget 30 s: a benchmark figure, not asserted).
# Skips (77) without root or debootstrap, and in the sanitizer build (it packages a Release
# build; the code under test is the same).
. "$(dirname "$0")/lib.sh"
SRC=$EA_SOURCE_DIR
if [ -n "${EA_SANITIZED:-}" ]; then echo "SKIP: packaging is checked in the default build"; exit 77; fi
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the chroot needs root"; exit 77; fi
if ! command -v debootstrap >/dev/null; then echo "SKIP: debootstrap is not installed"; exit 77; fi

check "ci/package.sh builds the .deb" 0 bash "$SRC/ci/package.sh"
deb=$(ls "$SRC"/dist/evidence-agent_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && pass || { fail "no .deb in dist/"; finish; exit 1; }
contains "lintian found no error" "$OUT" "lintian: no errors"
check "ci/rootfs.sh makes the Debian 12 root" 0 bash "$SRC/ci/rootfs.sh"
rootfs=$(cat "$OUT")

ROOT=$WORK/root
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$rootfs"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null; kill $SERVERS 2>/dev/null; rm -rf "$WORK"' EXIT
cp "$deb" "$ROOT/tmp/"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

start=$(date +%s.%N)
check "apt-get update in the root" 0 in_root apt-get update -qq
check "apt-get install ./evidence-agent_*.deb resolves its dependencies" 0 in_root env \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")"

# a repository and a scanner report, made outside and copied in (the root has no git)
make_repo "$ROOT/srv/app" >/dev/null
cat >"$ROOT/tmp/report.sarif" <<'SARIF'
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"R1"}]}},"results":[{"ruleId":"R1","level":"warning","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":1}}}]}]}]}
SARIF
check "--version" 0 in_root evidence-agent --version
contains "--version names the version" "$OUT" "evidence-agent "
check "keygen" 0 in_root evidence-agent keygen --private /root/key.pem --public /root/key.pub
check "collect --dry-run git" 0 in_root evidence-agent collect --dry-run --key /root/key.pem git=/srv/app
end=$(date +%s.%N)
echo "package: install plus first collect took $(awk "BEGIN { printf \"%.1f\", $end - $start }") s (budget 30 s)"
check "collect scan= into a store" 0 in_root evidence-agent collect --store /root/store --key /root/key.pem \
    scan=/tmp/report.sarif
check "verify" 0 in_root evidence-agent verify --store /root/store --pubkey /root/key.pub
contains "verify: no problem" "$OUT" "0 problems"
check "report --init-soa" 0 in_root evidence-agent report --init-soa --out /root/soa.yaml
assert "the SoA was written" test -s "$ROOT/root/soa.yaml"

# the shipped example configuration, with what its comments ask for made first
ex=/usr/share/doc/evidence-agent/examples/agent.yaml
assert "the example configuration is installed" test -f "$ROOT$ex"
mkdir -p "$ROOT/etc/evidence-agent" "$ROOT/etc/nginx/conf.d" "$ROOT/var/spool/evidence-inbox"
echo "server {}" >"$ROOT/etc/nginx/conf.d/site.conf"
printf '#!/bin/sh\necho "{}"\n' >"$ROOT/usr/local/bin/backup-restore-check"
chmod +x "$ROOT/usr/local/bin/backup-restore-check"
check "keygen for the example" 0 in_root evidence-agent keygen --private /etc/evidence-agent/key.pem \
    --public /etc/evidence-agent/key.pub
check "daemon --check-config --offline on the shipped example" 0 in_root env EA_INGEST_TOKEN=a-long-test-token-0123456789 \
    CENTRAL_INGEST_TOKEN=another-long-test-token-0123 AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=example \
    evidence-agent daemon --config "$ex" --check-config --offline
assert "the unit is installed" test -f "$ROOT/usr/lib/systemd/system/evidence-agent.service"
contains "the unit runs the packaged binary" "$ROOT/usr/lib/systemd/system/evidence-agent.service" \
    "ExecStart=/usr/bin/evidence-agent daemon"
assert "the daemon's user was created" grep -q '^evidence-agent:' "$ROOT/etc/passwd"
finish
