/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "pipeline": the streaming log scanner (chunk boundaries, long lines,
 * CRLF, timestamps, error and warning counts, tail, match patterns, secrets
 * and ::add-mask:: values masked in what is kept) and the collector in a
 * GitHub Actions environment and outside CI. Recorded logs and API responses
 * from ../shared/fixtures run in tests/conformance.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ci.h"
#include "util/error.h"
#include "schema.h"
#include "testkit.h"
#include "util/mem.h"
#include "../../collectors/pipeline/pipeline_api.h"
#include "../../collectors/pipeline/log_scan.h"

extern const struct ea_collector ea_collector_pipeline;

static const char log_text[] =
    "2026-01-02T03:04:05.100Z start\r\n"
    "::add-mask::late-CANARY-mask\n"
    "compile ok\n"
    "src/a.c:3: error: boom\n"
    "warning: deprecated\n"
    "Tests: 12 passed, 0 failed\n"
    "export TOKEN=ghp_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5\n"
    "echo late-CANARY-mask\n"
    "2026-01-02T03:09:00Z done\n";

static json_t *scan(const char *text, size_t len, size_t step, size_t tail,
                    const char *const *patterns)
{
    struct ea_log_scan s;
    json_t *out = NULL;

    ck_assert_int_eq(ea_log_scan_init(&s, tail, 10, patterns), 0);
    for (size_t i = 0; i < len; i += step)
        ck_assert_int_eq(ea_log_scan_feed(&s, text + i, i + step > len ? len - i : step), 0);
    ck_assert_int_eq(ea_log_scan_finish(&s, &out), 0);
    ea_log_scan_dispose(&s);
    return out;
}

START_TEST(test_the_summary_does_not_depend_on_chunk_boundaries)
{
    static const char *const pats[] = {"^Tests: ", NULL};
    json_t *whole = scan(log_text, strlen(log_text), strlen(log_text), 5, pats);
    json_t *bytes = scan(log_text, strlen(log_text), 1, 5, pats);
    json_t *sevens = scan(log_text, strlen(log_text), 7, 5, pats);

    ck_assert(json_equal(whole, bytes));
    ck_assert(json_equal(whole, sevens));
    ck_assert_int_eq(json_integer_value(json_object_get(whole, "lines")), 9);
    ck_assert_int_eq(json_integer_value(json_object_get(whole, "bytes")), (json_int_t)strlen(log_text));
    ck_assert_int_eq(json_integer_value(json_object_get(whole, "error_lines")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(whole, "warning_lines")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(whole, "first_timestamp")),
                     "2026-01-02T03:04:05.100Z");
    ck_assert_str_eq(json_string_value(json_object_get(whole, "last_timestamp")),
                     "2026-01-02T03:09:00Z");
    ck_assert_uint_eq(json_array_size(json_object_get(whole, "tail")), 5);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(whole, "tail"), 4)),
                     "2026-01-02T03:09:00Z done");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
                         json_object_get(whole, "matches"), 0), "line")), 6);
    json_decref(whole);
    json_decref(bytes);
    json_decref(sevens);
}
END_TEST

/*
 * A chunk whose lines nothing needs one by one takes a bulk path (newlines
 * counted eight bytes at a time, only lines with a hit looked at); a match
 * pattern forces the per-line path. Both must agree on every log, including
 * empty lines, CRs, lines over the kept length and words on both sides of it.
 */
START_TEST(test_the_bulk_path_agrees_with_the_per_line_path)
{
    static const char *const words[] = {"error", "Error:", "warning", "WARN", "fatal", "info",
                                        "errors", "::add-mask::bulk-CANARY-1", "\r", "",
                                        "2026-01-02T03:04:05Z", "_error", "warn.",
                                        "-----BEGIN RSA PRIVATE KEY-----",
                                        "-----END RSA PRIVATE KEY-----"};
    static const char *const never[] = {"^NEVER MATCHES$", NULL};
    struct ea_buf b;
    unsigned seed = 7;
    json_t *bulk, *per_line, *bytes;

    ea_buf_init(&b, 0);
    for (int i = 0; i < 3000; i++) {
        int n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
        if (i % 97 == 0) { /* a line longer than what is kept, a word across the cut */
            for (int k = 0; k < 996; k++) ea_buf_append(&b, "x ", 1 + (k & 1));
            ea_buf_append(&b, " error warning", 14);
        }
        for (int k = 0; k < n; k++) {
            const char *w = words[((seed = seed * 1103515245u + 12345u) >> 16) % 15];
            ea_buf_append(&b, w, strlen(w));
            ea_buf_append(&b, " ", 1);
        }
        ea_buf_append(&b, "\n", 1);
    }
    bulk = scan(b.data, b.len, 65536, 20, NULL);
    per_line = scan(b.data, b.len, 65536, 20, never);
    bytes = scan(b.data, b.len, 13, 20, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(bulk, "lines")), 3000);
    ck_assert_int_gt(json_integer_value(json_object_get(bulk, "error_lines")), 100);
    ck_assert_int_gt(json_integer_value(json_object_get(bulk, "warning_lines")), 10);
    ck_assert_msg(json_equal(bulk, per_line), "bulk and per-line summaries differ");
    ck_assert_msg(json_equal(bulk, bytes), "whole chunks and 13-byte chunks differ");
    json_decref(bulk);
    json_decref(per_line);
    json_decref(bytes);
    ea_buf_dispose(&b);
}
END_TEST

