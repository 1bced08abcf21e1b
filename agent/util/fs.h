/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Durable file operations shared by the spool and the file store. A file is
 * published by writing it under a temporary name, fsyncing it, renaming it
 * into place and fsyncing the directory, so a reader sees either nothing or
 * the whole file, and a crash after return loses nothing. Files are 0600 and
 * directories 0700: evidence is not for other local users.
 */
#ifndef EA_UTIL_FS_H
#define EA_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"

/** Creates dir and its missing parents with mode 0700. Existing ones are kept. */
int ea_fs_mkdirs(const char *dir);
/**
 * Writes p[0..n) to path atomically and durably: a temp file beside path,
 * fsync, rename, fsync of the directory.
 * @param fsync_dir false lets a caller batch directory syncs (see ea_fs_sync_dir).
 */
int ea_fs_write_atomic(const char *path, const void *p, size_t n, bool fsync_dir);
/**
 * Creates path (which must not exist) with mode 0600 and writes p[0..n) to it,
 * without fsync: for group commit, where ea_fs_sync_files makes a batch durable.
 */
int ea_fs_write_new(const char *path, const void *p, size_t n);
/**
 * Makes the named files, and the directories they are in, durable. On Linux
 * one syncfs(2) of the filesystem holding root covers any number of files
 * (a group commit); elsewhere each file and each directory is fsynced.
 */
int ea_fs_sync_files(const char *root, char *const *paths, size_t n);
/** fsyncs a directory so that renames inside it are durable. */
int ea_fs_sync_dir(const char *dir);
/*
 * Every file the agent reads goes through ea_fs_open_read: records, keys,
 * configs, SoAs, reports, spool batches, collector inputs. It opens without
 * blocking (O_NONBLOCK), fstat()s the open file and refuses anything that is
 * not a regular file, so /dev/zero, a folder or a named pipe nobody writes to
 * is a clear EA_EINPUT, never a hang or an unbounded read.
 */
/** A documented stream (pipeline=FIFO): a named pipe or socket is read too, waiting for its writer.
 */
#define EA_FS_STREAM 0x1u
/** A symbolic link (last component) is refused, not followed: for reads inside a store. */
#define EA_FS_NOFOLLOW 0x2u
/**
 * Checks, without opening it, that path can be read under the rules above: for
 * a collector's init, so that collect refuses a bad input before any runs.
 * @param what what the file is, for the message: "the report", "the log".
 * @return 0 or EA_EINPUT naming path and what is wrong (missing, a folder, a
 *         device or pipe, unreadable).
 */
int ea_fs_check_input(const char *path, unsigned flags, const char *what);
/**
 * Opens path for reading under the rules above.
 * @param fd the open descriptor (blocking, close-on-exec); the caller closes it.
 * @param st when not NULL, the fstat of the open file.
 * @return 0, EA_ENOTFOUND, EA_EINPUT (not a regular file, a link loop, or a link
 *         refused by EA_FS_NOFOLLOW) or EA_EIO; the message names path.
 */
int ea_fs_open_read(int *fd, struct stat *st, const char *path, unsigned flags);
/**
 * Reads a whole file opened by ea_fs_open_read, at most max_bytes; one byte more
 * is EA_ETOOBIG, whatever kind of file it is (the bound holds on every path).
 * @param name names the file in messages.
 * @param out initialised by this function; the caller disposes it. A regular
 *        file is read into one allocation sized from fstat, so a secret leaves
 *        no copy in freed memory.
 */
int ea_fs_read_fd(struct ea_buf *out, int fd, const char *name, size_t max_bytes);
/**
 * ea_fs_open_read + ea_fs_read_fd: a whole file, at most max_bytes.
 * @param flags EA_FS_STREAM, EA_FS_NOFOLLOW or 0.
 * @param out initialised by this function; the caller disposes it.
 */
int ea_fs_read(struct ea_buf *out, const char *path, size_t max_bytes, unsigned flags);
/** True when path exists (any type). */
bool ea_fs_exists(const char *path);
/**
 * The names in dir that keep() accepts (NULL keeps all), sorted; names that
 * start with '.' are never listed. A missing dir is an empty list.
 * @param out owned array of owned names; free with ea_fs_names_free.
 * @return 0, EA_EIO (dir unreadable, the message says so) or EA_ENOMEM.
 */
int ea_fs_list_dir(char ***out, size_t *n, const char *dir, bool (*keep)(const char *name));
void ea_fs_names_free(char **names, size_t n);

#endif
