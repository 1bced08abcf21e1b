/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as --since/--until text and as a store time key; round trips must hold. */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "fuzz.h"
#include "util/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char key[EA_TIME_TEXT_MAX];
    int64_t us = 0, back = 0;

    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (ea_time_parse(&us, text, size % 2) == 0 && us > 0 && us < 253402300799000000LL) {
        ea_time_format_key(key, us);
        if (ea_time_parse_key(&back, key) < 0 || back != us) abort();
    }
    ea_time_parse_key(&us, text);
    ea_error_clear();
    free(text);
    return 0;
}
