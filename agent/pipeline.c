/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stages of one record, in order, each in its own module: normalise,
 * controls, record (serialise once + ID), sign, then store or print. A
 * failure at any stage leaves nothing half-written: records are staged in
 * the store and group-committed (ea_pipeline_flush); the stream head
 * advances only after the records it covers are durable.
 * Redaction runs between normalise and record, over every string of the
 * Statement, so no collector can forget it.
 */
#include "pipeline.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include <evidence/version.h>

#include "util/error.h"
#include "integrity.h"
#include "log.h"
#include "normalise.h"
#include "options.h"
#include "util/redact.h"
#include "registry.h"
#include "state.h"
#include "timestamp.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/time.h"

int ea_pipeline_stream_name(char *out, size_t cap, const char *agent_id, const char *label)
{
    unsigned char rnd[4];
    char hex[9];
    char when[EA_TIME_TEXT_MAX];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) return ea_fail(EA_ERROR, "no randomness from OpenSSL");
    ea_hex_encode(hex, rnd, sizeof(rnd));
    ea_time_format_key(when, ea_time_now_us());
    when[15] = '\0'; /* YYYYMMDDTHHMMSS */
    snprintf(out, cap, "%.64s%s%.32s.%sZ.%s", agent_id, label ? "." : "", label ? label : "", when,
             hex);
    return 0;
}

void ea_pipeline_init(struct ea_pipeline *p, const struct ea_pipeline_opts *opts)
{
    memset(p, 0, sizeof(*p));
    p->o = *opts;
}

void ea_pipeline_dispose(struct ea_pipeline *p)
{
    json_decref(p->state_pending);
    p->state_pending = NULL;
    ea_free(p->leaves);
    p->leaves = NULL;
    p->nleaves = p->leaves_cap = 0;
}

struct sink_ctx {
    struct ea_pipeline *p;
    const struct ea_collector *c;
    int failed; /* the first error of a record, not of the collector */
};

static int sink_emit(void *ctx, const struct ea_fact *fact)
{
    struct sink_ctx *sc = ctx;
    int rc = ea_pipeline_fact(sc->p, sc->c, sc->c->default_controls, fact);

    if (rc < 0 && !sc->failed) sc->failed = rc;
    return rc;
}

int ea_instance_open(struct ea_instance *in, const struct ea_collector *c, const char *arg,
                     const json_t *options)
{
    json_t *checked = NULL;
    int rc;

    memset(in, 0, sizeof(*in));
    in->c = c;
    in->hctx.collector_name = c->name;
    ea_registry_host_init(&in->host, &in->hctx);
    /* every path (collect, the daemon, a drop folder, ingest) meets the option table here */
    rc = ea_options_check(&checked, c, options, NULL, 0);
    if (rc == 0) rc = c->init(&in->state, arg, checked, &in->host);
    json_decref(checked);
    if (rc < 0) {
        ea_fail_prefix("%s", c->name);
        return rc;
    }
    in->open = true;
    return 0;
}

void ea_instance_close(struct ea_instance *in)
{
    if (in->open) in->c->free(in->state);
    in->open = false;
    in->state = NULL;
}

int ea_pipeline_collect(struct ea_pipeline *p, struct ea_instance *in, bool *record_failed)
{
    struct sink_ctx sc = {.p = p, .c = in->c};
    struct ea_sink sink = {.ctx = &sc, .emit = sink_emit};
    unsigned before = p->records;
    int rc, frc;

    if (record_failed) *record_failed = false;
    if (!in->open) return ea_fail(EA_ERROR, "%s: collected before it was opened", in->c->name);
    in->hctx.store = p->o.no_history ? NULL : p->o.read_store ? p->o.read_store : p->o.store;
    in->hctx.state_dir = p->o.state_dir;
    in->hctx.key = p->o.key;
    rc = in->c->collect(in->state, &sink);
    OPENSSL_cleanse(in->hctx.digest_key, sizeof(in->hctx.digest_key));
    in->hctx.digest_key_set = false;
    ea_instance_close(in);
    if (rc < 0) ea_fail_prefix("%s", in->c->name);
    /* What was emitted before a failure is still evidence: commit it either way. */
    frc = ea_pipeline_flush(p);
    if (rc >= 0) rc = frc;
    if (record_failed) *record_failed = sc.failed < 0 || frc < 0;
    return rc < 0 ? rc : (int)(p->records - before);
}

