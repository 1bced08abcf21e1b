/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redaction in three steps.
 *
 * 1. The view: a copy of the text without its CI decoration (ANSI/VT escape
 *    sequences anywhere, GitLab section_start/section_end markers), with a
 *    table of segments to map every view offset back to the original byte.
 *    Text without decoration is its own view (no copy). Matchers treat a
 *    lone CR as the end of a line and skip a leading ISO-8601 timestamp
 *    where they look at the start of a line.
 * 2. The prefilter: on texts of PREFILTER_MIN bytes or more, one Hyperscan
 *    scan of the view (loaded with dlopen on first use) finds the lines that
 *    hold any word a rule needs (a token prefix, a secret-named key, a tool
 *    name, "-----BEGIN", "://…@"); only those lines go to step 3. Short
 *    texts, and every text when Hyperscan is missing, go to step 3 whole.
 * 3. The matchers: a 256-entry table marks the bytes that anchor a rule
 *    (the last byte of a token prefix, ':' '=' '>' of key/value syntaxes,
 *    '-' of flags and key blocks, 'A', 'J'); only at those bytes do the
 *    matchers run. Literal values are found with memmem on the whole view.
 *
 * Hits are merged (overlaps widen a mask; a mask already in the text is
 * never masked again) and mapped back to the original bytes, each merged
 * range replaced by "[REDACTED:<kind>]".
 *
 * What it does not do: decide whether an unlabelled high-entropy string is a
 * secret (too many false positives in logs full of hashes), or decode
 * base64 to look inside it.
 */
#define _GNU_SOURCE 1 /* memmem, memrchr */
#include "redact.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error.h"
#include "util/hs.h"
#include "util/mem.h"
#include "util/utf8.h"

#define LITERALS_MAX 256
#define KEY_MAX 64
/* shorter texts (record strings, log lines): matchers on every byte */
#define PREFILTER_MIN 16384
#define SCRATCH_MAX 8
#define CONTEXT_MAX 4096 /* how far back a flag looks for its tool on the line */
#define MARK "[REDACTED:"
#define MARK_LEN (sizeof(MARK) - 1)
#define MARK_MAX 64 /* longest mask: "[REDACTED:" + kind + "]" */
#define PHRASE_VALUE_MIN 16

struct literal {
    char *value;
    size_t len;
};

struct ea_redactor {
    struct literal lit[LITERALS_MAX];
    size_t nlit;
    pthread_mutex_t lock; /* guards pool */
    hs_scratch_t *pool[SCRATCH_MAX];
    size_t npool;
};

struct hit {
    size_t start, end;
    const char *kind;
};

struct hits {
    struct hit *h;
    size_t n, cap;
};

/* One text being matched: its view and the hits found so far (view offsets). */
struct scan {
    const char *s;
    size_t n;
    struct ea_redact_stream *st;
    struct hits hs;
};

