/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collector option tables (agent/options.c) and the command-line tables they
 * sit beside (agent/cli.c): an unknown key is refused naming the nearest one,
 * values are typed by the table, every built-in table is well formed, and the
 * parser keeps every option of a table of any length and answers "not given"
 * for a name its table does not have.
 */
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "util/error.h"
#include "options.h"
#include "registry.h"
#include "testkit.h"

static const struct ea_option opts[] = {
    {"fail_on", EA_OPTION_STRING, 0, "high", "severity"},
    {"tail_lines", EA_OPTION_INT, 0, "20", "lines"},
    {"strict", EA_OPTION_BOOL, 0, "false", "strict"},
    {"timeout", EA_OPTION_DURATION, 0, "60s", "deadline"},
    {"output_max", EA_OPTION_SIZE, 0, "1MiB", "bound"},
    {"match", EA_OPTION_LIST, 0, NULL, "patterns"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_collector fake = {
    EA_COLLECTOR_HEADER, "fake", "1.0.0", "test collector", NULL,
    (const char *const[]){"custom", NULL}, NULL, opts, NULL, NULL, NULL, 0, NULL,
};

static int check(json_t **out, const char *json)
{
    json_t *in = json_loads(json, 0, NULL);
    int rc;

    ck_assert_ptr_nonnull(in);
    rc = ea_options_check(out, &fake, in, NULL, 0);
    json_decref(in);
    return rc;
}

START_TEST(test_an_unknown_key_names_the_nearest_one)
{
    json_t *out, *in = json_pack("{s:s}", "fial_on", "critical");
    char bad[64];

    ck_assert_int_eq(ea_options_check(&out, &fake, in, bad, sizeof(bad)), EA_EUSAGE);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(bad, "fial_on");
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EUSAGE), "'fial_on'"));
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EUSAGE), "did you mean 'fail_on'"));
    ea_error_clear();
    json_decref(in);
}
END_TEST

START_TEST(test_values_are_typed_by_the_table)
{
    json_t *out;

    ck_assert_int_eq(check(&out, "{\"fail_on\": 7, \"tail_lines\": \"5\", \"strict\": \"true\","
                                 " \"timeout\": \"2s\", \"output_max\": \"64KiB\", \"match\": \"x\"}"),
                     0);
    ck_assert_str_eq(json_string_value(json_object_get(out, "fail_on")), "7");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "tail_lines")), 5);
    ck_assert(json_is_true(json_object_get(out, "strict")));
    ck_assert_str_eq(json_string_value(json_object_get(out, "timeout")), "2s");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "output_max")), 65536);
    ck_assert_int_eq(json_array_size(json_object_get(out, "match")), 1);
    json_decref(out);
    ck_assert_int_eq(check(&out, "{\"tail_lines\": null}"), 0); /* empty YAML value: default */
    ck_assert_int_eq(json_object_size(out), 0);
    json_decref(out);
}
END_TEST

static const char *const bad_values[] = {
    "{\"tail_lines\": \"five\"}",  "{\"tail_lines\": \"5x\"}", "{\"strict\": \"yes\"}",
    "{\"timeout\": \"2 weeks\"}", "{\"timeout\": 5}",         "{\"output_max\": \"lots\"}",
    "{\"fail_on\": [\"a\", \"b\"]}", "{\"match\": [{\"a\": 1}]}", "{\"fail_on\": \"\"}",
};

START_TEST(test_a_value_of_the_wrong_type_is_refused)
{
    json_t *out;

    ck_assert_int_eq(check(&out, bad_values[_i]), EA_EUSAGE);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EUSAGE), "fake option "));
    ea_error_clear();
}
END_TEST

/* 0s is a duration: the message says it must be more than zero and gives the option's range. */
START_TEST(test_a_zero_duration_names_the_range)
{
    const struct ea_collector *pipeline;
    json_t *out, *in = json_pack("{s:s}", "timeout", "0s");
    const char *msg;

    ck_assert_int_eq(ea_registry_find(&pipeline, "pipeline"), 0);
    ck_assert_int_eq(ea_options_check(&out, pipeline, in, NULL, 0), EA_EUSAGE);
    msg = ea_error_message(EA_EUSAGE);
    ck_assert_ptr_null(strstr(msg, "must be a duration"));
    ck_assert_ptr_nonnull(strstr(msg, "pipeline option timeout: must be more than zero"));
    ck_assert_ptr_nonnull(strstr(msg, "(1s to 1h)"));
    ea_error_clear();
    json_decref(in);
}
END_TEST

