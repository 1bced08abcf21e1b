/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framework catalogues and crosswalks; see frameworks.h. Each framework's
 * two embedded files are parsed on first use into a table whose strings
 * point into the parsed JSON (kept for the life of the process). Mapping
 * rows are regrouped by requirement, in catalogue order, so a requirement's
 * rows are one contiguous slice; within a requirement the reference's order
 * is kept. A row naming an unknown control or requirement, an unknown
 * relationship or confidence, makes the embedded data corrupt: the build
 * copied the reference wrongly, and nothing is answered from it.
 */
#include "frameworks.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../schemas/schemas.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

/* The frameworks, in the order they are listed; file names are the reference's. */
static const struct {
    const char *name;
    const char *alias;
} fw_table[] = {
    {"soc2-tsc-2017", "soc2"},   {"nis2", NULL},          {"cra-annex-i", "cra"},
    {"nist-800-53r5", "800-53"}, {"nist-csf-2.0", "csf"},
};
#define FW_COUNT (sizeof(fw_table) / sizeof(fw_table[0]))

static const char *const relationships[] = {"equal",     "subset",  "superset",
                                            "intersect", "related", NULL};
static const char *const confidences[] = {"high", "medium", "low", NULL};

/* Written once under pthread_once, read-only afterwards. */
static struct {
    json_t *docs[FW_COUNT * 2];
    struct ea_framework fws[FW_COUNT];
    struct ea_fw_requirement *reqs[FW_COUNT];
    struct ea_fw_map *maps[FW_COUNT];
    int rc;
} fw;
static pthread_once_t fw_once = PTHREAD_ONCE_INIT;

static bool one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++) {
        if (strcmp(s, list[i]) == 0) return true;
    }
    return false;
}

static json_t *load_embedded(const char *prefix, const char *name, const char *suffix)
{
    char path[128];
    const struct ea_schema_file *f;
    json_error_t err;

    snprintf(path, sizeof(path), "frameworks/%s%s%s", prefix, name, suffix);
    f = ea_schema_file_get(path);
    return f ? json_loadb(f->data, f->len, 0, &err) : NULL;
}

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static struct ea_fw_requirement *req_find(struct ea_fw_requirement *reqs, size_t n, const char *id)
{
    for (size_t i = 0; id && i < n; i++) {
        if (strcmp(reqs[i].id, id) == 0) return &reqs[i];
    }
    return NULL;
}

/* Parses framework k; returns false when its embedded data is not what the build copied. */
static bool load_framework(size_t k)
{
    struct ea_framework *f = &fw.fws[k];
    json_t *cat = load_embedded("", fw_table[k].name, ".catalogue.json");
    json_t *rows = load_embedded("iso27001-2022-to-", fw_table[k].name, ".json");
    json_t *list, *v;
    size_t i, *fill;

    fw.docs[2 * k] = cat;
    fw.docs[2 * k + 1] = rows;
    list = json_object_get(cat, "requirements");
    if (!json_is_array(list) || json_array_size(list) == 0 || !json_is_array(rows)) return false;
    if (strcmp(text_of(cat, "framework") ? text_of(cat, "framework") : "", fw_table[k].name) != 0)
        return false;
    f->name = fw_table[k].name;
    f->alias = fw_table[k].alias;
    f->title = text_of(cat, "name");
    f->source = text_of(cat, "source");
    f->description_note = text_of(cat, "description_note");
    fw.reqs[k] = ea_calloc(json_array_size(list), sizeof(*fw.reqs[k]));
    fw.maps[k] = ea_calloc(json_array_size(rows) + 1, sizeof(*fw.maps[k]));
    if (!fw.reqs[k] || !fw.maps[k] || !f->title) return false;
    json_array_foreach(list, i, v) {
        struct ea_fw_requirement *r = &fw.reqs[k][i];
        r->id = text_of(v, "id");
        r->group = text_of(v, "group");
        r->description = text_of(v, "description");
        if (!r->id || !r->group || !r->description || req_find(fw.reqs[k], i, r->id)) return false;
    }
    f->reqs = fw.reqs[k];
    f->nreqs = json_array_size(list);
    /* first pass: count each requirement's rows and check every field */
    json_array_foreach(rows, i, v) {
        struct ea_fw_requirement *r = req_find(fw.reqs[k], f->nreqs, text_of(v, "target"));
        if (!r || !ea_controls_find(text_of(v, "iso")) ||
            !one_of(text_of(v, "relationship"), relationships) ||
            !one_of(text_of(v, "confidence"), confidences) || !text_of(v, "source"))
            return false;
        r->nmaps++;
    }
    /* second pass: each requirement's slice, rows in the reference's order */
    fill = ea_calloc(f->nreqs + 1, sizeof(*fill));
    if (!fill) return false;
    for (i = 1; i <= f->nreqs; i++) fill[i] = fill[i - 1] + fw.reqs[k][i - 1].nmaps;
    for (i = 0; i < f->nreqs; i++) fw.reqs[k][i].maps = fw.maps[k] + fill[i];
    json_array_foreach(rows, i, v) {
        struct ea_fw_requirement *r = req_find(fw.reqs[k], f->nreqs, text_of(v, "target"));
        struct ea_fw_map *m = &fw.maps[k][fill[r - fw.reqs[k]]++];
        m->control = ea_controls_find(text_of(v, "iso"));
        m->target = r->id;
        m->relationship = text_of(v, "relationship");
        m->confidence = text_of(v, "confidence");
        m->source = text_of(v, "source");
        m->via = text_of(v, "via");
    }
    ea_free(fill);
    f->nmaps = json_array_size(rows);
    return true;
}

