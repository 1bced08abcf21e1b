/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "store": the file backend against the store contract: one object
 * per control under controls/<id>/<YYYY>/<MM>/<DD>/<time>_<id>.json,
 * idempotent puts, time-ordered listing that prunes by day, bounded and
 * confined gets, stream heads, private permissions, and clear errors for a
 * missing or unusable store. New backends add themselves to `backends`.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "store/store.h"
#include "testkit.h"
#include "util/hash.h"
#include "util/mem.h"

static char *tmp;
static struct ea_store *st;

static void setup(void)
{
    char url[4200];

    tmp = ea_test_tmpdir();
    snprintf(url, sizeof(url), "%s/store", tmp);
    ck_assert_int_eq(ea_store_open(&st, url, EA_STORE_CREATE), 0);
}

static void teardown(void)
{
    ea_store_close(st);
    ea_test_tmpdir_free(tmp);
    st = NULL;
    tmp = NULL;
}

/* A fake envelope: the store does not parse what it stores. */
static void make_env(struct ea_envelope *env, const char *body, int64_t t, const char *c1,
                     const char *c2)
{
    memset(env, 0, sizeof(*env));
    ea_sha256_hex(env->id, body, strlen(body));
    env->json = ea_strdup(body);
    env->json_len = strlen(body);
    env->time_us = t;
    ea_control_set_put(&env->controls, ea_controls_find(c1)->id);
    if (c2) ea_control_set_put(&env->controls, ea_controls_find(c2)->id);
    snprintf(env->stream, sizeof(env->stream), "s");
    env->sequence = 1;
}

struct seen {
    char keys[16][EA_STORE_KEY_MAX];
    int n;
};

static int collect_keys(const struct ea_store_entry *e, void *payload)
{
    struct seen *s = payload;
    if (s->n < 16) snprintf(s->keys[s->n++], EA_STORE_KEY_MAX, "%s", e->key);
    return 0;
}

#define DAY (86400LL * 1000000LL)
static const int64_t T0 = 1795000000123456LL; /* 2026-11-18T11:06:40.123456Z */

START_TEST(test_put_files_one_copy_per_control_in_the_documented_layout)
{
    struct ea_envelope env;
    struct seen s = {.n = 0};
    struct ea_query all = {NULL, INT64_MIN, INT64_MAX};
    char path[4300];
    struct stat sb;
    struct ea_buf b;

    make_env(&env, "{\"a\":1}", T0, "A.8.32", "A.5.3");
    ck_assert_int_eq(ea_store_put(st, &env), 0);
    ck_assert_int_eq(ea_store_put(st, &env), 0); /* idempotent within a batch */
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_store_put(st, &env), 0); /* and across batches */
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_store_list(st, &all, collect_keys, &s), 0);
    ck_assert_int_eq(s.n, 2);
    snprintf(path, sizeof(path), "controls/A.8.32/2026/11/18/20261118T110640.123456Z_%s.json",
             env.id);
    ck_assert(strcmp(s.keys[0], path) == 0 || strcmp(s.keys[1], path) == 0);
    snprintf(path, sizeof(path), "%s/store/controls/A.8.32/2026/11/18/20261118T110640.123456Z_%s.json",
             tmp, env.id);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/store/controls/A.8.32/2026", tmp);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    ck_assert_int_eq(ea_store_get(st, s.keys[0], &b), 0);
    ck_assert_str_eq(b.data, "{\"a\":1}");
    ea_buf_dispose(&b);
    ck_assert_int_eq(ea_test_sh("test $(find '%s/store' -type f | wc -l) -eq 2", tmp), 0);
    ea_envelope_dispose(&env);
}
END_TEST

START_TEST(test_list_is_time_ordered_and_bounded_by_the_query)
{
    struct ea_envelope e[4];
    struct seen s = {.n = 0};
    struct ea_query q = {"A.8.32", T0 - DAY / 2, T0 + DAY + 1};
    int64_t times[4] = {T0 + DAY, T0 - 40 * DAY, T0, T0 + 400 * DAY};
    char body[32];

    for (int i = 0; i < 4; i++) {
        snprintf(body, sizeof(body), "{\"n\":%d}", i);
        make_env(&e[i], body, times[i], "A.8.32", NULL);
        ck_assert_int_eq(ea_store_put(st, &e[i]), 0);
    }
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_store_list(st, &q, collect_keys, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_ptr_nonnull(strstr(s.keys[0], e[2].id));
    ck_assert_ptr_nonnull(strstr(s.keys[1], e[0].id));
    s.n = 0;
    q.control = "A.5.1";
    ck_assert_int_eq(ea_store_list(st, &q, collect_keys, &s), 0);
    ck_assert_int_eq(s.n, 0);
    for (int i = 0; i < 4; i++) ea_envelope_dispose(&e[i]);
}
END_TEST

static int stop_early(const struct ea_store_entry *e, void *payload)
{
    (void)e;
    (void)payload;
    return ea_fail(EA_EIO, "stop");
}

START_TEST(test_list_stops_with_the_callbacks_error)
{
    struct ea_envelope env;
    struct ea_query all = {NULL, INT64_MIN, INT64_MAX};

    make_env(&env, "{}", T0, "A.8.32", NULL);
    ck_assert_int_eq(ea_store_put(st, &env), 0);
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_store_list(st, &all, stop_early, NULL), EA_EIO);
    ea_envelope_dispose(&env);
}
END_TEST

