/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file backend, the embedded default. Each object is a file under the
 * store root, written atomically and durably (temp file, fsync, rename,
 * fsync of the directory; new directories are synced into their parents).
 * Writes are group-committed: put and put_stream stage a temp file, sync
 * makes the batch durable with one filesystem sync, renames it into place
 * and syncs again, so N records cost two syncs, not 2N fsyncs.
 * Files are 0600 and directories 0700. Listing walks only the control and
 * day folders a query can match, and reads names, never contents.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../controls.h"
#include "../util/error.h"
#include "../util/fs.h"
#include "../util/mem.h"
#include "../util/time.h"
#include "store.h"

/* An object staged by put: written under tmp, renamed to final by sync. */
struct staged {
    char *tmp;   /* owned */
    char *final; /* owned */
};

struct file_store {
    struct ea_store base; /* first: ea_store pointers cast back to file_store here only */
    char *root;
    struct staged *staged;
    size_t nstaged, cap;
    unsigned long serial; /* makes temp names unique within this process */
    char *last_dir;       /* owned: the folder last known to exist (saves mkdirs per put) */
};

static void drop_staged(struct file_store *fs, bool unlink_tmp)
{
    for (size_t i = 0; i < fs->nstaged; i++) {
        if (unlink_tmp) unlink(fs->staged[i].tmp);
        ea_free(fs->staged[i].tmp);
        ea_free(fs->staged[i].final);
    }
    fs->nstaged = 0;
}

/* Writes bytes to a temp file beside final and stages the rename. Takes final. */
static int stage(struct file_store *fs, char *final, const char *bytes, size_t len)
{
    struct staged *s;
    char *tmp;
    int rc;

    if (fs->nstaged == fs->cap) {
        size_t ncap = fs->cap ? fs->cap * 2 : 64;
        struct staged *ns = ea_realloc(fs->staged, ncap * sizeof(*ns));
        if (!ns) {
            ea_free(final);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        fs->staged = ns;
        fs->cap = ncap;
    }
    tmp = ea_asprintf("%s.tmp.%ld.%lu", final, (long)getpid(), ++fs->serial);
    if (!tmp) {
        ea_free(final);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = ea_fs_write_new(tmp, bytes, len);
    if (rc < 0) {
        ea_free(tmp);
        ea_free(final);
        return rc;
    }
    s = &fs->staged[fs->nstaged++];
    s->tmp = tmp;
    s->final = final;
    return 0;
}

static int file_sync(struct ea_store *st)
{
    struct file_store *fs = (struct file_store *)st;
    char **paths = NULL;
    int rc;

    if (fs->nstaged == 0) return 0;
    paths = ea_calloc(fs->nstaged, sizeof(*paths));
    if (!paths) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < fs->nstaged; i++) paths[i] = fs->staged[i].tmp;
    rc = ea_fs_sync_files(fs->root, paths, fs->nstaged); /* data first */
    for (size_t i = 0; i < fs->nstaged && rc == 0; i++) {
        if (rename(fs->staged[i].tmp, fs->staged[i].final) < 0)
            rc = ea_fail(EA_EIO, "%s: cannot rename into place: %s", fs->staged[i].final,
                         strerror(errno));
        paths[i] = fs->staged[i].final;
    }
    if (rc == 0) rc = ea_fs_sync_files(fs->root, paths, fs->nstaged); /* then the names */
    ea_free(paths);
    drop_staged(fs, rc < 0);
    return rc;
}

static int check_dir(const char *path, bool writable)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return ea_fail(EA_ENOTFOUND,
                           "%s: no evidence store here (run 'evidence-agent collect' first, or "
                           "pass --store or EVIDENCE_STORE)",
                           path);
        return ea_fail(EA_EIO, "%s: cannot access the store: %s (check its permissions)", path,
                       strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return ea_fail(EA_EUSAGE, "%s: not a folder (give a store folder)", path);
    if (access(path, R_OK | X_OK | (writable ? W_OK : 0)) < 0)
        return ea_fail(EA_EIO, "%s: the store is not %s by this user (check its permissions)", path,
                       writable ? "writable" : "readable");
    return 0;
}

/* mkdir -p that also syncs each new directory into its parent, for durability. */
static int mkdirs_durable(const char *dir)
{
    char *p = ea_strdup(dir);
    int rc = 0;

    if (!p) return ea_fail(EA_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0700) == 0) {
            char *slash = strrchr(p, '/');
            if (slash && slash != p) {
                *slash = '\0';
                rc = ea_fs_sync_dir(p);
                *slash = '/';
            }
        } else if (errno != EEXIST) {
            rc = ea_fail(EA_EIO, "%s: cannot create folder: %s (check permissions and disk space)",
                         p, strerror(errno));
        }
        *s = saved;
        if (rc < 0 || saved == '\0') break;
    }
    ea_free(p);
    return rc;
}

