/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "redact": each kind of secret is masked in free text, in key/value
 * pairs, in JSON strings and keys; ordinary text that looks a little like a
 * secret is left alone; counts are right; literals, add-mask values and a
 * private key split over stream chunks are masked. Failure messages never
 * print a secret: they say which case failed.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/redact.h"
#include "testkit.h"
#include "util/mem.h"

#define GH "ghp_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5"
#define AWS "AKIAIOSFODNN7EXAMPLE"

static struct ea_redactor *r;

static void setup(void)
{
    ck_assert_int_eq(ea_redactor_new(&r), 0);
}

static void teardown(void)
{
    ea_redactor_free(r);
    r = NULL;
}

static char *redact(const char *in, unsigned *count)
{
    struct ea_buf b;

    ea_buf_init(&b, 0);
    ck_assert_int_eq(ea_redact_text(r, NULL, &b, in, strlen(in), count), 0);
    if (!b.data) ea_buf_append(&b, "", 0);
    return ea_buf_take(&b, NULL);
}

static const struct {
    const char *in;
    const char *secret; /* must be gone */
    const char *kept;   /* must remain */
    const char *kind;
} masked[] = {
    {"push with " GH " now", "CANARYa1b2", "push with ", "github-token"},
    {"token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "11ABCDEFG", "token ",
     "github-token"},
    {"GITLAB=glpat-CANARY0123456789abcdef", "CANARY0123", "GITLAB=", "gitlab-token"},
    {"hook xoxb-123456789012-abcdefCANARY", "abcdefCANARY", "hook ", "slack-token"},
    {"stripe sk_live_CANARY0123456789abcdefghij", "CANARY0123", "stripe ", "stripe-key"},
    {"key=AIzaSyCANARY0123456789abcdefghijklmnopq", "SyCANARY", "key=", "google-api-key"},
    {"id " AWS " used", "IOSFODNN7", " used", "aws-access-key"},
    {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY", "wJalrXUtn",
     "aws_secret_access_key = ", "password-pair"},
    {"{\"SecretAccessKey\": \"wJalrXUtnFEMICANARY\"}", "wJalrXUtn", "SecretAccessKey", NULL},
    {"run DB_PASSWORD=hunter2CANARY ok", "hunter2", " ok", "password-pair"},
    {"password: 'CANARY pass phrase' end", "pass phrase", " end", "password-pair"},
    {"curl https://deploy:CANARYpw@example.com/x", "CANARYpw", "@example.com/x", "url-password"},
    {"git clone https://x-access-token:CANARYtok@github.com/o/r", "CANARYtok", "github.com",
     "url-password"},
    {"Authorization: Bearer CANARYbearer123", "CANARYbearer", "Authorization:", "authorization"},
    {"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ end", "eyJzdWIi", " end",
     "jwt"},
    {"::add-mask::CANARYmasked\nnext", "CANARYmasked", "next", "add-mask"},
    {"a\n-----BEGIN RSA PRIVATE KEY-----\nMIIECANARY\n-----END RSA PRIVATE KEY-----\nb",
     "MIIECANARY", "\nb", "private-key"},
    {"-----BEGIN PRIVATE KEY-----\nMIIECANARY never ends", "MIIECANARY", "", "private-key"},
};

START_TEST(test_each_kind_of_secret_is_masked)
{
    unsigned count = 0;
    char *out = redact(masked[_i].in, &count);
    char kind[64];

    ck_assert_msg(strstr(out, masked[_i].secret) == NULL, "case %d: secret left", _i);
    ck_assert_msg(strstr(out, masked[_i].kept) != NULL, "case %d: context lost", _i);
    ck_assert_msg(count >= 1, "case %d: not counted", _i);
    if (masked[_i].kind) {
        snprintf(kind, sizeof(kind), "[REDACTED:%s]", masked[_i].kind);
        ck_assert_msg(strstr(out, kind) != NULL, "case %d: wrong kind", _i);
    }
    ea_free(out);
}
END_TEST

static const char *const ordinary[] = {
    "commit 1ecfd275763eff1d6b4844ea3168962458c9f27a",
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "tokenizer=fast mode=ci",
    "see https://example.com/a:b and http://host:8080/path",
    "the password field is required",
    "time 12:30:45 level=info",
    "ghp_short",
    "AKIA lowercase akiaiosfodnn7example",
    "password=",
    "",
};

START_TEST(test_ordinary_text_is_left_alone)
{
    unsigned count = 0;
    char *out = redact(ordinary[_i], &count);

    ck_assert_str_eq(out, ordinary[_i]);
    ck_assert_uint_eq(count, 0);
    ea_free(out);
}
END_TEST

START_TEST(test_literals_and_counts)
{
    unsigned count = 0;
    char *out;

    ck_assert_int_eq(ea_redactor_add_literal(r, "abc", 3), EA_EINPUT);
    ck_assert_int_eq(ea_redactor_add_literal(r, "s3cr3t-value", 12), 0);
    out = redact("x s3cr3t-value y s3cr3t-value " GH, &count);
    ck_assert_str_eq(out, "x [REDACTED:literal] y [REDACTED:literal] [REDACTED:github-token]");
    ck_assert_uint_eq(count, 3);
    ea_free(out);
}
END_TEST

START_TEST(test_add_mask_registers_the_value_for_later_lines)
{
    static const char line[] = "::add-mask::later-CANARY-value";
    unsigned count = 0;
    char *out;

    ck_assert_int_eq(ea_redactor_scan_add_mask(r, line, strlen(line)), 1);
    ck_assert_int_eq(ea_redactor_scan_add_mask(r, "plain", 5), 0);
    out = redact("echo later-CANARY-value", &count);
    ck_assert_msg(strstr(out, "CANARY") == NULL, "add-mask value left");
    ea_free(out);
    /* the echoed command: the closing quote is the shell's, not the value's (review 13: 13) */
    ck_assert_int_eq(ea_redactor_scan_add_mask(r, "echo \"::add-mask::GHA1secretvalue\"", 34), 1);
    out = redact("later GHA1secretvalue alone", &count);
    ck_assert_msg(strstr(out, "GHA1secret") == NULL, "quoted add-mask value left");
    ea_free(out);
}
END_TEST

START_TEST(test_a_private_key_split_over_chunks_is_masked_whole)
{
    static const char *chunks[] = {"start\n-----BEGIN EC PRIVATE KEY-----\nAAAA",
                                   "CANARYmiddle\nBBBB\n", "-----END EC PRIVATE KEY-----\nafter\n"};
    struct ea_redact_stream st = {false};
    struct ea_buf b;
    unsigned count = 0;

    ea_buf_init(&b, 0);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(ea_redact_text(r, &st, &b, chunks[k], strlen(chunks[k]), &count), 0);
    ck_assert_msg(strstr(b.data, "CANARY") == NULL && strstr(b.data, "BBBB") == NULL,
                  "key material left");
    ck_assert_ptr_nonnull(strstr(b.data, "after"));
    ck_assert_ptr_nonnull(strstr(b.data, "start"));
    ck_assert(!st.in_private_key);
    ea_buf_dispose(&b);
}
END_TEST

