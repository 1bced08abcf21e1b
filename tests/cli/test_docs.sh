#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The generated manual and bash completion (EA_DOC_DIR, written by evidence-agent-docgen at
# build time): every option of every command's --help is in that command's man page and is
# offered by the completion after the command; -V and --version work on every command.
# With "render": every page renders with man -l without warnings, and the rendered text names
# every option (exit 77, skipped, when man is not installed).
. "$(dirname "$0")/lib.sh"
: "${EA_DOC_DIR:?EA_DOC_DIR must name the folder of the generated man pages}"
EA=$EA_BIN
mode=${1:-}
if [ "$mode" = render ] && ! command -v man >/dev/null; then
    echo "SKIP: man is not installed: the man pages' rendering is not checked"
    exit 77
fi

# The commands, as evidence-agent --help lists them.
commands=$("$EA" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ "$(echo "$commands" | wc -w)" -ge 9 ] && pass || fail "evidence-agent --help lists no commands: $commands"

# options CMD: every --flag of CMD's --help (the Options block), one per line.
options() {
    "$EA" "$1" --help | awk '/^Options:/ { on = 1; next } on && /^$/ { exit } on' |
        grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'
}

# complete WORDS...: what the completion offers for the command line WORDS (the last one is
# being typed), one per line.
complete_words() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _evidence_agent
             printf "%s\n" "${COMPREPLY[@]}"' _ "$EA_DOC_DIR/evidence-agent.bash" "$@"
}

version=$("$EA" -V)
case $version in "evidence-agent "*" (collector ABI "*")") pass ;; *) fail "-V: '$version'" ;; esac
if [ "$mode" != render ]; then
    top=$(complete_words evidence-agent "")
    for c in $commands; do
        grep -qx "$c" <<<"$top" && pass || fail "completion: command $c not offered"
    done
    for f in -V --version -h --help; do
        grep -qx -- "$f" <<<"$top" && pass || fail "completion: $f not offered first"
    done
fi

for c in $commands; do
    page=$EA_DOC_DIR/evidence-agent-$c.1
    [ -s "$page" ] && pass || { fail "$c: no man page $page"; continue; }
    opts=$(options "$c")
    [ "$(echo "$opts" | wc -w)" -ge 3 ] && pass || fail "$c --help lists no options: $opts"
    if [ "$mode" = render ]; then
        LC_ALL=C MANWIDTH=200 man --warnings -l "$page" >"$OUT" 2>"$ERR" &&
            pass || fail "$c: man -l failed"
        [ ! -s "$ERR" ] && pass || fail "$c: man -l warned: $(head -3 "$ERR")"
        contains "$c: the rendered page is the command's" "$OUT" "evidence-agent-$c - "
        for o in $opts; do
            grep -qE -- "(^|[ ,])$o( |,|$)" "$OUT" && pass || fail "$c: $o not in the rendered page"
        done
        continue
    fi
    for flag in -V --version; do
        check "$c $flag" 0 "$EA" "$c" "$flag" && [ "$(cat "$OUT")" = "$version" ] && pass ||
            fail "$c $flag: '$(cat "$OUT")', expected '$version'"
    done
    offered=$(complete_words evidence-agent "$c" --)
    for o in $opts; do
        roff=${o//-/\\-}
        grep -A1 '^\.TP' "$page" | grep -qF -- "$roff" && pass || fail "$c: $o not in $page"
        grep -qx -- "$o" <<<"$offered" && pass || fail "$c: the completion does not offer $o"
    done
done

if [ "$mode" = render ]; then
    LC_ALL=C MANWIDTH=200 man --warnings -l "$EA_DOC_DIR/evidence-agent.1" >"$OUT" 2>"$ERR" &&
        pass || fail "evidence-agent(1): man -l failed"
    [ ! -s "$ERR" ] && pass || fail "evidence-agent(1): man -l warned: $(head -3 "$ERR")"
    for c in $commands; do contains "evidence-agent(1) names $c" "$OUT" "evidence-agent-$c(1)"; done
else
    # the completion's other answers: collectors after collect, nothing but files after a value
    offered=$(complete_words evidence-agent collect --store x "")
    for name in git pipeline scan config; do
        grep -qx "$name" <<<"$offered" && pass || fail "completion: collector $name not offered"
    done
    [ -z "$(complete_words evidence-agent verify --pubkey "")" ] && pass ||
        fail "completion: words offered as the value of --pubkey (files are bash's default)"
    assert "bash -n on the completion" bash -n "$EA_DOC_DIR/evidence-agent.bash"
fi
finish
