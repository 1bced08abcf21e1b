/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON Schema validation; see schema.h. Every embedded *.schema.json is
 * parsed on first use into a table of roots and compiled patterns; the walk
 * then only reads them, under a read lock, so a long-lived process can drop
 * the table between uses (ea_schema_release). Errors carry the JSON path of the first
 * offending value, e.g. "predicate.controls[0]: does not match ^A\.[5-8]...".
 */
#include "schema.h"

#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../schemas/schemas.h"
#include "util/error.h"
#include "util/mem.h"

#define SCHEMAS_MAX 32
#define PATTERNS_MAX 128
#define PATH_MAX_BYTES 256
#define DEPTH_MAX 64

struct pattern {
    const json_t *node; /* the "pattern" string in the schema (borrowed from root) */
    regex_t re;
};

struct loaded {
    const char *name; /* borrowed from ea_schema_files */
    json_t *root;
};

/* Written under the write lock, read under the read lock. Reachable, so not a leak. */
static struct {
    struct loaded schemas[SCHEMAS_MAX];
    size_t nschemas;
    struct pattern patterns[PATTERNS_MAX];
    size_t npatterns;
    char error[256];
} reg;
static pthread_rwlock_t reg_lock = PTHREAD_RWLOCK_INITIALIZER;
static bool reg_loaded;

static const char *const known[] = {
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "$defs",
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "anyOf",
    "oneOf",
    NULL,
};

static bool is_known(const char *k)
{
    for (size_t i = 0; known[i]; i++) {
        if (strcmp(known[i], k) == 0) return true;
    }
    return false;
}

/* Checks keywords and compiles patterns of one (sub)schema, recursively. */
static bool prepare(const char *file, const json_t *s, int depth)
{
    const char *k;
    json_t *v;

    if (depth > DEPTH_MAX || !json_is_object(s)) {
        snprintf(reg.error, sizeof(reg.error), "%s: a subschema is not an object", file);
        return false;
    }
    json_object_foreach((json_t *)s, k, v) {
        if (!is_known(k)) {
            snprintf(reg.error, sizeof(reg.error), "%s: unsupported keyword '%s'", file, k);
            return false;
        }
        if (strcmp(k, "properties") == 0 || strcmp(k, "$defs") == 0) {
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv) {
                if (!prepare(file, pv, depth + 1)) return false;
            }
        } else if (strcmp(k, "items") == 0 ||
                   (strcmp(k, "additionalProperties") == 0 && json_is_object(v))) {
            if (!prepare(file, v, depth + 1)) return false;
        } else if (strcmp(k, "anyOf") == 0 || strcmp(k, "oneOf") == 0) {
            size_t i;
            json_t *sub;
            json_array_foreach(v, i, sub) {
                if (!prepare(file, sub, depth + 1)) return false;
            }
        } else if (strcmp(k, "pattern") == 0) {
            struct pattern *p;
            if (!json_is_string(v) || reg.npatterns == PATTERNS_MAX) return false;
            p = &reg.patterns[reg.npatterns];
            if (regcomp(&p->re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0) {
                snprintf(reg.error, sizeof(reg.error), "%s: pattern '%s' is not POSIX ERE", file,
                         json_string_value(v));
                return false;
            }
            p->node = v;
            reg.npatterns++;
        }
    }
    return true;
}

static void load(void)
{
    for (const struct ea_schema_file *f = ea_schema_files; f->name; f++) {
        size_t n = strlen(f->name);
        json_error_t err;
        json_t *root;

        if (n < 12 || strcmp(f->name + n - 12, ".schema.json") != 0) continue;
        if (reg.nschemas == SCHEMAS_MAX) {
            snprintf(reg.error, sizeof(reg.error), "too many schemas");
            return;
        }
        root = json_loadb(f->data, f->len, 0, &err);
        if (!root) {
            snprintf(reg.error, sizeof(reg.error), "%s: not JSON: %s", f->name, err.text);
            return;
        }
        reg.schemas[reg.nschemas].name = f->name;
        reg.schemas[reg.nschemas].root = root;
        reg.nschemas++;
        if (!prepare(f->name, root, 0)) return;
    }
}

