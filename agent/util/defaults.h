/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The default control map (schemas/controls/defaults.json, embedded in the
 * binary) for the built-in collectors that pick controls by what they find
 * (scan by category). Parsed once per process and never changed after, so
 * instances on several daemon threads share it without a lock.
 */
#ifndef EA_DEFAULTS_H
#define EA_DEFAULTS_H

#include <jansson.h>

/**
 * The parsed defaults.json.
 * @return borrowed reference, valid for the rest of the process; NULL when
 *         it could not be parsed (out of memory).
 */
const json_t *ea_defaults_json(void);

#endif
