/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "jstream": selected subtrees of streamed JSON, whatever the chunking;
 * wildcard positions; counting paths; and every kind of bad input an error
 * naming the byte.
 */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "testkit.h"
#include "util/jstream.h"

static json_t *flat_seen;

struct seen {
    json_t *got; /* [[path, wild..., value], ...] */
    int stop_after;
};

static int collect(void *ctx, int path, json_t *v, const size_t *wild, size_t nwild)
{
    struct seen *s = ctx;
    json_t *row = json_pack("[i]", path);

    for (size_t i = 0; i < nwild; i++)
        json_array_append_new(row, json_integer((json_int_t)wild[i]));
    json_array_append(row, v ? v : json_string("(counted)"));
    if (!v) json_decref(json_array_get(row, json_array_size(row) - 1));
    json_array_append_new(s->got, row);
    return s->stop_after && (int)json_array_size(s->got) >= s->stop_after ? 1 : 0;
}

/* Streams text in chunks of step bytes; returns the rows and the final code. */
static json_t *stream(const char *text, size_t step, const char *const *paths, int *rc)
{
    struct ea_jstream *js;
    struct seen s = {json_array(), 0};
    size_t len = strlen(text);

    ck_assert_int_eq(ea_jstream_new(&js, paths, collect, NULL, &s), 0);
    *rc = 0;
    for (size_t i = 0; i < len && *rc == 0; i += step)
        *rc = ea_jstream_feed(js, text + i, i + step > len ? len - i : step);
    if (*rc == 0) *rc = ea_jstream_finish(js);
    ea_jstream_free(js);
    return s.got;
}

static const char doc[] =
    "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"name\": \"a\"}, \"results\": [{\"id\": 1, "
    "\"x\": [1, 2.5, true, null, {\"k\": \"v\"}]}, {\"id\": 2}]}, {\"results\": []}, "
    "{\"results\": [{\"id\": 3, \"big\": 12345678901234567890}]}], \"tail\": {\"n\": -1}}";

START_TEST(test_selected_values_whatever_the_chunking)
{
    static const char *const paths[] = {"runs.*.results.*", "version", "#runs.*", "tail.n", NULL};
    json_t *whole, *bytes, *want;
    int rc;

    whole = stream(doc, sizeof(doc), paths, &rc);
    ck_assert_int_eq(rc, 0);
    bytes = stream(doc, 1, paths, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert(json_equal(whole, bytes));
    want = json_loads("[[1, \"2.1.0\"], [2, 0, \"(counted)\"], "
                      "[0, 0, 0, {\"id\": 1, \"x\": [1, 2.5, true, null, {\"k\": \"v\"}]}], "
                      "[0, 0, 1, {\"id\": 2}], [2, 1, \"(counted)\"], [2, 2, \"(counted)\"], "
                      "[0, 2, 0, {\"id\": 3, \"big\": 1.2345678901234567e19}], [3, -1]]",
                      0, NULL);
    ck_assert_ptr_nonnull(want);
    ck_assert_msg(json_equal(whole, want), "got %s", json_dumps(whole, JSON_COMPACT));
    json_decref(whole);
    json_decref(bytes);
    json_decref(want);
}
END_TEST

START_TEST(test_a_counting_path_gives_scalars_as_they_are)
{
    static const char *const paths[] = {"#runs.*.results", NULL};
    json_t *got;
    int rc;

    got = stream("{\"runs\": [{\"results\": 42}, {\"results\": [1]}]}", 5, paths, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(got, 0), 2)), 42);
    ck_assert_str_eq(json_string_value(json_array_get(json_array_get(got, 1), 2)), "(counted)");
    json_decref(got);
}
END_TEST

START_TEST(test_bad_input_names_the_byte)
{
    static const char *const paths[] = {"a.*", NULL};
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"a\": [1, 2", "byte"},
        {"{\"a\": [1, 2]} x", "byte"},
        {"{\"a\": \"\xff\"}", "byte"},
        {"{\"a\": [1,]}", "byte"},
        {"", "empty"},
    };
    char deep[2000];
    json_t *got;
    int rc;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        got = stream(bad[i].text, 3, paths, &rc);
        ck_assert_msg(rc == EA_EINPUT, "'%s': %d", bad[i].text, rc);
        ck_assert_msg(strstr(ea_error_message(rc), bad[i].want), "'%s': %s", bad[i].text,
                      ea_error_message(rc));
        json_decref(got);
    }
    memset(deep, '[', 600); /* nesting beyond the limit, outside and inside a selected value */
    deep[600] = '\0';
    got = stream(deep, 64, paths, &rc);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "nested deeper"));
    json_decref(got);
    strcpy(deep, "{\"a\": [");
    memset(deep + 7, '[', 600);
    deep[607] = '\0';
    got = stream(deep, 64, paths, &rc);
    ck_assert_int_eq(rc, EA_EINPUT);
    json_decref(got);
}
END_TEST

