/* SPDX-License-Identifier: Apache-2.0 */
/* Hyperscan on demand: see hs.h. */
#include "hs.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

static struct ea_hs lib;
static const struct ea_hs *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *h = dlopen("libhs.so.5", RTLD_NOW | RTLD_LOCAL);

    if (!h) return;
    *(void **)&lib.compile_multi = dlsym(h, "hs_compile_multi");
    *(void **)&lib.free_compile_error = dlsym(h, "hs_free_compile_error");
    *(void **)&lib.alloc_scratch = dlsym(h, "hs_alloc_scratch");
    *(void **)&lib.free_scratch = dlsym(h, "hs_free_scratch");
    *(void **)&lib.scan = dlsym(h, "hs_scan");
    if (lib.compile_multi && lib.free_compile_error && lib.alloc_scratch && lib.free_scratch &&
        lib.scan)
        loaded = &lib;
}

const struct ea_hs *ea_hs_load(void)
{
    pthread_once(&once, load);
    return loaded;
}
