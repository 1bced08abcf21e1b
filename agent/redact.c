/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redaction in one pass: a 256-entry table marks the rare bytes that anchor
 * a secret ('_' ends ghp_/sk_live_/github_pat_, '-' ends glpat-/xoxb- and
 * starts -----BEGIN, 'A' starts AKIA/AIza, 'J' ends eyJ, ':' and '=' join
 * key/value pairs and URLs); only at those bytes do the matchers run. This keeps the scan close to memory speed on
 * ordinary log text, which has few such bytes in dangerous positions.
 * Literal values are found with memmem. Hits from both are merged, and each
 * merged range is replaced by "[REDACTED:<kind>]".
 *
 * What it does not do: decide whether an unlabelled high-entropy string is a
 * secret (too many false positives in logs full of hashes), or decode
 * base64 to look inside it.
 */
#define _GNU_SOURCE 1 /* memmem */
#include "redact.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "error.h"
#include "util/mem.h"

#define LITERALS_MAX 256
#define KEY_MAX 64

struct literal {
    char *value;
    size_t len;
};

struct ea_redactor {
    struct literal lit[LITERALS_MAX];
    size_t nlit;
};

struct hit {
    size_t start, end;
    const char *kind;
};

struct hits {
    struct hit *h;
    size_t n, cap;
};

static int add_hit(struct hits *hs, size_t start, size_t end, const char *kind)
{
    if (hs->n == hs->cap) {
        size_t ncap = hs->cap ? hs->cap * 2 : 16;
        struct hit *nh = ea_realloc(hs->h, ncap * sizeof(*nh));
        if (!nh) return ea_fail(EA_ENOMEM, "out of memory while redacting");
        hs->h = nh;
        hs->cap = ncap;
    }
    hs->h[hs->n++] = (struct hit){start, end, kind};
    return 0;
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_b64url(unsigned char c)
{
    return is_alnum(c) || c == '_' || c == '-';
}

static bool starts_n(const char *s, size_t n, size_t i, const char *lit, size_t k)
{
    return i <= n && n - i >= k && memcmp(s + i, lit, k) == 0;
}

/* For string literals: the length is known at compile time. */
#define starts(s, n, i, lit) starts_n(s, n, i, lit, sizeof(lit) - 1)

static size_t run_of(const char *s, size_t n, size_t i, bool (*cls)(unsigned char))
{
    size_t j = i;
    while (j < n && cls((unsigned char)s[j])) j++;
    return j - i;
}

static bool left_boundary(const char *s, size_t i)
{
    return i == 0 || !is_alnum((unsigned char)s[i - 1]);
}

static size_t line_end(const char *s, size_t n, size_t i)
{
    const char *nl = memchr(s + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - s) : n;
    if (e > i && s[e - 1] == '\r') e--;
    return e;
}

/* Prefixed tokens: prefix, then at least min chars of the class. */
#define T(prefix) prefix, sizeof(prefix) - 1

static const struct {
    const char *prefix;
    size_t plen;
    size_t min;
    bool (*cls)(unsigned char);
    const char *kind;
} tokens[] = {
    {T("ghp_"), 30, is_alnum, "github-token"},     {T("gho_"), 30, is_alnum, "github-token"},
    {T("ghu_"), 30, is_alnum, "github-token"},     {T("ghs_"), 30, is_alnum, "github-token"},
    {T("ghr_"), 30, is_alnum, "github-token"},     {T("github_pat_"), 22, is_b64url, "github-token"},
    {T("glpat-"), 20, is_b64url, "gitlab-token"},  {T("xoxa-"), 10, is_b64url, "slack-token"},
    {T("xoxb-"), 10, is_b64url, "slack-token"},    {T("xoxp-"), 10, is_b64url, "slack-token"},
    {T("xoxr-"), 10, is_b64url, "slack-token"},    {T("xoxs-"), 10, is_b64url, "slack-token"},
    {T("sk_live_"), 24, is_alnum, "stripe-key"},   {T("rk_live_"), 24, is_alnum, "stripe-key"},
    {T("AIza"), 35, is_b64url, "google-api-key"},
};

static const char *const aws_prefixes[] = {"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA",
                                           "ANPA", "ANVA", "ABIA", "ACCA", NULL};

static bool is_aws_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Tokens are anchored on the last byte of their prefix ('_' or '-', rare in
 * text) or on 'A'; i is that byte, so each prefix is tried where it would start.
 */
static unsigned char before_anchor[256]; /* bytes that precede a prefix's last byte */

static int match_tokens(struct hits *hs, const char *s, size_t n, size_t i, size_t *next)
{
    for (size_t t = 0; i > 0 && before_anchor[(unsigned char)s[i - 1]] && t < sizeof(tokens) / sizeof(tokens[0]); t++) {
        size_t pl = tokens[t].plen;
        size_t body, at;
        if (tokens[t].prefix[pl - 1] != s[i] || i + 1 < pl) continue;
        at = i + 1 - pl;
        if (!starts_n(s, n, at, tokens[t].prefix, pl) || !left_boundary(s, at)) continue;
        body = run_of(s, n, at + pl, tokens[t].cls);
        if (body < tokens[t].min) continue;
        *next = at + pl + body;
        return add_hit(hs, at, *next, tokens[t].kind);
    }
    if (s[i] != 'A' || i + 1 >= n || !strchr("IKSGRPNBC3", s[i + 1]) || s[i + 1] == '\0' ||
        !left_boundary(s, i))
        return 0;
    for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++) {
        size_t pl = tokens[t].plen;
        size_t body;
        if (tokens[t].prefix[0] != 'A' || !starts_n(s, n, i, tokens[t].prefix, pl)) continue;
        body = run_of(s, n, i + pl, tokens[t].cls);
        if (body < tokens[t].min) continue;
        *next = i + pl + body;
        return add_hit(hs, i, *next, tokens[t].kind);
    }
    if (s[i] == 'A' && n - i >= 20) {
        bool pre = starts(s, n, i, "A3T") && is_aws_char((unsigned char)s[i + 3]);
        for (size_t k = 0; !pre && aws_prefixes[k]; k++) pre = starts_n(s, n, i, aws_prefixes[k], 4);
        if (pre && run_of(s, n, i + 4, is_aws_char) == 16 &&
            (i + 20 == n || !is_alnum((unsigned char)s[i + 20]))) {
            *next = i + 20;
            return add_hit(hs, i, *next, "aws-access-key");
        }
    }
    return 0;
}

