/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scan collector: one scan_result record per scanner report.
 *
 *   scan=PATH                 the format is told from the content
 *   scan=PATH,format=NAME     forced: sarif, trivy, grype, gitleaks, cyclonedx, zap
 *
 * Options: format, fail_on (critical, high, medium, low or none; default
 * high), max_findings (default 100, at most 1000), category (to file a report
 * differently). The report is streamed in 1 MiB chunks (scan_report.h), its
 * SHA-256 computed on the way, and nothing is emitted unless the whole report
 * parsed: a broken report is an input error naming the file and the byte.
 * Controls come from the category, as data (schemas/controls/defaults.json,
 * "scan_categories").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <evidence/collector.h>
#include <openssl/evp.h>

#include "util/ci.h"
#include "util/defaults.h"
#include "util/error.h"
#include "scan_report.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/utf8.h"
#include "util/redact.h"

#define HEAD_MAX (64 * 1024)
#define CHUNK (1024 * 1024)
#define CONTROLS_MAX 8

struct scan_state {
    char *path;                          /* owned: where the report is read */
    char *name;                          /* owned: what it is called (the name option), or NULL */
    const struct ea_scan_format *format; /* forced, or NULL */
    int fail_on;                         /* an ea_sev, or -1 for none */
    size_t max_findings;
    char *category; /* owned override, or NULL */
};

static void scan_free(void *state)
{
    struct scan_state *s = state;

    if (!s) return;
    ea_free(s->path);
    ea_free(s->name);
    ea_free(s->category);
    ea_free(s);
}

/* The report's name in records and messages: the name option, else its path. */
static const char *report_name(const struct scan_state *s)
{
    return s->name ? s->name : s->path;
}

static int set_format(struct scan_state *s, const char *name)
{
    char shown[41];

    if (!(s->format = ea_scan_format_find(name)))
        return ea_fail(EA_EUSAGE, "%s: format '%s' is not one of %s", report_name(s),
                       ea_redact_show(shown, sizeof(shown), name, strlen(name)),
                       ea_scan_format_list());
    return 0;
}

