/* SPDX-License-Identifier: Apache-2.0 */
/* libgit2 on demand: see git2.h. The collectors' init/shutdown pairs bracket its use. */
#define EA_GIT2_LOADER
#include "git2.h"

#include <pthread.h>
#include <stddef.h>

#include "dl.h"

struct ea_git2_fns ea_git2;

static const struct ea_dl_sym syms[] = {
#define EA_GIT2_SYM(f) EA_DL_SYM(struct ea_git2_fns, f),
    EA_GIT2_FNS(EA_GIT2_SYM)
#undef EA_GIT2_SYM
};
static struct ea_dl dl =
    EA_DL_INIT(EA_SONAME_LIBGIT2, EA_PACKAGE_LIBGIT2, "to read git repositories", syms, ea_git2);

/* Serialises init and shutdown, whose counts decide when the library may go. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool unload_idle;

void ea_git2_unload_idle(bool on)
{
    pthread_mutex_lock(&lock);
    unload_idle = on;
    pthread_mutex_unlock(&lock);
}

int ea_git2_init(void)
{
    int rc;

    pthread_mutex_lock(&lock);
    rc = ea_dl_load(&dl);
    if (rc == 0) rc = ea_git2.git_libgit2_init();
    pthread_mutex_unlock(&lock);
    return rc;
}

int ea_git2_shutdown(void)
{
    int left;

    pthread_mutex_lock(&lock);
    if (!ea_dl_loaded(&dl)) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    left = ea_git2.git_libgit2_shutdown();
    if (left == 0 && unload_idle) ea_dl_unload(&dl); /* nobody uses it: give its pages back */
    pthread_mutex_unlock(&lock);
    return left;
}
