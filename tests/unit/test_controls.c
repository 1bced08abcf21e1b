/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "controls": the catalogue holds exactly the 93 Annex A 2022 controls,
 * 2013 IDs map to 2022, and anything else is refused with suggestions. The
 * comparison with ../shared/reference runs in tests/conformance.
 */
#include <stdio.h>
#include <string.h>

#include "controls.h"
#include "util/error.h"
#include "registry.h"
#include "testkit.h"
#include "../../schemas/schemas.h"

START_TEST(test_catalogue_has_the_93_controls_in_four_themes)
{
    size_t n = 0, per_theme[4] = {0};
    const struct ea_control *all = ea_controls_all(&n);
    static const char *themes[] = {"organizational", "people", "physical", "technological"};

    ck_assert_uint_eq(n, 93);
    for (size_t i = 0; i < n; i++) {
        for (int t = 0; t < 4; t++) {
            if (strcmp(all[i].theme, themes[t]) == 0) per_theme[t]++;
        }
    }
    /* ISO/IEC 27001:2022 Annex A: 37 organizational, 8 people, 14 physical, 34 technological. */
    ck_assert_uint_eq(per_theme[0], 37);
    ck_assert_uint_eq(per_theme[1], 8);
    ck_assert_uint_eq(per_theme[2], 14);
    ck_assert_uint_eq(per_theme[3], 34);
    ck_assert_str_eq(ea_controls_find("A.8.32")->title, "Change management");
    ck_assert_ptr_null(ea_controls_find("A.8.35"));
}
END_TEST

static const struct {
    const char *given;
    const char *want[3];
} good[] = {
    {"A.8.32", {"A.8.32"}},
    {"a.8.32", {"A.8.32"}},
    {" A.5.1 ", {"A.5.1"}},
    {"8.32", {"A.8.32"}},
    {"A.12.1.2", {"A.8.32"}},
    {"A.18.2.3", {"A.5.36", "A.8.8"}},
    {"A.9.4.1", {"A.8.3"}},
};

START_TEST(test_accepts_2022_ids_and_maps_2013_ids)
{
    struct ea_control_set set;
    size_t n = 0;

    memset(&set, 0, sizeof(set));
    ck_assert_int_eq(ea_controls_add(&set, good[_i].given), 0);
    while (n < 3 && good[_i].want[n]) n++;
    ck_assert_uint_eq(set.n, n);
    for (size_t k = 0; k < n; k++) ck_assert_str_eq(set.ids[k], good[_i].want[k]);
}
END_TEST

static const struct {
    const char *given;
    const char *mention; /* must appear in the message */
} bad[] = {
    {"A.8.99", "A.8.9"},
    {"A.8.35", "A.8.3"},
    {"../x", "'../x'"},
    {"", "empty"},
    {"   ", "empty"},
    {"A.5.0", "A.5."},
    {"A.8.32/../../etc", "not an"},
    {"A.14.2.99", "not an"},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "too long"},
    {"A.8.3\n2", "'A.8.3?2'"},
};

START_TEST(test_refuses_unknown_ids_naming_them_and_suggesting)
{
    struct ea_control_set set;
    int rc;

    memset(&set, 0, sizeof(set));
    rc = ea_controls_add(&set, bad[_i].given);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_int_eq(ea_exit_status(rc), 2);
    ck_assert_uint_eq(set.n, 0);
    ck_assert_msg(strstr(ea_error_message(rc), bad[_i].mention), "message '%s' lacks '%s'",
                  ea_error_message(rc), bad[_i].mention);
}
END_TEST

START_TEST(test_set_is_sorted_in_catalogue_order_without_duplicates)
{
    struct ea_control_set set;

    memset(&set, 0, sizeof(set));
    ck_assert_int_eq(ea_controls_add(&set, "A.8.32"), 0);
    ck_assert_int_eq(ea_controls_add(&set, "A.5.10"), 0);
    ck_assert_int_eq(ea_controls_add(&set, "A.5.2"), 0);
    ck_assert_int_eq(ea_controls_add(&set, "A.12.1.2"), 0);
    ck_assert_uint_eq(set.n, 3);
    ck_assert_str_eq(set.ids[0], "A.5.2");
    ck_assert_str_eq(set.ids[1], "A.5.10");
    ck_assert_str_eq(set.ids[2], "A.8.32");
}
END_TEST

static void count(const struct ea_control *c, void *payload)
{
    (void)c;
    (*(int *)payload)++;
}

START_TEST(test_search_finds_by_word_theme_and_2013_id)
{
    int n = 0;

    ck_assert_uint_eq(ea_controls_search("change", count, &n), (size_t)n);
    ck_assert_int_ge(n, 1);
    ck_assert_uint_eq(ea_controls_search("people", NULL, NULL), 8);
    ck_assert_uint_eq(ea_controls_search("A.12.1.2", NULL, NULL), 1);
    ck_assert_uint_eq(ea_controls_search(NULL, NULL, NULL), 93);
    ck_assert_uint_eq(ea_controls_search("no such words here", NULL, NULL), 0);
}
END_TEST

START_TEST(test_builtin_defaults_agree_with_defaults_json)
{
    const struct ea_schema_file *f = ea_schema_file_get("controls/defaults.json");
    json_t *doc, *list;
    json_error_t err;

    ck_assert_ptr_nonnull(f);
    doc = json_loadb(f->data, f->len, 0, &err);
    ck_assert_ptr_nonnull(doc);
    for (const struct ea_collector *const *c = ea_registry_builtins(); *c; c++) {
        size_t i = 0;
        list = json_object_get(json_object_get(doc, "collectors"), (*c)->name);
        ck_assert_msg(json_is_array(list), "defaults.json lacks collector %s", (*c)->name);
        for (; (*c)->default_controls[i]; i++) {
            ck_assert_ptr_nonnull(ea_controls_find((*c)->default_controls[i]));
            ck_assert_str_eq(json_string_value(json_array_get(list, i)),
                             (*c)->default_controls[i]);
        }
        ck_assert_uint_eq(json_array_size(list), i);
    }
    json_decref(doc);
}
END_TEST


static Suite *controls_suite(void)
{
    Suite *s = suite_create("controls");
    TCase *tc = tcase_create("catalogue");

    tcase_add_test(tc, test_catalogue_has_the_93_controls_in_four_themes);
    tcase_add_loop_test(tc, test_accepts_2022_ids_and_maps_2013_ids, 0,
                        sizeof(good) / sizeof(good[0]));
    tcase_add_loop_test(tc, test_refuses_unknown_ids_naming_them_and_suggesting, 0,
                        sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, test_set_is_sorted_in_catalogue_order_without_duplicates);
    tcase_add_test(tc, test_search_finds_by_word_theme_and_2013_id);
    tcase_add_test(tc, test_builtin_defaults_agree_with_defaults_json);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(controls_suite)
