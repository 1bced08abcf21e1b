/* SPDX-License-Identifier: Apache-2.0 */
/* The Statement of Applicability; see soa.h. */
#include "soa.h"

#include <stdarg.h>
#include <string.h>

#include "attest.h"
#include "util/error.h"
#include "registry.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/yaml.h"

static const char *const status_names[] = {"applied", "planned", "excluded"};

const char *ea_soa_status_name(enum ea_soa_status s)
{
    return (unsigned)s < 3 ? status_names[s] : "?";
}

static long line_of(const struct ea_soa *s, const char *key, const char *sub)
{
    char path[512];

    snprintf(path, sizeof(path), "controls/%s%s%s", key, sub ? "/" : "", sub ? sub : "");
    return (long)json_integer_value(json_array_get(json_object_get(s->lines, path), 0));
}

/* A list of strings, or one string as a list of one (new reference), or NULL when wrong. */
static json_t *string_list(const json_t *v)
{
    const json_t *x;
    size_t i;

    if (json_is_string(v)) return json_pack("[O]", v);
    if (!json_is_array(v)) return NULL;
    json_array_foreach(v, i, x) {
        if (!json_is_string(x)) return NULL;
    }
    return json_incref((json_t *)v);
}

static int fail_line(const struct ea_soa *s, long line, const char *fmt, ...) EA_PRINTF(3, 4);
static int fail_line(const struct ea_soa *s, long line, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return line > 0 ? ea_fail(EA_EINPUT, "%s:%ld: %s", s->path, line, what)
                    : ea_fail(EA_EINPUT, "%s: %s", s->path, what);
}

/* One evidence kind: a record kind, or KIND:SUBKIND where the kind has subkinds. */
static int kind_check(const char *text)
{
    const char *colon = strchr(text, ':');
    char kind[64];
    int rc;

    if (!colon) return ea_registry_kind_check(text);
    snprintf(kind, sizeof(kind), "%.*s", (int)(colon - text) < 63 ? (int)(colon - text) : 63, text);
    if ((rc = ea_registry_kind_check(kind)) < 0) return rc;
    if (strcmp(kind, EA_ATTEST_RECORD_KIND) != 0)
        return ea_fail(EA_EUSAGE,
                       "'%s': only attestation has subkinds (attestation:KIND, KIND one of %s)",
                       text, ea_attest_kinds_text());
    rc = ea_attest_kind_check(colon + 1);
    if (rc < 0) ea_fail_prefix("'%s'", text);
    return rc;
}

/* evidence.kinds or evidence.require: a kind or a list of kinds, each checked (else MISSING
 * forever); *out borrows the list the document now holds, or stays NULL when absent. */