START_TEST(test_json_strings_and_keys_are_redacted_in_place)
{
    json_t *doc = json_pack("{s:s, s:[s, i], s:{s:s}}", "log", "token=" GH, "list", "ok " AWS, 5,
                            "nested", GH, "value");
    unsigned count = 0;
    char *text;

    ck_assert_int_eq(ea_redact_json(r, doc, &count), 0);
    text = json_dumps(doc, 0);
    ck_assert_msg(strstr(text, "CANARY") == NULL && strstr(text, "IOSFODNN") == NULL,
                  "secret left in JSON");
    ck_assert_uint_eq(count, 3);
    ck_assert_ptr_nonnull(strstr(text, "\"value\""));
    free(text);
    json_decref(doc);
}
END_TEST

START_TEST(test_invalid_utf8_and_large_input)
{
    struct ea_buf in, out;
    unsigned count = 0;

    ea_buf_init(&in, 0);
    ea_buf_init(&out, 0);
    for (int i = 0; i < 20000; i++) {
        ck_assert_int_eq(ea_buf_printf(&in, "line %d \xff\xfe ordinary text key=value\n", i), 0);
        if (i % 1000 == 0) ck_assert_int_eq(ea_buf_puts(&in, "secret: " GH "\n"), 0);
    }
    ck_assert_int_eq(ea_redact_text(r, NULL, &out, in.data, in.len, &count), 0);
    ck_assert_uint_eq(count, 20);
    ck_assert_msg(memmem(out.data, out.len, "CANARY", 6) == NULL, "secret left");
    ea_buf_dispose(&in);
    ea_buf_dispose(&out);
}
END_TEST

/* ---- the corpora of tests/fixtures/redact (secrets.txt, ordinary.txt) ---- */

#define CORPUS_MAX 400

struct corpus {
    char *text; /* owned: the file */
    const char *secret[CORPUS_MAX];
    const char *line[CORPUS_MAX];
    size_t n;
};

/* Reads a corpus: "SECRET<TAB>LINE" lines (with_secret) or plain lines; '#' starts a comment. */
static void corpus_load(struct corpus *c, const char *name, bool with_secret)
{
    char path[512];
    char *p, *nl;

    snprintf(path, sizeof(path), "%s/tests/fixtures/redact/%s", EA_SOURCE_DIR, name);
    c->text = ea_test_slurp(path, NULL);
    c->n = 0;
    ck_assert_ptr_nonnull(c->text);
    for (p = c->text; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        if (*p == '#') continue;
        ck_assert_uint_lt(c->n, CORPUS_MAX);
        if (with_secret) {
            char *tab = strchr(p, '\t');
            ck_assert_ptr_nonnull(tab);
            *tab = '\0';
            c->secret[c->n] = p;
            c->line[c->n] = tab + 1;
        } else {
            c->line[c->n] = p;
        }
        c->n++;
    }
}

enum { FORM_BARE, FORM_GITHUB, FORM_ANSI, FORM_GITLAB, FORMS };

/*
 * A line in one of the forms CI systems print it: bare, with GitHub's
 * timestamp, coloured with ANSI escapes (one just before the secret, as a
 * highlighted value), inside a GitLab section.
 */
static void decorate(struct ea_buf *b, const char *line, const char *secret, int form)
{
    const char *at = secret ? strstr(line, secret) : NULL;
    size_t before = at ? (size_t)(at - line) : 0;

    switch (form) {
    case FORM_BARE: ck_assert_int_eq(ea_buf_puts(b, line), 0); break;
    case FORM_GITHUB:
        ck_assert_int_eq(ea_buf_printf(b, "2026-11-20T10:03:12.1234567Z %s", line), 0);
        break;
    case FORM_ANSI:
        ck_assert_int_eq(ea_buf_printf(b, "\x1b[32m%.*s\x1b[0;m\x1b[1m%s\x1b[0m", (int)before, line,
                                       line + before),
                         0);
        break;
    default:
        ck_assert_int_eq(ea_buf_printf(b,
                                       "\x1b[0Ksection_start:1700000000:deploy[collapsed=true]"
                                       "\r\x1b[0K\x1b[36;1m%s\x1b[0;m\n\x1b[0Ksection_end:"
                                       "1700000000:deploy\r\x1b[0K",
                                       line),
                         0);
        break;
    }
}

START_TEST(test_the_secret_corpus_is_masked_in_every_form)
{
    struct corpus c;
    unsigned forms_checked = 0;

    corpus_load(&c, "secrets.txt", true);
    ck_assert_uint_ge(c.n, 100);
    for (size_t i = 0; i < c.n; i++) {
        for (int form = 0; form < FORMS; form++) {
            struct ea_buf in, out;
            unsigned count = 0;
            ea_buf_init(&in, 0);
            ea_buf_init(&out, 0);
            decorate(&in, c.line[i], c.secret[i], form);
            ck_assert_int_eq(ea_redact_text(r, NULL, &out, in.data, in.len, &count), 0);
            ck_assert_msg(out.data && !memmem(out.data, out.len, c.secret[i], strlen(c.secret[i])),
                          "secrets.txt entry %zu, form %d: the secret is left", i + 1, form);
            ck_assert_msg(count >= 1, "secrets.txt entry %zu, form %d: not counted", i + 1, form);
            ea_buf_dispose(&in);
            ea_buf_dispose(&out);
            forms_checked++;
        }
    }
    ck_assert_uint_eq(forms_checked, c.n * FORMS);
    ea_free(c.text);
}
END_TEST

/* Redacted whole (one long text: the Hyperscan prefilter) and line by line: the same result. */
START_TEST(test_the_prefilter_finds_what_the_line_scan_finds)
{
    struct corpus c;
    struct ea_buf all, out, lines;
    unsigned n_all = 0, n_lines = 0;

    corpus_load(&c, "secrets.txt", true);
    ea_buf_init(&all, 0);
    ea_buf_init(&out, 0);
    ea_buf_init(&lines, 0);
    for (size_t i = 0; i < c.n; i++) {
        for (int form = 0; form < FORMS; form++) {
            size_t at = all.len;
            decorate(&all, c.line[i], c.secret[i], form);
            ck_assert_int_eq(ea_buf_puts(&all, "\n"), 0);
            for (int k = 0; k < 3; k++)
                ck_assert_int_eq(ea_buf_puts(&all, "ordinary build output line\n"), 0);
            ck_assert_int_eq(ea_redact_text(r, NULL, &lines, all.data + at, all.len - at, &n_lines),
                             0);
        }
    }
    ck_assert_uint_gt(all.len, 16384); /* long enough for the prefilter */
    ck_assert_int_eq(ea_redact_text(r, NULL, &out, all.data, all.len, &n_all), 0);
    ck_assert_uint_eq(n_all, n_lines);
    ck_assert_msg(out.len == lines.len && memcmp(out.data, lines.data, out.len) == 0,
                  "prefiltered and line-by-line redaction differ");
    ea_buf_dispose(&all);
    ea_buf_dispose(&out);
    ea_buf_dispose(&lines);
    ea_free(c.text);
}
END_TEST

