#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package: dist/evidence-agent_<version>_<arch>.deb (CPack's DEB generator, a
# Release tree in build-pkg/, installed under /usr), then runs lintian on it when installed.
# Runtime dependencies: dpkg-shlibdeps on the binary (CPACK_DEBIAN_PACKAGE_SHLIBDEPS), plus
# the packages of the libraries the binary dlopen()s on first use (libcurl, libgit2; and,
# recommended only, libarchive and Hyperscan): their sonames are read from the built binary
# itself and resolved to packages with dpkg -S and their shlibs files, so no dependency is
# listed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-pkg
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
    -DEA_WERROR=ON >/dev/null
cmake --build "$dir" -j "$jobs" >/dev/null
bin=$dir/agent/evidence-agent

# The libraries it dlopen()s: sonames named in the binary that are not DT_NEEDED.
needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
arch=$(dpkg --print-architecture)
deps=()
recs=()
# Two of them only add to what the agent does, so the package recommends them rather than
# depends on them (the container image leaves them out): Hyperscan makes log scanning and
# redaction faster (without it the same work is done slower), libarchive writes `export`'s
# audit packs (without it export says which library to install).
optional='^(libhs|libarchive)\.so\.'
for so in $(strings "$bin" | grep -E '^lib[A-Za-z0-9_+-]+\.so\.[0-9.]+$' | sort -u); do
    grep -qxF "$so" <<<"$needed" && continue
    # (the readers below read their whole input: an early exit would SIGPIPE the writer,
    # which pipefail turns into a failure)
    path=$(ldconfig -p | awk -v s="$so" '$1 == s && !p { p = $NF } END { print p }')
    [ -n "$path" ] || { echo "package: $so (dlopen()ed) is not installed here" >&2; exit 1; }
    pkg=$(dpkg -S "$(readlink -f "$path")" | sed -n '1s/:.*//p')
    # the shlibs entry of that soname: "libcurl 4 libcurl4 (>= 7.16.2)" -> "libcurl4 (>= 7.16.2)"
    base=${so%%.so.*}; ver=${so#*.so.}
    dep=$(awk -v n="$base" -v v="$ver" '$1 == n && $2 == v { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' \
        "/var/lib/dpkg/info/$pkg:$arch.shlibs" "/var/lib/dpkg/info/$pkg.shlibs" 2>/dev/null || true)
    if [[ $so =~ $optional ]]; then
        recs+=("${dep:-$pkg}")
        echo "package: dlopen()ed $so -> Recommends: ${dep:-$pkg}"
    else
        deps+=("${dep:-$pkg}")
        echo "package: dlopen()ed $so -> Depends: ${dep:-$pkg}"
    fi
done
joined=$(IFS=,; echo "${deps[*]}")
depends=${joined//,/, }
joined=$(IFS=,; echo "${recs[*]}")
recommends=${joined//,/, }

version=$(sed -n 's/^project(evidence-agent VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
# A native package's changelog, as Debian wants one in every package.
printf 'evidence-agent (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- evidence-agent maintainers <evidence-agent@example.org>  %s\n' \
    "$version" "$version" "$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")" |
    gzip -9n >"$dir/changelog.gz"
cmake -S . -B "$dir" -DEA_DLOPEN_DEPENDS="$depends" -DEA_DLOPEN_RECOMMENDS="$recommends" >/dev/null
(cd "$dir" && cpack -G DEB >/dev/null)
deb=dist/evidence-agent_${version}_${arch}.deb
[ -f "$deb" ] || { echo "package: $deb was not made" >&2; exit 1; }
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb -f "$deb" Depends Recommends
if command -v lintian >/dev/null; then
    # errors fail the build; warnings are printed
    lintian --no-tag-display-limit "$deb" | tee "$dir/lintian.txt"
    if grep -q '^E:' "$dir/lintian.txt"; then echo "package: lintian errors" >&2; exit 1; fi
    echo "package: lintian: no errors"
else
    echo "package: lintian not installed; not checked"
fi