static int file_open(struct ea_store **out, const char *location, unsigned flags)
{
    struct file_store *fs;
    size_t n = strlen(location);
    int rc;

    *out = NULL;
    while (n > 1 && location[n - 1] == '/') n--;
    if (n == 0) return ea_fail(EA_EUSAGE, "empty store path");
    if ((flags & EA_STORE_CREATE) && !ea_fs_exists(location)) {
        char *tmp = ea_strndup(location, n);
        if (!tmp) return ea_fail(EA_ENOMEM, "out of memory");
        rc = ea_fs_mkdirs(tmp);
        ea_free(tmp);
        if (rc < 0) return rc;
    }
    fs = ea_calloc(1, sizeof(*fs));
    if (!fs || !(fs->root = ea_strndup(location, n))) {
        ea_free(fs);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = check_dir(fs->root, flags & EA_STORE_CREATE);
    if (rc < 0) {
        ea_free(fs->root);
        ea_free(fs);
        return rc;
    }
    fs->base.ops = &ea_store_file_ops;
    *out = &fs->base;
    return 0;
}

static void file_close(struct ea_store *st)
{
    struct file_store *fs = (struct file_store *)st;

    drop_staged(fs, true); /* staged but never synced: not stored */
    ea_free(fs->last_dir);
    ea_free(fs->staged);
    ea_free(fs->root);
    ea_free(fs);
}

static int file_put(struct ea_store *st, const struct ea_envelope *env)
{
    struct file_store *fs = (struct file_store *)st;
    char key[EA_STORE_KEY_MAX];
    char *path = NULL;
    int rc = 0;

    for (size_t i = 0; i < env->controls.n && rc == 0; i++) {
        rc = ea_store_key(key, env, env->controls.ids[i]);
        if (rc < 0) break;
        path = ea_asprintf("%s/%s", fs->root, key);
        if (!path) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            break;
        }
        if (!ea_fs_exists(path)) { /* content-addressed: an existing name holds this record */
            char *slash = strrchr(path, '/');
            *slash = '\0';
            if (!fs->last_dir || strcmp(fs->last_dir, path) != 0) {
                rc = mkdirs_durable(path);
                ea_free(fs->last_dir);
                fs->last_dir = rc == 0 ? ea_strdup(path) : NULL;
            }
            *slash = '/';
            if (rc == 0) {
                rc = stage(fs, path, env->json, env->json_len);
                path = NULL; /* taken by stage */
            }
        }
        ea_free(path);
        path = NULL;
    }
    return rc;
}

static bool is_number_name(const char *s)
{
    size_t n = strlen(s);
    if (n != 2 && n != 4) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
}

static bool is_control_name(const char *s)
{
    return ea_controls_find(s) != NULL;
}

static bool is_record_name(const char *s)
{
    size_t n = strlen(s);
    return n > 70 && strcmp(s + n - 5, ".json") == 0 && strstr(s, ".tmp.") == NULL;
}

struct walk {
    struct file_store *fs;
    const struct ea_query *q;
    ea_store_list_cb cb;
    void *payload;
    long first_day, last_day; /* YYYYMMDD */
};

static int walk_day(struct walk *w, const char *control, const char *y, const char *m,
                    const char *d)
{
    char *dir = ea_asprintf("%s/controls/%s/%s/%s/%s", w->fs->root, control, y, m, d);
    char **names = NULL;
    size_t n = 0;
    int rc;

    if (!dir) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_fs_list_dir(&names, &n, dir, is_record_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct ea_store_entry e;
        char key[EA_STORE_KEY_MAX];
        char id[65];

        if (ea_store_parse_name(names[i], &e.time_us, id) < 0) {
            ea_error_clear(); /* not ours: verify reports stray files, list skips them */
            continue;
        }
        if (e.time_us < w->q->since_us || e.time_us > w->q->until_us) continue;
        snprintf(key, sizeof(key), "controls/%s/%s/%s/%s/%s", control, y, m, d, names[i]);
        e.key = key;
        e.control = control;
        e.id = id;
        rc = w->cb(&e, w->payload);
    }
    ea_fs_names_free(names, n);
    ea_free(dir);
    return rc;
}

