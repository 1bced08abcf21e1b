/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a collector's options (the JSON of --set values or a
 * daemon's options:, first line) and as a store URL (second line). Options
 * accepted by a built-in table must come out typed as the table says; a URL
 * is accepted only with the parameters its scheme reads.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/error.h"
#include "fuzz.h"
#include "options.h"
#include "registry.h"
#include "store/store.h"

static void check_typed(const struct ea_collector *c, const json_t *out)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)out, k, v) {
        const struct ea_option *o = ea_option_find(c, k);
        bool ok;
        if (!o) abort(); /* an unknown key got through */
        switch (o->type) {
        case EA_OPTION_INT:
        case EA_OPTION_SIZE: ok = json_is_integer(v); break;
        case EA_OPTION_BOOL: ok = json_is_boolean(v); break;
        case EA_OPTION_LIST: ok = json_is_array(v); break;
        default: ok = json_is_string(v) && json_string_length(v) > 0;
        }
        if (!ok) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *nl;
    json_t *in;

    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nl = strchr(text, '\n');
    if (nl) *nl = '\0';
    in = json_loads(text, JSON_DECODE_ANY, NULL);
    for (const struct ea_collector *const *c = ea_registry_builtins(); in && *c; c++) {
        json_t *out = NULL;
        if (ea_options_check(&out, *c, in, NULL, 0) == 0) check_typed(*c, out);
        json_decref(out);
        ea_error_clear();
    }
    json_decref(in);
    if (nl && nl[1]) {
        ea_store_check_url(nl + 1);
        ea_error_clear();
    }
    free(text);
    return 0;
}
