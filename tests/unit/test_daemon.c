/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "daemon": the spool (a writer's sync commits one batch; batches list
 * oldest first, read back as the records and heads put, and are removed or
 * rejected; counters survive a reopen; tags mark drop-folder sources; a
 * crash's temporary files are cleaned) and the configuration file (defaults,
 * relative paths, every error with file, line and column).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/dconfig.h"
#include "daemon/spool.h"
#include "util/error.h"
#include "pipeline.h"
#include "testkit.h"
#include "util/fs.h"
#include "util/mem.h"

static struct ea_key *key;
static char *tmp;

static void setup(void)
{
    ck_assert_int_eq(ea_controls_init(), 0);
    ck_assert_int_eq(ea_key_generate(&key), 0);
    tmp = ea_test_tmpdir();
}

static void teardown(void)
{
    ea_key_free(key);
    ea_test_tmpdir_free(tmp);
    key = NULL;
    tmp = NULL;
}

static const char *const defaults[] = {"A.8.32", NULL};

static const struct ea_collector fake = {
    EA_COLLECTOR_HEADER,
    "fake",
    "1.0.0",
    "test collector",
    NULL,
    (const char *const[]){"custom", NULL},
    defaults,
    NULL,
    NULL,
    NULL,
    NULL,
    0,
    NULL,
};

/* Puts n signed records (one stream) through a pipeline into store, and flushes. */
static void make_records(struct ea_store *store, int n, const char *stream)
{
    struct ea_pipeline p;
    struct ea_fact f = EA_FACT_INIT;

    f.kind = "custom";
    f.subject_name = "thing";
    f.subject_digest_alg = "sha256";
    f.subject_digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    f.source_system = "local";
    f.raw = "abc";
    f.raw_len = 3;
    f.result = EA_RESULT_PASS;
    f.summary = "A thing happened.";
    ea_pipeline_init(&p, &(struct ea_pipeline_opts){
                             .key = key, .store = store, .agent_id = "t", .stream = stream});
    f.data = json_object();
    for (int i = 0; i < n; i++) {
        int rc = ea_pipeline_fact(&p, &fake, defaults, &f);
        ck_assert_msg(rc == 0, "%s", ea_error_message(rc));
    }
    json_decref(f.data);
    ck_assert_int_eq(ea_pipeline_flush(&p), 0);
}

START_TEST(test_spool_commits_lists_reads_and_removes_batches)
{
    char dir[4200];
    struct ea_spool *sp;
    struct ea_store *w;
    struct ea_spool_stats st;
    struct ea_spool_batch b;
    char **names;
    size_t n;

    snprintf(dir, sizeof(dir), "%s/spool", tmp);
    ck_assert_int_eq(ea_spool_open(&sp, dir, 1 << 20), 0);
    ck_assert_int_eq(ea_spool_writer(sp, &w), 0);
    make_records(w, 3, "s1");
    make_records(w, 1, "s2");
    ea_store_close(w);
    ea_spool_stats(sp, &st);
    /* each flush: the records' batch, then the head's batch */
    ck_assert_uint_eq(st.batches, 4);
    ck_assert_uint_eq(st.records, 4);
    ck_assert(st.bytes > 0 && !ea_spool_full(sp));

    ck_assert_int_eq(ea_spool_list(sp, &names, &n), 0);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 1; i < n; i++) ck_assert(strcmp(names[i - 1], names[i]) < 0);
    ck_assert_int_eq(ea_spool_read(sp, names[0], &b), 0);
    ck_assert_uint_eq(b.n, 3);
    ck_assert(!b.items[0].is_head && b.items[0].env.sequence == 1);
    ck_assert_str_eq(b.items[2].env.stream, "s1");
    ea_spool_batch_dispose(&b);
    ck_assert_int_eq(ea_spool_read(sp, names[1], &b), 0);
    ck_assert(b.n == 1 && b.items[0].is_head);
    ck_assert_str_eq(b.items[0].head.stream, "s1");
    ck_assert_uint_eq(b.items[0].head.sequence, 3);
    ck_assert_int_eq(ea_spool_remove(sp, &b), 0);
    ea_spool_batch_dispose(&b);
    ea_fs_names_free(names, n);
    ea_spool_close(sp);

    /* reopened: the counters come back from the names and sizes */
    ck_assert_int_eq(ea_spool_open(&sp, dir, 100), 0);
    ea_spool_stats(sp, &st);
    ck_assert_uint_eq(st.batches, 3);
    ck_assert_uint_eq(st.records, 4);
    ck_assert_msg(ea_spool_full(sp), "a 100-byte limit is passed");
    ea_spool_close(sp);
}
END_TEST

