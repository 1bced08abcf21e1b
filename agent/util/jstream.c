/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming JSON with selected subtrees; see jstream.h. yajl drives a stack
 * of frames (one per open container outside a selected value); each frame
 * knows which paths are still possible below it, as a bit mask, so an
 * unselected subtree costs a few comparisons per key. Inside a selected value
 * the events build a jansson value instead, on a stack of open containers.
 */
#include "jstream.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "error.h"
#include "util/mem.h"

#define SEGS_MAX 16
#define KEY_MAX 256

struct seg {
    const char *s;
    size_t n;
    bool wild;
};

struct path {
    struct seg segs[SEGS_MAX];
    size_t nsegs;
    bool count;
    bool flat;
};

#define FLAT_PATH_MAX 512

struct flat_node { /* as ea_jflat_node, with offsets into the arena while it may move */
    size_t path, text, len;
    int type;
};

struct flat_frame {
    bool is_map;
    size_t next;
    size_t path_len; /* of the container's path in flat_cur */
};

struct frame {
    bool is_map;
    size_t next;       /* arrays: index of the next element */
    char key[KEY_MAX]; /* maps: the current key (cut at KEY_MAX - 1: never matches then) */
    size_t keylen;
    uint32_t alive; /* paths whose segments so far lead here */
};

struct ea_jstream {
    yajl_handle yajl;
    struct path paths[EA_JSTREAM_PATHS_MAX];
    size_t npaths;
    ea_jstream_cb cb;
    ea_jstream_key_cb keys;
    void *ctx;
    struct frame frames[EA_JSTREAM_DEPTH_MAX];
    size_t depth; /* open frames */
    /* the selected value being built */
    json_t *build[EA_JSTREAM_DEPTH_MAX];
    char *build_key[EA_JSTREAM_DEPTH_MAX]; /* pending key of each open map (owned) */
    size_t build_key_len[EA_JSTREAM_DEPTH_MAX];
    size_t nbuild;
    int build_path;
    size_t build_wild[EA_JSTREAM_WILD_MAX], build_nwild;
    size_t build_bytes;
    /* the selected value being seen flat */
    bool flat_on;
    struct flat_frame flat_stack[EA_JSTREAM_DEPTH_MAX];
    size_t flat_depth;
    char flat_cur[FLAT_PATH_MAX + 1]; /* path of the innermost open container */
    char flat_key[FLAT_PATH_MAX + 1];
    size_t flat_key_len;
    char *arena;
    size_t arena_len, arena_cap;
    struct flat_node *fnodes;
    size_t nfnodes, fnodes_cap;
    struct ea_jflat_node *view;
    size_t view_cap;
    struct ea_jflat flat;
    /* outcome */
    int stop;      /* > 0: stopped by the callback; < 0: an error */
    size_t offset; /* bytes before the current chunk */
};

static int parse_paths(struct ea_jstream *js, const char *const *paths)
{
    for (size_t i = 0; paths && paths[i]; i++) {
        struct path *p = &js->paths[js->npaths];
        const char *s = paths[i];

        if (js->npaths == EA_JSTREAM_PATHS_MAX)
            return ea_fail(EA_ECONFIG, "more than %d stream paths", EA_JSTREAM_PATHS_MAX);
        if (*s == '#' || *s == '~') {
            p->count = *s == '#';
            p->flat = *s == '~';
            s++;
        }
        while (*s) {
            size_t n = strcspn(s, ".");
            if (p->nsegs == SEGS_MAX || n == 0)
                return ea_fail(EA_ECONFIG, "bad stream path '%s'", paths[i]);
            p->segs[p->nsegs++] = (struct seg){s, n, n == 1 && *s == '*'};
            s += n + (s[n] == '.');
        }
        if (p->nsegs == 0) return ea_fail(EA_ECONFIG, "empty stream path");
        js->npaths++;
    }
    return 0;
}

static int fail_at(struct ea_jstream *js, int code, const char *what)
{
    js->stop = ea_fail(code, "byte %zu: %s", js->offset + yajl_get_bytes_consumed(js->yajl), what);
    return 0; /* stops yajl */
}

/*
 * A value starts in the innermost frame: which path selects it (-1: none),
 * and the paths still possible inside it (when it is a container).
 */