static int add_hit(struct scan *sc, size_t start, size_t end, const char *kind)
{
    struct hits *hs = &sc->hs;

    if (end <= start) return 0;
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

/* ---- character classes and small helpers ---- */

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_b64url(unsigned char c)
{
    return is_alnum(c) || c == '_' || c == '-';
}

static bool is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_hex_lower(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_hex(unsigned char c)
{
    return is_hex_lower(c) || (c >= 'A' && c <= 'F');
}

static bool is_lower_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

static bool is_b64url_dot(unsigned char c)
{
    return is_b64url(c) || c == '.';
}

static bool is_aws_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_flag_char(unsigned char c)
{
    return is_alnum(c) || c == '_' || c == '-';
}

static bool is_key_char(unsigned char c)
{
    return is_flag_char(c) || c == '.';
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool is_eol(unsigned char c)
{
    return c == '\n' || c == '\r';
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

/* End of the line holding i: the first LF or CR at or after i (a lone CR ends a line too). */
static size_t line_end(const char *s, size_t n, size_t i)
{
    const char *nl = memchr(s + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - s) : n;
    const char *cr = memchr(s + i, '\r', e - i);
    return cr ? (size_t)(cr - s) : e;
}

/* Start of the line holding i, looking back at most CONTEXT_MAX bytes. */
static size_t line_start(const char *s, size_t i)
{
    size_t stop = i > CONTEXT_MAX ? i - CONTEXT_MAX : 0;
    while (i > stop && !is_eol((unsigned char)s[i - 1])) i--;
    return i;
}

static bool digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* "YYYY-MM-DDTHH:MM:SS[.f][Z|±hh:mm]" then a blank at s[i]: its length, or 0. */
static size_t timestamp_len(const char *s, size_t n, size_t i)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t k;

    if (n - i < sizeof(shape)) return 0;
    for (k = 0; k < sizeof(shape) - 1; k++) {
        unsigned char c = (unsigned char)s[i + k];
        if (shape[k] == 'd' ? !digit(c) : c != (unsigned char)shape[k]) return 0;
    }
    if (i + k < n && s[i + k] == '.')
        for (k++; i + k < n && k < 40 && digit((unsigned char)s[i + k]); k++) continue;
    if (i + k < n && s[i + k] == 'Z')
        k++;
    else if (i + k + 6 <= n && (s[i + k] == '+' || s[i + k] == '-') && s[i + k + 3] == ':')
        k += 6;
    return i + k < n && is_blank((unsigned char)s[i + k]) ? k : 0;
}

/* Past the blanks and the timestamp at the start of a line. */
static size_t skip_line_prefix(const char *s, size_t n, size_t i)
{
    size_t t;

    while (i < n && is_blank((unsigned char)s[i])) i++;
    if ((t = timestamp_len(s, n, i)) > 0) i += t;
    while (i < n && is_blank((unsigned char)s[i])) i++;
    return i;
}

/* ---- rule tables ---- */

/* Prefixed tokens: prefix, then at least min (at most max, 0: any) chars of the class. */
#define T(prefix) prefix, sizeof(prefix) - 1

static bool is_b64(unsigned char c);

static const struct token {
    const char *prefix;
    size_t plen;
    size_t min, max;
    bool (*cls)(unsigned char);
    const char *kind;
} tokens[] = {
    {T("ghp_"), 30, 0, is_alnum, "github-token"},
    {T("gho_"), 30, 0, is_alnum, "github-token"},
    {T("ghu_"), 30, 0, is_alnum, "github-token"},
    {T("ghs_"), 30, 0, is_alnum, "github-token"},
    {T("ghr_"), 30, 0, is_alnum, "github-token"},
    {T("github_pat_"), 22, 0, is_b64url, "github-token"},
    {T("glpat-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("gldt-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glrt-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glptt-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glft-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glimt-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glagent-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("gloas-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glcbt-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glsoat-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("glffct-"), 20, 0, is_b64url_dot, "gitlab-token"},
    {T("GR1348941"), 20, 0, is_b64url, "gitlab-token"},
    {T("xoxa-"), 10, 0, is_b64url, "slack-token"},
    {T("xoxb-"), 10, 0, is_b64url, "slack-token"},
    {T("xoxp-"), 10, 0, is_b64url, "slack-token"},
    {T("xoxr-"), 10, 0, is_b64url, "slack-token"},
    {T("xoxs-"), 10, 0, is_b64url, "slack-token"},
    {T("xoxe-"), 10, 0, is_b64url, "slack-token"},
    {T("xapp-"), 10, 0, is_b64url, "slack-token"},
    {T("sk_live_"), 20, 0, is_alnum, "stripe-key"},
    {T("rk_live_"), 20, 0, is_alnum, "stripe-key"},
    {T("sk_test_"), 20, 0, is_alnum, "stripe-key"},
    {T("rk_test_"), 20, 0, is_alnum, "stripe-key"},
    {T("whsec_"), 24, 0, is_alnum, "stripe-key"},
    {T("AIza"), 35, 0, is_b64url, "google-api-key"},
    {T("npm_"), 36, 0, is_alnum, "npm-token"},
    {T("pypi-"), 50, 0, is_b64url, "pypi-token"},
    {T("rubygems_"), 48, 0, is_hex, "rubygems-key"},
    {T("oy2"), 43, 0, is_lower_alnum, "nuget-key"},
    {T("dckr_pat_"), 20, 0, is_b64url, "docker-hub-token"},
    {T("hvs."), 24, 0, is_b64url, "vault-token"},
    {T("hvb."), 24, 0, is_b64url, "vault-token"},
    {T("s."), 24, 24, is_alnum, "vault-token"}, /* before Vault 1.10: "s." and 24 characters */
    {T("ya29."), 20, 0, is_b64url_dot, "google-oauth-token"},
    {T("eyJwYXlsb2FkIjoi"), 100, 0, is_b64, "aws-ecr-token"}, /* get-login-password: {"payload":" */
    {T("SK"), 32, 32, is_hex_lower, "twilio-key"},
    {T("SG."), 60, 0, is_b64url_dot, "sendgrid-key"},
    {T("AGE-SECRET-KEY-1"), 50, 0, is_aws_char, "age-key"},
};
#define NTOKENS (sizeof(tokens) / sizeof(tokens[0]))

static const char *const aws_prefixes[] = {"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA",
                                           "ANPA", "ANVA", "ABIA", "ACCA", NULL};

/* Keys whose value is a secret: the normalised key (lower case, no _ - .) ends with one. */
static const char *const secret_keys[] = {"password",
                                          "passwd",
                                          "pwd",
                                          "passphrase",
                                          "secret",
                                          "token",
                                          "apikey",
                                          "accesskey",
                                          "privatekey",
                                          "credentials",
                                          "credential",
                                          "accountkey",
                                          "secretkey",
                                          "keybase",
                                          "signingkey",
                                          "encryptionkey",
                                          "masterkey",
                                          "sharedkey",
                                          "appkey",
                                          "applicationkey",
                                          "clientkeydata",
                                          "authkey",
                                          "becomepass",
                                          "sshpass",
                                          "pass",
                                          "pw",
                                          "hmackey",
                                          "deploykey",
                                          "subscriptionkey",
                                          NULL};

/* Normalised keys that end like a secret name but are not one ("PASS: TestX" is a test result). */
static const char *const not_secret_keys[] = {"oldpwd", "pass", "pw", NULL};

/* Secret names written as words, then ':' or '=' (value at least PHRASE_VALUE_MIN long). */
static const char *const phrases[] = {"secret key", "api key", "access key", "account key", NULL};

/*
 * Every secret name holds one of these, in any case, as written (the
 * prefilter looks for them): a key is only normalised when it does.
 */
static const char *const name_pieces[] = {"pass",       "pw",   "secret", "token",  "key",
                                          "credential", "auth", "sig",    "cookie", NULL};

/* Values of secret-named keys that are settings, not secrets. */
static const char *const not_secret_values[] = {
    "read",    "write",   "none",     "true",     "false",   "null",     "nil",
    "yes",     "no",      "required", "optional", "ok",      "set",      "unset",
    "missing", "invalid", "valid",    "expired",  "enabled", "disabled", NULL};

/* Tools whose short flags carry a password: -pVALUE (attached) or -p VALUE. */
static const char *const attached_p_tools[] = {"mysql", "mariadb", "sshpass", NULL};
static const char *const spaced_p_tools[] = {"login", "twine", "sshpass", NULL};

/* Other tools' one-letter password flags: -w (OpenLDAP), -P (sqlcmd, bcp, zip), -k (openssl), ...
 */
static const char *const ldap_tools[] = {"ldapsearch", "ldapmodify", "ldapadd",     "ldapdelete",
                                         "ldapwhoami", "ldappasswd", "ldapcompare", "ldapmodrdn",
                                         "ldapexop",   NULL};
static const char *const cap_p_tools[] = {"sqlcmd", "bcp ", "zip ", "zipcloak", NULL};
static const char *const openssl_tools[] = {"openssl", NULL};
static const char *const mongo_tools[] = {"mongo", NULL};
static const char *const smb_tools[] = {"smbclient", "rpcclient", "smbcacls", "smbget", NULL};
static const struct letter_flag {
    char flag;
    const char *const *tools;
    char sep;      /* the password follows this byte of the value (user%password), or 0 */
    bool not_port; /* a value of digits first is a port, not a password */
} letter_flags[] = {
    {'w', ldap_tools, 0, false}, {'P', cap_p_tools, 0, false}, {'k', openssl_tools, 0, false},
    {'p', mongo_tools, 0, true}, {'U', smb_tools, '%', false},
};

static unsigned char trigger[256];
static unsigned char anchor_pair[8192]; /* bit set: the last two bytes of a token prefix */
static unsigned char key_last[256];     /* last bytes of secret keys, either case */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
    static const char chars[] = "-AJLg:=>_";
    for (const char *c = chars; *c; c++) trigger[(unsigned char)*c] = 1;
    for (size_t t = 0; t < NTOKENS; t++) {
        if (tokens[t].prefix[0] == 'A') continue; /* AIza: anchored on its 'A' */
        trigger[(unsigned char)tokens[t].prefix[tokens[t].plen - 1]] = 1;
        unsigned pair = (unsigned)(unsigned char)tokens[t].prefix[tokens[t].plen - 2] << 8 |
                        (unsigned char)tokens[t].prefix[tokens[t].plen - 1];
        anchor_pair[pair >> 3] |= (unsigned char)(1u << (pair & 7));
    }
    for (size_t k = 0; secret_keys[k]; k++) {
        unsigned char c = (unsigned char)secret_keys[k][strlen(secret_keys[k]) - 1];
        key_last[c] = key_last[toupper(c)] = 1;
    }
    key_last['n'] = key_last['N'] = 1; /* authorization */
    key_last['g'] = key_last['G'] = 1; /* sig */
    key_last['h'] = key_last['H'] = 1; /* _auth */
    key_last['e'] = key_last['E'] = 1; /* cookie */
    key_last['4'] = 1;                 /* *_B64 */
}

static bool ends_with(const char *s, size_t a, const char *suffix)
{
    size_t b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
    for (size_t k = 0; list[k]; k++) {
        if (strlen(list[k]) == n && strncasecmp(list[k], s, n) == 0) return true;
    }
    return false;
}

/* Normalised key norm[0..m): does its value hold a secret? */
static bool is_secret_key(const char *norm, size_t m)
{
    if (in_list(not_secret_keys, norm, m) || ends_with(norm, m, "bypass") ||
        ends_with(norm, m, "compass"))
        return false;
    if (ends_with(norm, m, "base64"))
        m -= 6; /* JWT_SECRET_KEY_BASE64: the encoding of a secret */
    else if (ends_with(norm, m, "b64"))
        m -= 3;
    for (size_t k = 0; secret_keys[k]; k++)
        if (ends_with(norm, m, secret_keys[k])) return true;
    return false;
}

static size_t normalise_key(const char *s, size_t a, size_t b, char *norm)
{
    size_t m = 0;
    for (size_t p = a; p < b && m < KEY_MAX; p++) {
        if (s[p] != '_' && s[p] != '-' && s[p] != '.')
            norm[m++] = (char)tolower((unsigned char)s[p]);
    }
    norm[m] = '\0';
    return m;
}

/* ---- matchers: each is called at a trigger byte i and may set *next past its hit ---- */

static bool is_b64(unsigned char c)
{
    return is_alnum(c) || c == '+' || c == '/' || c == '=';
}

/* The value of a base64 digit, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * The lines of a key body from the line starting at a: PuTTY's count of
 * lines (width 0), or base64 lines wrapped at width (each as long, the last
 * no longer). Carried to the next chunk when the text ends first.
 */
static int mask_key_lines(struct scan *sc, size_t a, size_t lines, size_t width, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n;
    int rc = 0;

    while (rc == 0 && (width || lines > 0)) {
        size_t b, e;
        if (a >= n) {
            if (sc->st) {
                sc->st->key_lines = (unsigned)lines;
                sc->st->b64_width = (unsigned)width;
            }
            return 0;
        }
        b = skip_line_prefix(s, n, a);
        e = line_end(s, n, a);
        if (width &&
            (e - b < 8 || e - b > width || (e - b) % 4 || run_of(s, e, b, is_b64) != e - b))
            break; /* base64 lines are whole quanta; a short word after the key is not one */
        if (e > b) rc = add_hit(sc, b, e, "private-key");
        *next = e;
        if (width && e - b < width) break; /* the last line of the wrap */
        if (!width) lines--;
        a = e;
        if (a < n && s[a] == '\r') a++;
        if (a < n && s[a] == '\n') a++;
    }
    if (sc->st) sc->st->key_lines = sc->st->b64_width = 0;
    return rc;
}

/*
 * A private-key block encoded in base64 ("LS0tLS1CRUdJTi" is "-----BEGIN"):
 * the run, and the base64 lines that follow it (base64 wraps at 76), when its
 * start decodes to a "… PRIVATE KEY" marker. A certificate's is left alone.
 */
static int match_b64_key(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, run, a;
    unsigned char dec[64];
    size_t nd = 0;
    unsigned acc = 0;
    int bits = 0;
    int rc;

    if (!starts(s, n, i, "LS0tLS1CRUdJTi") || !left_boundary(s, i)) return 0;
    run = run_of(s, n, i, is_b64);
    for (size_t k = i; k < i + run && nd < sizeof(dec); k++) {
        int d = b64_value((unsigned char)s[k]);
        if (d < 0) break;
        acc = (acc << 6) | (unsigned)d;
        if ((bits += 6) >= 8) dec[nd++] = (unsigned char)(acc >> (bits -= 8));
    }
    if (!memmem(dec, nd, "PRIVATE KEY", 11)) return 0;
    *next = a = i + run;
    rc = add_hit(sc, i, *next, "private-key");
    if (rc < 0 || (a < n && !is_eol((unsigned char)s[a]))) return rc;
    if (a < n && s[a] == '\r') a++;
    if (a < n && s[a] == '\n') a++;
    if (run != 64 && run != 76) return rc;      /* not wrapped by base64 or openssl */
    return mask_key_lines(sc, a, 0, run, next); /* the lines it wraps to */
}

static int match_tokens(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n;

    unsigned pair = i > 0 ? (unsigned)(unsigned char)s[i - 1] << 8 | (unsigned char)s[i] : 0;

    for (size_t t = 0; i > 0 && (anchor_pair[pair >> 3] & (1u << (pair & 7))) && t < NTOKENS; t++) {
        const struct token *tk = &tokens[t];
        size_t pl = tk->plen, body, at;
        if (tk->prefix[pl - 1] != s[i] || i + 1 < pl || tk->prefix[0] == 'A') continue;
        at = i + 1 - pl;
        if (!starts_n(s, n, at, tk->prefix, pl) || !left_boundary(s, at)) continue;
        body = run_of(s, n, at + pl, tk->cls);
        while (at + pl + body + 1 < n && s[at + pl + body] == '\r' &&
               tk->cls((unsigned char)s[at + pl + body + 1])) /* a CR inside the token */
            body += 1 + run_of(s, n, at + pl + body + 1, tk->cls);
        if (body < tk->min || (tk->max && body > tk->max)) continue;
        if (tk->max && at + pl + body < n && is_alnum((unsigned char)s[at + pl + body])) continue;
        *next = at + pl + body;
        return add_hit(sc, at, *next, tk->kind);
    }
    if (s[i] == 'L') return match_b64_key(sc, i, next);
    if (s[i] != 'A' || !left_boundary(s, i)) return 0;
    if (starts(s, n, i, "AGE-SECRET-KEY-1") && run_of(s, n, i + 16, is_aws_char) >= 50) {
        *next = i + 16 + run_of(s, n, i + 16, is_aws_char);
        return add_hit(sc, i, *next, "age-key");
    }
    if (starts(s, n, i, "AIza") && run_of(s, n, i + 4, is_b64url) >= 35) {
        *next = i + 4 + run_of(s, n, i + 4, is_b64url);
        return add_hit(sc, i, *next, "google-api-key");
    }
    if (n - i >= 20) {
        bool pre = starts(s, n, i, "A3T") && is_aws_char((unsigned char)s[i + 3]);
        for (size_t k = 0; !pre && aws_prefixes[k]; k++)
            pre = starts_n(s, n, i, aws_prefixes[k], 4);
        if (pre && run_of(s, n, i + 4, is_aws_char) == 16 &&
            (i + 20 == n || !is_alnum((unsigned char)s[i + 20]))) {
            *next = i + 20;
            return add_hit(sc, i, *next, "aws-access-key");
        }
    }
    return 0;
}

/* Anchored on the 'J' of "eyJ" (the base64 of '{"'). */
static int match_jwt(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, a, b, c;

    if (i < 2) return 0;
    i -= 2;
    if (!left_boundary(s, i) || !starts(s, n, i, "eyJ")) return 0;
    a = run_of(s, n, i, is_b64url);
    if (a < 10 || i + a >= n || s[i + a] != '.') return 0;
    b = run_of(s, n, i + a + 1, is_b64url);
    if (b < 10 || i + a + 1 + b >= n || s[i + a + 1 + b] != '.') return 0;
    c = run_of(s, n, i + a + 2 + b, is_b64url);
    *next = i + a + 2 + b + c;
    return add_hit(sc, i, *next, "jwt");
}

/* "-----" or "---- " (SSH2) just before s[at]: the dashes of a BEGIN/END marker. */
static bool marker_dashes(const char *s, size_t at)
{
    return at >= 5 && (memcmp(s + at - 5, "-----", 5) == 0 || memcmp(s + at - 5, "---- ", 5) == 0);
}

/*
 * Just after the END marker at or after from that closes a block labelled
 * label[0..ll) ("RSA PRIVATE KEY"; ll 0: any "… PRIVATE KEY"), or n if none.
 * An END of another label (a key nested in the block) does not end it.
 */
static size_t private_key_end(const char *s, size_t n, size_t from, const char *label, size_t ll,
                              bool *found)
{
    const char *p = s + from;

    *found = true;
    while ((p = memmem(p, n - (size_t)(p - s), "END ", 4))) {
        size_t at = (size_t)(p - s), le = line_end(s, n, at), e = 0;
        if (marker_dashes(s, at)) {
            if (ll && starts_n(s, le, at + 4, label, ll)) {
                e = at + 4 + ll;
            } else if (!ll) {
                const char *k = memmem(p, le - at, "PRIVATE KEY", 11);
                if (k) e = (size_t)(k - s) + 11;
                if (k && starts(s, le, e, " BLOCK")) e += 6;
            }
        }
        if (e) {
            size_t dashes = 0;
            if (e < le && s[e] == ' ' && starts(s, le, e + 1, "----")) e++; /* SSH2 */
            while (e < le && s[e] == '-' && dashes++ < 5) e++;
            return e;
        }
        p += 4;
    }
    *found = false;
    return n;
}

static bool is_label_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || digit(c) || c == ' ';
}

/* "-----BEGIN <label>-----" (or SSH2's "---- BEGIN <label> ----") where label holds PRIVATE KEY. */
static int match_private_key(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, le, b = i + 11, ll, from;
    const char *k;
    bool found;

    if (!starts(s, n, i, "-----BEGIN ") && !starts(s, n, i, "---- BEGIN ")) return 0;
    le = line_end(s, n, i);
    if (!(k = memmem(s + b, le - b, "PRIVATE KEY", 11))) return 0;
    ll = (size_t)(k - s) + 11 - b;
    if (starts(s, le, b + ll, " BLOCK")) ll += 6;
    from = b + ll;
    if (ll >= sizeof(((struct ea_redact_stream *)NULL)->key_label) ||
        run_of(s, b + ll, b, is_label_char) != ll) {
        ll = 0; /* no label to keep (too long, not A-Z 0-9 blanks): any END ends it */
        from = b;
    }
    *next = private_key_end(s, n, from, s + b, ll, &found);
    if (!found && sc->st) {
        struct ea_redact_stream *st = sc->st;
        st->in_private_key = true;
        memcpy(st->key_label, s + b, ll);
        st->key_label[ll] = '\0';
    }
    return add_hit(sc, i, *next, "private-key");
}

/* The value at v: quoted (to its closing quote, escapes skipped) or a bare word. */
static size_t value_end(const char *s, size_t n, size_t v, bool *quoted)
{
    size_t e;

    *quoted = v < n && (s[v] == '"' || s[v] == '\'');
    if (*quoted) {
        char q = s[v];
        for (e = v + 1; e < n && s[e] != q && !is_eol((unsigned char)s[e]); e++) {
            if (s[e] == '\\' && e + 1 < n && !is_eol((unsigned char)s[e + 1])) e++;
        }
        return e;
    }
    for (e = v; e < n && (!s[e] || !strchr(" \t\r\n\"'&;,)}]<>", s[e])); e++)
        continue; /* a NUL is part of the value, not its end */
    return e;
}

/* Masks the lines continued after the `\` at i (the value of a secret-named key). */
static int mask_continuation(struct scan *sc, size_t a, const char *kind, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n;
    int rc = 0;

    for (;;) {
        size_t e;
        bool more;
        const char *nl;
        a = skip_line_prefix(s, n, a);
        nl = memchr(s + a, '\n', n - a); /* the whole line: CR progress rewrites are in it */
        e = nl ? (size_t)(nl - s) : n;
        if (e > a && s[e - 1] == '\r') e--;
        *next = e;
        while (e > a && is_blank((unsigned char)s[e - 1])) e--;
        more = e > a && s[e - 1] == '\\';
        if (more) e--;
        if ((rc = add_hit(sc, a, e, kind)) < 0 || !more) return rc;
        a = *next;
        if (a < n && s[a] == '\r') a++;
        if (a < n && s[a] == '\n') a++;
        if (a >= n) {
            if (sc->st) sc->st->continuation = true;
            *next = n;
            return 0;
        }
    }
}

/* A value that runs on: `\` and the end of the line. Masks the next line. */
static int continued_value(struct scan *sc, size_t v, const char *kind, size_t *next)
{
    size_t a = v + 1;

    if (a < sc->n && sc->s[a] == '\r') a++;
    if (a < sc->n && sc->s[a] == '\n') a++;
    if (a >= sc->n) {
        if (sc->st) sc->st->continuation = true;
        *next = sc->n;
        return 0;
    }
    return mask_continuation(sc, a, kind, next);
}

static bool is_ordinary_value(const char *s, size_t v, size_t e)
{
    size_t stars = 0;
    while (v + stars < e && s[v + stars] == '*') stars++;
    return v + stars == e || in_list(not_secret_values, s + v, e - v) || starts(s, e, v, MARK);
}

static bool is_ident(unsigned char c)
{
    return is_alnum(c) || c == '_';
}

/* A reference to a value, not a value: $NAME, ${NAME}, ${{ expression }}, $(command), %NAME%. */
static bool is_reference(const char *s, size_t v, size_t e)
{
    if (e - v >= 2 && s[v] == '$') {
        if (s[v + 1] == '{' || s[v + 1] == '(') return true;
        return !digit((unsigned char)s[v + 1]) && run_of(s, e, v + 1, is_ident) == e - v - 1;
    }
    return e - v >= 3 && s[v] == '%' && s[e - 1] == '%' &&
           run_of(s, e, v + 1, is_ident) == e - v - 2;
}

/* How much of the value after a secret-named key is masked. */
enum value_form {
    VALUE_WORD, /* a quoted string or one word */
    VALUE_LINE  /* a quoted string, else the rest of the line (NAME=value, YAML key: value) */
};

/* Masks the value at v (after a secret-named key and its separator). */
static int mask_value_as(struct scan *sc, size_t v, const char *kind, size_t min,
                         enum value_form form, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, e;
    bool quoted;

    while (v < n && is_blank((unsigned char)s[v])) v++;
    if (v < n && s[v] == '\\' && (v + 1 == n || is_eol((unsigned char)s[v + 1])))
        return continued_value(sc, v, kind, next);
    if (v + 1 < n && s[v] == '\\' && (s[v + 1] == '"' || s[v + 1] == '\'')) {
        char q = s[v + 1]; /* an escaped quote: a JSON string inside a JSON string */
        for (e = v + 2; e < n && !is_eol((unsigned char)s[e]); e++) {
            if (s[e] == '\\' && e + 1 < n && s[e + 1] == q) break;
            if (s[e] == '\\' && e + 1 < n) e++;
        }
        v += 2;
    } else {
        e = value_end(s, n, v, &quoted);
        if (quoted) {
            v++;
        } else if (form == VALUE_LINE) {
            e = line_end(s, n, v);
            while (e > v && is_blank((unsigned char)s[e - 1])) e--;
        }
    }
    if (e <= v || e - v < min || is_ordinary_value(s, v, e) || is_reference(s, v, e) ||
        starts(s, n, v, "-----BEGIN ") || starts(s, n, v, "---- BEGIN "))
        return 0; /* a key block is the block rule's: masked whole, BEGIN to END */
    *next = e;
    return add_hit(sc, v, e, kind);
}

static int mask_value(struct scan *sc, size_t v, const char *kind, size_t min, size_t *next)
{
    return mask_value_as(sc, v, kind, min, VALUE_WORD, next);
}

static bool has_piece(const char *s, size_t a, size_t b)
{
    for (size_t k = 0; name_pieces[k]; k++) {
        size_t l = strlen(name_pieces[k]);
        for (size_t p = a; p + l <= b; p++) {
            if ((s[p] | 0x20) == name_pieces[k][0] && strncasecmp(s + p, name_pieces[k], l) == 0)
                return true;
        }
    }
    return false;
}

/* The key that ends at j (exclusive), normalised; false if none. *start: its first byte. */
static bool key_at(const char *s, size_t j, char *norm, size_t *m, size_t *start)
{
    size_t k = j;

    if (j == 0 || !key_last[(unsigned char)s[j - 1]]) return false;
    while (k > 0 && j - k < KEY_MAX && is_key_char((unsigned char)s[k - 1])) k--;
    if (k == j || (k > 0 && is_key_char((unsigned char)s[k - 1])) || !has_piece(s, k, j))
        return false; /* none, or longer than KEY_MAX */
    *m = normalise_key(s, k, j, norm);
    *start = k;
    return *m > 0;
}

/* A phrase of phrases[] ending at j (exclusive), any case. */
static bool phrase_at(const char *s, size_t j)
{
    for (size_t k = 0; phrases[k]; k++) {
        size_t l = strlen(phrases[k]);
        if (j >= l && strncasecmp(s + j - l, phrases[k], l) == 0 &&
            (j == l || !is_alnum((unsigned char)s[j - l - 1])))
            return true;
    }
    return false;
}

/* Where the text of the line starting at ls begins: past a timestamp prefix and its blank. */
static size_t content_start(const char *s, size_t n, size_t ls)
{
    size_t t = timestamp_len(s, n, ls);
    return t ? ls + t + 1 : ls;
}

/* The key at kstart is the first word of its line (after a timestamp, blanks, `export `, `- `). */
static bool key_starts_line(const char *s, size_t n, size_t kstart)
{
    size_t p = skip_line_prefix(s, n, line_start(s, kstart));

    if (starts(s, n, p, "export "))
        p += 7;
    else if (starts(s, n, p, "- "))
        p += 2;
    while (p < n && is_blank((unsigned char)s[p])) p++;
    if (p < n && (s[p] == '"' || s[p] == '\'')) p++;
    return p == kstart;
}

/* Prose after "word: ": a lower-case word followed by more words ("token: expected 3 segments"). */
static bool is_prose(const char *s, size_t n, size_t v)
{
    size_t w;

    while (v < n && is_blank((unsigned char)s[v])) v++;
    w = run_of(s, n, v, is_lower);
    return w >= 2 && v + w + 1 < n && s[v + w] == ' ' && !is_blank((unsigned char)s[v + w + 1]) &&
           !is_eol((unsigned char)s[v + w + 1]);
}

/*
 * The YAML value of a secret-named key on the lines after it, from the line
 * at a: a block scalar (`|`, `>`: every line deeper than the key) or a list
 * (`- item` lines, and plain lines deeper than the key). Ends at the first
 * line that is not; carried to the next chunk when the text ends first.
 */
static int yaml_block(struct scan *sc, size_t a, unsigned col, bool scalar, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n;
    int rc = 0;

    while (rc == 0) {
        size_t cs, le, b, e, ind;
        if (a < n && s[a] == '\r') a++;
        if (a < n && s[a] == '\n') a++;
        if (a >= n) {
            if (sc->st) {
                sc->st->yaml_col = col + 1;
                sc->st->yaml_scalar = scalar;
            }
            *next = n;
            return 0;
        }
        cs = content_start(s, n, a);
        le = line_end(s, n, a);
        ind = run_of(s, le, cs, is_blank);
        b = cs + ind;
        for (e = le; e > b && is_blank((unsigned char)s[e - 1]);) e--;
        if (e > b) {
            bool item = s[b] == '-' && (e == b + 1 || s[b + 1] == ' ');
            const char *colon = memchr(s + b, ':', e - b);
            bool key = colon && ((size_t)(colon - s) + 1 == e || colon[1] == ' ');
            if (scalar ? ind <= col : !(item ? ind >= col : ind > col && !key)) break;
            if (item) b = skip_line_prefix(s, e, b + 1);
            if (item && !scalar && b < e) { /* "- policy: strict": a mapping, its own rules */
                size_t w = b + run_of(s, e, b, is_key_char);
                if (w > b && w < e && s[w] == ':' && (w + 1 == e || s[w + 1] == ' ')) b = e;
            }
            if (b < e) rc = add_hit(sc, b, e, "password-pair");
        }
        a = le;
        *next = le;
    }
    if (sc->st) sc->st->yaml_col = 0;
    return rc;
}

/*
 * Past YAML node properties at w (blanks skipped): anchors ("&pw ") and tags
 * ("!!binary ", "!secret "), each followed by a blank or the end of the line.
 */
static size_t yaml_properties(const char *s, size_t n, size_t w)
{
    while (w < n && (s[w] == '&' || s[w] == '!')) {
        size_t x = w + 1;
        while (x < n && !is_blank((unsigned char)s[x]) && !is_eol((unsigned char)s[x])) x++;
        if (x == w + 1 || (x < n && !is_blank((unsigned char)s[x]) && !is_eol((unsigned char)s[x])))
            break;
        while (x < n && is_blank((unsigned char)s[x])) x++;
        if (x < n && !is_eol((unsigned char)s[x]) && s[x] != '|' && s[x] != '>' && s[x] != '#' &&
            s[x] != '&' && s[x] != '!')
            break; /* "&pw value": the value follows on this line */
        w = x;
    }
    return w;
}

/* The secret-named key at kstart, written "key:" at the start of its line: its column. */
static unsigned key_column(const char *s, size_t n, size_t kstart)
{
    size_t ls = line_start(s, kstart), cs = content_start(s, n, ls);
    return cs <= kstart && kstart - cs < 1024 ? (unsigned)(kstart - cs) : 0;
}

/* A key whose value is a setting when it is a number: pass (Pass: 12), pw. */
static bool numbers_are_settings(const char *norm, size_t m)
{
    return ends_with(norm, m, "pass") || ends_with(norm, m, "pw");
}

/* Azure DevOps "##vso[task.setvariable …;issecret=true]VALUE" (i is the '=' of issecret=). */
static int match_vso_secret(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, le = line_end(s, n, i), e;
    const char *close = memchr(s + i, ']', le - i);
    size_t ls = line_start(s, i);

    if (!close || !memmem(s + ls, i - ls, "##vso[", 6) || (size_t)(close - s) != i + 5 ||
        strncasecmp(s + i + 1, "true", 4) != 0)
        return 0;
    for (e = le; e > (size_t)(close - s) + 1 && is_blank((unsigned char)s[e - 1]);) e--;
    *next = e;
    return add_hit(sc, (size_t)(close - s) + 1, e, "password-pair");
}

/* PuTTY's "Private-Lines: N" and the N lines of the private key after it (i is the ':'). */
static int match_putty(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, a = i + 1, lines = 0;

    while (a < n && is_blank((unsigned char)s[a])) a++;
    while (a < n && digit((unsigned char)s[a]) && lines < 10000)
        lines = lines * 10 + (size_t)(s[a++] - '0');
    a = line_end(s, n, a);
    *next = a;
    if (a < n && s[a] == '\r') a++;
    if (a < n && s[a] == '\n') a++;
    return lines ? mask_key_lines(sc, a, lines, 0, next) : 0;
}

/*
 * Whether s[a, e) (key characters and '/') names a secret: its last path
 * component does (an SSM parameter "/prod/db_password").
 */
static bool secret_name(const char *s, size_t a, size_t e)
{
    char norm[KEY_MAX + 1];

    for (size_t k = a; k < e; k++) {
        if (s[k] == '/')
            a = k + 1;
        else if (!is_key_char((unsigned char)s[k]))
            return false;
    }
    return e > a && e - a <= KEY_MAX && has_piece(s, a, e) &&
           is_secret_key(norm, normalise_key(s, a, e, norm));
}

/* The quoted name after "name": at s[at] (blanks and ':' first) names a secret; to before j. */
static bool quoted_secret_name(const char *s, size_t at, size_t j)
{
    size_t e;

    while (at < j && (is_blank((unsigned char)s[at]) || s[at] == ':')) at++;
    if (at >= j || s[at] != '"') return false;
    for (e = ++at; e < j && (is_key_char((unsigned char)s[e]) || s[e] == '/'); e++) continue;
    return e < j && s[e] == '"' && secret_name(s, at, e);
}

/*
 * "name": "DB_PASSWORD", "value": "…" (a Kubernetes or ECS environment entry,
 * any case; j ends "value"), also with the value first ("value": "…", "name":
 * "DB_PASSWORD"), and Azure's {"keyName": "key1", …, "value": "…"}.
 */
static bool named_secret_value(const char *s, size_t n, size_t j)
{
    size_t ls = line_start(s, j), le = line_end(s, n, j), at = 0;

    for (size_t p = ls; p + 6 <= j; p++) {
        if (s[p] != '"') continue;
        if (strncasecmp(s + p, "\"name\"", 6) == 0) at = p + 6;
        if (p + 9 <= j && strncasecmp(s + p, "\"keyName\"", 9) == 0) return true;
    }
    if (at) return quoted_secret_name(s, at, j);
    for (size_t p = j; p + 6 <= le; p++) {
        if (s[p] == '"' && strncasecmp(s + p, "\"name\"", 6) == 0)
            return quoted_secret_name(s, p + 6, le);
    }
    return false;
}

/* A .pgpass line "host:port:database:user:password" (i is its fourth ':'). */
static int match_pgpass(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, k = i, c[3], nc = 0, e; /* c: the colons before i, nearest first */

    if (i + 1 >= n || is_blank((unsigned char)s[i + 1]) || is_eol((unsigned char)s[i + 1]))
        return 0;
    while (k > 0 && !is_blank((unsigned char)s[k - 1]) && !is_eol((unsigned char)s[k - 1])) {
        if (s[--k] != ':') continue;
        if (nc == 3) return 0;
        c[nc++] = k;
    }
    if (nc != 3 || c[2] == k || c[1] == c[2] + 1 || c[0] == c[1] + 1 || i == c[0] + 1) return 0;
    if (k > 0 && skip_line_prefix(s, n, line_start(s, k)) != k) return 0; /* first word only */
    if (!(c[1] == c[2] + 2 && s[c[2] + 1] == '*') &&
        run_of(s, c[1], c[2] + 1, digit) != c[1] - c[2] - 1)
        return 0; /* the port: digits or * */
    for (e = i + 1; e < n && !is_blank((unsigned char)s[e]) && !is_eol((unsigned char)s[e]); e++)
        if (s[e] == ':') return 0;
    if (e < n && !is_eol((unsigned char)s[e])) return 0;
    *next = e;
    return add_hit(sc, i + 1, e, "password-pair");
}

#define NAMED_LOOKAHEAD 64 /* lines after "name: X" searched for its "value:" */

/*
 * The value of an environment entry whose name is a secret's, on a later line
 * of the same entry: Kubernetes YAML ("- name: DB_PASSWORD" then "  value:
 * v") or pretty-printed JSON ("name" and "value" on lines of their own). From
 * the line at a, the "value" key at column col (a quote before it aside) is
 * masked; the entry ends at a line less indented. Only looks ahead: the
 * lines in between are still scanned by every rule. Carried to the next
 * chunk when the text ends first.
 */
static int named_value(struct scan *sc, size_t a, unsigned col)
{
    const char *s = sc->s;
    size_t n = sc->n, next = 0;
    int rc = 0;

    for (unsigned lines = 0; lines < NAMED_LOOKAHEAD; lines++) {
        size_t cs, le, b, kb;
        if (a < n && s[a] == '\r') a++;
        if (a < n && s[a] == '\n') a++;
        if (a >= n) {
            if (sc->st) sc->st->named_col = col + 1;
            return 0;
        }
        cs = content_start(s, n, a);
        le = line_end(s, n, a);
        b = cs + run_of(s, le, cs, is_blank);
        kb = b < le && (s[b] == '"' || s[b] == '\'') ? b + 1 : b;
        a = le;
        if (b == le) continue;    /* a blank line */
        if (kb - cs < col) break; /* the entry ended */
        if (kb - cs > col || le - kb < 5 || strncasecmp(s + kb, "value", 5) != 0) continue;
        b = kb + 5;
        if (b < le && kb != cs + run_of(s, le, cs, is_blank) && (s[b] == '"' || s[b] == '\''))
            b++; /* the closing quote of "value" */
        while (b < le && is_blank((unsigned char)s[b])) b++;
        if (b >= le || s[b] != ':') continue; /* valueFrom: */
        b++;
        while (b < le && is_blank((unsigned char)s[b])) b++;
        if (b < le && (s[b] == '|' || s[b] == '>'))
            rc = yaml_block(sc, le, col, true, &next);
        else
            rc = mask_value_as(sc, b, "password-pair", 1, VALUE_LINE, &next);
        break;
    }
    if (sc->st) sc->st->named_col = 0;
    return rc;
}

/*
 * "value: v" first on its line with its entry's "name: DB_PASSWORD" on a
 * later line of the entry, at the same column col (the value written first).
 */
static bool name_after_value(const char *s, size_t n, size_t a, unsigned col)
{
    for (unsigned lines = 0; lines < NAMED_LOOKAHEAD; lines++) {
        size_t cs, le, b, kb, w, e;
        bool quoted;
        if (a < n && s[a] == '\r') a++;
        if (a < n && s[a] == '\n') a++;
        if (a >= n) return false;
        cs = content_start(s, n, a);
        le = line_end(s, n, a);
        b = cs + run_of(s, le, cs, is_blank);
        kb = b < le && (s[b] == '"' || s[b] == '\'') ? b + 1 : b;
        a = le;
        if (b == le) continue;
        if (kb - cs != col || s[b] == '-') return false; /* the entry ended */
        if (le - kb < 5 || strncasecmp(s + kb, "name", 4) != 0) continue;
        w = kb + 4;
        if (w < le && (s[w] == '"' || s[w] == '\'')) w++;
        if (w >= le || s[w] != ':') continue;
        for (w++; w < le && is_blank((unsigned char)s[w]);) w++;
        e = value_end(s, le, w, &quoted);
        if (quoted) w++;
        return e > w && secret_name(s, w, e);
    }
    return false;
}

/* "name: X" or "\"name\": \"X\"" first on its line, X a secret's name: masks its later "value". */
static int match_named_entry(struct scan *sc, size_t i, size_t j)
{
    const char *s = sc->s;
    size_t n = sc->n, kstart = j - 4, w = i + 1, e;
    bool quoted;

    if (!key_starts_line(s, n, kstart)) return 0;
    while (w < n && is_blank((unsigned char)s[w])) w++;
    e = value_end(s, n, w, &quoted);
    if (quoted) w++;
    if (e <= w || e - w > 4 * KEY_MAX || !secret_name(s, w, e)) return 0;
    return named_value(sc, line_end(s, n, e), key_column(s, n, kstart));
}

/*
 * An XML element's value attribute after a key or name attribute that names
 * a secret: <add key="ClearTextPassword" value="…"/> (kstart: the 'v').
 */
static bool xml_named_value(const char *s, size_t kstart)
{
    size_t ls = line_start(s, kstart);
    const char *lt = kstart > ls ? memrchr(s + ls, '<', kstart - ls) : NULL;
    char norm[KEY_MAX + 1];

    for (size_t p = lt ? (size_t)(lt - s) + 1 : kstart; p + 6 < kstart; p++) {
        size_t a, e;
        if (is_key_char((unsigned char)s[p - 1])) continue;
        if (strncasecmp(s + p, "key=", 4) == 0)
            a = p + 4;
        else if (strncasecmp(s + p, "name=", 5) == 0)
            a = p + 5;
        else
            continue;
        if (s[a] != '"' && s[a] != '\'') continue;
        for (e = ++a; e < kstart && is_key_char((unsigned char)s[e]); e++) continue;
        if (e < kstart && s[e] == s[a - 1] && e - a <= KEY_MAX && has_piece(s, a, e) &&
            is_secret_key(norm, normalise_key(s, a, e, norm)))
            return true;
    }
    return false;
}

/* key=value, key: value, key => value, "key": "value", key := value (i is the ':' or '='). */
static int match_pair(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, j = i, kstart, m, v = i + 1;
    char norm[KEY_MAX + 1];
    bool quoted_key = false, line_form;

    if (s[i] == ':' && v < n && s[v] == '=') return 0; /* := is matched at its '=' */
    if (s[i] == '=' && v < n && s[v] == '>')
        v++;
    else if (s[i] == '=' && i > 0 && strchr("?+:", s[i - 1]))
        j--; /* Makefile ?=, +=, := */
    else if (s[i] == '=' && i > 0 && strchr("=!<>", s[i - 1]))
        return 0; /* ==, !=, <=, >= */
    if (s[i] == ':' && i >= 13 && memcmp(s + i - 13, "Private-Lines", 13) == 0)
        return match_putty(sc, i, next);
    while (j > 0 && is_blank((unsigned char)s[j - 1])) j--;
    if (j > 0 && (s[j - 1] == '"' || s[j - 1] == '\'')) {
        quoted_key = true;
        j--;
        if (j > 0 && s[j - 1] == '\\') j--; /* \"key\": an escaped JSON string */
    }
    if (quoted_key && j >= 6 && strncasecmp(s + j - 6, "\"value", 6) == 0 &&
        named_secret_value(s, n, j))
        return mask_value(sc, v, "password-pair", 1, next);
    if (s[i] == '=' && j >= 5 && strncasecmp(s + j - 5, "value", 5) == 0 &&
        (j == 5 || !is_key_char((unsigned char)s[j - 6])) && xml_named_value(s, j - 5))
        return mask_value(sc, v, "password-pair", 1, next);
    if (s[i] == ':' && j >= 7 && strncasecmp(s + j - 7, "keyname", 7) == 0 &&
        (j == 7 || !is_key_char((unsigned char)s[j - 8])) && key_starts_line(s, n, j - 7))
        return named_value(sc, line_end(s, n, i), key_column(s, n, j - 7)); /* Azure keys list */
    if (s[i] == ':' && j >= 5 && strncasecmp(s + j - 5, "value", 5) == 0 &&
        (j == 5 || !is_key_char((unsigned char)s[j - 6])) && key_starts_line(s, n, j - 5) &&
        name_after_value(s, n, line_end(s, n, i), key_column(s, n, j - 5)))
        return mask_value_as(sc, v, "password-pair", 1, VALUE_LINE, next);
    if (s[i] == ':' && j >= 4 && strncasecmp(s + j - 4, "name", 4) == 0 &&
        (j == 4 || !is_key_char((unsigned char)s[j - 5])))
        return match_named_entry(sc, i, j);
    if (!key_at(s, j, norm, &m, &kstart))
        return s[i] == ':' && i > 0 && is_key_char((unsigned char)s[i - 1])
                   ? match_pgpass(sc, i, next)
                   : 0;
    if (strcmp(norm, "authorization") == 0 || strcmp(norm, "proxyauthorization") == 0 ||
        strcmp(norm, "cookie") == 0 || strcmp(norm, "setcookie") == 0) {
        size_t e;
        while (v < n && is_blank((unsigned char)s[v])) v++;
        for (e = v; e < n && !is_eol((unsigned char)s[e]) && s[e] != '"' && s[e] != '\''; e++)
            continue;
        if (e <= v || starts(s, n, v, MARK) || is_ordinary_value(s, v, e)) return 0;
        *next = e;
        return add_hit(sc, v, e, norm[0] == 'a' || norm[0] == 'p' ? "authorization" : "cookie");
    }
    if (s[i] == '=' && strcmp(norm, "issecret") == 0) return match_vso_secret(sc, i, next);
    if (j - kstart == 3 && memcmp(s + kstart, "PWD", 3) == 0 && v < n &&
        (s[v] == '/' || s[v] == '~'))
        return 0; /* the shell's working directory */
    line_form = s[i] != '>' && key_starts_line(s, n, kstart) &&
                (s[i] == '=' ? is_ident((unsigned char)s[kstart])
                             : v >= n || !is_alnum((unsigned char)s[v]));
    if (is_secret_key(norm, m) || (j - kstart == 5 && memcmp(s + kstart, "_auth", 5) == 0) ||
        (quoted_key && strcmp(norm, "auth") == 0) ||
        (line_form && j - kstart == 4 && memcmp(s + kstart, "pass", 4) == 0)) {
        size_t w = v;
        while (w < n && is_blank((unsigned char)s[w])) w++;
        if (numbers_are_settings(norm, m) && w < n && digit((unsigned char)s[w]) &&
            (w + run_of(s, n, w, digit) == n ||
             !is_key_char((unsigned char)s[w + run_of(s, n, w, digit)])))
            return 0;                 /* Pass: 12 */
        if (s[i] == ':' && line_form) /* YAML node properties first: an anchor, a tag */
            w = yaml_properties(s, n, w);
        if (s[i] == ':' && line_form && w < n && (s[w] == '|' || s[w] == '>')) {
            size_t x = w + 1;
            while (x < n && (s[x] == '-' || s[x] == '+' || digit((unsigned char)s[x]))) x++;
            while (x < n && is_blank((unsigned char)s[x])) x++;
            if (x >= n || is_eol((unsigned char)s[x]) || s[x] == '#')
                return yaml_block(sc, line_end(s, n, x), key_column(s, n, kstart), true, next);
        }
        if (s[i] == ':' && line_form && (w >= n || is_eol((unsigned char)s[w])))
            return yaml_block(sc, w, key_column(s, n, kstart), false, next);
        if (s[i] == ':' && line_form && s[w] == '#' && w > v && is_blank((unsigned char)s[w - 1])) {
            int rc = mask_value_as(sc, w, "password-pair", 1, VALUE_LINE, next); /* or a value */
            return rc < 0 ? rc
                          : yaml_block(sc, line_end(s, n, w), key_column(s, n, kstart), false,
                                       next); /* a comment: the value on the next lines */
        }
        if (s[i] == ':' && quoted_key && (w >= n || is_eol((unsigned char)s[w])))
            return continued_value(sc, w - 1, "password-pair", next); /* "key":\n  "v" */
        if (s[i] == ':' && !line_form && !quoted_key && is_prose(s, n, v)) return 0;
        return mask_value_as(sc, v, "password-pair", 1, line_form ? VALUE_LINE : VALUE_WORD, next);
    }
    if (s[i] == ':' && line_form && m > 1 && norm[m - 1] == 's' && is_secret_key(norm, m - 1) &&
        (v >= n || is_eol((unsigned char)s[v])))
        return yaml_block(sc, v, key_column(s, n, kstart), false, next); /* passwords: - a - b */
    if (s[i] == ':' && line_form && m > 1 && norm[m - 1] == 's' && is_secret_key(norm, m - 1) &&
        v + 1 < n && s[v] == ' ' && s[v + 1] == '[') {
        size_t a = v + 2, e = line_end(s, n, a); /* passwords: [a, b] */
        const char *close = memchr(s + a, ']', e - a);
        if (close) e = (size_t)(close - s);
        if (e <= a || is_reference(s, a, e)) return 0;
        *next = e;
        return add_hit(sc, a, e, "password-pair");
    }
    if (s[i] == '=' && m == 3 && strcmp(norm, "sig") == 0 &&
        (kstart == 0 || strchr("?&\"' \t\r\n", s[kstart - 1])))
        return mask_value(sc, v, "azure-sas", 1, next);
    if (s[i] == '=' && m == 3 && strcmp(norm, "key") == 0 && kstart > 0 &&
        (s[kstart - 1] == '?' || s[kstart - 1] == '&'))
        return mask_value(sc, v, "password-pair", 1, next); /* ?key=API key */
    if (phrase_at(s, j)) return mask_value(sc, v, "password-pair", PHRASE_VALUE_MIN, next);
    return 0;
}

/* <password>value</password> (i is the '>' of the opening tag). */
static int match_xml(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, kstart, m, le, e;
    char norm[KEY_MAX + 1];
    const char *lt;

    if (!key_at(s, i, norm, &m, &kstart) || kstart == 0 || s[kstart - 1] != '<') return 0;
    if (!is_secret_key(norm, m)) return 0;
    le = line_end(s, n, i + 1);
    lt = memchr(s + i + 1, '<', le - (i + 1));
    e = lt ? (size_t)(lt - s) : le;
    if (e <= i + 1 || is_ordinary_value(s, i + 1, e)) return 0;
    *next = e;
    return add_hit(sc, i + 1, e, "password-pair");
}

static bool line_has(const char *s, size_t a, size_t b, const char *const *words)
{
    for (size_t k = 0; words[k]; k++) {
        if (memmem(s + a, b - a, words[k], strlen(words[k]))) return true;
    }
    return false;
}

/* user:password as a flag's value: masks the password (a value continued with `\`: the next line).
 */
static int mask_userpass(struct scan *sc, size_t v, size_t *next)
{
    bool quoted;
    size_t e = value_end(sc->s, sc->n, v, &quoted);
    const char *colon;

    if (v < sc->n && sc->s[v] == '\\' && (v + 1 == sc->n || is_eol((unsigned char)sc->s[v + 1])))
        return continued_value(sc, v, "basic-auth", next);
    if (quoted) v++;
    colon = e > v ? memchr(sc->s + v, ':', e - v) : NULL;
    if (!colon || (size_t)(colon - sc->s) + 1 >= e) return 0;
    *next = e;
    return add_hit(sc, (size_t)(colon - sc->s) + 1, e, "basic-auth");
}

/*
 * The value at w names a key file or a key manager's key, not a key:
 * cosign.key, ./keys/signing.pem, awskms://…, k8s://ns/secret.
 */
static bool key_file(const char *s, size_t n, size_t w)
{
    static const char *const exts[] = {".key", ".pem", ".pub", ".p12", ".pfx",
                                       ".jks", ".gpg", ".asc", ".der", NULL};
    static const char *const schemes[] = {"awskms://", "gcpkms://", "azurekms://", "hashivault://",
                                          "k8s://",    "pkcs11:",   NULL};
    size_t e = w;

    while (e < n && !is_blank((unsigned char)s[e]) && !is_eol((unsigned char)s[e]) && s[e] != '"' &&
           s[e] != '\'')
        e++;
    for (size_t k = 0; schemes[k]; k++)
        if (starts_n(s, e, w, schemes[k], strlen(schemes[k]))) return true;
    for (size_t k = 0; exts[k]; k++) {
        size_t l = strlen(exts[k]);
        if (e - w > l && strncasecmp(s + e - l, exts[k], l) == 0) return true;
    }
    return false;
}

/* A flag's value after blanks: not empty, not another flag, not a mask. */
static int mask_flag_value(struct scan *sc, size_t v, size_t *next)
{
    while (v < sc->n && is_blank((unsigned char)sc->s[v])) v++;
    if (v >= sc->n || sc->s[v] == '-') return 0;
    return mask_value(sc, v, "cli-password", 1, next);
}

/* The n-th blank-separated word from v (0: the one at v); its start, or 0 when the line ends. */
static size_t nth_word(const char *s, size_t n, size_t v, unsigned k)
{
    while (v < n && is_blank((unsigned char)s[v])) v++;
    for (; k > 0 && v < n && !is_eol((unsigned char)s[v]); k--) {
        while (v < n && !is_blank((unsigned char)s[v]) && !is_eol((unsigned char)s[v])) v++;
        while (v < n && is_blank((unsigned char)s[v])) v++;
    }
    return v < n && !is_eol((unsigned char)s[v]) ? v : 0;
}

/*
 * Single-dash long flags (i is the '-'): -storepass VALUE, -keypass VALUE,
 * -ApiKey VALUE (any secret name); OpenSSL's -pass/-passin/-passout
 * pass:VALUE; htpasswd -b FILE USER PASSWORD.
 */
static int match_dash_flag(struct scan *sc, size_t i, size_t *next)
{
    static const char *const htpasswd[] = {"htpasswd", NULL};
    const char *s = sc->s;
    size_t n = sc->n, j, m, v;
    char norm[KEY_MAX + 1];

    for (j = i + 1; j < n && j - i < KEY_MAX && (is_alnum((unsigned char)s[j]) || s[j] == '_'); j++)
        continue;
    if (j >= n || !is_blank((unsigned char)s[j])) return 0;
    m = normalise_key(s, i + 1, j, norm);
    v = nth_word(s, n, j, 0);
    if (!v) return 0;
    if (strcmp(norm, "pass") == 0 || strcmp(norm, "passin") == 0 || strcmp(norm, "passout") == 0)
        return starts(s, n, v, "pass:") ? mask_value(sc, v + 5, "cli-password", 1, next) : 0;
    if (norm[0] == 'b' && m <= 3 && run_of(s, j, i + 1, is_lower) == j - i - 1 &&
        line_has(s, line_start(s, i), i, htpasswd)) {
        while (v && s[v] == '-') v = nth_word(s, n, v, 1); /* -b [-c] FILE USER PASSWORD */
        if (v) v = nth_word(s, n, v, 2);
        return v ? mask_value(sc, v, "cli-password", 1, next) : 0;
    }
    if (m >= 4 && is_secret_key(norm, m) && has_piece(s, i + 1, j))
        return mask_value(sc, v, "cli-password", 1, next);
    return 0;
}

/*
 * Command-line flags (i is the first '-'): --secret-name VALUE for any tool,
 * and the short flags of the tools that take a password: mysql -pVALUE,
 * docker login -p VALUE, twine -p VALUE, sshpass -p VALUE, curl -u user:pass.
 */
static int match_flag(struct scan *sc, size_t i, size_t *next)
{
    static const char *const curl[] = {"curl", NULL};
    static const char *const secret_set[] = {"secret set ", NULL};
    static const char *const redis[] = {"redis-cli", NULL};
    const char *s = sc->s;
    size_t n = sc->n, ls, j;

    if (i >= 9 && starts(s, n, i, "-SecureString") && memcmp(s + i - 9, "ConvertTo", 9) == 0) {
        j = i + 13; /* PowerShell: ConvertTo-SecureString [-String] "VALUE" -AsPlainText */
        while (j < n && is_blank((unsigned char)s[j])) j++;
        if (starts(s, n, j, "-String ")) j += 8;
        return mask_flag_value(sc, j, next);
    }
    if (i + 2 >= n || (i > 0 && !is_blank((unsigned char)s[i - 1]) &&
                       !is_eol((unsigned char)s[i - 1]) && s[i - 1] != '"' && s[i - 1] != '\''))
        return 0;
    if (is_alnum((unsigned char)s[i + 1])) {
        int rc = match_dash_flag(sc, i, next);
        if (rc < 0 || *next) return rc;
    }
    if (s[i + 1] == '-') {
        char norm[KEY_MAX + 1];
        size_t m;
        for (j = i + 2; j < n && j - i < KEY_MAX &&
                        (is_alnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_');
             j++)
            continue;
        if (j - i < 4 || j >= n || !is_blank((unsigned char)s[j])) return 0;
        m = normalise_key(s, i + 2, j, norm);
        if (is_secret_key(norm, m) && has_piece(s, i + 2, j)) {
            size_t w = nth_word(s, n, j, 0);
            if (w && strcmp(norm, "secret") == 0 &&
                (starts(s, n, w, "id=") || starts(s, n, w, "type=") || starts(s, n, w, "src=")))
                return 0; /* docker build --secret id=npmrc,src=.npmrc: which secret, not it */
            if (w && ends_with(norm, m, "key") && key_file(s, n, w)) return 0; /* cosign.key */
            return mask_flag_value(sc, j, next);
        }
        if (strcmp(norm, "body") == 0 && line_has(s, line_start(s, i), i, secret_set))
            return mask_flag_value(sc, j, next); /* gh secret set NAME --body VALUE */
        if (strcmp(norm, "user") == 0 || strcmp(norm, "proxyuser") == 0) {
            ls = line_start(s, i);
            if (!line_has(s, ls, i, curl)) return 0;
            while (j < n && is_blank((unsigned char)s[j])) j++;
            return mask_userpass(sc, j, next);
        }
        return 0;
    }
    if (s[i + 1] == 'a' && is_blank((unsigned char)s[i + 2]) &&
        line_has(s, line_start(s, i), i, redis))
        return mask_flag_value(sc, i + 2, next); /* redis-cli -a PASSWORD */
    for (size_t k = 0; k < sizeof(letter_flags) / sizeof(letter_flags[0]); k++) {
        const struct letter_flag *lf = &letter_flags[k];
        if (s[i + 1] != lf->flag || !is_blank((unsigned char)s[i + 2]) ||
            !line_has(s, line_start(s, i), i, lf->tools))
            continue;
        j = nth_word(s, n, i + 2, 0);
        if (!j || (lf->not_port && run_of(s, n, j, digit) > 0 &&
                   (j + run_of(s, n, j, digit) >= n ||
                    !is_key_char((unsigned char)s[j + run_of(s, n, j, digit)]))))
            return 0; /* mongo's -p: a port mapping (docker run -p 27017:27017 mongo) */
        if (lf->sep) {
            bool quoted;
            size_t e = value_end(s, n, j, &quoted);
            const char *sep = e > j ? memchr(s + j, lf->sep, e - j) : NULL;
            if (!sep || (size_t)(sep - s) + 1 >= e || (quoted && (size_t)(sep - s) + 1 >= e - 1))
                return 0;
            *next = e;
            return add_hit(sc, (size_t)(sep - s) + 1, e, "cli-password");
        }
        return mask_flag_value(sc, i + 2, next);
    }
    if (s[i + 1] != 'p' && s[i + 1] != 'u') return 0;
    ls = line_start(s, i);
    j = i + 2;
    if (s[i + 1] == 'u') {
        if (!line_has(s, ls, i, curl)) return 0;
        while (j < n && is_blank((unsigned char)s[j])) j++;
        return mask_userpass(sc, j, next);
    }
    if (!is_blank((unsigned char)s[j])) {
        if (is_eol((unsigned char)s[j]) || !line_has(s, ls, i, attached_p_tools)) return 0;
        return mask_value(sc, j, "cli-password", 1, next);
    }
    if (!line_has(s, ls, i, spaced_p_tools)) return 0;
    return mask_flag_value(sc, j, next);
}

/* .netrc: "machine HOST login USER password VALUE" (i is the 'g' of login). */
static int match_netrc(struct scan *sc, size_t i, size_t *next)
{
    static const char *const netrc[] = {"machine ", "default ", NULL};
    const char *s = sc->s;
    size_t n = sc->n, v;

    if (!line_has(s, line_start(s, i), i, netrc)) return 0;
    for (v = nth_word(s, n, i + 1, 0); v; v = nth_word(s, n, v, 1)) {
        if (starts(s, n, v, "password ") || starts(s, n, v, "password\t")) {
            v = nth_word(s, n, v, 1);
            return v ? mask_value(sc, v, "password-pair", 1, next) : 0;
        }
    }
    return 0;
}

/* aws configure set NAME VALUE, yarn/npm/pnpm config set NAME VALUE (i is the 'g' of config). */
static int match_config_set(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, a, j, m;
    char norm[KEY_MAX + 1];

    if (i >= 2 && starts(s, n, i - 2, "login ")) return match_netrc(sc, i, next);
    if (i < 5 || memcmp(s + i - 5, "confi", 5) != 0) return 0;
    if (starts(s, n, i + 1, " set "))
        a = i + 6;
    else if (starts(s, n, i + 1, "ure set "))
        a = i + 9;
    else
        return 0;
    while (a < n && is_blank((unsigned char)s[a])) a++;
    for (j = a; j < n && j - a < KEY_MAX && is_key_char((unsigned char)s[j]); j++) continue;
    if (j >= n || j == a || !is_blank((unsigned char)s[j]) || !has_piece(s, a, j)) return 0;
    m = normalise_key(s, a, j, norm);
    if (!is_secret_key(norm, m)) return 0;
    return mask_flag_value(sc, j, next);
}

/* npm config set :_authToken VALUE, after a registry URL (i is the underscore). */
static int match_npm_config(struct scan *sc, size_t i, size_t *next)
{
    static const char *const config_set[] = {"config set ", NULL};
    const char *s = sc->s;
    size_t n = sc->n, j, m;
    char norm[KEY_MAX + 1];

    if (i == 0 || (s[i - 1] != ':' && s[i - 1] != '/' && !is_blank((unsigned char)s[i - 1])) ||
        (!starts(s, n, i, "_auth") && !starts(s, n, i, "_password")))
        return 0;
    for (j = i; j < n && j - i < KEY_MAX && (is_alnum((unsigned char)s[j]) || s[j] == '_'); j++)
        continue;
    if (j >= n || !is_blank((unsigned char)s[j])) return 0;
    m = normalise_key(s, i, j, norm);
    if (!is_secret_key(norm, m) && strcmp(norm, "auth") != 0) return 0;
    if (!line_has(s, line_start(s, i), i, config_set)) return 0;
    return mask_flag_value(sc, j, next);
}

static int match_url(struct scan *sc, size_t i, size_t *next)
{
    const char *s = sc->s;
    size_t n = sc->n, u = i + 3, e = u, colon = 0, at = 0;

    if (!starts(s, n, i, "://")) return 0;
    if (starts(s, n, u, "discord.com/api/webhooks/") ||
        starts(s, n, u, "discordapp.com/api/webhooks/")) {
        size_t a = u + (s[u + 7] == '.' ? 25 : 28);
        for (e = a; e < n && (is_b64url((unsigned char)s[e]) || s[e] == '/'); e++) continue;
        if (e - a < 8) return 0;
        *next = e;
        return add_hit(sc, a, e, "discord-webhook");
    }
    if (starts(s, n, u, "hooks.slack.com/services/") ||
        starts(s, n, u, "hooks.slack.com/workflows/")) {
        size_t a = u + (s[u + 16] == 's' ? 25 : 26);
        for (e = a; e < n && (is_b64url((unsigned char)s[e]) || s[e] == '/'); e++) continue;
        if (e - a < 8) return 0;
        *next = e;
        return add_hit(sc, a, e, "slack-webhook");
    }
    for (; e < n && !strchr("/?# \t\r\n\"'<>", s[e]); e++) { /* the userinfo ends at the last @ */
        if (s[e] == '@') at = e;
        if (s[e] == ':' && !colon && !at) colon = e;
    }
    if (!at || at == u) return 0;
    *next = at;
    if (colon && colon + 1 < at) return add_hit(sc, colon + 1, at, "url-password");
    if (!colon && at - u >= 16 && run_of(s, at, u, is_b64url_dot) == at - u) {
        size_t digits = 0; /* https://TOKEN@host; a user name alone (few digits) is not one */
        for (size_t k = u; k < at; k++) digits += digit((unsigned char)s[k]);
        if (digits >= 4) return add_hit(sc, u, at, "url-token");
    }
    return 0;
}

static int match_add_mask(struct scan *sc, size_t i, size_t *next)
{
    size_t v, e;

    if (!starts(sc->s, sc->n, i, "::add-mask::")) return 0;
    v = i + 12;
    e = line_end(sc->s, sc->n, v);
    if (e <= v) return 0;
    *next = e;
    return add_hit(sc, v, e, "add-mask");
}

/* Runs the matchers at every trigger byte of s[*pos or a, b); *pos: where the next range starts. */
static int scan_range(struct scan *sc, size_t a, size_t b, size_t *pos)
{
    const char *s = sc->s;
    size_t i = *pos > a ? *pos : a;
    int rc = 0;

    while (i < b && rc == 0) {
        size_t next = 0;
        while (i < b && !trigger[(unsigned char)s[i]]) i++;
        if (i >= b) break;
        switch (s[i]) {
        case '-':
            rc = match_private_key(sc, i, &next);
            if (rc == 0 && !next) rc = match_flag(sc, i, &next);
            if (rc == 0 && !next) rc = match_tokens(sc, i, &next);
            break;
        case 'J': rc = match_jwt(sc, i, &next); break;
        case ':':
            rc = match_add_mask(sc, i, &next);
            if (rc == 0 && !next) rc = match_url(sc, i, &next);
            if (rc == 0 && !next) rc = match_pair(sc, i, &next);
            break;
        case '=': rc = match_pair(sc, i, &next); break;
        case '>': rc = match_xml(sc, i, &next); break;
        case '_':
            rc = match_npm_config(sc, i, &next);
            if (rc == 0 && !next) rc = match_tokens(sc, i, &next);
            break;
        case 'g':
            rc = match_config_set(sc, i, &next);
            if (rc == 0 && !next) rc = match_tokens(sc, i, &next);
            break;
        default: rc = match_tokens(sc, i, &next); break;
        }
        i = next > i ? next : i + 1;
    }
    *pos = i;
    return rc;
}

/* ---- the view ---- */

struct seg {
    size_t v, r;   /* view offset v is original offset r, up to the next segment */
    size_t stride; /* 1, or 2 for UTF-16LE text: each view byte had a NUL after it */
};

struct view {
    const char *s;
    size_t n;
    char *own;
    struct seg *seg;
    size_t nseg, cap;
    bool risky; /* an escape may have eaten a byte of text: match the original too */
};

/*
 * Length of the escape sequence at s[i] (an ESC): CSI, OSC, or a two-byte
 * escape. *risky: a byte it takes could be text (a letter or digit ending a
 * CSI without parameters, or after a lone ESC; an unterminated sequence).
 */
static size_t ansi_len(const char *s, size_t n, size_t i, bool *risky)
{
    size_t j;
    unsigned char c;

    if (i + 1 >= n) return 1;
    c = (unsigned char)s[i] == 0xc2 ? '[' : (unsigned char)s[i + 1]; /* C1 CSI: U+009B */
    if (c == '[') {
        for (j = i + 2; j < n && j - i < 256 && s[j] >= 0x30 && s[j] <= 0x3f; j++) continue;
        for (; j < n && j - i < 264 && s[j] >= 0x20 && s[j] <= 0x2f; j++) continue;
        if (j < n && s[j] >= 0x40 && s[j] <= 0x7e) {
            if (j == i + 2 && is_alnum((unsigned char)s[j])) *risky = true;
            return j + 1 - i;
        }
        *risky = true;
        return 2;
    }
    if (c == ']') { /* its text (a title, a hyperlink's URL) is matched in the original too */
        *risky = true;
        for (j = i + 2; j < n && j - i < 512 && !is_eol((unsigned char)s[j]); j++) {
            if (s[j] == '\a') return j + 1 - i;
            if (s[j] == 0x1b && j + 1 < n && s[j + 1] == '\\') return j + 2 - i;
        }
        *risky = true;
        return 2;
    }
    if (c == '(' || c == ')') {
        *risky = true;
        return i + 2 < n ? 3 : 2;
    }
    if (c >= 0x30 && c <= 0x7e) {
        if (is_alnum(c)) *risky = true;
        return 2;
    }
    return 1;
}

/* Length of the GitLab marker "section_start:TIME:NAME[OPTS]\r" at s[i], or 0. */
static size_t section_len(const char *s, size_t n, size_t i)
{
    size_t j, d;

    if (starts(s, n, i, "section_start:"))
        j = i + 14;
    else if (starts(s, n, i, "section_end:"))
        j = i + 12;
    else
        return 0;
    d = run_of(s, n, j, digit);
    if (d == 0 || j + d >= n || s[j + d] != ':') return 0;
    j += d + 1;
    d = run_of(s, n, j, is_b64url_dot);
    if (d == 0) return 0;
    j += d;
    if (j < n && s[j] == '[') {
        const char *close = memchr(s + j, ']', n - j < 256 ? n - j : 256);
        if (close) j = (size_t)(close - s) + 1;
    }
    if (j < n && s[j] == '\r') j++;
    return j - i;
}

static int view_copy(struct view *v, const char *in, size_t from, size_t to)
{
    struct seg *last = v->nseg ? &v->seg[v->nseg - 1] : NULL;
    size_t had = last ? v->n - last->v : 0; /* view bytes of the last segment */

    if (to <= from) return 0;
    if (last && last->stride == 2 && to - from == 1 && last->r + 2 * had == from) {
        v->own[v->n++] = in[from]; /* UTF-16LE: one more character of the run */
        return 0;
    }
    if (last && last->stride == 1 && had == 1 && to - from == 1 && last->r + 2 == from) {
        last->stride = 2; /* a second byte two after the first: a UTF-16LE run begins */
        v->own[v->n++] = in[from];
        return 0;
    }
    if (!last || last->stride != 1 || last->r + had != from) {
        if (v->nseg == v->cap) {
            size_t ncap = v->cap ? v->cap * 2 : 64;
            struct seg *ns = ea_realloc(v->seg, ncap * sizeof(*ns));
            if (!ns) return ea_fail(EA_ENOMEM, "out of memory while redacting");
            v->seg = ns;
            v->cap = ncap;
        }
        v->seg[v->nseg++] = (struct seg){v->n, from, 1};
    }
    memcpy(v->own + v->n, in + from, to - from);
    v->n += to - from;
    return 0;
}

/*
 * The first byte of in[i, n) that is 0x00, ESC or 0x9b: sixteen bytes at a
 * time where SSE2 is there (every text passes here once).
 */
static const char *next_special(const char *in, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i nul = _mm_setzero_si128(), esc = _mm_set1_epi8(0x1b),
                  csi = _mm_set1_epi8((char)0x9b);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, nul), _mm_cmpeq_epi8(x, esc)), _mm_cmpeq_epi8(x, csi)));
        if (m) return in + i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == 0 || c == 0x1b || c == 0x9b) return in + i;
    }
    return NULL;
}

