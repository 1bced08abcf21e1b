/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "util": bounded buffers, base64 (both alphabets), time parsing, durable writes and the
 * lazy loader of optional libraries.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "testkit.h"
#include "util/buf.h"
#include "util/dl.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/time.h"

START_TEST(test_buf_refuses_to_grow_past_its_bound)
{
    struct ea_buf b;

    ea_buf_init(&b, 8);
    ck_assert_int_eq(ea_buf_puts(&b, "12345678"), 0);
    ck_assert_int_eq(ea_buf_puts(&b, "9"), EA_ETOOBIG);
    ck_assert_str_eq(b.data, "12345678");
    ea_buf_dispose(&b);
}
END_TEST

START_TEST(test_buf_reports_out_of_memory)
{
    struct ea_buf b;

    ea_buf_init(&b, 0);
    ea_mem_fail_after(1);
    ck_assert_int_eq(ea_buf_puts(&b, "x"), EA_ENOMEM);
    ea_mem_fail_after(0);
    ea_buf_dispose(&b);
}
END_TEST

static const struct {
    const char *text;
    const char *plain;
} b64_cases[] = {
    {"aGVsbG8gd29ybGQ=", "hello world"},
    {"aGVsbG8gd29ybGQ", "hello world"},     /* padding omitted */
    {"-_8", "\xfb\xff"},                    /* URL-safe alphabet */
    {"+/8=", "\xfb\xff"},                   /* standard alphabet */
    {"", ""},
};

START_TEST(test_base64_decodes_both_alphabets_with_or_without_padding)
{
    unsigned char *out = NULL;
    size_t len = 0;

    ck_assert_int_eq(ea_base64_decode(&out, &len, b64_cases[_i].text, strlen(b64_cases[_i].text)),
                     0);
    ck_assert_uint_eq(len, strlen(b64_cases[_i].plain));
    ck_assert_mem_eq(out, b64_cases[_i].plain, len);
    ea_free(out);
}
END_TEST

START_TEST(test_base64_rejects_garbage)
{
    static const char *bad[] = {"a", "ab=c", "a*bc", "abcd=", "ab==="};
    unsigned char *out = NULL;
    size_t len = 0;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(ea_base64_decode(&out, &len, bad[i], strlen(bad[i])), EA_EINPUT);
        ck_assert_ptr_null(out);
    }
}
END_TEST

START_TEST(test_base64_round_trips)
{
    unsigned char data[256];
    unsigned char *back = NULL;
    char *text = NULL;
    size_t len;

    for (int i = 0; i < 256; i++) data[i] = (unsigned char)i;
    for (size_t n = 0; n < sizeof(data); n += 37) {
        ck_assert_int_eq(ea_base64_encode(&text, &len, data, n), 0);
        ck_assert_int_eq(ea_base64_decode(&back, &len, text, strlen(text)), 0);
        ck_assert_uint_eq(len, n);
        ck_assert_mem_eq(back, data, n);
        ea_free(text);
        ea_free(back);
    }
}
END_TEST

START_TEST(test_sha256_matches_the_known_value)
{
    char hex[65];

    ck_assert_int_eq(ea_sha256_hex(hex, "abc", 3), 0);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

static const struct {
    const char *text;
    bool end_of_day;
    const char *want; /* formatted back, or NULL for an error */
} time_cases[] = {
    {"2026-01-31T12:00:00Z", false, "2026-01-31T12:00:00.000000Z"},
    {"2026-01-31T12:00:00.5Z", false, "2026-01-31T12:00:00.500000Z"},
    {"2026-01-31T14:00:00+02:00", false, "2026-01-31T12:00:00.000000Z"},
    {"2026-01-31", false, "2026-01-31T00:00:00.000000Z"},
    {"2026-01-31", true, "2026-01-31T23:59:59.999999Z"},
    {"2024-02-29", false, "2024-02-29T00:00:00.000000Z"},
    {"1969-12-31T23:59:59Z", false, "1969-12-31T23:59:59.000000Z"},
    {"2025-02-29", false, NULL},
    {"2026-13-01", false, NULL},
    {"yesterday", false, NULL},
    {"2026-01-31T12:00:00", false, NULL},
    {"2026-01-31T12:00:00Zjunk", false, NULL},
    {"", false, NULL},
};

START_TEST(test_time_parses_rfc3339_and_dates)
{
    char back[EA_TIME_TEXT_MAX];
    int64_t us = 0;
    int rc = ea_time_parse(&us, time_cases[_i].text, time_cases[_i].end_of_day);

    if (!time_cases[_i].want) {
        ck_assert_int_eq(rc, EA_EINPUT);
        ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "RFC 3339"));
        return;
    }
    ck_assert_int_eq(rc, 0);
    ea_time_format_rfc3339(back, us);
    ck_assert_str_eq(back, time_cases[_i].want);
}
END_TEST

