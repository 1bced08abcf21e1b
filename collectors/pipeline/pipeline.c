/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline collector: one pipeline_run record for the CI run it runs in
 * (platform, repository, run, job, trigger, ref, commit, actor, runner, from
 * the CI's own environment; see agent/util/ci.c) and, with pipeline=PATH or
 * pipeline=- (standard input), a summary of a job log: its SHA-256 and size,
 * line count, first and last timestamps, error and warning line counts, the
 * redacted last lines and the redacted lines matching configured patterns.
 * The log is streamed in 64 KiB chunks: memory does not grow with its size.
 * Outside CI the platform is "local" and only the log is described.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <evidence/collector.h>

#include "util/ci.h"
#include "util/error.h"
#include "pipeline_api.h"
#include "log_scan.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/time.h"

#define TAIL_DEFAULT 20
#define MATCHES_DEFAULT 50
#define TIMEOUT_DEFAULT_MS 60000L
#define CHUNK (1024 * 1024) /* large enough for the hash to run beside the scan */

struct pipeline_state {
    char *log_path; /* owned; NULL = no log; "-" = standard input */
    size_t tail_lines, matches_max;
    const char **patterns; /* owned array of borrowed strings (from options_copy) */
    json_t *options_copy;  /* owned */
    long timeout_ms;       /* the whole API enrichment, retries included */
    const struct ea_host *host;
};

static void pipeline_free(void *state)
{
    struct pipeline_state *s = state;

    if (!s) return;
    ea_free(s->log_path);
    ea_free(s->patterns);
    json_decref(s->options_copy);
    ea_free(s);
}

static int size_option(const json_t *o, const char *key, size_t dflt, size_t max, size_t *out)
{
    const json_t *v = json_object_get(o, key);

    *out = dflt;
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (size_t)json_integer_value(v) > max)
        return ea_fail(EA_ECONFIG, "%s must be an integer from 0 to %zu", key, max);
    *out = (size_t)json_integer_value(v);
    return 0;
}

