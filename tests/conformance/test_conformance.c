/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "conformance": the project against third-party material in
 * ../shared/fixtures and ../shared/reference (see their PROVENANCE.md): the
 * Ed25519 vectors of RFC 8032 and Wycheproof, the ISO/IEC 27001 catalogue and
 * 2013 -> 2022 map, recorded job logs, and recorded GitHub/GitLab API
 * responses. Without ../shared the binary says so in one line and exits 77,
 * which ctest counts as skipped.
 */
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ci.h"
#include "controls.h"
#include "frameworks.h"
#include "util/error.h"
#include "schema.h"
#include "dsse.h"
#include "testkit.h"
#include "util/mem.h"
#include "util/forge.h"
#include "../../collectors/approvals/approvals_policy.h"
#include "../../collectors/pipeline/pipeline_api.h"
#include "../../collectors/protection/protection.h"
#include "../../collectors/pipeline/log_scan.h"

static char *tmp;

static void setup(void)
{
    tmp = ea_test_tmpdir();
}

static void teardown(void)
{
    ea_test_tmpdir_free(tmp);
    tmp = NULL;
}

/* Writes a raw Ed25519 public key (hex) as an SPKI PEM file and loads it. */
static struct ea_key *public_from_hex(const char *hex)
{
    unsigned char raw[32];
    char path[4200];
    struct ea_key *k = NULL;
    EVP_PKEY *pk;
    FILE *f;

    if (strlen(hex) != 64) return NULL;
    for (int i = 0; i < 32; i++) sscanf(hex + 2 * i, "%2hhx", &raw[i]);
    pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
    if (!pk) return NULL;
    snprintf(path, sizeof(path), "%s/vec.pub", tmp);
    f = fopen(path, "w");
    PEM_write_PUBKEY(f, pk);
    fclose(f);
    EVP_PKEY_free(pk);
    if (ea_key_load_public_file(&k, path) < 0) return NULL;
    return k;
}

static unsigned char *unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex) / 2;
    unsigned char *out = malloc(len + 1);

    for (size_t i = 0; i < len; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
    *n = len;
    return out;
}

START_TEST(test_ed25519_conformance_vectors)
{
    const char *fx = ea_test_fixtures_dir();
    char path[4096];
    json_t *doc, *g, *t;
    size_t i, j, checked = 0;

    snprintf(path, sizeof(path), "%s/vectors/ed25519-rfc8032-section7.1.json", fx);
    doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    json_array_foreach(json_object_get(doc, "vectors"), i, t) {
        size_t ml, sl;
        struct ea_key *k = public_from_hex(json_string_value(json_object_get(t, "public_key")));
        unsigned char *m = unhex(json_string_value(json_object_get(t, "message")), &ml);
        unsigned char *s = unhex(json_string_value(json_object_get(t, "signature")), &sl);
        ck_assert_ptr_nonnull(k);
        ck_assert(ea_key_verify(k, s, sl, m, ml));
        s[0] ^= 1;
        ck_assert(!ea_key_verify(k, s, sl, m, ml));
        free(m);
        free(s);
        ea_key_free(k);
        checked++;
    }
    json_decref(doc);
    snprintf(path, sizeof(path), "%s/vectors/wycheproof-ed25519.json", fx);
    doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    json_array_foreach(json_object_get(doc, "testGroups"), i, g) {
        json_t *pkobj = json_object_get(g, "publicKey");
        struct ea_key *k = public_from_hex(json_string_value(json_object_get(pkobj, "pk")));
        ck_assert_ptr_nonnull(k);
        json_array_foreach(json_object_get(g, "tests"), j, t) {
            size_t ml, sl;
            const char *result = json_string_value(json_object_get(t, "result"));
            unsigned char *m = unhex(json_string_value(json_object_get(t, "msg")), &ml);
            unsigned char *s = unhex(json_string_value(json_object_get(t, "sig")), &sl);
            bool ok = ea_key_verify(k, s, sl, m, ml);
            ck_assert_msg(ok == (strcmp(result, "valid") == 0), "wycheproof tcId %lld: %s",
                          (long long)json_integer_value(json_object_get(t, "tcId")), result);
            free(m);
            free(s);
            checked++;
        }
        ea_key_free(k);
    }
    json_decref(doc);
    ck_assert_uint_gt(checked, 100);
}
END_TEST

