/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a checkpoint (a store's checkpoints/, verify --checkpoint FILE). */
#include "util/error.h"
#include "fuzz.h"
#include "integrity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_checkpoint cp;

    ea_checkpoint_parse(&cp, (const char *)data, size, NULL, 0);
    ea_checkpoint_dispose(&cp);
    ea_error_clear();
    return 0;
}
