/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret redaction: the one module every record and every log line passes
 * through. It matches on a view of the text with CI decoration removed
 * (ANSI/VT escapes, GitLab section markers; a leading ISO-8601 timestamp and
 * lone carriage returns are treated as line boundaries) and masks, in the
 * original bytes, private-key blocks, known token formats, secret-named
 * values in the common syntaxes, passwords in URLs and on command lines,
 * GitHub's `::add-mask::` values and exact literal values registered by the
 * agent. A masked value becomes "[REDACTED:<kind>]". README.md "Secrets"
 * lists every decoration and every rule.
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

/** State carried between chunks of one stream. Zero-initialise it ({0}). */
struct ea_redact_stream {
    bool in_private_key; /* inside a private-key block: masked until its END line */
    bool continuation;   /* the last line ended in `\` after a secret-named key */
    char key_label[40];  /* the open block's label ("RSA PRIVATE KEY"); empty: any END */
    unsigned yaml_col;   /* inside the YAML value of a secret-named key: its column + 1 */
    bool yaml_scalar;    /* that value is a block scalar (`|`, `>`): every deeper line */
    unsigned key_lines;  /* PuTTY "Private-Lines: N": lines of the key still to come */
    unsigned b64_width;  /* a base64 private key wrapped at this width: its next line */
    unsigned named_col;  /* after "- name: DB_PASSWORD": its column + 1, until its "value:" */
};

/** One masked range of an input text. */
struct ea_redact_span {
    size_t start, end;
    const char *kind; /* static */
};

/** @param out owned; free with ea_redactor_free. */
int ea_redactor_new(struct ea_redactor **out);
/**
 * Registers an exact secret value (copied; wiped on free), line by line:
 * each line of a multi-line value, without its surrounding blanks, is one
 * literal, since a log shows it that way. Lines shorter than 4 bytes are
 * skipped: they would mask ordinary text (EA_EINPUT when no line is left).
 * Not thread-safe: register before redacting.
 */
int ea_redactor_add_literal(struct ea_redactor *r, const char *value, size_t len);
/**
 * Registers the value of a "::add-mask::VALUE" line, if line is one, read
 * without the line's decoration (escapes). Returns 1 if added.
 */
int ea_redactor_scan_add_mask(struct ea_redactor *r, const char *line, size_t len);
/** Wipes and frees; accepts NULL. */
void ea_redactor_free(struct ea_redactor *r);

/**
 * The ranges of in[0..len) to mask, sorted and disjoint.
 * @param r may be NULL (built-in rules only)
 * @param st stream state, or NULL for a standalone text.
 * @param spans owned by the caller (ea_free), NULL when none.
 */
int ea_redact_spans(const struct ea_redactor *r, struct ea_redact_stream *st, const char *in,
                    size_t len, struct ea_redact_span **spans, size_t *nspans);
/**
 * Moves st over in[0..len) (one or more whole lines) as ea_redact_spans
 * would, on the same decoration-free view, without masking: for a reader
 * that keeps only some lines of a stream and must know which of them start
 * inside a multi-line secret (a key block, a PuTTY key's lines, a YAML block
 * value, a continued value, a named entry's later value). Every line from
 * one that leaves a state open to the one that closes it must be passed.
 */
int ea_redact_track(struct ea_redact_stream *st, const char *in, size_t len);
/**
 * The decoration-free view of in[0..len) the rules match on (escapes, GitLab
 * section markers and NULs removed): for a reader that picks lines by their
 * content and must see them as the redactor does. *own is a copy to free
 * with ea_free, or NULL when in has no decoration (then *plen is len).
 */
int ea_redact_plain(const char *in, size_t len, char **own, size_t *plen);
/**
 * Appends the redacted form of in[0..len) to out (bounded by its creator)
 * and adds the number of masked values to *count.
 * @param st stream state, or NULL for a standalone text.
 */
int ea_redact_text(const struct ea_redactor *r, struct ea_redact_stream *st, struct ea_buf *out,
                   const char *in, size_t len, unsigned *count);
/**
 * Redact, then truncate: appends at most max bytes of the redacted form of
 * in[0..len), never cutting a mask or a UTF-8 character in two. When cut is
 * true, in is the start of a longer text: a word running into its end is
 * masked too ("truncated"), since the rest of a secret could not be seen.
 * *count (may be NULL) gets the masks that were kept.
 */
int ea_redact_clip(const struct ea_redactor *r, struct ea_redact_stream *st, struct ea_buf *out,
                   const char *in, size_t len, bool cut, size_t max, unsigned *count);
/**
 * As ea_redact_clip, for a line kept apart from the lines that followed it
 * (a log's tail): rules that look ahead (an entry's "value:" whose secret
 * "name:" comes on a later line) also read ahead[0..ahead_len) (borrowed;
 * NULL: nothing follows) as the lines after in. Only in is written, and st
 * moves over in only.
 */
int ea_redact_clip_ahead(const struct ea_redactor *r, struct ea_redact_stream *st,
                         struct ea_buf *out, const char *in, size_t len, const char *ahead,
                         size_t ahead_len, bool cut, size_t max, unsigned *count);
/**
 * Copies s (len bytes) into dst[size], redacted by the built-in rules and
 * then cut to fit, NUL-terminated: for error messages that quote input.
 * @return dst
 */
const char *ea_redact_show(char *dst, size_t size, const char *s, size_t len);
/**
 * A JSON string of at most max_bytes from s[0..n), redacted by the built-in
 * rules before it is cut (see ea_utf8_json). @return new reference, or NULL
 * when out of memory.
 */
json_t *ea_redact_utf8_json(const char *s, size_t n, size_t max_bytes);
/** Redacts every string value and object key of a JSON tree in place. */
int ea_redact_json(const struct ea_redactor *r, json_t *value, unsigned *count);
/**
 * Counts the masks ("[REDACTED:<kind>]") in every string and key of a JSON
 * tree; by_kind (may be NULL) gets kind -> count added.
 */
unsigned ea_redact_count(const json_t *value, json_t *by_kind);

#endif
