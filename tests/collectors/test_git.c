/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "git": the git collector against real repositories made with the git
 * CLI in a temp folder: an ordinary commit, a merge, the root commit, a
 * detached HEAD, trailers, a signed commit object, a remote with a token in
 * its URL (never recorded), truncation of the file list, and the errors for
 * a folder that is not a repository or a repository with no commit. Every
 * fact's data is checked against the embedded git_commit schema. The pure
 * helpers (URL stripping, UTF-8 text) are tested table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "schema.h"
#include "testkit.h"
#include "util/mem.h"
#include "../../collectors/git/git_parse.h"
#include "util/git_url.h"

extern const struct ea_collector ea_collector_git;

static char *tmp;
static char repo[4200];

#define GIT_ENV                                                                                \
    "export GIT_AUTHOR_NAME='Ada Author' GIT_AUTHOR_EMAIL=ada@example.com "                   \
    "GIT_COMMITTER_NAME='Cy Committer' GIT_COMMITTER_EMAIL=cy@example.com "                    \
    "GIT_AUTHOR_DATE='2026-01-02T03:04:05Z' GIT_COMMITTER_DATE='2026-01-02T03:04:05Z' "        \
    "GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent; cd '%s' && "

static void setup(void)
{
    tmp = ea_test_tmpdir();
    snprintf(repo, sizeof(repo), "%s/repo", tmp);
    ck_assert_int_eq(ea_test_sh("mkdir -p '%s' && cd '%s' && git init -q -b main . && "
                                "git config commit.gpgsign false",
                                repo, repo),
                     0);
}

static void teardown(void)
{
    ea_test_tmpdir_free(tmp);
    tmp = NULL;
}

/* Runs the collector on path; returns its rc and leaves the facts in fs. */
static int run(struct ea_fake_sink *fs, const char *path, const char *options)
{
    json_t *opts = options ? json_loads(options, 0, NULL) : json_object();
    void *state = NULL;
    int rc;

    ea_fake_sink_init(fs);
    rc = ea_collector_git.init(&state, path, opts, ea_test_host());
    if (rc == 0) {
        rc = ea_collector_git.collect(state, &fs->sink);
        ea_collector_git.free(state);
    }
    json_decref(opts);
    return rc;
}

static json_t *only_data(struct ea_fake_sink *fs)
{
    json_t *fact = json_array_get(fs->facts, 0);
    json_t *data = json_object_get(fact, "data");

    ck_assert_uint_eq(json_array_size(fs->facts), 1);
    ck_assert_int_eq(ea_schema_validate("data/git_commit.schema.json", data), 0);
    return data;
}

static const char *str(json_t *o, const char *path)
{
    char key[64];
    const char *dot;

    while ((dot = strchr(path, '.'))) {
        snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
        o = json_object_get(o, key);
        path = dot + 1;
    }
    return json_string_value(json_object_get(o, path));
}