/* Walks year/month/day folders below dir, pruning by the query's day range. */
static int walk_dates(struct walk *w, const char *control, const char *dir, int depth, long prefix,
                      const char *names_so_far[3])
{
    char **names = NULL;
    size_t n = 0;
    int rc = ea_fs_list_dir(&names, &n, dir, is_number_name);

    for (size_t i = 0; i < n && rc == 0; i++) {
        long v = strtol(names[i], NULL, 10);
        long here = prefix * (depth == 0 ? 1 : 100) + v;
        long scale = depth == 0 ? 10000 : depth == 1 ? 100 : 1;
        /* here*scale .. here*scale+scale-1 is the range of YYYYMMDD this folder holds */
        if (here * scale + scale - 1 < w->first_day || here * scale > w->last_day) continue;
        names_so_far[depth] = names[i];
        if (depth == 2) {
            rc = walk_day(w, control, names_so_far[0], names_so_far[1], names_so_far[2]);
        } else {
            char *sub = ea_asprintf("%s/%s", dir, names[i]);
            if (!sub) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                break;
            }
            rc = walk_dates(w, control, sub, depth + 1, here, names_so_far);
            ea_free(sub);
        }
    }
    ea_fs_names_free(names, n);
    return rc;
}

static long yyyymmdd(int64_t us)
{
    /* Years 0..9999 are all a key can hold; clamping also keeps INT64_MIN/MAX sane. */
    const int64_t lo = -62135596800LL * 1000000LL, hi = 253402300799LL * 1000000LL;
    int y, m, d;

    if (us < lo) return 0;
    if (us > hi) return 99999999L;
    ea_time_civil(us, &y, &m, &d);
    return (long)y * 10000 + m * 100 + d;
}

static int file_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb,
                     void *payload)
{
    struct file_store *fs = (struct file_store *)st;
    struct walk w = {.fs = fs, .q = q, .cb = cb, .payload = payload};
    const char *parts[3] = {NULL, NULL, NULL};
    char **controls = NULL;
    size_t n = 0;
    int rc = 0;

    w.first_day = yyyymmdd(q->since_us);
    w.last_day = yyyymmdd(q->until_us);
    if (q->control) {
        char *dir = ea_asprintf("%s/controls/%s", fs->root, q->control);
        if (!dir) return ea_fail(EA_ENOMEM, "out of memory");
        rc = walk_dates(&w, q->control, dir, 0, 0, parts);
        ea_free(dir);
        return rc;
    }
    {
        char *dir = ea_asprintf("%s/controls", fs->root);
        if (!dir) return ea_fail(EA_ENOMEM, "out of memory");
        rc = ea_fs_list_dir(&controls, &n, dir, is_control_name);
        for (size_t i = 0; i < n && rc == 0; i++) {
            char *sub = ea_asprintf("%s/%s", dir, controls[i]);
            if (!sub) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                break;
            }
            rc = walk_dates(&w, controls[i], sub, 0, 0, parts);
            ea_free(sub);
        }
        ea_free(dir);
    }
    ea_fs_names_free(controls, n);
    return rc;
}

/* A key is relative, has no empty, "." or ".." segment, and starts in a known folder. */
static bool key_ok(const char *key)
{
    const char *seg = key;

    if (strncmp(key, "controls/", 9) != 0 && strncmp(key, "streams/", 8) != 0 &&
        strncmp(key, "checkpoints/", 12) != 0 && strncmp(key, "timestamps/", 11) != 0 &&
        strncmp(key, "blobs/", 6) != 0)
        return false;
    for (const char *p = key;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t len = (size_t)(p - seg);
            if (len == 0 || (len == 1 && seg[0] == '.') ||
                (len == 2 && seg[0] == '.' && seg[1] == '.'))
                return false;
            if (*p == '\0') return true;
            seg = p + 1;
        }
    }
}

static int file_get(struct ea_store *st, const char *key, struct ea_buf *out)
{
    struct file_store *fs = (struct file_store *)st;
    char *path;
    int rc;

    ea_buf_init(out, ea_store_object_max(key));
    if (!key_ok(key)) return ea_fail(EA_EINPUT, "'%s': not a key of this store", key);
    path = ea_asprintf("%s/%s", fs->root, key);
    if (!path) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_fs_read(out, path, ea_store_object_max(key), EA_FS_NOFOLLOW);
    ea_free(path);
    return rc;
}

