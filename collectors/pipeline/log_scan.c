/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming job-log analysis; see log_scan.h. Every line is counted,
 * classified as error or warning, tested against the configured patterns,
 * and the last ones kept in a bounded ring for the tail; the first and last
 * timestamps are noted. When no pattern is configured, whole lines inside a
 * chunk are not visited one by one (see bulk_lines): only the lines holding
 * a Hyperscan hit are.
 * Kept lines are stored raw and redacted once at the end with every
 * ::add-mask:: value the log declared, so a value masked later in the log
 * is also masked in earlier kept lines (stricter than the runner, never
 * weaker). A line is classified on its first EA_LOG_LINE_MAX bytes, by
 * Hyperscan over whole chunks, or by classify() for the few lines that span
 * chunks; both apply the same rule (whole words, any case, \b boundaries).
 */
#define _GNU_SOURCE 1 /* memmem */
#include "log_scan.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/hash.h"
#include "util/hs.h"
#include "util/mem.h"
#include "util/utf8.h"

#define LINE_ERROR 1
#define LINE_WARNING 2
#define LINE_ADD_MASK 4
#define LINE_KEY 8    /* may open a multi-line secret (a key marker, a YAML key, ...) or hide one */
#define LINE_OPEN 16  /* opens one or may (PuTTY's Private-Lines, a base64 key, a NUL) */
#define LINE_SHAPE 32 /* names a secret: an opener if it ends like one (opener_shape) */
#define LINE_UNKNOWN (-1)

/*
 * Whole-chunk search with Hyperscan: one scan of each chunk finds every
 * error/fatal and warning/warn word (any case, whole words) and every
 * ::add-mask:: marker; lines then only collect the hits that end inside
 * them. The database is compiled once per process and only read after that;
 * each scan has its own scratch space.
 */
static struct {
    const struct ea_hs *lib; /* NULL when Hyperscan is not installed */
    hs_database_t *db;
} hs;
static pthread_once_t hs_once = PTHREAD_ONCE_INIT;

/*
 * Hyperscan is loaded (util/hs.h) only when a log is scanned, and this
 * database compiled then. Without it (not installed, or a CPU it does not
 * support), lines are classified one by one with the same rule, only slower.
 */
static void load_hyperscan(void)
{
    /*
     * LINE_KEY: a key marker or an escape (7- or 8-bit), tracked when
     * key_candidate or the line's decoration-free view agrees (plain_opens);
     * LINE_SHAPE: a secret's name before the end of a line, `\\`, a YAML
     * block indicator or comment, or the first byte of node properties, or
     * any entry's name, tracked when the line has an opener's shape
     * (opener_shape; the redactor then tells a secret's entry from others);
     * LINE_OPEN: tracked (also any line continued with `\\`: a password
     * flag's value may be on the next line). The words and the shapes are
     * broad and plain because a pattern asserting more (word boundaries,
     * repeated node properties) tripled the compile time and cost a third
     * more to scan; every hit is checked in C anyway.
     */
    static const char *const exprs[] = {
        "error",
        "fatal",
        "warning",
        "warn",
        "::add-mask::",
        "PRIVATE KEY",
        "\\x1b[^\\n]*\\n",
        "\\x9b[^\\n]*\\n",
        "(pass|pw|secret|token|key|credential|auth)[a-z0-9_.-]*[\"']?[ \\t]*[:=]?[ \\t]*"
        "[&!\\\\|>#\\r\\n]",
        "name[\"']?[ \\t]*:",
        "Private-Lines:",
        "LS0tLS1CRUdJTi",
        "\\x00",
        "\\\\[ \\t]*\\r?\\n"};
    static const unsigned flags[] = {HS_FLAG_CASELESS,
                                     HS_FLAG_CASELESS,
                                     HS_FLAG_CASELESS,
                                     HS_FLAG_CASELESS,
                                     0,
                                     0,
                                     0,
                                     0,
                                     HS_FLAG_CASELESS,
                                     HS_FLAG_CASELESS,
                                     0,
                                     0,
                                     0,
                                     0};
    static const unsigned ids[] = {
        LINE_ERROR, LINE_ERROR, LINE_WARNING, LINE_WARNING, LINE_ADD_MASK, LINE_KEY,  LINE_KEY,
        LINE_KEY,   LINE_SHAPE, LINE_SHAPE,   LINE_OPEN,    LINE_OPEN,     LINE_OPEN, LINE_OPEN};
    hs_compile_error_t *err = NULL;

    if (!(hs.lib = ea_hs_load())) return;
    if (hs.lib->compile_multi(exprs, flags, ids, sizeof(ids) / sizeof(ids[0]), HS_MODE_BLOCK, NULL,
                              &hs.db, &err) != HS_SUCCESS) {
        if (err) hs.lib->free_compile_error(err);
        hs.db = NULL;
    }
}

