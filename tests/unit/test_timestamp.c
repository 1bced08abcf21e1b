/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "timestamp": the companion object of a record's RFC 3161 token, and
 * the Merkle batches behind one token for many records: every leaf's path
 * leads to the root for every batch size, and a path moved to another leaf,
 * another size or cut short proves nothing. (The tokens themselves are
 * judged end to end against a real TSA in tests/cli/test_tsa.sh.)
 */
#include <string.h>

#include "timestamp.h"
#include "util/error.h"
#include "util/mem.h"
#include "testkit.h"

#define N_MAX 40

static void sig_hash(unsigned char out[EA_SHA256_LEN], size_t i)
{
    char text[32];
    snprintf(text, sizeof(text), "signature %zu", i);
    ea_sha256(out, text, strlen(text));
}

static void node(unsigned char out[EA_SHA256_LEN], const unsigned char *l, const unsigned char *r)
{
    unsigned char buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    ea_sha256(out, buf, sizeof(buf));
}

START_TEST(test_timestamp_tree_of_three_is_rfc9162s)
{
    unsigned char sig[3][EA_SHA256_LEN], leaf[3][EA_SHA256_LEN], root[EA_SHA256_LEN];
    unsigned char want[EA_SHA256_LEN], l01[EA_SHA256_LEN];
    unsigned char paths[3][EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN];
    size_t npaths[3];

    for (size_t i = 0; i < 3; i++) {
        sig_hash(sig[i], i);
        ea_timestamp_leaf(leaf[i], sig[i]);
    }
    ck_assert_int_eq(ea_timestamp_tree(root, (const unsigned char(*)[32])leaf, 3, paths, npaths),
                     0);
    node(l01, leaf[0], leaf[1]);
    node(want, l01, leaf[2]);
    ck_assert_mem_eq(root, want, 32);
    ck_assert_uint_eq(npaths[2], 1);
    ck_assert_mem_eq(paths[2][0], l01, 32);
    ck_assert_uint_eq(npaths[0], 2);
    ck_assert_mem_eq(paths[0][0], leaf[1], 32);
    ck_assert_mem_eq(paths[0][1], leaf[2], 32);
}
END_TEST

START_TEST(test_timestamp_every_path_leads_to_the_root_and_no_other_leaf_does)
{
    size_t n = (size_t)_i + 2;
    static unsigned char sig[N_MAX][EA_SHA256_LEN], leaf[N_MAX][EA_SHA256_LEN];
    static unsigned char paths[N_MAX][EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN];
    size_t npaths[N_MAX];
    unsigned char root[EA_SHA256_LEN], got[EA_SHA256_LEN];

    for (size_t i = 0; i < n; i++) {
        sig_hash(sig[i], i);
        ea_timestamp_leaf(leaf[i], sig[i]);
    }
    ck_assert_int_eq(ea_timestamp_tree(root, (const unsigned char(*)[32])leaf, n, paths, npaths),
                     0);
    for (size_t i = 0; i < n; i++) {
        struct ea_timestamp ts;
        memset(&ts, 0, sizeof(ts));
        ts.batched = true;
        ts.index = i;
        ts.size = n;
        ts.npath = npaths[i];
        memcpy(ts.path, paths[i], sizeof(ts.path));
        ck_assert_int_eq(ea_timestamp_expected_imprint(got, &ts, sig[i]), 0);
        ck_assert_mem_eq(got, root, 32);
        /* another record's signature with this path */
        if (ea_timestamp_expected_imprint(got, &ts, sig[(i + 1) % n]) == 0)
            ck_assert_mem_ne(got, root, 32);
        ea_error_clear();
        /* the path claimed for another place in the tree */
        ts.index = (i + 1) % n;
        if (ea_timestamp_expected_imprint(got, &ts, sig[i]) == 0) ck_assert_mem_ne(got, root, 32);
        ea_error_clear();
        ts.index = i;
        /* cut short */
        if (ts.npath) {
            ts.npath--;
            if (ea_timestamp_expected_imprint(got, &ts, sig[i]) == 0)
                ck_assert_mem_ne(got, root, 32);
            ea_error_clear();
        }
    }
}
END_TEST

