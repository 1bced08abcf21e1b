/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Durable writes and bounded reads; see fs.h. syncfs(2) is Linux-only, so
 * this file alone asks for _GNU_SOURCE and keeps a portable fallback.
 */
#if defined(__linux__)
#define _GNU_SOURCE 1
#endif
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "mem.h"

int ea_fs_mkdirs(const char *dir)
{
    char *p = ea_strdup(dir);
    char *s;
    int rc = 0;

    if (!p) return ea_fail(EA_ENOMEM, "out of memory");
    for (s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST) {
            rc = ea_fail(EA_EIO, "%s: cannot create directory: %s (check permissions)", p,
                         strerror(errno));
            goto out;
        }
        *s = saved;
        if (saved == '\0') break;
    }
out:
    ea_free(p);
    return rc;
}

int ea_fs_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) return ea_fail(EA_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    if (fsync(fd) < 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return ea_fail(EA_EIO, "%s: fsync failed: %s", dir, strerror(e));
    }
    close(fd);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ea_fs_write_atomic(const char *path, const void *p, size_t n, bool fsync_dir)
{
    char *tmp = NULL;
    char *dir = NULL;
    char *slash;
    int fd = -1;
    int rc = 0;

    tmp = ea_asprintf("%s.tmp.%ld", path, (long)getpid());
    dir = ea_strdup(path);
    if (!tmp || !dir) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    slash = strrchr(dir, '/');
    if (!slash) {
        ea_free(dir);
        dir = ea_strdup(".");
        if (!dir) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    } else if (slash == dir) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = ea_fail(EA_EIO, "%s: cannot create: %s (check the folder's permissions)", tmp,
                     strerror(errno));
        goto out;
    }
    if (write_all(fd, p, n) < 0 || fsync(fd) < 0) {
        int e = errno;
        rc = ea_fail(EA_EIO, "%s: write failed: %s%s", tmp, strerror(e),
                     e == ENOSPC ? " (free disk space; nothing was half-written)" : "");
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = ea_fail(EA_EIO, "%s: close failed: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = ea_fail(EA_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
        goto out;
    }
    if (fsync_dir) rc = ea_fs_sync_dir(dir);
out:
    if (fd >= 0) close(fd);
    if (rc < 0 && tmp) unlink(tmp);
    ea_free(dir);
    ea_free(tmp);
    return rc;
}

int ea_fs_write_new(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = 0;

    if (fd < 0)
        return ea_fail(EA_EIO, "%s: cannot create: %s (check the folder's permissions)", path,
                       strerror(errno));
    if (write_all(fd, p, n) < 0) {
        int e = errno;
        rc = ea_fail(EA_EIO, "%s: write failed: %s%s", path, strerror(e),
                     e == ENOSPC ? " (free disk space; nothing was half-written)" : "");
    }
    if (close(fd) < 0 && rc == 0)
        rc = ea_fail(EA_EIO, "%s: close failed: %s", path, strerror(errno));
    if (rc < 0) unlink(path);
    return rc;
}

static int fsync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    int rc = 0;

    if (fd < 0) return ea_fail(EA_EIO, "%s: cannot open to sync: %s", path, strerror(errno));
    if (fsync(fd) < 0 && !(dir && errno == EINVAL))
        rc = ea_fail(EA_EIO, "%s: fsync failed: %s", path, strerror(errno));
    close(fd);
    return rc;
}

int ea_fs_sync_files(const char *root, char *const *paths, size_t n)
{
    int rc = 0;

    if (n == 0) return 0;
#if defined(__linux__)
    {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return ea_fail(EA_EIO, "%s: cannot open to sync: %s", root, strerror(errno));
        rc = syncfs(fd);
        int e = errno;
        close(fd);
        if (rc == 0) return 0;
        if (e != ENOSYS) return ea_fail(EA_EIO, "%s: syncfs failed: %s", root, strerror(e));
        rc = 0; /* no syncfs in this kernel: sync each file instead */
    }
#else
    (void)root;
#endif
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *dir = ea_strdup(paths[i]);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        if (!dir) return ea_fail(EA_ENOMEM, "out of memory");
        rc = fsync_path(paths[i], false);
        if (rc == 0 && slash) {
            *slash = '\0';
            rc = fsync_path(dir, true);
        }
        ea_free(dir);
    }
    return rc;
}

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a named pipe";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

int ea_fs_check_input(const char *path, unsigned flags, const char *what)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return ea_fail(EA_EINPUT, "%s: no such file (%s)", path, what);
        if (e == ELOOP)
            return ea_fail(EA_EINPUT, "%s: a loop of symbolic links (%s; point it at a file)", path,
                           what);
        return ea_fail(EA_EINPUT, "%s: cannot read %s: %s (check its permissions)", path, what,
                       strerror(e));
    }
    if (S_ISDIR(st.st_mode))
        return ea_fail(EA_EINPUT, "%s: a folder, where %s must be a file (name the file in it)",
                       path, what);
    if ((S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) && (flags & EA_FS_STREAM)) return 0;
    if (!S_ISREG(st.st_mode))
        return ea_fail(EA_EINPUT, "%s: a device, pipe or socket, where %s must be a regular file",
                       path, what);
    if (access(path, R_OK) != 0)
        return ea_fail(EA_EINPUT, "%s: cannot read %s: %s (check its permissions)", path, what,
                       strerror(errno));
    return 0;
}