START_TEST(test_get_refuses_keys_outside_the_store)
{
    static const char *keys[] = {"../etc/passwd", "controls/../../x", "/etc/passwd",
                                 "controls//x", "other/x", "controls/A.8.32/./x"};
    struct ea_buf b;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ck_assert_int_eq(ea_store_get(st, keys[i], &b), EA_EINPUT);
        ea_buf_dispose(&b);
    }
}
END_TEST

struct walked {
    char keys[16][EA_STORE_KEY_MAX];
    enum ea_store_kind kinds[16];
    int n;
};

static int walk_cb(const struct ea_store_object *o, void *payload)
{
    struct walked *w = payload;
    if (w->n < 16) {
        snprintf(w->keys[w->n], EA_STORE_KEY_MAX, "%s", o->key);
        w->kinds[w->n++] = o->kind;
    }
    return 0;
}

START_TEST(test_stream_heads_are_stored_as_signed_and_unsigned_ones_refused)
{
    struct ea_stream_head h = {"agent.20261118T110640Z.0a0b0c0d", 6, "old", "{\"v\":1}", 7};
    struct walked w = {.n = 0};
    struct ea_buf b;

    ck_assert_int_eq(ea_store_put_stream(st, &h), 0);
    ck_assert_int_eq(ea_store_sync(st), 0);
    h.envelope = "{\"v\":2}";
    ck_assert_int_eq(ea_store_put_stream(st, &h), 0);
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_store_walk(st, walk_cb, &w), 0);
    ck_assert_int_eq(w.n, 1);
    ck_assert_str_eq(w.keys[0], "streams/agent.20261118T110640Z.0a0b0c0d.json");
    ck_assert_int_eq(ea_store_get(st, w.keys[0], &b), 0);
    ck_assert_str_eq(b.data, "{\"v\":2}\n"); /* the envelope as given, and a newline */
    ea_buf_dispose(&b);
    h.envelope = NULL; /* unsigned */
    ck_assert_int_eq(ea_store_put_stream(st, &h), EA_EINPUT);
    ea_error_clear();
    h.envelope = "{}";
    h.stream = "../escape";
    ck_assert_int_eq(ea_store_put_stream(st, &h), EA_EINPUT);
    ea_error_clear();
}
END_TEST

START_TEST(test_walk_reports_every_object_and_never_follows_links)
{
    struct walked w = {.n = 0};

    ck_assert_int_eq(ea_store_put_object(st, "checkpoints/a/000000000001.json", "{}\n", 3), 0);
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_store_put_object(st, "streams/x.json", "{}", 2), EA_EINPUT);
    ea_error_clear();
    ck_assert_int_eq(ea_test_sh("cd '%s/store' && mkdir -p outside/d && touch outside/d/f .hidden "
                                "&& ln -s /dev/zero zero.json && ln -s outside/d linkdir && "
                                "mkfifo fifo.json",
                                tmp),
                     0);
    ck_assert_int_eq(ea_store_walk(st, walk_cb, &w), 0);
    ck_assert_int_eq(w.n, 6);
    ck_assert_str_eq(w.keys[0], ".hidden");
    ck_assert_str_eq(w.keys[1], "checkpoints/a/000000000001.json");
    ck_assert_int_eq(w.kinds[1], EA_STORE_FILE);
    ck_assert_str_eq(w.keys[2], "fifo.json");
    ck_assert_int_eq(w.kinds[2], EA_STORE_SPECIAL);
    ck_assert_str_eq(w.keys[3], "linkdir"); /* a link to a folder: reported, not entered */
    ck_assert_int_eq(w.kinds[3], EA_STORE_LINK);
    ck_assert_str_eq(w.keys[4], "outside/d/f");
    ck_assert_str_eq(w.keys[5], "zero.json");
    ck_assert_int_eq(w.kinds[5], EA_STORE_LINK);
}
END_TEST