START_TEST(test_kept_lines_are_redacted_including_add_mask_values)
{
    json_t *out = scan(log_text, strlen(log_text), 64, 20, NULL);
    char *text = json_dumps(out, 0);

    ck_assert_msg(strstr(text, "CANARY") == NULL, "a secret survived in kept lines");
    ck_assert_ptr_nonnull(strstr(text, "export TOKEN=[REDACTED:"));
    ck_assert_ptr_nonnull(strstr(text, "echo [REDACTED:literal]"));
    free(text);
    json_decref(out);
}
END_TEST

START_TEST(test_long_lines_and_invalid_utf8_stay_bounded_and_valid)
{
    size_t n = 3 * 1000 * 1000;
    char *big = malloc(n + 16);
    json_t *out, *tail;

    memset(big, 'x', n);
    memcpy(big + 10, "\xff\xfe error", 9);
    memcpy(big + n, "\nend\n", 6);
    out = scan(big, n + 5, 65536, 3, NULL);
    tail = json_object_get(out, "tail");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "lines")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "error_lines")), 1);
    ck_assert_uint_le(json_string_length(json_array_get(tail, 0)), 2 * EA_LOG_LINE_MAX);
    ck_assert_str_eq(json_string_value(json_array_get(tail, 1)), "end");
    json_decref(out);
    free(big);
}
END_TEST


/* Each line of tests/fixtures/redact/secrets.txt in a log: in four CI forms, split between
 * two reads inside the secret, and straddling the kept length of a line. */
START_TEST(test_the_secret_corpus_is_masked_across_reads_and_at_the_line_limit)
{
    char path[512], *text, *p, *nl;
    size_t entries = 0;

    snprintf(path, sizeof(path), "%s/tests/fixtures/redact/secrets.txt", EA_SOURCE_DIR);
    text = ea_test_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    for (p = text; *p; p = nl + 1) {
        struct ea_buf log;
        struct ea_log_scan s;
        const char *secret, *line;
        size_t at, cut;
        json_t *out = NULL;
        char *dump;
        nl = strchr(p, '\n');
        *nl = '\0';
        if (*p == '#') continue;
        secret = p;
        line = strchr(p, '\t') + 1;
        *(char *)(line - 1) = '\0';
        at = (size_t)(strstr(line, secret) - line);
        ea_buf_init(&log, 0);
        ck_assert_int_eq(ea_buf_printf(&log, "%s\n", line), 0);
        cut = at + strlen(secret) / 2; /* the first read ends inside the secret */
        ck_assert_int_eq(ea_buf_printf(&log, "2026-11-20T10:03:12.1234567Z %s\n", line), 0);
        ck_assert_int_eq(ea_buf_printf(&log, "\x1b[32m%.*s\x1b[0;m\x1b[1m%s\x1b[0m\n", (int)at, line,
                                       line + at), 0);
        ck_assert_int_eq(ea_buf_printf(&log, "\x1b[0Ksection_start:1700000000:s\r\x1b[0K%s\n"
                                             "\x1b[0Ksection_end:1700000000:s\r\x1b[0K\n", line), 0);
        for (size_t pad = at + strlen(secret) / 2; pad < EA_LOG_LINE_MAX; pad++)
            ck_assert_int_eq(ea_buf_puts(&log, "x"), 0); /* the secret straddles the kept length */
        ck_assert_int_eq(ea_buf_printf(&log, " %s\nend\n", line), 0);
        ck_assert_int_eq(ea_log_scan_init(&s, 10, 10, NULL), 0);
        ck_assert_int_eq(ea_log_scan_feed(&s, log.data, cut), 0);
        ck_assert_int_eq(ea_log_scan_feed(&s, log.data + cut, log.len - cut), 0);
        ck_assert_int_eq(ea_log_scan_finish(&s, &out), 0);
        ea_log_scan_dispose(&s);
        dump = json_dumps(out, JSON_ENSURE_ASCII);
        entries++;
        ck_assert_msg(!strstr(dump, secret), "secrets.txt entry %zu: the secret is in the summary",
                      entries);
        ck_assert_msg(strstr(dump, "\"end\""), "entry %zu: the tail is incomplete", entries);
        free(dump);
        json_decref(out);
        ea_buf_dispose(&log);
    }
    ck_assert_uint_ge(entries, 100);
    ea_free(text);
}
END_TEST

/*
 * A key block longer than the tail, in each form: the kept body lines and END
 * are masked. The BEGIN line is not kept; the scanner still knows the block
 * started, whether the marker is decorated (timestamps, colour, grep --color
 * escapes inside it) or far into a long line (past the bytes kept of it).
 */