START_TEST(test_every_builtin_table_is_well_formed)
{
    for (const struct ea_collector *const *c = ea_registry_builtins(); *c; c++) {
        ck_assert_msg((*c)->options != NULL, "%s has no option table", (*c)->name);
        for (const struct ea_option *o = (*c)->options; o->name; o++) {
            size_t n = strlen(o->name);
            ck_assert_msg(strspn(o->name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n,
                          "%s.%s", (*c)->name, o->name);
            ck_assert(o->type >= EA_OPTION_STRING && o->type <= EA_OPTION_LIST);
            ck_assert_msg(o->doc && *o->doc, "%s.%s has no doc", (*c)->name, o->name);
            ck_assert_msg(ea_option_find(*c, o->name) == o, "%s.%s twice", (*c)->name, o->name);
        }
    }
}
END_TEST

/*
 * collect's shorthand flags come from the descriptors: each names an option of
 * its own collector's table, a fixed-value flag sets a value the option takes,
 * and a flag several collectors offer (--repo) is of one kind in all of them.
 */
START_TEST(test_every_builtin_shorthand_names_its_own_option)
{
    const struct ea_collector *const *b = ea_registry_builtins();

    for (size_t i = 0; b[i]; i++) {
        for (const struct ea_shorthand *s = b[i]->shorthands; s && s->flag; s++) {
            size_t n = strlen(s->flag);
            const struct ea_option *o = ea_option_find(b[i], s->option);
            ck_assert_msg(n && strspn(s->flag, "abcdefghijklmnopqrstuvwxyz0123456789-") == n,
                          "%s: --%s", b[i]->name, s->flag);
            ck_assert_msg(o != NULL, "%s: --%s sets no option of its table", b[i]->name, s->flag);
            ck_assert_msg(s->doc && *s->doc, "%s: --%s has no doc", b[i]->name, s->flag);
            ck_assert_msg(s->value ? !s->metavar : s->metavar != NULL, "%s: --%s", b[i]->name,
                          s->flag);
            if (s->value) {
                json_t *one = json_pack("{ss}", s->option, s->value), *checked = NULL;
                ck_assert_int_eq(ea_options_check(&checked, b[i], one, NULL, 0), 0);
                json_decref(checked);
                json_decref(one);
            }
            for (size_t j = 0; b[j]; j++)
                for (const struct ea_shorthand *t = b[j]->shorthands; t && t->flag; t++)
                    if (strcmp(t->flag, s->flag) == 0)
                        ck_assert_msg(!t->value == !s->value, "--%s: a flag in one, a value in "
                                      "another", s->flag);
        }
    }
}
END_TEST

/*
 * A table longer than the 24 slots the parser once had: every option is kept
 * (collect's shorthand flags come from the collectors, so its table grows),
 * and the last one is stored and read back, not written past an array.
 */
START_TEST(test_cli_a_table_of_any_length_keeps_its_last_option)
{
    enum { NOPTS = 40 };
    static char names[NOPTS][8];
    static struct ea_cli_opt big[NOPTS + 1];
    struct ea_cli_cmd cmd = {.name = "big", .usage = "", .summary = "", .opts = big};
    struct ea_cli_args a;
    char last[16], lastname[8];
    char *argv[] = {"big", last, "v", "--o0", "w", NULL};
    size_t n = 99;

    for (size_t i = 0; i < NOPTS; i++) {
        snprintf(names[i], sizeof(names[i]), "o%zu", i);
        big[i] = (struct ea_cli_opt){names[i], i == NOPTS - 1 ? EA_CLI_LIST : EA_CLI_VALUE, "V",
                                     "an option"};
    }
    snprintf(last, sizeof(last), "--o%d", NOPTS - 1);
    snprintf(lastname, sizeof(lastname), "o%d", NOPTS - 1);
    ck_assert_int_eq(ea_cli_parse(&a, &cmd, 5, argv), 0);
    ck_assert_str_eq(ea_cli_list(&a, &cmd, lastname, &n)[0], "v");
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(ea_cli_value(&a, &cmd, "o0"), "w");
    ck_assert(ea_cli_flag(&a, &cmd, lastname));
    ck_assert(!ea_cli_flag(&a, &cmd, "o1"));
    ea_cli_args_dispose(&a);
}
END_TEST

START_TEST(test_cli_an_absent_name_reads_as_not_given)
{
    static const struct ea_cli_opt small[] = {{"set", EA_CLI_LIST, "X", "x"}, {NULL, 0, NULL, NULL}};
    struct ea_cli_cmd cmd = {
        .name = "small", .usage = "", .summary = "", .opts = small, .max_args = SIZE_MAX};
    struct ea_cli_args a;
    char *argv[] = {"small", "--set", "a", NULL};
    size_t n = 99;

    ck_assert_int_eq(ea_cli_parse(&a, &cmd, 3, argv), 0);
    ck_assert_ptr_null(ea_cli_list(&a, &cmd, "nosuch", &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(ea_cli_value(&a, &cmd, "nosuch"));
    ck_assert(!ea_cli_flag(&a, &cmd, "nosuch"));
    ck_assert_str_eq(ea_cli_list(&a, &cmd, "set", &n)[0], "a");
    ck_assert_uint_eq(n, 1);
    ea_cli_args_dispose(&a);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("tables");

    tcase_add_test(tc, test_an_unknown_key_names_the_nearest_one);
    tcase_add_test(tc, test_values_are_typed_by_the_table);
    tcase_add_loop_test(tc, test_a_value_of_the_wrong_type_is_refused, 0,
                        sizeof(bad_values) / sizeof(bad_values[0]));
    tcase_add_test(tc, test_a_zero_duration_names_the_range);
    tcase_add_test(tc, test_every_builtin_table_is_well_formed);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_add_test(tc, test_every_builtin_shorthand_names_its_own_option);
    tcase_add_test(tc, test_cli_a_table_of_any_length_keeps_its_last_option);
    tcase_add_test(tc, test_cli_an_absent_name_reads_as_not_given);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(options_suite)