static int kind_list(struct ea_soa *s, const char *key, json_t *ev, const char *name, json_t **out)
{
    char where[32];
    json_t *v = json_object_get(ev, name), *list;

    *out = NULL;
    if (!v) return 0;
    snprintf(where, sizeof(where), "evidence/%s", name);
    if (!(list = string_list(v)) || json_array_size(list) == 0) {
        json_decref(list);
        return fail_line(s, line_of(s, key, where),
                         "control %s: evidence.%s must be a list of record kinds", key, name);
    }
    if (json_object_set_new(ev, name, list) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    *out = json_object_get(ev, name);
    for (size_t n = 0; n < json_array_size(*out); n++) {
        if (kind_check(json_string_value(json_array_get(*out, n))) < 0) {
            char msg[700];
            snprintf(msg, sizeof(msg), "%s", ea_error_message(EA_EUSAGE));
            ea_error_clear();
            return fail_line(s, line_of(s, key, where), "control %s: evidence.%s: %s", key, name,
                             msg);
        }
    }
    return 0;
}

static int load_control(struct ea_soa *s, const char *key, json_t *c, struct ea_soa_control *out)
{
    static const char *const known[] = {"status",   "justification", "owner", "implementation",
                                        "evidence", "title",         NULL};
    struct ea_control_set set;
    const char *status = json_string_value(json_object_get(c, "status"));
    const json_t *ev = json_object_get(c, "evidence");
    const char *k;
    json_t *v;
    long line = line_of(s, key, NULL);
    int rc;

    memset(&set, 0, sizeof(set));
    memset(out, 0, sizeof(*out));
    out->line = line;
    rc = ea_controls_add(&set, key);
    if (rc < 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", ea_error_message(rc));
        return fail_line(s, line, "%s", msg);
    }
    if (set.n != 1)
        return fail_line(s, line, "%s maps to several 2022 controls; list each of them instead",
                         key);
    out->control = ea_controls_find(set.ids[0]);
    if (!json_is_object(c))
        return fail_line(s, line, "control %s: give status, justification, owner, ...", key);
    json_object_foreach(c, k, v) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k) != 0) i++;
        if (!known[i])
            return fail_line(s, line_of(s, key, k),
                             "control %s: unknown key '%s' (status, justification, owner, "
                             "implementation, evidence)",
                             key, k);
    }
    if (!status)
        return fail_line(s, line, "control %s: status is missing (applied, planned or excluded)",
                         key);
    if (strcmp(status, "applied") == 0)
        out->status = EA_SOA_APPLIED;
    else if (strcmp(status, "planned") == 0)
        out->status = EA_SOA_PLANNED;
    else if (strcmp(status, "excluded") == 0)
        out->status = EA_SOA_EXCLUDED;
    else
        return fail_line(s, line_of(s, key, "status"),
                         "control %s: status '%s' is not applied, planned or excluded", key,
                         status);
    out->justification = json_string_value(json_object_get(c, "justification"));
    if (out->justification && !*out->justification) out->justification = NULL;
    if (json_object_get(c, "justification") &&
        !json_is_string(json_object_get(c, "justification")) &&
        !json_is_null(json_object_get(c, "justification")))
        return fail_line(s, line_of(s, key, "justification"),
                         "control %s: justification must be a text", key);
    if (out->status == EA_SOA_EXCLUDED && !out->justification)
        return fail_line(s, line,
                         "control %s is excluded without a justification (an SoA must "
                         "say why a control does not apply)",
                         key);
    out->owner = json_string_value(json_object_get(c, "owner"));
    v = json_object_get(c, "implementation");
    v = v && !json_is_null(v) ? string_list(v) : json_array();
    if (!v)
        return fail_line(s, line_of(s, key, "implementation"),
                         "control %s: implementation must be a text or a list of texts", key);
    if (json_object_set_new(c, "implementation", v) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    out->implementation = json_object_get(c, "implementation"); /* held by the document */
    out->max_age_us = EA_SOA_MAX_AGE_DEFAULT;
    if (ev && !json_is_object(ev) && !json_is_null(ev))
        return fail_line(s, line_of(s, key, "evidence"),
                         "control %s: evidence must hold kinds, require and max_age", key);
    if (ev && json_is_object(ev)) {
        json_object_foreach((json_t *)ev, k, v) {
            if (strcmp(k, "kinds") != 0 && strcmp(k, "max_age") != 0 && strcmp(k, "require") != 0)
                return fail_line(s, line_of(s, key, "evidence"),
                                 "control %s: evidence: unknown key '%s' (kinds: any of them, "
                                 "require: all of them, max_age)",
                                 key, k);
        }
    }
    if ((rc = kind_list(s, key, (json_t *)ev, "kinds", &out->kinds)) < 0) return rc;
    if ((rc = kind_list(s, key, (json_t *)ev, "require", &out->require)) < 0) return rc;
    if ((v = json_object_get(ev, "max_age"))) {
        if (!json_is_string(v) || ea_duration_parse(&out->max_age_us, json_string_value(v)) < 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", ea_error_message(EA_EINPUT));
            ea_error_clear();
            return fail_line(s, line_of(s, key, "evidence/max_age"), "control %s: %s", key, msg);
        }
    }
    return 0;
}

/* frameworks: [soc2, nis2] (or one name): each a known framework, once. */
static int load_frameworks(struct ea_soa *s, const json_t *v)
{
    long line =
        (long)json_integer_value(json_array_get(json_object_get(s->lines, "frameworks"), 0));
    json_t *list = json_is_null(v) ? json_array() : string_list(v);
    const json_t *x;
    size_t i;
    int rc = 0;

    if (!list)
        return fail_line(s, line,
                         "frameworks must be a list of framework names, e.g. [soc2, nis2] "
                         "('evidence-agent controls --frameworks' lists them)");
    json_array_foreach(list, i, x) {
        const struct ea_framework *f;
        if ((rc = ea_framework_lookup(&f, json_string_value(x))) < 0) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s", ea_error_message(rc));
            ea_error_clear();
            rc = fail_line(s, line, "frameworks: %s", msg);
            break;
        }
        for (size_t k = 0; k < s->nframeworks && rc == 0; k++) {
            if (s->frameworks[k] == f)
                rc = fail_line(s, line, "frameworks names %s twice", f->name);
        }
        if (rc < 0) break;
        s->frameworks[s->nframeworks++] = f;
    }
    json_decref(list);
    return rc;
}