/*
 * The next decoration at or after i: a NUL byte, an ESC, or the UTF-8 form
 * of the 8-bit CSI (C2 9B) with a whole sequence after it; NULL if none.
 */
static const char *next_escape(const char *in, size_t i, size_t n)
{
    const char *c;

    while ((c = next_special(in, i, n))) {
        size_t j = (size_t)(c - in) + 1, k = j;
        if ((unsigned char)*c != 0x9b) return c;
        while (k < n && k - j < 256 && in[k] >= 0x20 && in[k] <= 0x3f) k++;
        if (c > in && (unsigned char)c[-1] == 0xc2 && k < n && in[k] >= 0x40 && in[k] <= 0x7e)
            return c - 1; /* a whole sequence only: a lone C2 9B is text */
        i = j;
    }
    return NULL;
}

static int view_build(struct view *v, const char *in, size_t n)
{
    const char *esc = next_escape(in, 0, n);
    size_t i = 0;
    int rc = 0;

    *v = (struct view){in, n, NULL, NULL, 0, 0, false};
    if (!esc) return 0;
    v->own = ea_malloc(n);
    if (!v->own) return ea_fail(EA_ENOMEM, "out of memory while redacting");
    v->n = 0;
    while (esc && rc == 0) {
        size_t d = (size_t)(esc - in);
        rc = view_copy(v, in, i, d);
        if (!in[d]) { /* a NUL: UTF-16LE text, binary, or a byte splitting a word */
            i = d + 1;
        } else {
            i = d + ansi_len(in, n, d, &v->risky);
            i += section_len(in, n, i); /* GitLab writes its markers right after an escape */
        }
        esc = i < n ? next_escape(in, i, n) : NULL;
    }
    if (rc == 0) rc = view_copy(v, in, i, n);
    v->s = v->own;
    return rc;
}

