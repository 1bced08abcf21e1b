/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fact: what a collector hands to the agent. The agent turns it into an
 * in-toto Statement v1 with the evidence-agent predicate, redacts it, maps its
 * controls, signs it and stores it. A fact is a transparent, size-versioned
 * struct: always initialise it with EA_FACT_INIT so that fields added by a
 * later minor version are zero, and so the agent can tell how much of it the
 * plug-in knew about.
 *
 * Ownership: every pointer in a fact is borrowed. ea_emit() copies what it
 * keeps; the collector still owns the fact and everything it points to
 * afterwards.
 */
#ifndef EVIDENCE_RECORD_H
#define EVIDENCE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

/** One fact to be recorded. Fields marked required must be set. */
struct ea_fact {
    /** sizeof(struct ea_fact) as the collector was built; set by EA_FACT_INIT. */
    uint32_t size;
    /** Required. One of the kinds the collector declares: "git_commit", ... */
    const char *kind;
    /** Required. What the evidence is about, e.g. "git+https://host/repo@refs/heads/main". */
    const char *subject_name;
    /** Required. Digest algorithm of the subject: "gitCommit" or "sha256". */
    const char *subject_digest_alg;
    /** Required. Lower-case hex digest of the subject. */
    const char *subject_digest;
    /** Required. Where it came from: "github", "gitlab", "local", ... */
    const char *source_system;
    /** Optional. A URI locating the source (credentials must be stripped). */
    const char *source_uri;
    /** Optional. Raw input bytes; the agent stores only their SHA-256. */
    const void *raw;
    /** Length of raw in bytes. */
    size_t raw_len;
    /** Optional. Hex SHA-256 of the raw input, when the collector streamed it. */
    const char *raw_sha256;
    /** The outcome the fact shows. */
    enum ea_result result;
    /** Required. One human sentence. */
    const char *summary;
    /** Required. Kind-specific object (borrowed reference). */
    json_t *data;
    /** Optional. NULL-terminated extra control IDs, added to the defaults. */
    const char *const *controls;
};

/** Initialiser for struct ea_fact: size set, everything else zero. */
#define EA_FACT_INIT                                                                               \
    {                                                                                              \
        .size = (uint32_t)sizeof(struct ea_fact), .kind = NULL, .result = EA_RESULT_INFO           \
    }

/** Returns the predicate.result string of r ("pass", "fail", "info", "error"). */
static inline const char *ea_result_name(enum ea_result r)
{
    switch (r) {
    case EA_RESULT_PASS: return "pass";
    case EA_RESULT_FAIL: return "fail";
    case EA_RESULT_INFO: return "info";
    case EA_RESULT_ERROR: return "error";
    }
    return "error";
}

#endif