START_TEST(test_a_key_block_is_masked_in_the_tail_and_in_matches)
{
    static const char *const prefix[] = {"", "2026-11-20T10:03:12.1234567Z ", "\x1b[32m", "", "",
                                         "", "", "", ""};
    static const char *const begin[] = {
        "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN RSA \x1b[01;31m\x1b[KPRIVATE KEY\x1b[m\x1b[K-----",
        "\x1b[1m-----BEGIN\x1b[0m RSA PRIVATE KEY-----", " -----BEGIN RSA PRIVATE KEY-----",
        " -----BEGIN RSA PRIVATE KEY-----", " -----BEGIN RSA \x1b[1mPRIVATE KEY-----",
        ("-----BEGIN RSA PRIVATE KEY-----\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFAKE\n"
         "-----END EC PRIVATE KEY-----")}; /* a key inside the key: its END is not the outer one */
    static const int pad[] = {0, 0, 0, 0, 0, 2100, 2004, 9000, 0}; /* bytes before the marker */
    static const char *const pats[] = {"CANARY", NULL};
    static const size_t steps[] = {7, 64, 1000, 65536};

    for (size_t f = 0; f < sizeof(begin) / sizeof(begin[0]); f++) {
        struct ea_buf log;
        ea_buf_init(&log, 0);
        ck_assert_int_eq(ea_buf_printf(&log, "%sstart\n%s", prefix[f], prefix[f]), 0);
        ck_assert_int_eq(ea_buf_printf(&log, "%*s%s\n", pad[f], pad[f] ? "x" : "", begin[f]), 0);
        for (int k = 0; k < 30; k++)
            ck_assert_int_eq(ea_buf_printf(&log, "%sMIIEpAIBAAKCAQEA%02dCANARYbody%02d\n", prefix[f], k, k), 0);
        ck_assert_int_eq(ea_buf_printf(&log, "%s-----END RSA PRIVATE KEY-----\n%safter\n", prefix[f],
                                       prefix[f]), 0);
        for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
            for (int with_patterns = 0; with_patterns < 2; with_patterns++) {
                json_t *out = scan(log.data, log.len, steps[st], 5, with_patterns ? pats : NULL);
                char *dump = json_dumps(out, 0);
                ck_assert_msg(!strstr(dump, "CANARY") && !strstr(dump, "END RSA"),
                              "form %zu, step %zu, patterns %d: key material kept", f, steps[st],
                              with_patterns);
                ck_assert_msg(strstr(dump, "after\""), "form %zu: the line after the key is lost", f);
                if (with_patterns)
                    ck_assert_int_eq(json_array_size(json_object_get(out, "matches")), 10);
                free(dump);
                json_decref(out);
            }
        }
        ea_buf_dispose(&log);
    }
}
END_TEST


/*
 * An environment entry written value first, its secret name on a later line
 * (YAML and pretty-printed JSON): the value is masked in the kept tail as in
 * the whole text, though each kept line is redacted on its own, whatever the
 * decoration and the read size.
 */
START_TEST(test_a_value_before_its_secret_name_is_masked_in_the_tail)
{
    static const char *const forms[] = {
        "env:\n- value: FAKEvalueFirst0123\n  name: DB_PASSWORD\n",
        "env:\n  - value: FAKEvalueFirst0123\n    name: api-token\n",
        "{\n  \"value\": \"FAKEvalueFirst0123\",\n  \"name\": \"DB_PASSWORD\"\n}\n",
        "env:\n- value: FAKEvalueFirst0123\n  other: x\n  name: DB_PASSWORD\n"};
    static const char *const prefix[] = {"", "2026-11-20T10:03:12.1234567Z ", "\x1b[32m"};
    static const size_t steps[] = {7, 64, 65536};

    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        struct ea_buf whole;
        ea_buf_init(&whole, 0);
        ck_assert_int_eq(ea_redact_text(NULL, NULL, &whole, forms[f], strlen(forms[f]), NULL), 0);
        ck_assert_msg(!strstr(whole.data, "FAKEvalueFirst"), "form %zu: not masked in the text", f);
        ea_buf_dispose(&whole);
        for (size_t pf = 0; pf < sizeof(prefix) / sizeof(prefix[0]); pf++) {
            struct ea_buf log;
            const char *line = forms[f];
            ea_buf_init(&log, 0);
            ck_assert_int_eq(ea_buf_printf(&log, "%sstart\n", prefix[pf]), 0);
            while (*line) {
                const char *nl = strchr(line, '\n');
                ck_assert_int_eq(ea_buf_printf(&log, "%s%.*s\n", prefix[pf], (int)(nl - line),
                                               line), 0);
                line = nl + 1;
            }
            ck_assert_int_eq(ea_buf_printf(&log, "%safter\n", prefix[pf]), 0);
            for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
                json_t *out = scan(log.data, log.len, steps[st], 20, NULL);
                char *dump = json_dumps(out, 0);
                ck_assert_msg(!strstr(dump, "FAKEvalueFirst"), "form %zu, prefix %zu, step %zu: %s",
                              f, pf, steps[st], dump);
                ck_assert_msg(strstr(dump, "after\""), "form %zu: the tail is incomplete", f);
                free(dump);
                json_decref(out);
            }
            ea_buf_dispose(&log);
        }
    }
}
END_TEST