static int selects(struct ea_jstream *js, uint32_t *alive_inside)
{
    size_t d = js->depth; /* the value's segment index is d - 1 (the root is no segment) */
    struct frame *f = d ? &js->frames[d - 1] : NULL;
    uint32_t alive = f ? f->alive : 0, inside = 0;
    int selected = -1;

    if (f && !f->is_map) f->next++;
    for (size_t i = 0; alive && i < js->npaths; i++) {
        const struct path *p = &js->paths[i];
        const struct seg *s;
        if (!(alive & (1u << i)) || p->nsegs < d) continue;
        s = &p->segs[d - 1];
        if (!s->wild && (!f->is_map || s->n != f->keylen || memcmp(s->s, f->key, s->n) != 0))
            continue;
        if (p->nsegs == d) {
            if (selected < 0) selected = (int)i;
        } else {
            inside |= 1u << i;
        }
    }
    if (!f) inside = js->npaths == 32 ? UINT32_MAX : (1u << js->npaths) - 1; /* the root */
    *alive_inside = inside;
    return selected;
}

/* The "*" positions of the path to the value starting now. */
static size_t wild_of(const struct ea_jstream *js, int path, size_t *out)
{
    const struct path *p = &js->paths[path];
    size_t n = 0;

    for (size_t d = 0; d < p->nsegs && d < js->depth; d++) {
        if (!p->segs[d].wild || n == EA_JSTREAM_WILD_MAX) continue;
        out[n++] = js->frames[d].is_map ? 0 : js->frames[d].next - 1;
    }
    return n;
}

static int deliver(struct ea_jstream *js, int path, json_t *v, const size_t *wild, size_t nwild)
{
    int rc = js->cb(js->ctx, path, v, wild, nwild);

    json_decref(v);
    if (rc != 0) {
        js->stop = rc;
        return 0;
    }
    return 1;
}

/* Attaches v (stolen) to the innermost open container of the selected value. */
static int attach(struct ea_jstream *js, json_t *v)
{
    json_t *parent = js->build[js->nbuild - 1];
    size_t top = js->nbuild - 1;
    int rc;

    if (!v) return fail_at(js, EA_ENOMEM, "out of memory");
    if (json_is_array(parent)) {
        rc = json_array_append_new(parent, v);
    } else {
        rc = json_object_setn_new(parent, js->build_key[top] ? js->build_key[top] : "",
                                  js->build_key_len[top], v);
        ea_free(js->build_key[top]);
        js->build_key[top] = NULL;
        js->build_key_len[top] = 0;
    }
    return rc == 0 ? 1 : fail_at(js, EA_ENOMEM, "out of memory");
}

/* ---- flat values ---- */

static int arena_put(struct ea_jstream *js, const char *s, size_t n, size_t *off)
{
    if (js->arena_len + n + 1 > EA_JSTREAM_VALUE_MAX)
        return fail_at(js, EA_ETOOBIG, "one selected value is larger than 16 MiB");
    if (js->arena_len + n + 1 > js->arena_cap) {
        size_t cap = js->arena_cap ? js->arena_cap : 4096;
        char *a;
        while (cap < js->arena_len + n + 1) cap *= 2;
        if (!(a = ea_realloc(js->arena, cap))) return fail_at(js, EA_ENOMEM, "out of memory");
        js->arena = a;
        js->arena_cap = cap;
    }
    *off = js->arena_len;
    if (n) memcpy(js->arena + js->arena_len, s, n);
    js->arena[js->arena_len + n] = '\0';
    js->arena_len += n + 1;
    return 1;
}

/* A node starts: its path is the container's plus the key or index. */
static int flat_node(struct ea_jstream *js, int type, const char *text, size_t len)
{
    struct flat_node *nd;
    char path[FLAT_PATH_MAX * 2 + 24];
    size_t plen = 0;

    if (js->flat_depth) {
        struct flat_frame *f = &js->flat_stack[js->flat_depth - 1];
        memcpy(path, js->flat_cur, f->path_len);
        plen = f->path_len;
        if (plen) path[plen++] = '.';
        if (f->is_map) {
            memcpy(path + plen, js->flat_key, js->flat_key_len);
            plen += js->flat_key_len;
        } else {
            char digits[24];
            size_t nds = 0, v = f->next++;
            do digits[nds++] = (char)('0' + v % 10);
            while ((v /= 10) && nds < sizeof(digits));
            while (nds) path[plen++] = digits[--nds];
        }
        if (plen > FLAT_PATH_MAX) plen = FLAT_PATH_MAX; /* a cut path matches nothing asked */
    }
    if (js->nfnodes == js->fnodes_cap) {
        size_t cap = js->fnodes_cap ? js->fnodes_cap * 2 : 64;
        struct flat_node *n = ea_realloc(js->fnodes, cap * sizeof(*n));
        if (!n) return fail_at(js, EA_ENOMEM, "out of memory");
        js->fnodes = n;
        js->fnodes_cap = cap;
    }
    nd = &js->fnodes[js->nfnodes];
    nd->type = type;
    nd->len = len;
    if (!arena_put(js, path, plen, &nd->path) || !arena_put(js, text, len, &nd->text)) return 0;
    js->nfnodes++;
    if (type == JSON_OBJECT || type == JSON_ARRAY) {
        if (js->flat_depth == EA_JSTREAM_DEPTH_MAX)
            return fail_at(js, EA_EINPUT, "nested deeper than 256 levels");
        memcpy(js->flat_cur, path, plen);
        js->flat_stack[js->flat_depth++] = (struct flat_frame){type == JSON_OBJECT, 0, plen};
    }
    return 1;
}

