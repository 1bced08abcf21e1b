/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: arbitrary bytes through the redactor, whole and split in two
 * stream chunks. A registered literal planted anywhere in the input must be
 * absent from the output, and the output must never be shorter than the
 * unmasked text around the masks would make it (no bytes lost).
 *
 * Then decoration: the input (its own escapes and section markers taken
 * out) is printed as CI systems print it: a GitHub timestamp and a GitLab
 * section marker before it, ANSI escape sequences inserted at places the
 * input chooses, inside words too. Every byte masked in the bare text must
 * be masked in the decorated one.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "fuzz.h"
#include "util/redact.h"
#include "util/mem.h"

#define CANARY "zz-FUZZ-CANARY-zz"
#define PREFIX "2026-11-20T10:03:12.1234567Z \x1b[0Ksection_start:1700000000:step\r\x1b[0K"

static const char *const escapes[] = {"\x1b[0m", "\x1b[1;32m", "\x1b[0K", "\x1b[0;m", "\x1b]0;t\a"};

static void check_decoration(const struct ea_redactor *r, const uint8_t *data, size_t size)
{
    char *bare = malloc(size + 1), *deco;
    size_t *map, nd = 0, nb, nbs = 0, nds = 0;
    struct ea_redact_span *bs = NULL, *ds = NULL;
    unsigned char *covered;
    unsigned every = size ? (unsigned)data[0] % 7 + 1 : 1;

    if (!bare) return;
    memcpy(bare, data, size);
    for (size_t i = 0; i < size; i++) {
        if (bare[i] == 0x1b) bare[i] = '?';
        if (i > 0 && (unsigned char)bare[i] == 0x9b && (unsigned char)bare[i - 1] == 0xc2)
            bare[i] = '?'; /* the 8-bit CSI is an escape too */
        if (i + 8 <= size && memcmp(bare + i, "section_", 8) == 0) bare[i] = 'S';
    }
    nb = size;
    deco = malloc(sizeof(PREFIX) + nb * 9);
    map = malloc((nb + 1) * sizeof(*map));
    covered = calloc(sizeof(PREFIX) + nb * 9, 1);
    if (!deco || !map || !covered) goto out;
    memcpy(deco, PREFIX, sizeof(PREFIX) - 1);
    nd = sizeof(PREFIX) - 1;
    for (size_t i = 0; i < nb; i++) {
        if (i % every == 0 && ((unsigned char)bare[i] & 1)) {
            const char *e = escapes[(unsigned char)bare[i] % 5];
            memcpy(deco + nd, e, strlen(e));
            nd += strlen(e);
        }
        map[i] = nd;
        deco[nd++] = bare[i];
    }
    if (ea_redact_spans(r, NULL, bare, nb, &bs, &nbs) < 0 ||
        ea_redact_spans(r, NULL, deco, nd, &ds, &nds) < 0)
        goto out;
    for (size_t k = 0; k < nds; k++) memset(covered + ds[k].start, 1, ds[k].end - ds[k].start);
    for (size_t k = 0; k < nbs; k++) {
        for (size_t i = bs[k].start; i < bs[k].end; i++) {
            if (!covered[map[i]]) abort(); /* masked bare, left in the decorated form */
        }
    }
out:
    ea_free(bs);
    ea_free(ds);
    free(bare);
    free(deco);
    free(map);
    free(covered);
    ea_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ea_redactor *r;
    struct ea_redact_stream st = {0};
    struct ea_buf out;
    unsigned count = 0;
    char *in;
    size_t n = size + sizeof(CANARY) - 1, half = size / 2;

    if (!r) {
        if (ea_redactor_new(&r) < 0 || ea_redactor_add_literal(r, CANARY, strlen(CANARY)) < 0)
            return 0;
    }
    in = malloc(n);
    if (!in) return 0;
    memcpy(in, data, half); /* the canary sits in the middle, surrounded by fuzz */
    memcpy(in + half, CANARY, sizeof(CANARY) - 1);
    memcpy(in + half + sizeof(CANARY) - 1, data + half, size - half);
    ea_buf_init(&out, 0);
    if (ea_redact_text(r, NULL, &out, in, n, &count) == 0) {
        if (count == 0 || (out.data && memmem(out.data, out.len, CANARY, strlen(CANARY)))) abort();
    }
    ea_buf_reset(&out);
    ea_redact_text(r, &st, &out, in, half, &count);
    ea_redact_text(r, &st, &out, in + half, n - half, &count);
    ea_buf_dispose(&out);
    ea_error_clear();
    free(in);
    check_decoration(NULL, data, size);
    return 0;
}
