/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "redact": each kind of secret is masked in free text, in key/value
 * pairs, in JSON strings and keys; ordinary text that looks a little like a
 * secret is left alone; counts are right; literals, add-mask values and a
 * private key split over stream chunks are masked. Failure messages never
 * print a secret: they say which case failed.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "redact.h"
#include "testkit.h"
#include "util/mem.h"

#define GH "ghp_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5"
#define AWS "AKIAIOSFODNN7EXAMPLE"

static struct ea_redactor *r;

static void setup(void)
{
    ck_assert_int_eq(ea_redactor_new(&r), 0);
}

static void teardown(void)
{
    ea_redactor_free(r);
    r = NULL;
}

static char *redact(const char *in, unsigned *count)
{
    struct ea_buf b;

    ea_buf_init(&b, 0);
    ck_assert_int_eq(ea_redact_text(r, NULL, &b, in, strlen(in), count), 0);
    if (!b.data) ea_buf_append(&b, "", 0);
    return ea_buf_take(&b, NULL);
}

static const struct {
    const char *in;
    const char *secret; /* must be gone */
    const char *kept;   /* must remain */
    const char *kind;
} masked[] = {
    {"push with " GH " now", "CANARYa1b2", "push with ", "github-token"},
    {"token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "11ABCDEFG", "token ",
     "github-token"},
    {"GITLAB=glpat-CANARY0123456789abcdef", "CANARY0123", "GITLAB=", "gitlab-token"},
    {"hook xoxb-123456789012-abcdefCANARY", "abcdefCANARY", "hook ", "slack-token"},
    {"stripe sk_live_CANARY0123456789abcdefghij", "CANARY0123", "stripe ", "stripe-key"},
    {"key=AIzaSyCANARY0123456789abcdefghijklmnopq", "SyCANARY", "key=", "google-api-key"},
    {"id " AWS " used", "IOSFODNN7", " used", "aws-access-key"},
    {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY", "wJalrXUtn",
     "aws_secret_access_key = ", "password-pair"},
    {"{\"SecretAccessKey\": \"wJalrXUtnFEMICANARY\"}", "wJalrXUtn", "SecretAccessKey", NULL},
    {"DB_PASSWORD=hunter2CANARY ok", "hunter2", " ok", "password-pair"},
    {"password: 'CANARY pass phrase' end", "pass phrase", " end", "password-pair"},
    {"curl https://deploy:CANARYpw@example.com/x", "CANARYpw", "@example.com/x", "url-password"},
    {"git clone https://x-access-token:CANARYtok@github.com/o/r", "CANARYtok", "github.com",
     "url-password"},
    {"Authorization: Bearer CANARYbearer123", "CANARYbearer", "Authorization:", "authorization"},
    {"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ end", "eyJzdWIi",
     " end", "jwt"},
    {"::add-mask::CANARYmasked\nnext", "CANARYmasked", "next", "add-mask"},
    {"a\n-----BEGIN RSA PRIVATE KEY-----\nMIIECANARY\n-----END RSA PRIVATE KEY-----\nb",
     "MIIECANARY", "\nb", "private-key"},
    {"-----BEGIN PRIVATE KEY-----\nMIIECANARY never ends", "MIIECANARY", "", "private-key"},
};

START_TEST(test_each_kind_of_secret_is_masked)
{
    unsigned count = 0;
    char *out = redact(masked[_i].in, &count);
    char kind[64];

    ck_assert_msg(strstr(out, masked[_i].secret) == NULL, "case %d: secret left", _i);
    ck_assert_msg(strstr(out, masked[_i].kept) != NULL, "case %d: context lost", _i);
    ck_assert_msg(count >= 1, "case %d: not counted", _i);
    if (masked[_i].kind) {
        snprintf(kind, sizeof(kind), "[REDACTED:%s]", masked[_i].kind);
        ck_assert_msg(strstr(out, kind) != NULL, "case %d: wrong kind", _i);
    }
    ea_free(out);
}
END_TEST

static const char *const ordinary[] = {
    "commit 1ecfd275763eff1d6b4844ea3168962458c9f27a",
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "tokenizer=fast mode=ci",
    "see https://example.com/a:b and http://host:8080/path",
    "the password field is required",
    "time 12:30:45 level=info",
    "ghp_short",
    "AKIA lowercase akiaiosfodnn7example",
    "password=",
    "",
};

START_TEST(test_ordinary_text_is_left_alone)
{
    unsigned count = 0;
    char *out = redact(ordinary[_i], &count);

    ck_assert_str_eq(out, ordinary[_i]);
    ck_assert_uint_eq(count, 0);
    ea_free(out);
}
END_TEST