int ea_pipeline_run(struct ea_pipeline *p, const struct ea_collector *c, const char *arg,
                    const json_t *options)
{
    struct ea_instance in;
    int rc = ea_instance_open(&in, c, arg, options);

    return rc < 0 ? rc : ea_pipeline_collect(p, &in, NULL);
}

int ea_pipeline_error_record(struct ea_pipeline *p, const struct ea_collector *c, const char *arg,
                             const char *why)
{
    static const char *const fallback[] = {EA_PIPELINE_ERROR_CONTROL, NULL};
    struct ea_fact fact = EA_FACT_INIT;
    char digest[EA_SHA256_HEX_LEN + 1];
    char *subject = ea_asprintf("%s=%s", c->name, arg ? arg : "");
    char *summary = ea_asprintf("The %s collector failed on %s: %s", c->name,
                                arg && *arg ? arg : "its input", why);
    json_t *data = json_pack("{s:s, s:s?, s:s}", "collector", c->name, "input", arg, "error", why);
    int rc;

    if (!subject || !summary || !data) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ea_sha256_hex(digest, subject, strlen(subject))) < 0) goto out;
    fact.kind = "custom";
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = digest;
    fact.source_system = "evidence-agent";
    fact.result = EA_RESULT_ERROR;
    fact.summary = summary;
    fact.data = data;
    rc = ea_pipeline_fact(
        p, c, c->default_controls && c->default_controls[0] ? c->default_controls : fallback,
        &fact);
    if (rc == 0) rc = ea_pipeline_flush(p);
out:
    json_decref(data);
    ea_free(summary);
    ea_free(subject);
    return rc;
}

static int resolve_controls(struct ea_control_set *set, const char *const *defaults,
                            const struct ea_fact *fact, const struct ea_control_set *extra)
{
    int rc;

    memset(set, 0, sizeof(*set));
    for (size_t i = 0; defaults && defaults[i]; i++) {
        rc = ea_controls_add(set, defaults[i]);
        if (rc < 0) {
            ea_fail_prefix("default controls");
            return rc;
        }
    }
    for (size_t i = 0; fact->controls && fact->controls[i]; i++) {
        rc = ea_controls_add(set, fact->controls[i]);
        if (rc < 0) {
            ea_fail_prefix("fact.controls");
            return rc;
        }
    }
    for (size_t i = 0; extra && i < extra->n; i++) ea_control_set_put(set, extra->ids[i]);
    if (set->n == 0)
        return ea_fail(EA_ECONFIG,
                       "a %s record has no control: give --control ID (or the "
                       "collector's controls option)",
                       fact->kind ? fact->kind : "");
    return 0;
}

/*
 * One token for the records staged since the last commit, their companions
 * staged beside them (so one sync makes both durable). Without a token the
 * records go on unstamped, unless the token is required: then the commit
 * fails and nothing of it is stored. @return 0, 1 (committed without a token), or an error.
 */
static int stamp(struct ea_pipeline *p)
{
    size_t n = p->nleaves;
    char **texts = NULL;
    size_t *lens = NULL;
    int rc;

    if (!p->o.tsa || n == 0) return 0;
    texts = ea_calloc(n, sizeof(*texts));
    lens = ea_calloc(n, sizeof(*lens));
    rc = texts && lens ? ea_tsa_stamp(p->o.tsa, texts, lens, p->leaves, n)
                       : ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char key[EA_TIMESTAMP_KEY_LEN + 1];
        ea_timestamp_key(key, p->leaves[i].id);
        rc = ea_store_put_object(p->o.store, key, texts[i], lens[i]);
    }
    if (rc == 0) {
        p->stamped += (unsigned)n;
    } else if (rc != EA_ENOMEM && !p->o.tsa_required) {
        EA_LOG_WARN("tsa", "%zu record%s stored without a timestamp: %s", n, n == 1 ? "" : "s",
                    ea_error_message(rc));
        ea_error_clear();
        p->unstamped += (unsigned)n;
        rc = 1; /* committed unstamped: the caller tells tsa_unstamped once they are */
    }
    for (size_t i = 0; texts && i < n; i++) ea_free(texts[i]);
    ea_free(texts);
    ea_free(lens);
    if (rc != 1) p->nleaves = 0;
    return rc;
}

