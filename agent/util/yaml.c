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
#include "util/fs.h"
#include "util/mem.h"

#define DEPTH_MAX 64

struct level {
    json_t *node;    /* the open container (borrowed: owned by its parent or the root) */
    char *key;       /* mappings: the pending key (owned), NULL when a key is expected */
    size_t path_len; /* of this container's path in the path buffer */
    size_t index;    /* sequences: the next item's index */
    json_t *merges;  /* mappings: the values of "<<" keys (owned), merged when the mapping ends */
};

#define ANCHORS_MAX 1024

struct loader {
    const char *file;
    struct level stack[DEPTH_MAX];
    size_t depth;
    json_t *root, *lines;
    json_t *docs; /* multi-document streams: every document, in order */
    json_t *keep; /* values that left the document but an anchor may name ("<<" values) */
    bool multi;
    char path[4096];
    struct {
        char *name;   /* owned */
        json_t *node; /* borrowed: held by the document */
        bool open;    /* a container still being filled (an alias to it would recurse) */
    } anchors[ANCHORS_MAX];
    size_t nanchors;
    size_t nodes; /* made so far, aliases expanded: bounded against alias bombs */
};

static size_t node_depth(const json_t *v)
{
    size_t d = 0, x;
    const json_t *c;
    const char *k;
    size_t i;

    if (json_is_array(v))
        json_array_foreach(v, i, c)
            if ((x = node_depth(c)) > d) d = x;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, c)
            if ((x = node_depth(c)) > d) d = x;
    return json_is_array(v) || json_is_object(v) ? d + 1 : 0;
}

static size_t node_count(const json_t *v)
{
    size_t n = 1;
    const json_t *x;
    const char *k;
    size_t i;

    if (json_is_array(v))
        json_array_foreach(v, i, x) n += node_count(x);
    else if (json_is_object(v))
        json_object_foreach((json_t *)v, k, x) n += node_count(x);
    return n;
}

static int count_nodes(struct loader *l, size_t n, const yaml_mark_t *mark)
{
    l->nodes += n;
    if (l->nodes > EA_YAML_NODES_MAX)
        return ea_fail(EA_EINPUT,
                       "%s:%zu:%zu: more than %u values once aliases are expanded "
                       "(an alias bomb?)",
                       l->file, mark->line + 1, mark->column + 1, EA_YAML_NODES_MAX);
    return 0;
}

static int anchor(struct loader *l, const unsigned char *name, json_t *node, bool open,
                  const yaml_mark_t *mark)
{
    if (!name) return 0;
    for (size_t i = 0; i < l->nanchors; i++) { /* a redefined anchor: the later one counts */
        if (strcmp(l->anchors[i].name, (const char *)name) == 0) {
            l->anchors[i].node = node;
            l->anchors[i].open = open;
            return 0;
        }
    }
    if (l->nanchors == ANCHORS_MAX)
        return ea_fail(EA_EINPUT, "%s:%zu: more than %d anchors", l->file, mark->line + 1,
                       ANCHORS_MAX);
    if (!(l->anchors[l->nanchors].name = ea_strdup((const char *)name)))
        return ea_fail(EA_ENOMEM, "out of memory");
    l->anchors[l->nanchors].node = node;
    l->anchors[l->nanchors].open = open;
    l->nanchors++;
    return 0;
}

static void anchor_closed(struct loader *l, const json_t *node)
{
    for (size_t i = 0; i < l->nanchors; i++)
        if (l->anchors[i].node == node) l->anchors[i].open = false;
}

