/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalise: a collector's fact plus the agent's metadata becomes an in-toto
 * Statement v1 with the evidence-agent predicate. Every field a collector
 * gives is checked here, so that a malformed fact is an error naming the
 * field rather than a record that fails verification later. Key order is
 * fixed by construction so that serialisations of equal facts are equal.
 */
#include "normalise.h"

#include <string.h>

#include <evidence/record.h>
#include <evidence/version.h>

#include "util/error.h"
#include "record.h"
#include "util/hash.h"
#include "util/time.h"
#include "util/utf8.h"

#define SUMMARY_MAX 1000

static int field_error(const char *field, const char *what)
{
    return ea_fail(EA_EINPUT, "fact.%s: %s (a collector bug: report it)", field, what);
}

static int need_string(const char *v, const char *field)
{
    if (!v || !*v) return field_error(field, "missing");
    return 0;
}

/* Adds key: string, failing with the field name on invalid UTF-8. */
static int set_str(json_t *o, const char *key, const char *v, const char *field)
{
    json_t *s;

    if (!ea_utf8_valid(v, strlen(v))) return field_error(field, "not valid UTF-8");
    s = json_string_nocheck(v);
    if (!s || json_object_set_new(o, key, s) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

static int set_new(json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

static bool kind_declared(const char *kind)
{
    static const char *const kinds[] = {"pipeline_run", "git_commit",   "pr_approval",
                                        "scan_result",  "config_state", "access",
                                        "attestation",  "incident",     "custom"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kinds[i], kind) == 0) return true;
    }
    return false;
}

static int build_subject(json_t *st, const struct ea_fact *f)
{
    json_t *subject = json_object();
    json_t *digest = json_object();
    json_t *list = json_array();
    size_t want;
    int rc;

    if (!subject || !digest || !list) {
        json_decref(subject);
        json_decref(digest);
        json_decref(list);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    json_array_append_new(list, subject);
    rc = set_new(st, "subject", list);
    if (rc < 0) {
        json_decref(digest);
        return rc;
    }
    rc = set_str(subject, "name", f->subject_name, "subject_name");
    if (rc < 0) {
        json_decref(digest);
        return rc;
    }
    rc = set_new(subject, "digest", digest);
    if (rc < 0) return rc;
    if (strcmp(f->subject_digest_alg, "gitCommit") == 0) {
        want = strlen(f->subject_digest) == 64 ? 64 : 40;
    } else if (strcmp(f->subject_digest_alg, "sha256") == 0) {
        want = 64;
    } else {
        return field_error("subject_digest_alg", "must be \"gitCommit\" or \"sha256\"");
    }
    if (!ea_is_hex(f->subject_digest, want))
        return field_error("subject_digest", "must be lower-case hex of the right length");
    return set_str(digest, f->subject_digest_alg, f->subject_digest, "subject_digest");
}

static int build_predicate(json_t *pred, const struct ea_fact *f, const struct ea_record_meta *m)
{
    char when[EA_TIME_TEXT_MAX];
    char raw_hex[EA_SHA256_HEX_LEN + 1];
    json_t *controls = json_array();
    json_t *source;
    json_t *agent;
    int rc;

    if (!controls) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->controls->n; i++) {
        if (json_array_append_new(controls, json_string(m->controls->ids[i])) < 0) {
            json_decref(controls);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    rc = set_str(pred, "kind", f->kind, "kind");
    if (rc < 0) {
        json_decref(controls);
        return rc;
    }
    rc = set_new(pred, "controls", controls);
    if (rc < 0) return rc;
    if (m->framework_refs && json_array_size(m->framework_refs) > 0) {
        /* a copy: the redactor rewrites strings of the statement in place */
        rc = set_new(pred, "framework_refs", json_deep_copy(m->framework_refs));
        if (rc < 0) return rc;
    }
    ea_time_format_rfc3339(when, m->collected_us);
    rc = set_str(pred, "collected_at", when, "collected_at");
    if (rc < 0) return rc;
    rc = set_new(
        pred, "collector",
        json_pack("{s:s, s:s}", "name", m->collector_name, "version", m->collector_version));
    if (rc < 0) return rc;

    source = json_object();
    rc = set_new(pred, "source", source);
    if (rc < 0) return rc;
    rc = set_str(source, "system", f->source_system, "source_system");
    if (rc < 0) return rc;
    if (f->source_uri && *f->source_uri) {
        rc = set_str(source, "uri", f->source_uri, "source_uri");
        if (rc < 0) return rc;
    }
    if (f->raw_sha256) {
        if (!ea_is_hex(f->raw_sha256, EA_SHA256_HEX_LEN))
            return field_error("raw_sha256", "must be 64 lower-case hex digits");
        rc = set_str(source, "raw_sha256", f->raw_sha256, "raw_sha256");
    } else if (f->raw) {
        rc = ea_sha256_hex(raw_hex, f->raw, f->raw_len);
        if (rc == 0) rc = set_str(source, "raw_sha256", raw_hex, "raw");
    }
    if (rc < 0) return rc;

    rc = set_str(pred, "result", ea_result_name(f->result), "result");
    if (rc < 0) return rc;
    rc = set_str(pred, "summary", f->summary, "summary");
    if (rc < 0) return rc;
    rc = set_new(pred, "data", json_deep_copy(f->data));
    if (rc < 0) return rc;

    agent = json_pack("{s:s, s:s, s:s, s:I, s:s?}", "id", m->agent_id, "version", m->agent_version,
                      "stream", m->stream, "sequence", (json_int_t)m->sequence, "previous",
                      m->previous);
    if (agent && !m->previous) json_object_set_new(agent, "previous", json_null());
    return set_new(pred, "agent", agent);
}

int ea_normalise_fact(json_t **out, const struct ea_fact *f, const struct ea_record_meta *m)
{
    json_t *st = NULL;
    json_t *pred;
    int rc;

    *out = NULL;
    if (!f || f->size < sizeof(struct ea_fact))
        return ea_fail(EA_EINPUT, "fact: built for an older record.h (rebuild the collector)");
    if ((rc = need_string(f->kind, "kind")) < 0) return rc;
    if (!kind_declared(f->kind)) return field_error("kind", "not a record kind of DESIGN.md");
    if ((rc = need_string(f->subject_name, "subject_name")) < 0) return rc;
    if ((rc = need_string(f->subject_digest_alg, "subject_digest_alg")) < 0) return rc;
    if ((rc = need_string(f->subject_digest, "subject_digest")) < 0) return rc;
    if ((rc = need_string(f->source_system, "source_system")) < 0) return rc;
    if ((rc = need_string(f->summary, "summary")) < 0) return rc;
    if (strlen(f->summary) > SUMMARY_MAX) return field_error("summary", "longer than 1000 bytes");
    if (!json_is_object(f->data)) return field_error("data", "must be a JSON object");
    if ((unsigned)f->result > EA_RESULT_ERROR) return field_error("result", "out of range");
    if (m->controls->n == 0) return field_error("controls", "no control for this record");

    st = json_object();
    if (!st) return ea_fail(EA_ENOMEM, "out of memory");
    rc = set_str(st, "_type", EA_STATEMENT_TYPE, "_type");
    if (rc == 0) rc = build_subject(st, f);
    if (rc == 0) rc = set_str(st, "predicateType", EA_PREDICATE_TYPE, "predicateType");
    if (rc == 0) {
        pred = json_object();
        rc = set_new(st, "predicate", pred);
        if (rc == 0) rc = build_predicate(pred, f, m);
    }
    if (rc < 0) {
        json_decref(st);
        return rc;
    }
    *out = st;
    return 0;
}
