/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a user-given control ID, Annex A or FRAMEWORK:ID.
 * Whatever is accepted must resolve to catalogue IDs only, so no input can
 * become a new store folder.
 */
#include <stdlib.h>
#include <string.h>

#include "controls.h"
#include "frameworks.h"
#include "util/error.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_control_set set;
    char *text = malloc(size + 1);

    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&set, 0, sizeof(set));
    json_t *refs = json_array();

    if (ea_framework_controls_add(&set, refs, text) == 0) {
        for (size_t i = 0; i < set.n; i++) {
            if (!ea_controls_find(set.ids[i]) || strchr(set.ids[i], '/')) abort();
        }
    }
    ea_controls_search(text, NULL, NULL);
    ea_error_clear();
    json_decref(refs);
    free(text);
    return 0;
}