static void view_dispose(struct view *v)
{
    ea_free(v->own);
    ea_free(v->seg);
}

/* The original offset of view offset x (x < view length). */
static size_t view_map(const struct view *v, size_t x)
{
    size_t lo = 0, hi = v->nseg;

    if (!v->own) return x;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (v->seg[mid].v <= x)
            lo = mid;
        else
            hi = mid;
    }
    return v->seg[lo].r + (x - v->seg[lo].v) * v->seg[lo].stride;
}

/* ---- the prefilter ---- */

static struct {
    const struct ea_hs *lib; /* NULL when Hyperscan is not installed */
    hs_database_t *db;
} hs;
static pthread_once_t hs_once = PTHREAD_ONCE_INIT;

/*
 * Words every rule needs on its line, beside the token prefixes and the
 * name pieces (HIT_PIECE: a line is only flagged when the piece is in a key
 * before a separator or in a --flag, see piece_in_key).
 */
#define HIT_PIECE 1
static const char *const prefilter_extra[] = {
    "A3T[A-Z0-9]|A(KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|BIA|CCA)",
    "eyJ[A-Za-z0-9_-]{7}",
    "-----BEGIN ",
    "---- BEGIN ",
    "Private-Lines:",
    ":5432:", /* .pgpass lines: PostgreSQL's port or any port (a regex here cost a third) */
    ":\\*:",
    "LS0tLS1CRUdJTi",
    "[Nn][Aa][Mm][Ee][\"']? *: *[\"']?[A-Za-z0-9_./-]*" /* env entries: JSON and YAML */
    "([Pp][Aa][Ss][Ss]|[Pp][Ww]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Kk][Ee][Yy]|"
    "[Cc][Rr][Ee][Dd]|[Aa][Uu][Tt][Hh])",
    "(^|\\n)[ \\t-]*[\"']?[Vv][Aa][Ll][Uu][Ee][\"']? *:", /* an entry's value before its name */
    "::add-mask::",
    "://[^/ \\t\\r\\n\"'<>@]*@",
    "hooks\\.slack\\.com/",
    "discord(app)?\\.com/api/webhooks/",
    "config set ",
    "configure set ",
    "redis-cli",
    "htpasswd",
    "machine ",
    "ConvertTo-SecureString",
    "secret set ",
    "pass:",
    "curl",
    "login",
    "mysql",
    "mariadb",
    "twine",
    "sshpass",
    "ldap",
    "sqlcmd",
    "bcp",
    "zip",
    "openssl",
    "mongo",
    "smb",
    "rpcclient",
    NULL};