START_TEST(test_catalogue_matches_the_shared_reference)
{
    const char *fx = ea_test_fixtures_dir();
    char path[4096];
    json_t *ref, *map, *v;
    json_error_t err;
    size_t i;

    snprintf(path, sizeof(path), "%s/../reference/annex-a-2022.json", fx);
    ref = json_load_file(path, 0, &err);
    ck_assert_ptr_nonnull(ref);
    ck_assert_uint_eq(json_array_size(ref), 93);
    json_array_foreach(ref, i, v) {
        const struct ea_control *c = ea_controls_find(json_string_value(json_object_get(v, "id")));
        ck_assert_ptr_nonnull(c);
        ck_assert_str_eq(c->title, json_string_value(json_object_get(v, "title")));
        ck_assert_str_eq(c->theme, json_string_value(json_object_get(v, "theme")));
    }
    json_decref(ref);
    snprintf(path, sizeof(path), "%s/../reference/annex-a-2013-to-2022.json", fx);
    map = json_load_file(path, 0, &err);
    ck_assert_ptr_nonnull(map);
    json_array_foreach(json_object_get(map, "mappings"), i, v) {
        struct ea_control_set set;
        json_t *ids = json_object_get(v, "ids_2022");
        memset(&set, 0, sizeof(set));
        ck_assert_int_eq(ea_controls_add(&set, json_string_value(json_object_get(v, "id_2013"))), 0);
        ck_assert_uint_eq(set.n, json_array_size(ids));
        for (size_t k = 0; k < json_array_size(ids); k++)
            ck_assert(ea_control_set_has(&set, json_string_value(json_array_get(ids, k))));
    }
    json_decref(map);
}
END_TEST

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Each compiled framework catalogue and crosswalk equals the reference row by row:
 * every requirement (ID, group, description, catalogue order), every mapping row
 * (control, target, relationship, confidence, source, via) found exactly once, and no
 * compiled row the reference lacks.
 */
START_TEST(test_frameworks_match_the_shared_reference)
{
    const char *fx = ea_test_fixtures_dir();
    const struct ea_framework *all;
    char path[4096];
    size_t n;

    all = ea_frameworks_all(&n);
    ck_assert_ptr_nonnull(all);
    ck_assert_uint_eq(n, 5);
    for (size_t k = 0; k < n; k++) {
        const struct ea_framework *f = &all[k];
        json_t *cat, *rows, *v;
        size_t i, *used = calloc(f->nmaps + 1, sizeof(*used)), seen = 0;

        snprintf(path, sizeof(path), "%s/../reference/crosswalks/%s.catalogue.json", fx, f->name);
        cat = json_load_file(path, 0, NULL);
        ck_assert_msg(cat != NULL, "%s", path);
        ck_assert_str_eq(f->title, text_of(cat, "name"));
        ck_assert_uint_eq(f->nreqs, json_array_size(json_object_get(cat, "requirements")));
        json_array_foreach(json_object_get(cat, "requirements"), i, v) {
            ck_assert_str_eq(f->reqs[i].id, text_of(v, "id"));
            ck_assert_str_eq(f->reqs[i].group, text_of(v, "group"));
            ck_assert_str_eq(f->reqs[i].description, text_of(v, "description"));
        }
        snprintf(path, sizeof(path), "%s/../reference/crosswalks/iso27001-2022-to-%s.json", fx,
                 f->name);
        rows = json_load_file(path, 0, NULL);
        ck_assert_msg(rows != NULL, "%s", path);
        ck_assert_uint_eq(f->nmaps, json_array_size(rows));
        json_array_foreach(rows, i, v) {
            const struct ea_fw_requirement *r = NULL;
            const struct ea_fw_map *base = f->reqs[0].maps;
            bool found = false;

            ck_assert_int_eq(ea_framework_requirement_lookup(&r, f, text_of(v, "target")), 0);
            for (size_t m = 0; m < r->nmaps && !found; m++) {
                const struct ea_fw_map *x = &r->maps[m];
                if (strcmp(x->control->id, text_of(v, "iso")) != 0 ||
                    strcmp(x->source, text_of(v, "source")) != 0)
                    continue;
                found = true;
                ck_assert_str_eq(x->target, text_of(v, "target"));
                ck_assert_str_eq(x->relationship, text_of(v, "relationship"));
                ck_assert_str_eq(x->confidence, text_of(v, "confidence"));
                ck_assert(same_text(x->via, text_of(v, "via")));
                ck_assert_uint_eq(used[x - base]++, 0);
                seen++;
            }
            ck_assert_msg(found, "%s: row %zu (%s -> %s) not compiled in", f->name, i,
                          text_of(v, "iso"), text_of(v, "target"));
        }
        ck_assert_uint_eq(seen, f->nmaps);
        free(used);
        json_decref(cat);
        json_decref(rows);
    }
}
END_TEST

static const char *no_env(const char *name, void *payload)
{
    (void)name;
    (void)payload;
    return NULL;
}

