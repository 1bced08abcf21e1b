/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a stored envelope, through everything verify does
 * with it: DSSE parsing, signature check against a fixed key, and, as query
 * does for display, Statement parsing with schema validation of the payload.
 */
#include <string.h>

#include "controls.h"
#include "util/error.h"
#include "fuzz.h"
#include "record.h"
#include "dsse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ea_key *key;
    struct ea_dsse d;
    json_t *st = NULL;

    if (!key) {
        ea_controls_init();
        if (ea_key_generate(&key) < 0) return 0;
    }
    if (ea_dsse_parse(&d, (const char *)data, size) == 0) {
        ea_dsse_verify(&d, &key, 1, NULL);
        if (ea_record_parse(&st, d.payload, d.payload_len) == 0) {
            struct ea_envelope env;
            memset(&env, 0, sizeof(env));
            ea_record_meta_from_statement(&env, st);
            json_decref(st);
        }
        ea_dsse_dispose(&d);
    }
    ea_error_clear();
    return 0;
}
