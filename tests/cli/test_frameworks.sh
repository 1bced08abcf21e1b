#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: the other frameworks answered from the Annex A store. The framework
# list and aliases, one framework's requirements with their mapped controls, the
# crosswalk of one Annex A control, and unknown frameworks and requirement IDs
# (exit 2, naming the nearest valid ones).
. "$(dirname "$0")/lib.sh"
EA=$EA_BIN
cd "$WORK" || exit 1

check "the framework list" 0 "$EA" controls --frameworks
for fw in soc2-tsc-2017 nis2 cra-annex-i nist-800-53r5 nist-csf-2.0; do
    contains "framework $fw listed" "$OUT" "$fw"
done
check "aliases are accepted" 0 "$EA" controls --framework soc2 CC8.1
contains "CC8.1 listed" "$OUT" "CC8.1      Authorise, test, approve and implement changes"
contains "CC8.1 maps to A.8.32 as related, medium" "$OUT" "A.8.32  related, medium confidence: Change management"
lacks "no other requirement" "$OUT" "CC7.1"
contains "the caveat is printed" "$OUT" "not that one satisfies the other"
check "full names too" 0 "$EA" controls --framework nist-800-53r5 CM-3
contains "800-53 CM-3 mapped to A.8.32 with high confidence" "$OUT" "A.8.32  related, high confidence"
check "csf alias" 0 "$EA" controls --framework csf ID.RA-07
contains "csf ID.RA-07 maps to A.8.32" "$OUT" "A.8.32  related, medium confidence"
check "cra alias; CRA rows are low-confidence transitive hints" 0 "$EA" controls --framework cra 'I.2(a)'
contains "CRA rows say how they were derived" "$OUT" "related, low confidence, transitive via"
check "an Annex A ID finds the requirements it is mapped to" 0 "$EA" controls --framework nis2 A.8.32
contains "nis2 21(2)(e) for A.8.32" "$OUT" "21(2)(e)"
contains "nis2 CIR-6.4 for A.8.32" "$OUT" "CIR-6.4"
check "a requirement without a mapping says so" 0 "$EA" controls --framework soc2 P1.1
contains "no mapping said" "$OUT" "(no Annex A control mapped in the reference data)"

check "crosswalk of A.8.32" 0 "$EA" controls A.8.32 --crosswalk
contains "soc2 CC8.1" "$OUT" "CC8.1      related, medium confidence"
contains "nis2 21(2)(e) low" "$OUT" "21(2)(e)   related, low confidence"
contains "800-53 CM-3" "$OUT" "CM-3       related, high confidence"
contains "csf ID.RA-07" "$OUT" "ID.RA-07   related, medium confidence"
contains "cra: none" "$OUT" "(none in the reference data)"
lacks "never an equivalence" "$OUT" "equal"
check "crosswalk of a 2013 ID names the 2022 control" 0 "$EA" controls A.12.1.2 --crosswalk --framework soc2
contains "A.8.32 via the 2013 map" "$OUT" "A.8.32 Change management"
lacks "only soc2 with --framework" "$OUT" "nist-800-53r5"
check "crosswalk without an ID" 2 "$EA" controls --crosswalk
contains "says what is needed" "$ERR" "--crosswalk needs an Annex A ID"
check "crosswalk of an unknown control" 2 "$EA" controls A.8.99 --crosswalk
contains "nearest control" "$ERR" "did you mean"

check "unknown framework" 2 "$EA" controls --framework soc3
contains "nearest framework" "$ERR" "'soc3': not a framework (did you mean soc2?"
contains "every framework named" "$ERR" "nist-csf-2.0 (csf)"
check "unknown requirement ID" 2 "$EA" controls --framework soc2 CC8.9
contains "nearest requirements" "$ERR" "'CC8.9': not a requirement of soc2-tsc-2017 (did you mean CC8.1"
check "a word that matches nothing" 1 "$EA" controls --framework nis2 zebra

finish