/* The flat value is whole: give it to the callback. */
static int flat_deliver(struct ea_jstream *js)
{
    size_t wild[EA_JSTREAM_WILD_MAX];

    if (js->nfnodes > js->view_cap) {
        struct ea_jflat_node *v = ea_realloc(js->view, js->nfnodes * sizeof(*v));
        if (!v) return fail_at(js, EA_ENOMEM, "out of memory");
        js->view = v;
        js->view_cap = js->nfnodes;
    }
    for (size_t i = 0; i < js->nfnodes; i++)
        js->view[i] = (struct ea_jflat_node){js->arena + js->fnodes[i].path, js->fnodes[i].type,
                                             js->arena + js->fnodes[i].text, js->fnodes[i].len};
    js->flat = (struct ea_jflat){js->view, js->nfnodes};
    js->flat_on = false;
    memcpy(wild, js->build_wild, sizeof(wild));
    return deliver(js, js->build_path, NULL, wild, js->build_nwild);
}

static void flat_start(struct ea_jstream *js, int path)
{
    js->flat_on = true;
    js->flat_depth = 0;
    js->nfnodes = 0;
    js->arena_len = 0;
    js->build_path = path;
    js->build_nwild = wild_of(js, path, js->build_wild);
}

const struct ea_jflat *ea_jstream_flat(const struct ea_jstream *js)
{
    return &js->flat;
}

const struct ea_jflat_node *ea_jflat_get(const struct ea_jflat *f, const char *path)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->nodes[i].path, path) == 0) return &f->nodes[i];
    return NULL;
}

static bool building(const struct ea_jstream *js)
{
    return js->nbuild > 0;
}

static int flat_scalar(struct ea_jstream *js, json_t *(*make)(const void *, size_t), const void *a,
                       size_t n);

/* A scalar: kept when it is, or is inside, a selected value. */
static int scalar(struct ea_jstream *js, json_t *(*make)(const void *, size_t), const void *a,
                  size_t n)
{
    uint32_t inside;
    int sel;
    size_t wild[EA_JSTREAM_WILD_MAX], nwild;

    if (js->flat_on) return flat_scalar(js, make, a, n);
    if (building(js)) {
        if ((js->build_bytes += n + 16) >
            EA_JSTREAM_VALUE_MAX) /* every node costs, not only text */
            return fail_at(js, EA_ETOOBIG, "one selected value is larger than 16 MiB");
        return attach(js, make(a, n));
    }
    sel = selects(js, &inside);
    if (sel < 0) return 1;
    if (js->paths[sel].flat) {
        flat_start(js, sel);
        return flat_scalar(js, make, a, n) ? flat_deliver(js) : 0;
    }
    nwild = wild_of(js, sel, wild);
    return deliver(js, sel, make(a, n), wild, nwild); /* counting paths too: a scalar is given */
}

static json_t *make_null(const void *a, size_t n);
static json_t *make_bool(const void *a, size_t n);
static json_t *make_string(const void *a, size_t n);

/* A scalar of a flat value: its type from the maker that would build it. */
static int flat_scalar(struct ea_jstream *js, json_t *(*make)(const void *, size_t), const void *a,
                       size_t n)
{
    if (make == make_null) return flat_node(js, JSON_NULL, "", 0);
    if (make == make_bool) return flat_node(js, n ? JSON_TRUE : JSON_FALSE, "", 0);
    if (make == make_string) return flat_node(js, JSON_STRING, a, n);
    return flat_node(
        js, memchr(a, '.', n) || memchr(a, 'e', n) || memchr(a, 'E', n) ? JSON_REAL : JSON_INTEGER,
        a, n);
}

