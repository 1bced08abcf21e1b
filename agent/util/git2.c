/* SPDX-License-Identifier: Apache-2.0 */
/* libgit2 on demand: see git2.h. The collectors' init/shutdown pairs bracket its use. */
#define EA_GIT2_LOADER
#include "git2.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "error.h"

#ifdef EA_LIBGIT2_SONAME
#define LIBGIT2_SONAME EA_LIBGIT2_SONAME /* from the build: the version of the headers */
#else
#define LIBGIT2_SONAME "libgit2.so.1.5"
#endif

struct ea_git2_fns ea_git2;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *lib;
static bool unload_idle;

void ea_git2_unload_idle(bool on)
{
    pthread_mutex_lock(&lock);
    unload_idle = on;
    pthread_mutex_unlock(&lock);
}

/* Under the lock. */
static int load(void)
{
    bool all = true;

    if (lib) return 0;
    if (!(lib = dlopen(LIBGIT2_SONAME, RTLD_NOW | RTLD_LOCAL)))
        return ea_fail(EA_ERROR,
                       "cannot load " LIBGIT2_SONAME " (install the libgit2 runtime package): %s",
                       dlerror());
#define EA_GIT2_LOAD(f) all = (*(void **)&ea_git2.f = dlsym(lib, #f)) != NULL && all;
    EA_GIT2_FNS(EA_GIT2_LOAD)
#undef EA_GIT2_LOAD
    if (!all) {
        dlclose(lib);
        lib = NULL;
        memset(&ea_git2, 0, sizeof(ea_git2));
        return ea_fail(EA_ERROR, LIBGIT2_SONAME " lacks a function the agent needs");
    }
    return 0;
}

int ea_git2_init(void)
{
    int rc;

    pthread_mutex_lock(&lock);
    rc = load();
    if (rc == 0) rc = ea_git2.git_libgit2_init();
    pthread_mutex_unlock(&lock);
    return rc;
}

int ea_git2_shutdown(void)
{
    int left;

    pthread_mutex_lock(&lock);
    if (!lib) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    left = ea_git2.git_libgit2_shutdown();
    if (left == 0 && unload_idle) { /* nobody uses it: give its pages back */
        dlclose(lib);
        lib = NULL;
        memset(&ea_git2, 0, sizeof(ea_git2));
    }
    pthread_mutex_unlock(&lock);
    return left;
}
