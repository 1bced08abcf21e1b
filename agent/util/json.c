/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

#include "error.h"

json_t *ea_json_text(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_string(v) && json_string_length(v) <= EA_JSON_TEXT_MAX)
        return json_incref((json_t *)v);
    if (json_is_integer(v)) return json_sprintf("%lld", (long long)json_integer_value(v));
    return json_null();
}

const char *ea_json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int ea_json_put(json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

int ea_json_bool_option(const json_t *o, const char *key, bool *out)
{
    const json_t *v = json_object_get(o, key);

    if (!v) return 0;
    if (!json_is_boolean(v)) return ea_fail(EA_ECONFIG, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

json_t *ea_json_scalar(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

    if (v && !json_is_object(v) && !json_is_array(v) && !json_is_string(v)) return v;
    json_decref(v);
    return json_string(text);
}