/*
 * A multi-line secret whose first line is not kept (YAML block value, PuTTY
 * key lines, a `\`-continued value, a named entry's later value, a UTF-16LE
 * key block): its lines in the tail and in the matches are masked, whatever
 * the decoration and the read size.
 */
START_TEST(test_multi_line_secrets_opened_before_the_tail_are_masked)
{
    static const struct {
        const char *opener[2], *head, *tail, *last; /* body lines: head, the line number, tail */
        int lines;
    } forms[] = {
        {{"db:", "  password: |"}, "    FAKEyaml", "", NULL, 30},
        {{"PuTTY-User-Key-File-3: ssh-rsa", "Private-Lines: 30"}, "AAAAFAKEputty", "CANARY", NULL,
         30},
        {{"export DB_PASSWORD=\\", NULL}, "  FAKEcont", " \\", "  FAKEcontLast", 30},
        {{"env:", "- name: DB_PASSWORD"}, "  other", ": x", "  value: FAKEnamed0123", 10},
    };
    static const char *const prefix[] = {"", "2026-11-20T10:03:12.1234567Z ", "\x1b[32m"};
    static const char *const pats[] = {"FAKE|other", NULL};
    static const size_t steps[] = {7, 64, 1000, 65536};

    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        for (size_t pf = 0; pf < sizeof(prefix) / sizeof(prefix[0]); pf++) {
            struct ea_buf log;
            ea_buf_init(&log, 0);
            ck_assert_int_eq(ea_buf_printf(&log, "%sstart\n%s", prefix[pf], prefix[pf]), 0);
            for (int o = 0; o < 2 && forms[f].opener[o]; o++)
                ck_assert_int_eq(ea_buf_printf(&log, "%s%s\n", o ? prefix[pf] : "",
                                               forms[f].opener[o]), 0);
            for (int k = 0; k < forms[f].lines; k++)
                ck_assert_int_eq(ea_buf_printf(&log, "%s%s%02d%s\n", prefix[pf], forms[f].head, k,
                                               forms[f].tail), 0);
            if (forms[f].last)
                ck_assert_int_eq(ea_buf_printf(&log, "%s%s\n", prefix[pf], forms[f].last), 0);
            ck_assert_int_eq(ea_buf_printf(&log, "%safter\n", prefix[pf]), 0);
            for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
                for (int with_patterns = 0; with_patterns < 2; with_patterns++) {
                    json_t *out = scan(log.data, log.len, steps[st], 3, with_patterns ? pats : NULL);
                    char *dump = json_dumps(out, 0);
                    ck_assert_msg(!strstr(dump, "FAKE"),
                                  "form %zu, prefix %zu, step %zu, patterns %d: secret kept", f, pf,
                                  steps[st], with_patterns);
                    ck_assert_msg(strstr(dump, "after\""), "form %zu: the line after is lost", f);
                    free(dump);
                    json_decref(out);
                }
            }
            ea_buf_dispose(&log);
        }
    }
    { /* a UTF-16LE key block (PowerShell output), its BEGIN line not kept */
        static const char *const lines[] = {"start", "-----BEGIN RSA PRIVATE KEY-----"};
        struct ea_buf log;
        ea_buf_init(&log, 0);
        ck_assert_int_eq(ea_buf_append(&log, "\xff\xfe", 2), 0);
        for (int k = 0; k < 2 + 30 + 2; k++) {
            char line[64];
            if (k < 2)
                snprintf(line, sizeof(line), "%s\r\n", lines[k]);
            else if (k < 32)
                snprintf(line, sizeof(line), "MIIEFAKEbody%02d\r\n", k);
            else
                snprintf(line, sizeof(line), "%s\r\n",
                         k == 32 ? "-----END RSA PRIVATE KEY-----" : "after");
            for (const char *c = line; *c; c++) {
                ck_assert_int_eq(ea_buf_append(&log, c, 1), 0);
                ck_assert_int_eq(ea_buf_append(&log, "", 1), 0);
            }
        }
        for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
            json_t *out = scan(log.data, log.len, steps[st], 4, NULL);
            json_t *tail = json_object_get(out, "tail");
            ck_assert_uint_eq(json_array_size(tail), 4);
            for (size_t i = 0; i < json_array_size(tail); i++) {
                const char *t = json_string_value(json_array_get(tail, i));
                size_t tl = json_string_length(json_array_get(tail, i));
                for (size_t c = 0; c + 4 <= tl; c++) /* "FAKE" as UTF-16LE or with NULs dropped */
                    ck_assert_msg(!(t[c] == 'F' && (memchr(t + c, 'K', tl - c < 8 ? tl - c : 8))),
                                  "UTF-16LE step %zu, tail %zu: key material kept", steps[st], i);
            }
            json_decref(out);
        }
        ea_buf_dispose(&log);
    }
}
END_TEST