START_TEST(test_opening_a_missing_or_unusable_store_says_what_to_do)
{
    struct ea_store *s2 = NULL;
    char path[4200];
    int rc;

    snprintf(path, sizeof(path), "%s/nowhere", tmp);
    rc = ea_store_open(&s2, path, 0);
    ck_assert_int_eq(rc, EA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "collect"));
    ck_assert_ptr_null(s2);
    snprintf(path, sizeof(path), "%s/afile", tmp);
    ck_assert_int_eq(ea_test_write(path, "x"), 0);
    rc = ea_store_open(&s2, path, 0);
    ck_assert_int_eq(rc, EA_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "not a folder"));
    rc = ea_store_open(&s2, "ftp://example/x", 0);
    ck_assert_int_eq(rc, EA_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "unknown store scheme"));
    /* issue 15: a URL parameter the backend does not read is refused, not ignored */
    rc = ea_store_open(&s2, "s3://b/p?endpoint=http://127.0.0.1:1&object_lock_mod=GOVERNANCE", 0);
    ck_assert_int_eq(rc, EA_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "'object_lock_mod' (did you mean "
                                                       "'object_lock_mode'?"));
    ck_assert_ptr_null(s2);
    ck_assert_int_eq(ea_store_check_url("https://central:9464?token_env=T&insecur=1"), EA_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EUSAGE), "'insecur'"));
    ck_assert_int_eq(ea_store_check_url("s3://b/p?region=r&path_style=1&max_keys=5"), 0);
    ea_error_clear();
    snprintf(path, sizeof(path), "file://%s/store", tmp);
    ck_assert_int_eq(ea_store_open(&s2, path, 0), 0);
    ea_store_close(s2);
    if (geteuid() != 0) { /* root reads anything: permission checks only bite others */
        snprintf(path, sizeof(path), "%s/locked", tmp);
        ck_assert_int_eq(mkdir(path, 0), 0);
        rc = ea_store_open(&s2, path, 0);
        ck_assert_int_eq(rc, EA_EIO);
        ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "permissions"));
        chmod(path, 0700);
    }
}
END_TEST

START_TEST(test_stray_files_are_not_listed_as_records)
{
    struct ea_envelope env;
    struct seen s = {.n = 0};
    struct ea_query all = {NULL, INT64_MIN, INT64_MAX};

    make_env(&env, "{}", T0, "A.8.32", NULL);
    ck_assert_int_eq(ea_store_put(st, &env), 0);
    ck_assert_int_eq(ea_store_sync(st), 0);
    ck_assert_int_eq(ea_test_sh("mkdir -p '%s/store/controls/A.8.32/2026/11/18' '%s/store/controls/A.99' "
                                "&& touch '%s/store/controls/A.8.32/2026/11/18/notes.json' "
                                "'%s/store/controls/A.8.32/2026/11/18/x.json.tmp.1'",
                                tmp, tmp, tmp, tmp),
                     0);
    ck_assert_int_eq(ea_store_list(st, &all, collect_keys, &s), 0);
    ck_assert_int_eq(s.n, 1);
    ea_envelope_dispose(&env);
}
END_TEST

START_TEST(test_staged_objects_are_invisible_until_sync_and_dropped_on_close)
{
    struct ea_envelope env;
    struct seen s = {.n = 0};
    struct ea_query all = {NULL, INT64_MIN, INT64_MAX};

    make_env(&env, "{\"staged\":1}", T0, "A.8.32", NULL);
    ck_assert_int_eq(ea_store_put(st, &env), 0);
    ck_assert_int_eq(ea_store_list(st, &all, collect_keys, &s), 0);
    ck_assert_int_eq(s.n, 0);
    ea_store_close(st); /* never synced: not stored, and no temp file left */
    st = NULL;
    ck_assert_int_eq(ea_test_sh("test -z \"$(find '%s/store' -type f)\"", tmp), 0);
    ea_envelope_dispose(&env);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("file");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_put_files_one_copy_per_control_in_the_documented_layout);
    tcase_add_test(tc, test_list_is_time_ordered_and_bounded_by_the_query);
    tcase_add_test(tc, test_list_stops_with_the_callbacks_error);
    tcase_add_test(tc, test_get_refuses_keys_outside_the_store);
    tcase_add_test(tc, test_stream_heads_are_stored_as_signed_and_unsigned_ones_refused);
    tcase_add_test(tc, test_walk_reports_every_object_and_never_follows_links);
    tcase_add_test(tc, test_opening_a_missing_or_unusable_store_says_what_to_do);
    tcase_add_test(tc, test_stray_files_are_not_listed_as_records);
    tcase_add_test(tc, test_staged_objects_are_invisible_until_sync_and_dropped_on_close);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(store_suite)
