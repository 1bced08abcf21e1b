/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Copying fields out of third-party JSON (API responses) into records: only
 * named scalar fields are taken, each bounded, so nothing nested, huge or
 * unexpected reaches a record.
 */
#ifndef EA_UTIL_JSON_H
#define EA_UTIL_JSON_H

#include <stdbool.h>

#include <jansson.h>

/** Longest string field copied; a longer one becomes null. */
#define EA_JSON_TEXT_MAX 1024

/**
 * The string field key of o (NULL-safe): a string of at most EA_JSON_TEXT_MAX
 * bytes, an integer as its decimal text, else null. @return new reference, or
 * NULL when out of memory.
 */
json_t *ea_json_text(const json_t *o, const char *key);
/** The string at o.key or NULL (borrowed). */
const char *ea_json_str(const json_t *o, const char *key);
/**
 * A value typed from text as the user wrote it (a --set value, a YAML scalar):
 * a number, true, false or null when text is one, else the string itself.
 * @return new reference, or NULL (text not UTF-8, or out of memory).
 */
json_t *ea_json_scalar(const char *text);
/**
 * Sets o[key] = v, stealing v; v NULL means a failed allocation.
 * @return 0 or EA_ENOMEM (message set).
 */
int ea_json_put(json_t *o, const char *key, json_t *v);
/**
 * The boolean option key of o into *out, left as it is when absent.
 * @return 0, or EA_ECONFIG "KEY must be true or false".
 */
int ea_json_bool_option(const json_t *o, const char *key, bool *out);

#endif