/*
 * A secret's opening line before the tail that hides its shape from a quick
 * look (an 8-bit CSI or an escape inside a marker, a name or a YAML key, a
 * password flag continued with `\`), and a UTF-16LE key block whose BEGIN
 * line is split between reads: what follows in the tail stays masked.
 */
START_TEST(test_openers_hidden_by_decoration_or_shape_are_followed)
{
    static const struct {
        const char *log, *secret;
        size_t tail;
    } cases[] = {
        {"x\n-----BEGIN RSA PRIVATE \xc2\x9b"
         "0mKEY-----\nMIIEowIBAAKCAQEAzFAKEC1CSIbodyLINE1\n"
         "-----END RSA PRIVATE KEY-----\n",
         "C1CSIbody", 2},
        {"env:\n- na\xc2\x9b"
         "0mme: DB_PASSWORD\n  value: C1NAMEDsecret\n",
         "C1NAMEDsecret", 1},
        {"Private-\xc2\x9b"
         "0mLines: 1\nAAAAC1PUTTYsecretAAAA\nPrivate-MAC: x\n",
         "C1PUTTYsecret", 2},
        {"  pass\xc2\x9b"
         "38:5:1mword: |\n    C1YAMLsecret\n",
         "C1YAMLsecret", 1},
        {"x\n-----BEGIN RSA PRIVATE \x1b[0mKEY-----\nMIIEowIBAAKCAQEAzFAKEC1ESCbodyLINE1\n"
         "-----END RSA PRIVATE KEY-----\n",
         "C1ESCbody", 2},
        {"env:\n- na\x1b[0mme: DB_PASSWORD\n  value: C1ESCNAMEDsecret\n", "C1ESCNAMEDsecret", 1},
        {"Private-\x1b[0mLines: 1\nAAAAC1ESCPUTTYsecretAAAA\nPrivate-MAC: x\n", "C1ESCPUTTY", 2},
        {"docker login -u ci -p \\\n  DOCKERCONTsecret1\n", "DOCKERCONTsecret1", 1},
        {"redis-cli -h db -a \\\n  REDISCONTsecret1\n", "REDISCONTsecret1", 1},
        {"curl -u \\\n  user:CURLCONTsecret1 https://x\n", "CURLCONTsecret1", 1},
        {"curl -u \\\n  user:CURLCONTsecret2 https://x\n", "CURLCONTsecret2", 2},
        {"curl --user \\\n  user:CURLCONTsecret3 https://x\n", "CURLCONTsecret3", 2},
        {"db:\n  password: &pw |\n    ANCHORSECRETvalue123\n", "ANCHORSECRET", 1},
        {"db:\n  password: !!binary |\n    aHVudGVyMlRBR1NFQ1JFVA==\n", "aHVudGVyMlRBR1NF", 1},
        {"db:\n  password: # the db pw\n    COMMENTSECRET123\n", "COMMENTSECRET", 1},
        {"{\n    \"Parameter\": {\n        \"Name\": \"/prod/db_password\",\n        \"Type\": "
         "\"SecureString\",\n        \"Value\": \"SSMSECRETvalue99\",\n        \"Version\": 1\n"
         "    }\n}\n",
         "SSMSECRETvalue99", 4},
        {"Environment:\n  - Name: DB_PASSWORD\n    Value: CFNSECRET12345\n", "CFNSECRET", 1},
        {"[\n  {\n    \"keyName\": \"key1\",\n    \"permissions\": \"FULL\",\n    \"value\": "
         "\"AZKL1abcdEFGHijkl+/mnop==\"\n  }\n]\n",
         "AZKL1abcd", 3},
    };
    static const char *const pats[] = {"secret|body|C1", NULL};
    static const size_t steps[] = {3, 7, 64, 65536};

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
            for (int with_patterns = 0; with_patterns < 2; with_patterns++) {
                json_t *out = scan(cases[c].log, strlen(cases[c].log), steps[st], cases[c].tail,
                                   with_patterns ? pats : NULL);
                char *dump = json_dumps(out, 0);
                ck_assert_msg(!strstr(dump, cases[c].secret),
                              "case %zu, step %zu, patterns %d: kept", c, steps[st], with_patterns);
                free(dump);
                json_decref(out);
            }
        }
    }
    { /* UTF-16LE: the BEGIN line split between two reads, only the body in the tail */
        static const char *const lines[] = {"start",
                                            "-----BEGIN RSA PRIVATE KEY-----",
                                            "MIIEowIBAAKCAQEAFAKEu16body1",
                                            "MIIEowIBAAKCAQEAFAKEu16body2",
                                            "-----END RSA PRIVATE KEY-----",
                                            "after"};
        for (size_t split = 2; split < 70; split += 3) {
            struct ea_buf log;
            size_t at = 0;
            ea_buf_init(&log, 0);
            for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
                if (k == 1) at = log.len;
                for (const char *ch = lines[k];; ch++) {
                    ck_assert_int_eq(ea_buf_append(&log, *ch ? ch : "\n", 1), 0);
                    ck_assert_int_eq(ea_buf_append(&log, "", 1), 0);
                    if (!*ch) break;
                }
            }
            {
                struct ea_log_scan s;
                json_t *out = NULL;
                char *dump;
                ck_assert_int_eq(ea_log_scan_init(&s, 3, 10, NULL), 0);
                ck_assert_int_eq(ea_log_scan_feed(&s, log.data, at + split), 0);
                ck_assert_int_eq(ea_log_scan_feed(&s, log.data + at + split, log.len - at - split),
                                 0);
                ck_assert_int_eq(ea_log_scan_finish(&s, &out), 0);
                ea_log_scan_dispose(&s);
                dump = json_dumps(out, 0);
                for (char *z; (z = strstr(dump, "\\u0000"));) /* the text without its NULs */
                    memmove(z, z + 6, strlen(z + 6) + 1);
                ck_assert_msg(!strstr(dump, "FAKEu16"), "UTF-16LE split at %zu: key body kept",
                              split);
                free(dump);
                json_decref(out);
            }
            ea_buf_dispose(&log);
        }
    }
}
END_TEST

