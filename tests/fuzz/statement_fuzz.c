/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a Statement payload: JSON, schemas, catalogue, store metadata. */
#include <string.h>

#include "controls.h"
#include "util/error.h"
#include "fuzz.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *st = NULL;

    ea_controls_init();
    if (ea_record_parse(&st, data, size) == 0) {
        struct ea_envelope env;
        memset(&env, 0, sizeof(env));
        ea_record_meta_from_statement(&env, st);
        json_decref(st);
    }
    ea_error_clear();
    return 0;
}