static int by_catalogue(const void *a, const void *b)
{
    const struct ea_soa_control *x = a, *y = b;
    return x->control < y->control ? -1 : x->control > y->control;
}

int ea_soa_load(struct ea_soa *s, const char *path)
{
    json_t *doc, *lines;
    int rc = ea_yaml_load(path, &doc, &lines);

    memset(s, 0, sizeof(*s));
    if (rc < 0) return rc;
    return ea_soa_from(s, path, doc, lines);
}

int ea_soa_from(struct ea_soa *s, const char *path, json_t *doc, json_t *lines)
{
    json_t *controls, *c;
    const char *key;
    int rc;

    memset(s, 0, sizeof(*s));
    s->path = path;
    s->doc = doc;
    s->lines = lines;
    if (!json_is_object(s->doc)) {
        rc = ea_fail(EA_EINPUT, "%s: an SoA is a mapping with organisation, scope and controls",
                     path);
        goto fail;
    }
    s->organisation = json_string_value(json_object_get(s->doc, "organisation"));
    s->scope = json_string_value(json_object_get(s->doc, "scope"));
    if (json_object_get(s->doc, "frameworks")) {
        rc = load_frameworks(s, json_object_get(s->doc, "frameworks"));
        if (rc < 0) goto fail;
    }
    controls = json_object_get(s->doc, "controls");
    if (!json_is_object(controls) || json_object_size(controls) == 0) {
        rc = ea_fail(EA_EINPUT,
                     "%s: no controls (a mapping of control IDs, e.g. A.8.32: {status: "
                     "applied, ...}; 'evidence-agent report --init-soa' writes a start)",
                     path);
        goto fail;
    }
    s->controls = ea_calloc(json_object_size(controls), sizeof(*s->controls));
    if (!s->controls) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto fail;
    }
    json_object_foreach(controls, key, c) {
        struct ea_soa_control *sc = &s->controls[s->n];
        rc = load_control(s, key, c, sc);
        if (rc < 0) goto fail;
        for (size_t i = 0; i < s->n; i++) {
            if (s->controls[i].control == sc->control) {
                rc = fail_line(s, sc->line, "%s names %s again (once per control)", key,
                               sc->control->id);
                goto fail;
            }
        }
        s->n++;
    }
    qsort(s->controls, s->n, sizeof(*s->controls), by_catalogue);
    return 0;
fail:
    ea_soa_dispose(s);
    return rc;
}

void ea_soa_dispose(struct ea_soa *s)
{
    ea_free(s->controls);
    json_decref(s->doc);
    json_decref(s->lines);
    memset(s, 0, sizeof(*s));
}

int ea_soa_write_starter(FILE *out)
{
    size_t n;
    const struct ea_control *all = ea_controls_all(&n);

    fprintf(
        out,
        "# Statement of Applicability (ISO/IEC 27001:2022 Annex A), read by\n"
        "#   evidence-agent report --soa soa.yaml [--store URL] [--since T] [--pubkey key.pub]\n"
        "# For each control: status applied | planned | excluded; a justification (required\n"
        "# when excluded); owner; implementation (a text or a list); and, for applied\n"
        "# controls, which evidence proves it: kinds, any one of them (git_commit,\n"
        "# pipeline_run, pr_approval, scan_result, config_state, attestation, custom, or\n"
        "# attestation:access_review and the like; any kind when absent); require, each of\n"
        "# them (all of); and max_age (30s, 5m, 1h, 7d, 2w; 30d when absent): evidence older\n"
        "# than max_age, or an attestation past its expires_at, is stale.\n"
        "organisation: Example Ltd\n"
        "scope: CI/CD and production platform\n"
        "controls:\n");
    for (size_t i = 0; i < n; i++) {
        const char *example = strcmp(all[i].id, "A.8.32") == 0 ? "applied" : "planned";
        fprintf(out, "  %s:   # %s\n    status: %s\n", all[i].id, all[i].title, example);
        if (strcmp(example, "applied") == 0)
            fprintf(out, "    justification: Every production change goes through a reviewed "
                         "pull request and the release pipeline\n"
                         "    owner: platform-team\n"
                         "    implementation: [release workflow]\n"
                         "    evidence:\n"
                         "      kinds: [pr_approval, pipeline_run, git_commit]\n"
                         "      max_age: 7d\n");
        else
            fprintf(out, "    justification: \"\"\n");
    }
    return ferror(out) ? ea_fail(EA_EIO, "cannot write the starter SoA") : 0;
}
