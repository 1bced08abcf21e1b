/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "integrity": signed stream heads and checkpoints (integrity.c) and
 * the whole-store check (verify.c) on stores crafted here: records made by
 * the real pipeline, then deleted, copied, replaced by links or FIFOs, or
 * given forged heads and checkpoints. Each case must be one FAIL line naming
 * the object, and the run must go on through the rest of the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "integrity.h"
#include "pipeline.h"
#include "testkit.h"
#include "util/hash.h"
#include "util/mem.h"
#include "verify.h"

static const char *const defaults[] = {"A.8.32", NULL};
static const struct ea_collector fake = {
    EA_COLLECTOR_HEADER,
    "fake",
    "1.0.0",
    "test facts",
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

static char *tmp;
static char root[4200];
static struct ea_key *key, *other;
static struct ea_store *st;
static const char *const id1 = "1111111111111111111111111111111111111111111111111111111111111111";

static void setup(void)
{
    tmp = ea_test_tmpdir();
    snprintf(root, sizeof(root), "%s/store", tmp);
    ck_assert_int_eq(ea_key_generate(&key), 0);
    ck_assert_int_eq(ea_key_generate(&other), 0);
    ck_assert_int_eq(ea_store_open(&st, root, EA_STORE_CREATE), 0);
}

static void teardown(void)
{
    ea_store_close(st);
    ea_key_free(key);
    ea_key_free(other);
    ea_test_tmpdir_free(tmp);
}

/* n records in stream name, through the real pipeline (records, then the signed head). */
static void make_stream(const char *name, int n)
{
    struct ea_pipeline p;
    struct ea_control_set none;
    struct ea_pipeline_opts o;

    memset(&none, 0, sizeof(none));
    o = (struct ea_pipeline_opts){
        .key = key, .store = st, .agent_id = "t", .stream = name, .extra = &none};
    ea_pipeline_init(&p, &o);
    for (int i = 0; i < n; i++) {
        struct ea_fact f = EA_FACT_INIT;
        char digest[65];
        snprintf(digest, sizeof(digest), "%064x", i);
        f.kind = "custom";
        f.subject_name = "s";
        f.subject_digest_alg = "sha256";
        f.subject_digest = digest;
        f.source_system = "local";
        f.result = EA_RESULT_PASS;
        f.summary = "a fact";
        f.data = json_pack("{s:i}", "n", i);
        ck_assert_msg(ea_pipeline_fact(&p, &fake, defaults, &f) == 0, "%s",
                      ea_error_message(EA_ERROR));
        json_decref(f.data);
    }
    ck_assert_int_eq(ea_pipeline_flush(&p), 0);
}

/* Runs verify into a string; returns its problem count. */
static unsigned run_verify(char **out, const char *saved)
{
    struct ea_key *keys[1] = {key};
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    struct ea_verify_opts o = {.store = st, .store_url = "S", .keys = keys, .nkeys = 1, .out = f,
                              .checkpoint_file = saved};
    struct ea_verify_result res;
    unsigned n;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ea_verify_store(&o, &res), 0);
    fclose(f);
    n = res.problems;
    ea_verify_result_dispose(&res);
    return n;
}

static void assert_has(const char *text, const char *what)
{
    ck_assert_msg(strstr(text, what) != NULL, "'%s' not in:\n%s", what, text);
}

START_TEST(test_a_head_verifies_only_unaltered_and_by_its_key)
{
    struct ea_key *keys[1] = {key}, *others[1] = {other};
    struct ea_head h;
    char *env = NULL;
    size_t len = 0;

    ck_assert_int_eq(ea_head_sign(&env, &len, "a.b", 3, id1, 1795000000000000LL, key), 0);
    ck_assert_int_eq(ea_head_parse(&h, env, len, keys, 1), 0);
    ck_assert_str_eq(h.stream, "a.b");
    ck_assert_uint_eq(h.sequence, 3);
    ck_assert_str_eq(h.last_id, id1);
    ck_assert_int_eq(h.time_us, 1795000000000000LL);
    ck_assert_int_eq(ea_head_parse(&h, env, len, others, 1), EA_EVERIFY);
    ea_error_clear();
    env[strstr(env, "\"payload\":\"") - env + 20] ^= 1; /* one payload character changed */
    ck_assert_int_eq(ea_head_parse(&h, env, len, keys, 1), EA_EVERIFY);
    ea_error_clear();
    ea_free(env);
    ck_assert_int_eq(
        ea_head_parse(&h, "{\"stream\":\"a\",\"sequence\":1,\"last_id\":\"x\"}", 41, keys, 1),
        EA_EVERIFY);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EVERIFY), "unsigned stream head"));
    ea_error_clear();
    /* a record's envelope is not a head, even signed by the key */
    ck_assert_int_eq(ea_dsse_sign(&env, &len, EA_PAYLOAD_TYPE, "{}", 2, key), 0);
    ck_assert_int_eq(ea_head_parse(&h, env, len, keys, 1), EA_EVERIFY);
    ea_error_clear();
    ea_free(env);
    ck_assert_int_eq(ea_head_sign(&env, &len, "../x", 1, id1, 0, key), EA_EINPUT);
    ea_error_clear();
}
END_TEST