static json_t *scan(const char *text, size_t len)
{
    struct ea_log_scan s;
    json_t *out = NULL;

    ck_assert_int_eq(ea_log_scan_init(&s, 20, 10, NULL), 0);
    for (size_t i = 0; i < len; i += 65536)
        ck_assert_int_eq(ea_log_scan_feed(&s, text + i, i + 65536 > len ? len - i : 65536), 0);
    ck_assert_int_eq(ea_log_scan_finish(&s, &out), 0);
    ea_log_scan_dispose(&s);
    return out;
}

START_TEST(test_recorded_job_logs_conform)
{
    const char *fx = ea_test_fixtures_dir();
    char dir[4200];
    struct dirent *e;
    DIR *d;
    int seen = 0;

    snprintf(dir, sizeof(dir), "%s/logs", fx);
    d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d))) {
        char path[4500];
        size_t len;
        char *text;
        json_t *out, *data;
        if (!strstr(e->d_name, ".log")) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        text = ea_test_slurp(path, &len);
        out = scan(text, len);
        ck_assert_int_gt(json_integer_value(json_object_get(out, "lines")), 0);
        {
            struct ea_ci_run run;
            ck_assert_int_eq(ea_ci_detect(&run, no_env, NULL), 0);
            data = json_pack("{s:o, s:O, s:n}", "ci", ea_ci_run_json(&run), "log", out, "api");
            ck_assert_int_eq(ea_schema_validate("data/pipeline_run.schema.json", data), 0);
            ea_ci_run_dispose(&run);
        }
        json_decref(data);
        json_decref(out);
        free(text);
        seen++;
    }
    closedir(d);
    ck_assert_int_gt(seen, 0);
}
END_TEST

START_TEST(test_recorded_github_responses_normalise)
{
    const char *fx = ea_test_fixtures_dir();
    char path[4200];
    json_t *run, *page, *norm, *jobs = json_array();

    snprintf(path, sizeof(path), "%s/github/actions-run.json", fx);
    run = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(run);
    norm = ea_pipeline_github_run(run);
    ck_assert_str_eq(json_string_value(json_object_get(norm, "status")), "queued");
    ck_assert(json_is_null(json_object_get(norm, "conclusion")));
    snprintf(path, sizeof(path), "%s/github/actions-run-jobs.json", fx);
    page = json_load_file(path, 0, NULL);
    ck_assert_int_eq(ea_pipeline_github_jobs(jobs, page), 0);
    ck_assert_uint_ge(json_array_size(jobs), 1);
    ck_assert_uint_ge(json_array_size(json_object_get(json_array_get(jobs, 0), "steps")), 1);
    snprintf(path, sizeof(path), "%s/gitlab/pipeline-jobs-list.json", fx);
    json_decref(page);
    page = json_load_file(path, 0, NULL);
    json_array_clear(jobs);
    ck_assert_int_eq(ea_pipeline_gitlab_jobs(jobs, page), 0);
    ck_assert_uint_eq(json_array_size(jobs), 2);
    json_decref(page);
    json_decref(jobs);
    json_decref(norm);
    json_decref(run);
}
END_TEST

static json_t *fixture(const char *name)
{
    char path[4200];
    json_t *j;

    snprintf(path, sizeof(path), "%s/%s", ea_test_fixtures_dir(), name);
    j = json_load_file(path, 0, NULL);
    ck_assert_msg(j != NULL, "%s is not readable JSON", path);
    return j;
}

static const char *field(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "(null)";
}

/* Recorded pull requests, reviews, protection and merge requests, through the approvals
 * normalisers and the policy. */