int ea_fs_open_read(int *fd_out, struct stat *st_out, const char *path, unsigned flags)
{
    int oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    struct stat st;
    int fd, e;

    *fd_out = -1;
    if (flags & EA_FS_NOFOLLOW) oflags |= O_NOFOLLOW;
    fd = open(path, oflags);
    if (fd < 0) {
        e = errno;
        if (e == ENOENT) return ea_fail(EA_ENOTFOUND, "%s: cannot read: %s", path, strerror(e));
        if (e == ELOOP && (flags & EA_FS_NOFOLLOW))
            return ea_fail(EA_EINPUT,
                           "%s: a symbolic link, which is not followed here (put the file "
                           "itself there)",
                           path);
        if (e == ELOOP)
            return ea_fail(EA_EINPUT, "%s: a loop of symbolic links (point it at a file)", path);
        if (e == ENXIO)
            return ea_fail(EA_EINPUT, "%s: a socket or device, not a regular file (give a file)",
                           path);
        return ea_fail(EA_EIO, "%s: cannot read: %s (check its permissions)", path, strerror(e));
    }
    if (fstat(fd, &st) < 0) {
        e = errno;
        close(fd);
        return ea_fail(EA_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISFIFO(st.st_mode) && (flags & EA_FS_STREAM)) {
        /*
         * Asked for: wait for a writer on this descriptor (closing it could drop what a
         * writer already put in the pipe). Until a writer has come, read() would say end
         * of file; poll() waits for its data, or for its going (POLLHUP). Then reads block.
         */
        struct pollfd p = {fd, POLLIN, 0};
        int n;
        while ((n = poll(&p, 1, -1)) < 0 && errno == EINTR) continue;
        if (n < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
            e = errno;
            close(fd);
            return ea_fail(EA_EIO, "%s: cannot read: %s", path, strerror(e));
        }
    } else if (S_ISSOCK(st.st_mode) && (flags & EA_FS_STREAM)) {
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
            e = errno;
            close(fd);
            return ea_fail(EA_EIO, "%s: cannot read: %s", path, strerror(e));
        }
    } else if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ea_fail(EA_EINPUT, "%s: %s, not a regular file (give the path of a file%s)", path,
                       kind_of(st.st_mode), (flags & EA_FS_STREAM) ? " or a named pipe" : "");
    } else {
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* no effect on files */
    }
    if (st_out) *st_out = st;
    *fd_out = fd;
    return 0;
}

int ea_fs_read_fd(struct ea_buf *out, int fd, const char *name, size_t max_bytes)
{
    struct stat st;
    int rc = 0;

    ea_buf_init(out, max_bytes);
    /* A regular file: one allocation, sized so that the read that finds the end needs no growth. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t want;
        if ((uintmax_t)st.st_size > (uintmax_t)out->max_bytes)
            return ea_fail(EA_ETOOBIG, "%s: larger than the limit of %zu bytes", name,
                           out->max_bytes);
        want = (size_t)st.st_size < out->max_bytes ? (size_t)st.st_size + 1 : out->max_bytes;
        if ((rc = ea_buf_reserve(out, want)) < 0) return rc;
    }
    for (;;) {
        size_t want;
        ssize_t r;
        if (out->len == out->max_bytes) { /* at the bound: one more byte means too big */
            char probe;
            do r = read(fd, &probe, 1);
            while (r < 0 && errno == EINTR);
            if (r > 0)
                rc = ea_fail(EA_ETOOBIG, "%s: larger than the limit of %zu bytes", name,
                             out->max_bytes);
            else if (r < 0)
                rc = ea_fail(EA_EIO, "%s: read failed: %s", name, strerror(errno));
            break;
        }
        if (!out->data || out->cap - out->len < 2) {
            size_t room = out->max_bytes - out->len;
            if ((rc = ea_buf_reserve(out, room < 65536 ? room : 65536)) < 0) break;
        }
        /* never past the bound, however much the buffer's doubling left free */
        want = out->cap - out->len - 1;
        if (want > out->max_bytes - out->len) want = out->max_bytes - out->len;
        r = read(fd, out->data + out->len, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = ea_fail(EA_EIO, "%s: read failed: %s", name, strerror(errno));
            break;
        }
        if (r == 0) break;
        out->len += (size_t)r;
        out->data[out->len] = '\0';
    }
    if (rc < 0)
        ea_buf_dispose(out);
    else if (!out->data)
        rc = ea_buf_append(out, "", 0);
    else
        out->data[out->len] = '\0';
    return rc;
}

int ea_fs_read(struct ea_buf *out, const char *path, size_t max_bytes, unsigned flags)
{
    int fd, rc;

    ea_buf_init(out, max_bytes);
    if ((rc = ea_fs_open_read(&fd, NULL, path, flags)) < 0) return rc;
    rc = ea_fs_read_fd(out, fd, path, max_bytes);
    close(fd);
    return rc;
}

bool ea_fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ea_fs_list_dir(char ***out, size_t *n, const char *dir, bool (*keep)(const char *name))
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t cap = 0;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!d) {
        if (errno == ENOENT) return 0;
        return ea_fail(EA_EIO, "%s: cannot read folder: %s (check permissions)", dir,
                       strerror(errno));
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (keep && !keep(e->d_name))) continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = ea_realloc(names, ncap * sizeof(*names));
            if (!nn) {
                rc = ea_fail(EA_ENOMEM, "out of memory listing %s", dir);
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[*n] = ea_strdup(e->d_name))) {
            rc = ea_fail(EA_ENOMEM, "out of memory listing %s", dir);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc < 0) {
        for (size_t i = 0; i < *n; i++) ea_free(names[i]);
        ea_free(names);
        *n = 0;
        return rc;
    }
    if (*n) qsort(names, *n, sizeof(*names), cmp_str);
    *out = names;
    return 0;
}

void ea_fs_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) ea_free(names[i]);
    ea_free(names);
}
