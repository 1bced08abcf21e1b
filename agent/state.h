/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's local state: for each record kind and subject, the last record it
 * spooled (its ID, subject digest, result, controls and data), one small JSON file
 * per pair in a folder of the spool. It lets a collector compare with what was
 * recorded before while the stores are unreachable (host->latest looks here first),
 * and lets a scheduled run whose facts did not change make no new record.
 */
#ifndef EA_STATE_H
#define EA_STATE_H

#include <stdbool.h>

#include <jansson.h>

/** At most this many bytes of one state file are read. */
#define EA_STATE_FILE_MAX (16u << 20)

/**
 * The last state of kind and subject in dir.
 * @param out new reference, or NULL when there is none (or it cannot be read: a
 *            missing local state is never an error, the store is asked instead).
 */
void ea_state_read(json_t **out, const char *dir, const char *kind, const char *subject);
/**
 * Replaces the state of the record whose Statement is statement (kind and subject
 * taken from it), with its ID.
 * @return 0 or EA_EIO / EA_ENOMEM naming the file.
 */
int ea_state_write(const char *dir, const json_t *statement, const char *id);
/**
 * True when statement holds the same facts as state: the same kind, subject (name
 * and digest), result, controls, and data except "drift" (which names the previous
 * record, not the facts).
 */
bool ea_state_same(const json_t *state, const json_t *statement);

#endif