START_TEST(test_an_ordinary_commit_on_a_branch)
{
    struct ea_fake_sink fs;
    json_t *data, *fact;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m first "
                                        "&& echo b > b.txt && echo a2 > a.txt && git add . && "
                                        "git commit -q -m 'second change' -m 'body text'",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    fact = json_array_get(fs.facts, 0);
    ck_assert_str_eq(str(data, "repository.branch"), "main");
    ck_assert_str_eq(str(data, "repository.ref"), "refs/heads/main");
    ck_assert(json_is_null(json_object_get(json_object_get(data, "repository"), "remote")));
    ck_assert_str_eq(str(data, "subject"), "second change");
    ck_assert_str_eq(str(data, "author.name"), "Ada Author");
    ck_assert_str_eq(str(data, "committer.email"), "cy@example.com");
    ck_assert_str_eq(str(data, "author.time"), "2026-01-02T03:04:05.000000Z");
    ck_assert_uint_eq(json_array_size(json_object_get(data, "parents")), 1);
    ck_assert(json_is_false(json_object_get(data, "merge")));
    ck_assert(json_is_false(json_object_get(data, "signed")));
    ck_assert_int_eq(json_integer_value(json_object_get(data, "files_changed_count")), 2);
    ck_assert_str_eq(str(json_array_get(json_object_get(data, "files_changed"), 0), "path"),
                     "a.txt");
    ck_assert_str_eq(str(json_array_get(json_object_get(data, "files_changed"), 0), "status"),
                     "modified");
    ck_assert_str_eq(str(json_array_get(json_object_get(data, "files_changed"), 1), "status"),
                     "added");
    ck_assert_str_eq(str(fact, "subject_digest_alg"), "gitCommit");
    ck_assert_str_eq(str(fact, "subject_digest"), str(data, "commit"));
    ck_assert_ptr_nonnull(strstr(str(fact, "subject_name"), "@refs/heads/main"));
    ck_assert_ptr_nonnull(strstr(str(fact, "subject_name"), "git+file://"));
    ck_assert_ptr_nonnull(strstr(str(fact, "summary"), "on main by Ada Author: 2 files changed"));
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_the_root_commit_is_compared_with_an_empty_tree)
{
    struct ea_fake_sink fs;
    json_t *data;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m root",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    ck_assert_uint_eq(json_array_size(json_object_get(data, "parents")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(data, "files_changed_count")), 1);
    ck_assert_str_eq(str(json_array_get(json_object_get(data, "files_changed"), 0), "status"),
                     "added");
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_a_merge_lists_files_against_its_first_parent)
{
    struct ea_fake_sink fs;
    json_t *data;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m root && "
                                        "git checkout -q -b topic && echo t > t.txt && git add t.txt "
                                        "&& git commit -q -m topic && git checkout -q main && "
                                        "echo m > m.txt && git add m.txt && git commit -q -m main && "
                                        "git merge -q --no-ff -m merge topic",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    ck_assert(json_is_true(json_object_get(data, "merge")));
    ck_assert_uint_eq(json_array_size(json_object_get(data, "parents")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(data, "files_changed_count")), 1);
    ck_assert_str_eq(str(json_array_get(json_object_get(data, "files_changed"), 0), "path"),
                     "t.txt");
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_a_detached_head_has_no_branch)
{
    struct ea_fake_sink fs;
    json_t *data;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m one && "
                                        "git checkout -q --detach HEAD",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    ck_assert(json_is_null(json_object_get(json_object_get(data, "repository"), "branch")));
    ck_assert_str_eq(str(data, "repository.ref"), "HEAD");
    ck_assert_ptr_nonnull(strstr(str(json_array_get(fs.facts, 0), "subject_name"), "@HEAD"));
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_trailers_are_recorded)
{
    struct ea_fake_sink fs;
    json_t *data, *t;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m 'fix' "
                                        "-m 'Explains why.' -m 'Reviewed-by: Rae <rae@example.com>\n"
                                        "Approved-by: Al <al@example.com>\n"
                                        "Signed-off-by: Ada <ada@example.com>'",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    t = json_object_get(data, "trailers");
    ck_assert_uint_eq(json_array_size(t), 3);
    ck_assert_str_eq(str(json_array_get(t, 0), "key"), "Reviewed-by");
    ck_assert_str_eq(str(json_array_get(t, 0), "value"), "Rae <rae@example.com>");
    ck_assert_str_eq(str(json_array_get(t, 1), "key"), "Approved-by");
    ck_assert_str_eq(str(json_array_get(t, 2), "key"), "Signed-off-by");
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_a_signature_is_detected_and_typed)
{
    struct ea_fake_sink fs;
    json_t *data;

    /* A commit object with a gpgsig header, written by hand: presence is what is recorded. */
    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m one && "
                                        "git cat-file commit HEAD | awk 'NR==1{print; next} "
                                        "/^committer /{print; print \"gpgsig -----BEGIN SSH "
                                        "SIGNATURE-----\"; print \" U1NIU0lH\"; print \" -----END "
                                        "SSH SIGNATURE-----\"; next} {print}' > obj && "
                                        "git update-ref HEAD $(git hash-object -t commit -w obj)",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    ck_assert(json_is_true(json_object_get(data, "signed")));
    ck_assert_str_eq(str(data, "signature_type"), "ssh");
    ck_assert_ptr_nonnull(strstr(str(json_array_get(fs.facts, 0), "summary"), "; signed;"));
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_remote_credentials_never_reach_a_fact)
{
    struct ea_fake_sink fs;
    json_t *data;
    char *all;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m one && "
                                        "git remote add origin 'https://user:ghp_CANARY0123456789"
                                        "abcdefghijklmnopqrstu@example.com/org/repo.git?x=1'",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    ck_assert_str_eq(str(data, "repository.remote"), "https://example.com/org/repo.git");
    ck_assert_str_eq(str(json_array_get(fs.facts, 0), "subject_name"),
                     "git+https://example.com/org/repo.git@refs/heads/main");
    all = json_dumps(fs.facts, 0);
    ck_assert_msg(strstr(all, "CANARY") == NULL, "a credential reached a fact");
    ck_assert_msg(strstr(all, "user:") == NULL, "userinfo reached a fact");
    free(all);
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_without_origin_the_first_remote_is_used)
{
    struct ea_fake_sink fs;
    json_t *data;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m one && "
                                        "git remote add upstream https://tok@example.org/up.git",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, NULL), 1);
    data = only_data(&fs);
    ck_assert_str_eq(str(data, "repository.remote"), "https://example.org/up.git");
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_the_file_list_is_capped_by_max_files)
{
    struct ea_fake_sink fs;
    json_t *data;

    ck_assert_int_eq(ea_test_sh(GIT_ENV "for i in $(seq 1 30); do echo $i > f$i.txt; done && "
                                        "git add . && git commit -q -m many",
                                repo),
                     0);
    ck_assert_int_eq(run(&fs, repo, "{\"max_files\": 10}"), 1);
    data = only_data(&fs);
    ck_assert_uint_eq(json_array_size(json_object_get(data, "files_changed")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(data, "files_changed_count")), 30);
    ck_assert(json_is_true(json_object_get(data, "files_truncated")));
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_a_subfolder_finds_its_repository)
{
    struct ea_fake_sink fs;
    char sub[4300];

    ck_assert_int_eq(ea_test_sh(GIT_ENV "mkdir -p d/e && echo a > d/e/a.txt && git add . && "
                                        "git commit -q -m one",
                                repo),
                     0);
    snprintf(sub, sizeof(sub), "%s/d/e", repo);
    ck_assert_int_eq(run(&fs, sub, NULL), 1);
    only_data(&fs);
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_errors_name_the_path_and_the_fix)
{
    struct ea_fake_sink fs;
    char path[4300];
    int rc;

    snprintf(path, sizeof(path), "%s/plain", tmp);
    ck_assert_int_eq(ea_test_sh("mkdir -p '%s'", path), 0);
    rc = run(&fs, path, NULL);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), path));
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "not a git repository"));
    ea_fake_sink_dispose(&fs);
    rc = run(&fs, repo, NULL); /* initialised, but no commit yet */
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "no commits yet"));
    ck_assert_uint_eq(json_array_size(fs.facts), 0);
    ea_fake_sink_dispose(&fs);
    rc = run(&fs, repo, "{\"max_files\": \"lots\"}");
    ck_assert_int_eq(rc, EA_ECONFIG);
    ea_fake_sink_dispose(&fs);
}
END_TEST

