/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as an envelope arriving alone (ingest, the drop folder, the spool). */
#include "audit.h"
#include "util/error.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_envelope env;

    ea_audit_envelope(&env, (const char *)data, size, NULL, 0);
    ea_envelope_dispose(&env);
    ea_error_clear();
    return 0;
}