/* Binary bytes, NUL, invalid UTF-8 and a 10 MB line: ingested, bounded, masks intact. */
START_TEST(test_bad_input_keeps_its_masks)
{
    static const char tok[] = "ghp_CANARYa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5";
    size_t big = 10 * 1000 * 1000, n = 0;
    char *log = malloc(big + 4096);
    unsigned seed = 13;
    json_t *out, *tail;
    char *dump;

    ck_assert_ptr_nonnull(log);
    for (int k = 0; k < 2000; k++) /* binary noise, newlines included */
        log[n++] = (char)((seed = seed * 1103515245u + 12345u) >> 16);
    memcpy(log + n, "\nnul\0 token=", 13);
    n += 13;
    n += (size_t)sprintf(log + n, "%s \xff\xfe\n", tok);
    n += (size_t)sprintf(log + n, "\x1b[1m\xc3(%s\x1b[0m\n", tok);
    memcpy(log + n, "export GH=", 10); /* a 10 MB line: secrets at its start and across the cut */
    memcpy(log + n + 10, tok, sizeof(tok) - 1);
    memset(log + n + 10 + sizeof(tok) - 1, 'y', big);
    memcpy(log + n + EA_LOG_LINE_KEEP - 15, " ", 1);
    memcpy(log + n + EA_LOG_LINE_KEEP - 14, tok, sizeof(tok) - 1);
    n += big;
    n += (size_t)sprintf(log + n, "\nend\n");
    out = scan(log, n, 65536, 6, NULL);
    tail = json_object_get(out, "tail");
    dump = json_dumps(out, 0);
    ck_assert_msg(!strstr(dump, "CANARY") && !strstr(dump, "a1b2c3"), "a secret survived");
    ck_assert_str_eq(json_string_value(json_array_get(tail, json_array_size(tail) - 1)), "end");
    for (size_t i = 0; i < json_array_size(tail); i++)
        ck_assert_uint_le(json_string_length(json_array_get(tail, i)), 2 * EA_LOG_LINE_MAX);
    free(dump);
    json_decref(out);
    free(log);
}
END_TEST

START_TEST(test_a_bad_pattern_is_a_configuration_error)
{
    static const char *const pats[] = {"(unclosed", NULL};
    struct ea_log_scan s;
    int rc = ea_log_scan_init(&s, 5, 5, pats);

    ck_assert_int_eq(rc, EA_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "(unclosed"));
}
END_TEST

static const char *const github_env[] = {
    "GITHUB_ACTIONS", "true", "GITHUB_SERVER_URL", "https://github.com", "GITHUB_REPOSITORY",
    "acme/app", "GITHUB_RUN_ID", "99", "GITHUB_JOB", "build", "GITHUB_SHA",
    "ffac537e6cbbf934b08745a378932722df287a53", NULL};

START_TEST(test_in_github_actions_the_subject_is_the_built_commit)
{
    struct ea_fake_sink fs;
    void *state = NULL;
    json_t *opts = json_object(), *fact, *data;
    char *tmp = ea_test_tmpdir();
    char path[4200];

    snprintf(path, sizeof(path), "%s/job.log", tmp);
    ck_assert_int_eq(ea_test_write(path, log_text), 0);
    for (size_t i = 0; github_env[i]; i += 2) setenv(github_env[i], github_env[i + 1], 1);
    unsetenv("GITHUB_TOKEN"); /* no token: no API call (never leave loopback in tests) */
    unsetenv("GH_TOKEN");
    ea_fake_sink_init(&fs);
    ck_assert_int_eq(ea_collector_pipeline.init(&state, path, opts, ea_test_host()), 0);
    ck_assert_int_eq(ea_collector_pipeline.collect(state, &fs.sink), 1);
    ea_collector_pipeline.free(state);
    for (size_t i = 0; github_env[i]; i += 2) unsetenv(github_env[i]);
    fact = json_array_get(fs.facts, 0);
    data = json_object_get(fact, "data");
    ck_assert_int_eq(ea_schema_validate("data/pipeline_run.schema.json", data), 0);
    ck_assert_str_eq(json_string_value(json_object_get(fact, "subject_digest_alg")), "gitCommit");
    ck_assert_str_eq(json_string_value(json_object_get(fact, "subject_name")), "github:acme/app@99");
    ck_assert_str_eq(json_string_value(json_object_get(fact, "source_uri")),
                     "https://github.com/acme/app/actions/runs/99");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(data, "ci"), "job")),
                     "build");
    ea_fake_sink_dispose(&fs);
    json_decref(opts);
    ea_test_tmpdir_free(tmp);
}
END_TEST