START_TEST(test_checkpoints_chain_by_digest_and_state_every_stream)
{
    struct ea_key *keys[1] = {key};
    struct ea_checkpoint cp;
    char k[EA_STORE_KEY_MAX], digest[65];
    struct ea_buf b;

    make_stream("s1", 2);
    make_stream("s2", 1);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "agent-1", 1795000000000000LL, k, NULL),
                     0);
    ck_assert_str_eq(k, "checkpoints/agent-1/000000000001.json");
    ck_assert_int_eq(ea_store_get(st, k, &b), 0);
    ck_assert_int_eq(ea_sha256_hex(digest, b.data, b.len), 0);
    ck_assert_int_eq(ea_checkpoint_parse(&cp, b.data, b.len, keys, 1), 0);
    ea_buf_dispose(&b);
    ck_assert_uint_eq(cp.sequence, 1);
    ck_assert_str_eq(cp.previous, "");
    ck_assert_uint_eq(cp.nstreams, 2);
    ck_assert_str_eq(cp.streams[0].stream, "s1");
    ck_assert_uint_eq(cp.streams[0].sequence, 2);
    ea_checkpoint_dispose(&cp);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "agent-1", 1795000000000001LL, k, NULL),
                     0);
    ck_assert_str_eq(k, "checkpoints/agent-1/000000000002.json");
    ck_assert_int_eq(ea_store_get(st, k, &b), 0);
    ck_assert_int_eq(ea_checkpoint_parse(&cp, b.data, b.len, keys, 1), 0);
    ea_buf_dispose(&b);
    ck_assert_str_eq(cp.previous, digest);
    ea_checkpoint_dispose(&cp);
    /* another key cannot extend this agent's chain */
    ck_assert_int_eq(
        ea_checkpoint_write(st, other, NULL, 0, "agent-1", 1795000000000002LL, k, NULL),
        EA_EVERIFY);
    ea_error_clear();
}
END_TEST

START_TEST(test_a_sound_store_verifies_and_every_tampering_is_one_fail_line)
{
    char *out = NULL;
    char path[4400], from[4400];

    make_stream("s1", 3);
    make_stream("s2", 1);
    make_stream("s3", 1);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "a", 1795000000000000LL, NULL, NULL), 0);
    ck_assert_uint_eq(run_verify(&out, NULL), 0);
    free(out);
    /* a stream deleted whole (records and head), after the checkpoint */
    ck_assert_int_eq(ea_test_sh("cd '%s' && for f in $(grep -l '' controls/*/*/*/*/*.json); do "
                                "python3 -c 'import base64,json,sys; "
                                "s=json.loads(base64.b64decode(json.load(open(sys.argv[1]))"
                                "[\"payload\"]))[\"predicate\"][\"agent\"][\"stream\"]; "
                                "sys.exit(s!=\"s2\")' $f && rm $f; done; rm streams/s2.json",
                                root),
                     0);
    /* s3's head copied over s1's; a stray file; a FIFO and a link named like records */
    snprintf(from, sizeof(from), "%s/streams/s3.json", root);
    snprintf(path, sizeof(path), "%s/streams/s1.json", root);
    ck_assert_int_eq(rename(from, path), 0);
    ck_assert_int_eq(ea_test_sh("cd '%s' && cp streams/s1.json streams/s3.json && "
                                "d=$(dirname $(ls controls/A.8.32/*/*/*/*.json | head -1)) && "
                                "touch $d/notes.txt && mkfifo $d/20260101T000000.000000Z_%s.json "
                                "&& ln -s /dev/zero $d/20260101T000000.000001Z_%s.json && "
                                "echo x >outside.txt",
                                root, id1, id1 + 1),
                     0);
    ck_assert_uint_ge(run_verify(&out, NULL), 6);
    assert_has(out, "FAIL S/streams/s2: the stream vanished");
    assert_has(out, "FAIL S/streams/s1.json: the head names stream s3");
    assert_has(out, "notes.txt: not a record name");
    assert_has(out, "not a regular file");
    assert_has(out, "a symbolic link (not followed)");
    assert_has(out, "FAIL S/outside.txt: not part of an evidence store");
    free(out);
}
END_TEST

