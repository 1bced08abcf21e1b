/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "record": facts become Statements, Statements are serialised once
 * and signed as DSSE envelopes, envelopes verify (and stop verifying when a
 * byte changes or the key is another), and the record path survives every
 * allocation failure, and the PAE matches the DSSE reference. The vectors of
 * ../shared/fixtures run in tests/conformance.
 */
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "pipeline.h"
#include "record.h"
#include "schema.h"
#include "dsse.h"
#include "testkit.h"
#include "util/hash.h"
#include "util/mem.h"

static struct ea_key *key;
static struct ea_key *other;
static char *tmp;

static void setup(void)
{
    ck_assert_int_eq(ea_controls_init(), 0); /* process-wide tables load once, before tests */
    ck_assert_int_eq(ea_key_generate(&key), 0);
    ck_assert_int_eq(ea_key_generate(&other), 0);
    tmp = ea_test_tmpdir();
}

static void teardown(void)
{
    ea_key_free(key);
    ea_key_free(other);
    ea_test_tmpdir_free(tmp);
    key = other = NULL;
    tmp = NULL;
}

static const char *const defaults[] = {"A.8.32", "A.8.4", NULL};

static const struct ea_collector fake = {
    EA_COLLECTOR_HEADER, "fake", "9.9.9", "test collector", NULL,
    (const char *const[]){"custom", NULL}, defaults, NULL, NULL, NULL, NULL, 0, NULL,
};

static void make_fact(struct ea_fact *f, json_t *data)
{
    *f = (struct ea_fact)EA_FACT_INIT;
    f->kind = "custom";
    f->subject_name = "thing";
    f->subject_digest_alg = "sha256";
    f->subject_digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    f->source_system = "local";
    f->raw = "abc";
    f->raw_len = 3;
    f->result = EA_RESULT_PASS;
    f->summary = "A thing happened.";
    f->data = data;
}

static int64_t frozen(void)
{
    return 1795000000123456LL;
}

/* Signs one fact in a dry run and returns the envelope line (owned). */
static char *sign_one(const struct ea_fact *f, int *rc_out)
{
    struct ea_pipeline p;
    struct ea_pipeline_opts o = {.key = key, .agent_id = "test", .stream = "s1", .clock_us = frozen};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    o.dry_run_out = out;
    ea_pipeline_init(&p, &o);
    *rc_out = ea_pipeline_fact(&p, &fake, defaults, f);
    fclose(out);
    return buf;
}

START_TEST(test_fact_becomes_a_schema_valid_signed_statement)
{
    struct ea_fact f;
    struct ea_dsse d;
    json_t *data = json_pack("{s:i}", "n", 1);
    json_t *st = NULL;
    char id[65];
    int rc;
    char *line;

    make_fact(&f, data);
    line = sign_one(&f, &rc);
    ck_assert_int_eq(rc, 0);
    {
        json_t *env = json_loadb(line, strlen(line), 0, NULL);
        ck_assert_int_eq(ea_schema_validate("envelope.schema.json", env), 0);
        json_decref(env);
    }
    ck_assert_int_eq(ea_dsse_parse(&d, line, strlen(line)), 0);
    ck_assert_int_eq(ea_dsse_verify(&d, &key, 1, NULL), 0);
    ck_assert_int_eq(ea_record_parse(&st, d.payload, d.payload_len), 0);
    ck_assert_str_eq(json_string_value(json_object_get(st, "_type")),
                     "https://in-toto.io/Statement/v1");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(st, "predicate"), "source"), "raw_sha256")),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "predicate"),
                                                       "collected_at")),
                     "2026-11-18T11:06:40.123456Z");
    /* The keyid is the SHA-256 of the DER SPKI. */
    ck_assert_str_eq(d.sigs[0].keyid, ea_key_id(key));
    ck_assert_int_eq(ea_sha256_hex(id, d.payload, d.payload_len), 0);
    json_decref(st);
    ea_dsse_dispose(&d);
    free(line);
    json_decref(data);
}
END_TEST

