/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The embedded defaults.json, parsed on first use; see defaults.h. The
 * document is kept for the process: the strings handed out from it are
 * borrowed by records being built on any thread.
 */
#include "defaults.h"

#include <pthread.h>

#include "schemas.h"

static json_t *doc;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    const struct ea_schema_file *f = ea_schema_file_get("controls/defaults.json");

    if (f) doc = json_loadb(f->data, f->len, 0, NULL);
}

const json_t *ea_defaults_json(void)
{
    pthread_once(&once, load);
    return doc;
}