static char *literal_pattern(const char *lit, size_t n)
{
    char *p = ea_malloc(n * 4 + 1);

    if (!p) return NULL;
    for (size_t k = 0; k < n; k++) snprintf(p + 4 * k, 5, "\\x%02x", (unsigned char)lit[k]);
    p[4 * n] = '\0';
    return p;
}

/* A token's prefix; a short one with the least body it needs, as "SK[0-9a-f]{32}". */
static char *token_pattern(const struct token *tk)
{
    static const struct {
        bool (*cls)(unsigned char);
        const char *re;
    } classes[] = {{is_alnum, "[A-Za-z0-9]"},    {is_b64url, "[A-Za-z0-9_-]"},
                   {is_hex, "[0-9a-fA-F]"},      {is_hex_lower, "[0-9a-f]"},
                   {is_lower_alnum, "[a-z0-9]"}, {is_b64url_dot, "[A-Za-z0-9_.-]"}};
    char *lit = literal_pattern(tk->prefix, tk->plen), *p = NULL;

    if (tk->plen >= 4) return lit; /* long enough to be rare: compiles faster as a literal */
    for (size_t k = 0; lit && k < sizeof(classes) / sizeof(classes[0]); k++) {
        if (classes[k].cls == tk->cls) p = ea_asprintf("%s%s{%zu}", lit, classes[k].re, tk->min);
    }
    ea_free(lit);
    return p;
}