START_TEST(test_one_changed_byte_or_another_key_fails_verification)
{
    struct ea_fact f;
    struct ea_dsse d;
    json_t *data = json_object();
    int rc;
    char *line;

    make_fact(&f, data);
    line = sign_one(&f, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(ea_dsse_parse(&d, line, strlen(line)), 0);
    ck_assert_int_eq(ea_dsse_verify(&d, &other, 1, NULL), EA_EVERIFY);
    for (size_t i = 0; i < d.payload_len; i += 7) {
        d.payload[i] ^= 1;
        ck_assert_int_eq(ea_dsse_verify(&d, &key, 1, NULL), EA_EVERIFY);
        d.payload[i] ^= 1;
    }
    d.sigs[0].sig[5] ^= 0x40;
    ck_assert_int_eq(ea_dsse_verify(&d, &key, 1, NULL), EA_EVERIFY);
    d.sigs[0].sig[5] ^= 0x40;
    /* keyid is only a hint: a wrong hint still verifies with the right key. */
    d.sigs[0].keyid[0] = d.sigs[0].keyid[0] == 'a' ? 'b' : 'a';
    struct ea_key *both[2] = {other, key};
    ck_assert_int_eq(ea_dsse_verify(&d, both, 2, NULL), 0);
    ea_dsse_dispose(&d);
    free(line);
    json_decref(data);
}
END_TEST

START_TEST(test_url_safe_base64_envelopes_verify)
{
    struct ea_fact f;
    struct ea_dsse d;
    json_t *data = json_pack("{s:s}", "x", "?\?>>?\?>>~~~");
    int rc;
    char *line;

    make_fact(&f, data);
    line = sign_one(&f, &rc);
    ck_assert_int_eq(rc, 0);
    char *b64 = strstr(line, "\"payload\":\"");
    ck_assert_ptr_nonnull(b64);
    ck_assert(strpbrk(b64, "+/") != NULL); /* the URL-safe rewrite below changes something */
    for (char *p = b64; *p; p++) {
        if (*p == '+') *p = '-';
        else if (*p == '/') *p = '_';
    }
    ck_assert_int_eq(ea_dsse_parse(&d, line, strlen(line)), 0);
    ck_assert_int_eq(ea_dsse_verify(&d, &key, 1, NULL), 0);
    ea_dsse_dispose(&d);
    free(line);
    json_decref(data);
}
END_TEST

static const struct {
    const char *text;
    const char *mention;
} bad_envelopes[] = {
    {"", "not a JSON envelope"},
    {"{", "not a JSON envelope"},
    {"[]", "not a JSON object"},
    {"{\"payloadType\":\"x\"}", "payload"},
    {"{\"payloadType\":\"x\",\"payload\":\"!!\",\"signatures\":[{\"sig\":\"AA\"}]}", "base64"},
    {"{\"payloadType\":\"x\",\"payload\":\"AA\",\"signatures\":[]}", "signatures"},
    {"{\"payloadType\":\"x\",\"payload\":\"AA\",\"signatures\":[1]}", "signatures[0]"},
    {"{\"payloadType\":\"x\",\"payloadType\":\"y\",\"payload\":\"AA\"}", "duplicate"},
};

START_TEST(test_malformed_envelopes_are_refused_with_a_reason)
{
    struct ea_dsse d;
    const char *t = bad_envelopes[_i].text;
    int rc = ea_dsse_parse(&d, t, strlen(t));

    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_msg(strstr(ea_error_message(rc), bad_envelopes[_i].mention), "'%s' lacks '%s'",
                  ea_error_message(rc), bad_envelopes[_i].mention);
    ck_assert_ptr_null(d.payload);
}
END_TEST

static void no_kind(struct ea_fact *f) { f->kind = NULL; }
static void odd_kind(struct ea_fact *f) { f->kind = "banana"; }
static void no_subject(struct ea_fact *f) { f->subject_name = ""; }
static void odd_alg(struct ea_fact *f) { f->subject_digest_alg = "md5"; }
static void short_digest(struct ea_fact *f) { f->subject_digest = "abc"; }
static void bad_utf8(struct ea_fact *f) { f->summary = "caf\xc3"; }
static void no_data(struct ea_fact *f) { f->data = NULL; }
static void old_abi(struct ea_fact *f) { f->size = 8; }

static const struct {
    const char *mention;
    void (*breaker)(struct ea_fact *f);
} fact_cases[] = {
    {"fact.kind", no_kind},           {"fact.kind", odd_kind},
    {"fact.subject_name", no_subject}, {"fact.subject_digest_alg", odd_alg},
    {"fact.subject_digest", short_digest}, {"fact.summary", bad_utf8},
    {"fact.data", no_data},           {"older record.h", old_abi},
};

START_TEST(test_malformed_facts_are_errors_naming_the_field)
{
    struct ea_fact f;
    json_t *data = json_object();
    int rc;
    char *line;

    make_fact(&f, data);
    fact_cases[_i].breaker(&f);
    line = sign_one(&f, &rc);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_msg(strstr(ea_error_message(rc), fact_cases[_i].mention), "'%s' lacks '%s'",
                  ea_error_message(rc), fact_cases[_i].mention);
    ck_assert_uint_eq(strlen(line), 0); /* nothing was printed */
    free(line);
    json_decref(data);
}
END_TEST

START_TEST(test_record_path_survives_every_allocation_failure)
{
    struct ea_fact f;
    json_t *data = json_pack("{s:[i,i,i], s:s}", "a", 1, 2, 3, "b", "text");
    int rc = EA_ENOMEM;
    long n;

    make_fact(&f, data);
    for (n = 1; n < 400 && rc == EA_ENOMEM; n++) {
        char *line;
        ea_mem_fail_after(n);
        line = sign_one(&f, &rc);
        ea_mem_fail_after(0);
        ck_assert_msg(rc == 0 || rc == EA_ENOMEM, "allocation %ld: rc %d (%s)", n, rc,
                      ea_error_message(rc));
        if (rc == EA_ENOMEM) ck_assert_uint_eq(strlen(line), 0);
        free(line);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(n, 5);
    json_decref(data);
}
END_TEST

START_TEST(test_pae_matches_the_dsse_reference)
{
    struct ea_buf b;

    ea_buf_init(&b, 0);
    ck_assert_int_eq(ea_dsse_pae(&b, "http://example.com/HelloWorld", "hello world", 11), 0);
    ck_assert_str_eq(b.data, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    ea_buf_dispose(&b);
}
END_TEST


START_TEST(test_keys_round_trip_and_refuse_to_overwrite)
{
    char priv[4200], pub[4200];
    struct ea_key *k1 = NULL, *k2 = NULL;
    int rc;

    snprintf(priv, sizeof(priv), "%s/k.pem", tmp);
    snprintf(pub, sizeof(pub), "%s/k.pub", tmp);
    ck_assert_int_eq(ea_key_write_private(key, priv, false), 0);
    ck_assert_int_eq(ea_key_write_public(key, pub, false), 0);
    rc = ea_key_write_private(other, priv, false);
    ck_assert_int_eq(rc, EA_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "--force"));
    ck_assert_int_eq(ea_key_load_private_file(&k1, priv), 0);
    ck_assert_int_eq(ea_key_load_public_file(&k2, pub), 0);
    ck_assert_str_eq(ea_key_id(k1), ea_key_id(key));
    ck_assert_str_eq(ea_key_id(k2), ea_key_id(key));
    ck_assert_int_eq(ea_key_write_private(k2, priv, true), EA_EUSAGE); /* public-only */
    ea_key_free(k1);
    ea_key_free(k2);
    ck_assert_int_eq(ea_test_write(priv, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0);
    rc = ea_key_load_private_file(&k1, priv);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "keygen"));
    ck_assert_int_eq(ea_key_load_private_file(&k1, "/nonexistent/key.pem"), EA_ECONFIG);
}
END_TEST

static Suite *record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("sign_and_verify");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fact_becomes_a_schema_valid_signed_statement);
    tcase_add_test(tc, test_one_changed_byte_or_another_key_fails_verification);
    tcase_add_test(tc, test_url_safe_base64_envelopes_verify);
    tcase_add_loop_test(tc, test_malformed_envelopes_are_refused_with_a_reason, 0,
                        sizeof(bad_envelopes) / sizeof(bad_envelopes[0]));
    tcase_add_loop_test(tc, test_malformed_facts_are_errors_naming_the_field, 0,
                        sizeof(fact_cases) / sizeof(fact_cases[0]));
    tcase_add_test(tc, test_record_path_survives_every_allocation_failure);
    tcase_add_test(tc, test_keys_round_trip_and_refuse_to_overwrite);
    suite_add_tcase(s, tc);
    tc = tcase_create("conformance");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pae_matches_the_dsse_reference);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(record_suite)
