/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming job-log analysis; see pipeline_parse.h. Each line is looked at
 * once: counted, its timestamp noted, classified as error or warning, tested
 * against the configured patterns, and kept in a bounded ring for the tail.
 * Kept lines are stored raw and redacted once at the end with every
 * ::add-mask:: value the log declared, so a value masked later in the log
 * is also masked in earlier kept lines (stricter than the runner, never
 * weaker). A line is classified on its first EA_LOG_LINE_MAX bytes.
 */
#define _GNU_SOURCE 1 /* memmem */
#include "pipeline_parse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/utf8.h"

int ea_log_scan_init(struct ea_log_scan *s, size_t tail_lines, size_t matches_max,
                     const char *const *patterns)
{
    int rc;

    memset(s, 0, sizeof(*s));
    ea_buf_init(&s->partial, EA_LOG_LINE_MAX);
    s->tail_max = tail_lines > EA_LOG_TAIL_MAX ? EA_LOG_TAIL_MAX : tail_lines;
    s->matches_max = matches_max > EA_LOG_MATCH_MAX ? EA_LOG_MATCH_MAX : matches_max;
    s->sha = EVP_MD_CTX_new();
    s->matches = json_array();
    if (!s->sha || !s->matches || EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1) {
        ea_log_scan_dispose(s);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = ea_redactor_new(&s->redactor);
    for (size_t i = 0; rc == 0 && patterns && patterns[i]; i++) {
        if (s->npatterns == EA_LOG_PATTERNS_MAX) {
            rc = ea_fail(EA_ECONFIG, "more than %d match patterns", EA_LOG_PATTERNS_MAX);
            break;
        }
        if (regcomp(&s->patterns[s->npatterns], patterns[i], REG_EXTENDED | REG_NOSUB) != 0) {
            rc = ea_fail(EA_ECONFIG, "match pattern '%.80s' is not a POSIX extended regular "
                                     "expression", patterns[i]);
            break;
        }
        s->npatterns++;
    }
    if (rc < 0) ea_log_scan_dispose(s);
    return rc;
}

void ea_log_scan_dispose(struct ea_log_scan *s)
{
    EVP_MD_CTX_free(s->sha);
    s->sha = NULL;
    for (size_t i = 0; i < EA_LOG_TAIL_MAX; i++) {
        ea_free(s->tail[i]);
        s->tail[i] = NULL;
    }
    for (size_t i = 0; i < s->npatterns; i++) regfree(&s->patterns[i]);
    s->npatterns = 0;
    json_decref(s->matches);
    s->matches = NULL;
    ea_redactor_free(s->redactor);
    s->redactor = NULL;
    ea_buf_dispose(&s->partial);
}

static bool letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static bool digit(unsigned char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" at the start of a line: its length, or 0. */
static size_t timestamp_len(const char *l, size_t n)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;

    if (n < sizeof(shape)) return 0;
    for (i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? !digit((unsigned char)l[i]) : l[i] != shape[i]) return 0;
    }
    if (l[i] == '.') {
        i++;
        while (i < n && i < 36 && digit((unsigned char)l[i])) i++;
    }
    return i < n && l[i] == 'Z' ? i + 1 : 0;
}

static bool word_at(const char *l, size_t n, size_t i, const char *word, size_t w)
{
    if (n - i < w || strncasecmp(l + i, word, w) != 0) return false;
    return i + w == n || !letter((unsigned char)l[i + w]);
}

/*
 * 2 for an error line (the word "error" or "fatal"), 1 for a warning line
 * ("warning" or "warn"), else 0. One pass; words are only tried where a word
 * starts with e, f or w.
 */
static int classify(const char *l, size_t n)
{
    int found = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i] | 0x20;
        if ((c != 'e' && c != 'f' && c != 'w') || (i > 0 && letter((unsigned char)l[i - 1])))
            continue;
        if (c == 'e' && word_at(l, n, i, "error", 5)) return 2;
        if (c == 'f' && word_at(l, n, i, "fatal", 5)) return 2;
        if (c == 'w' && (word_at(l, n, i, "warning", 7) || word_at(l, n, i, "warn", 4))) found = 1;
    }
    return found;
}

#define LINE_ERROR 1
#define LINE_WARNING 2
#define LINE_ADD_MASK 4
#define LINE_UNKNOWN (-1)