int ea_log_scan_init(struct ea_log_scan *s, size_t tail_lines, size_t matches_max,
                     const char *const *patterns)
{
    int rc;

    memset(s, 0, sizeof(*s));
    if (pthread_mutex_init(&s->hash_lock, NULL) != 0) return ea_fail(EA_ENOMEM, "out of memory");
    if (pthread_cond_init(&s->hash_cond, NULL) != 0) {
        pthread_mutex_destroy(&s->hash_lock);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    s->hash_sync = true;
    ea_buf_init(&s->partial, EA_LOG_LINE_KEEP + 1); /* one byte more: tells a cut line */
    s->tail_max = tail_lines > EA_LOG_TAIL_MAX ? EA_LOG_TAIL_MAX : tail_lines;
    s->matches_max = matches_max > EA_LOG_MATCH_MAX ? EA_LOG_MATCH_MAX : matches_max;
    s->sha = EVP_MD_CTX_new();
    if (!s->sha || EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1) {
        ea_log_scan_dispose(s);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    pthread_once(&hs_once, load_hyperscan);
    if (hs.db && hs.lib->alloc_scratch(hs.db, &s->scratch) != HS_SUCCESS) {
        ea_log_scan_dispose(s);
        return ea_fail(EA_ENOMEM, "out of memory for the log scanner");
    }
    rc = ea_redactor_new(&s->redactor);
    for (size_t i = 0; rc == 0 && patterns && patterns[i]; i++) {
        if (s->npatterns == EA_LOG_PATTERNS_MAX) {
            rc = ea_fail(EA_ECONFIG, "more than %d match patterns", EA_LOG_PATTERNS_MAX);
            break;
        }
        if (regcomp(&s->patterns[s->npatterns], patterns[i], REG_EXTENDED | REG_NOSUB) != 0) {
            char shown[81];
            rc = ea_fail(EA_ECONFIG,
                         "match pattern '%s' is not a POSIX extended regular "
                         "expression",
                         ea_redact_show(shown, sizeof(shown), patterns[i], strlen(patterns[i])));
            break;
        }
        s->npatterns++;
    }
    if (rc < 0) ea_log_scan_dispose(s);
    return rc;
}

static int hash_wait(struct ea_log_scan *s);

void ea_log_scan_dispose(struct ea_log_scan *s)
{
    (void)hash_wait(s);
    if (s->hasher_up) {
        pthread_mutex_lock(&s->hash_lock);
        s->hash_quit = true;
        pthread_cond_broadcast(&s->hash_cond);
        pthread_mutex_unlock(&s->hash_lock);
        pthread_join(s->hasher, NULL);
        s->hasher_up = false;
    }
    if (s->hash_sync) {
        pthread_cond_destroy(&s->hash_cond);
        pthread_mutex_destroy(&s->hash_lock);
        s->hash_sync = false;
    }
    if (s->scratch) hs.lib->free_scratch(s->scratch);
    s->scratch = NULL;
    ea_free(s->hits);
    s->hits = NULL;
    s->nhits = s->hits_cap = 0;
    EVP_MD_CTX_free(s->sha);
    s->sha = NULL;
    for (size_t i = 0; i < EA_LOG_TAIL_MAX; i++) {
        ea_free(s->tail[i].text);
        s->tail[i].text = NULL;
    }
    for (size_t i = 0; i < EA_LOG_MATCH_MAX; i++) {
        ea_free(s->match[i].text);
        s->match[i].text = NULL;
    }
    s->nmatches = 0;
    ea_free(s->kev);
    s->kev = NULL;
    s->nkev = s->kev_cap = 0;
    for (size_t i = 0; i < s->npatterns; i++) regfree(&s->patterns[i]);
    s->npatterns = 0;
    ea_redactor_free(s->redactor);
    s->redactor = NULL;
    ea_buf_dispose(&s->partial);
}

static bool digit(unsigned char c);

/* A word character, as Hyperscan's \\b sees it: letters, digits, underscore. */
static bool letter(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26 || digit(c) || c == '_';
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
static int classify(const char *l, size_t n, size_t limit)
{
    int found = 0;

    /* Words must end within the first `limit` bytes; the byte after may be read (up to n)
     * to tell a word boundary, as Hyperscan does on the whole line. */
    for (size_t i = 0; i < limit; i++) {
        unsigned char c = (unsigned char)l[i] | 0x20;
        if ((c != 'e' && c != 'f' && c != 'w') || (i > 0 && letter((unsigned char)l[i - 1])))
            continue;
        if (c == 'e' && i + 5 <= limit && word_at(l, n, i, "error", 5)) return 2;
        if (c == 'f' && i + 5 <= limit && word_at(l, n, i, "fatal", 5)) return 2;
        if (c == 'w' && ((i + 7 <= limit && word_at(l, n, i, "warning", 7)) ||
                         (i + 4 <= limit && word_at(l, n, i, "warn", 4))))
            found = 1;
    }
    return found;
}

/* Flags of a line found by the per-byte path (lines that span chunks). */
static int line_flags(const char *l, size_t n)
{
    size_t limit = n > EA_LOG_LINE_MAX ? EA_LOG_LINE_MAX : n;
    int c = classify(l, n, limit);

    return (c == 2   ? LINE_ERROR
            : c == 1 ? LINE_WARNING
                     : 0) |
           (limit >= 12 && memmem(l, limit, "::add-mask::", 12) ? LINE_ADD_MASK : 0);
}

/* Records a leading timestamp as the last one (and the first, if none yet). */
static bool note_timestamp(struct ea_log_scan *s, const char *l, size_t n)
{
    size_t ts = timestamp_len(l, n);

    if (ts == 0 || ts >= sizeof(s->last_ts)) return false;
    memcpy(s->last_ts, l, ts);
    s->last_ts[ts] = '\0';
    if (!s->first_ts[0]) memcpy(s->first_ts, s->last_ts, ts + 1);
    return true;
}

/*
 * Lines inside a chunk (flags known) only look for a timestamp until the
 * first is found; the chunk's last timestamp is then found by walking back
 * from its end (see last_timestamp), usually one line. Lines that span chunks
 * (flags unknown) are always looked at, in order.
 */
/* Counts an error or warning line and learns its ::add-mask:: value (l[0, n) without CR). */
static void apply_flags(struct ea_log_scan *s, const char *l, size_t n, int flags)
{
    if (flags & LINE_ADD_MASK) {
        if (ea_redactor_scan_add_mask(s->redactor, l, n) < 0)
            ea_error_clear(); /* a value too short to mask is not a log error */
    }
    if (flags & LINE_ERROR)
        s->errors++;
    else if (flags & LINE_WARNING)
        s->warnings++;
}

/* Stores a copy of a line (at most EA_LOG_LINE_KEEP bytes, without its CR) in k. */
static int keep_line(struct ea_log_kept *k, const char *l, size_t n, bool cut,
                     const struct ea_redact_stream *key, uint64_t line)
{
    if (n > 0 && l[n - 1] == '\r') n--;
    if (n > EA_LOG_LINE_KEEP) {
        n = EA_LOG_LINE_KEEP;
        cut = true;
    }
    if (!k->text && !(k->text = ea_malloc(EA_LOG_LINE_KEEP + 1)))
        return ea_fail(EA_ENOMEM, "out of memory");
    memcpy(k->text, l, n);
    k->text[n] = '\0';
    k->len = n;
    k->cut = cut;
    k->key = *key;
    k->line = line;
    return 0;
}

/* Whether a line holds a byte that may begin decoration: a NUL, an ESC, an 8-bit CSI. */
static bool decorated(const char *l, size_t n)
{
    return memchr(l, 0x1b, n) || memchr(l, 0x9b, n) || memchr(l, '\0', n);
}

/*
 * Whether a line may hold a private-key marker, plain or split by decoration
 * (escapes, an 8-bit CSI, the NULs of UTF-16LE text): every marker has
 * "-----" and "PRIVATE KEY", so a '-', a 'V' and a 'Y' whatever is between them.
 */
static bool key_candidate(const char *l, size_t n)
{
    if (n >= 11 && memmem(l, n, "PRIVATE KEY", 11)) return true;
    return memchr(l, '-', n) && memchr(l, 'V', n) && memchr(l, 'Y', n) && decorated(l, n);
}

/* Whether a line ends in `\` (blanks and a CR aside): its value goes on on the next line. */
static bool continued(const char *l, size_t n)
{
    while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t')) n--;
    return n > 0 && l[n - 1] == '\\';
}

static bool plain_opens(const char *l, size_t n);

/* l[i, i + m) is word[0, m) in any case (word in lower case). */
static bool word_ci(const char *l, size_t n, size_t i, const char *word, size_t m)
{
    if (n - i < m) return false;
    for (size_t k = 1; k < m; k++) /* the first byte is known */
        if (((unsigned char)l[i + k] | 0x20) != (unsigned char)word[k]) return false;
    return true;
}

/* A piece of a secret's name (pass, pw, secret, token, key, credential, auth), any case. */
static bool has_secret_piece(const char *l, size_t n)
{
    for (size_t i = 0; i + 2 <= n; i++) {
        switch ((unsigned char)l[i] | 0x20) {
        case 'p':
            if (((unsigned char)l[i + 1] | 0x20) == 'w' || word_ci(l, n, i, "pass", 4)) return true;
            break;
        case 'k':
            if (word_ci(l, n, i, "key", 3)) return true;
            break;
        case 't':
            if (word_ci(l, n, i, "token", 5)) return true;
            break;
        case 's':
            if (word_ci(l, n, i, "secret", 6)) return true;
            break;
        case 'c':
            if (word_ci(l, n, i, "credential", 10)) return true;
            break;
        case 'a':
            if (word_ci(l, n, i, "auth", 4)) return true;
            break;
        default: break;
        }
    }
    return false;
}

/*
 * Whether a line may open or hide a multi-line secret the redactor follows
 * over the next lines (for lines Hyperscan did not look at): a key marker,
 * a secret's name (a YAML key whose value is on the next lines, a value
 * continued with `\`, an environment entry's name), PuTTY's Private-Lines,
 * a base64 key, a NUL, any line continued with `\` (a password flag's value
 * on the next line). Broad: the redactor decides. A decorated line is judged
 * as the redactor sees it too, without its decoration (see plain_opens).
 */
static bool state_candidate(const char *l, size_t n)
{
    return key_candidate(l, n) || has_secret_piece(l, n) || memchr(l, '\0', n) ||
           (n >= 14 && memmem(l, n, "Private-Lines:", 14)) ||
           (n >= 14 && memmem(l, n, "LS0tLS1CRUdJTi", 14)) || continued(l, n) ||
           (decorated(l, n) && plain_opens(l, n));
}

/*
 * A line that names a secret opens a multi-line one only in these shapes: it
 * ends in `\` (a continued value) or ':' (a YAML value on the next lines),
 * a ':' is followed by a YAML block indicator (`|`, `>`) or a comment, maybe
 * after node properties (`&anchor`, `!!tag`), or by properties alone, or a
 * ':' follows "name" (an environment entry whose value comes later).
 */
static bool opener_shape(const char *l, size_t n)
{
    size_t e = n;

    while (e > 0 && (l[e - 1] == '\r' || l[e - 1] == ' ' || l[e - 1] == '\t')) e--;
    if (e > 0 && (l[e - 1] == '\\' || l[e - 1] == ':')) return true;
    for (const char *c = memchr(l, ':', e); c; c = memchr(c + 1, ':', e - (size_t)(c + 1 - l))) {
        size_t i = (size_t)(c - l), j = i + 1, k = i;
        bool props = false;
        while (j < e && (l[j] == ' ' || l[j] == '\t')) j++;
        while (j < e && (l[j] == '&' || l[j] == '!')) { /* YAML node properties */
            while (j < e && l[j] != ' ' && l[j] != '\t') j++;
            while (j < e && (l[j] == ' ' || l[j] == '\t')) j++;
            props = true;
        }
        if (j < e && (l[j] == '|' || l[j] == '>' || l[j] == '#')) return true;
        if (props && j >= e) return true;
        while (k > 0 &&
               (l[k - 1] == ' ' || l[k - 1] == '\t' || l[k - 1] == '"' || l[k - 1] == '\''))
            k--;
        if (k >= 4 && strncasecmp(l + k - 4, "name", 4) == 0) return true;
        if (j >= e) break;
    }
    return false;
}

/*
 * What the view of l[0, n) needs for plain_opens to hold, looked for in l
 * itself (the view is l without some bytes, so it has nothing l lacks): a key
 * marker needs '-', 'V' and 'Y'; "Private-Lines:" and "LS0tLS1CRUdJTi" an 'L'
 * and an 'S' or ':'; a continued line a '\\'; an opener's shape a '\\' or a
 * ':' other than those of a leading timestamp (kept in the view as they are,
 * between digits, where no shape has them). Most decorated lines (a coloured
 * command echoed by the runner) have none, and are not copied.
 */
static bool plain_may_open(const char *l, size_t n)
{
    size_t ts = timestamp_len(l, n);
    const char *r = l + ts;
    size_t rn = n - ts;

    if (memchr(r, ':', rn) || memchr(l, '\\', n)) return true;
    if (memchr(l, 'L', n) && memchr(l, 'S', n)) return true;
    return memchr(l, '-', n) && memchr(l, 'V', n) && memchr(l, 'Y', n);
}

/*
 * Whether the decoration-free view of a decorated line (an escape or an
 * 8-bit CSI inside a marker, a name, "Private-Lines") may open a multi-line
 * secret: what the redactor, which matches on that view, will follow.
 */
static bool plain_opens(const char *l, size_t n)
{
    char *plain = NULL;
    size_t pn;
    bool t;

    if (!plain_may_open(l, n)) return false;
    if (ea_redact_plain(l, n, &plain, &pn) < 0) {
        ea_error_clear();
        return true; /* out of memory: tracked, the redactor decides */
    }
    if (!plain) return false;
    t = key_candidate(plain, pn) || (pn >= 14 && memmem(plain, pn, "Private-Lines:", 14)) ||
        (pn >= 14 && memmem(plain, pn, "LS0tLS1CRUdJTi", 14)) || continued(plain, pn) ||
        (has_secret_piece(plain, pn) && opener_shape(plain, pn));
    ea_free(plain);
    return t;
}

/* Whether the line l[0, n) of event e is tracked: decided once per event. */
static bool event_tracked(struct ea_log_key_event *e, const char *l, size_t n, bool hyperscan)
{
    if (!(e->why & EA_LOG_KEV_DONE)) {
        bool t = !hyperscan ? state_candidate(l, n)
                            : (e->why & EA_LOG_KEV_OPEN) || key_candidate(l, n) ||
                                  ((e->why & EA_LOG_KEV_SHAPE) && opener_shape(l, n)) ||
                                  (decorated(l, n) && plain_opens(l, n));
        e->why |= EA_LOG_KEV_DONE | (t ? EA_LOG_KEV_TRACK : 0);
    }
    return e->why & EA_LOG_KEV_TRACK;
}

/* A multi-line state is open: the next line is tracked whatever it holds. */
static bool line_state_open(const struct ea_redact_stream *st)
{
    return st->continuation || st->yaml_col || st->key_lines || st->b64_width || st->named_col;
}

static int process_line(struct ea_log_scan *s, const char *l, size_t n, int flags, bool cut,
                        const struct ea_redact_stream *key)
{
    bool in_chunk = flags != LINE_UNKNOWN;
    size_t full = n;
    char text[EA_LOG_LINE_MAX + 1];

    if (n > 0 && l[n - 1] == '\r') n--;
    if (flags == LINE_UNKNOWN)
        flags = line_flags(l, n); /* before the cut: it needs one more byte */
    if (n > EA_LOG_LINE_MAX) n = EA_LOG_LINE_MAX;
    s->lines++;
    if (!s->first_ts[0] || !in_chunk) (void)note_timestamp(s, l, n);
    apply_flags(s, l, n, flags);
    if (s->npatterns) {
        memcpy(text, l, n);
        text[n] = '\0';
    }
    for (size_t i = 0; i < s->npatterns; i++) {
        if (regexec(&s->patterns[i], text, 0, NULL, 0) != 0) continue;
        if (s->nmatches >= s->matches_max) {
            s->matches_truncated = true;
            break;
        }
        return keep_line(&s->match[s->nmatches++], l, full, cut, key, s->lines);
    }
    return 0;
}

/* What of a line is classified: without its CR, at most EA_LOG_LINE_MAX bytes. */
static size_t kept_len(const char *l, size_t n)
{
    if (n > 0 && l[n - 1] == '\r') n--;
    return n > EA_LOG_LINE_MAX ? EA_LOG_LINE_MAX : n;
}

/* Puts a line into the tail ring (slots allocated once and reused). */
static int tail_push(struct ea_log_scan *s, const char *l, size_t n, bool cut,
                     const struct ea_redact_stream *key)
{
    int rc = 0;

    if (s->tail_max) {
        rc = keep_line(&s->tail[s->tail_next], l, n, cut, key, s->lines);
        s->tail_next = (s->tail_next + 1) % s->tail_max;
        if (s->tail_count < s->tail_max) s->tail_count++;
    }
    return rc;
}

/* Where key_state_to is in a chunk: the next candidate line, the first line not yet tracked. */
struct key_cursor {
    size_t k, next;
};

/*
 * Moves a redaction state to offset off of the chunk data[0, len) (a line
 * start): through the candidate lines not yet tracked, and through every
 * line while a multi-line secret is open, each whole, on its
 * decoration-free view. Lines before floor began in an earlier chunk: they
 * were tracked piece by piece.
 */
static int key_state_to(struct ea_log_scan *s, const char *data, size_t len, size_t floor,
                        struct ea_redact_stream *state, struct key_cursor *c, size_t off)
{
    int rc = 0;

    if (c->next < floor) c->next = floor;
    while (rc == 0 && c->next < off) {
        bool open = line_state_open(state);
        size_t a = c->next, e;
        const char *nl;
        if (!open) {
            while (c->k < s->nkev && s->kev[c->k].line < c->next) c->k++;
            if (c->k >= s->nkev || s->kev[c->k].line >= off) break;
            a = s->kev[c->k].line;
        }
        nl = memchr(data + a, '\n', len - a);
        e = nl ? (size_t)(nl - data) : len;
        if (open || (c->k < s->nkev && s->kev[c->k].line == a &&
                     event_tracked(&s->kev[c->k], data + a, e - a, s->scratch != NULL)))
            rc = ea_redact_track(state, data + a, e - a);
        c->next = nl ? e + 1 : len;
    }
    return rc;
}

/* Notes the line of data[0, hit] as a key candidate, once per line (hits come in order). */
static int add_key_event(struct ea_log_scan *s, const char *data, size_t hit, unsigned why)
{
    size_t from = 0;
    const char *nl;

    if (s->nkev) {
        const struct ea_log_key_event *last = &s->kev[s->nkev - 1];
        if (hit <= last->hit) {
            s->kev[s->nkev - 1].why |= (unsigned char)why;
            return 0;
        }
        if (!memchr(data + last->hit, '\n', hit - last->hit)) {
            s->kev[s->nkev - 1].hit = hit;
            s->kev[s->nkev - 1].why |= (unsigned char)why;
            return 0;
        }
        from = last->hit;
    }
    nl = memrchr(data + from, '\n', hit - from);
    if (s->nkev == s->kev_cap) {
        size_t ncap = s->kev_cap ? s->kev_cap * 2 : 16;
        struct ea_log_key_event *nk = ea_realloc(s->kev, ncap * sizeof(*nk));
        if (!nk) return ea_fail(EA_ENOMEM, "out of memory");
        s->kev = nk;
        s->kev_cap = ncap;
    }
    s->kev[s->nkev++] =
        (struct ea_log_key_event){nl ? (size_t)(nl - data) + 1 : 0, hit, (unsigned char)why};
    return 0;
}

struct hit_list {
    struct ea_log_scan *s;
    const char *data;
    size_t len;
    int failed;
};

/*
 * Whether the error or warning word ending at data[to] is a whole word, as
 * \\b would say: Hyperscan looks for the bare words (a third of the cost of
 * asserting the boundaries itself), and every hit is checked here. The words
 * of an id have one length, but for "warning", which never ends in "warn".
 */
static bool whole_word(const char *data, size_t len, size_t to, unsigned id)
{
    size_t w = id == LINE_ERROR                                           ? 5
               : to >= 7 && strncasecmp(data + to - 7, "warning", 7) == 0 ? 7
                                                                          : 4;

    if (to < w) return false;
    if (to - w > 0 && letter((unsigned char)data[to - w - 1])) return false;
    return to == len || !letter((unsigned char)data[to]);
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to,
                  unsigned int flags, void *ctx)
{
    struct hit_list *hl = ctx;
    struct ea_log_scan *s = hl->s;

    (void)from;
    (void)flags;
    if ((id == LINE_ERROR || id == LINE_WARNING) && !whole_word(hl->data, hl->len, (size_t)to, id))
        return 0;
    if (id == LINE_KEY || id == LINE_OPEN || id == LINE_SHAPE) {
        unsigned why = id == LINE_OPEN ? EA_LOG_KEV_OPEN : id == LINE_SHAPE ? EA_LOG_KEV_SHAPE : 0;
        if (add_key_event(s, hl->data, (size_t)to - 1, why) < 0) {
            hl->failed = 1;
            return 1;
        }
        return 0;
    }
    if (s->nhits == s->hits_cap) {
        size_t ncap = s->hits_cap ? s->hits_cap * 2 : 256;
        struct ea_log_hit *nh = ea_realloc(s->hits, ncap * sizeof(*nh));
        if (!nh) {
            hl->failed = 1;
            return 1; /* stops the scan */
        }
        s->hits = nh;
        s->hits_cap = ncap;
    }
    s->hits[s->nhits].end = (size_t)to;
    s->hits[s->nhits].flag = (int)id;
    s->nhits++;
    return 0;
}

/* Flags of the line data[a, a+n) from the chunk's hits (consumed in order). */
static int hits_flags(struct ea_log_scan *s, size_t *next, size_t a, size_t n)
{
    size_t kept_end = a + (n > EA_LOG_LINE_MAX ? EA_LOG_LINE_MAX : n);
    int flags = 0;

    while (*next < s->nhits && s->hits[*next].end <= a) (*next)++;
    for (size_t k = *next; k < s->nhits && s->hits[k].end <= a + n; k++) {
        if (s->hits[k].end <= kept_end) flags |= s->hits[k].flag; /* as classify: kept bytes */
    }
    return flags;
}

/* The last timestamped line of data[0, end), found from the end backwards. */
static void last_timestamp(struct ea_log_scan *s, const char *data, const char *end)
{
    const char *stop = end - 1; /* the newline of the last line */

    while (stop >= data) {
        const char *nl = stop > data ? memrchr(data, '\n', (size_t)(stop - data)) : NULL;
        const char *start = nl ? nl + 1 : data;
        size_t n = (size_t)(stop - start);
        if (n > EA_LOG_LINE_MAX) n = EA_LOG_LINE_MAX;
        if (note_timestamp(s, start, n)) return;
        if (!nl) return;
        stop = nl;
    }
}
#define THREADED_HASH_MIN (256 * 1024)

static void hash_job(struct ea_log_hash_job *job)
{
    job->ok = EVP_DigestUpdate(job->ctx, job->data, job->len) == 1;
}

/*
 * The hasher: SHA-256 of each chunk on a second thread while this one scans
 * it (both only read it), one job at a time, until told to quit.
 */
static void *hash_loop(void *arg)
{
    struct ea_log_scan *s = arg;

    pthread_mutex_lock(&s->hash_lock);
    for (;;) {
        while (!s->hash_busy && !s->hash_quit) pthread_cond_wait(&s->hash_cond, &s->hash_lock);
        if (!s->hash_busy) break;
        pthread_mutex_unlock(&s->hash_lock);
        hash_job(&s->job);
        pthread_mutex_lock(&s->hash_lock);
        s->hash_busy = false;
        pthread_cond_broadcast(&s->hash_cond);
    }
    pthread_mutex_unlock(&s->hash_lock);
    return NULL;
}

/* Hands the chunk in s->job to the hasher, started on first use; false: hash it here. */
static bool hash_start(struct ea_log_scan *s)
{
    if (s->job.len < THREADED_HASH_MIN) return false;
    if (!s->hasher_up) s->hasher_up = pthread_create(&s->hasher, NULL, hash_loop, s) == 0;
    if (!s->hasher_up) return false;
    pthread_mutex_lock(&s->hash_lock);
    s->hash_busy = true;
    pthread_cond_broadcast(&s->hash_cond);
    pthread_mutex_unlock(&s->hash_lock);
    return true;
}

/* Newlines in p[0, n): eight bytes at a time (a zero byte of w ^ "\n\n..." is a newline). */
static uint64_t count_newlines(const char *p, size_t n)
{
    const uint64_t ones7 = 0x7f7f7f7f7f7f7f7fULL, nl = 0x0a0a0a0a0a0a0a0aULL;
    uint64_t count = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= nl;
        w = ~(((w & ones7) + ones7) | w | ones7) >> 7; /* 1 in each newline byte, else 0 */
        count += (w * 0x0101010101010101ULL) >> 56;    /* the sum of the eight bytes */
    }
    for (; i < n; i++) count += p[i] == '\n';
    return count;
}

/*
 * The whole lines data[a, b) of a chunk at once, when nothing needs each
 * line (no match patterns, first timestamp known, Hyperscan found the words):
 * newlines are counted eight bytes at a time and only the lines that hold a
 * hit are looked at. Gives the same counts as process_line on each line.
 */
static void bulk_lines(struct ea_log_scan *s, const char *data, size_t a, size_t b, size_t *next)
{
    size_t line = SIZE_MAX, line_end = 0;
    int flags = 0;

    s->lines += count_newlines(data + a, b - a);
    while (*next < s->nhits && s->hits[*next].end <= a) (*next)++;
    for (; *next < s->nhits && s->hits[*next].end <= b; (*next)++) {
        size_t e = s->hits[*next].end;
        if (line == SIZE_MAX || e > line_end) {
            const char *nl;
            if (line != SIZE_MAX)
                apply_flags(s, data + line, kept_len(data + line, line_end - line), flags);
            nl = memrchr(data + a, '\n', e - 1 - a);
            line = nl ? (size_t)(nl - data) + 1 : a;
            line_end = (size_t)((const char *)memchr(data + e - 1, '\n', b - (e - 1)) - data);
            flags = 0;
        }
        if (e <= line + (line_end - line > EA_LOG_LINE_MAX ? EA_LOG_LINE_MAX : line_end - line))
            flags |= s->hits[*next].flag; /* as classify: only words within the kept bytes */
    }
    if (line != SIZE_MAX)
        apply_flags(s, data + line, kept_len(data + line, line_end - line), flags);
}

/*
 * Puts the last tail_max lines of data[from, end) (end just past a newline)
 * into the tail, each with the key state at its start. When the chunk's walk
 * (live, c) has not passed the first of them, it is moved through them: one
 * walk of the chunk. Otherwise (lines visited one by one) the tail's states
 * are found again from key_at_from.
 */
static int tail_from_chunk(struct ea_log_scan *s, const char *data, size_t len, size_t from,
                           size_t end, const struct ea_redact_stream *key_at_from,
                           struct ea_redact_stream *live, struct key_cursor *c)
{
    size_t starts[EA_LOG_TAIL_MAX], n = 0, stop = end - 1; /* stop: a line's newline */
    struct key_cursor kc = {0, 0};
    struct ea_redact_stream key = *key_at_from;
    int rc = 0;

    while (n < s->tail_max) {
        const char *nl = stop > from ? memrchr(data + from, '\n', stop - from) : NULL;
        starts[n++] = nl ? (size_t)(nl - data) + 1 : from;
        if (!nl) break;
        stop = (size_t)(nl - data);
    }
    if (n && (c->next > from ? c->next : from) <= starts[n - 1]) {
        for (size_t k = n; rc == 0 && k > 0; k--) {
            size_t st = starts[k - 1];
            const char *nl = memchr(data + st, '\n', end - st);
            rc = key_state_to(s, data, len, from, live, c, st);
            if (rc == 0) rc = tail_push(s, data + st, (size_t)(nl - (data + st)), false, live);
        }
        return rc;
    }
    for (size_t k = n; rc == 0 && k > 0; k--) {
        size_t st = starts[k - 1];
        const char *nl = memchr(data + st, '\n', end - st);
        rc = key_state_to(s, data, len, from, &key, &kc, st);
        if (rc == 0) rc = tail_push(s, data + st, (size_t)(nl - (data + st)), false, &key);
    }
    return rc;
}

/*
 * Tracks the key block state over a piece of a line that spans chunks, whole
 * (past the bytes kept of it), with the last bytes of the previous piece in
 * front so that a marker split between pieces is seen (tracking a key
 * block is idempotent). The states that follow lines (a YAML block, a
 * continued value, ...) are moved once the line is complete (finish_partial).
 */
static int track_piece(struct ea_log_scan *s, const char *p, size_t n)
{
    struct ea_buf b;
    size_t keep;
    int rc;

    if (!n) return 0;
    ea_buf_init(&b, 0);
    rc = ea_buf_append(&b, s->key_overlap, s->nkey_overlap);
    if (rc == 0) rc = ea_buf_append(&b, p, n);
    if (rc == 0 && key_candidate(b.data, b.len)) {
        struct ea_redact_stream t = {0};
        t.in_private_key = s->key.in_private_key;
        memcpy(t.key_label, s->key.key_label, sizeof(t.key_label));
        rc = ea_redact_track(&t, b.data, b.len);
        s->key.in_private_key = t.in_private_key;
        memcpy(s->key.key_label, t.key_label, sizeof(t.key_label));
    }
    keep = b.len < EA_LOG_KEY_OVERLAP ? b.len : EA_LOG_KEY_OVERLAP;
    if (rc == 0) memcpy(s->key_overlap, b.data + b.len - keep, keep);
    s->nkey_overlap = keep;
    ea_buf_dispose(&b);
    return rc;
}

/*
 * Moves the states that follow lines over the line carried in s->partial,
 * now complete: from the state at its start, on its first bytes (kept) and,
 * when it was longer, its last ones, so that both its start (a YAML
 * indentation, a key) and its end (`\`, "key: |") are seen.
 */
static int track_line_states(struct ea_log_scan *s)
{
    struct ea_redact_stream t = s->partial_key;
    struct ea_buf b;
    int rc;

    t.in_private_key = false; /* the key block state was moved piece by piece */
    t.key_label[0] = '\0';
    ea_buf_init(&b, 0);
    rc = ea_buf_append(&b, s->partial.data ? s->partial.data : "", s->partial.len);
    if (rc == 0 && s->partial_cut) rc = ea_buf_append(&b, s->key_overlap, s->nkey_overlap);
    if (rc == 0 && (line_state_open(&t) || state_candidate(b.data, b.len)))
        rc = ea_redact_track(&t, b.data, b.len);
    if (rc == 0) {
        t.in_private_key = s->key.in_private_key;
        memcpy(t.key_label, s->key.key_label, sizeof(t.key_label));
        s->key = t;
    }
    ea_buf_dispose(&b);
    return rc;
}

/* Ends the line carried in s->partial: counted, classified, kept in the tail. */
static int finish_partial(struct ea_log_scan *s)
{
    const char *l = s->partial.data ? s->partial.data : "";
    size_t n = s->partial.len;
    int rc = track_line_states(s);

    if (rc == 0) rc = process_line(s, l, n, LINE_UNKNOWN, s->partial_cut, &s->partial_key);
    if (rc == 0) rc = tail_push(s, l, n, s->partial_cut, &s->partial_key);
    s->nkey_overlap = 0;
    ea_buf_reset(&s->partial);
    s->partial_cut = false;
    return rc;
}

/*
 * The last timestamp and the tail lines among the whole lines
 * [first_whole, complete_end) of a chunk, once they are all seen and before
 * a line begun in this chunk and ended in the next moves s->key past them.
 */
static int chunk_tail(struct ea_log_scan *s, const char *data, size_t len, const char *first_whole,
                      const char *complete_end, const struct ea_redact_stream *key_at_first,
                      struct key_cursor *c)
{
    if (complete_end <= first_whole) return 0; /* not the end of a line begun before */
    last_timestamp(s, first_whole, complete_end);
    return tail_from_chunk(s, data, len, (size_t)(first_whole - data),
                           (size_t)(complete_end - data), key_at_first, &s->key, c);
}

/* Waits for the previous chunk's hash. */
static int hash_wait(struct ea_log_scan *s)
{
    if (s->hashing) {
        pthread_mutex_lock(&s->hash_lock);
        while (s->hash_busy) pthread_cond_wait(&s->hash_cond, &s->hash_lock);
        pthread_mutex_unlock(&s->hash_lock);
        s->hashing = false;
        if (!s->job.ok) return ea_fail(EA_ERROR, "SHA-256 failed");
    }
    return 0;
}

int ea_log_scan_feed(struct ea_log_scan *s, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    struct hit_list hl = {s, data, len, 0};
    size_t next_hit = 0;
    struct key_cursor next_key = {0, 0};
    struct ea_redact_stream key_at_first = {0};
    const char *first_whole = NULL;  /* start of this chunk's first line scanned in the chunk */
    const char *complete_end = data; /* end of the last whole line scanned in this chunk */
    bool tail_done = false;
    int rc = hash_wait(s);

    if (rc < 0) return rc;
    s->job = (struct ea_log_hash_job){s->sha, data, len, 0};
    s->hashing = hash_start(s);
    if (!s->hashing && (hash_job(&s->job), !s->job.ok)) return ea_fail(EA_ERROR, "SHA-256 failed");
    s->bytes += len;
    s->nhits = 0;
    s->nkev = 0;
    if (len > 0xffffffffu) {
        rc = ea_fail(EA_ETOOBIG, "log chunk over 4 GiB");
        p = end; /* nothing is scanned; the hasher is still joined below */
    } else if (s->scratch &&
               hs.lib->scan(hs.db, data, (unsigned int)len, 0, s->scratch, on_hit, &hl) !=
                   HS_SUCCESS &&
               hl.failed) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        p = end;
    }
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t seg = (size_t)(stop - p), floor;

        if (s->partial.len || s->partial_cut || !nl) {
            size_t room = EA_LOG_LINE_KEEP + 1 - s->partial.len;
            if (first_whole && !tail_done) { /* before this line moves the key state */
                rc = chunk_tail(s, data, len, first_whole, complete_end, &key_at_first, &next_key);
                tail_done = true;
            }
            if (rc == 0 &&
                first_whole) /* the whole lines before this one move the key state first */
                rc = key_state_to(s, data, len, (size_t)(first_whole - data), &s->key, &next_key,
                                  (size_t)(p - data));
            if (!s->partial.len && !s->partial_cut) s->partial_key = s->key;
            if (seg > room) s->partial_cut = true;
            if (rc == 0) rc = track_piece(s, p, seg);
            if (rc == 0) rc = ea_buf_append(&s->partial, p, seg < room ? seg : room);
            if (rc == 0 && nl) rc = finish_partial(s);
            p = nl ? nl + 1 : end;
            continue;
        }
        if (!first_whole) {
            first_whole = p;
            key_at_first = s->key;
        }
        floor = (size_t)(first_whole - data);
        if (s->scratch && !s->npatterns && s->first_ts[0]) {
            const char *last = memrchr(p, '\n', (size_t)(end - p));
            bulk_lines(s, data, (size_t)(p - data), (size_t)(last + 1 - data), &next_hit);
            complete_end = p = last + 1;
            continue;
        }
        if (!s->scratch && state_candidate(p, seg)) /* no Hyperscan: found here */
            rc = add_key_event(s, data, (size_t)(p - data), EA_LOG_KEV_OPEN);
        if (rc == 0) rc = key_state_to(s, data, len, floor, &s->key, &next_key, (size_t)(p - data));
        if (rc == 0)
            rc = process_line(s, p, seg,
                              s->scratch ? hits_flags(s, &next_hit, (size_t)(p - data), seg)
                                         : LINE_UNKNOWN,
                              false, &s->key);
        complete_end = p = nl + 1;
    }
    if (rc == 0 && first_whole && !tail_done)
        rc = chunk_tail(s, data, len, first_whole, complete_end, &key_at_first, &next_key);
    if (rc == 0 && first_whole)
        rc = key_state_to(s, data, len, (size_t)(first_whole - data), &s->key, &next_key,
                          (size_t)(complete_end - data));
    return rc; /* the hash may still run: waited for by the next feed, finish or dispose */
}

