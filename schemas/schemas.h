/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON files of schemas/ compiled into the binary (see embed.cmake):
 * record schemas and the control catalogue. Borrowed, static, NUL-terminated.
 */
#ifndef EA_SCHEMAS_H
#define EA_SCHEMAS_H

#include <stddef.h>

struct ea_schema_file {
    const char *name; /* path relative to schemas/, e.g. "controls/annex-a-2022.json" */
    const char *data; /* the file's bytes, NUL-terminated */
    size_t len;       /* length without the NUL */
};

/** Terminated by an entry whose name is NULL. */
extern const struct ea_schema_file ea_schema_files[];

/** The embedded file called name, or NULL. */
const struct ea_schema_file *ea_schema_file_get(const char *name);

#endif