START_TEST(test_the_ordinary_corpus_is_left_whole)
{
    struct corpus c;
    struct ea_buf all, out;
    unsigned count = 0;

    corpus_load(&c, "ordinary.txt", false);
    ck_assert_uint_ge(c.n, 50);
    ea_buf_init(&all, 0);
    for (size_t i = 0; i < c.n; i++) {
        for (int form = 0; form < FORMS; form++) {
            struct ea_buf in;
            ea_buf_init(&in, 0);
            ea_buf_init(&out, 0);
            decorate(&in, c.line[i], NULL, form);
            ck_assert_int_eq(ea_redact_text(r, NULL, &out, in.data, in.len, &count), 0);
            ck_assert_msg(count == 0 && out.len == in.len && memcmp(out.data, in.data, in.len) == 0,
                          "ordinary.txt entry %zu, form %d was masked: %s", i + 1, form, out.data);
            ck_assert_int_eq(ea_buf_append(&all, in.data, in.len), 0);
            ck_assert_int_eq(ea_buf_puts(&all, "\n"), 0);
            ea_buf_dispose(&in);
            ea_buf_dispose(&out);
        }
    }
    ea_buf_init(&out, 0);
    ck_assert_int_eq(ea_redact_text(r, NULL, &out, all.data, all.len, &count), 0);
    ck_assert_uint_eq(count, 0);
    ea_buf_dispose(&all);
    ea_buf_dispose(&out);
    ea_free(c.text);
}
END_TEST

/* A private-key block in each CI form, fed in chunks cut inside it: masked BEGIN to END. */
START_TEST(test_decorated_key_blocks_are_masked_whole_across_chunks)
{
    static const char *const body[] = {
        "-----BEGIN OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQCANARY1",
        "QyNTUxOQAAACDtyKCANARY2x3u0lFiIZtyW6QfWoXr2OnY8Ld", "-----END OPENSSH PRIVATE KEY-----"};
    for (int form = 0; form < FORMS; form++) {
        for (size_t cut_line = 0; cut_line < 4; cut_line++) {
            struct ea_redact_stream st = {0};
            struct ea_buf in, out;
            unsigned count = 0;
            size_t cut = 0;
            ea_buf_init(&in, 0);
            ea_buf_init(&out, 0);
            ck_assert_int_eq(ea_buf_puts(&in, "before\n"), 0);
            for (size_t k = 0; k < 4; k++) {
                if (k == cut_line) cut = in.len;
                decorate(&in, body[k], NULL, form);
                ck_assert_int_eq(ea_buf_puts(&in, "\n"), 0);
            }
            ck_assert_int_eq(ea_buf_puts(&in, "after\n"), 0);
            if (cut == 0) cut = 7;
            ck_assert_int_eq(ea_redact_text(r, &st, &out, in.data, cut, &count), 0);
            ck_assert_int_eq(ea_redact_text(r, &st, &out, in.data + cut, in.len - cut, &count), 0);
            ck_assert_msg(!memmem(out.data, out.len, "CANARY", 6) &&
                              !memmem(out.data, out.len, "END OPENSSH", 11) &&
                              !memmem(out.data, out.len, "BEGIN OPENSSH", 13),
                          "form %d, cut before line %zu: key material left", form, cut_line);
            ck_assert_msg(memmem(out.data, out.len, "before\n", 7) &&
                              memmem(out.data, out.len, "\nafter\n", 7),
                          "form %d: text around the key lost", form);
            ck_assert(!st.in_private_key);
            ea_buf_dispose(&in);
            ea_buf_dispose(&out);
        }
    }
}
END_TEST

START_TEST(test_pgp_and_json_escaped_keys_and_unterminated_blocks)
{
    unsigned count = 0;
    char *out = redact("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGCANARYpgp\n=abcd\n"
                       "-----END PGP PRIVATE KEY BLOCK-----\nvisible",
                       &count);
    ck_assert_msg(!strstr(out, "CANARY") && !strstr(out, "=abcd") && strstr(out, "\nvisible"),
                  "PGP block");
    ck_assert_uint_eq(count, 1);
    ea_free(out);
    out = redact("{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIECANARYjson\\n-----END "
                 "PRIVATE KEY-----\\n\", \"client_email\": \"ci@p.iam.gserviceaccount.com\"}",
                 &count);
    ck_assert_msg(!strstr(out, "CANARY") && strstr(out, "client_email"), "service-account JSON");
    ea_free(out);
    out = redact("2026-11-20T10:03:12.1Z -----BEGIN EC PRIVATE KEY-----\n"
                 "2026-11-20T10:03:12.2Z MHcCAQEEICANARY\n2026-11-20T10:03:12.3Z no end",
                 &count);
    ck_assert_msg(!strstr(out, "CANARY") && !strstr(out, "no end"), "unterminated block");
    ea_free(out);
}
END_TEST

START_TEST(test_a_value_continued_on_the_next_line_is_masked)
{
    struct ea_redact_stream st = {0};
    struct ea_buf b;
    unsigned count = 0;
    char *out = redact("export DB_PASSWORD=\\\n    CANARYcontinued\nnext line", &count);

    ck_assert_msg(!strstr(out, "CANARY") && strstr(out, "next line"), "continuation");
    ea_free(out);
    ea_buf_init(&b, 0); /* the same, the value in the next chunk */
    ck_assert_int_eq(ea_redact_text(r, &st, &b, "API_TOKEN=\\\n", 12, &count), 0);
    ck_assert(st.continuation);
    ck_assert_int_eq(
        ea_redact_text(r, &st, &b, "2026-11-20T10:03:12Z   CANARYnext\nok\n", 37, &count), 0);
    ck_assert_msg(!memmem(b.data, b.len, "CANARY", 6) && memmem(b.data, b.len, "\nok\n", 4),
                  "continuation over chunks");
    ck_assert_msg(memmem(b.data, b.len, "2026-11-20T10:03:12Z ", 21) != NULL,
                  "the continued line's timestamp is evidence, not the value");
    ea_buf_dispose(&b);
}
END_TEST

/* A lone CR ends a line, as a terminal shows it: what follows is not part of a value. */
START_TEST(test_a_progress_rewrite_ends_a_value)
{
    unsigned count = 0;
    char *out = redact("downloading 50%\rAuthorization: Bearer CANARYcr123\r100% done\n", &count);

    ck_assert_msg(!strstr(out, "CANARY"), "header value left");
    ck_assert_ptr_nonnull(strstr(out, "\r100% done\n"));
    ck_assert_ptr_nonnull(strstr(out, "downloading 50%\r"));
    ea_free(out);
    out = redact("::add-mask::CANARYcr-masked\r100% done\n", &count);
    ck_assert_msg(!strstr(out, "CANARY"), "add-mask value left");
    ck_assert_ptr_nonnull(strstr(out, "\r100% done\n"));
    ea_free(out);
}
END_TEST

START_TEST(test_clip_redacts_before_it_cuts)
{
    static const char line[] = "prefix text ghp_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5 suffix";
    struct ea_buf b;
    unsigned count = 0;

    for (size_t max = 0; max < sizeof(line) + 10; max++) {
        ea_buf_init(&b, 0);
        ck_assert_int_eq(ea_redact_clip(r, NULL, &b, line, strlen(line), false, max, &count), 0);
        ck_assert_uint_le(b.len, max);
        ck_assert_msg(!b.data || !memmem(b.data, b.len, "CANARY", 6), "max %zu: secret left", max);
        ck_assert_msg(!b.data || !memmem(b.data, b.len, "ghp_", 4), "max %zu: prefix left", max);
        ea_buf_dispose(&b);
    }
    /* a text that is the start of a longer one: its last word may be a secret's start */
    for (size_t len = 12; len < sizeof(line) - 1; len++) {
        ea_buf_init(&b, 0);
        ck_assert_int_eq(ea_redact_clip(r, NULL, &b, line, len, true, 1000, &count), 0);
        ck_assert_msg(!memmem(b.data, b.len, "CANARY", 6) && !memmem(b.data, b.len, "a1b2", 4),
                      "cut at %zu: part of the secret left", len);
        ea_buf_dispose(&b);
    }
}
END_TEST

