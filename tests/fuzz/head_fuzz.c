/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a stream head (a store's streams/<s>.json, ingest, the drop folder). */
#include "util/error.h"
#include "fuzz.h"
#include "integrity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_head h;

    ea_head_parse(&h, (const char *)data, size, NULL, 0);
    ea_error_clear();
    return 0;
}