/* Flags of a line found by the per-byte path (lines that span chunks). */
static int line_flags(const char *l, size_t n)
{
    int c = classify(l, n);

    return (c == 2 ? LINE_ERROR : c == 1 ? LINE_WARNING : 0) |
           (n >= 12 && memmem(l, n, "::add-mask::", 12) ? LINE_ADD_MASK : 0);
}

static int process_line(struct ea_log_scan *s, const char *l, size_t n, int flags)
{
    char text[EA_LOG_LINE_MAX + 1];
    size_t ts;
    int rc;

    if (n > 0 && l[n - 1] == '\r') n--;
    if (n > EA_LOG_LINE_MAX) n = EA_LOG_LINE_MAX;
    s->lines++;
    if ((ts = timestamp_len(l, n)) > 0 && ts < sizeof(s->last_ts)) {
        memcpy(s->last_ts, l, ts);
        s->last_ts[ts] = '\0';
        if (!s->first_ts[0]) memcpy(s->first_ts, s->last_ts, ts + 1);
    }
    if (flags == LINE_UNKNOWN) flags = line_flags(l, n);
    if (flags & LINE_ADD_MASK) {
        rc = ea_redactor_scan_add_mask(s->redactor, l, n);
        if (rc < 0) ea_error_clear(); /* a value too short to mask is not a log error */
    }
    if (flags & LINE_ERROR) s->errors++;
    else if (flags & LINE_WARNING) s->warnings++;
    if (s->npatterns) {
        memcpy(text, l, n);
        text[n] = '\0';
    }
    for (size_t i = 0; i < s->npatterns; i++) {
        if (regexec(&s->patterns[i], text, 0, NULL, 0) != 0) continue;
        if (json_array_size(s->matches) >= s->matches_max) {
            s->matches_truncated = true;
            break;
        }
        if (json_array_append_new(s->matches,
                                  json_pack("{s:I, s:o}", "line", (json_int_t)s->lines, "text",
                                            ea_utf8_json(text, n, EA_LOG_LINE_MAX * 2))) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
        break;
    }
    if (s->tail_max) {
        /* Ring slots are allocated once at full line size and reused. */
        char *slot = s->tail[s->tail_next];
        if (!slot && !(slot = ea_malloc(EA_LOG_LINE_MAX + 1)))
            return ea_fail(EA_ENOMEM, "out of memory");
        memcpy(slot, l, n);
        slot[n] = '\0';
        s->tail[s->tail_next] = slot;
        s->tail_next = (s->tail_next + 1) % s->tail_max;
        if (s->tail_count < s->tail_max) s->tail_count++;
    }
    return 0;
}

/*
 * Whole-chunk search: each needle is found with memmem across the chunk and
 * only re-searched once a line passes its last hit, so ordinary lines cost
 * a few comparisons instead of a per-byte scan. Hits are then checked as
 * whole words (error, fatal, warning, warn: lower case, Capitalised or UPPER).
 */
static const struct {
    const char *text;
    size_t len;
    int flag;
} needles[] = {
    {"rror", 4, LINE_ERROR},   {"RROR", 4, LINE_ERROR},   {"atal", 4, LINE_ERROR},
    {"ATAL", 4, LINE_ERROR},   {"arn", 3, LINE_WARNING},  {"ARN", 3, LINE_WARNING},
    {"::add-mask::", 12, LINE_ADD_MASK},
};
#define NEEDLES (sizeof(needles) / sizeof(needles[0]))

struct finder {
    const char *end;
    const char *next[NEEDLES]; /* next hit at or after the current line, or end */
};

static const char *find(const char *from, const char *end, size_t k)
{
    const char *h = memmem(from, (size_t)(end - from), needles[k].text, needles[k].len);
    return h ? h : end;
}

/* A word needle hits one byte into its word, which must start at a word boundary. */
static bool word_start_ok(const char *a, const char *hit)
{
    const char *w = hit - 1;
    return w >= a && (w == a || !letter((unsigned char)w[-1]));
}

static int finder_flags(struct finder *f, const char *a, size_t n)
{
    const char *b = a + n;
    int flags = 0;

    for (size_t k = 0; k < NEEDLES; k++) {
        if (f->next[k] < a) f->next[k] = find(a, f->end, k); /* passed by earlier lines */
        while (f->next[k] < b && !(flags & needles[k].flag)) {
            const char *hit = f->next[k];
            bool ok = needles[k].flag == LINE_ADD_MASK;
            if (!ok && word_start_ok(a, hit)) {
                const char *w = hit - 1;
                size_t rest = (size_t)(b - w);
                ok = needles[k].flag == LINE_ERROR
                         ? word_at(w, rest, 0, "error", 5) || word_at(w, rest, 0, "fatal", 5)
                         : word_at(w, rest, 0, "warning", 7) || word_at(w, rest, 0, "warn", 4);
            }
            if (ok) {
                flags |= needles[k].flag;
                break;
            }
            f->next[k] = find(hit + 1, f->end, k);
        }
    }
    return flags;
}

int ea_log_scan_feed(struct ea_log_scan *s, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    struct finder f;
    int rc = 0;

    f.end = end;
    for (size_t k = 0; k < NEEDLES; k++) f.next[k] = find(data, end, k);

    if (EVP_DigestUpdate(s->sha, data, len) != 1) return ea_fail(EA_ERROR, "SHA-256 failed");
    s->bytes += len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t seg = (size_t)(stop - p);

        if (s->partial.len || s->partial_cut || !nl) {
            size_t room = EA_LOG_LINE_MAX - s->partial.len;
            if (seg > room) s->partial_cut = true;
            rc = ea_buf_append(&s->partial, p, seg < room ? seg : room);
            if (rc == 0 && nl) {
                rc = process_line(s, s->partial.data ? s->partial.data : "", s->partial.len,
                                  LINE_UNKNOWN);
                ea_buf_reset(&s->partial);
                s->partial_cut = false;
            }
        } else {
            size_t kept = seg > EA_LOG_LINE_MAX ? EA_LOG_LINE_MAX : seg;
            rc = process_line(s, p, seg, finder_flags(&f, p, kept));
        }
        p = nl ? nl + 1 : end;
    }
    return rc;
}