static json_t *make_null(const void *a, size_t n)
{
    (void)a;
    (void)n;
    return json_null();
}

static json_t *make_bool(const void *a, size_t n)
{
    (void)a;
    return json_boolean(n);
}

static json_t *make_string(const void *a, size_t n)
{
    return json_stringn_nocheck(a, n); /* yajl has checked the UTF-8 */
}

/* A number as yajl saw it: an integer when it is one and fits, else a real. */
static json_t *make_number(const void *a, size_t n)
{
    char small[64], *text = n < sizeof(small) ? small : ea_malloc(n + 1), *end;
    json_t *v;
    long long i;
    double d;

    if (!text) return NULL;
    memcpy(text, a, n);
    text[n] = '\0';
    errno = 0;
    if (!strpbrk(text, ".eE") && (i = strtoll(text, &end, 10), errno == 0 && *end == '\0')) {
        v = json_integer(i);
    } else {
        d = strtod(text, NULL);
        /* beyond a double (1e999): kept as the text it was, not an error */
        v = isfinite(d) ? json_real(d) : json_stringn(text, n);
    }
    if (text != small) ea_free(text);
    return v;
}

static int on_null(void *ctx)
{
    return scalar(ctx, make_null, NULL, 0);
}

static int on_boolean(void *ctx, int v)
{
    return scalar(ctx, make_bool, NULL, (size_t)(v != 0));
}

static int on_number(void *ctx, const char *s, size_t n)
{
    return scalar(ctx, make_number, s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct ea_jstream *js = ctx;

    if (building(js) && (js->build_bytes += n) > EA_JSTREAM_VALUE_MAX)
        return fail_at(js, EA_ETOOBIG, "one selected value is larger than 16 MiB");
    return scalar(js, make_string, s, n);
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
    struct ea_jstream *js = ctx;
    struct frame *f;

    if (js->flat_on) {
        js->flat_key_len = n < FLAT_PATH_MAX ? n : FLAT_PATH_MAX;
        memcpy(js->flat_key, k, js->flat_key_len);
        return 1;
    }
    if (building(js)) {
        size_t top = js->nbuild - 1;
        if ((js->build_bytes += n) > EA_JSTREAM_VALUE_MAX)
            return fail_at(js, EA_ETOOBIG, "one selected value is larger than 16 MiB");
        ea_free(js->build_key[top]);
        js->build_key[top] = ea_strndup((const char *)k, n);
        js->build_key_len[top] = n;
        return js->build_key[top] ? 1 : fail_at(js, EA_ENOMEM, "out of memory");
    }
    f = &js->frames[js->depth - 1];
    f->keylen = n < KEY_MAX ? n : KEY_MAX; /* a cut key is one byte longer than any segment */
    memcpy(f->key, k, n < KEY_MAX - 1 ? n : KEY_MAX - 1);
    if (js->keys &&
        (js->depth == 1 || (js->depth == 2 && !js->frames[0].is_map && js->frames[0].next == 1)))
        js->keys(js->ctx, (int)js->depth, (const char *)k, n);
    return 1;
}

static int open_container(struct ea_jstream *js, bool is_map)
{
    uint32_t inside;
    int sel;

    if (js->depth + js->nbuild >= EA_JSTREAM_DEPTH_MAX)
        return fail_at(js, EA_EINPUT, "nested deeper than 256 levels");
    if (js->flat_on) return flat_node(js, is_map ? JSON_OBJECT : JSON_ARRAY, "", 0);
    if (building(js)) { /* attached now, filled later: the root of the value owns it all */
        json_t *c;
        if ((js->build_bytes += 64) > EA_JSTREAM_VALUE_MAX)
            return fail_at(js, EA_ETOOBIG, "one selected value is larger than 16 MiB");
        c = is_map ? json_object() : json_array();
        if (!attach(js, c)) return 0;
        js->build[js->nbuild] = c;
        js->build_key[js->nbuild] = NULL;
        js->build_key_len[js->nbuild] = 0;
        js->nbuild++;
        return 1;
    }
    sel = selects(js, &inside);
    if (sel >= 0 && js->paths[sel].count) {
        size_t wild[EA_JSTREAM_WILD_MAX], nwild = wild_of(js, sel, wild);
        if (!deliver(js, sel, NULL, wild, nwild)) return 0;
        sel = -1;
    }
    if (sel >= 0 && js->paths[sel].flat) {
        flat_start(js, sel);
        return flat_node(js, is_map ? JSON_OBJECT : JSON_ARRAY, "", 0);
    }
    if (sel >= 0) {
        json_t *c = is_map ? json_object() : json_array();
        if (!c) return fail_at(js, EA_ENOMEM, "out of memory");
        js->build_path = sel;
        js->build_nwild = wild_of(js, sel, js->build_wild);
        js->build_bytes = 0;
        js->build[0] = c;
        js->build_key[0] = NULL;
        js->build_key_len[0] = 0;
        js->nbuild = 1;
        return 1;
    }
    js->frames[js->depth] = (struct frame){.is_map = is_map, .alive = inside};
    js->depth++;
    return 1;
}

static int close_container(struct ea_jstream *js)
{
    if (js->flat_on) {
        js->flat_depth--;
        if (js->flat_depth == 0) return flat_deliver(js);
        js->flat_cur[js->flat_stack[js->flat_depth - 1].path_len] = '\0';
        return 1;
    }
    if (building(js)) {
        json_t *c = js->build[--js->nbuild];
        ea_free(js->build_key[js->nbuild]);
        js->build_key[js->nbuild] = NULL;
        return js->nbuild == 0 ? deliver(js, js->build_path, c, js->build_wild, js->build_nwild)
                               : 1;
    }
    js->depth--;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, false);
}

