/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a grype report (see scan_fuzz.inc). */
#define SCAN_FORMAT "grype"
#include "scan_fuzz.inc"
