/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Umbrella header of the public ABI: everything a collector plug-in needs.
 */
#ifndef EVIDENCE_EVIDENCE_H
#define EVIDENCE_EVIDENCE_H

#include "common.h"
#include "version.h"
#include "record.h"
#include "collector.h"

#endif
