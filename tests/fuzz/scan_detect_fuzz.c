/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a scanner report of any format report (see scan_fuzz.inc). */
#define SCAN_FORMAT NULL
#include "scan_fuzz.inc"