/* A kept line, redacted with everything the log declared, then cut: a JSON string. */
static json_t *kept_json(struct ea_log_scan *s, struct ea_redact_stream *st,
                         const struct ea_log_kept *k, const char *ahead, size_t ahead_len)
{
    struct ea_buf b;
    json_t *j = NULL;

    /* the whole log's state at the line: the kept lines may not show where a secret began */
    if (k->key.in_private_key) {
        st->in_private_key = true;
        memcpy(st->key_label, k->key.key_label, sizeof(st->key_label));
    }
    if (k->key.continuation) st->continuation = true;
    if (k->key.yaml_col && !st->yaml_col) {
        st->yaml_col = k->key.yaml_col;
        st->yaml_scalar = k->key.yaml_scalar;
    }
    if (k->key.key_lines > st->key_lines) st->key_lines = k->key.key_lines;
    if (k->key.b64_width && !st->b64_width) st->b64_width = k->key.b64_width;
    if (k->key.named_col && !st->named_col) st->named_col = k->key.named_col;
    ea_buf_init(&b, 0);
    if (ea_redact_clip_ahead(s->redactor, st, &b, k->text, k->len, ahead, ahead_len, k->cut,
                             EA_LOG_LINE_MAX, &s->masked) == 0)
        j = ea_utf8_json(b.data ? b.data : "", b.len, EA_LOG_LINE_MAX * 2);
    ea_buf_dispose(&b);
    return j;
}