START_TEST(test_an_altered_record_is_reported_once_not_also_as_missing)
{
    char *out = NULL;

    make_stream("s1", 3);
    /* the second record's payload altered (its name, and the chain, keep its ID) */
    ck_assert_int_eq(
        ea_test_sh("cd '%s' && for f in controls/A.8.32/*/*/*/*.json; do "
                   "python3 - $f <<'EOF'\n"
                   "import base64,json,sys\n"
                   "e=json.load(open(sys.argv[1]))\n"
                   "s=json.loads(base64.b64decode(e['payload']))\n"
                   "if s['predicate']['agent']['sequence']==2:\n"
                   "    s['predicate']['result']='fail'\n"
                   "    e['payload']=base64.b64encode(json.dumps(s).encode()).decode()\n"
                   "    json.dump(e,open(sys.argv[1],'w'))\n"
                   "EOF\n"
                   "done",
                   root),
        0);
    ck_assert_uint_eq(run_verify(&out, NULL), 1);
    assert_has(out, "no signature verifies");
    ck_assert_ptr_null(strstr(out, "missing"));
    free(out);
}
END_TEST

START_TEST(test_a_saved_checkpoint_catches_a_rolled_back_chain)
{
    char *out = NULL;
    char saved[4300];
    struct ea_key *keys[1] = {key};
    struct ea_verify_opts o = {.store = st, .store_url = "S", .keys = keys, .nkeys = 1};
    struct ea_verify_result res;
    FILE *f;

    make_stream("s1", 2);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "a", 1795000000000000LL, NULL, NULL), 0);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "a", 1795000000000001LL, NULL, NULL), 0);
    o.out = f = tmpfile();
    ck_assert_int_eq(ea_verify_store(&o, &res), 0);
    fclose(f);
    ck_assert_uint_eq(res.problems, 0);
    ck_assert_ptr_nonnull(res.latest);
    snprintf(saved, sizeof(saved), "%s/saved.ckpt", tmp);
    ck_assert_int_eq(ea_test_write(saved, res.latest), 0);
    ea_verify_result_dispose(&res);
    ck_assert_uint_eq(run_verify(&out, saved), 0);
    free(out);
    ck_assert_int_eq(ea_test_sh("rm '%s/checkpoints/a/000000000002.json'", root), 0);
    ck_assert_uint_eq(run_verify(&out, NULL), 0); /* a chain cut at its end looks whole alone */
    free(out);
    ck_assert_uint_eq(run_verify(&out, saved), 1);
    assert_has(out, "checkpoints/a/000000000002.json: gone from the store");
    free(out);
}
END_TEST

/* Someone holding the key rewrites a checkpointed stream: the checkpoint still names the old IDs.
 */
START_TEST(test_a_stream_rewritten_after_a_checkpoint_is_caught)
{
    char *out = NULL;

    make_stream("s1", 2);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "a", 1795000000000000LL, NULL, NULL), 0);
    ck_assert_int_eq(ea_test_sh("rm -r '%s/controls' '%s/streams'", root, root), 0);
    ea_store_close(st); /* it remembers the folders it made */
    ck_assert_int_eq(ea_store_open(&st, root, EA_STORE_CREATE), 0);
    make_stream("s1", 3); /* re-signed: a valid stream, but not the one checkpointed */
    ck_assert_uint_ge(run_verify(&out, NULL), 1);
    assert_has(out, "FAIL S/streams/s1: record 2 is ");
    assert_has(out, "but checkpoints/a/000000000001.json states ");
    free(out);
}
END_TEST

/* Puts a head for (stream, sequence, id) signed by key: the store's answer. */
static int put_head(const char *stream, uint64_t sequence, const char *id)
{
    char *env = NULL;
    size_t len = 0;
    struct ea_stream_head h;
    int rc = ea_head_sign(&env, &len, stream, sequence, id, 1795000000000000LL, key);

    h = (struct ea_stream_head){stream, sequence, id, env, len};
    if (rc == 0) rc = ea_store_put_stream(st, &h);
    if (rc == 0) rc = ea_store_sync(st);
    ea_free(env);
    return rc;
}

START_TEST(test_a_head_never_moves_back)
{
    static const char *const id2 =
        "2222222222222222222222222222222222222222222222222222222222222222";

    ck_assert_int_eq(put_head("s1", 2, id2), 0);
    ck_assert_int_eq(put_head("s1", 2, id2), 0); /* the same head again: a replay is harmless */
    ck_assert_int_eq(put_head("s1", 1, id1), EA_EINPUT); /* an older signed head */
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "a head never moves back"));
    ea_error_clear();
    ck_assert_int_eq(put_head("s1", 2, id1), EA_EINPUT); /* the same sequence, another record */
    ea_error_clear();
    ck_assert_int_eq(put_head("s1", 3, id1), 0);
    ck_assert_int_eq(put_head("s2", 1, id1), 0); /* another stream: no bound */
}
END_TEST