START_TEST(test_spool_rejects_unreadable_batches_and_cleans_temporaries)
{
    char dir[4200], path[4400];
    struct ea_spool *sp;
    struct ea_spool_batch b;
    struct ea_spool_stats st;
    char **names;
    size_t n;

    snprintf(dir, sizeof(dir), "%s/spool", tmp);
    ck_assert_int_eq(ea_spool_open(&sp, dir, 0), 0);
    ea_spool_close(sp);
    snprintf(path, sizeof(path), "%s/pending/00000000000000001-abcdef01-1.batch", dir);
    ck_assert_int_eq(ea_test_write(path, "E {\"not\": \"an envelope\"}\n"), 0);
    snprintf(path, sizeof(path), "%s/pending/00000000000000002-abcdef01-1.batch.tmp.99", dir);
    ck_assert_int_eq(ea_test_write(path, "half"), 0);
    snprintf(path, sizeof(path), "%s/pending/README", dir);
    ck_assert_int_eq(ea_test_write(path, "not a batch"), 0);
    ck_assert_int_eq(ea_spool_open(&sp, dir, 0), 0);
    snprintf(path, sizeof(path), "%s/pending/00000000000000002-abcdef01-1.batch.tmp.99", dir);
    ck_assert_msg(access(path, F_OK) != 0, "a crash's temporary file is removed");
    ck_assert_int_eq(ea_spool_list(sp, &names, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(ea_spool_read(sp, names[0], &b), EA_EVERIFY);
    ea_error_clear();
    ea_spool_batch_dispose(&b);
    ck_assert_int_eq(ea_spool_reject(sp, names[0], "unreadable"), 0);
    snprintf(path, sizeof(path), "%s/rejected/%s.reason", dir, names[0]);
    ck_assert_msg(access(path, F_OK) == 0, "the reason is kept beside the batch");
    ea_spool_stats(sp, &st);
    ck_assert_uint_eq(st.batches, 0);
    ea_fs_names_free(names, n);
    ea_spool_close(sp);
}
END_TEST

/* A batch spooled before heads were signed: its records still ship, its unsigned head does not. */
START_TEST(test_a_spooled_unsigned_head_of_an_older_version_is_left_out_not_the_batch)
{
    static const char text[] =
        "H {\"stream\":\"s\",\"sequence\":1,\"last_id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaa\"}\n";
    static const char forged[] = "H {\"payloadType\":\"x\"}\n";
    struct ea_spool_batch b;

    ck_assert_int_eq(
        ea_spool_parse(&b, "00000000000000001-0a0b0c0d-0.batch", text, sizeof(text) - 1), 0);
    ck_assert_uint_eq(b.n, 1);
    ck_assert(b.items[0].is_head && b.items[0].head.envelope == NULL);
    ea_spool_batch_dispose(&b);
    /* a forged head is not mistaken for one */
    ck_assert_int_eq(
        ea_spool_parse(&b, "00000000000000001-0a0b0c0d-0.batch", forged, strlen(forged)),
        EA_EVERIFY);
    ea_error_clear();
    ea_spool_batch_dispose(&b);
}
END_TEST

START_TEST(test_spool_tags_mark_sources_until_pruned)
{
    static const char tag[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char dir[4200];
    struct ea_spool *sp;
    struct ea_store *w;
    struct ea_spool_batch b;
    char **names;
    size_t n;

    snprintf(dir, sizeof(dir), "%s/spool", tmp);
    ck_assert_int_eq(ea_spool_open(&sp, dir, 0), 0);
    ck_assert(!ea_spool_tag_seen(sp, tag));
    ck_assert_int_eq(ea_spool_writer(sp, &w), 0);
    ea_spool_writer_tag(w, tag);
    make_records(w, 2, "s1");
    ea_store_close(w);
    ck_assert_msg(ea_spool_tag_seen(sp, tag), "a pending tagged batch is seen");
    ck_assert_int_eq(ea_spool_list(sp, &names, &n), 0);
    ck_assert_uint_eq(n, 2); /* the tagged records, then the untagged head */
    ck_assert_int_eq(ea_spool_read(sp, names[0], &b), 0);
    ck_assert_str_eq(b.tag, tag);
    ck_assert_int_eq(ea_spool_remove(sp, &b), 0);
    ea_spool_batch_dispose(&b);
    ck_assert_msg(ea_spool_tag_seen(sp, tag), "a shipped tagged batch leaves its marker");
    ea_spool_tags_prune(sp, 3600LL * 1000000);
    ck_assert(ea_spool_tag_seen(sp, tag));
    sleep(1);
    ea_spool_tags_prune(sp, 0);
    ck_assert_msg(!ea_spool_tag_seen(sp, tag), "pruned");
    ea_fs_names_free(names, n);
    ea_spool_close(sp);
}
END_TEST

/* Writes text to tmp/agent.yaml and loads it. */
static int load(struct ea_dconfig **c, const char *text)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s/agent.yaml", tmp);
    ck_assert_int_eq(ea_test_write(path, text), 0);
    return ea_dconfig_load(c, path);
}

START_TEST(test_config_defaults_and_relative_paths)
{
    struct ea_dconfig *c;
    char want[4300];

    ck_assert_int_eq(load(&c, "agent: {id: a1, spool: sp}\nsigning: {key: k.pem}\n"
                              "stores: [st, {url: 's3://b/p?region=r', object_lock_mode: "
                              "COMPLIANCE, object_lock_retain: 30d}]\n"
                              "collectors:\n  - {name: git, arg: repo, interval: 5m}\n"
                              "  - {name: exec, id: backup, arg: /bin/true, interval: 1h, "
                              "jitter: 0s, controls: [A.12.3.1], options: {timeout: 5s, output_max: 64KiB}}\n"),
                     0);
    snprintf(want, sizeof(want), "%s/sp", tmp);
    ck_assert_str_eq(c->spool, want);
    snprintf(want, sizeof(want), "%s/k.pem", tmp);
    ck_assert_str_eq(c->key_path, want);
    snprintf(want, sizeof(want), "%s/st", tmp);
    ck_assert_str_eq(c->stores[0].url, want);
    ck_assert_str_eq(c->stores[1].url,
                     "s3://b/p?region=r&object_lock_mode=COMPLIANCE&object_lock_retain=30d");
    ck_assert_str_eq(c->stores[1].label, "s3://b/p");
    ck_assert_uint_eq(c->spool_max, 256u << 20);
    ck_assert_uint_eq(c->ingest_max, 16u << 20);
    ck_assert_ptr_null(c->listen);
    ck_assert_int_eq(c->log_level, EA_LOG_LEVEL_INFO);
    ck_assert_uint_eq(c->ncollectors, 2);
    snprintf(want, sizeof(want), "%s/repo", tmp);
    ck_assert_str_eq(c->collectors[0].arg, want);
    ck_assert_str_eq(c->collectors[0].id, "git");
    ck_assert(c->collectors[0].interval_us == 300000000LL);
    ck_assert(c->collectors[0].jitter_us == 30000000LL);
    ck_assert_str_eq(c->collectors[1].id, "backup");
    ck_assert(c->collectors[1].jitter_us == 0);
    ck_assert_msg(ea_control_set_has(&c->collectors[1].controls, "A.8.13"), "2013 IDs map");
    ck_assert_int_eq(json_integer_value(json_object_get(c->collectors[1].options, "output_max")),
                     65536); /* typed by exec's option table */
    ck_assert(json_is_string(json_object_get(c->collectors[1].options, "timeout")));
    ea_dconfig_free(c);
}
END_TEST

START_TEST(test_config_errors_name_file_line_and_column)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"agent: {spool: s}\nstores: [s]\nbogus: 1\n", "agent.yaml:3:1: bogus: unknown key"},
        {"agent:\n  spool: s\n  spool_max: lots\nstores: [s]\n",
         "agent.yaml:3:3: agent.spool_max: 'lots' is not a size"},
        {"agent: {id: x}\nstores: [s]\n", "agent: spool is required"},
        {"agent: {spool: s}\n", "stores: at least one store"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - name: git\n    interval: 1m\n"
         "    options:\n      max_file: 3\n",
         "agent.yaml:7:7: collectors.0.options.max_file: git has no option 'max_file' (did you "
         "mean 'max_files'?"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - name: git\n    interval: soon\n",
         "agent.yaml:5:5: collectors.0.interval: 'soon' is not a duration"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - name: gti\n    interval: 1m\n",
         "agent.yaml:4:5: collectors.0.name:"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - {name: git, interval: 1m, "
         "controls: [A.99.9]}\n",
         "collectors.0.controls:"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - {name: git}\n", "interval is required"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - {name: git, interval: 1m, jitter: 2m}\n",
         "must not exceed the interval"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - {name: git, interval: 1m}\n"
         "  - {name: git, interval: 2m}\n",
         "a second collector with id 'git'"},
        {"agent: {spool: s}\nstores: [s]\ncollectors:\n  - {name: watch, interval: 1m}\n",
         "watch needs arg"},
        {"agent: {spool: s, listen: nowhere}\nstores: [s]\n", "is not HOST:PORT"},
        {"agent: {spool: s, log_level: loud}\nstores: [s]\n", "is not a level"},
        {"agent: {spool: s}\nsigning: {key: a, key_env: B}\nstores: [s]\n",
         "give key or key_env, not both"},
        {"agent: {spool: s}\nstores: [s3://b/p?region=x, s3://b/p?region=y]\n",
         "a second store at s3://b/p"},
        {"agent: [", "agent.yaml:"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ea_dconfig *c = NULL;
        int rc = load(&c, cases[i].text);
        ck_assert_msg(rc == EA_ECONFIG, "case %zu: %d", i, rc);
        ck_assert_msg(strstr(ea_error_message(rc), cases[i].want), "case %zu: %s", i,
                      ea_error_message(rc));
        ck_assert_ptr_null(c);
        ea_error_clear();
    }
}
END_TEST

START_TEST(test_sizes)
{
    uint64_t v;

    ck_assert_int_eq(ea_size_parse(&v, "512"), 0);
    ck_assert_uint_eq(v, 512);
    ck_assert_int_eq(ea_size_parse(&v, "64KiB"), 0);
    ck_assert_uint_eq(v, 65536);
    ck_assert_int_eq(ea_size_parse(&v, "16M"), 0);
    ck_assert_uint_eq(v, 16u << 20);
    ck_assert_int_eq(ea_size_parse(&v, "1GiB"), 0);
    ck_assert_uint_eq(v, 1u << 30);
    ck_assert_int_eq(ea_size_parse(&v, "-1"), EA_EINPUT);
    ck_assert_int_eq(ea_size_parse(&v, "1 MiB"), EA_EINPUT);
    ck_assert_int_eq(ea_size_parse(&v, "99999999999999999999GiB"), EA_EINPUT);
    ck_assert_int_eq(ea_size_parse(&v, "17179869184GiB"), EA_EINPUT);
}
END_TEST

static Suite *daemon_suite(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("daemon");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_spool_commits_lists_reads_and_removes_batches);
    tcase_add_test(tc, test_spool_rejects_unreadable_batches_and_cleans_temporaries);
    tcase_add_test(tc, test_spool_tags_mark_sources_until_pruned);
    tcase_add_test(tc, test_a_spooled_unsigned_head_of_an_older_version_is_left_out_not_the_batch);
    tcase_add_test(tc, test_config_defaults_and_relative_paths);
    tcase_add_test(tc, test_config_errors_name_file_line_and_column);
    tcase_add_test(tc, test_sizes);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(daemon_suite)
