/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ISO/IEC 27001:2022 Annex A catalogue (93 controls) and the 2013 -> 2022
 * map, both compiled in from schemas/controls/. The catalogue is parsed once
 * per process and is immutable afterwards; every const char * this module
 * hands out points into it and lives as long as the process.
 *
 * An ID is accepted only if it is a 2022 ID of the catalogue or a 2013 ID of
 * the map; nothing else (no new folders from typos, no path tricks).
 */
#ifndef EA_CONTROLS_H
#define EA_CONTROLS_H

#include <stdbool.h>
#include <stddef.h>

struct ea_control {
    const char *id;    /* "A.8.32" */
    const char *title; /* "Change management" */
    const char *theme; /* organizational | people | physical | technological */
};

/** Most controls one record may carry (every 2022 control once). */
#define EA_CONTROLS_MAX 93

/** A sorted set of 2022 control IDs (borrowed catalogue strings). */
struct ea_control_set {
    const char *ids[EA_CONTROLS_MAX];
    size_t n;
};

/** Loads the catalogue (idempotent, thread-safe). @return 0 or EA_ERROR. */
int ea_controls_init(void);
/** The catalogue as an array in catalogue order. Borrowed. */
const struct ea_control *ea_controls_all(size_t *n);
/** The 2022 control with this exact ID, or NULL. Borrowed. */
const struct ea_control *ea_controls_find(const char *id);
/**
 * Resolves a user-given ID (2022, or 2013 mapped to 2022; surrounding blanks
 * and a missing "A." prefix are tolerated) and adds the result to set.
 * @return 0, or EA_EINPUT with a message naming the ID and suggesting the
 *         nearest valid IDs.
 */
int ea_controls_add(struct ea_control_set *set, const char *text);
/** Adds an already-valid 2022 ID (borrowed catalogue string) to set. */
void ea_control_set_put(struct ea_control_set *set, const char *catalogue_id);
/** True when set contains the 2022 id. */
bool ea_control_set_has(const struct ea_control_set *set, const char *id);
/**
 * Calls cb for each control whose ID or title or theme contains text
 * (case-insensitive); a 2013 ID matches the controls it maps to. NULL or ""
 * lists all. @return the number of matches.
 */
size_t ea_controls_search(const char *text, void (*cb)(const struct ea_control *c, void *payload),
                          void *payload);

#endif
