/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control catalogue: parsed from the embedded JSON on first use into an
 * immutable table. Lookups are linear over 93 entries (and 114 for the 2013
 * map): smaller and faster than any index at this size. Suggestions rank by
 * edit distance so "A.8.99" proposes A.8.9 and A.8.29, and a word proposes
 * controls whose titles contain it.
 */
#include "controls.h"

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

#define MAP_MAX 160
#define MAP_TARGETS_MAX 4
#define ID_TEXT_MAX 32

struct map_entry {
    const char *id_2013;
    const char *ids_2022[MAP_TARGETS_MAX];
};

/* Written once under pthread_once, read-only afterwards. */
static struct {
    json_t *catalogue_json;
    json_t *map_json;
    struct ea_control controls[EA_CONTROLS_MAX];
    size_t ncontrols;
    struct map_entry map[MAP_MAX];
    size_t nmap;
    int rc;
} cat;
static pthread_once_t cat_once = PTHREAD_ONCE_INIT;

static const struct ea_control *find_id(const char *id);

static json_t *load_embedded(const char *name)
{
    const struct ea_schema_file *f = ea_schema_file_get(name);
    json_error_t err;

    if (!f) return NULL;
    return json_loadb(f->data, f->len, 0, &err);
}

static void load_once(void)
{
    json_t *list, *map, *v;
    const char *key;
    size_t i;

    cat.rc = EA_ERROR;
    cat.catalogue_json = load_embedded("controls/annex-a-2022.json");
    cat.map_json = load_embedded("controls/map-2013-2022.json");
    if (!cat.catalogue_json || !cat.map_json) return;
    list = json_object_get(cat.catalogue_json, "controls");
    map = json_object_get(cat.map_json, "map");
    if (!json_is_array(list) || json_array_size(list) != EA_CONTROLS_MAX || !json_is_object(map))
        return;
    json_array_foreach(list, i, v) {
        struct ea_control *c = &cat.controls[cat.ncontrols++];
        c->id = json_string_value(json_object_get(v, "id"));
        c->title = json_string_value(json_object_get(v, "title"));
        c->theme = json_string_value(json_object_get(v, "theme"));
        if (!c->id || !c->title || !c->theme) return;
    }
    json_object_foreach(map, key, v) {
        struct map_entry *e;
        json_t *t;
        size_t j;

        if (cat.nmap == MAP_MAX || !json_is_array(v) || json_array_size(v) == 0 ||
            json_array_size(v) > MAP_TARGETS_MAX)
            return;
        e = &cat.map[cat.nmap++];
        e->id_2013 = key;
        json_array_foreach(v, j, t) {
            const struct ea_control *c = find_id(json_string_value(t));
            if (!c) return;
            e->ids_2022[j] = c->id;
        }
    }
    cat.rc = 0;
}

int ea_controls_init(void)
{
    pthread_once(&cat_once, load_once);
    if (cat.rc < 0) return ea_fail(EA_ERROR, "the embedded control catalogue is corrupt (rebuild)");
    return 0;
}

const struct ea_control *ea_controls_all(size_t *n)
{
    if (ea_controls_init() < 0) {
        *n = 0;
        return NULL;
    }
    *n = cat.ncontrols;
    return cat.controls;
}

static const struct ea_control *find_id(const char *id)
{
    if (!id) return NULL;
    for (size_t i = 0; i < cat.ncontrols; i++) {
        if (strcmp(cat.controls[i].id, id) == 0) return &cat.controls[i];
    }
    return NULL;
}

const struct ea_control *ea_controls_find(const char *id)
{
    if (ea_controls_init() < 0) return NULL;
    return find_id(id);
}

static const struct map_entry *map_find(const char *id)
{
    for (size_t i = 0; i < cat.nmap; i++) {
        if (strcmp(cat.map[i].id_2013, id) == 0) return &cat.map[i];
    }
    return NULL;
}

/* Compares two IDs in catalogue order (A.5.2 before A.5.10). */
static int id_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            unsigned long x = 0, y = 0;
            while (isdigit((unsigned char)*a)) x = x * 10 + (unsigned long)(*a++ - '0');
            while (isdigit((unsigned char)*b)) y = y * 10 + (unsigned long)(*b++ - '0');
            if (x != y) return x < y ? -1 : 1;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

bool ea_control_set_has(const struct ea_control_set *set, const char *id)
{
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->ids[i], id) == 0) return true;
    }
    return false;
}

void ea_control_set_put(struct ea_control_set *set, const char *catalogue_id)
{
    size_t i;

    if (ea_control_set_has(set, catalogue_id) || set->n == EA_CONTROLS_MAX) return;
    for (i = set->n; i > 0 && id_cmp(set->ids[i - 1], catalogue_id) > 0; i--)
        set->ids[i] = set->ids[i - 1];
    set->ids[i] = catalogue_id;
    set->n++;
}