static void load_hyperscan(void)
{
    enum { MAXP = 96 };
    const char *expr[MAXP];
    char *owned[MAXP];
    unsigned ids[MAXP], flags[MAXP];
    size_t np = 0, nowned = 0, npieces;
    hs_compile_error_t *err = NULL;

    if (!(hs.lib = ea_hs_load())) return;
    for (size_t k = 0; name_pieces[k] && nowned < MAXP; k++)
        owned[nowned++] = literal_pattern(name_pieces[k], strlen(name_pieces[k]));
    npieces = nowned;
    for (size_t t = 0; t < NTOKENS && nowned < MAXP; t++)
        owned[nowned++] = token_pattern(&tokens[t]);
    for (size_t k = 0; k < nowned; k++) {
        if (!owned[k]) goto out;
        expr[np++] = owned[k];
    }
    for (size_t k = 0; prefilter_extra[k] && np < MAXP; k++) expr[np++] = prefilter_extra[k];
    for (size_t k = 0; k < np; k++) {
        ids[k] = k < npieces ? HIT_PIECE : 0;
        flags[k] = k < npieces ? HS_FLAG_CASELESS : 0;
    }
    if (hs.lib->compile_multi(expr, flags, ids, (unsigned)np, HS_MODE_BLOCK, NULL, &hs.db, &err) !=
        HS_SUCCESS) {
        if (err) hs.lib->free_compile_error(err);
        hs.db = NULL;
    }
out:
    for (size_t k = 0; k < nowned; k++) ea_free(owned[k]);
}