static int scan_init(void **state, const char *arg, const json_t *options,
                     const struct ea_host *host)
{
    struct scan_state *s;
    const char *comma;
    const json_t *v;
    int rc = 0;

    (void)host;
    *state = NULL;
    if (!arg || !*arg)
        return ea_fail(EA_EUSAGE, "scan needs a report: scan=PATH or scan=PATH,format=NAME");
    s = ea_calloc(1, sizeof(*s));
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->fail_on = EA_SEV_HIGH;
    s->max_findings = EA_SCAN_FINDINGS_DEFAULT;
    comma = strrchr(arg, ',');
    if (comma && strncmp(comma, ",format=", 8) == 0) { /* a path may hold commas: only a
                                                          trailing ,format= is an option */
        s->path = ea_strndup(arg, (size_t)(comma - arg));
        if (s->path) rc = set_format(s, comma + 8);
    } else {
        s->path = ea_strdup(arg);
    }
    if (!s->path) rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0 && (v = json_object_get(options, "name")) && json_string_value(v) &&
        !(s->name = ea_strndup(json_string_value(v), strnlen(json_string_value(v), 255))))
        rc = ea_fail(EA_ENOMEM, "out of memory"); /* ea_strndup copies n bytes: bound it first */
    if (rc == 0 && (v = json_object_get(options, "format")))
        rc = json_is_string(v) ? set_format(s, json_string_value(v))
                               : ea_fail(EA_ECONFIG, "format must be a string");
    if (rc == 0 && (v = json_object_get(options, "fail_on"))) {
        const char *f = json_string_value(v);
        int sev = ea_sev_parse(f);
        if (f && strcmp(f, "none") == 0)
            s->fail_on = -1;
        else if (sev >= EA_SEV_LOW)
            s->fail_on = sev;
        else
            rc = ea_fail(EA_ECONFIG, "fail_on must be critical, high, medium, low or none");
    }
    if (rc == 0 && (v = json_object_get(options, "max_findings"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > EA_SCAN_FINDINGS_MAX)
            rc = ea_fail(EA_ECONFIG, "max_findings must be an integer from 0 to %d",
                         EA_SCAN_FINDINGS_MAX);
        else
            s->max_findings = (size_t)json_integer_value(v);
    }
    if (rc == 0 && (v = json_object_get(options, "category"))) {
        static const char *const known[] = {"sast", "sca",  "secrets", "dast",
                                            "iac",  "sbom", "license"};
        const char *c = json_string_value(v);
        size_t i = 0;
        while (c && i < 7 && strcmp(c, known[i]) != 0) i++;
        if (i == 7)
            rc = ea_fail(EA_ECONFIG,
                         "category must be sast, sca, secrets, dast, iac, sbom or license");
        else if (!(s->category = ea_strdup(c)))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0) rc = ea_fs_check_input(s->path, 0, "the report");
    if (rc < 0) {
        scan_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* Reads up to cap bytes (fewer only at the end of the file). */
static ssize_t read_full(int fd, char *buf, size_t cap)
{
    size_t got = 0;

    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* SHA-256 of one chunk on a second thread while this one parses it. */
struct hash_job {
    EVP_MD_CTX *ctx;
    const char *data;
    size_t len;
    int ok;
};

static void *hash_chunk(void *arg)
{
    struct hash_job *j = arg;

    j->ok = EVP_DigestUpdate(j->ctx, j->data, j->len) == 1;
    return NULL;
}

/* One pass over the whole file into r (hashed into sha when not NULL, on a second thread). */
static int pass(int fd, char *buf, struct ea_scan_report *r, EVP_MD_CTX *sha, uint64_t *bytes)
{
    ssize_t n;
    int rc = 0;

    if (lseek(fd, 0, SEEK_SET) != 0)
        return ea_fail(EA_EIO, "cannot read it again: %s", strerror(errno));
    while (rc == 0 && (n = read_full(fd, buf, CHUNK)) != 0) {
        struct hash_job job = {sha, buf, (size_t)n, 1};
        pthread_t t;
        bool threaded;
        if (n < 0) return ea_fail(EA_EIO, "read failed: %s", strerror(errno));
        threaded = sha && pthread_create(&t, NULL, hash_chunk, &job) == 0;
        if (sha && !threaded) hash_chunk(&job);
        if (bytes) *bytes += (uint64_t)n;
        rc = ea_scan_feed(r, buf, (size_t)n);
        if (threaded) pthread_join(t, NULL); /* before buf is read into again */
        if (rc == 0 && !job.ok) rc = ea_fail(EA_ERROR, "SHA-256 failed");
        if ((size_t)n < CHUNK) break;
    }
    return rc;
}

/* Streams the whole report: the summary and the report's SHA-256 and size. */
static int read_report(struct scan_state *s, json_t **summary, char *hex, uint64_t *bytes)
{
    struct ea_scan_report r, first;
    const struct ea_scan_format *fmt = s->format;
    unsigned char md[EA_SHA256_LEN];
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    char *buf = ea_malloc(CHUNK);
    bool started = false, first_started = false;
    ssize_t n;
    int fd = -1, rc = 0;

    *summary = NULL;
    *bytes = 0;
    if (!sha || !buf || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    /* a regular file only (it is read twice for some SARIF): never /dev/zero or a pipe */
    if ((rc = ea_fs_open_read(&fd, NULL, s->path, 0)) < 0) {
        char why[512];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        const char *w = why;
        size_t plen = strlen(s->path);
        if (strncmp(w, s->path, plen) == 0 && strncmp(w + plen, ": ", 2) == 0) w += plen + 2;
        rc = ea_fail(EA_EINPUT, "cannot open the report: %s", w);
        goto out;
    }
    n = read_full(fd, buf, HEAD_MAX);
    if (n < 0) {
        rc = ea_fail(EA_EIO, "read failed: %s", strerror(errno));
        goto out;
    }
    if (!fmt && (rc = ea_scan_detect(buf, (size_t)n, &fmt)) < 0) goto out;
    if ((rc = ea_scan_init(&r, fmt, s->max_findings)) < 0) goto out;
    started = true;
    rc = pass(fd, buf, &r, sha, bytes);
    if (rc == 0) rc = ea_scan_finish(&r, summary);
    if (rc < 0 && r.rules_late) {
        /* SARIF with its rules after its results: read the rules first, then again */
        ea_error_clear();
        ea_scan_dispose(&r);
        started = false;
        *bytes = 0;
        if (EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
            rc = ea_fail(EA_ERROR, "SHA-256 failed");
            goto out;
        }
        if ((rc = ea_scan_init(&first, fmt, 0)) < 0) goto out;
        first_started = true;
        rc = ea_scan_rules_pass(&first, true);
        if (rc == 0) rc = pass(fd, buf, &first, NULL, NULL);
        if (rc == 0 && (rc = ea_scan_init(&r, fmt, s->max_findings)) == 0) {
            started = true;
            ea_scan_preload_rules(&r, &first);
            rc = pass(fd, buf, &r, sha, bytes);
            if (rc == 0) rc = ea_scan_finish(&r, summary);
        }
    }
    if (rc == 0 && EVP_DigestFinal_ex(sha, md, NULL) != 1) rc = ea_fail(EA_ERROR, "SHA-256 failed");
    if (rc == 0) ea_hex_encode(hex, md, sizeof(md));
out:
    if (rc > 0) rc = ea_fail(EA_ERROR, "the report's parse stopped early");
    if (started) ea_scan_dispose(&r);
    if (first_started) ea_scan_dispose(&first);
    if (fd >= 0) close(fd);
    ea_free(buf);
    EVP_MD_CTX_free(sha);
    if (rc < 0) {
        json_decref(*summary);
        *summary = NULL;
        ea_fail_prefix("%s", report_name(s));
    }
    return rc;
}

/* The controls of a category, from schemas/controls/defaults.json. */
static int category_controls(const char *category, const char **out, size_t cap)
{
    const json_t *doc = ea_defaults_json(), *list, *c;
    size_t i, n = 0;

    list = json_object_get(json_object_get(doc, "scan_categories"), category);
    if (!json_is_array(list))
        return ea_fail(EA_ERROR, "defaults.json has no controls for scan category %s", category);
    json_array_foreach(list, i, c) {
        if (n + 1 < cap && json_is_string(c)) out[n++] = json_string_value(c);
    }
    out[n] = NULL;
    return 0;
}

/* Whether the tool's name says the format already (case aside): "Trivy" says "trivy". */
static bool names_format(const char *tool, const char *format)
{
    size_t n = strlen(format);

    for (const char *p = tool; n && strlen(p) >= n; p++)
        if (strncasecmp(p, format, n) == 0) return true;
    return false;
}

static int scan_collect(void *state, struct ea_sink *sink)
{
    struct scan_state *s = state;
    struct ea_fact fact = EA_FACT_INIT;
    struct ea_ci_run run;
    const char *controls[CONTROLS_MAX + 1];
    char hex[EA_SHA256_HEX_LEN + 1], worst[160] = "";
    json_t *data = NULL, *scanned, *counts, *reasons;
    char *subject = NULL, *summary = NULL;
    const char *category, *what, *tool, *format;
    bool said;
    uint64_t bytes, failing = 0;
    int rc;

    memset(&run, 0, sizeof(run));
    rc = read_report(s, &data, hex, &bytes);
    if (rc < 0) return rc;
    if (s->category && (rc = ea_json_put(data, "category", json_string(s->category))) < 0) goto out;
    category = ea_json_str(data, "category");
    /* what was scanned: the report's own words first, then the CI's repository and commit */
    if ((rc = ea_ci_detect(&run, NULL, NULL)) < 0) goto out;
    scanned = json_object_get(data, "scanned");
    if (json_is_null(json_object_get(scanned, "repository")) && run.fields[EA_CI_REPOSITORY])
        json_object_set_new(scanned, "repository", json_string(run.fields[EA_CI_REPOSITORY]));
    if (json_is_null(json_object_get(scanned, "commit")) && run.fields[EA_CI_SHA])
        json_object_set_new(scanned, "commit", json_string(run.fields[EA_CI_SHA]));
    counts = json_object_get(data, "counts");
    reasons = json_array();
    for (int sev = EA_SEV_CRITICAL; s->fail_on >= 0 && sev >= s->fail_on; sev--) {
        json_int_t c = json_integer_value(json_object_get(counts, ea_sev_name((enum ea_sev)sev)));
        if (c > 0) {
            size_t len = strlen(worst);
            snprintf(worst + len, sizeof(worst) - len, "%s%lld %s", len ? ", " : "", (long long)c,
                     ea_sev_name((enum ea_sev)sev));
            failing += (uint64_t)c;
        }
    }
    if (failing && reasons)
        json_array_append_new(reasons, json_sprintf("unsuppressed findings at or above %s: %s",
                                                    ea_sev_name((enum ea_sev)s->fail_on), worst));
    if (!reasons ||
        ea_json_put(data, "policy",
                    json_pack("{s:s}", "fail_on",
                              s->fail_on < 0 ? "none" : ea_sev_name((enum ea_sev)s->fail_on))) <
            0 ||
        ea_json_put(data, "reasons", reasons) < 0 ||
        ea_json_put(data, "report",
                    json_pack("{s:o, s:s, s:I}", "path",
                              ea_redact_utf8_json(report_name(s), strlen(report_name(s)), 1024),
                              "sha256", hex, "bytes", (json_int_t)bytes)) < 0) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = category_controls(category, controls, sizeof(controls) / sizeof(controls[0]))) < 0)
        goto out;
    if (json_integer_value(json_object_get(data, "licenses")) > 0 &&
        strcmp(category, "license") != 0) { /* licenses beside vulnerabilities: both filed */
        size_t n = 0;
        while (controls[n]) n++;
        rc = category_controls("license", controls + n, sizeof(controls) / sizeof(controls[0]) - n);
        if (rc < 0) goto out;
    }
    what = ea_json_str(scanned, "artifact");
    if (!what) what = ea_json_str(scanned, "repository");
    if (!what) what = report_name(s);
    subject = ea_asprintf("scan:%s:%s", ea_json_str(data, "format"), what);
    tool = ea_json_str(json_object_get(data, "tool"), "name");
    format = ea_json_str(data, "format");
    said = tool && format && names_format(tool, format); /* "Trivy report", not "Trivy trivy" */
    summary = ea_asprintf(
        "%s%s%s report on %s (%s): %lld critical, %lld high, %lld medium, %lld low, %lld info, "
        "%lld unknown; %lld suppressed: %s.",
        tool ? tool : "scanner", said || !format ? "" : " ", said || !format ? "" : format, what,
        category, (long long)json_integer_value(json_object_get(counts, "critical")),
        (long long)json_integer_value(json_object_get(counts, "high")),
        (long long)json_integer_value(json_object_get(counts, "medium")),
        (long long)json_integer_value(json_object_get(counts, "low")),
        (long long)json_integer_value(json_object_get(counts, "info")),
        (long long)json_integer_value(json_object_get(counts, "unknown")),
        (long long)json_integer_value(json_object_get(data, "suppressed")),
        failing ? "fail" : "pass");
    if (!subject || !summary) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = "scan_result";
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = hex;
    fact.source_system = ea_json_str(data, "format");
    fact.raw_sha256 = hex;
    fact.result = failing ? EA_RESULT_FAIL : EA_RESULT_PASS;
    fact.summary = summary;
    fact.data = data;
    fact.controls = controls;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    ea_ci_run_dispose(&run);
    ea_free(subject);
    ea_free(summary);
    json_decref(data);
    return rc;
}

static const char *const kinds[] = {"scan_result", NULL};
static const char *const defaults[] = {NULL}; /* by category, see category_controls */

static const struct ea_option options[] = {
    {"format", EA_OPTION_STRING, 0, "detected",
     "the report's format, when detection is not wanted"},
    {"fail_on", EA_OPTION_STRING, 0, "high",
     "lowest severity that fails: critical, high, medium, low or none"},
    {"max_findings", EA_OPTION_INT, 0, "100", "most findings kept in the record (at most 1000)"},
    {"category", EA_OPTION_STRING, 0, NULL,
     "file the report as sast, sca, secrets, dast, iac, sbom or license"},
    {"name", EA_OPTION_STRING, 0, NULL,
     "the report's name in the record and messages (default its path; the daemon sets it)"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_shorthand shorthands[] = {
    {"fail-on", "fail_on", NULL, "SEVERITY", "critical, high (default), medium, low or none"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct ea_collector ea_collector_scan = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "scan",
    .version = "0.1.0",
    .summary = "a scanner report: SARIF, Trivy, Grype, gitleaks, CycloneDX or ZAP JSON",
    .usage = "PATH[,format=NAME] (the format is told from the content unless named)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = scan_init,
    .collect = scan_collect,
    .free = scan_free,
    .arg_flags = EA_ARG_PATH,
    .shorthands = shorthands,
};