START_TEST(test_a_callback_may_stop_the_parse)
{
    static const char *const paths[] = {"*", NULL};
    struct ea_jstream *js;
    struct seen s = {json_array(), 2};

    ck_assert_int_eq(ea_jstream_new(&js, paths, collect, NULL, &s), 0);
    ck_assert_int_eq(ea_jstream_feed(js, "[1, 2, 3, 4]", 12), 1);
    ck_assert_uint_eq(json_array_size(s.got), 2);
    ea_jstream_free(js);
    json_decref(s.got);
}
END_TEST

static int flat_rows(void *ctx, int path, json_t *v, const size_t *wild, size_t nwild)
{
    struct ea_jstream **js = ctx;
    const struct ea_jflat *f = ea_jstream_flat(*js);
    json_t *row = json_array();

    (void)path;
    (void)wild;
    (void)nwild;
    ck_assert_ptr_null(v);
    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(
            row, json_sprintf("%s=%d:%s", f->nodes[i].path, f->nodes[i].type, f->nodes[i].text));
    ck_assert_str_eq(json_string_value(json_array_get(row, 0)), "=0:"); /* the value itself */
    if (f->n > 1) ck_assert_ptr_nonnull(ea_jflat_get(f, "x.0"));
    json_array_append_new(flat_seen, row);
    return 0;
}

START_TEST(test_flat_values_name_every_node_by_its_path)
{
    static const char *const paths[] = {"~a.*", NULL};
    static const char text[] = "{\"a\": [{\"id\": \"r1\", \"x\": [1, {\"k\": true}], \"m\": "
                               "{\"t\": \"y\", \"n\": null}, \"d\": 2.5}, {}]}";
    struct ea_jstream *js;
    json_t *want;

    flat_seen = json_array();
    for (size_t step = 1; step <= sizeof(text); step += sizeof(text) - 1) {
        json_array_clear(flat_seen);
        ck_assert_int_eq(ea_jstream_new(&js, paths, flat_rows, NULL, &js), 0);
        for (size_t i = 0; i < sizeof(text) - 1; i += step)
            ck_assert_int_eq(
                ea_jstream_feed(js, text + i,
                                i + step > sizeof(text) - 1 ? sizeof(text) - 1 - i : step),
                0);
        ck_assert_int_eq(ea_jstream_finish(js), 0);
        ea_jstream_free(js);
        want =
            json_loads("[[\"=0:\", \"id=2:r1\", \"x=1:\", \"x.0=3:1\", \"x.1=0:\", "
                       "\"x.1.k=5:\", \"m=0:\", \"m.t=2:y\", \"m.n=7:\", \"d=4:2.5\"], [\"=0:\"]]",
                       0, NULL);
        ck_assert_msg(json_equal(flat_seen, want), "got %s", json_dumps(flat_seen, 0));
        json_decref(want);
    }
    json_decref(flat_seen);
}
END_TEST

START_TEST(test_bad_paths_are_refused)
{
    static const char *const empty[] = {"a..b", NULL};
    struct ea_jstream *js;

    ck_assert_int_eq(ea_jstream_new(&js, empty, collect, NULL, NULL), EA_ECONFIG);
}
END_TEST

static Suite *jstream_suite(void)
{
    Suite *s = suite_create("jstream");
    TCase *tc = tcase_create("stream");

    tcase_add_test(tc, test_selected_values_whatever_the_chunking);
    tcase_add_test(tc, test_a_counting_path_gives_scalars_as_they_are);
    tcase_add_test(tc, test_bad_input_names_the_byte);
    tcase_add_test(tc, test_a_callback_may_stop_the_parse);
    tcase_add_test(tc, test_bad_paths_are_refused);
    tcase_add_test(tc, test_flat_values_name_every_node_by_its_path);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(jstream_suite)