/* Anchored on the 'J' of "eyJ" (the base64 of '{"'). */
static int match_jwt(struct hits *hs, const char *s, size_t n, size_t i, size_t *next)
{
    size_t a, b, c;

    if (i < 2) return 0;
    i -= 2;
    if (!left_boundary(s, i) || !starts(s, n, i, "eyJ")) return 0;
    a = run_of(s, n, i, is_b64url);
    if (a < 10 || i + a >= n || s[i + a] != '.') return 0;
    b = run_of(s, n, i + a + 1, is_b64url);
    if (b < 10 || i + a + 1 + b >= n || s[i + a + 1 + b] != '.') return 0;
    c = run_of(s, n, i + a + 2 + b, is_b64url);
    *next = i + a + 2 + b + c;
    return add_hit(hs, i, *next, "jwt");
}

/* From a "-----END ... PRIVATE KEY-----" search position to just after it, or n. */
static size_t private_key_end(const char *s, size_t n, size_t from)
{
    const char *p = s + from;

    while ((p = memmem(p, n - (size_t)(p - s), "-----END ", 9))) {
        size_t le = line_end(s, n, (size_t)(p - s));
        const char *k = memmem(p, le - (size_t)(p - s), "PRIVATE KEY-----", 16);
        if (k) return (size_t)(k - s) + 16;
        p += 9;
    }
    return n;
}

static int match_private_key(struct hits *hs, struct ea_redact_stream *st, const char *s,
                             size_t n, size_t i, size_t *next)
{
    size_t le;

    if (i + 1 >= n || s[i + 1] != '-' || !starts(s, n, i, "-----BEGIN ")) return 0;
    le = line_end(s, n, i);
    if (!memmem(s + i, le - i, "PRIVATE KEY-----", 16)) return 0;
    *next = private_key_end(s, n, le);
    if (*next == n && st) st->in_private_key = true;
    return add_hit(hs, i, *next, "private-key");
}

/* Keys whose value is a secret: the normalised key must end with one of these. */
static const char *const secret_keys[] = {"password", "passwd", "pwd", "secret", "token",
                                          "apikey", "accesskey", "privatekey", "credentials",
                                          NULL};

static unsigned char key_last[256]; /* last bytes of secret keys, either case */

