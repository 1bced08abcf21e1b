/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hyperscan, loaded with dlopen on first use: it is a large C++ library whose
 * relocations would add ~10 ms to every command, and most commands never scan
 * text. The redactor's prefilter and the log scanner share this one loader;
 * each compiles its own database with it.
 */
#ifndef EA_UTIL_HS_H
#define EA_UTIL_HS_H

#include <hs/hs.h>

struct ea_hs {
    hs_error_t (*compile_multi)(const char *const *, const unsigned *, const unsigned *, unsigned,
                                unsigned, const hs_platform_info_t *, hs_database_t **,
                                hs_compile_error_t **);
    hs_error_t (*free_compile_error)(hs_compile_error_t *);
    hs_error_t (*alloc_scratch)(const hs_database_t *, hs_scratch_t **);
    hs_error_t (*free_scratch)(hs_scratch_t *);
    hs_error_t (*scan)(const hs_database_t *, const char *, unsigned, unsigned, hs_scratch_t *,
                       match_event_handler, void *);
};

/*
 * The library's entry points, loaded once per process (thread-safe), or NULL
 * when it is not installed: callers then do the same work without it, slower.
 */
const struct ea_hs *ea_hs_load(void);

#endif
