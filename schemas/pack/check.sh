#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks this audit pack with sha256sum, openssl and python3 alone; run it from
# anywhere: ./check.sh. One line per key, record, stream and the report ("yes ..." or
# "no ...: why"), then PASSED or FAILED. Exit 0 only when everything passed.
# A pack exported without --key is not signed: it fails unless run as
# ./check.sh --unsigned, which checks what an unsigned pack can show and says
# UNAUTHENTICATED. --trust SHA256 (repeatable): every key in keys/ must have one
# of these fingerprints (the SHA-256 of its DER form, as printed).
args=
while [ $# -gt 0 ]; do
    case "$1" in
    --unsigned) args="$args --unsigned" ;;
    --trust)
        case "$2" in
        "" | *[!0-9a-fA-F]*) echo "usage: $0 [--unsigned] [--trust SHA256]..."; exit 2 ;;
        *) args="$args --trust=$2" ;;
        esac
        shift ;;
    *) echo "usage: $0 [--unsigned] [--trust SHA256]..."; exit 2 ;;
    esac
    shift
done
cd "$(dirname "$0")" || exit 2
for tool in sha256sum openssl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "no pack: $tool is needed to check it"; exit 2; }
done
status=0
# every file listed is the one exported (check.py also refuses a file it does not list);
# a link, pipe or device anywhere fails here before sha256sum could follow or wait on it
if [ -f SHA256SUMS ] && ! find . ! -type f ! -type d | grep -q . &&
    sha256sum --quiet --strict -c SHA256SUMS; then
    echo "yes SHA256SUMS"
else
    echo "no SHA256SUMS: a file was changed, removed or replaced by a link or pipe"
    status=1
fi
# -I: Python reads nothing from this folder but check.py (a hashlib.py dropped in the
# pack would otherwise run before any check), nor from PYTHON* variables; -B: writes nothing
python3 -I -B check.py $args . || status=1
exit $status
