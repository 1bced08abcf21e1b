/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "schema": the embedded schemas load (every keyword they use is
 * implemented), accept a valid record, and reject each kind of violation
 * with the JSON path of the offending value in the message.
 */
#include <string.h>

#include "util/error.h"
#include "schema.h"
#include "testkit.h"

static const char valid[] =
    "{\"_type\":\"https://in-toto.io/Statement/v1\","
    "\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":"
    "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}}],"
    "\"predicateType\":\"https://evidence-agent.dev/record/v1\","
    "\"predicate\":{\"kind\":\"custom\",\"controls\":[\"A.8.32\"],"
    "\"collected_at\":\"2026-01-02T03:04:05.123456Z\","
    "\"collector\":{\"name\":\"exec\",\"version\":\"1\"},\"source\":{\"system\":\"local\"},"
    "\"result\":\"pass\",\"summary\":\"ok\",\"data\":{},"
    "\"agent\":{\"id\":\"a\",\"version\":\"1\",\"stream\":\"s.1\",\"sequence\":1,"
    "\"previous\":null}}}";

/* Each case applies one change (a JSON pointer-ish edit done in C) and expects a path. */
static const struct {
    const char *pointer; /* dotted path of the member to replace; "" = whole document */
    const char *value;   /* JSON text to put there; NULL deletes the member */
    const char *mention; /* must appear in the error message */
} cases[] = {
    {"predicate.kind", "\"banana\"", "predicate.kind: is not one of the allowed values"},
    {"predicate.controls", "[\"A.9.1\"]", "predicate.controls[0]: does not match"},
    {"predicate.controls", "[]", "predicate.controls: has fewer items"},
    {"predicate.controls", "[\"A.8.32\",\"A.8.32\"]", "not unique"},
    {"predicate.agent.sequence", "0", "predicate.agent.sequence: is below the minimum"},
    {"predicate.agent.sequence", "\"1\"", "is of type string"},
    {"predicate.agent.previous", "\"abc\"", "predicate.agent.previous: matches none"},
    {"predicate.collected_at", "\"2026-01-02 03:04:05\"", "predicate.collected_at: does not match"},
    {"predicate.summary", "\"\"", "predicate.summary: is shorter"},
    {"predicate.data", NULL, "required property 'data' is missing"},
    {"predicate.extra", "1", "unexpected property 'extra'"},
    {"extra", "1", "(document): unexpected property 'extra'"},
    {"_type", "\"https://in-toto.io/Statement/v0.1\"", "_type: is not the required constant"},
    {"subject", "[{\"name\":\"x\",\"digest\":{}}]", "subject[0].digest: has fewer properties"},
    {"predicate.collector.name", "\"Bad Name\"", "predicate.collector.name: does not match"},
};

static json_t *edit(const char *pointer, const char *value)
{
    json_t *doc = json_loads(valid, 0, NULL);
    json_t *parent = doc;
    char key[64];
    const char *p = pointer, *dot;

    while ((dot = strchr(p, '.'))) {
        snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
        parent = json_object_get(parent, key);
        p = dot + 1;
    }
    if (value) json_object_set_new(parent, p, json_loads(value, JSON_DECODE_ANY, NULL));
    else json_object_del(parent, p);
    return doc;
}

START_TEST(test_a_valid_statement_passes)
{
    json_t *doc = json_loads(valid, 0, NULL);

    ck_assert_int_eq(ea_schema_validate_statement(doc), 0);
    json_decref(doc);
}
END_TEST

START_TEST(test_each_violation_names_its_path)
{
    json_t *doc = edit(cases[_i].pointer, cases[_i].value);
    int rc = ea_schema_validate_statement(doc);

    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_msg(strstr(ea_error_message(rc), cases[_i].mention), "'%s' lacks '%s'",
                  ea_error_message(rc), cases[_i].mention);
    json_decref(doc);
}
END_TEST

START_TEST(test_git_commit_data_is_checked_by_its_own_schema)
{
    json_t *doc = edit("predicate.kind", "\"git_commit\"");
    int rc = ea_schema_validate_statement(doc);

    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "predicate.data"));
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "required property"));
    json_decref(doc);
}
END_TEST

START_TEST(test_envelope_schema_and_unknown_schema)
{
    json_t *env = json_loads("{\"payloadType\":\"application/vnd.in-toto+json\","
                             "\"payload\":\"e30\",\"signatures\":[{\"keyid\":\"k\",\"sig\":\"AA-_\"}]}",
                             0, NULL);

    ck_assert_int_eq(ea_schema_validate("envelope.schema.json", env), 0);
    json_object_set_new(env, "payload", json_string("not base64!"));
    ck_assert_int_eq(ea_schema_validate("envelope.schema.json", env), EA_EINPUT);
    ck_assert_int_eq(ea_schema_validate("nope.schema.json", env), EA_ERROR);
    json_decref(env);
}
END_TEST

START_TEST(test_strings_with_nul_never_match_a_pattern)
{
    json_t *doc = json_loads(valid, 0, NULL);
    json_t *pred = json_object_get(doc, "predicate");

    json_object_set_new(pred, "controls", json_pack("[s#]", "A.8.32\0x", (size_t)8));
    ck_assert_int_eq(ea_schema_validate_statement(doc), EA_EINPUT);
    json_decref(doc);
}
END_TEST

static Suite *schema_suite(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("validate");

    tcase_add_test(tc, test_a_valid_statement_passes);
    tcase_add_loop_test(tc, test_each_violation_names_its_path, 0,
                        sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, test_git_commit_data_is_checked_by_its_own_schema);
    tcase_add_test(tc, test_envelope_schema_and_unknown_schema);
    tcase_add_test(tc, test_strings_with_nul_never_match_a_pattern);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(schema_suite)