/* Redacts a kept line with everything the log declared, as a JSON string. */
static json_t *kept(struct ea_log_scan *s, const char *line, size_t n)
{
    struct ea_buf b;
    json_t *j = NULL;

    ea_buf_init(&b, 0);
    if (ea_redact_text(s->redactor, NULL, &b, line, n, &s->masked) == 0)
        j = ea_utf8_json(b.data ? b.data : "", b.len, EA_LOG_LINE_MAX * 2);
    ea_buf_dispose(&b);
    return j;
}

int ea_log_scan_finish(struct ea_log_scan *s, json_t **out)
{
    unsigned char md[EA_SHA256_LEN];
    char hex[EA_SHA256_HEX_LEN + 1];
    json_t *o = NULL, *tail = NULL, *x;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (s->partial.len || s->partial_cut) {
        rc = process_line(s, s->partial.data ? s->partial.data : "", s->partial.len,
                          LINE_UNKNOWN);
        ea_buf_reset(&s->partial);
        if (rc < 0) return rc;
    }
    if (EVP_DigestFinal_ex(s->sha, md, NULL) != 1) return ea_fail(EA_ERROR, "SHA-256 failed");
    ea_hex_encode(hex, md, sizeof(md));
    tail = json_array();
    for (i = 0; tail && i < s->tail_count; i++) {
        size_t at = (s->tail_next + s->tail_max - s->tail_count + i) % s->tail_max;
        if (json_array_append_new(tail, kept(s, s->tail[at], strlen(s->tail[at]))) < 0) {
            json_decref(tail);
            tail = NULL;
        }
    }
    json_array_foreach(s->matches, i, x) {
        json_t *t = json_object_get(x, "text");
        json_t *r = kept(s, json_string_value(t), json_string_length(t));
        if (!r || json_object_set_new(x, "text", r) < 0) {
            json_decref(tail);
            tail = NULL;
            break;
        }
    }
    if (tail)
        o = json_pack("{s:s, s:I, s:I, s:s?, s:s?, s:I, s:I, s:o, s:O, s:b}", "sha256", hex,
                      "bytes", (json_int_t)s->bytes, "lines", (json_int_t)s->lines,
                      "first_timestamp", s->first_ts[0] ? s->first_ts : NULL, "last_timestamp",
                      s->last_ts[0] ? s->last_ts : NULL, "error_lines", (json_int_t)s->errors,
                      "warning_lines", (json_int_t)s->warnings, "tail", tail, "matches",
                      s->matches, "matches_truncated", s->matches_truncated);
    if (!o) return ea_fail(EA_ENOMEM, "out of memory");
    if (!s->first_ts[0]) json_object_set_new(o, "first_timestamp", json_null());
    if (!s->last_ts[0]) json_object_set_new(o, "last_timestamp", json_null());
    *out = o;
    return 0;
}