#define TAIL_AHEAD_LINES 64 /* as far as the redactor looks for an entry's name */

/*
 * The kept lines after tail line i, joined with newlines, into ahead (reset;
 * left empty, its data NULL, unless line i has a "value" key): an entry's
 * value written before its name is told by the lines after it, and each
 * kept line is redacted on its own.
 */
static int tail_ahead(struct ea_log_scan *s, size_t i, struct ea_buf *ahead)
{
    const struct ea_log_kept *k =
        &s->tail[(s->tail_next + s->tail_max - s->tail_count + i) % s->tail_max];
    int rc = 0;

    ea_buf_dispose(ahead);
    ea_buf_init(ahead, 0);
    if (!strcasestr(k->text, "value")) return 0;
    for (size_t j = i + 1; rc == 0 && j < s->tail_count && j <= i + TAIL_AHEAD_LINES; j++) {
        const struct ea_log_kept *n =
            &s->tail[(s->tail_next + s->tail_max - s->tail_count + j) % s->tail_max];
        if (j > i + 1) rc = ea_buf_append(ahead, "\n", 1);
        if (rc == 0) rc = ea_buf_append(ahead, n->text, n->len);
    }
    if (rc == 0 && !ahead->data) rc = ea_buf_append(ahead, "", 0);
    return rc;
}

