/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drop folder (collector "watch"): every regular file in the folder is
 * ingested once, then moved to done/, or to failed/ with FILE.reason beside
 * it. A file holds either signed envelopes, one per line (what
 * `collect --dry-run` prints; each must verify against agent.trusted_keys),
 * or a scan report for the scan collector (options: format, fail_on, ...).
 *
 * Exactly once, across crashes: a file's records are spooled as one batch
 * tagged with the file's digest (name, size, mtime and content). If the
 * agent dies after spooling but before the move, the next pass finds the
 * tag (pending, or a marker the shipper leaves in seen/) and only moves the
 * file. Files whose name starts with '.' are skipped: write a report as
 * .name and rename it into place, so a half-written file is never read. A
 * symbolic link is moved to failed/, never followed.
 */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../audit.h"
#include "../util/error.h"
#include "../integrity.h"
#include "../log.h"
#include "../record.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/hash.h"
#include "../util/mem.h"

struct pass { /* what one pass works with, all borrowed */
    struct ea_runtime *rt;
    struct ea_metrics *metrics;
    struct ea_stop *stop;
};

#define SEEN_MAX_AGE_US (7LL * 24 * 3600 * 1000000)
#define ENVELOPES_FILE_MAX ((size_t)64 << 20)

/*
 * The file's tag: SHA-256 over its name, size, mtime and its first st_size bytes (what
 * fstat saw: a file still growing is not read past that). Opened by the one reader, so
 * only a regular file is read.
 */
static int digest(char out[65], const char *path, const char *name, const struct stat *st)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32], chunk[65536];
    char meta[128];
    uint64_t left = st->st_size > 0 ? (uint64_t)st->st_size : 0;
    int fd = -1, rc;

    if (!md) return ea_fail(EA_ENOMEM, "out of memory");
    if ((rc = ea_fs_open_read(&fd, NULL, path, 0)) < 0) goto out;
    snprintf(meta, sizeof(meta), "\n%lld\n%lld.%09ld\n", (long long)st->st_size,
             (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, name, strlen(name));
    EVP_DigestUpdate(md, meta, strlen(meta));
    while (left > 0) {
        ssize_t n = read(fd, chunk, left < sizeof(chunk) ? (size_t)left : sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = ea_fail(EA_EIO, "cannot read: %s", strerror(errno));
            break;
        }
        if (n == 0) break;
        EVP_DigestUpdate(md, chunk, (size_t)n);
        left -= (uint64_t)n;
    }
    EVP_DigestFinal_ex(md, d, NULL);
    ea_hex_encode(out, d, sizeof(d));
out:
    if (fd >= 0) close(fd);
    EVP_MD_CTX_free(md);
    return rc;
}

