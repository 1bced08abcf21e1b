/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: arbitrary bytes as a job log, fed whole and then split at a
 * point taken from the input. Both summaries must be identical (the scanner
 * must not depend on chunk boundaries) and the scan must never fail on
 * content.
 */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "fuzz.h"
#include "../../collectors/pipeline/log_scan.h"

static json_t *scan(const uint8_t *data, size_t size, size_t split)
{
    static const char *const patterns[] = {"^Tests", "error", NULL};
    struct ea_log_scan s;
    json_t *out = NULL;

    if (ea_log_scan_init(&s, 5, 5, patterns) < 0) return NULL;
    if (ea_log_scan_feed(&s, (const char *)data, split) < 0 ||
        ea_log_scan_feed(&s, (const char *)data + split, size - split) < 0 ||
        ea_log_scan_finish(&s, &out) < 0)
        abort();
    ea_log_scan_dispose(&s);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *whole, *split;

    if (size == 0) return 0;
    whole = scan(data, size, size);
    split = scan(data, size, data[0] % size);
    if (!whole || !split || !json_equal(whole, split)) abort();
    json_decref(whole);
    json_decref(split);
    ea_error_clear();
    return 0;
}