struct ranges {
    const char *s;
    size_t n;
    size_t (*r)[2];
    size_t count, cap;
    size_t last_end; /* end of the last range: later hits on that line are ignored */
    int failed;
};

/*
 * A name piece ending at e is in a key the matchers would look at: followed
 * by key characters, a quote, blanks and ':', '=' or '>' (match_pair,
 * match_xml), or inside a --flag followed by a blank (match_flag).
 */
static bool piece_in_key(const char *s, size_t n, size_t e)
{
    size_t j = e, k = e;

    while (j < n && is_key_char((unsigned char)s[j])) j++;
    if (j + 1 < n && s[j] == '\\' && s[j + 1] == '"') j++; /* \"key\": escaped JSON */
    if (j < n && (s[j] == '"' || s[j] == '\'')) j++;
    while (j < n && is_blank((unsigned char)s[j])) j++;
    if (j + 1 < n && (s[j] == '?' || s[j] == '+') && s[j + 1] == '=') return true; /* make */
    if (j < n && (s[j] == ':' || s[j] == '=' || s[j] == '>')) return true;
    if (j + 6 <= n && strncasecmp(s + j, "value=", 6) == 0) return true; /* key="…" value="…" */
    for (j = e; j < n && is_flag_char((unsigned char)s[j]); j++) continue;
    if (j >= n || !is_blank((unsigned char)s[j])) return false;
    while (k > 0 && is_flag_char((unsigned char)s[k - 1])) k--;
    return s[k] == '-'; /* --flag, -flag */
}

static int on_prefilter_hit(unsigned int id, unsigned long long from, unsigned long long to,
                            unsigned int flags, void *ctx)
{
    struct ranges *rg = ctx;
    size_t end = (size_t)to, a, b;
    const char *nl;

    (void)from;
    (void)flags;
    if (rg->count && end <= rg->last_end) return 0;
    if (id == HIT_PIECE && !piece_in_key(rg->s, rg->n, end)) return 0;
    nl = end > 0 && end - 1 > rg->last_end
             ? memrchr(rg->s + rg->last_end, '\n', end - 1 - rg->last_end)
             : NULL;
    a = nl ? (size_t)(nl - rg->s) + 1 : rg->last_end;
    nl = memchr(rg->s + end, '\n', rg->n - end);
    b = nl ? (size_t)(nl - rg->s) : rg->n;
    if (rg->count == rg->cap) {
        size_t ncap = rg->cap ? rg->cap * 2 : 64;
        size_t(*nr)[2] = ea_realloc(rg->r, ncap * sizeof(*nr));
        if (!nr) {
            rg->failed = 1;
            return 1;
        }
        rg->r = nr;
        rg->cap = ncap;
    }
    rg->r[rg->count][0] = a;
    rg->r[rg->count][1] = b;
    rg->count++;
    rg->last_end = b;
    return 0;
}

static hs_scratch_t *scratch_take(const struct ea_redactor *cr)
{
    struct ea_redactor *r = (struct ea_redactor *)cr; /* the pool is the only mutable part */
    hs_scratch_t *sc = NULL;

    if (r) {
        pthread_mutex_lock(&r->lock);
        if (r->npool) sc = r->pool[--r->npool];
        pthread_mutex_unlock(&r->lock);
    }
    if (!sc && hs.lib->alloc_scratch(hs.db, &sc) != HS_SUCCESS) sc = NULL;
    return sc;
}

static void scratch_give(const struct ea_redactor *cr, hs_scratch_t *sc)
{
    struct ea_redactor *r = (struct ea_redactor *)cr;

    if (r) {
        pthread_mutex_lock(&r->lock);
        if (r->npool < SCRATCH_MAX) {
            r->pool[r->npool++] = sc;
            sc = NULL;
        }
        pthread_mutex_unlock(&r->lock);
    }
    if (sc) hs.lib->free_scratch(sc);
}

/*
 * The matchers over the lines the prefilter flags, or over the whole text.
 * Returns 1 when the prefilter could not run (the caller scans everything).
 */
static int scan_prefiltered(const struct ea_redactor *r, struct scan *sc, size_t *pos)
{
    struct ranges rg = {sc->s, sc->n, NULL, 0, 0, 0, 0};
    hs_scratch_t *scratch;
    int rc = 0;

    if (sc->n < PREFILTER_MIN || sc->n > 0xffffffffu) return 1;
    pthread_once(&hs_once, load_hyperscan);
    if (!hs.db || !(scratch = scratch_take(r))) return 1;
    if (hs.lib->scan(hs.db, sc->s, (unsigned)sc->n, 0, scratch, on_prefilter_hit, &rg) !=
            HS_SUCCESS &&
        !rg.failed)
        rc = 1;
    scratch_give(r, scratch);
    if (rg.failed) rc = ea_fail(EA_ENOMEM, "out of memory while redacting");
    for (size_t k = 0; rc == 0 && k < rg.count; k++)
        rc = scan_range(sc, rg.r[k][0], rg.r[k][1], pos);
    ea_free(rg.r);
    return rc;
}

/* ---- putting it together ---- */

static int scan_literals(const struct ea_redactor *r, struct scan *sc)
{
    for (size_t k = 0; r && k < r->nlit; k++) {
        const char *p = sc->s;
        while ((p = memmem(p, sc->n - (size_t)(p - sc->s), r->lit[k].value, r->lit[k].len))) {
            int rc =
                add_hit(sc, (size_t)(p - sc->s), (size_t)(p - sc->s) + r->lit[k].len, "literal");
            if (rc < 0) return rc;
            p += r->lit[k].len;
        }
    }
    return 0;
}

/* State carried in from the previous chunk: a key block or a continued value. */
static int scan_carried(struct scan *sc, size_t *pos)
{
    struct ea_redact_stream *st = sc->st;
    int rc = 0;

    if (!st) return 0;
    if (st->continuation) {
        st->continuation = false;
        if (sc->n) rc = mask_continuation(sc, 0, "password-pair", pos);
    }
    if (rc == 0 && (st->key_lines || st->b64_width)) {
        size_t lines = st->key_lines, width = st->b64_width;
        st->key_lines = st->b64_width = 0;
        rc = mask_key_lines(sc, *pos, lines, width, pos);
    }
    if (rc == 0 && st->yaml_col) {
        unsigned col = st->yaml_col - 1;
        st->yaml_col = 0;
        rc = yaml_block(sc, *pos, col, st->yaml_scalar, pos);
    }
    if (rc == 0 && st->named_col) {
        unsigned col = st->named_col - 1;
        st->named_col = 0;
        rc = named_value(sc, *pos, col); /* looks ahead only: pos stays */
    }
    if (rc == 0 && st->in_private_key) {
        bool found;
        size_t e =
            private_key_end(sc->s, sc->n, *pos, st->key_label, strlen(st->key_label), &found);
        rc = add_hit(sc, *pos, e, "private-key");
        if (found) {
            st->in_private_key = false;
            st->key_label[0] = '\0';
        }
        *pos = e;
    }
    return rc;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/* The length of the mask "[REDACTED:kind]" at s[i], or 0. */
static size_t mask_len_at(const char *s, size_t n, size_t i)
{
    size_t k = 0, at = i + MARK_LEN;

    if (!starts(s, n, i, MARK)) return 0;
    while (at + k < n && k < 40 && (is_lower_alnum((unsigned char)s[at + k]) || s[at + k] == '-'))
        k++;
    return k && at + k < n && s[at + k] == ']' ? MARK_LEN + k + 1 : 0;
}

/*
 * A mask already in the text ("[REDACTED:kind]", kind in [a-z0-9-]) is never
 * masked again, nor part of it. A registered literal is masked wherever it is.
 */
static void spare_masks(struct scan *sc)
{
    for (size_t k = 0; k < sc->hs.n; k++) {
        struct hit *h = &sc->hs.h[k];
        size_t p = h->start > MARK_MAX ? h->start - MARK_MAX : 0;
        if (strcmp(h->kind, "literal") == 0) continue;
        while (p < h->end && h->start < h->end) { /* a mask may end the hit before p */
            const char *m = memmem(sc->s + p, h->end - p, MARK, MARK_LEN);
            size_t ms, me, ml;
            if (!m) break;
            ms = (size_t)(m - sc->s);
            p = ms + 1;
            if (!(ml = mask_len_at(sc->s, sc->n, ms))) continue;
            me = ms + ml;
            if (me <= h->start || (h->start < ms && h->end > me)) continue;
            if (h->start >= ms)
                h->start = me;
            else
                h->end = ms;
            if (h->end < h->start) h->end = h->start;
        }
    }
}

int ea_redact_spans(const struct ea_redactor *r, struct ea_redact_stream *st, const char *in,
                    size_t len, struct ea_redact_span **spans, size_t *nspans)
{
    struct view v;
    struct scan sc;
    struct ea_redact_span *out = NULL;
    size_t pos = 0, nout = 0;
    int rc;

    *spans = NULL;
    *nspans = 0;
    pthread_once(&tables_once, init_tables);
    if ((rc = view_build(&v, in, len)) < 0) {
        view_dispose(&v);
        return rc;
    }
    sc = (struct scan){v.s, v.n, st, {NULL, 0, 0}};
    rc = scan_carried(&sc, &pos);
    if (rc == 0) {
        rc = scan_prefiltered(r, &sc, &pos);
        if (rc == 1) rc = scan_range(&sc, 0, sc.n, &pos);
    }
    if (rc == 0) rc = scan_literals(r, &sc);
    if (rc == 0) spare_masks(&sc);
    for (size_t k = 0; rc == 0 && v.own && k < sc.hs.n; k++) { /* to original offsets */
        struct hit *h = &sc.hs.h[k];
        if (h->end <= h->start) continue;
        h->start = view_map(&v, h->start);
        h->end = view_map(&v, h->end - 1) + 1;
    }
    if (rc == 0 && v.own) { /* decoration never hides what the original text shows */
        struct scan raw = {in, len, NULL, sc.hs};
        size_t rpos = 0;
        rc = scan_literals(r, &raw);
        if (rc == 0 && v.risky) {
            rc = scan_prefiltered(r, &raw, &rpos);
            if (rc == 1) rc = scan_range(&raw, 0, len, &rpos);
        }
        if (rc == 0) spare_masks(&raw);
        sc.hs = raw.hs;
    }
    if (rc == 0 && sc.hs.n > 1) qsort(sc.hs.h, sc.hs.n, sizeof(*sc.hs.h), cmp_hit);
    if (rc == 0 && sc.hs.n && !(out = ea_malloc(sc.hs.n * sizeof(*out))))
        rc = ea_fail(EA_ENOMEM, "out of memory while redacting");
    for (size_t k = 0; rc == 0 && k < sc.hs.n; k++) {
        const struct hit *h = &sc.hs.h[k];
        if (h->end <= h->start) continue;
        if (nout && h->start < out[nout - 1].end) { /* overlaps the previous mask: widen it */
            if (h->end > out[nout - 1].end) out[nout - 1].end = h->end;
            continue;
        }
        out[nout++] = (struct ea_redact_span){h->start, h->end, h->kind};
    }
    ea_free(sc.hs.h);
    view_dispose(&v);
    if (rc < 0 || nout == 0) {
        ea_free(out);
        return rc < 0 ? rc : 0;
    }
    *spans = out;
    *nspans = nout;
    return 0;
}

int ea_redact_plain(const char *in, size_t len, char **own, size_t *plen)
{
    struct view v;
    int rc = view_build(&v, in, len);

    *own = NULL;
    *plen = len;
    if (rc == 0 && v.own) {
        *own = v.own;
        *plen = v.n;
        v.own = NULL;
    }
    view_dispose(&v);
    return rc;
}

int ea_redact_track(struct ea_redact_stream *st, const char *in, size_t len)
{
    struct view v;
    struct scan sc;
    size_t pos = 0;
    int rc;

    pthread_once(&tables_once, init_tables);
    if ((rc = view_build(&v, in, len)) < 0) {
        view_dispose(&v);
        return rc;
    }
    sc = (struct scan){v.s, v.n, st, {NULL, 0, 0}};
    rc = scan_carried(&sc, &pos);
    if (rc == 0) {
        rc = scan_prefiltered(NULL, &sc, &pos);
        if (rc == 1) rc = scan_range(&sc, 0, sc.n, &pos);
    }
    ea_free(sc.hs.h);
    view_dispose(&v);
    return rc < 0 ? rc : 0;
}

/* Appends at most room bytes of s[0..n), never cutting a UTF-8 character. Returns bytes taken. */
static size_t utf8_prefix(const char *s, size_t n, size_t room)
{
    size_t k;

    if (n <= room) return n;
    k = room;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
    return k;
}

static bool is_cut_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'';
}

