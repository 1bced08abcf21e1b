/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming job-log analysis for the pipeline collector, pure and bounded:
 * feed any number of chunks, then finish into a JSON summary. Memory is
 * bounded by the tail and match limits, never by the log's size.
 */
#ifndef EA_PIPELINE_PARSE_H
#define EA_PIPELINE_PARSE_H

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "util/redact.h"
#include "util/buf.h"

#define EA_LOG_LINE_MAX 1000  /* bytes of one line in a record */
#define EA_LOG_LINE_KEEP 2024 /* bytes kept of one line: redacted, then cut to EA_LOG_LINE_MAX */
#define EA_LOG_TAIL_MAX 200
#define EA_LOG_MATCH_MAX 100
#define EA_LOG_PATTERNS_MAX 16

struct hs_scratch;

struct ea_log_hit {
    size_t end; /* offset just past the match, in the chunk */
    int flag;
};

/* A line of the current chunk that may hold a private-key marker (plain or decorated). */
struct ea_log_key_event {
    size_t line;       /* offset of the line's first byte, in the chunk */
    size_t hit;        /* offset of the last byte of the latest hit in that line */
    unsigned char why; /* EA_LOG_KEV_* bits */
};
#define EA_LOG_KEV_OPEN 1  /* a form that opens a multi-line secret itself: tracked */
#define EA_LOG_KEV_SHAPE 2 /* names a secret: tracked if it has an opener's shape */
#define EA_LOG_KEV_DONE 4  /* the decision below is made (a chunk's events are walked twice) */
#define EA_LOG_KEV_TRACK 8 /* the line is tracked */

/* bytes of a long line's last piece tracked again with the next */
#define EA_LOG_KEY_OVERLAP 1024

/* A kept line: raw (redacted at the end), with what the redactor must know of it. */
struct ea_log_kept {
    char *text; /* owned, EA_LOG_LINE_KEEP + 1 bytes */
    size_t len;
    bool cut;                    /* the line was longer than kept */
    struct ea_redact_stream key; /* the redaction state (multi-line secrets) at the line's start */
    uint64_t line;
};

struct ea_log_hash_job {
    EVP_MD_CTX *ctx;
    const char *data;
    size_t len;
    int ok;
};

struct ea_log_scan {
    struct hs_scratch *scratch; /* owned: Hyperscan scratch space; NULL without Hyperscan */
    struct ea_log_hit *hits;    /* owned: hits of the current chunk */
    size_t nhits, hits_cap;
    EVP_MD_CTX *sha;            /* owned */
    struct ea_log_hash_job job; /* the SHA-256 of the last chunk, maybe still running */
    pthread_t hasher;           /* one thread for the whole log, started on the first */
    bool hasher_up;             /* big chunk: a thread per chunk cost 7% of the scan */
    bool hashing;               /* job handed to the hasher: wait before the next */
    bool hash_busy, hash_quit;  /* under hash_lock */
    bool hash_sync;             /* hash_lock and hash_cond are initialised */
    pthread_mutex_t hash_lock;
    pthread_cond_t hash_cond;
    uint64_t bytes, lines, errors, warnings;
    char first_ts[40], last_ts[40];
    struct ea_buf partial;                /* an unfinished line carried between chunks (bounded) */
    bool partial_cut;                     /* the carried line was longer than kept */
    struct ea_redact_stream partial_key;  /* the key state at the carried line's start */
    char key_overlap[EA_LOG_KEY_OVERLAP]; /* the carried line's last bytes seen (key tracking) */
    size_t nkey_overlap;
    struct ea_log_kept tail[EA_LOG_TAIL_MAX]; /* ring of the last lines (raw) */
    size_t tail_max, tail_next, tail_count;
    regex_t patterns[EA_LOG_PATTERNS_MAX];
    size_t npatterns;
    struct ea_log_kept match[EA_LOG_MATCH_MAX]; /* lines matching a pattern (raw) */
    size_t nmatches, matches_max;
    struct ea_redact_stream key;  /* multi-line secret state (ea_redact_track) */
    struct ea_log_key_event *kev; /* owned: key markers of the current chunk */
    size_t nkev, kev_cap;
    bool matches_truncated;
    struct ea_redactor *redactor; /* owned: built-ins + ::add-mask:: values seen so far */
    unsigned masked;
};

/**
 * @param patterns NULL-terminated POSIX EREs whose matching lines are kept (borrowed).
 * @return 0, EA_ECONFIG naming a bad pattern, or EA_ENOMEM.
 */
int ea_log_scan_init(struct ea_log_scan *s, size_t tail_lines, size_t matches_max,
                     const char *const *patterns);
/**
 * Feeds the next bytes of the log. The bytes are hashed on a second thread
 * while this one scans them and the caller reads the next chunk: they must
 * stay unchanged until the next feed, finish or dispose (alternate two
 * buffers).
 */
int ea_log_scan_feed(struct ea_log_scan *s, const char *data, size_t len);
/** Ends the log; *out gets the summary object (new reference). */
int ea_log_scan_finish(struct ea_log_scan *s, json_t **out);
void ea_log_scan_dispose(struct ea_log_scan *s);

#endif