static void load_once(void)
{
    fw.rc = EA_ERROR;
    if (ea_controls_init() < 0) return;
    for (size_t k = 0; k < FW_COUNT; k++) {
        if (!load_framework(k)) return;
    }
    fw.rc = 0;
}

int ea_frameworks_init(void)
{
    pthread_once(&fw_once, load_once);
    if (fw.rc < 0)
        return ea_fail(EA_ERROR, "the embedded framework catalogues are corrupt (rebuild)");
    return 0;
}

const struct ea_framework *ea_frameworks_all(size_t *n)
{
    if (ea_frameworks_init() < 0) {
        *n = 0;
        return NULL;
    }
    *n = FW_COUNT;
    return fw.fws;
}

/* What the user typed, quoted safely: printable, at most 40 characters. */
static void shown_text(char *out, size_t cap, const char *text)
{
    size_t len = 0;

    for (const char *p = text ? text : ""; *p && len + 4 < cap && len < 40; p++)
        out[len++] = isprint((unsigned char)*p) ? *p : '?';
    if (text && strlen(text) > len) {
        memcpy(out + len, "...", 3);
        len += 3;
    }
    out[len] = '\0';
}

static void trimmed(char *out, size_t cap, const char *text)
{
    size_t len;

    while (text && isspace((unsigned char)*text)) text++;
    len = text ? strlen(text) : 0;
    while (len && isspace((unsigned char)text[len - 1])) len--;
    if (len >= cap) len = cap - 1;
    memcpy(out, text ? text : "", len);
    out[len] = '\0';
}

int ea_framework_lookup(const struct ea_framework **out, const char *name)
{
    char want[EA_FRAMEWORK_REF_MAX + 1], shown[48], all[256];
    const char *best = NULL;
    size_t best_d = EA_TEXT_FAR, used = 0;
    int rc = ea_frameworks_init();

    *out = NULL;
    if (rc < 0) return rc;
    trimmed(want, sizeof(want), name);
    for (size_t k = 0; k < FW_COUNT; k++) {
        const struct ea_framework *f = &fw.fws[k];
        size_t d = ea_text_distance(want, f->name);
        int n;

        if (strcasecmp(want, f->name) == 0 || (f->alias && strcasecmp(want, f->alias) == 0)) {
            *out = f;
            return 0;
        }
        if (f->alias && ea_text_distance(want, f->alias) < d) d = ea_text_distance(want, f->alias);
        if (d < best_d) {
            best_d = d;
            best = f->alias ? f->alias : f->name;
        }
        n = snprintf(all + used, sizeof(all) - used, "%s%s%s%s%s", used ? ", " : "", f->name,
                     f->alias ? " (" : "", f->alias ? f->alias : "", f->alias ? ")" : "");
        if (n > 0 && (size_t)n < sizeof(all) - used) used += (size_t)n;
    }
    shown_text(shown, sizeof(shown), name);
    if (best && best_d <= 3)
        return ea_fail(EA_EINPUT, "'%s': not a framework (did you mean %s? frameworks: %s)", shown,
                       best, all);
    return ea_fail(EA_EINPUT, "'%s': not a framework (frameworks: %s)", shown, all);
}