/* Case-insensitive substring test (strcasestr is not POSIX). */
static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0) return true;
    }
    return n == 0;
}

/* Appends up to three nearest valid IDs to out, for "did you mean". */
static void suggest(char *out, size_t cap, const char *text)
{
    const char *best[3] = {NULL, NULL, NULL};
    size_t dist[3] = {99, 99, 99};
    size_t used = 0;

    for (size_t i = 0; i < cat.ncontrols; i++) {
        const char *id = cat.controls[i].id;
        size_t d = ea_text_distance(text, id);
        if (contains_ci(cat.controls[i].title, text) && strlen(text) >= 3) d = 0;
        for (int k = 0; k < 3; k++) {
            if (d < dist[k]) {
                for (int m = 2; m > k; m--) {
                    dist[m] = dist[m - 1];
                    best[m] = best[m - 1];
                }
                dist[k] = d;
                best[k] = id;
                break;
            }
        }
    }
    out[0] = '\0';
    for (int k = 0; k < 3 && best[k] && dist[k] <= 3; k++) {
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", best[k]);
        if (n < 0 || (size_t)n >= cap - used) break;
        used += (size_t)n;
    }
}

static int unknown(const char *shown, const char *normalised)
{
    char near[128];

    suggest(near, sizeof(near), normalised);
    if (near[0])
        return ea_fail(EA_EINPUT,
                       "'%s': not an ISO/IEC 27001:2022 Annex A control (did you mean %s? "
                       "run 'evidence-agent controls' for the list)",
                       shown, near);
    return ea_fail(EA_EINPUT,
                   "'%s': not an ISO/IEC 27001:2022 Annex A control (IDs look like A.8.32; run "
                   "'evidence-agent controls' for the list)",
                   shown);
}

int ea_controls_add(struct ea_control_set *set, const char *text)
{
    char id[ID_TEXT_MAX + 3];
    char shown[ID_TEXT_MAX + 8];
    const struct ea_control *c;
    const struct map_entry *m;
    size_t len;
    int rc = ea_controls_init();

    if (rc < 0) return rc;
    if (!text) text = "";
    /* Quote what the user gave, but never more than a short, printable prefix. */
    len = 0;
    for (const char *p = text; *p && len < ID_TEXT_MAX; p++)
        shown[len++] = isprint((unsigned char)*p) ? *p : '?';
    shown[len] = '\0';
    if (strlen(text) > ID_TEXT_MAX) {
        memcpy(shown + len, "...", 4);
        return ea_fail(EA_EINPUT, "'%s': not an Annex A control ID (too long)", shown);
    }
    while (isspace((unsigned char)*text)) text++;
    len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1])) len--;
    if (len == 0) return ea_fail(EA_EINPUT, "empty control ID (give an Annex A ID such as A.8.32)");
    if (len >= 2 && toupper((unsigned char)text[0]) == 'A' && text[1] == '.') {
        snprintf(id, sizeof(id), "A.%.*s", (int)(len - 2), text + 2);
    } else {
        snprintf(id, sizeof(id), "A.%.*s", (int)len, text);
    }
    c = find_id(id);
    if (c) {
        ea_control_set_put(set, c->id);
        return 0;
    }
    m = map_find(id);
    if (m) {
        for (int k = 0; k < MAP_TARGETS_MAX && m->ids_2022[k]; k++)
            ea_control_set_put(set, m->ids_2022[k]);
        return 0;
    }
    return unknown(shown, id);
}

size_t ea_controls_search(const char *text, void (*cb)(const struct ea_control *c, void *payload),
                          void *payload)
{
    const struct map_entry *m = NULL;
    char id[ID_TEXT_MAX + 3];
    size_t hits = 0;

    if (ea_controls_init() < 0) return 0;
    if (text && *text) {
        snprintf(id, sizeof(id), "%s%s",
                 (text[0] == 'A' || text[0] == 'a') && text[1] == '.' ? "" : "A.", text);
        if (id[0] == 'a') id[0] = 'A';
        m = map_find(id);
    }
    for (size_t i = 0; i < cat.ncontrols; i++) {
        const struct ea_control *c = &cat.controls[i];
        bool hit = !text || !*text || contains_ci(c->id, text) || contains_ci(c->title, text) ||
                   strcasecmp(c->theme, text) == 0;
        for (int k = 0; m && !hit && k < MAP_TARGETS_MAX && m->ids_2022[k]; k++)
            hit = strcmp(m->ids_2022[k], c->id) == 0;
        if (hit) {
            hits++;
            if (cb) cb(c, payload);
        }
    }
    return hits;
}