START_TEST(test_a_failing_sink_stops_the_collector_with_its_error)
{
    struct ea_fake_sink fs;
    void *state = NULL;
    json_t *opts = json_object();

    ck_assert_int_eq(ea_test_sh(GIT_ENV "echo a > a.txt && git add a.txt && git commit -q -m one",
                                repo),
                     0);
    ea_fake_sink_init(&fs);
    fs.fail_with = EA_EIO;
    ck_assert_int_eq(ea_collector_git.init(&state, repo, opts, ea_test_host()), 0);
    ck_assert_int_eq(ea_collector_git.collect(state, &fs.sink), EA_EIO);
    ea_collector_git.free(state);
    ea_fake_sink_dispose(&fs);
    json_decref(opts);
}
END_TEST

static const struct {
    const char *in, *out;
} urls[] = {
    {"https://user:pass@example.com/org/repo.git", "https://example.com/org/repo.git"},
    {"https://tok@example.com/r", "https://example.com/r"},
    {"https://a@b:c@example.com:8443/r?token=x#frag", "https://example.com:8443/r"},
    {"ssh://git@example.com/org/repo", "ssh://example.com/org/repo"},
    {"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
    {"/srv/git/repo.git", "/srv/git/repo.git"},
    {"file:///srv/repo", "file:///srv/repo"},
    {"", ""},
};

START_TEST(test_strip_url_removes_credentials)
{
    char *out = NULL;

    ck_assert_int_eq(ea_git_url_strip(&out, urls[_i].in), 0);
    ck_assert_str_eq(out, urls[_i].out);
    ea_free(out);
}
END_TEST

static const struct {
    const char *in;
    size_t max;
    const char *out;
} texts[] = {
    {"plain", 100, "plain"},
    {"caf\xc3\xa9", 100, "caf\xc3\xa9"},
    {"bad\xff byte", 100, "bad\xef\xbf\xbd byte"},
    {"cut \xc3", 100, "cut \xef\xbf\xbd"},
    {"\xe2\x82\xac \xe2\x82\xac\xe2\x82\xac", 6, "\xe2\x82\xac "}, /* never half a character */
    {"\xe2\x82\xac\xe2\x82\xac", 4, ""}, /* nor half a word: it could be a secret's start */
    {"subject FAKElitValue0123456789", 20, "subject "},
    {"over\xed\xa0\x80long", 100, "over\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdlong"},
};

START_TEST(test_json_text_is_always_valid_utf8_within_its_bound)
{
    json_t *j = ea_git_json_text(texts[_i].in, strlen(texts[_i].in), texts[_i].max);

    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(j), texts[_i].out);
    json_decref(j);
}
END_TEST