/* Notes a staged record for the next commit's token. */
static int add_leaf(struct ea_pipeline *p, const struct ea_envelope *env)
{
    struct ea_tsa_leaf *l;

    if (p->nleaves == p->leaves_cap) {
        size_t ncap = p->leaves_cap ? p->leaves_cap * 2 : 64;
        struct ea_tsa_leaf *nv = ea_realloc(p->leaves, ncap * sizeof(*nv));
        if (!nv) return ea_fail(EA_ENOMEM, "out of memory");
        p->leaves = nv;
        p->leaves_cap = ncap;
    }
    l = &p->leaves[p->nleaves];
    memcpy(l->id, env->id, sizeof(l->id));
    if (ea_tsa_envelope_sig(l->sig_sha256, env->json, env->json_len) < 0) return EA_EINPUT;
    p->nleaves++;
    return 0;
}

int ea_pipeline_flush(struct ea_pipeline *p)
{
    struct ea_stream_head head = {p->o.stream, p->sequence, p->previous, NULL, 0};
    char *signed_head = NULL;
    bool unstamped = false;
    int rc;

    if (p->o.store ? p->staged == 0 : !p->o.dry_run_out || !p->unheaded) return 0;
    rc = ea_head_sign(&signed_head, &head.envelope_len, p->o.stream, p->sequence, p->previous,
                      p->o.clock_us ? p->o.clock_us() : ea_time_now_us(), p->o.key);
    head.envelope = signed_head;
    if (rc == 0 && !p->o.store) { /* dry run: the head follows its records, for a drop folder */
        p->unheaded = 0;
        if (fwrite(signed_head, 1, head.envelope_len, p->o.dry_run_out) != head.envelope_len ||
            fputc('\n', p->o.dry_run_out) == EOF)
            rc = ea_fail(EA_EIO, "cannot write to standard output");
        ea_free(signed_head);
        return rc;
    }
    if (rc == 0 && (rc = stamp(p)) == 1) {
        unstamped = true;
        rc = 0;
    }
    if (rc == 0 && !p->o.one_commit) rc = ea_store_sync(p->o.store); /* records, then head */
    if (rc == 0) rc = ea_store_put_stream(p->o.store, &head); /* one_commit: one atomic batch */
    if (rc == 0) rc = ea_store_sync(p->o.store);
    if (rc == 0 && unstamped && p->o.tsa_unstamped) /* committed: now they wait for a token */
        p->o.tsa_unstamped(p->o.tsa_payload, p->leaves, p->nleaves);
    p->nleaves = 0;
    ea_free(signed_head);
    if (rc < 0) {
        ea_fail_prefix("%u record%s not stored", p->staged, p->staged == 1 ? "" : "s");
        p->records -= p->staged;
        p->nleaves = 0;
    }
    if (rc == 0 && p->o.state_dir) { /* committed: now it is the last state */
        const json_t *e;
        size_t i;
        json_array_foreach(p->state_pending, i, e) {
            int src = ea_state_write(p->o.state_dir, json_array_get(e, 0),
                                     json_string_value(json_array_get(e, 1)));
            if (src < 0) { /* the record is safe; only the comparison next time is lost */
                EA_LOG_WARN("state", "%s", ea_error_message(src));
                ea_error_clear();
            }
        }
    }
    if (p->state_pending) json_array_clear(p->state_pending);
    p->staged = 0;
    return rc;
}

/*
 * Masks secrets anywhere in the Statement, then counts every mask in it by
 * kind, whoever made it (a collector masks the text it keeps before it cuts
 * it): predicate.redactions and predicate.redactions_by_kind.
 */
static int redact_statement(struct ea_pipeline *p, json_t *statement)
{
    unsigned count = 0;
    json_t *predicate = json_object_get(statement, "predicate"), *by_kind;
    int rc = ea_redact_json(p->o.redactor, statement, &count);

    if (rc < 0) return rc;
    if (!(by_kind = json_object())) return ea_fail(EA_ENOMEM, "out of memory");
    count = ea_redact_count(statement, by_kind);
    if (json_object_set_new(predicate, "redactions", json_integer((json_int_t)count)) < 0 ||
        (count && json_object_set(predicate, "redactions_by_kind", by_kind) < 0))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    json_decref(by_kind);
    return rc;
}

/* One line per record on stderr; "stored" is said once the batch is committed. */
static void print_summary(const struct ea_envelope *env, const struct ea_fact *fact)
{
    char controls[EA_CONTROLS_MAX * 8] = "";
    size_t used = 0;

    for (size_t i = 0; i < env->controls.n; i++) {
        int n = snprintf(controls + used, sizeof(controls) - used, "%s%s", i ? "," : "",
                         env->controls.ids[i]);
        if (n < 0 || (size_t)n >= sizeof(controls) - used) break;
        used += (size_t)n;
    }
    ea_log(EA_LOG_LEVEL_INFO, NULL, "record %.12s %s controls=%s result=%s", env->id, fact->kind,
           controls, ea_result_name(fact->result));
}

