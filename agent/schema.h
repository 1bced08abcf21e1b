/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON Schema (2020-12) validator over the schemas compiled into
 * the binary. It supports exactly the keywords our schemas use and refuses
 * to load a schema with any other, so no constraint is silently ignored.
 * Schemas are parsed and their patterns compiled once per process; after
 * that, validation only reads shared state and is safe from any thread.
 *
 * Supported: $schema $id $comment title description $defs $ref (local
 * "#/$defs/NAME") type properties required additionalProperties items
 * minItems maxItems uniqueItems minProperties maxProperties enum const
 * pattern (POSIX ERE, unanchored as in JSON Schema) minLength maxLength
 * (code points) minimum maximum anyOf oneOf.
 */
#ifndef EA_SCHEMA_H
#define EA_SCHEMA_H

#include <jansson.h>

/**
 * Validates instance (borrowed) against the embedded schema file name
 * ("envelope.schema.json", "data/git_commit.schema.json", ...).
 * @return 0, EA_EINPUT with "<json path>: <what is wrong>", or EA_ERROR when
 *         the schema is unknown or failed to load (a build problem).
 */
int ea_schema_validate(const char *name, const json_t *instance);

/**
 * Validates a Statement: statement.schema.json, then its predicate.data
 * against data/<kind>.schema.json when one is embedded for that kind.
 */
int ea_schema_validate_statement(const json_t *statement);

/**
 * Frees the parsed schemas and compiled patterns (they are loaded again on
 * the next validation). The daemon calls it after each collector run, so
 * the table, and the matcher state its patterns grow, are not kept idle.
 */
void ea_schema_release(void);

#endif