static Suite *git_suite(void)
{
    Suite *s = suite_create("git");
    TCase *tc = tcase_create("repositories");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_an_ordinary_commit_on_a_branch);
    tcase_add_test(tc, test_the_root_commit_is_compared_with_an_empty_tree);
    tcase_add_test(tc, test_a_merge_lists_files_against_its_first_parent);
    tcase_add_test(tc, test_a_detached_head_has_no_branch);
    tcase_add_test(tc, test_trailers_are_recorded);
    tcase_add_test(tc, test_a_signature_is_detected_and_typed);
    tcase_add_test(tc, test_remote_credentials_never_reach_a_fact);
    tcase_add_test(tc, test_without_origin_the_first_remote_is_used);
    tcase_add_test(tc, test_the_file_list_is_capped_by_max_files);
    tcase_add_test(tc, test_a_subfolder_finds_its_repository);
    tcase_add_test(tc, test_errors_name_the_path_and_the_fix);
    tcase_add_test(tc, test_a_failing_sink_stops_the_collector_with_its_error);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_strip_url_removes_credentials, 0, sizeof(urls) / sizeof(urls[0]));
    tcase_add_loop_test(tc, test_json_text_is_always_valid_utf8_within_its_bound, 0,
                        sizeof(texts) / sizeof(texts[0]));
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(git_suite)
