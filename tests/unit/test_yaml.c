/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "yaml": YAML (and JSON) as jansson values: scalars stay strings,
 * anchors and aliases expand, merge keys merge, several documents come as a
 * list, and every bad input is an error naming its line.
 */
#include <string.h>

#include "util/error.h"
#include "testkit.h"
#include "util/yaml.h"

static json_t *one(const char *text, int *rc)
{
    json_t *doc = NULL, *lines = NULL;

    *rc = ea_yaml_parse("t.yaml", text, strlen(text), &doc, &lines);
    json_decref(lines);
    return doc;
}

START_TEST(test_scalars_maps_lists_and_lines)
{
    const char *text = "a: 1\nb: [x, 'y', true]\nc:\n  d: ~\n  e:\n";
    json_t *doc = NULL, *lines = NULL, *want;

    ck_assert_int_eq(ea_yaml_parse("t.yaml", text, strlen(text), &doc, &lines), 0);
    want = json_loads(
        "{\"a\": \"1\", \"b\": [\"x\", \"y\", \"true\"], \"c\": {\"d\": \"~\", \"e\": null}}", 0,
        NULL);
    ck_assert_msg(json_equal(doc, want), "got %s", json_dumps(doc, 0));
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(lines, "c/d"), 0)), 4);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(lines, "c/d"), 1)), 3);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(lines, "b"), 0)), 2);
    json_decref(want);
    json_decref(doc);
    json_decref(lines);
}
END_TEST

START_TEST(test_anchors_aliases_and_merge_keys)
{
    const char *text =
        ".base: &base\n  image: alpine\n  tags: [a]\njob:\n  <<: *base\n  image: debian\n"
        "list: [&x 1, *x]\n";
    int rc;
    json_t *doc = one(text, &rc), *want;

    ck_assert_int_eq(rc, 0);
    want =
        json_loads("{\".base\": {\"image\": \"alpine\", \"tags\": [\"a\"]}, \"job\": {\"image\": "
                   "\"debian\", \"tags\": [\"a\"]}, \"list\": [\"1\", \"1\"]}",
                   0, NULL);
    ck_assert_msg(json_equal(doc, want), "got %s", json_dumps(doc, 0));
    json_decref(want);
    json_decref(doc);
}
END_TEST

/* A "<<" value may carry an anchor, be written before the keys it yields to, and be named
 * again after its mapping ended. */
START_TEST(test_merge_values_can_be_anchored_and_reused)
{
    const char *text = "a:\n  image: mine\n  <<: &m {image: theirs, tag: v1}\nb: *m\n";
    int rc;
    json_t *doc = one(text, &rc), *want;

    ck_assert_int_eq(rc, 0);
    want = json_loads("{\"a\": {\"image\": \"mine\", \"tag\": \"v1\"}, \"b\": {\"image\": "
                      "\"theirs\", \"tag\": \"v1\"}}", 0, NULL);
    ck_assert_msg(json_equal(doc, want), "got %s", json_dumps(doc, 0));
    json_decref(want);
    json_decref(doc);
    doc = one("a: {<<: [x]}\n", &rc);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "merges mappings only"));
}
END_TEST

START_TEST(test_alias_bombs_and_loops_are_refused)
{
    const char *bomb =
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, "
        "*c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, "
        "*e, *e]\n"
        "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    int rc;
    json_t *doc = one(bomb, &rc);

    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "alias bomb"));
    ck_assert_ptr_null(doc);
    doc = one("a: &a [1, *a]\n", &rc);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "contains it"));
    doc = one("a: *nowhere\n", &rc);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "t.yaml:1:4"));
}
END_TEST

START_TEST(test_several_documents)
{
    const char *text = "kind: A\n---\nkind: B\n---\n";
    json_t *docs = NULL;
    int rc;

    ck_assert_int_eq(ea_yaml_parse_stream("m.yaml", text, strlen(text), &docs), 0);
    ck_assert_uint_ge(json_array_size(docs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(docs, 1), "kind")), "B");
    json_decref(docs);
    json_decref(one(text, &rc));
    ck_assert_int_eq(rc, EA_EINPUT); /* where one document is expected, a second is an error */
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "t.yaml:2"));
}
END_TEST

START_TEST(test_bad_input_names_the_line)
{
    static const char *const bad[] = {"a: [1, 2\n", "a: 1\na: 2\n", "a:\n\tb: 1\n", "? [1]\n: 2\n"};
    int rc;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *doc = one(bad[i], &rc);
        ck_assert_msg(rc == EA_EINPUT, "'%s' gave %d", bad[i], rc);
        ck_assert_msg(strncmp(ea_error_message(rc), "t.yaml:", 7) == 0, "%s", ea_error_message(rc));
        json_decref(doc);
    }
}
END_TEST

static Suite *yaml_suite(void)
{
    Suite *s = suite_create("yaml");
    TCase *tc = tcase_create("yaml");

    tcase_add_test(tc, test_scalars_maps_lists_and_lines);
    tcase_add_test(tc, test_anchors_aliases_and_merge_keys);
    tcase_add_test(tc, test_alias_bombs_and_loops_are_refused);
    tcase_add_test(tc, test_merge_values_can_be_anchored_and_reused);
    tcase_add_test(tc, test_several_documents);
    tcase_add_test(tc, test_bad_input_names_the_line);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(yaml_suite)