START_TEST(test_timestamp_companion_round_trips_and_names_its_key)
{
    unsigned char sig[EA_SHA256_LEN], nonce[8] = {0x12, 1, 2, 3, 4, 5, 6, 7};
    unsigned char path[2][EA_SHA256_LEN];
    const unsigned char resp[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    const char *id = "ab34567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef";
    char key[EA_TIMESTAMP_KEY_LEN + 1];
    struct ea_timestamp ts;
    char *text = NULL;
    size_t len = 0;

    sig_hash(sig, 7);
    memset(path[0], 0xaa, 32);
    memset(path[1], 0xbb, 32);
    ck_assert_int_eq(ea_timestamp_build(&text, &len, id, sig, "http://tsa.example/", nonce, 8, 3,
                                        5, (const unsigned char(*)[32])path, 2, resp,
                                        sizeof(resp)),
                     0);
    ck_assert_int_eq(ea_timestamp_parse(&ts, text, len), 0);
    ck_assert_str_eq(ts.record, id);
    ck_assert(ts.batched);
    ck_assert_uint_eq(ts.index, 3);
    ck_assert_uint_eq(ts.size, 5);
    ck_assert_uint_eq(ts.npath, 2);
    ck_assert_mem_eq(ts.path[1], path[1], 32);
    ck_assert_uint_eq(ts.nonce_len, 8);
    ck_assert_mem_eq(ts.nonce, nonce, 8);
    ck_assert_uint_eq(ts.response_len, sizeof(resp));
    ea_timestamp_dispose(&ts);
    ea_free(text);

    ea_timestamp_key(key, id);
    ck_assert_str_eq(key, "timestamps/ab/ab34567890abcdef1234567890abcdef1234567890abcdef12345678"
                          "90abcdef.json");
    ck_assert(ea_timestamp_key_ok(key));
    key[12] = 'c'; /* filed under another prefix */
    ck_assert(!ea_timestamp_key_ok(key));
    ck_assert(!ea_timestamp_key_ok("timestamps/ab/../x.json"));
}
END_TEST

START_TEST(test_timestamp_a_companion_for_another_record_is_refused)
{
    unsigned char sig[EA_SHA256_LEN], nonce[8] = {1};
    const unsigned char resp[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    const char *id = "ab34567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef";
    struct ea_timestamp ts;
    struct ea_timestamp_info info;
    char *text = NULL;
    size_t len = 0;

    sig_hash(sig, 1);
    ck_assert_int_eq(ea_timestamp_build(&text, &len, id, sig, "http://t/", nonce, 8, 0, 1, NULL,
                                        0, resp, sizeof(resp)),
                     0);
    ck_assert_int_eq(ea_timestamp_parse(&ts, text, len), 0);
    ck_assert(!ts.batched);
    ck_assert_int_eq(ea_timestamp_verify(&info, &ts, "cd" "34567890abcdef1234567890abcdef1234567890"
                                                     "abcdef1234567890abcdef",
                                         sig, NULL, NULL),
                     EA_EVERIFY);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EVERIFY), "swapped between records"));
    ea_error_clear();
    /* its own record, but the response is no TimeStampResp */
    ck_assert_int_eq(ea_timestamp_verify(&info, &ts, id, sig, NULL, NULL), EA_EVERIFY);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EVERIFY), "not a DER TimeStampResp"));
    ea_error_clear();
    ea_timestamp_dispose(&ts);
    ea_free(text);
}
END_TEST

static const struct {
    const char *text;
    const char *error;
} bad[] = {
    {"[]", "not a JSON object"},
    {"{\"type\":\"x\"}", "\"type\""},
    {"{\"type\":\"application/vnd.evidence-agent.timestamp.v1+json\",\"record\":\"AB\"}",
     "\"record\""},
    {"{\"type\":\"application/vnd.evidence-agent.timestamp.v1+json\",\"record\":"
     "\"ab34567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef\","
     "\"signature_sha256\":\"00\"}",
     "\"signature_sha256\""},
};

START_TEST(test_timestamp_malformed_companions_name_the_field)
{
    struct ea_timestamp ts;
    int rc = ea_timestamp_parse(&ts, bad[_i].text, strlen(bad[_i].text));

    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_msg(strstr(ea_error_message(rc), bad[_i].error) != NULL, "%s: %s", bad[_i].text,
                  ea_error_message(rc));
    ea_error_clear();
    ea_timestamp_dispose(&ts);
}
END_TEST

static Suite *timestamp_suite(void)
{
    Suite *s = suite_create("timestamp");
    TCase *tc = tcase_create("merkle");

    tcase_add_test(tc, test_timestamp_tree_of_three_is_rfc9162s);
    tcase_add_loop_test(tc, test_timestamp_every_path_leads_to_the_root_and_no_other_leaf_does, 0,
                        N_MAX - 1);
    suite_add_tcase(s, tc);
    tc = tcase_create("companion");
    tcase_add_test(tc, test_timestamp_companion_round_trips_and_names_its_key);
    tcase_add_test(tc, test_timestamp_a_companion_for_another_record_is_refused);
    tcase_add_loop_test(tc, test_timestamp_malformed_companions_name_the_field, 0,
                        sizeof(bad) / sizeof(bad[0]));
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(timestamp_suite)
