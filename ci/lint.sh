#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the rules a compiler does not: banned functions, // comments, exit or
# abort outside main.c, getenv outside the few readers of the environment, a
# collector including anything but <evidence/...>, "util/..." and its own
# folder's headers, an SPDX line at the top of every source file, and the layout of
# .clang-format (clang-format --dry-run -Werror).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
files=$(git ls-files 'agent/*.c' 'agent/*.h' 'collectors/*.c' 'collectors/*.h' 'include/*.h' 2>/dev/null ||
    find agent collectors include -name '*.[ch]')
# The only readers of the environment: settings (flag > environment > default),
# CI detection, the forge's tokens and repository, the plug-in search path.
getenv_ok=" agent/config.c agent/util/ci.c agent/registry.c agent/util/forge.c "
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|system|popen|tmpnam)[[:space:]]*\('
for f in $files; do
    if grep -nE "$banned" "$f" | grep -v '^\s*\*'; then
        echo "lint: $f uses a banned function" >&2; fail=1
    fi
    if grep -nE '(^|[^:"])//' "$f" | grep -v 'https\?://' | grep -v '"[^"]*//[^"]*"'; then
        echo "lint: $f has a // comment" >&2; fail=1
    fi
    if [ "$f" != agent/main.c ] && grep -nE '\b(exit|abort)[[:space:]]*\(' "$f"; then
        echo "lint: $f calls exit or abort (only main.c ends the process)" >&2; fail=1
    fi
    if [[ "$getenv_ok" != *" $f "* ]] && grep -nE '\bgetenv[[:space:]]*\(' "$f"; then
        echo "lint: $f reads the environment (only:$getenv_ok)" >&2; fail=1
    fi
    # A collector sees the public ABI and agent/util only (collectors/CMakeLists.txt
    # puts nothing else on its path): no "../", no agent header, no other collector.
    if [[ "$f" == collectors/* ]] &&
        grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        grep -vE '"util/[a-z0-9_]+\.h"' |
        grep -vE '"[a-z0-9_]+\.h"' ; then
        echo "lint: $f includes outside its folder, util/ and <evidence/...>" >&2; fail=1
    fi
    if [[ "$f" == collectors/* ]]; then
        for h in $(grep -hoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z0-9_]+\.h"' "$f" |
            grep -oE '[a-z0-9_]+\.h'); do
            if [ ! -e "$(dirname "$f")/$h" ]; then
                echo "lint: $f includes \"$h\", which is not in its folder (agent headers are" \
                    "not for collectors; use util/ or <evidence/...>)" >&2; fail=1
            fi
        done
    fi
    if ! head -1 "$f" | grep -q 'SPDX-License-Identifier'; then
        echo "lint: $f lacks the SPDX line" >&2; fail=1
    fi
done
# The layout is .clang-format's, checked, never drifting: `clang-format -i FILE` fixes a file.
if command -v clang-format >/dev/null; then
    # shellcheck disable=SC2086 # the list is meant to be split
    if ! clang-format --dry-run -Werror $files; then
        echo "lint: the files above are not as .clang-format lays them out (run clang-format -i on them)" >&2
        fail=1
    fi
else
    echo "lint: clang-format is not installed (ci/setup.sh installs it)" >&2; fail=1
fi
[ $fail -eq 0 ] && echo "lint: $(echo "$files" | wc -w) files clean"
exit $fail