START_TEST(test_a_mask_is_never_masked_again)
{
    unsigned count = 0;
    char *once = redact("dsn https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/2 "
                        "password=[REDACTED:literal] https://u:[REDACTED:url-password]@h/",
                        &count);
    char *twice = redact(once, &count);

    ck_assert_str_eq(once, twice);
    ck_assert_ptr_null(strstr(twice, "[REDACTED:[REDACTED"));
    ck_assert_ptr_nonnull(strstr(twice, "https://[REDACTED:url-token]@o1.ingest.sentry.io/2"));
    ea_free(once);
    ea_free(twice);
}
END_TEST

START_TEST(test_mask_counts_by_kind)
{
    json_t *doc = json_pack("{s:s, s:[s]}", "a", "x [REDACTED:github-token] [REDACTED:jwt]", "b",
                            "[REDACTED:github-token] [REDACTED:] [REDACTED:bad kind]");
    json_t *by = json_object();

    ck_assert_uint_eq(ea_redact_count(doc, by), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(by, "github-token")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(by, "jwt")), 1);
    ck_assert_uint_eq(json_object_size(by), 2);
    json_decref(by);
    json_decref(doc);
}
END_TEST

START_TEST(test_show_redacts_then_cuts)
{
    char small[20];
    static const char text[] = "bad pattern ghp_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5";

    ea_redact_show(small, sizeof(small), text, strlen(text));
    ck_assert_ptr_null(strstr(small, "CANARY"));
    ck_assert_ptr_null(strstr(small, "ghp_"));
    ck_assert_str_eq(small, "bad pattern ");
}
END_TEST

/* Feeds each of lines[] as its own text through one stream (as the pipeline collector does). */
static char *redact_lines(const char *const *lines, size_t n, unsigned *count)
{
    struct ea_redact_stream st = {0};
    struct ea_buf b;

    ea_buf_init(&b, 0);
    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(ea_redact_text(r, &st, &b, lines[k], strlen(lines[k]), count), 0);
        ck_assert_int_eq(ea_buf_puts(&b, "\n"), 0);
    }
    return ea_buf_take(&b, NULL);
}

/* A key inside another ends only at the END of its own label (review finding 1). */
START_TEST(test_a_nested_key_block_ends_at_the_end_of_its_own_label)
{
    static const char *const lines[] = {"-----BEGIN RSA PRIVATE KEY-----",
                                        "FAKErsaBody0",
                                        "-----BEGIN EC PRIVATE KEY-----",
                                        "FAKEecBody0",
                                        "-----END EC PRIVATE KEY-----",
                                        "FAKErsaBody1",
                                        "FAKErsaBody2",
                                        "-----END RSA PRIVATE KEY-----",
                                        "after the key"};
    struct ea_buf in;
    unsigned count = 0;
    char *out;

    ea_buf_init(&in, 0);
    for (size_t k = 0; k < 9; k++) ck_assert_int_eq(ea_buf_printf(&in, "%s\n", lines[k]), 0);
    out = redact(in.data, &count);
    ck_assert_msg(!strstr(out, "FAKE") && !strstr(out, "END RSA"), "one text: key material left");
    ck_assert_ptr_nonnull(strstr(out, "\nafter the key"));
    ck_assert_uint_eq(count, 1);
    ea_free(out);
    out = redact_lines(lines, 9, &count); /* line by line: the label is carried */
    ck_assert_msg(!strstr(out, "FAKE") && !strstr(out, "END RSA"), "by line: key material left");
    ck_assert_ptr_nonnull(strstr(out, "\nafter the key"));
    ea_free(out);
    ea_buf_dispose(&in);
}
END_TEST

/* SSH2 and PuTTY private keys, base64 of a PEM key (review finding 14). */
START_TEST(test_ssh2_putty_and_base64_keys_are_masked)
{
    unsigned count = 0;
    char *out = redact("a\n---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key\"\n"
                       "P2/56wAAAi4AAAA3FAKEssh2\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\nb",
                       &count);

    ck_assert_msg(!strstr(out, "FAKE") && !strstr(out, "END SSH2"), "SSH2 key left");
    ck_assert_msg(strncmp(out, "a\n", 2) == 0 && strstr(out, "\nb"), "SSH2: context lost");
    ea_free(out);
    out = redact("PuTTY-User-Key-File-3: ssh-rsa\nPrivate-Lines: 2\nAAAAIFAKEputty0\n"
                 "AAAAIFAKEputty1\nPrivate-MAC: 0123abcd\n",
                 &count);
    ck_assert_msg(!strstr(out, "FAKE"), "PuTTY key left");
    ck_assert_ptr_nonnull(strstr(out, "Private-MAC: 0123abcd"));
    ea_free(out);
    { /* line by line, as the pipeline collector redacts its kept lines */
        static const char *const putty[] = {"Private-Lines: 2", "AAAAIFAKEputty0",
                                            "AAAAIFAKEputty1", "Private-MAC: 0123abcd"};
        static const char *const b64[] = {
            "LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0KRkFLRWZha2VGQUtF",
            "RkFLRWZha2VGQUtFRkFLRWZha2VGQUtFRkFLRWZha2VGQUtFRkFLRWZha2VGQUtF",
            "RkFLRWZha2VGQUtFRkFLRWZha2VG", "next"};
        out = redact_lines(putty, 4, &count);
        ck_assert_msg(!strstr(out, "FAKE") && strstr(out, "Private-MAC: 0123abcd"),
                      "PuTTY key line by line");
        ea_free(out);
        out = redact_lines(b64, 4, &count);
        ck_assert_msg(!strstr(out, "RkFLRWZha2VG") && strstr(out, "\nnext\n"),
                      "wrapped base64 key line by line");
        ea_free(out);
    }
    out = redact("LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0KRkFLRWZha2VGQUtF\n"
                 "RkFLRWZha2VGQUtFRkFLRWZha2VGQUtF\nnext",
                 &count);
    ck_assert_msg(!strstr(out, "LS0tLS1") && !strstr(out, "RkFLRWZha2VGQUtF"),
                  "wrapped base64 key left");
    ck_assert_ptr_nonnull(strstr(out, "\nnext"));
    ea_free(out);
}
END_TEST

/* A secret-named key before a flattened key block: the block rule masks it whole, once (9, D). */
START_TEST(test_a_flattened_key_after_a_secret_name_is_masked_whole_once)
{
    unsigned count = 0;
    char *out = redact("private_key: -----BEGIN RSA PRIVATE KEY----- FAKEflatBody98 "
                       "-----END RSA PRIVATE KEY----- done",
                       &count);

    ck_assert_msg(!strstr(out, "FAKE"), "flattened key left");
    ck_assert_str_eq(out, "private_key: [REDACTED:private-key] done");
    ck_assert_uint_eq(count, 1);
    ea_free(out);
}
END_TEST