static bool key_char(unsigned char c)
{
    return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* The key before the ':' or '=' at i, normalised (lower case, no _ - .); false if none. */
static bool key_before(const char *s, size_t i, char *norm, size_t *start)
{
    size_t j = i, k, m = 0;

    while (j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t')) j--;
    if (j > 0 && (s[j - 1] == '"' || s[j - 1] == '\'')) j--;
    /* Every secret key ends in d, t, n, y or s (password, secret, token, apikey,
     * credentials, authorization): reject the rest (times, counts) at once. */
    if (j == 0 || !key_last[(unsigned char)s[j - 1]]) return false;
    k = j;
    while (k > 0 && j - k < KEY_MAX && key_char((unsigned char)s[k - 1])) k--;
    if (k == j || (k > 0 && key_char((unsigned char)s[k - 1]))) return false;
    for (size_t p = k; p < j; p++) {
        if (s[p] != '_' && s[p] != '-' && s[p] != '.') norm[m++] = (char)tolower((unsigned char)s[p]);
    }
    norm[m] = '\0';
    *start = k;
    return m > 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static int match_pair(struct hits *hs, const char *s, size_t n, size_t i, size_t *next)
{
    char key[KEY_MAX + 1];
    size_t kstart, v, e;
    bool secret = false, whole_line;

    if (!key_before(s, i, key, &kstart)) return 0;
    whole_line = strcmp(key, "authorization") == 0 || strcmp(key, "proxyauthorization") == 0;
    for (size_t k = 0; !whole_line && !secret && secret_keys[k]; k++)
        secret = ends_with(key, secret_keys[k]);
    if (!secret && !whole_line) return 0;
    v = i + 1;
    while (v < n && (s[v] == ' ' || s[v] == '\t')) v++;
    if (whole_line) {
        e = line_end(s, n, v);
    } else if (v < n && (s[v] == '"' || s[v] == '\'')) {
        const char *q = memchr(s + v + 1, s[v], line_end(s, n, v + 1) - (v + 1));
        v++;
        e = q ? (size_t)(q - s) : line_end(s, n, v);
    } else {
        e = v;
        while (e < n && !strchr(" \t\r\n\"'&;,)}]<>", s[e])) e++;
    }
    if (e <= v || starts(s, n, v, "[REDACTED")) return 0;
    *next = e;
    return add_hit(hs, v, e, whole_line ? "authorization" : "password-pair");
}

static int match_url(struct hits *hs, const char *s, size_t n, size_t i, size_t *next)
{
    size_t u = i + 3, e = u, colon = 0;

    if (i + 2 >= n || s[i + 1] != '/' || !starts(s, n, i, "://")) return 0;
    while (e < n && !strchr("/@ \t\r\n\"'<>", s[e])) {
        if (s[e] == ':' && !colon) colon = e;
        e++;
    }
    if (e >= n || s[e] != '@' || e == u) return 0;
    *next = e;
    if (colon && colon + 1 < e) return add_hit(hs, colon + 1, e, "url-password");
    if (!colon && e - u >= 16) return add_hit(hs, u, e, "url-token"); /* https://TOKEN@host */
    return 0;
}

static int match_add_mask(struct hits *hs, const char *s, size_t n, size_t i, size_t *next)
{
    size_t v, e;

    if (i + 1 >= n || s[i + 1] != ':' || !starts(s, n, i, "::add-mask::")) return 0;
    v = i + 12;
    e = line_end(s, n, v);
    if (e <= v) return 0;
    *next = e;
    return add_hit(hs, v, e, "add-mask");
}

static unsigned char trigger[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_triggers(void)
{
    static const char chars[] = "_-AJ:=";
    for (const char *c = chars; *c; c++) trigger[(unsigned char)*c] = 1;
    for (const char *c = "dtnys"; *c; c++) key_last[(unsigned char)*c] = key_last[toupper(*c)] = 1;
    for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++)
        before_anchor[(unsigned char)tokens[t].prefix[tokens[t].plen - 2]] = 1;
}

static int scan_patterns(struct hits *hs, struct ea_redact_stream *st, const char *s, size_t n)
{
    size_t i = 0;
    int rc = 0;

    if (st && st->in_private_key) {
        size_t e = private_key_end(s, n, 0);
        rc = add_hit(hs, 0, e, "private-key");
        if (e < n) st->in_private_key = false;
        i = e;
    }
    while (i < n && rc == 0) {
        size_t next = 0;
        unsigned char c;
        while (i < n && !trigger[(unsigned char)s[i]]) i++;
        if (i == n) break;
        c = (unsigned char)s[i];
        switch (c) {
        case '-':
            rc = match_private_key(hs, st, s, n, i, &next);
            if (rc == 0 && !next) rc = match_tokens(hs, s, n, i, &next);
            break;
        case 'J': rc = match_jwt(hs, s, n, i, &next); break;
        case ':':
            rc = match_add_mask(hs, s, n, i, &next);
            if (rc == 0 && !next) rc = match_url(hs, s, n, i, &next);
            if (rc == 0 && !next) rc = match_pair(hs, s, n, i, &next);
            break;
        case '=': rc = match_pair(hs, s, n, i, &next); break;
        default: rc = match_tokens(hs, s, n, i, &next); break;
        }
        i = next > i ? next : i + 1;
    }
    return rc;
}

static int scan_literals(const struct ea_redactor *r, struct hits *hs, const char *s, size_t n)
{
    for (size_t k = 0; k < r->nlit; k++) {
        const char *p = s;
        while ((p = memmem(p, n - (size_t)(p - s), r->lit[k].value, r->lit[k].len))) {
            int rc = add_hit(hs, (size_t)(p - s), (size_t)(p - s) + r->lit[k].len, "literal");
            if (rc < 0) return rc;
            p += r->lit[k].len;
        }
    }
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

int ea_redact_text(const struct ea_redactor *r, struct ea_redact_stream *st, struct ea_buf *out,
                   const char *in, size_t len, unsigned *count)
{
    struct hits hs = {NULL, 0, 0};
    size_t pos = 0;
    int rc;

    pthread_once(&tables_once, init_triggers);
    rc = scan_patterns(&hs, st, in, len);
    if (rc == 0 && r) rc = scan_literals(r, &hs, in, len);
    if (rc == 0 && hs.n > 1) qsort(hs.h, hs.n, sizeof(*hs.h), cmp_hit);
    for (size_t k = 0; k < hs.n && rc == 0; k++) {
        const struct hit *h = &hs.h[k];
        if (h->end <= pos) continue;
        if (h->start < pos) { /* overlaps the previous mask: widen it */
            pos = h->end;
            continue;
        }
        rc = ea_buf_append(out, in + pos, h->start - pos);
        if (rc == 0) rc = ea_buf_printf(out, "[REDACTED:%s]", h->kind);
        pos = h->end;
        if (count) (*count)++;
    }
    if (rc == 0) rc = ea_buf_append(out, in + pos, len - pos);
    ea_free(hs.h);
    return rc;
}

int ea_redactor_new(struct ea_redactor **out)
{
    pthread_once(&tables_once, init_triggers);
    *out = ea_calloc(1, sizeof(**out));
    return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

int ea_redactor_add_literal(struct ea_redactor *r, const char *value, size_t len)
{
    char *copy;

    if (len < 4) return ea_fail(EA_EINPUT, "a secret of fewer than 4 bytes cannot be redacted "
                                           "without masking ordinary text");
    for (size_t k = 0; k < r->nlit; k++) {
        if (r->lit[k].len == len && memcmp(r->lit[k].value, value, len) == 0) return 0;
    }
    if (r->nlit == LITERALS_MAX)
        return ea_fail(EA_ECONFIG, "more than %d secret values to redact", LITERALS_MAX);
    copy = ea_strndup(value, len);
    if (!copy) return ea_fail(EA_ENOMEM, "out of memory");
    r->lit[r->nlit].value = copy;
    r->lit[r->nlit].len = len;
    r->nlit++;
    return 0;
}

int ea_redactor_scan_add_mask(struct ea_redactor *r, const char *line, size_t len)
{
    const char *p = len >= 12 ? memmem(line, len, "::add-mask::", 12) : NULL;
    size_t v, e;
    int rc;

    if (!p) return 0;
    v = (size_t)(p - line) + 12;
    e = line_end(line, len, v);
    if (e - v < 4) return 0;
    rc = ea_redactor_add_literal(r, line + v, e - v);
    return rc < 0 ? rc : 1;
}

void ea_redactor_free(struct ea_redactor *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->nlit; k++) ea_free_secret(r->lit[k].value, r->lit[k].len);
    ea_free(r);
}

/* Redacts one string; *changed tells whether anything was masked. new is owned. */
static int redact_string(const struct ea_redactor *r, const char *s, size_t n, char **new_text,
                         size_t *new_len, unsigned *count)
{
    struct ea_buf b;
    unsigned before = *count;
    int rc;

    *new_text = NULL;
    ea_buf_init(&b, 0);
    rc = ea_redact_text(r, NULL, &b, s, n, count);
    if (rc < 0 || *count == before) {
        ea_buf_dispose(&b);
        return rc;
    }
    *new_text = ea_buf_take(&b, new_len);
    return 0;
}

int ea_redact_json(const struct ea_redactor *r, json_t *v, unsigned *count)
{
    int rc = 0;

    if (json_is_string(v)) {
        char *t;
        size_t tl;
        rc = redact_string(r, json_string_value(v), json_string_length(v), &t, &tl, count);
        if (rc == 0 && t) {
            if (json_string_setn(v, t, tl) < 0 && json_string_set(v, "[REDACTED:invalid]") < 0)
                rc = ea_fail(EA_ENOMEM, "out of memory");
            ea_free(t);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if ((rc = ea_redact_json(r, x, count)) < 0) break;
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, x) {
            char *nk;
            size_t nl;
            if ((rc = ea_redact_json(r, x, count)) < 0) break;
            if ((rc = redact_string(r, k, strlen(k), &nk, &nl, count)) < 0) break;
            if (nk) { /* a secret in a key: move the value under the masked key */
                json_incref(x);
                if (json_object_del(v, k) < 0 || json_object_setn_new(v, nk, nl, x) < 0)
                    rc = ea_fail(EA_ENOMEM, "out of memory");
                ea_free(nk);
                if (rc < 0) break;
            }
        }
    }
    return rc;
}