START_TEST(test_time_key_round_trips_and_sorts)
{
    char a[EA_TIME_TEXT_MAX], b[EA_TIME_TEXT_MAX];
    int64_t t = 1795000000123456LL, back = 0;

    ea_time_format_key(a, t);
    ea_time_format_key(b, t + 1);
    ck_assert_int_lt(strcmp(a, b), 0);
    ck_assert_int_eq(ea_time_parse_key(&back, a), 0);
    ck_assert_int_eq(back, t);
}
END_TEST

START_TEST(test_write_atomic_is_private_and_replaces_whole)
{
    char *dir = ea_test_tmpdir();
    char path[4096];
    struct ea_buf b;
    struct stat st;

    snprintf(path, sizeof(path), "%s/sub/dir", dir);
    ck_assert_int_eq(ea_fs_mkdirs(path), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/sub/dir/f.json", dir);
    ck_assert_int_eq(ea_fs_write_atomic(path, "one", 3, true), 0);
    ck_assert_int_eq(ea_fs_write_atomic(path, "two!", 4, true), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(ea_fs_read(&b, path, 100, 0), 0);
    ck_assert_str_eq(b.data, "two!");
    ea_buf_dispose(&b);
    ck_assert_int_eq(ea_fs_read(&b, path, 2, 0), EA_ETOOBIG);
    ck_assert_int_eq(ea_fs_read(&b, path, 4, 0), 0); /* exactly at the bound */
    ck_assert_uint_eq(b.len, 4);
    ea_buf_dispose(&b);
    ck_assert_int_eq(ea_fs_read(&b, path, 3, 0), EA_ETOOBIG);
    ck_assert_ptr_null(b.data);
    snprintf(path, sizeof(path), "%s/empty", dir);
    ck_assert_int_eq(ea_test_write(path, ""), 0);
    ck_assert_int_eq(ea_fs_read(&b, path, 10, 0), 0);
    ck_assert_str_eq(b.data, "");
    ea_buf_dispose(&b);
    snprintf(path, sizeof(path), "%s/big", dir);
    ck_assert_int_eq(ea_test_sh("head -c 300000 /dev/zero | tr '\\0' x > '%s'", path), 0);
    ck_assert_int_eq(ea_fs_read(&b, path, 1000000, 0), 0);
    ck_assert_uint_eq(b.len, 300000);
    ea_buf_dispose(&b);
    ck_assert_int_eq(ea_fs_read(&b, path, 299999, 0), EA_ETOOBIG);
    snprintf(path, sizeof(path), "%s/missing", dir);
    ck_assert_int_eq(ea_fs_read(&b, path, 2, 0), EA_ENOTFOUND);
    ea_test_tmpdir_free(dir);
}
END_TEST

/* Only regular files unless a stream is asked for; none of these may block or grow unbounded. */
START_TEST(test_read_refuses_what_is_not_a_regular_file)
{
    char *dir = ea_test_tmpdir();
    char path[4096], link[4096];
    struct ea_buf b;

    ck_assert_int_eq(ea_fs_read(&b, "/dev/zero", 1000, 0), EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "character device"));
    ck_assert_ptr_null(b.data);
    ea_error_clear();
    ck_assert_int_eq(ea_fs_read(&b, "/dev/zero", 1000, EA_FS_STREAM), EA_EINPUT);
    ea_error_clear();
    ck_assert_int_eq(ea_fs_read(&b, dir, 1000, 0), EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "a folder"));
    ea_error_clear();
    /* a named pipe nobody writes to: refused at once, not waited on */
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(ea_fs_read(&b, path, 1000, 0), EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "named pipe"));
    ea_error_clear();
    /* a loop of links, and a link where links are refused */
    snprintf(link, sizeof(link), "%s/loop", dir);
    ck_assert_int_eq(symlink(link, link), 0);
    ck_assert_int_eq(ea_fs_read(&b, link, 1000, 0), EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "loop"));
    ea_error_clear();
    snprintf(path, sizeof(path), "%s/file", dir);
    ck_assert_int_eq(ea_test_write(path, "data"), 0);
    snprintf(link, sizeof(link), "%s/link", dir);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(ea_fs_read(&b, link, 1000, 0), 0);
    ck_assert_str_eq(b.data, "data");
    ea_buf_dispose(&b);
    ck_assert_int_eq(ea_fs_read(&b, link, 1000, EA_FS_NOFOLLOW), EA_EINPUT);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "symbolic link"));
    ea_error_clear();
    /* a 2 GB sparse file is too big from its size alone: nothing is read */
    snprintf(path, sizeof(path), "%s/sparse", dir);
    ck_assert_int_eq(ea_test_sh("truncate -s 2G '%s'", path), 0);
    ck_assert_int_eq(ea_fs_read(&b, path, 1 << 20, 0), EA_ETOOBIG);
    ck_assert_ptr_null(b.data);
    ea_error_clear();
    ea_test_tmpdir_free(dir);
}
END_TEST