/* Takes the read lock (the caller releases it, also on error) with the table loaded. */
static int acquire(void)
{
    pthread_rwlock_rdlock(&reg_lock);
    while (!reg_loaded) {
        pthread_rwlock_unlock(&reg_lock);
        pthread_rwlock_wrlock(&reg_lock);
        if (!reg_loaded) {
            load();
            reg_loaded = true;
        }
        pthread_rwlock_unlock(&reg_lock);
        pthread_rwlock_rdlock(&reg_lock);
    }
    if (reg.error[0])
        return ea_fail(EA_ERROR, "embedded schemas: %s (a build problem: rebuild)", reg.error);
    return 0;
}

void ea_schema_release(void)
{
    pthread_rwlock_wrlock(&reg_lock);
    for (size_t i = 0; i < reg.npatterns; i++) regfree(&reg.patterns[i].re);
    for (size_t i = 0; i < reg.nschemas; i++) json_decref(reg.schemas[i].root);
    memset(&reg, 0, sizeof(reg));
    reg_loaded = false;
    pthread_rwlock_unlock(&reg_lock);
}

static const json_t *find_schema(const char *name)
{
    for (size_t i = 0; i < reg.nschemas; i++) {
        if (strcmp(reg.schemas[i].name, name) == 0) return reg.schemas[i].root;
    }
    return NULL;
}

static const regex_t *find_pattern(const json_t *node)
{
    for (size_t i = 0; i < reg.npatterns; i++) {
        if (reg.patterns[i].node == node) return &reg.patterns[i].re;
    }
    return NULL;
}

/*
 * The path of the value being checked: a stack of segments, formatted only
 * when an error is reported (formatting on every step cost a sixth of the
 * validation time).
 */
struct segment {
    const char *key; /* NULL for an array index */
    size_t index;
};

struct path {
    struct segment seg[DEPTH_MAX + 8];
    size_t len;
};

static size_t path_push_key(struct path *p, const char *key)
{
    size_t old = p->len;
    if (p->len < sizeof(p->seg) / sizeof(p->seg[0])) p->seg[p->len++] = (struct segment){key, 0};
    return old;
}

static size_t path_push_index(struct path *p, size_t i)
{
    size_t old = p->len;
    if (p->len < sizeof(p->seg) / sizeof(p->seg[0])) p->seg[p->len++] = (struct segment){NULL, i};
    return old;
}

static void path_pop(struct path *p, size_t old)
{
    p->len = old;
}

static int invalid(const struct path *p, const char *fmt, ...) EA_PRINTF(2, 3);