START_TEST(test_literals_and_counts)
{
    unsigned count = 0;
    char *out;

    ck_assert_int_eq(ea_redactor_add_literal(r, "abc", 3), EA_EINPUT);
    ck_assert_int_eq(ea_redactor_add_literal(r, "s3cr3t-value", 12), 0);
    out = redact("x s3cr3t-value y s3cr3t-value " GH, &count);
    ck_assert_str_eq(out, "x [REDACTED:literal] y [REDACTED:literal] [REDACTED:github-token]");
    ck_assert_uint_eq(count, 3);
    ea_free(out);
}
END_TEST

START_TEST(test_add_mask_registers_the_value_for_later_lines)
{
    static const char line[] = "::add-mask::later-CANARY-value";
    unsigned count = 0;
    char *out;

    ck_assert_int_eq(ea_redactor_scan_add_mask(r, line, strlen(line)), 1);
    ck_assert_int_eq(ea_redactor_scan_add_mask(r, "plain", 5), 0);
    out = redact("echo later-CANARY-value", &count);
    ck_assert_msg(strstr(out, "CANARY") == NULL, "add-mask value left");
    ea_free(out);
}
END_TEST

START_TEST(test_a_private_key_split_over_chunks_is_masked_whole)
{
    static const char *chunks[] = {"start\n-----BEGIN EC PRIVATE KEY-----\nAAAA",
                                   "CANARYmiddle\nBBBB\n",
                                   "-----END EC PRIVATE KEY-----\nafter\n"};
    struct ea_redact_stream st = {false};
    struct ea_buf b;
    unsigned count = 0;

    ea_buf_init(&b, 0);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(ea_redact_text(r, &st, &b, chunks[k], strlen(chunks[k]), &count), 0);
    ck_assert_msg(strstr(b.data, "CANARY") == NULL && strstr(b.data, "BBBB") == NULL,
                  "key material left");
    ck_assert_ptr_nonnull(strstr(b.data, "after"));
    ck_assert_ptr_nonnull(strstr(b.data, "start"));
    ck_assert(!st.in_private_key);
    ea_buf_dispose(&b);
}
END_TEST

START_TEST(test_json_strings_and_keys_are_redacted_in_place)
{
    json_t *doc = json_pack("{s:s, s:[s, i], s:{s:s}}", "log", "token=" GH, "list",
                            "ok " AWS, 5, "nested", GH, "value");
    unsigned count = 0;
    char *text;

    ck_assert_int_eq(ea_redact_json(r, doc, &count), 0);
    text = json_dumps(doc, 0);
    ck_assert_msg(strstr(text, "CANARY") == NULL && strstr(text, "IOSFODNN") == NULL,
                  "secret left in JSON");
    ck_assert_uint_eq(count, 3);
    ck_assert_ptr_nonnull(strstr(text, "\"value\""));
    free(text);
    json_decref(doc);
}
END_TEST

START_TEST(test_invalid_utf8_and_large_input)
{
    struct ea_buf in, out;
    unsigned count = 0;

    ea_buf_init(&in, 0);
    ea_buf_init(&out, 0);
    for (int i = 0; i < 20000; i++) {
        ck_assert_int_eq(ea_buf_printf(&in, "line %d \xff\xfe ordinary text key=value\n", i), 0);
        if (i % 1000 == 0) ck_assert_int_eq(ea_buf_puts(&in, "secret: " GH "\n"), 0);
    }
    ck_assert_int_eq(ea_redact_text(r, NULL, &out, in.data, in.len, &count), 0);
    ck_assert_uint_eq(count, 20);
    ck_assert_msg(memmem(out.data, out.len, "CANARY", 6) == NULL, "secret left");
    ea_buf_dispose(&in);
    ea_buf_dispose(&out);
}
END_TEST

static Suite *redact_suite(void)
{
    Suite *s = suite_create("redact");
    TCase *tc = tcase_create("patterns");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_each_kind_of_secret_is_masked, 0,
                        sizeof(masked) / sizeof(masked[0]));
    tcase_add_loop_test(tc, test_ordinary_text_is_left_alone, 0,
                        sizeof(ordinary) / sizeof(ordinary[0]));
    tcase_add_test(tc, test_literals_and_counts);
    tcase_add_test(tc, test_add_mask_registers_the_value_for_later_lines);
    tcase_add_test(tc, test_a_private_key_split_over_chunks_is_masked_whole);
    tcase_add_test(tc, test_json_strings_and_keys_are_redacted_in_place);
    tcase_add_test(tc, test_invalid_utf8_and_large_input);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(redact_suite)