START_TEST(test_recorded_change_requests_normalise)
{
    struct ea_approval_policy pol = EA_APPROVAL_POLICY_DEFAULT;
    json_t *pr = fixture("github/pull-request.json"), *cr = ea_forge_github_pr(pr);
    json_t *page = fixture("github/pr-reviews-approved-and-changes.json");
    json_t *one = fixture("github/pr-review-approved-example.json");
    json_t *prot = fixture("github/branch-protection.json"), *p = ea_forge_github_protection(prot);
    json_t *mr = fixture("gitlab/merge-request.json"), *gcr = ea_forge_gitlab_mr(mr);
    json_t *ap = fixture("gitlab/mr-approvals.json");
    json_t *reviews = json_array(), *data = json_object(), *list = json_array();
    enum ea_result result;

    ck_assert_int_eq(json_integer_value(json_object_get(cr, "number")), 327);
    ck_assert_str_eq(field(cr, "state"), "merged");
    ck_assert_str_eq(field(cr, "author"), "orta");
    ck_assert_str_eq(field(cr, "merged_at"), "2016-10-03T09:39:23Z");
    ck_assert_str_eq(field(cr, "base_ref"), "master");
    ck_assert_str_eq(field(cr, "head_sha"), "cfa8fb80d2b65f4c4fa0b54d25352a3a0ff58f75");
    ck_assert_ptr_null(json_object_get(cr, "body")); /* free text is not copied */
    /* APPROVED by one reviewer, then two others spelled REQUESTED_CHANGES: a known variant */
    ck_assert_int_eq(ea_forge_github_reviews(reviews, page), 0);
    ck_assert_uint_eq(json_array_size(reviews), 3);
    ck_assert_str_eq(field(json_array_get(reviews, 1), "state"), "CHANGES_REQUESTED");
    json_array_append(list, one); /* a single review object, as GET .../reviews/{id} gives */
    ck_assert_int_eq(ea_forge_github_reviews(reviews, list), 0);
    ck_assert_str_eq(field(json_array_get(reviews, 3), "state"), "APPROVED");
    ck_assert_int_eq(ea_approvals_judge(data, cr, reviews, &pol, &result), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(data, "effective_approvals")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(data, "flags"),
                                                        "stale_approvals")), 2);
    ck_assert_int_eq(result, EA_RESULT_FAIL); /* both approvals were given on older commits */
    ck_assert_int_eq(json_integer_value(json_object_get(p, "required_approving_reviews")), 2);
    ck_assert(json_is_true(json_object_get(p, "enforce_admins")));
    ck_assert(json_is_true(json_object_get(p, "require_code_owner_reviews")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "required_status_checks"), 0)),
                     "continuous-integration/travis-ci");
    ck_assert_int_eq(json_integer_value(json_object_get(gcr, "number")), 1);
    ck_assert_str_eq(field(gcr, "state"), "merged");
    ck_assert_str_eq(field(gcr, "author"), "admin");
    ck_assert_str_eq(field(gcr, "merged_by"), "DouweM");
    ck_assert_str_eq(field(gcr, "head_sha"), "2be7ddb704c7b6b83732fdd5b9f09d5a397b5f8f");
    json_array_clear(reviews);
    ck_assert_int_eq(ea_forge_gitlab_approvals(reviews, ap), 0);
    ck_assert_uint_eq(json_array_size(reviews), 2);
    ck_assert_str_eq(field(json_array_get(reviews, 1), "reviewer"), "ryley");
    json_object_clear(data);
    ck_assert_int_eq(ea_approvals_judge(data, gcr, reviews, &pol, &result), 0);
    ck_assert_int_eq(result, EA_RESULT_PASS);
    ck_assert_int_eq(json_integer_value(json_object_get(data, "effective_approvals")), 2);
    json_decref(pr);
    json_decref(cr);
    json_decref(page);
    json_decref(one);
    json_decref(prot);
    json_decref(p);
    json_decref(mr);
    json_decref(gcr);
    json_decref(ap);
    json_decref(reviews);
    json_decref(data);
    json_decref(list);
}
END_TEST

/* GitHub's documented branch-protection example through the merge of classic and rulesets. */
START_TEST(test_recorded_branch_protection_normalises)
{
    json_t *classic = fixture("github/branch-protection.json"), *none = json_array();
    json_t *eff = ea_protection_github_merge(classic, none);

    ck_assert(json_is_true(json_object_get(eff, "protected")));
    ck_assert_int_eq(json_integer_value(json_object_get(eff, "required_approvals")), 2);
    ck_assert(json_is_true(json_object_get(eff, "code_owner_review")));
    ck_assert(json_is_true(json_object_get(eff, "enforce_admins")));
    ck_assert(json_is_true(json_object_get(eff, "force_pushes_allowed")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(eff, "required_status_checks"), 0)),
                     "continuous-integration/travis-ci");
    json_decref(eff);
    json_decref(classic);
    json_decref(none);
}
END_TEST

static Suite *conformance_suite(void)
{
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("shared");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ed25519_conformance_vectors);
    tcase_add_test(tc, test_catalogue_matches_the_shared_reference);
    tcase_add_test(tc, test_frameworks_match_the_shared_reference);
    tcase_add_test(tc, test_recorded_job_logs_conform);
    tcase_add_test(tc, test_recorded_github_responses_normalise);
    tcase_add_test(tc, test_recorded_change_requests_normalise);
    tcase_add_test(tc, test_recorded_branch_protection_normalises);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ea_test_fixtures_dir()) {
        printf("conformance: ../shared/fixtures is absent; skipped\n");
        return 77;
    }
    return ea_test_run(conformance_suite);
}
