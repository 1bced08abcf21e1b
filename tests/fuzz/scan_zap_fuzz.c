/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a zap report (see scan_fuzz.inc). */
#define SCAN_FORMAT "zap"
#include "scan_fuzz.inc"
