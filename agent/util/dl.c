/* SPDX-License-Identifier: Apache-2.0 */
/* The lazy loader of the optional libraries: see dl.h. */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* Under dl->lock. 0 when loaded; otherwise why (a sentence) is set and the table zeroed. */
static int load(struct ea_dl *dl, char *why, size_t cap)
{
    void *h;
    const char *err;

    if (dl->handle) return 0;
    dlerror();
    h = dlopen(dl->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        err = dlerror();
        snprintf(why, cap, "cannot load %s, needed %s (%s): install %s%s", dl->soname, dl->purpose,
                 err ? err : "not found",
                 dl->package[0] ? "the package " : "the package that provides ",
                 dl->package[0] ? dl->package : dl->soname);
        return -1;
    }
    for (size_t i = 0; i < dl->nsyms; i++) {
        void *fn = dlsym(h, dl->syms[i].name);

        if (!fn) {
            snprintf(why, cap,
                     "%s lacks %s, needed %s: install the version of %s the agent was built "
                     "against",
                     dl->soname, dl->syms[i].name, dl->purpose,
                     dl->package[0] ? dl->package : dl->soname);
            memset(dl->table, 0, dl->size);
            dlclose(h);
            return -1;
        }
        memcpy((char *)dl->table + dl->syms[i].offset, &fn, sizeof(fn));
    }
    dl->handle = h;
    return 0;
}

int ea_dl_load(struct ea_dl *dl)
{
    char why[512];
    int rc;

    pthread_mutex_lock(&dl->lock);
    rc = load(dl, why, sizeof(why));
    pthread_mutex_unlock(&dl->lock);
    return rc == 0 ? 0 : ea_fail(EA_ERROR, "%s", why);
}

bool ea_dl_try(struct ea_dl *dl)
{
    char why[512];
    int rc;

    pthread_mutex_lock(&dl->lock);
    rc = load(dl, why, sizeof(why));
    pthread_mutex_unlock(&dl->lock);
    return rc == 0;
}

bool ea_dl_loaded(struct ea_dl *dl)
{
    bool on;

    pthread_mutex_lock(&dl->lock);
    on = dl->handle != NULL;
    pthread_mutex_unlock(&dl->lock);
    return on;
}

void ea_dl_unload(struct ea_dl *dl)
{
    pthread_mutex_lock(&dl->lock);
    if (dl->handle) {
        memset(dl->table, 0, dl->size);
        dlclose(dl->handle);
        dl->handle = NULL;
    }
    pthread_mutex_unlock(&dl->lock);
}
