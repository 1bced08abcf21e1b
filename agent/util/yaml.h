/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML files (and JSON, which YAML reads too) as jansson values, for the
 * files people write by hand: the Statement of Applicability, the daemon's
 * configuration, configuration snapshots. Scalars stay strings (the reader
 * decides what "7d" or "true" means); anchors and aliases are expanded (an
 * alias to a value that contains it is refused, and the expanded document is
 * bounded by EA_YAML_NODES_MAX values, against alias bombs); merge keys
 * ("<<: *base") add the keys they bring without overriding; every mapping
 * key's line is kept so that errors can name it.
 */
#ifndef EA_UTIL_YAML_H
#define EA_UTIL_YAML_H

#include <jansson.h>

#define EA_YAML_FILE_MAX (64u << 20)
#define EA_YAML_NODES_MAX 2000000u /* values, aliases expanded: an alias bomb stops here */

/**
 * Loads path.
 * @param out   new reference: the document (an empty file is an empty object).
 * @param lines new reference: {"a/b/c": [line, column], ...}, where each mapping key
 *              starts (1-based), by its path of keys joined with '/' (sequence items
 *              by index).
 * @return 0, EA_EINPUT "path:line:column: problem" (also for a missing file), EA_ETOOBIG.
 */
int ea_yaml_load(const char *path, json_t **out, json_t **lines);
/** The same from memory; name is used in messages. */
int ea_yaml_parse(const char *name, const char *data, size_t len, json_t **out, json_t **lines);
/** Every document of a multi-document stream ("---" separated), as an array (new reference). */
int ea_yaml_parse_stream(const char *name, const char *data, size_t len, json_t **docs);

#endif