/*
 * Writes in with its spans masked, at most max bytes; a mask that does not
 * fit is left out whole (and so is everything after it). A word the limit
 * cuts in two is masked as "truncated" (or left out when the mask does not
 * fit): it may be the start of a secret that only a later redactor knows
 * (a registered value), which could no longer match it.
 */
static int emit(struct ea_buf *out, const char *in, size_t len, const struct ea_redact_span *sp,
                size_t nsp, size_t max, unsigned *count)
{
    static const char cut_mark[] = MARK "truncated]";
    size_t pos = 0, used = 0;
    int rc = 0;

    for (size_t k = 0; k <= nsp && rc == 0; k++) {
        size_t stop = k < nsp ? sp[k].start : len, take;
        char mark[64];
        int ml;
        take = utf8_prefix(in + pos, stop - pos, max - used);
        rc = ea_buf_append(out, in + pos, take);
        used += take;
        if (rc == 0 && take < stop - pos && !is_cut_sep(in[pos + take])) {
            size_t w = take, cut_len = sizeof(cut_mark) - 1;
            while (w > 0 && !is_cut_sep(in[pos + w - 1])) w--;
            out->len -= take - w;
            out->data[out->len] = '\0';
            used -= take - w;
            if (max - used >= cut_len) {
                rc = ea_buf_append(out, cut_mark, cut_len);
                used += cut_len;
                if (count) (*count)++;
            }
        }
        if (rc < 0 || take < stop - pos || k == nsp) break;
        ml = snprintf(mark, sizeof(mark), MARK "%s]", sp[k].kind);
        if (ml < 0 || (size_t)ml > max - used) break;
        rc = ea_buf_append(out, mark, (size_t)ml);
        used += (size_t)ml;
        if (count) (*count)++;
        pos = sp[k].end;
    }
    return rc;
}

int ea_redact_text(const struct ea_redactor *r, struct ea_redact_stream *st, struct ea_buf *out,
                   const char *in, size_t len, unsigned *count)
{
    struct ea_redact_span *sp;
    size_t nsp;
    int rc = ea_redact_spans(r, st, in, len, &sp, &nsp);

    if (rc == 0) rc = emit(out, in, len, sp, nsp, SIZE_MAX, count);
    ea_free(sp);
    return rc;
}

/*
 * The spans of in[0..len) found when in is read with ahead[0..ahead_len)
 * after it (a newline between), added to sp[0..*nsp) (owned, reallocated)
 * and merged: what only a rule that looks ahead sees. No stream state moves.
 */
static int spans_ahead(const struct ea_redactor *r, const struct ea_redact_stream *st,
                       const char *in, size_t len, const char *ahead, size_t ahead_len,
                       struct ea_redact_span **sp, size_t *nsp)
{
    struct ea_redact_stream copy = {0};
    struct ea_redact_span *more = NULL, *all = NULL;
    size_t nmore = 0, nall = 0, k = 0, m = 0;
    char *text = ea_malloc(len + 1 + ahead_len);
    int rc;

    if (!text) return ea_fail(EA_ENOMEM, "out of memory while redacting");
    memcpy(text, in, len);
    text[len] = '\n';
    if (ahead_len) memcpy(text + len + 1, ahead, ahead_len);
    if (st) copy = *st;
    rc = ea_redact_spans(r, st ? &copy : NULL, text, len + 1 + ahead_len, &more, &nmore);
    while (nmore && more[nmore - 1].start >= len) nmore--; /* only what falls in in */
    if (rc == 0 && nmore && !(all = ea_malloc((*nsp + nmore) * sizeof(*all))))
        rc = ea_fail(EA_ENOMEM, "out of memory while redacting");
    while (rc == 0 && nmore && (k < *nsp || m < nmore)) { /* both sorted: merge, widen overlaps */
        struct ea_redact_span x =
            m >= nmore || (k < *nsp && (*sp)[k].start <= more[m].start) ? (*sp)[k++] : more[m++];
        if (x.end > len) x.end = len;
        if (nall && x.start <= all[nall - 1].end) {
            if (x.end > all[nall - 1].end) all[nall - 1].end = x.end;
            continue;
        }
        all[nall++] = x;
    }
    if (rc == 0 && all) {
        ea_free(*sp);
        *sp = all;
        *nsp = nall;
        all = NULL;
    }
    ea_free(all);
    ea_free(more);
    ea_free(text);
    return rc;
}

int ea_redact_clip_ahead(const struct ea_redactor *r, struct ea_redact_stream *st,
                         struct ea_buf *out, const char *in, size_t len, const char *ahead,
                         size_t ahead_len, bool cut, size_t max, unsigned *count)
{
    struct ea_redact_span *sp;
    size_t nsp, w = len;
    struct ea_redact_stream before = {0};
    int rc;

    if (st) before = *st;
    rc = ea_redact_spans(r, st, in, len, &sp, &nsp);
    if (rc < 0) return rc;
    if (ahead) rc = spans_ahead(r, st ? &before : NULL, in, len, ahead, ahead_len, &sp, &nsp);
    if (rc < 0) {
        ea_free(sp);
        return rc;
    }
    if (cut) { /* the last word may be the start of a secret: mask it unless already masked */
        while (w > 0 && !strchr(" \t\r\n\"'", in[w - 1])) w--;
        if (w < len && (nsp == 0 || sp[nsp - 1].end < len)) {
            struct ea_redact_span *ns = ea_realloc(sp, (nsp + 1) * sizeof(*ns));
            if (!ns) {
                ea_free(sp);
                return ea_fail(EA_ENOMEM, "out of memory while redacting");
            }
            sp = ns;
            if (nsp && sp[nsp - 1].end > w) w = sp[nsp - 1].end;
            sp[nsp++] = (struct ea_redact_span){w, len, "truncated"};
        }
    }
    rc = emit(out, in, len, sp, nsp, max, count);
    ea_free(sp);
    return rc;
}

int ea_redact_clip(const struct ea_redactor *r, struct ea_redact_stream *st, struct ea_buf *out,
                   const char *in, size_t len, bool cut, size_t max, unsigned *count)
{
    return ea_redact_clip_ahead(r, st, out, in, len, NULL, 0, cut, max, count);
}

const char *ea_redact_show(char *dst, size_t size, const char *s, size_t len)
{
    struct ea_buf b;

    if (size == 0) return dst;
    ea_buf_init(&b, 0);
    if (ea_redact_clip(NULL, NULL, &b, s, len, false, size - 1, NULL) < 0) {
        ea_error_clear();
        snprintf(dst, size, "(not shown)");
    } else {
        if (b.len) memcpy(dst, b.data, b.len);
        dst[b.len] = '\0';
    }
    ea_buf_dispose(&b);
    return dst;
}

json_t *ea_redact_utf8_json(const char *s, size_t n, size_t max_bytes)
{
    struct ea_buf b;
    json_t *j = NULL;

    ea_buf_init(&b, 0);
    if (ea_redact_clip(NULL, NULL, &b, s, n, false, max_bytes, NULL) == 0)
        j = ea_utf8_json(b.data ? b.data : "", b.len, max_bytes);
    else
        ea_error_clear();
    ea_buf_dispose(&b);
    return j;
}

int ea_redactor_new(struct ea_redactor **out)
{
    pthread_once(&tables_once, init_tables);
    *out = ea_calloc(1, sizeof(**out));
    if (!*out) return ea_fail(EA_ENOMEM, "out of memory");
    pthread_mutex_init(&(*out)->lock, NULL);
    return 0;
}

static int add_literal_line(struct ea_redactor *r, const char *value, size_t len)
{
    char *copy;

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

static bool is_space_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/*
 * A value is registered line by line (a log shows a multi-line value one
 * line at a time, and a value with a trailing newline never matched), each
 * line without its surrounding blanks; lines under 4 bytes are skipped.
 */
int ea_redactor_add_literal(struct ea_redactor *r, const char *value, size_t len)
{
    size_t i = 0, added = 0;
    int rc = 0;

    while (i < len && rc == 0) {
        size_t e = i, a, b;
        while (e < len && !is_eol((unsigned char)value[e])) e++;
        for (a = i; a < e && is_space_byte((unsigned char)value[a]); a++) continue;
        for (b = e; b > a && is_space_byte((unsigned char)value[b - 1]); b--) continue;
        if (b - a >= 4) {
            rc = add_literal_line(r, value + a, b - a);
            added++;
        }
        i = e + 1;
    }
    if (rc == 0 && added == 0)
        return ea_fail(EA_EINPUT, "a secret of fewer than 4 bytes cannot be redacted "
                                  "without masking ordinary text");
    return rc;
}

/* The value is read on the decoration-free view: escapes around it are not part of it. */
int ea_redactor_scan_add_mask(struct ea_redactor *r, const char *line, size_t len)
{
    const char *p = len >= 12 ? memmem(line, len, "::add-mask::", 12) : NULL;
    struct view vw;
    size_t v, e;
    int rc;

    if (!p) return 0;
    if ((rc = view_build(&vw, line, len)) < 0) {
        view_dispose(&vw);
        return rc;
    }
    p = vw.n >= 12 ? memmem(vw.s, vw.n, "::add-mask::", 12) : NULL;
    rc = 0;
    if (p) {
        v = (size_t)(p - vw.s) + 12;
        e = line_end(vw.s, vw.n, v);
        while (v < e && is_space_byte((unsigned char)vw.s[v])) v++;
        while (e > v && is_space_byte((unsigned char)vw.s[e - 1])) e--;
        if (p > vw.s && (p[-1] == '"' || p[-1] == '\'') && e > v && vw.s[e - 1] == p[-1])
            e--; /* echo "::add-mask::VALUE": the closing quote is the shell's */
        if (e - v >= 4) {
            rc = ea_redactor_add_literal(r, vw.s + v, e - v);
            if (rc == 0) rc = 1;
        }
    }
    view_dispose(&vw);
    return rc;
}

void ea_redactor_free(struct ea_redactor *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->nlit; k++) ea_free_secret(r->lit[k].value, r->lit[k].len);
    for (size_t k = 0; k < r->npool; k++) hs.lib->free_scratch(r->pool[k]);
    pthread_mutex_destroy(&r->lock);
    ea_free(r);
}

/* Redacts one string; *new_text is NULL when nothing was masked, else owned. */
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

static unsigned count_marks(const char *s, size_t n, json_t *by_kind)
{
    const char *p = s;
    unsigned c = 0;

    while ((p = memmem(p, n - (size_t)(p - s), MARK, MARK_LEN))) {
        size_t at = (size_t)(p - s) + MARK_LEN, k = 0;
        while (at + k < n && k < 40 && (is_alnum((unsigned char)s[at + k]) || s[at + k] == '-'))
            k++;
        p += MARK_LEN;
        if (k == 0 || at + k >= n || s[at + k] != ']') continue;
        c++;
        if (by_kind) {
            char kind[41];
            json_t *old;
            memcpy(kind, s + at, k);
            kind[k] = '\0';
            old = json_object_get(by_kind, kind);
            json_object_set_new(by_kind, kind, json_integer(json_integer_value(old) + 1));
        }
    }
    return c;
}

unsigned ea_redact_count(const json_t *v, json_t *by_kind)
{
    unsigned c = 0;

    if (json_is_string(v)) {
        c = count_marks(json_string_value(v), json_string_length(v), by_kind);
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) c += ea_redact_count(x, by_kind);
    } else if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            c += count_marks(k, strlen(k), by_kind) + ea_redact_count(x, by_kind);
        }
    }
    return c;
}
