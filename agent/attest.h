/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed human attestations: a person's decision (an access review signed
 * off, a risk accepted, a restore tested) as an `attestation` record. This
 * module turns what `evidence-agent attest` was given into the record's
 * data (schemas/data/attestation.schema.json) and answers the questions
 * readers ask of such a record (which kind, until when). It neither signs
 * nor stores: cmd_attest.c hands the fact to the pipeline that `collect`
 * uses, so an attestation is signed, chained and filed like any record.
 *
 * An attached file is hashed, never embedded: the record holds its name,
 * size and SHA-256, and (with --attach) the key of the content-addressed
 * blob beside the records (store.h, blobs/sha256/<hex>).
 */
#ifndef EA_ATTEST_H
#define EA_ATTEST_H

#include <stdbool.h>
#include <stdint.h>

#include <evidence/collector.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/hash.h"

/** The record kind of an attestation. */
#define EA_ATTEST_RECORD_KIND "attestation"
/** Longest --statement, in bytes. */
#define EA_ATTEST_STATEMENT_MAX 16384
/** Longest --by and subject name, in bytes. */
#define EA_ATTEST_NAME_MAX 256
/** Most --subject flags. */
#define EA_ATTEST_SUBJECTS_MAX 64

/**
 * The identity attestations are recorded under (predicate.collector):
 * name "attest", kind "attestation". Not a collector of `collect`: it has no
 * callbacks, and the registry lists its kind only.
 */
extern const struct ea_collector ea_attest_source;

/**
 * Checks an attestation kind (access_review, risk_acceptance, restore_test,
 * policy_review, management_review, other).
 * @return 0 or EA_EUSAGE naming the kind, the nearest one and all of them.
 */
int ea_attest_kind_check(const char *kind);
/** The attestation kinds, comma-separated, for help texts. Static. */
const char *ea_attest_kinds_text(void);

/**
 * Until when an attestation holds: a duration from now (90d, 12w, 24h) or a
 * date (2027-03-31: to the end of that day, UTC) or an RFC 3339 time.
 * @return 0, or EA_EUSAGE naming the text (neither form, or not after now).
 */
int ea_attest_expiry(int64_t *out_us, const char *text, int64_t now_us);

/** A file an attestation names: hashed, and read whole when it is attached. */
struct ea_attest_file {
    char sha256[EA_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    char *name;        /* owned: the file's base name */
    struct ea_buf buf; /* the bytes, with attach only (bounded by EA_BLOB_MAX_BYTES) */
};

/**
 * Hashes path (streamed, any size) or, with attach, reads it whole (at most
 * EA_BLOB_MAX_BYTES) and hashes that.
 * @param out caller's storage; dispose it with ea_attest_file_dispose, also on error.
 * @return 0, EA_EINPUT (missing, unreadable, not a regular file, a name that is
 *         not UTF-8), EA_ETOOBIG (too big to attach) or EA_EIO.
 */
int ea_attest_file_read(struct ea_attest_file *out, const char *path, bool attach);
void ea_attest_file_dispose(struct ea_attest_file *f);

/** What one attestation says. Every pointer borrowed. */
struct ea_attest_input {
    const char *kind;                  /* checked by ea_attest_kind_check */
    const char *statement;             /* NULL or the text */
    const struct ea_attest_file *file; /* NULL or the file named */
    const char *blob_key;              /* NULL, or the blob key of file when attached */
    const char *by;                    /* who attests */
    const char *const *subjects;       /* "NAME=SHA256", nsubjects of them */
    size_t nsubjects;
    int64_t now_us, expires_us;
};

/**
 * Builds the record's data (new reference in *out), its summary and its
 * subject: the attested text (statement, or the file when one is named).
 * @param summary out: owned text (ea_free).
 * @param subject_name out: owned text (ea_free).
 * @param subject_sha256 out: the subject's digest.
 * @return 0, EA_EUSAGE (an empty or over-long --by or --statement, a subject
 *         that is not NAME=SHA256, a text that is not UTF-8) or EA_ENOMEM.
 */
int ea_attest_build(json_t **out, char **summary, char **subject_name,
                    char subject_sha256[EA_SHA256_HEX_LEN + 1], const struct ea_attest_input *in);

/**
 * The attestation kind of a record (data.kind), or NULL when the statement
 * is not an attestation. Borrowed from statement.
 */
const char *ea_attest_kind_of(const json_t *statement);
/**
 * Whether an attestation record has expired at at_us (data.expires_at at or
 * before it). False for any other record, and for an attestation whose
 * expires_at cannot be read (the schema check reports that).
 */
bool ea_attest_expired(const json_t *statement, int64_t at_us);

#endif