/*
 * A stream that never ends stops at the bound: before, the buffer's doubling let one read
 * pass the bound, the room left underflowed and the read went on for as long as data came.
 */
START_TEST(test_read_of_a_stream_stops_at_its_bound)
{
    char *dir = ea_test_tmpdir();
    char path[4096];
    struct ea_buf b;

    snprintf(path, sizeof(path), "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    /* the writer waits for the reader; it ends on SIGPIPE once the reader stops */
    ck_assert_int_eq(ea_test_sh("(head -c 8000000 /dev/zero > '%s' 2>/dev/null &)", path), 0);
    ck_assert_int_eq(ea_fs_read(&b, path, 100000, EA_FS_STREAM), EA_ETOOBIG);
    ck_assert_ptr_null(b.data);
    ea_error_clear();
    /* a fresh pipe: the first writer may still be writing into the old one */
    snprintf(path, sizeof(path), "%s/fifo2", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(ea_test_sh("(printf 'stream' > '%s' &)", path), 0);
    ck_assert_int_eq(ea_fs_read(&b, path, 6, EA_FS_STREAM), 0); /* exactly at the bound */
    ck_assert_str_eq(b.data, "stream");
    ea_buf_dispose(&b);
    ea_test_tmpdir_free(dir);
}
END_TEST

START_TEST(test_error_table_maps_codes_to_exit_statuses)
{
    ck_assert_int_eq(ea_exit_status(0), 0);
    ck_assert_int_eq(ea_exit_status(EA_ERROR), 1);
    ck_assert_int_eq(ea_exit_status(EA_EUSAGE), 2);
    ck_assert_int_eq(ea_exit_status(EA_EINPUT), 2);
    ck_assert_int_eq(ea_exit_status(EA_EIO), 1);
    ck_assert_int_eq(ea_exit_status(EA_EVERIFY), 3);
    ck_assert_int_eq(ea_exit_status(EA_EPOLICY), 4);
    ea_error_clear();
    ck_assert_str_eq(ea_error_message(EA_EVERIFY), "verification failed");
    ea_fail(EA_EINPUT, "inner");
    ea_fail_prefix("outer %d", 1);
    ck_assert_str_eq(ea_error_message(EA_EINPUT), "outer 1: inner");
    ea_error_clear();
}
END_TEST

/* A message cut at its limit loses its last word: it may be a quoted secret's start. */
START_TEST(test_a_cut_error_message_drops_its_last_word)
{
    char pad[2000];
    const char *m;

    memset(pad, 'x', sizeof(pad));
    for (int w = 990; w < 1030; w++) {
        ea_fail(EA_EINPUT, "%.*s FAKEquotedSecret0123456789", w, pad);
        m = ea_error_message(EA_EINPUT);
        ck_assert_uint_lt(strlen(m), 1024);
        ck_assert_msg(!strstr(m, "FAKE") || strstr(m, "FAKEquotedSecret0123456789"),
                      "width %d: a part of the last word kept", w);
        ea_fail(EA_EINPUT, "short FAKEquotedSecret0123456789");
        ea_fail_prefix("%.*s", w, pad);
        m = ea_error_message(EA_EINPUT);
        ck_assert_msg(!strstr(m, "FAKE") || strstr(m, "FAKEquotedSecret0123456789"),
                      "prefix width %d: a part of the last word kept", w);
    }
    ea_error_clear();
}
END_TEST

/* The loader's tables: two functions of the C library, or one it lacks. */
struct libc_fns {
    size_t (*strlen)(const char *s);
    int (*strcmp)(const char *a, const char *b);
};
struct lacking_fns {
    size_t (*strlen)(const char *s);
    int (*ea_no_such_function)(void);
};

/* A library that is not installed: an error naming it, why and what to install; no crash. */
START_TEST(test_dl_names_a_missing_library_and_its_package)
{
    static struct libc_fns fns;
    static const struct ea_dl_sym syms[] = {EA_DL_SYM(struct libc_fns, strlen)};
    static struct ea_dl dl = EA_DL_INIT("libea-absent.so.7", "libea-absent7",
                                        "to test the loader", syms, fns);
    const char *m;

    for (int round = 0; round < 2; round++) { /* a failure is not kept: the second one too */
        ea_error_clear();
        ck_assert_int_eq(ea_dl_load(&dl), EA_ERROR);
        m = ea_error_message(EA_ERROR);
        ck_assert_msg(strstr(m, "cannot load libea-absent.so.7"), "%s", m);
        ck_assert_msg(strstr(m, "to test the loader"), "%s", m);
        ck_assert_msg(strstr(m, "install the package libea-absent7"), "%s", m);
        ck_assert_ptr_null(fns.strlen);
        ck_assert(!ea_dl_loaded(&dl));
    }
    ea_fail(EA_EINPUT, "earlier");
    ck_assert(!ea_dl_try(&dl)); /* an optional library: quiet */
    ck_assert_str_eq(ea_error_message(EA_EINPUT), "earlier");
    ea_dl_unload(&dl);
    ea_error_clear();
}
END_TEST

/* Without a package from the build, the message names the soname to look for. */
START_TEST(test_dl_without_a_package_names_the_soname)
{
    static struct libc_fns fns;
    static const struct ea_dl_sym syms[] = {EA_DL_SYM(struct libc_fns, strlen)};
    static struct ea_dl dl = EA_DL_INIT("libea-absent.so.7", "", "to test", syms, fns);
    const char *m;

    ck_assert_int_eq(ea_dl_load(&dl), EA_ERROR);
    m = ea_error_message(EA_ERROR);
    ck_assert_msg(strstr(m, "install the package that provides libea-absent.so.7"), "%s", m);
    ea_error_clear();
}
END_TEST

/* A library of another version, lacking one function: all or nothing. */
START_TEST(test_dl_refuses_a_library_lacking_a_function)
{
    static struct lacking_fns fns;
    static const struct ea_dl_sym syms[] = {EA_DL_SYM(struct lacking_fns, strlen),
                                            EA_DL_SYM(struct lacking_fns, ea_no_such_function)};
    static struct ea_dl dl = EA_DL_INIT("libc.so.6", "libc6", "to test", syms, fns);
    const char *m;

    ck_assert_int_eq(ea_dl_load(&dl), EA_ERROR);
    m = ea_error_message(EA_ERROR);
    ck_assert_msg(strstr(m, "libc.so.6 lacks ea_no_such_function"), "%s", m);
    ck_assert_ptr_null(fns.strlen);
    ck_assert(!ea_dl_loaded(&dl));
    ea_error_clear();
}
END_TEST

START_TEST(test_dl_fills_the_table_and_unload_empties_it)
{
    static struct libc_fns fns;
    static const struct ea_dl_sym syms[] = {EA_DL_SYM(struct libc_fns, strlen),
                                            EA_DL_SYM(struct libc_fns, strcmp)};
    static struct ea_dl dl = EA_DL_INIT("libc.so.6", "libc6", "to test", syms, fns);

    ck_assert_int_eq(ea_dl_load(&dl), 0);
    ck_assert(ea_dl_loaded(&dl));
    ck_assert_uint_eq(fns.strlen("four"), 4);
    ck_assert_int_eq(fns.strcmp("a", "a"), 0);
    ck_assert_int_eq(ea_dl_load(&dl), 0); /* loaded already */
    ea_dl_unload(&dl);
    ck_assert(!ea_dl_loaded(&dl));
    ck_assert_ptr_null(fns.strlen);
    ck_assert_ptr_null(fns.strcmp);
    ck_assert(ea_dl_try(&dl));
    ea_dl_unload(&dl);
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("buffers_and_encoding");

    tcase_add_test(tc, test_buf_refuses_to_grow_past_its_bound);
    tcase_add_test(tc, test_buf_reports_out_of_memory);
    tcase_add_loop_test(tc, test_base64_decodes_both_alphabets_with_or_without_padding, 0,
                        sizeof(b64_cases) / sizeof(b64_cases[0]));
    tcase_add_test(tc, test_base64_rejects_garbage);
    tcase_add_test(tc, test_base64_round_trips);
    tcase_add_test(tc, test_sha256_matches_the_known_value);
    tcase_add_test(tc, test_error_table_maps_codes_to_exit_statuses);
    tcase_add_test(tc, test_a_cut_error_message_drops_its_last_word);
    suite_add_tcase(s, tc);
    tc = tcase_create("time");
    tcase_add_loop_test(tc, test_time_parses_rfc3339_and_dates, 0,
                        sizeof(time_cases) / sizeof(time_cases[0]));
    tcase_add_test(tc, test_time_key_round_trips_and_sorts);
    suite_add_tcase(s, tc);
    tc = tcase_create("fs");
    tcase_add_test(tc, test_write_atomic_is_private_and_replaces_whole);
    tcase_add_test(tc, test_read_refuses_what_is_not_a_regular_file);
    tcase_add_test(tc, test_read_of_a_stream_stops_at_its_bound);
    suite_add_tcase(s, tc);
    tc = tcase_create("dl");
    tcase_add_test(tc, test_dl_names_a_missing_library_and_its_package);
    tcase_add_test(tc, test_dl_without_a_package_names_the_soname);
    tcase_add_test(tc, test_dl_refuses_a_library_lacking_a_function);
    tcase_add_test(tc, test_dl_fills_the_table_and_unload_empties_it);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(util_suite)
