/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a cyclonedx report (see scan_fuzz.inc). */
#define SCAN_FORMAT "cyclonedx"
#include "scan_fuzz.inc"
