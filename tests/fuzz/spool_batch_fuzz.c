/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a spooled batch (envelope, stream-head and timestamp lines). */
#include "daemon/spool.h"
#include "util/error.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_spool_batch b;

    ea_spool_parse(&b, "01795000000000000-0badcafe-1.batch", (const char *)data, size);
    ea_spool_batch_dispose(&b);
    ea_error_clear();
    return 0;
}