/* NAME=value and YAML key: value at the start of a line: the value is the rest of it (4). */
START_TEST(test_env_and_yaml_values_run_to_the_end_of_the_line)
{
    static const struct {
        const char *in, *secret, *kept;
    } cases[] = {
        {"DB_PASSWORD=Xq7&FAKEkL9;mN2,pQ)zz\nnext", "FAKEkL9", "\nnext"},
        {"SMTP_PASSPHRASE=FAKEcorrect horse FAKEbattery staple", "FAKEbattery", "SMTP_PASSPHRASE="},
        {"  password: FAKEone two FAKEthree  \nnext", "FAKEthree", "\nnext"},
        {"2026-11-20T10:03:12.1234567Z export API_TOKEN=FAKEa b&FAKEc", "FAKEc",
         "export API_TOKEN="},
        {"  pass: FAKEpassColon0123", "FAKEpass", "  pass: "},
        {"  - password: FAKEitem one", "FAKEitem", "  - password: "},
        {"password: 'FAKEquoted one' # note", "FAKEquoted", "# note"},
        {"localhost:5432:*:postgres:FAKEpgpass0123\nnext", "FAKEpgpass", "\nnext"}, /* 13 */
        {"secrets: [FAKEflowPw0123]\nnext", "FAKEflow", "\nnext"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        unsigned count = 0;
        char *out = redact(cases[k].in, &count);
        ck_assert_msg(!strstr(out, cases[k].secret) && !strstr(out, "FAKE"), "case %zu: left", k);
        ck_assert_msg(strstr(out, cases[k].kept) != NULL, "case %zu: context lost", k);
        ck_assert_uint_eq(count, 1);
        ea_free(out);
    }
}
END_TEST

/* YAML block scalars and lists under a secret-named key, in one text and line by line (7, 13). */
START_TEST(test_yaml_block_values_of_secret_keys_are_masked)
{
    static const char *const lines[] = {"db:",
                                        "  password: |",
                                        "    FAKEblockScalar0123",
                                        "",
                                        "    FAKEblock2",
                                        "  token: >-",
                                        "    FAKEfolded0123",
                                        "  user: ci",
                                        "passwords:",
                                        "  - FAKElistPw0123",
                                        "  - FAKElistPw4567",
                                        "next: visible",
                                        "credentials:",
                                        "  username: bob",
                                        "after"};
    size_t nl = sizeof(lines) / sizeof(lines[0]);
    struct ea_buf in;
    unsigned count = 0;
    char *out;

    ea_buf_init(&in, 0);
    for (size_t k = 0; k < nl; k++)
        ck_assert_int_eq(ea_buf_printf(&in, "2026-11-20T10:03:12.1Z %s\n", lines[k]), 0);
    for (int pass = 0; pass < 2; pass++) {
        out = pass == 0 ? redact(in.data, &count) : redact_lines(lines, nl, &count);
        ck_assert_msg(!strstr(out, "FAKE"), "pass %d: block value left", pass);
        ck_assert_msg(strstr(out, "  user: ci") && strstr(out, "next: visible") &&
                          strstr(out, "  username: bob") && strstr(out, "after"),
                      "pass %d: lines after the block lost", pass);
        ck_assert_msg(strstr(out, "  password: |") && strstr(out, "  token: >-"),
                      "pass %d: the key lines", pass);
        ea_free(out);
    }
    ea_buf_dispose(&in);
}
END_TEST

/* A continued value after carriage-return progress rewrites on both lines (review finding 16). */
START_TEST(test_a_continued_value_after_progress_rewrites_is_masked)
{
    unsigned count = 0;
    char *out = redact("10%\r50%\rexport DB_PASSWORD=\\\n10%\r50%\r  FAKEcontinued0123456789\r\n"
                       "next line\n",
                       &count);

    ck_assert_msg(!strstr(out, "FAKE"), "continued value left");
    ck_assert_ptr_nonnull(strstr(out, "\nnext line\n"));
    ea_free(out);
}
END_TEST

/* A NUL inside a value, an escape with many parameters inside a token (review finding 18). */
START_TEST(test_nul_and_long_escapes_inside_a_value)
{
    static const char nul[] = "run password=FAKEnulA\0FAKEnulB1234 next";
    struct ea_buf in, out;
    unsigned count = 0;

    ea_buf_init(&out, 0);
    ck_assert_int_eq(ea_redact_text(r, NULL, &out, nul, sizeof(nul) - 1, &count), 0);
    ck_assert_msg(!memmem(out.data, out.len, "FAKE", 4), "value after the NUL left");
    ck_assert_ptr_nonnull(memmem(out.data, out.len, " next", 5));
    ea_buf_dispose(&out);
    ea_buf_init(&in, 0);
    ea_buf_init(&out, 0);
    ck_assert_int_eq(ea_buf_puts(&in, "token ghp_FAKEa1b2c3d4e5f6\x1b["), 0);
    for (int k = 0; k < 60; k++) ck_assert_int_eq(ea_buf_puts(&in, "1;"), 0);
    ck_assert_int_eq(ea_buf_puts(&in, "0mg7h8i9j0k1l2m3n4o5p6 end"), 0);
    ck_assert_int_eq(ea_redact_text(r, NULL, &out, in.data, in.len, &count), 0);
    ck_assert_msg(!memmem(out.data, out.len, "FAKE", 4) && !memmem(out.data, out.len, "g7h8", 4),
                  "token split by a long escape left");
    ea_buf_dispose(&in);
    ea_buf_dispose(&out);
}
END_TEST

/* An 8-bit CSI (U+009B) or a bare CR inside a token; GitLab's routable token suffix (18). */
START_TEST(test_c1_escapes_and_carriage_returns_inside_tokens)
{
    static const struct {
        const char *in, *left;
    } cases[] = {
        {"ghp_FAKEq1w2\xc2\x9b"
         "1me3r4t5y6u7i8o9p0a1s2d3f4g5h6 end",
         "e3r4"},
        {"run password=FAKEc1\xc2\x9b"
         "0mRest012345 end",
         "Rest01"},
        {"ghp_FAKEq1w2e3r4t5y6\ru7i8o9p0a1s2d3f4g5h6 end", "u7i8"},
        {"glpat-FAKEabcdefghijklmnopqrst.01.1a2b3c4d5 end", "1a2b3c"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        unsigned count = 0;
        char *out = redact(cases[k].in, &count);
        ck_assert_msg(!strstr(out, "FAKE") && !strstr(out, cases[k].left), "case %zu: left", k);
        ck_assert_msg(strstr(out, " end") != NULL, "case %zu: context lost", k);
        ea_free(out);
    }
}
END_TEST

/* A mask kept when the cut falls inside a line of a YAML block or a key across chunks. */
START_TEST(test_yaml_block_state_crosses_chunks)
{
    struct ea_redact_stream st = {0};
    struct ea_buf b;
    unsigned count = 0;

    ea_buf_init(&b, 0);
    ck_assert_int_eq(ea_redact_text(r, &st, &b, "key: |\n  password: |\n", 21, &count), 0);
    ck_assert_uint_ne(st.yaml_col, 0);
    ck_assert_int_eq(ea_redact_text(r, &st, &b, "    FAKEchunk0123\n  user: x\n", 29, &count), 0);
    ck_assert_uint_eq(st.yaml_col, 0);
    ck_assert_msg(!memmem(b.data, b.len, "FAKE", 4), "value in the next chunk left");
    ck_assert_ptr_nonnull(memmem(b.data, b.len, "  user: x\n", 10));
    ea_buf_dispose(&b);
}
END_TEST

/*
 * A word cut by a length limit is masked (or left out): it may be the start of
 * a value only a later redactor knows (a registered literal), which could no
 * longer match the fragment (review of issue 13, finding 3).
 */
START_TEST(test_a_word_cut_by_the_limit_is_masked)
{
    static const char value[] = "FAKElitValue0123456789abc";
    char text[400];

    for (size_t pad = 175; pad < 200; pad++) { /* the value runs over byte 200 */
        json_t *j;
        memset(text, 'x', pad);
        text[pad] = ' ';
        memcpy(text + pad + 1, value, sizeof(value));
        j = ea_redact_utf8_json(text, strlen(text), 200);
        ck_assert_ptr_nonnull(j);
        ck_assert_uint_le(json_string_length(j), 200);
        ck_assert_msg(!strstr(json_string_value(j), "FAKE"), "pad %zu: %s", pad,
                      json_string_value(j));
        if (pad + 1 + 20 <= 200) /* room for the mark */
            ck_assert_ptr_nonnull(strstr(json_string_value(j), " [REDACTED:truncated]"));
        json_decref(j);
    }
    /* a text that fits, or a cut between words, is left as it is */
    {
        json_t *j = ea_redact_utf8_json("short words only", 16, 200);
        ck_assert_str_eq(json_string_value(j), "short words only");
        json_decref(j);
        j = ea_redact_utf8_json("short words only", 16, 12);
        ck_assert_str_eq(json_string_value(j), "short words ");
        json_decref(j);
    }
}
END_TEST

/* ea_redact_track follows key blocks on the decoration-free view, as ea_redact_spans does. */
START_TEST(test_track_follows_key_blocks_like_the_redactor)
{
    struct ea_redact_stream st = {0};
    static const char *const begins[] = {
        "-----BEGIN RSA PRIVATE KEY-----",
        "x -----BEGIN RSA \x1b[01;31m\x1b[KPRIVATE KEY\x1b[m\x1b[K-----",
        "\x1b[1m-----BEGIN\x1b[0m EC PRIVATE KEY-----",
        "2026-11-20T10:03:12.1Z -----BEGIN PRIVATE KEY-----"};

    for (size_t k = 0; k < sizeof(begins) / sizeof(begins[0]); k++) {
        ck_assert_int_eq(ea_redact_track(&st, begins[k], strlen(begins[k])), 0);
        ck_assert_msg(st.in_private_key, "form %zu: BEGIN not seen", k);
        ck_assert_int_eq(ea_redact_track(&st, "MIIEFAKEbody", 12), 0);
        ck_assert(st.in_private_key);
        static const char *const ends[] = {"-----END RSA \x1b[1mPRIVATE KEY-----",
                                           "-----END RSA PRIVATE KEY-----",
                                           "\x1b[0;m-----END EC PRIVATE KEY-----\x1b[0;m",
                                           "2026-11-20T10:03:12.1Z -----END PRIVATE KEY-----"};
        ck_assert_int_eq(ea_redact_track(&st, "-----END EC PRIVATE KEY-----", 28), 0);
        ck_assert_msg(k == 2 || st.in_private_key, "form %zu: ended by another label", k);
        ck_assert_int_eq(ea_redact_track(&st, ends[k], strlen(ends[k])), 0);
        ck_assert(!st.in_private_key);
    }
    ck_assert_int_eq(ea_redact_track(&st, "-----BEGIN PUBLIC KEY-----", 26), 0);
    ck_assert(!st.in_private_key);
}
END_TEST

/* Registered values: trimmed, one literal per line (review of issue 13, finding 6). */
START_TEST(test_a_multi_line_or_padded_literal_is_masked_line_by_line)
{
    struct ea_redactor *lr = NULL;
    struct ea_buf b;
    unsigned count = 0;
    static const char text[] = "val FAKEoldGhTok0123456789abcdef x\n"
                               "one FAKEmultiLineOne0123 two FAKEmultiLineTwo4567\n"
                               "pad FAKEpadded0123 end\n";

    ck_assert_int_eq(ea_redactor_new(&lr), 0);
    ck_assert_int_eq(ea_redactor_add_literal(lr, "FAKEoldGhTok0123456789abcdef\n", 29), 0);
    ck_assert_int_eq(
        ea_redactor_add_literal(lr, "FAKEmultiLineOne0123\r\nFAKEmultiLineTwo4567", 42), 0);
    ck_assert_int_eq(ea_redactor_add_literal(lr, "  FAKEpadded0123\t", 17), 0);
    ck_assert_int_eq(ea_redactor_add_literal(lr, " ab\ncd \n", 8), EA_EINPUT);
    ea_error_clear();
    ea_buf_init(&b, 0);
    ck_assert_int_eq(ea_redact_text(lr, NULL, &b, text, sizeof(text) - 1, &count), 0);
    ck_assert_msg(!strstr(b.data, "FAKE"), "literal left: %s", b.data);
    ck_assert_ptr_nonnull(strstr(b.data, "pad [REDACTED:literal] end"));
    ea_buf_dispose(&b);
    ea_redactor_free(lr);
}
END_TEST

/* An ::add-mask:: value is read without the escapes around it (finding 17). */
START_TEST(test_add_mask_ignores_decoration)
{
    struct ea_redactor *lr = NULL;
    struct ea_buf b;
    unsigned count = 0;
    static const char line[] = "\x1b[1;32m::add-mask::FAKEmaskedLit99\x1b[0m";
    static const char later[] = "echo FAKEmaskedLit99 done";

    ck_assert_int_eq(ea_redactor_new(&lr), 0);
    ck_assert_int_eq(ea_redactor_scan_add_mask(lr, line, sizeof(line) - 1), 1);
    ea_buf_init(&b, 0);
    ck_assert_int_eq(ea_redact_text(lr, NULL, &b, later, sizeof(later) - 1, &count), 0);
    ck_assert_str_eq(b.data, "echo [REDACTED:literal] done");
    ea_buf_dispose(&b);
    ea_redactor_free(lr);
}
END_TEST

/* Text as UTF-16LE (PowerShell's `> file`): each ASCII character followed by a NUL. */
static void utf16le(struct ea_buf *b, const char *ascii)
{
    for (const char *c = ascii; *c; c++) {
        ck_assert_int_eq(ea_buf_append(b, c, 1), 0);
        ck_assert_int_eq(ea_buf_append(b, "", 1), 0);
    }
}

/* The redacted text without its NUL bytes (UTF-16LE read as ASCII). */
static bool holds_without_nuls(const struct ea_buf *b, const char *needle)
{
    char *flat = ea_malloc(b->len + 1);
    size_t m = 0;
    bool found;

    ck_assert_ptr_nonnull(flat);
    for (size_t k = 0; k < b->len; k++)
        if (b->data[k]) flat[m++] = b->data[k];
    flat[m] = '\0';
    found = strstr(flat, needle) != NULL;
    ea_free(flat);
    return found;
}

/* A secret written as UTF-16LE, with its byte-order mark, in a stream and split over chunks. */
START_TEST(test_utf16le_text_is_redacted)
{
    static const char *const lines[] = {
        "$env:DB_PASSWORD = 'FAKEutf16pw0123'\r\n",
        "git push https://x:FAKEutf16url99@github.com/o/r\r\n",
        "token " GH "\r\n",
        "-----BEGIN RSA PRIVATE KEY-----\r\nMIIEFAKEutf16body\r\n-----END RSA PRIVATE KEY-----\r\n",
    };
    for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
        for (size_t split = 0; split < 2; split++) {
            struct ea_buf in, out;
            struct ea_redact_stream st = {0};
            unsigned count = 0;
            size_t cut;
            ea_buf_init(&in, 0);
            ea_buf_init(&out, 0);
            ck_assert_int_eq(ea_buf_append(&in, "\xff\xfe", 2), 0);
            utf16le(&in, "line before\r\n");
            utf16le(&in, lines[k]);
            utf16le(&in, "line after\r\n");
            /* split after the first line of the secret's (after BEGIN for the key) */
            cut = 2 + 2 * (strlen("line before\r\n") + (size_t)(strchr(lines[k], '\n') - lines[k]) + 1);
            if (!split) cut = in.len;
            ck_assert_int_eq(ea_redact_text(r, &st, &out, in.data, cut, &count), 0);
            ck_assert_int_eq(ea_redact_text(r, &st, &out, in.data + cut, in.len - cut, &count), 0);
            ck_assert_msg(!holds_without_nuls(&out, "FAKE") && !holds_without_nuls(&out, "CANARY"),
                          "line %zu, split %zu: a UTF-16LE secret is left", k, split);
            ck_assert_msg(holds_without_nuls(&out, "line after"), "line %zu: text lost", k);
            ck_assert_uint_ge(count, 1);
            ea_buf_dispose(&in);
            ea_buf_dispose(&out);
        }
    }
}
END_TEST

/* A NUL byte inside a secret-named key does not hide the key. */
START_TEST(test_a_nul_inside_a_key_name_is_not_a_boundary)
{
    static const char *const cases[] = {"run pass\0word=FAKEnulKey0123 next",
                                        "run DB_PASS\0WORD=FAKEnulKey0123 next",
                                        "--pass\0word FAKEnulKey0123 next",
                                        "echo gh\0p_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5 next"};
    static const size_t lens[] = {33, 36, 31, 51};

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct ea_buf out;
        unsigned count = 0;
        ea_buf_init(&out, 0);
        ck_assert_int_eq(ea_redact_text(r, NULL, &out, cases[k], lens[k], &count), 0);
        ck_assert_msg(!memmem(out.data, out.len, "FAKE", 4) && !memmem(out.data, out.len, "a1b2", 4),
                      "case %zu: the value is left", k);
        ck_assert_msg(memmem(out.data, out.len, " next", 5), "case %zu: context lost", k);
        ea_buf_dispose(&out);
    }
}
END_TEST

