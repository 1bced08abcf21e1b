/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The git collector: one git_commit fact for the HEAD commit of a repository
 * (the argument, or the current directory; parents are searched as git does).
 * It records who wrote and committed the change and when, its parents,
 * whether it carries a signature (not whether the signature is trusted: that
 * needs the signer's keys), its trailers (Reviewed-by, Approved-by, ...) and
 * the files changed against the first parent. Remote URLs lose their
 * credentials before anything else sees them. Everything here is local; no
 * network, no hooks, no configuration is executed.
 */
#include "util/git2.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <evidence/collector.h>

#include "util/error.h"
#include "git_parse.h"
#include "util/git_url.h"
#include "util/mem.h"
#include "util/time.h"

#define MAX_FILES_DEFAULT 1000
#define SUBJECT_MAX 200
#define TEXT_MAX 512

struct git_state {
    char *path; /* owned: what the user gave, for messages */
    git_repository *repo;
    size_t max_files;
    const struct ea_host *host;
};

static int git_failure(const char *what, const char *path)
{
    const git_error *e = git_error_last();
    return ea_fail(EA_ERROR, "%s: %s: %s", path, what,
                   e && e->message ? e->message : "libgit2 error");
}

static void git_free_state(void *state)
{
    struct git_state *s = state;

    if (!s) return;
    git_repository_free(s->repo);
    ea_free(s->path);
    ea_free(s);
    git_libgit2_shutdown();
}

static int git_init(void **state, const char *arg, const json_t *options,
                    const struct ea_host *host)
{
    struct git_state *s;
    const json_t *max;
    int rc;

    *state = NULL;
    if (git_libgit2_init() < 0) return ea_fail(EA_ERROR, "libgit2 failed to initialise");
    s = ea_calloc(1, sizeof(*s));
    if (!s || !(s->path = ea_strdup(arg && *arg ? arg : "."))) {
        ea_free(s);
        git_libgit2_shutdown();
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    s->host = host;
    s->max_files = MAX_FILES_DEFAULT;
    max = json_object_get(options, "max_files");
    if (max) {
        if (!json_is_integer(max) || json_integer_value(max) < 0 ||
            json_integer_value(max) > 1000000) {
            git_free_state(s);
            return ea_fail(EA_ECONFIG, "max_files must be an integer from 0 to 1000000");
        }
        s->max_files = (size_t)json_integer_value(max);
    }
    rc = git_repository_open_ext(&s->repo, s->path, 0, NULL);
    if (rc < 0) {
        int code = rc == GIT_ENOTFOUND ? EA_EINPUT : EA_ERROR;
        if (rc == GIT_ENOTFOUND)
            ea_fail(code, "%s: not a git repository (run inside a clone or pass git=PATH)",
                    s->path);
        else
            git_failure("cannot open the repository", s->path);
        git_free_state(s);
        return code;
    }
    *state = s;
    return 0;
}

static json_t *person(const git_signature *sig)
{
    char when[EA_TIME_TEXT_MAX];
    json_t *o;

    ea_time_format_rfc3339(when, (int64_t)sig->when.time * 1000000);
    o = json_object();
    if (!o ||
        json_object_set_new(o, "name", ea_git_json_text(sig->name, strlen(sig->name), TEXT_MAX)) <
            0 ||
        json_object_set_new(o, "email",
                            ea_git_json_text(sig->email, strlen(sig->email), TEXT_MAX)) < 0 ||
        json_object_set_new(o, "time", json_string(when)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *status_name(git_delta_t d)
{
    switch (d) {
    case GIT_DELTA_ADDED: return "added";
    case GIT_DELTA_DELETED: return "deleted";
    case GIT_DELTA_RENAMED: return "renamed";
    case GIT_DELTA_COPIED: return "copied";
    case GIT_DELTA_TYPECHANGE: return "typechange";
    default: return "modified";
    }
}

/* files_changed, files_changed_count and files_truncated, against the first parent. */
static int add_files(json_t *data, struct git_state *s, git_commit *commit)
{
    git_diff_options opts;
    git_diff_find_options find;
    git_commit *parent = NULL;
    git_tree *old_tree = NULL, *new_tree = NULL;
    git_diff *diff = NULL;
    json_t *files = json_array();
    size_t n = 0;
    int rc = 0;

    if (!files) return ea_fail(EA_ENOMEM, "out of memory");
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
    opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
    find.flags = GIT_DIFF_FIND_RENAMES;
    if (git_commit_parentcount(commit) > 0 && git_commit_parent(&parent, commit, 0) < 0 &&
        git_repository_is_shallow(s->repo) == 1) {
        /* A shallow clone (CI's default checkout) lacks the parent: say so, do not guess. */
        git_error_clear();
        if (json_object_set_new(data, "files_unknown",
                                json_string("shallow clone: the parent commit is not in the "
                                            "repository (fetch with depth 2 or more)")) < 0 ||
            json_object_set(data, "files_changed", files) < 0 ||
            json_object_set_new(data, "files_changed_count", json_integer(0)) < 0 ||
            json_object_set_new(data, "files_truncated", json_false()) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((git_commit_parentcount(commit) > 0 && !parent) ||
        (parent && git_commit_tree(&old_tree, parent) < 0) ||
        git_commit_tree(&new_tree, commit) < 0 ||
        git_diff_tree_to_tree(&diff, s->repo, old_tree, new_tree, &opts) < 0 ||
        git_diff_find_similar(diff, &find) < 0) {
        rc = git_failure("cannot compute the files changed", s->path);
        goto out;
    }
    n = git_diff_num_deltas(diff);
    for (size_t i = 0; i < n && i < s->max_files; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        const char *p = d->new_file.path ? d->new_file.path : d->old_file.path;
        json_t *f = json_object();
        if (!f || json_array_append_new(files, f) < 0 ||
            json_object_set_new(f, "path", ea_git_json_text(p, strlen(p), 4096)) < 0 ||
            json_object_set_new(f, "status", json_string(status_name(d->status))) < 0 ||
            ((d->status == GIT_DELTA_RENAMED || d->status == GIT_DELTA_COPIED) &&
             json_object_set_new(
                 f, "old_path",
                 ea_git_json_text(d->old_file.path, strlen(d->old_file.path), 4096)) < 0)) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (json_object_set(data, "files_changed", files) < 0 ||
        json_object_set_new(data, "files_changed_count", json_integer((json_int_t)n)) < 0 ||
        json_object_set_new(data, "files_truncated", json_boolean(n > s->max_files)) < 0)
        rc = ea_fail(EA_ENOMEM, "out of memory");
out:
    json_decref(files);
    git_diff_free(diff);
    git_tree_free(new_tree);
    git_tree_free(old_tree);
    git_commit_free(parent);
    return rc;
}

static const char *signature_type(const char *sig)
{
    if (strstr(sig, "-----BEGIN PGP SIGNATURE")) return "gpg";
    if (strstr(sig, "-----BEGIN SSH SIGNATURE")) return "ssh";
    if (strstr(sig, "-----BEGIN SIGNED MESSAGE")) return "x509";
    return "unknown";
}

/*
 * The stripped URL of "origin", else of the first remote in the configuration,
 * else NULL. Remotes are found by iterating the configuration rather than with
 * git_remote_list, whose pattern matching leaks in libgit2 1.5 with PCRE2.
 */
static int remote_url(char **out, git_repository *repo)
{
    git_config *cfg = NULL;
    git_config_iterator *it = NULL;
    git_config_entry *entry;
    git_config_entry *origin = NULL;
    char *first = NULL;
    int rc = 0;

    *out = NULL;
    if (git_repository_config_snapshot(&cfg, repo) < 0) {
        git_error_clear();
        return 0; /* no readable configuration: no remote to record */
    }
    if (git_config_get_entry(&origin, cfg, "remote.origin.url") == 0) {
        rc = ea_git_url_strip(out, origin->value);
        goto out;
    }
    git_error_clear();
    if (git_config_iterator_new(&it, cfg) < 0) goto out;
    while (!first && git_config_next(&entry, it) == 0) {
        size_t n = strlen(entry->name);
        if (n > 11 && strncmp(entry->name, "remote.", 7) == 0 &&
            strcmp(entry->name + n - 4, ".url") == 0 && entry->value) {
            first = ea_strdup(entry->value);
            if (!first) rc = ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    if (first) rc = ea_git_url_strip(out, first);
out:
    git_error_clear();
    ea_free(first);
    git_config_entry_free(origin);
    git_config_iterator_free(it);
    git_config_free(cfg);
    return rc;
}

static int set(json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

static int git_collect(void *state, struct ea_sink *sink)
{
    struct git_state *s = state;
    git_reference *head = NULL;
    git_commit *commit = NULL;
    git_odb *odb = NULL;
    git_odb_object *raw = NULL;
    git_buf sig = {0}, signed_data = {0};
    git_message_trailer_array trailers = {0};
    const git_oid *oid;
    char sha[GIT_OID_HEXSZ + 1], tree[GIT_OID_HEXSZ + 1];
    char *remote = NULL, *subject_name = NULL, *summary = NULL, *source_uri = NULL;
    const char *workdir, *branch = NULL, *ref;
    size_t workdir_len;
    const char *message;
    json_t *data = NULL, *repo_o = NULL, *parents = NULL, *tl = NULL;
    struct ea_fact fact = EA_FACT_INIT;
    bool detached, is_signed;
    int rc;

    rc = git_repository_head(&head, s->repo);
    if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
        rc = ea_fail(EA_EINPUT, "%s: the repository has no commits yet (commit first)", s->path);
        goto out;
    }
    if (rc < 0) {
        rc = git_failure("cannot read HEAD", s->path);
        goto out;
    }
    detached = git_repository_head_detached(s->repo) == 1;
    ref = detached ? "HEAD" : git_reference_name(head);
    if (!detached) branch = git_reference_shorthand(head);
    oid = git_reference_target(head);
    if (!oid || git_commit_lookup(&commit, s->repo, oid) < 0) {
        rc = git_failure("HEAD is not a commit", s->path);
        goto out;
    }
    git_oid_tostr(sha, sizeof(sha), oid);
    git_oid_tostr(tree, sizeof(tree), git_commit_tree_id(commit));
    if (git_repository_odb(&odb, s->repo) < 0 || git_odb_read(&raw, odb, oid) < 0) {
        rc = git_failure("cannot read the commit object", s->path);
        goto out;
    }
    rc = remote_url(&remote, s->repo);
    if (rc < 0) goto out;
    workdir = git_repository_workdir(s->repo) ? git_repository_workdir(s->repo)
                                              : git_repository_path(s->repo);
    workdir_len = strlen(workdir);
    while (workdir_len > 1 && workdir[workdir_len - 1] == '/') workdir_len--;
    source_uri = remote ? ea_strdup(remote) : ea_asprintf("file://%.*s", (int)workdir_len, workdir);
    subject_name = ea_asprintf("git+%s@%s", source_uri ? source_uri : "", ref);
    if (!source_uri || !subject_name) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }

    rc = git_commit_extract_signature(&sig, &signed_data, s->repo, (git_oid *)oid, NULL);
    is_signed = rc == 0;
    if (rc < 0 && rc != GIT_ENOTFOUND) {
        rc = git_failure("cannot read the commit signature", s->path);
        goto out;
    }
    git_error_clear();
    message = git_commit_message(commit);
    tl = json_array();
    if (!tl) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (message && git_message_trailers(&trailers, message) == 0) {
        for (size_t i = 0; i < trailers.count; i++) {
            json_t *t = json_object();
            const char *k = trailers.trailers[i].key, *v = trailers.trailers[i].value;
            if (!t || json_array_append_new(tl, t) < 0 ||
                set(t, "key", ea_git_json_text(k, strlen(k), TEXT_MAX)) < 0 ||
                set(t, "value", ea_git_json_text(v, strlen(v), TEXT_MAX)) < 0) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    git_error_clear();

    data = json_object();
    repo_o = json_object();
    parents = json_array();
    if (!data || !repo_o || !parents) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    for (unsigned i = 0; i < git_commit_parentcount(commit); i++) {
        char p[GIT_OID_HEXSZ + 1];
        git_oid_tostr(p, sizeof(p), git_commit_parent_id(commit, i));
        if (json_array_append_new(parents, json_string(p)) < 0) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    {
        const char *subject = message ? message : "";
        size_t sl = strcspn(subject, "\n");
        if ((rc = set(repo_o, "path", ea_git_json_text(workdir, workdir_len, 4096))) < 0 ||
            (rc = set(repo_o, "remote",
                      remote ? ea_git_json_text(remote, strlen(remote), EA_GIT_URL_MAX)
                             : json_null())) < 0 ||
            (rc = set(repo_o, "branch",
                      branch ? ea_git_json_text(branch, strlen(branch), TEXT_MAX) : json_null())) <
                0 ||
            (rc = set(repo_o, "ref", ea_git_json_text(ref, strlen(ref), TEXT_MAX))) < 0 ||
            (rc = set(data, "repository", json_incref(repo_o))) < 0 ||
            (rc = set(data, "commit", json_string(sha))) < 0 ||
            (rc = set(data, "tree", json_string(tree))) < 0 ||
            (rc = set(data, "subject", ea_git_json_text(subject, sl, SUBJECT_MAX))) < 0 ||
            (rc = set(data, "author", person(git_commit_author(commit)))) < 0 ||
            (rc = set(data, "committer", person(git_commit_committer(commit)))) < 0 ||
            (rc = set(data, "parents", json_incref(parents))) < 0 ||
            (rc = set(data, "merge", json_boolean(git_commit_parentcount(commit) > 1))) < 0 ||
            (rc = set(data, "signed", json_boolean(is_signed))) < 0 ||
            (rc = set(data, "signature_type",
                      is_signed ? json_string(signature_type(sig.ptr)) : json_null())) < 0 ||
            (rc = set(data, "trailers", json_incref(tl))) < 0)
            goto out;
    }
    rc = add_files(data, s, commit);
    if (rc < 0) goto out;

    {
        const git_signature *author = git_commit_author(commit);
        json_t *name = ea_git_json_text(author->name, strlen(author->name), 100);
        long long files =
            (long long)json_integer_value(json_object_get(data, "files_changed_count"));
        char changed[48];
        if (json_object_get(data, "files_unknown"))
            snprintf(changed, sizeof(changed), "files changed unknown (shallow clone)");
        else
            snprintf(changed, sizeof(changed), "%lld file%s changed", files, files == 1 ? "" : "s");
        summary =
            ea_asprintf("Commit %.7s on %s by %s: %s; %s; %zu trailer%s.", sha,
                        branch ? branch : "a detached HEAD", name ? json_string_value(name) : "?",
                        changed, is_signed ? "signed" : "unsigned", json_array_size(tl),
                        json_array_size(tl) == 1 ? "" : "s");
        json_decref(name);
        if (!summary) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    fact.kind = "git_commit";
    fact.subject_name = subject_name;
    fact.subject_digest_alg = "gitCommit";
    fact.subject_digest = sha;
    fact.source_system = "git";
    fact.source_uri = source_uri;
    fact.raw = git_odb_object_data(raw);
    fact.raw_len = git_odb_object_size(raw);
    fact.result = EA_RESULT_INFO;
    fact.summary = summary;
    fact.data = data;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    json_decref(tl);
    json_decref(parents);
    json_decref(repo_o);
    json_decref(data);
    git_message_trailer_array_free(&trailers);
    git_buf_dispose(&sig);
    git_buf_dispose(&signed_data);
    git_odb_object_free(raw);
    git_odb_free(odb);
    git_commit_free(commit);
    git_reference_free(head);
    ea_free(summary);
    ea_free(subject_name);
    ea_free(source_uri);
    ea_free(remote);
    return rc;
}

static const char *const kinds[] = {"git_commit", NULL};
static const char *const defaults[] = {"A.8.32", "A.8.4", NULL};

static const struct ea_option options[] = {
    {"max_files", EA_OPTION_INT, 0, "1000", "most entries in files_changed (0 to 1000000)"},
    {NULL, 0, 0, NULL, NULL},
};

const struct ea_collector ea_collector_git = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "git",
    .version = "1.0.0",
    .summary =
        "the HEAD commit of a git repository: authorship, parents, signature, trailers, files",
    .usage = "PATH (a repository or a folder inside one; default: the current directory)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = git_init,
    .collect = git_collect,
    .free = git_free_state,
    .arg_flags = EA_ARG_PATH,
};
