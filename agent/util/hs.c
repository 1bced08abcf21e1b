/* SPDX-License-Identifier: Apache-2.0 */
/* Hyperscan on demand: see hs.h. util/dl.c loads it by the soname the build found. */
#include "hs.h"

#include <stddef.h>

#include "dl.h"

static struct ea_hs lib;
static const struct ea_dl_sym syms[] = {
    {"hs_compile_multi", offsetof(struct ea_hs, compile_multi)},
    {"hs_free_compile_error", offsetof(struct ea_hs, free_compile_error)},
    {"hs_alloc_scratch", offsetof(struct ea_hs, alloc_scratch)},
    {"hs_free_scratch", offsetof(struct ea_hs, free_scratch)},
    {"hs_scan", offsetof(struct ea_hs, scan)},
};
static struct ea_dl dl = EA_DL_INIT(EA_SONAME_HS, EA_PACKAGE_HS, "to scan text quickly", syms, lib);

const struct ea_hs *ea_hs_load(void)
{
    return ea_dl_try(&dl) ? &lib : NULL;
}
