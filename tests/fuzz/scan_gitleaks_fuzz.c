/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a gitleaks report (see scan_fuzz.inc). */
#define SCAN_FORMAT "gitleaks"
#include "scan_fuzz.inc"