/* True when the file starts with a JSON object that has payloadType: envelopes. */
static bool is_envelopes(const char *path)
{
    char head[4096];
    size_t n = 0;
    int fd;

    if (ea_fs_open_read(&fd, NULL, path, 0) < 0) {
        ea_error_clear();
        return false;
    }
    while (n < sizeof(head) - 1) {
        ssize_t r = read(fd, head + n, sizeof(head) - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    head[n] = '\0';
    return head[strspn(head, " \t\r\n")] == '{' && strstr(head, "\"payloadType\"");
}

/* Spools every envelope line of path as one tagged batch. @return records, or an error. */
static int ingest_envelopes(const struct pass *d, const char *path, const char *tag)
{
    struct ea_runtime *rt = d->rt;
    struct ea_store *w = NULL;
    struct ea_buf b;
    size_t line_no = 0;
    int records = 0, rc;

    if (rt->ntrusted == 0)
        return ea_fail(EA_ECONFIG, "envelopes need agent.trusted_keys to be verified against");
    if ((rc = ea_fs_read(&b, path, ENVELOPES_FILE_MAX, 0)) < 0) return rc;
    if ((rc = ea_spool_writer(rt->spool, &w)) < 0) goto out;
    ea_spool_writer_tag(w, tag);
    for (size_t at = 0; rc == 0 && at < b.len;) {
        const char *line = b.data + at;
        const char *nl = memchr(line, '\n', b.len - at);
        size_t len = nl ? (size_t)(nl - line) : b.len - at;
        struct ea_envelope env;

        at += len + 1;
        line_no++;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        if (len == 0) continue;
        json_t *h = json_loadb(line, len, 0, NULL);
        if (ea_head_is(h) || !json_object_get(h, "payloadType")) { /* a head, as ingest takes */
            rc = ea_head_is(h) ? ea_head_accept(w, line, len, rt->trusted, rt->ntrusted)
                               : ea_fail(EA_EVERIFY, "neither a signed envelope nor a signed "
                                                     "stream head");
            json_decref(h);
            if (rc < 0) ea_fail_prefix("line %zu", line_no);
            continue;
        }
        json_decref(h);
        rc = ea_audit_envelope(&env, line, len, rt->trusted, rt->ntrusted);
        if (rc == 0) rc = ea_spool_writer_put_raw(w, line, len);
        ea_envelope_dispose(&env);
        if (rc < 0)
            ea_fail_prefix("line %zu", line_no);
        else
            records++;
    }
    if (rc == 0 && records == 0) rc = ea_fail(EA_EINPUT, "no envelope in the file");
    if (rc == 0) rc = ea_store_sync(w); /* the one atomic step: all lines, or none */
out:
    ea_store_close(w);
    ea_buf_dispose(&b);
    return rc < 0 ? rc : records;
}

/* Moves path into dir/sub/, under a new name if one is there already. */
static int move_to(const char *dir, const char *sub, const char *name, char **moved)
{
    char *from = ea_asprintf("%s/%s", dir, name);
    char *to = ea_asprintf("%s/%s/%s", dir, sub, name);
    char *folder = ea_asprintf("%s/%s", dir, sub);
    int rc = from && to && folder ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    for (unsigned i = 1; rc == 0 && ea_fs_exists(to) && i < 1000; i++) {
        ea_free(to);
        if (!(to = ea_asprintf("%s/%s/%s.%u", dir, sub, name, i)))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && rename(from, to) < 0)
        rc = ea_fail(EA_EIO, "%s: cannot move to %s/: %s", from, sub, strerror(errno));
    if (rc == 0) rc = ea_fs_sync_dir(folder);
    if (rc == 0) rc = ea_fs_sync_dir(dir);
    ea_free(from);
    ea_free(folder);
    if (rc == 0 && moved)
        *moved = to;
    else
        ea_free(to);
    return rc;
}

static void fail_file(const struct pass *d, const struct ea_dcollector *dc, const char *name,
                      const char *why)
{
    char *moved = NULL, *reason;

    if (move_to(dc->arg, "failed", name, &moved) < 0) {
        EA_LOG_ERROR(dc->id, "%s: %s", name, ea_error_message(EA_EIO));
        ea_error_clear();
        return;
    }
    if ((reason = ea_asprintf("%s.reason", moved))) {
        char *text = ea_asprintf("%s\n", why);
        if (!text || ea_fs_write_atomic(reason, text, strlen(text), true) < 0) ea_error_clear();
        ea_free(text);
    }
    ea_free(reason);
    ea_free(moved);
    EA_LOG_ERROR(dc->id, "%s moved to failed/: %s", name, why);
    ea_metrics_watched(d->metrics, dc->id, false);
}

/* A scan report read through fdpath, recorded under its own name in the folder. */
static int report(const struct pass *d, const struct ea_dcollector *dc, const char *fdpath,
                  const char *name, const char *tag)
{
    json_t *options = dc->options ? json_deep_copy(dc->options) : json_object();
    int rc;

    if (!options || ea_json_put(options, "name", json_string(name)) < 0) {
        json_decref(options);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = ea_runtime_collect(d->rt, dc, fdpath, "scan", options, tag, NULL);
    json_decref(options);
    return rc;
}

/* msg with every "/dev/fd/N" (how the file is read) shown as the file's name. */
static void name_in(char *out, size_t cap, const char *msg, const char *fdpath, const char *name)
{
    size_t used = 0, n = strlen(fdpath);

    out[0] = '\0';
    while (*msg && used + 1 < cap) {
        const char *at = strstr(msg, fdpath);
        size_t take = at ? (size_t)(at - msg) : strlen(msg);
        int w = snprintf(out + used, cap - used, "%.*s%s", (int)take, msg, at ? name : "");
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
        msg += take + (at ? n : 0);
    }
}

/*
 * One file, opened once without following links: everything after reads that
 * open file (through /dev/fd/N), so a name swapped for a symbolic link in the
 * meantime cannot make the agent read another file.
 */
static void one_file(const struct pass *d, const struct ea_dcollector *dc, const char *name)
{
    char *path = ea_asprintf("%s/%s", dc->arg, name);
    char tag[65], why[600], fdpath[32];
    struct stat st;
    int fd = -1, rc;

    if (!path) return;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP) {
        fail_file(d, dc, name, "a symbolic link: only regular files are ingested");
        goto out;
    }
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) goto out; /* folders: not ours */
    snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
    if ((rc = digest(tag, fdpath, name, &st)) < 0) {
        name_in(why, sizeof(why), ea_error_message(rc), fdpath, name);
        ea_error_clear();
        fail_file(d, dc, name, why);
        goto out;
    }
    if (ea_spool_tag_seen(d->rt->spool, tag)) { /* spooled before a crash: only the move is left */
        EA_LOG_INFO(dc->id, "%s was spooled already; moving it to done/", name);
    } else {
        rc = is_envelopes(fdpath) ? ingest_envelopes(d, fdpath, tag)
                                  : report(d, dc, fdpath, name, tag);
        if (rc < 0) {
            name_in(why, sizeof(why), ea_error_message(rc), fdpath, name);
            ea_error_clear();
            if (rc == EA_EIO || rc == EA_ENOMEM) { /* ours, not the file's: try again next pass */
                EA_LOG_ERROR(dc->id, "%s left in place: %s", name, why);
                goto out;
            }
            fail_file(d, dc, name, why);
            goto out;
        }
        EA_LOG_INFO(dc->id, "%s: %d record%s spooled", name, rc, rc == 1 ? "" : "s");
        ea_metrics_collected(d->metrics, dc->id, (unsigned)rc, true);
    }
    if (move_to(dc->arg, "done", name, NULL) < 0) {
        EA_LOG_ERROR(dc->id, "%s", ea_error_message(EA_EIO));
        ea_error_clear();
        goto out;
    }
    ea_metrics_watched(d->metrics, dc->id, true);
out:
    if (fd >= 0) close(fd);
    ea_free(path);
}

/* What is waiting in the folder: everything but its own done/ and failed/. */
static bool is_waiting(const char *name)
{
    return strcmp(name, "done") != 0 && strcmp(name, "failed") != 0;
}

void ea_watch_pass(struct ea_runtime *rt, struct ea_metrics *metrics, struct ea_stop *stop,
                   const struct ea_dcollector *dc)
{
    const struct pass ps = {rt, metrics, stop}, *d = &ps;
    char *done = ea_asprintf("%s/done", dc->arg), *failed = ea_asprintf("%s/failed", dc->arg);
    char **names = NULL;
    size_t n = 0, i = 0;

    if (!done || !failed || ea_fs_mkdirs(done) < 0 || ea_fs_mkdirs(failed) < 0 ||
        ea_fs_list_dir(&names, &n, dc->arg, is_waiting) < 0) {
        EA_LOG_ERROR(dc->id, "drop folder %s: %s", dc->arg,
                     ea_error_is_set() ? ea_error_message(EA_EIO) : "out of memory");
        ea_error_clear();
        ea_metrics_collected(d->metrics, dc->id, 0, false);
        goto out;
    }
    for (; i < n && !ea_stop_requested(d->stop) && !ea_spool_full(d->rt->spool); i++)
        one_file(d, dc, names[i]);
    /* markers are forgotten only after a whole pass has seen every file a crash left */
    if (i == n) ea_spool_tags_prune(d->rt->spool, SEEN_MAX_AGE_US);
    ea_metrics_collected(d->metrics, dc->id, 0, true);
out:
    ea_fs_names_free(names, n);
    ea_free(done);
    ea_free(failed);
}
