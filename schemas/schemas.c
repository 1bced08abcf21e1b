/* SPDX-License-Identifier: Apache-2.0 */
/* Lookup in the embedded schema table. */
#include "schemas.h"

#include <string.h>

const struct ea_schema_file *ea_schema_file_get(const char *name)
{
    for (const struct ea_schema_file *f = ea_schema_files; f->name; f++) {
        if (strcmp(f->name, name) == 0) return f;
    }
    return NULL;
}
