#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the container image localhost/evidence-agent:<version> from the Dockerfile with
# `podman build --isolation chroot`, then checks it the way the package test checks the .deb:
# the image's binary runs --version, keygen, collect --dry-run git, collect scan= into a store,
# verify, report --init-soa and daemon --check-config --offline, chrooted into the mounted
# image (`podman run` cannot start containers on machines without cgroup delegation), and it
# runs as a non-root user. Prints what the runtime image adds to its base (budget 30 MB).
# No registry is reachable here: when debian:12 and debian:12-slim are absent, both are
# imported from the minimal Debian root of ci/rootfs.sh. Needs root and podman.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v podman >/dev/null || { echo "image: podman is not installed (apt-get install podman)" >&2; exit 1; }
version=$(sed -n 's/^project(evidence-agent VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
image=localhost/evidence-agent:$version
for base in docker.io/library/debian:12 docker.io/library/debian:12-slim; do
    if ! podman image exists "$base"; then
        rootfs=$(bash ci/rootfs.sh)
        echo "image: importing $base from $rootfs"
        podman import -q "$rootfs" "$base" >/dev/null
    fi
done
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
podman build --isolation chroot --format docker -q -t "$image" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" . >/dev/null
size() { podman image inspect --format '{{.Size}}' "$1"; }
added=$(($(size "$image") - $(size docker.io/library/debian:12-slim)))
echo "image: $image adds $((added / 1000000)) MB to debian:12-slim (budget 30 MB)"

# --- the checks, inside the mounted image
# The image's mount is read-only: a host folder is bound over its /tmp for the checks' files.
mnt=$(podman image mount "$image")
host_tmp=$(mktemp -d)
cleanup() {
    umount "$mnt/tmp" 2>/dev/null || true
    podman image unmount "$image" >/dev/null || true
    rm -rf "$host_tmp"
}
trap cleanup EXIT
chmod 1777 "$host_tmp"
mount --bind "$host_tmp" "$mnt/tmp"
work=$mnt/tmp/ea-image
mkdir -p "$work"
in_image() { chroot --userspec="$user" "$mnt" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "$@"; }
user=$(podman image inspect --format '{{.Config.User}}' "$image")
[ -n "$user" ] && [ "$user" != root ] || { echo "image: runs as root" >&2; exit 1; }
# the image's user, as numbers: the host does not know its name
ids=$(awk -F: -v u="$user" '$1 == u { print $3 ":" $4 }' "$mnt/etc/passwd")
[ -n "$ids" ] && [ "${ids%%:*}" != 0 ] || { echo "image: user $user is not in its /etc/passwd" >&2; exit 1; }
user=$ids
entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")
[ "$entry" = '["evidence-agent"]' ] || { echo "image: entrypoint is $entry" >&2; exit 1; }
podman image inspect --format '{{json .Config.Healthcheck}}' "$image" | grep -q healthz ||
    { echo "image: no health check" >&2; exit 1; }
w=${work#"$mnt"}
git init -q "$work/repo" && git -C "$work/repo" -c user.name=t -c user.email=t@example.com \
    commit -q --allow-empty -m first
cat >"$work/report.sarif" <<'SARIF'
{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"R1"}]}},"results":[{"ruleId":"R1","level":"warning","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":1}}}]}]}]}
SARIF
chown -R "$user" "$work"
set -x
in_image evidence-agent --version
in_image evidence-agent keygen --private "$w/key.pem" --public "$w/key.pub"
in_image evidence-agent collect --dry-run --key "$w/key.pem" git="$w/repo" >/dev/null
in_image evidence-agent collect --store "$w/store" --key "$w/key.pem" scan="$w/report.sarif"
in_image evidence-agent verify --store "$w/store" --pubkey "$w/key.pub"
in_image evidence-agent report --init-soa --out "$w/soa.yaml"
sed "s#/etc/evidence-agent/#$w/#g; s#/var/lib/evidence-agent/#$w/var/#g; s#/srv/app#$w/repo#g
     s#/etc/nginx/conf.d/\*.conf#$w/report.sarif#; s#/var/spool/evidence-inbox#$w#
     s#/usr/local/bin/backup-restore-check#/bin/true#" \
    "$mnt/usr/share/doc/evidence-agent/examples/agent.yaml" >"$work/agent.yaml"
in_image env EA_INGEST_TOKEN=a-long-test-token-0123456789 CENTRAL_INGEST_TOKEN=another-long-test-token-0123 AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
    AWS_SECRET_ACCESS_KEY=example evidence-agent daemon --config "$w/agent.yaml" --check-config --offline
set +x
# export needs libarchive, which the image leaves out: a clear error naming it, not a crash
if in_image evidence-agent export --store "$w/store" --control A.8.28 --pubkey "$w/key.pub" --out "$w/pack.tar.gz" \
    >"$work/export.out" 2>&1; then
    echo "image: export worked without libarchive?" >&2; exit 1
fi
grep -q libarchive "$work/export.out" || { echo "image: export's error does not name libarchive:" >&2;
    cat "$work/export.out" >&2; exit 1; }
echo "image: export without libarchive: $(head -1 "$work/export.out")"
echo "image: $image: ok"
