/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a trivy report (see scan_fuzz.inc). */
#define SCAN_FORMAT "trivy"
#include "scan_fuzz.inc"