START_TEST(test_errors_name_the_log_and_the_option)
{
    void *state = NULL;
    json_t *opts = json_pack("{s:s}", "tail_lines", "many");
    int rc;

    rc = ea_collector_pipeline.init(&state, "/nonexistent/job.log", NULL, ea_test_host());
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "/nonexistent/job.log"));
    rc = ea_collector_pipeline.init(&state, NULL, opts, ea_test_host());
    ck_assert_int_eq(rc, EA_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "tail_lines"));
    json_decref(opts);
}
END_TEST



/* Runs the collector with env (NAME, VALUE, ..., NULL) set, then unset; returns the fact. */
static json_t *collect_with(const char *const *env, struct ea_fake_sink *fs)
{
    void *state = NULL;
    json_t *opts = json_object();

    for (size_t i = 0; env[i]; i += 2) setenv(env[i], env[i + 1], 1);
    ea_fake_sink_init(fs);
    ck_assert_int_eq(ea_collector_pipeline.init(&state, NULL, opts, ea_test_host()), 0);
    ck_assert_int_eq(ea_collector_pipeline.collect(state, &fs->sink), 1);
    ea_collector_pipeline.free(state);
    for (size_t i = 0; env[i]; i += 2) unsetenv(env[i]);
    json_decref(opts);
    ck_assert_int_eq(ea_schema_validate("data/pipeline_run.schema.json",
                                        json_object_get(json_array_get(fs->facts, 0), "data")),
                     0);
    return json_array_get(fs->facts, 0);
}

static const char github_routes[] =
    "{\"routes\": ["
    "{\"path\": \"/repos/acme/app/actions/runs/99\", \"responses\": [{\"status\": 500}, "
    "{\"status\": 200, \"body\": {\"status\": \"completed\", \"conclusion\": \"failure\", "
    "\"event\": \"push\", \"head_sha\": \"ffac537e6cbbf934b08745a378932722df287a53\", "
    "\"triggering_actor\": {\"login\": \"octocat\"}, \"html_url\": \"https://x/99\", "
    "\"extra\": {\"nested\": 1}}}]},"
    "{\"path\": \"/repos/acme/app/actions/runs/99/jobs\", \"query\": {\"page\": \"2\"}, "
    "\"responses\": [{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"}}, "
    "{\"status\": 200, \"body\": {\"jobs\": [{\"name\": \"test\", "
    "\"conclusion\": \"failure\", \"steps\": []}]}}]},"
    "{\"path\": \"/repos/acme/app/actions/runs/99/jobs\", \"responses\": [{\"status\": 200, "
    "\"headers\": {\"Link\": \"<{base}/repos/acme/app/actions/runs/99/jobs?per_page=100&page=2>; "
    "rel=\\\"next\\\"\"}, \"body\": {\"jobs\": [{\"name\": \"build\", \"conclusion\": "
    "\"success\", \"steps\": [{\"name\": \"checkout\", \"conclusion\": \"success\"}]}]}}]},"
    "{\"path\": \"/repos/acme/app/actions/runs/401\", \"responses\": [{\"status\": 401}]},"
    "{\"path\": \"/api/v4/projects/42/pipelines/1000\", \"responses\": [{\"status\": 200, "
    "\"body\": {\"status\": \"success\", \"source\": \"push\", \"user\": {\"username\": "
    "\"alice\"}}}]},"
    "{\"path\": \"/api/v4/projects/42/pipelines/1000/jobs\", \"responses\": [{\"status\": 200, "
    "\"body\": [{\"name\": \"unit\", \"stage\": \"test\", \"status\": \"success\"}]}]}"
    "]}";

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* The run answers 500 once and the second jobs page 429 (Retry-After: 1) once: both retried. */
START_TEST(test_github_run_and_paginated_jobs_come_from_the_api)
{
    struct ea_test_server srv;
    struct ea_fake_sink fs;
    json_t *fact, *api;
    char *all;

    ck_assert_int_eq(ea_test_replay_start(&srv, github_routes), 0);
    const char *env[] = {"GITHUB_ACTIONS", "true", "GITHUB_REPOSITORY", "acme/app",
                         "GITHUB_RUN_ID", "99", "GITHUB_TOKEN", "tok-CANARY-gh",
                         "GITHUB_API_URL", srv.base_url, NULL};
    fact = collect_with(env, &fs);
    api = json_object_get(json_object_get(fact, "data"), "api");
    ck_assert_str_eq(json_string_value(json_object_get(api, "status")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(api, "run"), "actor")),
                     "octocat");
    ck_assert_ptr_null(json_object_get(json_object_get(api, "run"), "extra"));
    ck_assert_uint_eq(json_array_size(json_object_get(api, "jobs")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(fact, "result")), "fail");
    all = ea_test_slurp(srv.log_path, NULL); /* 500 and 429 were each answered, then retried */
    ck_assert_int_eq(count_of(all, "\"path\": \"/repos/acme/app/actions/runs/99\""), 2);
    ck_assert_int_eq(count_of(all, "\"page\": \"2\""), 2);
    free(all);
    all = json_dumps(fs.facts, 0);
    ck_assert_msg(strstr(all, "CANARY") == NULL, "the token reached a fact");
    free(all);
    all = ea_test_slurp(srv.log_path, NULL);
    ck_assert_ptr_nonnull(strstr(all, "\"authorization\": true"));
    free(all);
    ea_fake_sink_dispose(&fs);
    ea_test_server_stop(&srv);
}
END_TEST