int ea_framework_requirement_lookup(const struct ea_fw_requirement **out,
                                    const struct ea_framework *f, const char *id)
{
    const char *best[3] = {NULL, NULL, NULL};
    size_t dist[3] = {EA_TEXT_FAR, EA_TEXT_FAR, EA_TEXT_FAR};
    char want[EA_FRAMEWORK_REF_MAX + 1], shown[48], near[128];
    size_t used = 0;

    *out = NULL;
    trimmed(want, sizeof(want), id);
    for (size_t i = 0; i < f->nreqs; i++) {
        size_t d;
        if (strcasecmp(f->reqs[i].id, want) == 0) {
            *out = &f->reqs[i];
            return 0;
        }
        d = ea_text_distance(want, f->reqs[i].id);
        for (int k = 0; k < 3; k++) {
            if (d < dist[k]) {
                for (int m = 2; m > k; m--) {
                    dist[m] = dist[m - 1];
                    best[m] = best[m - 1];
                }
                dist[k] = d;
                best[k] = f->reqs[i].id;
                break;
            }
        }
    }
    near[0] = '\0';
    for (int k = 0; k < 3 && best[k] && dist[k] <= 3; k++) {
        int n = snprintf(near + used, sizeof(near) - used, "%s%s", used ? ", " : "", best[k]);
        if (n < 0 || (size_t)n >= sizeof(near) - used) break;
        used += (size_t)n;
    }
    shown_text(shown, sizeof(shown), id);
    if (near[0])
        return ea_fail(EA_EINPUT,
                       "'%s': not a requirement of %s (did you mean %s? run 'evidence-agent "
                       "controls --framework %s' for the list)",
                       shown, f->name, near, f->alias ? f->alias : f->name);
    return ea_fail(EA_EINPUT,
                   "'%s': not a requirement of %s (IDs look like %s; run 'evidence-agent "
                   "controls --framework %s' for the list)",
                   shown, f->name, f->reqs[0].id, f->alias ? f->alias : f->name);
}

bool ea_framework_is_ref(const char *text)
{
    return text && strchr(text, ':') != NULL;
}

int ea_framework_ref_add(struct ea_control_set *set, const struct ea_framework **fw_out,
                         const struct ea_fw_requirement **req_out, const char *text)
{
    char name[EA_FRAMEWORK_REF_MAX + 1], shown[48];
    const struct ea_framework *f;
    const struct ea_fw_requirement *r;
    const char *colon = text ? strchr(text, ':') : NULL;
    int rc;

    if (fw_out) *fw_out = NULL;
    if (req_out) *req_out = NULL;
    shown_text(shown, sizeof(shown), text);
    if (!colon || strlen(text) > EA_FRAMEWORK_REF_MAX)
        return ea_fail(EA_EINPUT, "'%s': not FRAMEWORK:ID (e.g. soc2:CC8.1, nis2:21(2)(e))", shown);
    snprintf(name, sizeof(name), "%.*s", (int)(colon - text), text);
    rc = ea_framework_lookup(&f, name);
    if (rc < 0) return rc;
    rc = ea_framework_requirement_lookup(&r, f, colon + 1);
    if (rc < 0) return rc;
    if (r->nmaps == 0)
        return ea_fail(EA_EINPUT,
                       "'%s': no Annex A control is mapped to %s %s in the reference data (name "
                       "the Annex A controls that answer it with --control A.x.y)",
                       shown, f->name, r->id);
    for (size_t i = 0; i < r->nmaps; i++) ea_control_set_put(set, r->maps[i].control->id);
    if (fw_out) *fw_out = f;
    if (req_out) *req_out = r;
    return 0;
}

int ea_framework_controls_add(struct ea_control_set *set, json_t *refs, const char *text)
{
    struct ea_control_set mine;
    const struct ea_framework *f;
    const struct ea_fw_requirement *r;
    const json_t *x;
    json_t *ids, *ref;
    size_t i;
    int rc;

    if (!ea_framework_is_ref(text)) return ea_controls_add(set, text);
    memset(&mine, 0, sizeof(mine));
    rc = ea_framework_ref_add(&mine, &f, &r, text);
    if (rc < 0) return rc;
    for (i = 0; i < mine.n; i++) ea_control_set_put(set, mine.ids[i]);
    if (!refs) return 0;
    json_array_foreach(refs, i, x) {
        if (strcmp(text_of(x, "framework"), f->name) == 0 && strcmp(text_of(x, "id"), r->id) == 0)
            return 0;
    }
    ids = json_array();
    for (i = 0; ids && i < mine.n; i++) {
        if (json_array_append_new(ids, json_string(mine.ids[i])) < 0) {
            json_decref(ids);
            ids = NULL;
        }
    }
    ref = ids ? json_pack("{s:s, s:s, s:o}", "framework", f->name, "id", r->id, "controls", ids)
              : NULL;
    if (!ref || json_array_append_new(refs, ref) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}
