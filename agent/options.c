/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checking and converting collector options by the collector's table; see
 * options.h. Values arrive as text (--set, YAML) or typed (JSON configs,
 * ingest); each is converted to its option's JSON type once, so a collector
 * reads one shape whatever the source.
 */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/text.h"
#include "util/time.h"
#include "util/redact.h"

const char *ea_option_type_name(uint32_t type)
{
    switch (type) {
    case EA_OPTION_STRING: return "text";
    case EA_OPTION_INT: return "integer";
    case EA_OPTION_BOOL: return "bool";
    case EA_OPTION_DURATION: return "duration";
    case EA_OPTION_SIZE: return "size";
    case EA_OPTION_PATH: return "path";
    case EA_OPTION_LIST: return "list";
    default: return "?";
    }
}

const struct ea_option *ea_option_find(const struct ea_collector *c, const char *name)
{
    for (const struct ea_option *o = c->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

static int unknown_key(const struct ea_collector *c, const char *key)
{
    const char *best = NULL;
    size_t best_d = EA_TEXT_FAR;
    char shown[65];
    char names[512] = "";
    size_t used = 0;

    for (const struct ea_option *o = c->options; o && o->name; o++) {
        size_t d = ea_text_distance(key, o->name);
        int n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", o->name);
        if (n > 0 && (size_t)n < sizeof(names) - used) used += (size_t)n;
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    ea_redact_show(shown, sizeof(shown), key, strlen(key));
    if (!used) return ea_fail(EA_EUSAGE, "%s has no option '%s': it takes none", c->name, shown);
    return ea_fail(EA_EUSAGE,
                   "%s has no option '%s' (did you mean '%s'? its options: %s; see "
                   "'evidence-agent collect --help')",
                   c->name, shown, best, names);
}

/* A scalar as text: a string as is, a number or boolean as written. NULL for others. */
static json_t *as_text(const json_t *v)
{
    char num[64];

    if (json_is_string(v)) return json_incref((json_t *)v);
    if (json_is_boolean(v)) return json_string(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(num);
    }
    if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return json_string(num);
    }
    return NULL;
}

/* A duration of zero is one, but no option takes it: the message names the option's range. */
static const char zero_duration[] = "must be more than zero";

/* Converts v (borrowed) to o's type: *out new reference, or NULL with why set. */
static void convert(const struct ea_option *o, const json_t *v, json_t **out, const char **why)
{
    const char *t = json_string_value(v);
    int64_t us;
    uint64_t size;

    *out = NULL;
    *why = NULL;
    if (json_is_array(v) && o->type != EA_OPTION_LIST) {
        *why = "takes one value (it was given more than once)";
        return;
    }
    switch (o->type) {
    case EA_OPTION_STRING:
    case EA_OPTION_PATH:
        if ((*out = as_text(v)) && !json_string_length(*out)) {
            json_decref(*out);
            *out = NULL;
        }
        if (!*out) *why = "must be a non-empty text";
        break;
    case EA_OPTION_DURATION:
        us = -1; /* 0 after a parse that failed: a duration of zero */
        if (t && ea_duration_parse(&us, t) == 0)
            *out = json_incref((json_t *)v);
        else {
            *why = us == 0 ? zero_duration : "must be a duration (30s, 5m, 1h)";
            ea_error_clear();
        }
        break;
    case EA_OPTION_INT:
        if (json_is_integer(v)) {
            *out = json_incref((json_t *)v);
        } else if (t && *t) {
            char *end;
            long long n;
            errno = 0;
            n = strtoll(t, &end, 10);
            if (!errno && !*end) *out = json_integer((json_int_t)n);
        }
        if (!*out) *why = "must be an integer";
        break;
    case EA_OPTION_BOOL:
        if (json_is_boolean(v))
            *out = json_incref((json_t *)v);
        else if (t && strcmp(t, "true") == 0)
            *out = json_true();
        else if (t && strcmp(t, "false") == 0)
            *out = json_false();
        else
            *why = "must be true or false";
        break;
    case EA_OPTION_SIZE:
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            *out = json_incref((json_t *)v);
        else if (t && ea_size_parse(&size, t) == 0 && size <= (uint64_t)INT64_MAX)
            *out = json_integer((json_int_t)size);
        else
            *why = "must be a size in bytes (512, 64KiB, 16MiB, 1GiB)";
        break;
    case EA_OPTION_LIST:
        if (json_is_array(v)) {
            size_t i;
            json_t *item;
            *out = json_array();
            json_array_foreach(v, i, item) {
                json_t *s = as_text(item);
                if (!s) {
                    *why = "must be a list of texts";
                    break;
                }
                json_array_append_new(*out, s);
            }
        } else {
            json_t *s = as_text(v);
            if (s)
                *out = json_pack("[o]", s);
            else
                *why = "must be a text or a list of texts";
        }
        if (*why) {
            json_decref(*out);
            *out = NULL;
        }
        break;
    default: *why = "has a type this agent does not know (the collector is newer than the agent)";
    }
}

int ea_options_check(json_t **out, const struct ea_collector *c, const json_t *options, char *bad,
                     size_t cap)
{
    const char *key;
    json_t *v;

    *out = NULL;
    if (bad && cap) bad[0] = '\0';
    if (options && !json_is_object(options))
        return ea_fail(EA_EUSAGE, "%s: the options must be a mapping of KEY: VALUE", c->name);
    if (!(*out = json_object())) return ea_fail(EA_ENOMEM, "out of memory");
    json_object_foreach((json_t *)options, key, v) {
        const struct ea_option *o = ea_option_find(c, key);
        const char *why = NULL;
        json_t *conv = NULL;
        int rc;
        if (o && json_is_null(v)) continue; /* an empty YAML value: the default applies */
        if (o) convert(o, v, &conv, &why);
        if (!conv) {
            if (bad && cap) snprintf(bad, cap, "%s", key);
            json_decref(*out);
            *out = NULL;
            if (!o) return unknown_key(c, key);
            if (!why) return ea_fail(EA_ENOMEM, "out of memory");
            if (why == zero_duration && o->doc)
                return ea_fail(EA_EUSAGE, "%s option %s: %s: %s", c->name, key, why, o->doc);
            return ea_fail(EA_EUSAGE, "%s option %s: %s", c->name, key, why);
        }
        if ((rc = json_object_set_new(*out, key, conv)) < 0) {
            json_decref(*out);
            *out = NULL;
            return ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    return 0;
}

void ea_options_help(FILE *f, const struct ea_collector *c, int indent)
{
    for (const struct ea_option *o = c->options; o && o->name; o++) {
        char left[64];
        snprintf(left, sizeof(left), "%s=%s", o->name, ea_option_type_name(o->type));
        fprintf(f, "%*s%-31s %s", indent, "", left, o->doc ? o->doc : "");
        if (o->default_value) fprintf(f, " (default %s)", o->default_value);
        fprintf(f, "\n");
    }
}