START_TEST(test_an_api_failure_keeps_the_record_with_result_error)
{
    struct ea_test_server srv;
    struct ea_fake_sink fs;
    json_t *fact, *api;

    ck_assert_int_eq(ea_test_replay_start(&srv, github_routes), 0);
    const char *env[] = {"GITHUB_ACTIONS", "true", "GITHUB_REPOSITORY", "acme/app",
                         "GITHUB_RUN_ID", "401", "GITHUB_TOKEN", "tok-CANARY-gh",
                         "GITHUB_API_URL", srv.base_url, NULL};
    fact = collect_with(env, &fs);
    api = json_object_get(json_object_get(fact, "data"), "api");
    ck_assert_str_eq(json_string_value(json_object_get(api, "status")), "error");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(api, "error")), "401"));
    ck_assert_ptr_null(strstr(json_string_value(json_object_get(api, "error")), "CANARY"));
    ck_assert_str_eq(json_string_value(json_object_get(fact, "result")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(fact, "data"),
                                                                       "ci"), "run_id")), "401");
    ea_fake_sink_dispose(&fs);
    ea_test_server_stop(&srv);
}
END_TEST

START_TEST(test_gitlab_pipeline_and_jobs_come_from_the_api)
{
    struct ea_test_server srv;
    struct ea_fake_sink fs;
    json_t *fact, *api;
    char base[128];

    ck_assert_int_eq(ea_test_replay_start(&srv, github_routes), 0);
    snprintf(base, sizeof(base), "%s/api/v4", srv.base_url);
    const char *env[] = {"GITLAB_CI", "true", "CI_PROJECT_PATH", "group/app", "CI_PIPELINE_ID",
                         "1000", "CI_PROJECT_ID", "42", "CI_JOB_TOKEN", "job-CANARY-tok",
                         "CI_API_V4_URL", base, NULL};
    fact = collect_with(env, &fs);
    api = json_object_get(json_object_get(fact, "data"), "api");
    ck_assert_str_eq(json_string_value(json_object_get(api, "status")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(api, "run"), "user")),
                     "alice");
    ck_assert_uint_eq(json_array_size(json_object_get(api, "jobs")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(fact, "result")), "pass");
    ea_fake_sink_dispose(&fs);
    ea_test_server_stop(&srv);
}
END_TEST


static Suite *pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("log");

    tcase_add_test(tc, test_the_summary_does_not_depend_on_chunk_boundaries);
    tcase_add_test(tc, test_the_bulk_path_agrees_with_the_per_line_path);
    tcase_add_test(tc, test_kept_lines_are_redacted_including_add_mask_values);
    tcase_add_test(tc, test_long_lines_and_invalid_utf8_stay_bounded_and_valid);
    tcase_add_test(tc, test_a_bad_pattern_is_a_configuration_error);
    tcase_add_test(tc, test_the_secret_corpus_is_masked_across_reads_and_at_the_line_limit);
    tcase_add_test(tc, test_a_key_block_is_masked_in_the_tail_and_in_matches);
    tcase_add_test(tc, test_multi_line_secrets_opened_before_the_tail_are_masked);
    tcase_add_test(tc, test_a_value_before_its_secret_name_is_masked_in_the_tail);
    tcase_add_test(tc, test_openers_hidden_by_decoration_or_shape_are_followed);
    tcase_add_test(tc, test_bad_input_keeps_its_masks);
    tcase_set_timeout(tc, 60); /* Check's 4 s default fails the corpus on a loaded machine */
    suite_add_tcase(s, tc);
    tc = tcase_create("collector");
    tcase_add_test(tc, test_in_github_actions_the_subject_is_the_built_commit);
    tcase_add_test(tc, test_errors_name_the_log_and_the_option);
    tcase_add_test(tc, test_github_run_and_paginated_jobs_come_from_the_api);
    tcase_add_test(tc, test_an_api_failure_keeps_the_record_with_result_error);
    tcase_add_test(tc, test_gitlab_pipeline_and_jobs_come_from_the_api);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(pipeline_suite)