static int file_put_stream(struct ea_store *st, const struct ea_stream_head *head)
{
    struct file_store *fs = (struct file_store *)st;
    char *dir = ea_asprintf("%s/streams", fs->root);
    char *path = ea_asprintf("%s/streams/%s.json", fs->root, head->stream);
    char *text = ea_stream_head_text(head);
    int rc;

    if (!dir || !path || !text) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = mkdirs_durable(dir);
    if (rc == 0) {
        rc = stage(fs, path, text, strlen(text));
        path = NULL; /* taken by stage */
    }
out:
    ea_free(text);
    ea_free(path);
    ea_free(dir);
    return rc;
}

static int file_put_object(struct ea_store *st, const char *key, const char *data, size_t len)
{
    struct file_store *fs = (struct file_store *)st;
    char *path = ea_asprintf("%s/%s", fs->root, key);
    char *slash;
    int rc;

    if (!path) return ea_fail(EA_ENOMEM, "out of memory");
    slash = strrchr(path, '/');
    *slash = '\0';
    rc = mkdirs_durable(path);
    *slash = '/';
    if (rc == 0) return stage(fs, path, data, len); /* takes path */
    ea_free(path);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reports the folder at key as one the walk did not go through. */
static int bad_folder(const char *key, const char *why, ea_store_object_cb cb, void *payload)
{
    struct ea_store_object o = {key, EA_STORE_FOLDER, why};

    return cb(&o, payload);
}

/*
 * Walks dir (key prefix rel) depth first in name order, reporting every
 * entry but "." and "..": regular files, links and anything else as they
 * are (lstat), descending only into real directories. A folder below the
 * root that cannot be read, is nested too deep or is empty is reported as
 * EA_STORE_FOLDER and the walk goes on; only the root unread is an error.
 */
static int walk_tree(const char *dir, const char *rel, int depth, ea_store_object_cb cb,
                     void *payload)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (depth > 16)
        return bad_folder(rel, "folders nested too deep for a store (not read)", cb, payload);
    if (!(d = opendir(dir))) {
        char why[160];
        if (depth == 0)
            return ea_fail(EA_EIO, "%s: cannot read the folder: %s (check its permissions)", dir,
                           strerror(errno));
        snprintf(why, sizeof(why), "a folder that cannot be read: %s (not checked)",
                 strerror(errno));
        return bad_folder(rel, why, cb, payload);
    }
    while (rc == 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            char **nv = ea_realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*nv));
            if (!nv) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                break;
            }
            names = nv;
        }
        if (!(names[n] = ea_strdup(de->d_name)))
            rc = ea_fail(EA_ENOMEM, "out of memory");
        else
            n++;
    }
    closedir(d);
    if (rc == 0 && n == 0 && depth > 0)
        rc = bad_folder(rel, "an empty folder: nothing of a store", cb, payload);
    if (n) qsort(names, n, sizeof(*names), cmp_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *path = ea_asprintf("%s/%s", dir, names[i]);
        char *key = ea_asprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat sb;

        if (!path || !key) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
        } else if (lstat(path, &sb) < 0) {
            if (errno != ENOENT) { /* gone since the listing: nothing to judge */
                char why[160];
                snprintf(why, sizeof(why), "cannot be read: %s (not checked)", strerror(errno));
                rc = bad_folder(key, why, cb, payload);
            }
        } else if (S_ISDIR(sb.st_mode)) {
            rc = walk_tree(path, key, depth + 1, cb, payload);
        } else {
            struct ea_store_object o = {key,
                                        S_ISREG(sb.st_mode)   ? EA_STORE_FILE
                                        : S_ISLNK(sb.st_mode) ? EA_STORE_LINK
                                                              : EA_STORE_SPECIAL,
                                        NULL};
            rc = cb(&o, payload);
        }
        ea_free(key);
        ea_free(path);
    }
    ea_fs_names_free(names, n);
    return rc;
}

static int file_walk(struct ea_store *st, ea_store_object_cb cb, void *payload)
{
    struct file_store *fs = (struct file_store *)st;

    return walk_tree(fs->root, "", 0, cb, payload);
}

const struct ea_store_ops ea_store_file_ops = {
    .scheme = "file",
    .open = file_open,
    .put = file_put,
    .list = file_list,
    .get = file_get,
    .put_stream = file_put_stream,
    .sync = file_sync,
    .walk = file_walk,
    .put_object = file_put_object,
    .close = file_close,
};
