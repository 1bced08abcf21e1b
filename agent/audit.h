/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading evidence back: one stored object is fetched, parsed as a DSSE
 * envelope, its signature checked (when keys are given), its ID recomputed
 * and compared with its key, and only then its Statement parsed and checked
 * against the schemas and against where it is filed (control and day).
 * query and verify share this, so both judge a record the same way.
 */
#ifndef EA_AUDIT_H
#define EA_AUDIT_H

#include <stdbool.h>

#include <jansson.h>

#include "dsse.h"
#include "store/store.h"

struct ea_audit_record {
    json_t *statement;              /* new reference, or NULL when unreadable */
    char id[EA_SHA256_HEX_LEN + 1]; /* recomputed from the payload ("" when unreadable) */
    bool signature_checked;         /* keys were given and one verified */
    char *raw;                      /* owned: with ea_audit_check_raw, the bytes checked */
    size_t raw_len;
};

/**
 * Checks one listed entry.
 * @param out  caller's storage; dispose with ea_audit_record_dispose (also on error).
 * @param keys borrowed; nkeys 0 skips the signature check.
 * @return 0 when the object is sound; EA_EVERIFY or EA_EINPUT with a message
 *         saying what is wrong (the caller prefixes the key); EA_EIO and
 *         EA_ENOMEM for failures of the reader itself.
 */
int ea_audit_check(struct ea_audit_record *out, struct ea_store *st, const struct ea_store_entry *e,
                   struct ea_key *const *keys, size_t nkeys);
/** As ea_audit_check, and keeps the object's bytes in out->raw (what was checked is what
 * the caller gets). */
int ea_audit_check_raw(struct ea_audit_record *out, struct ea_store *st,
                       const struct ea_store_entry *e, struct ea_key *const *keys, size_t nkeys);
void ea_audit_record_dispose(struct ea_audit_record *r);
/**
 * Checks an envelope that arrives by itself (ingest, the spool): DSSE shape,
 * signature against keys (nkeys 0 skips it), payload type, Statement schema,
 * and fills out with its ID, its store metadata and a copy of json.
 * @param out caller's storage; dispose with ea_envelope_dispose (also on error).
 * @return 0, EA_EVERIFY (signature or content; the message says which), EA_ENOMEM.
 */
int ea_audit_envelope(struct ea_envelope *out, const char *json, size_t len,
                      struct ea_key *const *keys, size_t nkeys);

#endif