/* Writes a head signed by k straight into the store's file (as an attacker with write access). */
static void plant_head(const char *stream, uint64_t sequence, const char *id,
                       const struct ea_key *k)
{
    char *env = NULL, *text, path[4400];
    size_t len = 0;

    ck_assert_int_eq(ea_head_sign(&env, &len, stream, sequence, id, 1795000000000000LL, k), 0);
    snprintf(path, sizeof(path), "%s/streams/%s.json", root, stream);
    text = ea_asprintf("%s\n", env);
    ck_assert_int_eq(ea_test_write(path, text), 0);
    ea_free(text);
    ea_free(env);
}

/* The stream's state in checkpoint k signed by by: its sequence, or 0 when not stated. */
static uint64_t stated_by(const char *k, const char *stream, struct ea_key *by)
{
    struct ea_key *keys[1] = {by};
    struct ea_checkpoint cp;
    struct ea_buf b;
    uint64_t seq = 0;

    ck_assert_int_eq(ea_store_get(st, k, &b), 0);
    ck_assert_int_eq(ea_checkpoint_parse(&cp, b.data, b.len, keys, 1), 0);
    ea_buf_dispose(&b);
    for (size_t i = 0; i < cp.nstreams; i++)
        if (strcmp(cp.streams[i].stream, stream) == 0) seq = cp.streams[i].sequence;
    ea_checkpoint_dispose(&cp);
    return seq;
}

static uint64_t stated(const char *k, const char *stream)
{
    return stated_by(k, stream, key);
}

START_TEST(test_a_checkpoint_states_only_heads_that_verify)
{
    char k[EA_STORE_KEY_MAX];
    unsigned skipped = 99;

    make_stream("s1", 2);
    make_stream("s2", 1);
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "a", 1795000000000000LL, k, &skipped),
                     0);
    ck_assert_uint_eq(skipped, 0);
    ck_assert_uint_eq(stated(k, "s1"), 2);
    plant_head("s1", 1, id1, key);   /* an older signed head put back: behind the checkpoint */
    plant_head("s2", 5, id1, other); /* forged: signed by a key the agent does not trust */
    plant_head("s3", 1, id1, key);   /* signed, but naming a record the store lacks */
    ck_assert_int_eq(ea_checkpoint_write(st, key, NULL, 0, "a", 1795000000000001LL, k, &skipped),
                     0);
    ck_assert_uint_eq(skipped, 3);
    ck_assert_uint_eq(stated(k, "s1"), 2); /* the previous state is kept, never endorsed back */
    ck_assert_uint_eq(stated(k, "s2"), 1);
    ck_assert_uint_eq(stated(k, "s3"), 0);
    /* another agent (key other) states heads signed by key only when it trusts key */
    make_stream("s4", 1);
    ck_assert_int_eq(ea_checkpoint_write(st, other, NULL, 0, "b", 1795000000000002LL, k, &skipped),
                     0);
    ck_assert_uint_eq(stated_by(k, "s4", other), 0);
    {
        struct ea_key *trusted[1] = {key};
        ck_assert_int_eq(
            ea_checkpoint_write(st, other, trusted, 1, "b", 1795000000000003LL, k, &skipped), 0);
    }
    ck_assert_uint_eq(skipped, 3); /* s1 and s3 name a record the store lacks; s2 too */
    ck_assert_uint_eq(stated_by(k, "s4", other), 1);
}
END_TEST

static Suite *integrity_suite(void)
{
    Suite *s = suite_create("integrity");
    TCase *tc = tcase_create("heads and checkpoints");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_head_verifies_only_unaltered_and_by_its_key);
    tcase_add_test(tc, test_checkpoints_chain_by_digest_and_state_every_stream);
    tcase_add_test(tc, test_a_sound_store_verifies_and_every_tampering_is_one_fail_line);
    tcase_add_test(tc, test_an_altered_record_is_reported_once_not_also_as_missing);
    tcase_add_test(tc, test_a_saved_checkpoint_catches_a_rolled_back_chain);
    tcase_add_test(tc, test_a_stream_rewritten_after_a_checkpoint_is_caught);
    tcase_add_test(tc, test_a_head_never_moves_back);
    tcase_add_test(tc, test_a_checkpoint_states_only_heads_that_verify);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(integrity_suite)
