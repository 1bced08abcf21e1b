/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a sarif report (see scan_fuzz.inc). */
#define SCAN_FORMAT "sarif"
#include "scan_fuzz.inc"