static int pipeline_init(void **state, const char *arg, const json_t *options,
                         const struct ea_host *host)
{
    struct pipeline_state *s;
    const json_t *match;
    size_t i;
    json_t *m;
    int rc;

    *state = NULL;
    s = ea_calloc(1, sizeof(*s));
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->host = host;
    s->timeout_ms = TIMEOUT_DEFAULT_MS;
    if (arg && *arg && !(s->log_path = ea_strdup(arg))) {
        pipeline_free(s);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = size_option(options, "tail_lines", TAIL_DEFAULT, EA_LOG_TAIL_MAX, &s->tail_lines);
    if (rc == 0)
        rc =
            size_option(options, "max_matches", MATCHES_DEFAULT, EA_LOG_MATCH_MAX, &s->matches_max);
    if (rc == 0 && (match = json_object_get(options, "timeout"))) { /* a checked duration */
        int64_t us = 0;
        ea_duration_parse(&us, json_string_value(match));
        if (us < 1000000 || us > 3600LL * 1000000)
            rc = ea_fail(EA_ECONFIG, "timeout must be from 1s to 1h");
        s->timeout_ms = (long)(us / 1000);
    }
    match = json_object_get(options, "match");
    if (rc == 0 && match) {
        s->options_copy = json_is_string(match) ? json_pack("[O]", match) : json_deep_copy(match);
        if ((!json_is_array(match) && !json_is_string(match)) ||
            json_array_size(match) > EA_LOG_PATTERNS_MAX)
            rc = ea_fail(EA_ECONFIG, "match must be a pattern or a list of at most %d patterns",
                         EA_LOG_PATTERNS_MAX);
        else if (!s->options_copy || !(s->patterns = ea_calloc(json_array_size(s->options_copy) + 1,
                                                               sizeof(*s->patterns))))
            rc = ea_fail(EA_ENOMEM, "out of memory");
        json_array_foreach(s->options_copy, i, m) {
            if (rc < 0) break;
            if (!json_is_string(m))
                rc = ea_fail(EA_ECONFIG, "match[%zu] is not a string", i);
            else
                s->patterns[i] = json_string_value(m);
        }
    }
    if (rc == 0 && s->patterns) { /* compile once now so a bad pattern fails before any work */
        struct ea_log_scan probe;
        rc = ea_log_scan_init(&probe, 0, 0, s->patterns);
        if (rc == 0) ea_log_scan_dispose(&probe);
    }
    if (rc == 0 && s->log_path && strcmp(s->log_path, "-") != 0 &&
        (rc = ea_fs_check_input(s->log_path, EA_FS_STREAM, "the job log")) < 0) {
        char why[600];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        rc = ea_fail(rc, "%s (give pipeline=PATH of a job log, or pipeline=- for standard input)",
                     why);
    }
    if (rc < 0) {
        pipeline_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int scan_log(struct pipeline_state *s, json_t **out)
{
    struct ea_log_scan scan;
    char *buf[2] = {NULL, NULL}; /* one is hashed on the scanner's thread while the other fills */
    unsigned which = 0;
    int fd = -1;
    int rc;

    *out = NULL;
    rc = ea_log_scan_init(&scan, s->tail_lines, s->matches_max, s->patterns);
    if (rc < 0) return rc;
    buf[0] = ea_malloc(CHUNK);
    buf[1] = ea_malloc(CHUNK);
    if (!buf[0] || !buf[1])
        rc = ea_fail(EA_ENOMEM, "out of memory");
    else if (strcmp(s->log_path, "-") == 0)
        fd = STDIN_FILENO;
    else if ((rc = ea_fs_open_read(&fd, NULL, s->log_path, EA_FS_STREAM)) < 0) {
        /* a regular file or a named pipe (a documented stream); never /dev/zero or a folder */
        if (rc != EA_EINPUT) {
            char why[512];
            snprintf(why, sizeof(why), "%s", ea_error_message(rc));
            ea_error_clear();
            rc = ea_fail(EA_EINPUT, "%s", why);
        }
        ea_fail_prefix("the log");
    }
    while (rc == 0) {
        ssize_t n = read(fd, buf[which], CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = ea_fail(EA_EIO, "%s: read failed: %s", s->log_path, strerror(errno));
        if (n <= 0) break;
        rc = ea_log_scan_feed(&scan, buf[which], (size_t)n);
        which ^= 1;
    }
    if (rc == 0) rc = ea_log_scan_finish(&scan, out);
    if (fd > STDIN_FILENO) close(fd);
    ea_log_scan_dispose(&scan); /* first: it may still be hashing a buffer */
    ea_free(buf[0]);
    ea_free(buf[1]);
    return rc;
}

/*
 * The log's digest, keyed: HMAC-SHA-256, under the agent's digest key (see
 * ea_host.keyed_digest), of the lower-case hex SHA-256 of the log. A plain
 * SHA-256 of a short log with a short secret in it would let anyone confirm
 * a guess of the log by hashing it; the keyed one is the same for the same
 * log and signing key, so the key's holder can still show which log a record
 * describes (README "Secrets"). Without a signing key, the plain SHA-256
 * stays ("sha256_of": "file"). Costs nothing: the log is hashed once anyway.
 */
static int key_log_digest(const struct ea_host *host, json_t *log)
{
    const char *hex = json_string_value(json_object_get(log, "sha256"));
    unsigned char md[EA_SHA256_LEN];
    char keyed[EA_SHA256_HEX_LEN + 1];
    const char *of = "file";

    if (hex && host &&
        host->size >= offsetof(struct ea_host, keyed_digest) + sizeof(host->keyed_digest) &&
        host->keyed_digest) {
        if (host->keyed_digest(host->ctx, hex, strlen(hex), md) == 0) {
            ea_hex_encode(keyed, md, sizeof(md));
            if (json_object_set_new(log, "sha256", json_string(keyed)) < 0)
                return ea_fail(EA_ENOMEM, "out of memory");
            of = "keyed";
        } else {
            ea_error_clear(); /* no signing key: nothing is signed either */
        }
    }
    if (json_object_set_new(log, "sha256_of", json_string(of)) < 0)
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

/*
 * The run and its jobs from the CI's API, when a token is there; NULL
 * otherwise. An API failure is recorded (result error) and said once on
 * stderr, naming the API, the cause and the fix.
 */
static int enrich(const struct pipeline_state *s, const struct ea_ci_run *run, json_t **out)
{
    struct ea_ci_api api;
    int rc;

    *out = NULL;
    rc = ea_ci_api_lookup(&api, run, NULL, NULL);
    if (rc == 0 && api.base_url) rc = ea_pipeline_api_fetch(out, run, &api, s->timeout_ms);
    if (rc == 0 && *out &&
        strcmp(ea_json_str(*out, "status") ? ea_json_str(*out, "status") : "", "ok") != 0)
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN,
                     "the %s API did not describe run %s: %s; the record's result is error",
                     strcmp(run->platform, "gitlab") == 0 ? "GitLab" : "GitHub",
                     run->fields[EA_CI_RUN_ID] ? run->fields[EA_CI_RUN_ID] : "?",
                     ea_json_str(*out, "error") ? ea_json_str(*out, "error") : "no reason given");
    ea_ci_api_dispose(&api);
    return rc;
}

/* pass or fail from the run's outcome when the API gave one; error when it failed. */
static enum ea_result run_result(const json_t *api)
{
    const json_t *r = json_object_get(api, "run");
    const char *v = json_string_value(json_object_get(r, "conclusion"));

    const char *status = json_string_value(json_object_get(api, "status"));

    if (!api) return EA_RESULT_INFO;
    if (!status || strcmp(status, "ok") != 0) return EA_RESULT_ERROR;
    if (!v) v = json_string_value(json_object_get(r, "status")); /* GitLab has status only */
    if (!v) return EA_RESULT_INFO;
    if (strcmp(v, "success") == 0) return EA_RESULT_PASS;
    if (strcmp(v, "failure") == 0 || strcmp(v, "failed") == 0 || strcmp(v, "cancelled") == 0 ||
        strcmp(v, "canceled") == 0 || strcmp(v, "timed_out") == 0)
        return EA_RESULT_FAIL;
    return EA_RESULT_INFO;
}

static int pipeline_collect(void *state, struct ea_sink *sink)
{
    struct pipeline_state *s = state;
    struct ea_ci_run run;
    struct ea_fact fact = EA_FACT_INIT;
    json_t *data = NULL, *log = NULL, *ci = NULL, *api_result = NULL;
    char digest[EA_SHA256_HEX_LEN + 1];
    char *subject = NULL, *summary = NULL, *ci_text = NULL;
    const char *sha, *alg = "sha256";
    int rc;

    rc = ea_ci_detect(&run, NULL, NULL);
    if (rc < 0) return rc;
    if (s->log_path) rc = scan_log(s, &log);
    if (rc == 0 && log) rc = key_log_digest(s->host, log);
    if (rc < 0) goto out;
    rc = enrich(s, &run, &api_result);
    if (rc < 0) goto out;
    ci = ea_ci_run_json(&run);
    data = ci ? json_pack("{s:O, s:O, s:O}", "ci", ci, "log", log ? log : json_null(), "api",
                          api_result ? api_result : json_null())
              : NULL;
    ci_text = ci ? json_dumps(ci, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!data || !ci_text) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    /* The subject is the commit the pipeline built when the CI names one, else the log
     * (by its hash), else the run description itself. */
    sha = run.fields[EA_CI_SHA];
    if (sha && (ea_is_hex(sha, 40) || ea_is_hex(sha, 64))) {
        alg = "gitCommit";
        snprintf(digest, sizeof(digest), "%s", sha);
    } else if (log) {
        snprintf(digest, sizeof(digest), "%s", json_string_value(json_object_get(log, "sha256")));
    } else if ((rc = ea_sha256_hex(digest, ci_text, strlen(ci_text))) < 0) {
        goto out;
    }
    subject = ea_asprintf("%s:%s@%s", run.platform,
                          run.fields[EA_CI_REPOSITORY] ? run.fields[EA_CI_REPOSITORY] : "-",
                          run.fields[EA_CI_RUN_ID] ? run.fields[EA_CI_RUN_ID] : "local");
    if (log)
        summary = ea_asprintf(
            "Pipeline run %s on %s%s%s: log of %lld lines, %lld error and %lld warning lines.",
            run.fields[EA_CI_RUN_ID] ? run.fields[EA_CI_RUN_ID] : "(local)", run.platform,
            run.fields[EA_CI_JOB] ? ", job " : "",
            run.fields[EA_CI_JOB] ? run.fields[EA_CI_JOB] : "",
            (long long)json_integer_value(json_object_get(log, "lines")),
            (long long)json_integer_value(json_object_get(log, "error_lines")),
            (long long)json_integer_value(json_object_get(log, "warning_lines")));
    else
        summary = ea_asprintf("Pipeline run %s on %s%s%s.",
                              run.fields[EA_CI_RUN_ID] ? run.fields[EA_CI_RUN_ID] : "(local)",
                              run.platform, run.fields[EA_CI_JOB] ? ", job " : "",
                              run.fields[EA_CI_JOB] ? run.fields[EA_CI_JOB] : "");
    if (!subject || !summary) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = "pipeline_run";
    fact.subject_name = subject;
    fact.subject_digest_alg = alg;
    fact.subject_digest = digest;
    fact.source_system = run.platform;
    fact.source_uri = run.fields[EA_CI_RUN_URL];
    if (log) fact.raw_sha256 = json_string_value(json_object_get(log, "sha256"));
    fact.result = run_result(api_result);
    fact.summary = summary;
    fact.data = data;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    free(ci_text);
    ea_free(summary);
    ea_free(subject);
    json_decref(data);
    json_decref(ci);
    json_decref(log);
    json_decref(api_result);
    ea_ci_run_dispose(&run);
    return rc;
}

static const char *const kinds[] = {"pipeline_run", NULL};
static const char *const defaults[] = {"A.8.32", "A.8.25", NULL};

static const struct ea_option options[] = {
    {"tail_lines", EA_OPTION_INT, 0, "20", "last log lines kept, redacted (at most 200)"},
    {"match", EA_OPTION_LIST, 0, NULL,
     "POSIX extended regular expressions: matching lines are kept"},
    {"max_matches", EA_OPTION_INT, 0, "50", "most matching lines kept (at most 100)"},
    {"timeout", EA_OPTION_DURATION, 0, "60s",
     "the CI API's whole answer, retries included (1s to 1h); then result error"},
    {NULL, 0, 0, NULL, NULL},
};

const struct ea_collector ea_collector_pipeline = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "pipeline",
    .version = "0.1.0",
    .summary = "the CI run this step is part of (from the CI's environment) and its job log",
    .usage = "LOG (a job log file, or - for standard input; optional)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = pipeline_init,
    .collect = pipeline_collect,
    .free = pipeline_free,
    .arg_flags = EA_ARG_PATH,
};