/*
 * The name of an environment entry on one line, its value on a later one
 * (Kubernetes YAML, pretty-printed ECS/Kubernetes JSON), decorated, in one
 * text and split into two at every line.
 */
START_TEST(test_a_named_entry_value_on_a_later_line_is_masked)
{
    static const char *const docs[] = {
        "env:\n  - name: DB_PASSWORD\n    value: FAKEnamed0123\n  - name: USER\n    value: bob\n",
        "env:\n- name: API_TOKEN\n  valueFrom: null\n  value: \"FAKEnamed 0123\"\n- name: X\n"
        "  value: kept\n",
        "[\n  {\n    \"name\": \"DB_PASSWORD\",\n    \"value\": \"FAKEnamed0123\"\n  },\n"
        "  {\n    \"name\": \"USER\",\n    \"value\": \"bob\"\n  }\n]\n",
        "- name: secret_key\n\n  value: |\n    FAKEnamedBlock\n    FAKEnamedBlock2\n- name: Y\n"
        "  value: kept\n",
    };
    static const char *const kept[] = {"value: bob", "value: kept", "\"value\": \"bob\"",
                                       "value: kept"};

    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        for (int form = 0; form < 3; form++) {
            struct ea_buf in;
            ea_buf_init(&in, 0);
            for (const char *p = docs[d]; *p;) {
                const char *nl = strchr(p, '\n');
                if (form == 1) ck_assert_int_eq(ea_buf_puts(&in, "2026-11-20T10:03:12.1234567Z "), 0);
                if (form == 2) ck_assert_int_eq(ea_buf_puts(&in, "\x1b[32m"), 0);
                ck_assert_int_eq(ea_buf_append(&in, p, (size_t)(nl + 1 - p)), 0);
                p = nl + 1;
            }
            for (size_t cut = 0; cut <= in.len; cut++) {
                struct ea_redact_stream st = {0};
                if (cut > 0 && cut < in.len && in.data[cut - 1] != '\n') continue; /* lines */
                struct ea_buf out;
                unsigned count = 0;
                ea_buf_init(&out, 0);
                ck_assert_int_eq(ea_redact_text(r, &st, &out, in.data, cut, &count), 0);
                ck_assert_int_eq(ea_redact_text(r, &st, &out, in.data + cut, in.len - cut, &count),
                                 0);
                ck_assert_msg(!memmem(out.data, out.len, "FAKE", 4),
                              "doc %zu, form %d, cut %zu: the value is left", d, form, cut);
                ck_assert_msg(memmem(out.data, out.len, kept[d], strlen(kept[d])),
                              "doc %zu, form %d, cut %zu: another entry's value masked", d, form, cut);
                ea_buf_dispose(&out);
            }
            ea_buf_dispose(&in);
        }
    }
}
END_TEST

