/* SPDX-License-Identifier: Apache-2.0 */
/* YAML as jansson values; see yaml.h. Built on libyaml's event parser. */
#include "yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "error.h"
#include "util/buf.h"
#include "util/mem.h"

#define DEPTH_MAX 64

struct level {
    json_t *node;    /* the open container (borrowed: owned by its parent or the root) */
    char *key;       /* mappings: the pending key (owned), NULL when a key is expected */
    size_t path_len; /* of this container's path in the path buffer */
    size_t index;    /* sequences: the next item's index */
};

struct loader {
    const char *file;
    struct level stack[DEPTH_MAX];
    size_t depth;
    json_t *root, *lines;
    char path[4096];
};

/* Attaches v (stolen) where the parser is: as a key's value, a sequence item or the root. */
static int place(struct loader *l, json_t *v, const yaml_mark_t *mark)
{
    struct level *top;
    int rc;

    if (!v) return ea_fail(EA_ENOMEM, "out of memory");
    if (l->depth == 0) {
        l->root = v;
        return 0;
    }
    top = &l->stack[l->depth - 1];
    if (json_is_array(top->node)) {
        top->index++;
        return json_array_append_new(top->node, v) == 0 ? 0 : ea_fail(EA_ENOMEM, "out of memory");
    }
    if (!top->key) { /* a key: only scalars can be keys here */
        json_decref(v);
        return ea_fail(EA_EINPUT, "%s:%zu:%zu: a mapping key must be a plain text", l->file,
                       mark->line + 1, mark->column + 1);
    }
    if (json_object_get(top->node, top->key)) {
        json_decref(v);
        return ea_fail(EA_EINPUT, "%s:%zu:%zu: '%s' is given twice", l->file, mark->line + 1,
                       mark->column + 1, top->key);
    }
    rc = json_object_set_new(top->node, top->key, v);
    ea_free(top->key);
    top->key = NULL;
    return rc == 0 ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

/* The path of the value about to be placed, written after the container's. */
static size_t child_path(struct loader *l, const char *key)
{
    struct level *top = &l->stack[l->depth - 1];
    size_t n = top->path_len;
    int w;

    if (json_is_array(top->node))
        w = snprintf(l->path + n, sizeof(l->path) - n, "%s%zu", n ? "/" : "", top->index);
    else
        w = snprintf(l->path + n, sizeof(l->path) - n, "%s%s", n ? "/" : "", key ? key : "");
    if (w < 0 || (size_t)w >= sizeof(l->path) - n) return n;
    return n + (size_t)w;
}

static int open_container(struct loader *l, json_t *c, const yaml_mark_t *mark)
{
    size_t plen = l->depth ? child_path(l, l->stack[l->depth - 1].key) : 0;
    int rc;

    if (l->depth == DEPTH_MAX) {
        json_decref(c);
        return ea_fail(EA_EINPUT, "%s:%zu:%zu: nested deeper than %d levels", l->file,
                       mark->line + 1, mark->column + 1, DEPTH_MAX);
    }
    json_incref(c);
    rc = place(l, c, mark);
    if (rc < 0) {
        json_decref(c);
        return rc;
    }
    l->stack[l->depth++] = (struct level){c, NULL, plen, 0};
    json_decref(c); /* now owned by its parent (or held as the root) */
    return 0;
}

static int on_scalar(struct loader *l, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    struct level *top = l->depth ? &l->stack[l->depth - 1] : NULL;

    if (top && json_is_object(top->node) && !top->key) { /* a key */
        size_t plen = child_path(l, text);
        if (!(top->key = ea_strdup(text))) return ea_fail(EA_ENOMEM, "out of memory");
        l->path[plen] = '\0';
        if (json_object_set_new(l->lines, l->path,
                                json_integer((json_int_t)ev->start_mark.line + 1)) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
        l->path[top->path_len] = '\0';
        return 0;
    }
    /* an empty plain scalar is null ("key:" with nothing after it) */
    if (ev->data.scalar.length == 0 && ev->data.scalar.plain_implicit)
        return place(l, json_null(), &ev->start_mark);
    return place(l, json_stringn(text, ev->data.scalar.length), &ev->start_mark);
}

int ea_yaml_parse(const char *name, const char *data, size_t len, json_t **out, json_t **lines)
{
    struct loader l;
    yaml_parser_t parser;
    yaml_event_t ev;
    bool done = false;
    int rc = 0;

    *out = NULL;
    *lines = NULL;
    memset(&l, 0, sizeof(l));
    l.file = name;
    if (len > EA_YAML_FILE_MAX)
        return ea_fail(EA_ETOOBIG, "%s: larger than %u MiB", name, EA_YAML_FILE_MAX >> 20);
    if (!yaml_parser_initialize(&parser)) return ea_fail(EA_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    l.lines = json_object();
    if (!l.lines) rc = ea_fail(EA_ENOMEM, "out of memory");
    while (rc == 0 && !done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = ea_fail(EA_EINPUT, "%s:%zu:%zu: %s%s%s", name, parser.problem_mark.line + 1,
                         parser.problem_mark.column + 1,
                         parser.problem ? parser.problem : "invalid YAML",
                         parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (l.root)
                rc = ea_fail(EA_EINPUT, "%s:%zu: only one YAML document is read", name,
                             ev.start_mark.line + 1);
            break;
        case YAML_ALIAS_EVENT:
            rc = ea_fail(EA_EINPUT,
                         "%s:%zu:%zu: aliases (*name) are not supported; write the "
                         "value out",
                         name, ev.start_mark.line + 1, ev.start_mark.column + 1);
            break;
        case YAML_SCALAR_EVENT: rc = on_scalar(&l, &ev); break;
        case YAML_MAPPING_START_EVENT:
            rc = open_container(&l, json_object(), &ev.start_mark);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = open_container(&l, json_array(), &ev.start_mark);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (l.depth > 0) {
                l.depth--;
                ea_free(l.stack[l.depth].key);
                l.stack[l.depth].key = NULL;
            }
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    while (l.depth > 0) ea_free(l.stack[--l.depth].key);
    yaml_parser_delete(&parser);
    if (rc == 0 && !l.root) l.root = json_object(); /* an empty file */
    if (rc < 0 || !l.root) {
        json_decref(l.root);
        json_decref(l.lines);
        return rc < 0 ? rc : ea_fail(EA_ENOMEM, "out of memory");
    }
    *out = l.root;
    *lines = l.lines;
    return 0;
}

int ea_yaml_load(const char *path, json_t **out, json_t **lines)
{
    struct ea_buf b;
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;
    int rc = 0;

    *out = NULL;
    *lines = NULL;
    if (!f) return ea_fail(EA_EINPUT, "%s: cannot read: %s", path, strerror(errno));
    ea_buf_init(&b, EA_YAML_FILE_MAX);
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) rc = ea_buf_append(&b, chunk, n);
    if (rc == 0 && ferror(f)) rc = ea_fail(EA_EINPUT, "%s: cannot read: %s", path, strerror(errno));
    fclose(f);
    if (rc == EA_ETOOBIG || (rc < 0 && b.len >= EA_YAML_FILE_MAX)) {
        ea_error_clear();
        rc = ea_fail(EA_ETOOBIG, "%s: larger than %u MiB", path, EA_YAML_FILE_MAX >> 20);
    }
    if (rc == 0) rc = ea_yaml_parse(path, b.data ? b.data : "", b.len, out, lines);
    ea_buf_dispose(&b);
    return rc;
}