static int on_end(void *ctx)
{
    return close_container(ctx);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

int ea_jstream_new(struct ea_jstream **out, const char *const *paths, ea_jstream_cb cb,
                   ea_jstream_key_cb keys, void *ctx)
{
    struct ea_jstream *js = ea_calloc(1, sizeof(*js));
    int rc;

    *out = NULL;
    if (!js) return ea_fail(EA_ENOMEM, "out of memory");
    js->cb = cb;
    js->keys = keys;
    js->ctx = ctx;
    rc = parse_paths(js, paths);
    if (rc == 0 && !(js->yajl = yajl_alloc(&callbacks, NULL, js)))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc < 0) {
        ea_jstream_free(js);
        return rc;
    }
    *out = js;
    return 0;
}

static int status_of(struct ea_jstream *js, yajl_status st, const char *data, size_t len)
{
    if (st == yajl_status_ok) return 0;
    if (st == yajl_status_client_canceled) return js->stop;
    {
        unsigned char *msg = yajl_get_error(js->yajl, 0, (const unsigned char *)data, len);
        char text[256];
        size_t n;
        /* yajl says "parse error: <what>\n"; keep the what */
        snprintf(text, sizeof(text), "%s", msg ? (const char *)msg : "invalid JSON");
        n = strlen(text);
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = '\0';
        if (msg) yajl_free_error(js->yajl, msg);
        js->stop =
            ea_fail(EA_EINPUT, "byte %zu: %s", js->offset + yajl_get_bytes_consumed(js->yajl),
                    strncmp(text, "parse error: ", 13) == 0 ? text + 13 : text);
        return js->stop;
    }
}

int ea_jstream_feed(struct ea_jstream *js, const char *data, size_t len)
{
    yajl_status st;
    int rc;

    if (js->stop) return js->stop;
    st = yajl_parse(js->yajl, (const unsigned char *)data, len);
    rc = status_of(js, st, data, len);
    js->offset += st == yajl_status_ok ? len : yajl_get_bytes_consumed(js->yajl);
    return rc;
}

int ea_jstream_finish(struct ea_jstream *js)
{
    if (js->stop) return js->stop;
    if (js->offset == 0) return ea_fail(EA_EINPUT, "empty: no JSON at all");
    return status_of(js, yajl_complete_parse(js->yajl), NULL, 0);
}

size_t ea_jstream_offset(const struct ea_jstream *js)
{
    return js->offset;
}

void ea_jstream_free(struct ea_jstream *js)
{
    if (!js) return;
    ea_free(js->arena);
    ea_free(js->fnodes);
    ea_free(js->view);
    if (js->yajl) yajl_free(js->yajl);
    for (size_t i = 0; i < js->nbuild; i++) {
        ea_free(js->build_key[i]);
        if (i == 0) json_decref(js->build[0]); /* the root holds the others */
    }
    ea_free(js);
}