int ea_log_scan_finish(struct ea_log_scan *s, json_t **out)
{
    unsigned char md[EA_SHA256_LEN];
    char hex[EA_SHA256_HEX_LEN + 1];
    struct ea_redact_stream st = {0};
    struct ea_buf ahead;
    json_t *o = NULL, *tail = NULL, *matches = NULL;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (s->partial.len || s->partial_cut) {
        if ((rc = finish_partial(s)) < 0) return rc;
    }
    if ((rc = hash_wait(s)) < 0) return rc;
    if (EVP_DigestFinal_ex(s->sha, md, NULL) != 1) return ea_fail(EA_ERROR, "SHA-256 failed");
    ea_hex_encode(hex, md, sizeof(md));
    ea_buf_init(&ahead, 0);
    tail = json_array();
    matches = json_array();
    for (i = 0; tail && matches && i < s->tail_count; i++) {
        size_t at = (s->tail_next + s->tail_max - s->tail_count + i) % s->tail_max;
        if (tail_ahead(s, i, &ahead) < 0) break;
        if (json_array_append_new(tail, kept_json(s, &st, &s->tail[at], ahead.data, ahead.len)) < 0)
            break;
    }
    ea_buf_dispose(&ahead);
    for (size_t m = 0; tail && matches && i == s->tail_count && m < s->nmatches; m++) {
        struct ea_redact_stream ms = {0};
        json_t *t = kept_json(s, &ms, &s->match[m], NULL, 0);
        if (!t || json_array_append_new(matches,
                                        json_pack("{s:I, s:o}", "line",
                                                  (json_int_t)s->match[m].line, "text", t)) < 0) {
            i = SIZE_MAX;
            break;
        }
    }
    if (tail && matches && i == s->tail_count)
        o = json_pack("{s:s, s:I, s:I, s:s?, s:s?, s:I, s:I, s:O, s:O, s:b}", "sha256", hex,
                      "bytes", (json_int_t)s->bytes, "lines", (json_int_t)s->lines,
                      "first_timestamp", s->first_ts[0] ? s->first_ts : NULL, "last_timestamp",
                      s->last_ts[0] ? s->last_ts : NULL, "error_lines", (json_int_t)s->errors,
                      "warning_lines", (json_int_t)s->warnings, "tail", tail, "matches", matches,
                      "matches_truncated", s->matches_truncated);
    json_decref(tail);
    json_decref(matches);
    if (!o) return ea_fail(EA_ENOMEM, "out of memory");
    if (!s->first_ts[0]) json_object_set_new(o, "first_timestamp", json_null());
    if (!s->last_ts[0]) json_object_set_new(o, "last_timestamp", json_null());
    *out = o;
    return 0;
}