/* Attaches v (stolen) where the parser is: as a key's value, a sequence item or the root. */
static int place(struct loader *l, json_t *v, const yaml_mark_t *mark)
{
    struct level *top;
    int rc;

    if (!v) return ea_fail(EA_ENOMEM, "out of memory");
    if (l->depth == 0) {
        if (l->multi) {
            if (json_array_append_new(l->docs, v) < 0) return ea_fail(EA_ENOMEM, "out of memory");
            l->root = json_array_get(l->docs, json_array_size(l->docs) - 1);
            return 0;
        }
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
    if (strcmp(top->key, "<<") == 0) {
        /* a YAML merge key: kept aside (it may still be filling) and merged at the end */
        if (!top->merges) top->merges = json_array();
        rc = top->merges && json_array_append_new(top->merges, v) == 0
                 ? 0
                 : ea_fail(EA_ENOMEM, "out of memory");
        ea_free(top->key);
        top->key = NULL;
        return rc;
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

static int open_container(struct loader *l, json_t *c, const yaml_mark_t *mark,
                          const unsigned char *anchor_name)
{
    size_t plen = l->depth ? child_path(l, l->stack[l->depth - 1].key) : 0;
    int rc = count_nodes(l, 1, mark);

    if (rc == 0) rc = anchor(l, anchor_name, c, true, mark);
    if (rc < 0) {
        json_decref(c);
        return rc;
    }
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
    l->stack[l->depth++] = (struct level){c, NULL, plen, 0, NULL};
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
                                json_pack("[II]", (json_int_t)ev->start_mark.line + 1,
                                          (json_int_t)ev->start_mark.column + 1)) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
        l->path[top->path_len] = '\0';
        return 0;
    }
    {
        /* an empty plain scalar is null ("key:" with nothing after it) */
        json_t *v = ev->data.scalar.length == 0 && ev->data.scalar.plain_implicit
                        ? json_null()
                        : json_stringn(text, ev->data.scalar.length);
        int rc = count_nodes(l, 1, &ev->start_mark);
        if (rc == 0) rc = anchor(l, ev->data.scalar.anchor, v, false, &ev->start_mark);
        if (rc < 0) {
            json_decref(v);
            return rc;
        }
        return place(l, v, &ev->start_mark);
    }
}

/* A mapping ends: the keys its "<<" values bring are added where it has none (a key written
 * in the mapping wins over a merged one, whatever the order). */
static int merge(struct loader *l, struct level *lv, const yaml_mark_t *mark)
{
    json_t *src, *m, *x;
    const char *k;
    size_t i, j;
    int rc = 0;

    json_array_foreach(lv->merges, i, src) {
        for (j = 0, m = json_is_array(src) ? json_array_get(src, 0) : src; m && rc == 0;
             m = json_is_array(src) ? json_array_get(src, ++j) : NULL) {
            if (!json_is_object(m)) {
                rc = ea_fail(EA_EINPUT, "%s:%zu:%zu: '<<' merges mappings only", l->file,
                             mark->line + 1, mark->column + 1);
                break;
            }
            json_object_foreach(m, k, x) {
                if (!json_object_get(lv->node, k) && json_object_set(lv->node, k, x) < 0)
                    rc = ea_fail(EA_ENOMEM, "out of memory");
            }
        }
        if (rc < 0) break;
    }
    /* kept to the end of the parse: an anchor may still name one of them */
    if (lv->merges && (!l->keep || json_array_append(l->keep, lv->merges) < 0) && rc == 0)
        rc = ea_fail(EA_ENOMEM, "out of memory");
    json_decref(lv->merges);
    lv->merges = NULL;
    return rc;
}

static void loader_dispose(struct loader *l)
{
    while (l->depth > 0) {
        l->depth--;
        ea_free(l->stack[l->depth].key);
        json_decref(l->stack[l->depth].merges);
    }
    for (size_t i = 0; i < l->nanchors; i++) ea_free(l->anchors[i].name);
    l->nanchors = 0;
}

static int on_alias(struct loader *l, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;

    for (size_t i = l->nanchors; i-- > 0;) {
        if (strcmp(l->anchors[i].name, name) != 0) continue;
        if (l->anchors[i].open)
            return ea_fail(EA_EINPUT, "%s:%zu:%zu: alias *%s refers to a value that contains it",
                           l->file, ev->start_mark.line + 1, ev->start_mark.column + 1, name);
        if (l->depth + node_depth(l->anchors[i].node) > DEPTH_MAX)
            return ea_fail(EA_EINPUT, "%s:%zu:%zu: alias *%s would nest deeper than %d levels",
                           l->file, ev->start_mark.line + 1, ev->start_mark.column + 1, name,
                           DEPTH_MAX);
        {
            int rc = count_nodes(l, node_count(l->anchors[i].node), &ev->start_mark);
            json_t *copy = rc == 0 ? json_deep_copy(l->anchors[i].node) : NULL;
            if (rc < 0) return rc;
            return place(l, copy, &ev->start_mark);
        }
    }
    return ea_fail(EA_EINPUT, "%s:%zu:%zu: alias *%s has no anchor &%s before it", l->file,
                   ev->start_mark.line + 1, ev->start_mark.column + 1, name, name);
}

/* Parses one or (multi) several documents. */
static int parse(struct loader *l, const char *data, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    bool done = false;
    int rc = 0;

    if (len > EA_YAML_FILE_MAX)
        return ea_fail(EA_ETOOBIG, "%s: larger than %u MiB", l->file, EA_YAML_FILE_MAX >> 20);
    if (!(l->keep = json_array())) return ea_fail(EA_ENOMEM, "out of memory");
    if (!yaml_parser_initialize(&parser)) {
        json_decref(l->keep);
        l->keep = NULL;
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    while (rc == 0 && !done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = ea_fail(EA_EINPUT, "%s:%zu:%zu: %s%s%s", l->file, parser.problem_mark.line + 1,
                         parser.problem_mark.column + 1,
                         parser.problem ? parser.problem : "invalid YAML",
                         parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (l->root && !l->multi)
                rc = ea_fail(EA_EINPUT, "%s:%zu: only one YAML document is read here", l->file,
                             ev.start_mark.line + 1);
            break;
        case YAML_ALIAS_EVENT: rc = on_alias(l, &ev); break;
        case YAML_SCALAR_EVENT: rc = on_scalar(l, &ev); break;
        case YAML_MAPPING_START_EVENT:
            rc = open_container(l, json_object(), &ev.start_mark, ev.data.mapping_start.anchor);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = open_container(l, json_array(), &ev.start_mark, ev.data.sequence_start.anchor);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (l->depth > 0) {
                l->depth--;
                rc = merge(l, &l->stack[l->depth], &ev.start_mark);
                anchor_closed(l, l->stack[l->depth].node);
                ea_free(l->stack[l->depth].key);
                l->stack[l->depth].key = NULL;
            }
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    loader_dispose(l);
    json_decref(l->keep);
    l->keep = NULL;
    return rc;
}

int ea_yaml_parse(const char *name, const char *data, size_t len, json_t **out, json_t **lines)
{
    struct loader l;
    int rc;

    *out = NULL;
    *lines = NULL;
    memset(&l, 0, sizeof(l));
    l.file = name;
    l.lines = json_object();
    rc = l.lines ? parse(&l, data, len) : ea_fail(EA_ENOMEM, "out of memory");
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

int ea_yaml_parse_stream(const char *name, const char *data, size_t len, json_t **docs)
{
    struct loader l;
    int rc;

    *docs = NULL;
    memset(&l, 0, sizeof(l));
    l.file = name;
    l.multi = true;
    l.lines = json_object();
    l.docs = json_array();
    rc = l.lines && l.docs ? parse(&l, data, len) : ea_fail(EA_ENOMEM, "out of memory");
    json_decref(l.lines);
    if (rc < 0) {
        json_decref(l.docs);
        return rc;
    }
    *docs = l.docs;
    return 0;
}

int ea_yaml_load(const char *path, json_t **out, json_t **lines)
{
    struct ea_buf b;
    int rc;

    *out = NULL;
    *lines = NULL;
    rc = ea_fs_read(&b, path, EA_YAML_FILE_MAX, 0);
    if (rc == EA_ETOOBIG) {
        ea_error_clear();
        return ea_fail(EA_ETOOBIG, "%s: larger than %u MiB", path, EA_YAML_FILE_MAX >> 20);
    }
    if (rc == EA_ENOTFOUND || rc == EA_EIO) {
        char why[512];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        return ea_fail(EA_EINPUT, "%s", why);
    }
    if (rc < 0) return rc;
    rc = ea_yaml_parse(path, b.data ? b.data : "", b.len, out, lines);
    ea_buf_dispose(&b);
    return rc;
}
