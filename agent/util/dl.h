/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one lazy loader of the optional libraries (libcurl, libgit2, Hyperscan,
 * libarchive): each is dlopen()ed when first needed, because linked into the
 * binary they cost every command milliseconds of relocations and megabytes of
 * resident memory, and most commands never use them.
 *
 * A user describes its library once, with EA_DL_INIT: the soname and the
 * package that provides it come from the build (CMake reads the soname of the
 * very library it found, see cmake/EaSoname.cmake), never from code, and the
 * symbols fill a struct of typed function pointers the user owns. Loading is
 * all or nothing: a library lacking one symbol is closed again and the table
 * stays zeroed. Thread-safe; the handle lives until ea_dl_unload (or exit).
 *
 * It does not call any library function (initialisation such as
 * curl_global_init stays with the user) and keeps no failure: a later call
 * tries again.
 */
#ifndef EA_UTIL_DL_H
#define EA_UTIL_DL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/** One symbol: its name and where its pointer lives in the user's table. */
struct ea_dl_sym {
    const char *name;
    size_t offset;
};

/** Names the member f of the table type T, whose symbol is also called f. */
#define EA_DL_SYM(T, f)                                                                            \
    {                                                                                              \
#f, offsetof(T, f)                                                                         \
    }

/** One optional library. Built with EA_DL_INIT; the fields after `size` are private. */
struct ea_dl {
    const char *soname;           /* borrowed, static: "libcurl.so.4" */
    const char *package;          /* borrowed, static: "libcurl4", or "" when unknown */
    const char *purpose;          /* borrowed, static: "to make HTTP requests" */
    const struct ea_dl_sym *syms; /* borrowed, static */
    size_t nsyms;
    void *table; /* borrowed: filled on load, zeroed on failure and unload */
    size_t size; /* sizeof(*table) */
    pthread_mutex_t lock;
    void *handle;
};

/**
 * A static initialiser. soname and package are string literals from the build
 * (EA_SONAME_<LIB>, EA_PACKAGE_<LIB>); syms is an array; table a struct variable.
 */
#define EA_DL_INIT(soname_, package_, purpose_, syms_, table_)                                     \
    {                                                                                              \
        (soname_), (package_), (purpose_), (syms_), sizeof(syms_) / sizeof((syms_)[0]), &(table_), \
            sizeof(table_), PTHREAD_MUTEX_INITIALIZER, NULL                                        \
    }

/**
 * Loads the library and fills its table, unless it is loaded already.
 * @param dl borrowed.
 * @return 0, or EA_ERROR with a message naming the library, what it is needed
 *         for and the package to install (or the missing symbol).
 */
int ea_dl_load(struct ea_dl *dl);

/**
 * ea_dl_load for a library the caller can do without (it then does the same
 * work more slowly): sets no error message.
 * @param dl borrowed.
 * @return whether the table is filled.
 */
bool ea_dl_try(struct ea_dl *dl);

/** Whether the library is loaded now. @param dl borrowed. */
bool ea_dl_loaded(struct ea_dl *dl);

/**
 * Closes the library and zeroes its table; nothing when it is not loaded.
 * The caller makes sure no pointer of the table is in use.
 * @param dl borrowed.
 */
void ea_dl_unload(struct ea_dl *dl);

#endif