/* What collect --output json says of one record. */
static int note_made(json_t *made, const struct ea_envelope *env, const struct ea_fact *fact,
                     const struct ea_collector *c)
{
    json_t *controls = json_array();
    json_t *one;

    for (size_t i = 0; controls && i < env->controls.n; i++)
        if (json_array_append_new(controls, json_string(env->controls.ids[i])) < 0) {
            json_decref(controls);
            controls = NULL;
        }
    one = controls ? json_pack("{s:s, s:s, s:o, s:s, s:s, s:I}", "id", env->id, "kind", fact->kind,
                               "controls", controls, "result", ea_result_name(fact->result),
                               "collector", c->name, "sequence", (json_int_t)env->sequence)
                   : NULL;
    if (!one || json_array_append_new(made, one) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

int ea_pipeline_fact(struct ea_pipeline *p, const struct ea_collector *c,
                     const char *const *defaults, const struct ea_fact *fact)
{
    struct ea_control_set controls;
    struct ea_record_bytes rec = {{0}, NULL, 0};
    struct ea_envelope env;
    struct ea_record_meta meta;
    json_t *statement = NULL;
    int rc;

    memset(&env, 0, sizeof(env));
    rc = resolve_controls(&controls, defaults, fact, p->o.extra);
    if (rc < 0) return rc;
    meta = (struct ea_record_meta){
        .collector_name = c->name,
        .collector_version = c->version,
        .agent_id = p->o.agent_id,
        .agent_version = EA_VERSION,
        .stream = p->o.stream,
        .sequence = p->sequence + 1,
        .previous = p->previous[0] ? p->previous : NULL,
        .collected_us = p->o.clock_us ? p->o.clock_us() : ea_time_now_us(),
        .controls = &controls,
        .framework_refs = p->o.framework_refs,
    };
    rc = ea_normalise_fact(&statement, fact, &meta);
    if (rc < 0) goto out;
    rc = redact_statement(p, statement);
    if (rc < 0) goto out;
    if (p->o.state_dir && p->o.skip_unchanged && p->o.store) {
        json_t *last = NULL;
        const char *subject = json_string_value(
            json_object_get(json_array_get(json_object_get(statement, "subject"), 0), "name"));
        if (fact->kind && subject) ea_state_read(&last, p->o.state_dir, fact->kind, subject);
        if (last && ea_state_same(last, statement)) {
            p->unchanged++;
            EA_LOG_INFO(c->name, "unchanged since record %.12s: %s %s (not recorded again)",
                        json_string_value(json_object_get(last, "id")), fact->kind, subject);
            json_decref(last);
            goto out;
        }
        json_decref(last);
    }
    rc = ea_record_serialise(&rec, statement);
    if (rc < 0) goto out;
    rc = ea_dsse_sign_envelope(&env, &rec, p->o.key);
    if (rc < 0) goto out;
    env.time_us = meta.collected_us;
    env.controls = controls;
    env.sequence = meta.sequence;
    snprintf(env.stream, sizeof(env.stream), "%s", p->o.stream);

    if (p->o.store) {
        rc = ea_store_put(p->o.store, &env);
        if (rc == 0 && p->o.tsa) rc = add_leaf(p, &env);
        if (rc < 0) goto out;
    } else if (p->o.dry_run_out) {
        if (fwrite(env.json, 1, env.json_len, p->o.dry_run_out) != env.json_len ||
            fputc('\n', p->o.dry_run_out) == EOF) {
            rc = ea_fail(EA_EIO, "cannot write to standard output");
            goto out;
        }
    }
    if (p->o.state_dir && p->o.store &&
        ((!p->state_pending && !(p->state_pending = json_array())) ||
         json_array_append_new(p->state_pending, json_pack("[O, s]", statement, env.id)) < 0)) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    p->sequence = meta.sequence;
    memcpy(p->previous, env.id, sizeof(p->previous));
    p->records++;
    if (fact->result == EA_RESULT_FAIL) p->failed_results++;
    if (fact->result == EA_RESULT_ERROR) p->error_results++;
    print_summary(&env, fact);
    if (p->o.made && (rc = note_made(p->o.made, &env, fact, c)) < 0) goto out;
    p->unheaded++;
    if (p->o.store && ++p->staged >= (p->o.batch_max ? p->o.batch_max : 256))
        rc = ea_pipeline_flush(p);
out:
    ea_envelope_dispose(&env);
    ea_record_bytes_dispose(&rec);
    json_decref(statement);
    return rc;
}
