/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret redaction: the one module every record and every log line passes
 * through. It masks known token formats (GitHub, GitLab, Slack, Stripe,
 * Google, AWS), PEM private-key blocks, JWTs, passwords in URLs,
 * `password=` / `token:`-style pairs, GitHub's `::add-mask::` values, and
 * exact literal values registered by the agent (its own tokens, the values
 * of --redact-env variables). A masked value becomes "[REDACTED:<kind>]".
 *
 * A redactor is built once, then only read: redact calls may run on any
 * thread. Streams (logs) keep their cross-chunk state in a
 * struct ea_redact_stream of their own, so a key block split over chunks
 * is still masked whole.
 */
#ifndef EA_REDACT_H
#define EA_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"

struct ea_redactor;

/** State carried between chunks of one stream. Zero-initialise it. */
struct ea_redact_stream {
    bool in_private_key; /* inside a PEM private-key block */
};

/** @param out owned; free with ea_redactor_free. */
int ea_redactor_new(struct ea_redactor **out);
/**
 * Registers an exact secret value (copied; wiped on free). Values shorter
 * than 4 bytes are refused with EA_EINPUT: they would mask ordinary text.
 * Not thread-safe: register before redacting.
 */
int ea_redactor_add_literal(struct ea_redactor *r, const char *value, size_t len);
/** Registers the value of a "::add-mask::VALUE" line, if line is one. Returns 1 if added. */
int ea_redactor_scan_add_mask(struct ea_redactor *r, const char *line, size_t len);
/** Wipes and frees; accepts NULL. */
void ea_redactor_free(struct ea_redactor *r);

/**
 * Appends the redacted form of in[0..len) to out (bounded by its creator)
 * and adds the number of masked values to *count.
 * @param st stream state, or NULL for a standalone text.
 */
int ea_redact_text(const struct ea_redactor *r, struct ea_redact_stream *st, struct ea_buf *out,
                   const char *in, size_t len, unsigned *count);
/** Redacts every string value and object key of a JSON tree in place. */
int ea_redact_json(const struct ea_redactor *r, json_t *value, unsigned *count);

#endif