/* ea_redact_track moves every multi-line state, as ea_redact_spans does, line by line. */
START_TEST(test_track_follows_every_multi_line_state)
{
    static const struct {
        const char *opener, *inside, *after;
    } cases[] = {
        {"db_password: |", "  FAKEblock", "next: x"},
        {"PuTTY-User-Key-File-3: ssh-rsa\nPrivate-Lines: 2", "AAAAFAKE", "Private-MAC: x"},
        {"export DB_PASSWORD=\\", "FAKEcontinued", "echo done"},
        {"- name: DB_PASSWORD", "  value: FAKEnamed", "- name: X"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct ea_redact_stream st = {0};
        const char *p = cases[k].opener;
        while (p) { /* the opener, one line at a time */
            const char *nl = strchr(p, '\n');
            ck_assert_int_eq(ea_redact_track(&st, p, nl ? (size_t)(nl - p) : strlen(p)), 0);
            p = nl ? nl + 1 : NULL;
        }
        ck_assert_msg(st.continuation || st.yaml_col || st.key_lines || st.named_col,
                      "case %zu: the opener left no state", k);
        {
            struct ea_redact_stream copy = st;
            struct ea_buf out;
            unsigned count = 0;
            ea_buf_init(&out, 0);
            ck_assert_int_eq(ea_redact_text(r, &copy, &out, cases[k].inside,
                                            strlen(cases[k].inside), &count), 0);
            ck_assert_msg(!strstr(out.data, "FAKE"), "case %zu: the state does not mask", k);
            ea_buf_dispose(&out);
        }
    }
}
END_TEST

/*
 * Shapes of review 13: a YAML value after an anchor, a tag or a comment; a
 * password flag continued with `\`; the text of an OSC sequence (a title, a
 * hyperlink). Masked in one text and line by line over a stream.
 */
START_TEST(test_review_13_multi_line_and_hidden_shapes)
{
    static const struct {
        const char *text, *secret;
    } cases[] = {
        {"db:\n  password: &pw |\n    ANCHORSECRETvalue123\n", "ANCHORSECRET"},
        {"db:\n  password: !!binary |\n    aHVudGVyMlRBR1NFQ1JFVA==\n", "aHVudGVyMlRBR1NF"},
        {"db:\n  password: # the db pw\n    COMMENTSECRET123\n", "COMMENTSECRET"},
        {"db:\n  password: &pw\n    ANCHOREOLsecret1\n", "ANCHOREOLsecret"},
        {"db:\n  password: &pw ANCHORLINEsecret1\n", "ANCHORLINEsecret"},
        {"docker login -u ci -p \\\n  DOCKERCONTsecret1\n", "DOCKERCONTsecret"},
        {"redis-cli -h db -a \\\n  REDISCONTsecret1\n", "REDISCONTsecret"},
        {"curl -u \\\n  user:CURLCONTsecret1 https://x\n", "CURLCONTsecret"},
        {"curl --user \\\n  user:CURLCONTsecret3 https://x\n", "CURLCONTsecret3"},
        {"\x1b]8;;https://deploy:OSCSECRETpw1@example.com/\x1b\\click\x1b]8;;\x1b\\\n",
         "OSCSECRETpw1"},
        {"\x1b]0;deploy --password OSCTITLEpw2\x07"
         "done\n",
         "OSCTITLEpw2"},
        {"  - Name: DB_PASSWORD\n    Value: CFNSECRET12345\n", "CFNSECRET"},
        {"{\"DB_PASSWORD\":\n  \"JSONNEXTsecret1\"}\n", "JSONNEXTsecret1"},
        {"{\n  \"Name\": \"/prod/db_password\",\n  \"Type\": \"SecureString\",\n"
         "  \"Value\": \"SSMSECRETvalue99\"\n}\n",
         "SSMSECRETvalue99"},
        {"[\n  {\n    \"keyName\": \"key1\",\n    \"permissions\": \"FULL\",\n"
         "    \"value\": \"AZKL1abcdEFGHijkl+/mnop==\"\n  }\n]\n",
         "AZKL1abcd"},
    };
    static const struct {
        const char *text, *secret;
    } whole[] = {
        /* the value before its name: seen in one text only (a stream cannot look ahead) */
        {"env:\n- value: VALUEFIRSTsecret123\n  name: DB_PASSWORD\n", "VALUEFIRSTsecret"},
        {"[\n  {\n    \"value\": \"JSONVF2secret\",\n    \"name\": \"API_TOKEN\"\n  }\n]\n",
         "JSONVF2secret"},
    };
    { /* a list of mappings under a secret-named key: its items' own rules (review 13: 14) */
        unsigned count = 0;
        char *out = redact("passwords:\n  - policy: strict\n  - FAKEitemPw0123\n", &count);
        ck_assert_msg(strstr(out, "policy: strict") && !strstr(out, "FAKEitem"), "%s", out);
        ea_free(out);
    }
    for (size_t k = 0; k < sizeof(whole) / sizeof(whole[0]); k++) {
        unsigned count = 0;
        char *out = redact(whole[k].text, &count);
        ck_assert_msg(!strstr(out, whole[k].secret) && count >= 1, "value first %zu: left", k);
        ea_free(out);
    }
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        unsigned count = 0;
        char *out = redact(cases[k].text, &count);
        struct ea_redact_stream st = {0};
        struct ea_buf b;
        ck_assert_msg(!strstr(out, cases[k].secret), "case %zu: left in one text", k);
        ck_assert_msg(count >= 1, "case %zu: not counted", k);
        ea_free(out);
        ea_buf_init(&b, 0);
        for (const char *p = cases[k].text; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
            ck_assert_int_eq(ea_redact_text(r, &st, &b, p, n, &count), 0);
            p += n;
        }
        ck_assert_msg(b.data && !strstr(b.data, cases[k].secret), "case %zu: left line by line", k);
        ea_buf_dispose(&b);
    }
}
END_TEST

