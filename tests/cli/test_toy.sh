#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the toy collector of tests/plugin, written by following the
# README's "Adding a collector", does what that section promises: its option is
# listed by collect --help, --set is checked against its table (unknown key,
# wrong type), and it emits a record that verifies and is schema-valid.
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
: "${EA_TOY:?EA_TOY must name the toy plug-in}"
cd "$WORK" || exit 1
"$EA" keygen --private key.pem --public key.pub 2>/dev/null || { echo "keygen failed"; exit 1; }
store=$WORK/store

check "toy: collect --help with the plug-in" 0 "$EA" collect --plugin "$EA_TOY" --help
contains "toy: listed" "$OUT" "counts the words of its argument (an example)"
contains "toy: its option listed" "$OUT" "fewest words that pass"
check "toy: an unknown option" 2 "$EA" collect --dry-run --key key.pem --plugin "$EA_TOY" \
    --set toy.mni=2 toy="a b"
contains "toy: the nearest option named" "$ERR" "toy has no option 'mni' (did you mean 'min'?"
check "toy: a value of the wrong type" 2 "$EA" collect --dry-run --key key.pem --plugin "$EA_TOY" \
    --set toy.min=many toy="a b"
contains "toy: the option named" "$ERR" "min"
check "toy: a record" 0 "$EA" collect --store "$store" --key key.pem --plugin "$EA_TOY" \
    --set toy.min=2 toy="three little words"
contains "toy: a record logged" "$ERR" "custom controls=A.5.37 result=pass"
check "toy: the record verifies" 0 "$EA" verify --store "$store" --pubkey key.pub
assert "toy: the record is schema-valid" python3 "$EA_SOURCE_DIR/tests/testkit/validate_records.py" "$store"
check "toy: below min is a fail" 0 "$EA" collect --dry-run --key key.pem --plugin "$EA_TOY" \
    --set toy.min=5 toy="two words"
contains "toy: the fail logged" "$ERR" "result=fail"
finish
