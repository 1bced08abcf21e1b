/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key history: which public key was valid when. A keys file (YAML, or JSON)
 *
 *   keys:
 *     - public_key: old.pub            # a path (relative to the file) or the PEM text
 *       not_before: 2025-01-01T00:00:00Z
 *       not_after: 2026-01-01T00:00:00Z
 *       revoked_at: 2025-11-02T10:00:00Z
 *       reason: laptop stolen
 *
 * (times RFC 3339; only public_key is required) lets verify accept a record
 * only when the key that signed it was valid at the record's time: not
 * before not_before, before not_after, and before revoked_at of every entry
 * of that key (a revocation cannot be outlived by listing the key again).
 * The file is the auditor's trusted input; nothing here reads a store.
 */
#ifndef EA_KEY_HISTORY_H
#define EA_KEY_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/** Most entries a keys file may hold. */
#define EA_KEY_HISTORY_MAX 1024

struct ea_key_period {
    struct ea_key *key;    /* owned */
    int64_t not_before_us; /* INT64_MIN when not given */
    int64_t not_after_us;  /* INT64_MAX when not given */
    int64_t revoked_at_us; /* INT64_MAX when not revoked */
    char *reason;          /* owned, or NULL */
};

struct ea_key_history {
    struct ea_key_period *v; /* owned */
    size_t n;
    char *path; /* owned: the file, for messages */
};

/**
 * Loads a keys file.
 * @param out owned; ea_key_history_free.
 * @return 0, EA_ECONFIG or EA_EINPUT naming the file, the entry and the field, EA_ENOMEM.
 */
int ea_key_history_load(struct ea_key_history **out, const char *path);
void ea_key_history_free(struct ea_key_history *h);

/**
 * Judges the key whose ID is key_id at time t_us.
 * @param which what t_us is ("its TSA genTime", "its collected_at"), said in the message.
 * @return 0, or EA_EVERIFY naming the key, the time, which time it is and the cause.
 */
int ea_key_history_check(const struct ea_key_history *h, const char *key_id, int64_t t_us,
                         const char *which);

#endif