static Suite *redact_suite(void)
{
    Suite *s = suite_create("redact");
    TCase *tc = tcase_create("patterns");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_each_kind_of_secret_is_masked, 0,
                        sizeof(masked) / sizeof(masked[0]));
    tcase_add_loop_test(tc, test_ordinary_text_is_left_alone, 0,
                        sizeof(ordinary) / sizeof(ordinary[0]));
    tcase_add_test(tc, test_literals_and_counts);
    tcase_add_test(tc, test_add_mask_registers_the_value_for_later_lines);
    tcase_add_test(tc, test_a_private_key_split_over_chunks_is_masked_whole);
    tcase_add_test(tc, test_json_strings_and_keys_are_redacted_in_place);
    tcase_add_test(tc, test_invalid_utf8_and_large_input);
    tcase_add_test(tc, test_the_secret_corpus_is_masked_in_every_form);
    tcase_add_test(tc, test_the_prefilter_finds_what_the_line_scan_finds);
    tcase_add_test(tc, test_the_ordinary_corpus_is_left_whole);
    tcase_add_test(tc, test_decorated_key_blocks_are_masked_whole_across_chunks);
    tcase_add_test(tc, test_pgp_and_json_escaped_keys_and_unterminated_blocks);
    tcase_add_test(tc, test_a_value_continued_on_the_next_line_is_masked);
    tcase_add_test(tc, test_a_progress_rewrite_ends_a_value);
    tcase_add_test(tc, test_clip_redacts_before_it_cuts);
    tcase_add_test(tc, test_a_mask_is_never_masked_again);
    tcase_add_test(tc, test_mask_counts_by_kind);
    tcase_add_test(tc, test_show_redacts_then_cuts);
    tcase_add_test(tc, test_a_nested_key_block_ends_at_the_end_of_its_own_label);
    tcase_add_test(tc, test_ssh2_putty_and_base64_keys_are_masked);
    tcase_add_test(tc, test_a_flattened_key_after_a_secret_name_is_masked_whole_once);
    tcase_add_test(tc, test_env_and_yaml_values_run_to_the_end_of_the_line);
    tcase_add_test(tc, test_yaml_block_values_of_secret_keys_are_masked);
    tcase_add_test(tc, test_yaml_block_state_crosses_chunks);
    tcase_add_test(tc, test_a_word_cut_by_the_limit_is_masked);
    tcase_add_test(tc, test_track_follows_key_blocks_like_the_redactor);
    tcase_add_test(tc, test_a_multi_line_or_padded_literal_is_masked_line_by_line);
    tcase_add_test(tc, test_add_mask_ignores_decoration);
    tcase_add_test(tc, test_a_continued_value_after_progress_rewrites_is_masked);
    tcase_add_test(tc, test_nul_and_long_escapes_inside_a_value);
    tcase_add_test(tc, test_c1_escapes_and_carriage_returns_inside_tokens);
    tcase_add_test(tc, test_utf16le_text_is_redacted);
    tcase_add_test(tc, test_a_nul_inside_a_key_name_is_not_a_boundary);
    tcase_add_test(tc, test_a_named_entry_value_on_a_later_line_is_masked);
    tcase_add_test(tc, test_track_follows_every_multi_line_state);
    tcase_add_test(tc, test_review_13_multi_line_and_hidden_shapes);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(redact_suite)