static int invalid(const struct path *p, const char *fmt, ...)
{
    char where[PATH_MAX_BYTES] = "(document)";
    char what[160];
    size_t used = 0;
    va_list ap;

    for (size_t i = 0; i < p->len && used < sizeof(where) - 1; i++) {
        int n = p->seg[i].key
                    ? snprintf(where + used, sizeof(where) - used, "%s%s", used ? "." : "",
                               p->seg[i].key)
                    : snprintf(where + used, sizeof(where) - used, "[%zu]", p->seg[i].index);
        if (n < 0) break;
        used += (size_t)n < sizeof(where) - used ? (size_t)n : sizeof(where) - 1 - used;
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return ea_fail(EA_EINPUT, "%s: %s", where, what);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

static bool type_ok(const json_t *v, const char *t)
{
    const char *actual = type_name(v);
    return strcmp(actual, t) == 0 || (strcmp(t, "number") == 0 && json_is_integer(v));
}

static size_t code_points(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    }
    return count;
}

static double number(const json_t *v)
{
    return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

static int check(const json_t *root, const json_t *s, const json_t *v, struct path *p, int depth);

static int check_object(const json_t *root, const json_t *s, const json_t *v, struct path *p,
                        int depth)
{
    const json_t *props = json_object_get(s, "properties");
    const json_t *addl = json_object_get(s, "additionalProperties");
    const json_t *req = json_object_get(s, "required");
    const json_t *kw;
    const char *k;
    json_t *x;
    size_t i;
    int rc;

    json_array_foreach(req, i, x) {
        if (!json_object_get(v, json_string_value(x)))
            return invalid(p, "required property '%s' is missing", json_string_value(x));
    }
    if ((kw = json_object_get(s, "minProperties")) &&
        json_object_size(v) < (size_t)json_integer_value(kw))
        return invalid(p, "has fewer properties than allowed");
    if ((kw = json_object_get(s, "maxProperties")) &&
        json_object_size(v) > (size_t)json_integer_value(kw))
        return invalid(p, "has more properties than allowed");
    json_object_foreach((json_t *)v, k, x) {
        const json_t *sub = json_object_get(props, k);
        size_t old;
        if (!sub) {
            if (json_is_false(addl)) return invalid(p, "unexpected property '%s'", k);
            if (!json_is_object(addl)) continue;
            sub = addl;
        }
        old = path_push_key(p, k);
        rc = check(root, sub, x, p, depth + 1);
        if (rc < 0) return rc;
        path_pop(p, old);
    }
    return 0;
}

static int check_array(const json_t *root, const json_t *s, const json_t *v, struct path *p,
                       int depth)
{
    const json_t *items = json_object_get(s, "items");
    const json_t *kw;
    json_t *x;
    size_t i;
    int rc;

    if ((kw = json_object_get(s, "minItems")) &&
        json_array_size(v) < (size_t)json_integer_value(kw))
        return invalid(p, "has fewer items than allowed");
    if ((kw = json_object_get(s, "maxItems")) &&
        json_array_size(v) > (size_t)json_integer_value(kw))
        return invalid(p, "has more items than allowed");
    if (json_is_true(json_object_get(s, "uniqueItems"))) {
        for (i = 0; i < json_array_size(v); i++) {
            for (size_t j = i + 1; j < json_array_size(v); j++) {
                if (json_equal(json_array_get(v, i), json_array_get(v, j)))
                    return invalid(p, "items are not unique");
            }
        }
    }
    if (!items) return 0;
    json_array_foreach(v, i, x) {
        size_t old = path_push_index(p, i);
        rc = check(root, items, x, p, depth + 1);
        if (rc < 0) return rc;
        path_pop(p, old);
    }
    return 0;
}

static int check_string(const json_t *s, const json_t *v, struct path *p)
{
    const json_t *kw;
    size_t len = json_string_length(v);

    if ((kw = json_object_get(s, "minLength")) &&
        code_points(json_string_value(v), len) < (size_t)json_integer_value(kw))
        return invalid(p, "is shorter than allowed");
    if ((kw = json_object_get(s, "maxLength")) &&
        code_points(json_string_value(v), len) > (size_t)json_integer_value(kw))
        return invalid(p, "is longer than allowed");
    if ((kw = json_object_get(s, "pattern"))) {
        const regex_t *re = find_pattern(kw);
        /* A NUL inside the string would end the match early: such strings never match. */
        if (!re || strlen(json_string_value(v)) != len ||
            regexec(re, json_string_value(v), 0, NULL, 0) != 0)
            return invalid(p, "does not match %s", json_string_value(kw));
    }
    return 0;
}

/* Counts how many subschemas of an anyOf/oneOf accept v (stops at 2). */
static int count_matches(const json_t *root, const json_t *list, const json_t *v, struct path *p,
                         int depth, int *matches)
{
    const json_t *sub;
    size_t i;

    *matches = 0;
    json_array_foreach(list, i, sub) {
        int rc = check(root, sub, v, p, depth + 1);
        if (rc == 0)
            (*matches)++;
        else if (rc != EA_EINPUT)
            return rc;
        if (*matches > 1) break;
    }
    ea_error_clear();
    return 0;
}

static int check(const json_t *root, const json_t *s, const json_t *v, struct path *p, int depth)
{
    const json_t *kw;
    int rc;

    if (depth > DEPTH_MAX) return invalid(p, "nested too deeply");
    if ((kw = json_object_get(s, "$ref"))) {
        const char *ref = json_string_value(kw);
        const json_t *target = NULL;
        if (ref && strncmp(ref, "#/$defs/", 8) == 0)
            target = json_object_get(json_object_get(root, "$defs"), ref + 8);
        if (!target) return ea_fail(EA_ERROR, "schema: unresolvable $ref '%s'", ref ? ref : "?");
        rc = check(root, target, v, p, depth + 1);
        if (rc < 0) return rc;
    }
    if ((kw = json_object_get(s, "type"))) {
        bool ok = false;
        if (json_is_string(kw)) {
            ok = type_ok(v, json_string_value(kw));
        } else {
            size_t i;
            json_t *t;
            json_array_foreach(kw, i, t) ok = ok || type_ok(v, json_string_value(t));
        }
        if (!ok) return invalid(p, "is of type %s, not allowed here", type_name(v));
    }
    if ((kw = json_object_get(s, "const")) && !json_equal(kw, (json_t *)v))
        return invalid(p, "is not the required constant value");
    if ((kw = json_object_get(s, "enum"))) {
        bool ok = false;
        size_t i;
        json_t *e;
        json_array_foreach(kw, i, e) ok = ok || json_equal(e, (json_t *)v);
        if (!ok) return invalid(p, "is not one of the allowed values");
    }
    if (json_is_number(v)) {
        if ((kw = json_object_get(s, "minimum")) && number(v) < number(kw))
            return invalid(p, "is below the minimum");
        if ((kw = json_object_get(s, "maximum")) && number(v) > number(kw))
            return invalid(p, "is above the maximum");
    }
    if (json_is_string(v) && (rc = check_string(s, v, p)) < 0) return rc;
    if (json_is_object(v) && (rc = check_object(root, s, v, p, depth)) < 0) return rc;
    if (json_is_array(v) && (rc = check_array(root, s, v, p, depth)) < 0) return rc;
    if ((kw = json_object_get(s, "anyOf"))) {
        int matches;
        if ((rc = count_matches(root, kw, v, p, depth, &matches)) < 0) return rc;
        if (matches == 0) return invalid(p, "matches none of the allowed forms");
    }
    if ((kw = json_object_get(s, "oneOf"))) {
        int matches;
        if ((rc = count_matches(root, kw, v, p, depth, &matches)) < 0) return rc;
        if (matches != 1) return invalid(p, "must match exactly one allowed form");
    }
    return 0;
}

/* Under the read lock. */
static int validate(const char *name, const json_t *instance)
{
    struct path p;
    const json_t *root = find_schema(name);

    p.len = 0;
    if (!root) return ea_fail(EA_ERROR, "no embedded schema called %s", name);
    return check(root, root, instance, &p, 0);
}

int ea_schema_validate(const char *name, const json_t *instance)
{
    int rc = acquire();

    if (rc == 0) rc = validate(name, instance);
    pthread_rwlock_unlock(&reg_lock);
    return rc;
}

int ea_schema_validate_statement(const json_t *statement)
{
    const json_t *pred;
    const char *kind;
    char name[96];
    int rc = acquire();

    if (rc == 0) rc = validate("statement.schema.json", statement);
    if (rc == 0) {
        pred = json_object_get(statement, "predicate");
        kind = json_string_value(json_object_get(pred, "kind"));
        snprintf(name, sizeof(name), "data/%s.schema.json", kind ? kind : "");
        if (find_schema(name)) {
            rc = validate(name, json_object_get(pred, "data"));
            if (rc < 0) ea_fail_prefix("predicate.data");
        }
    }
    pthread_rwlock_unlock(&reg_lock);
    return rc;
}
