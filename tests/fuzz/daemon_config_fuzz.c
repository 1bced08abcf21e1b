/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as the daemon's configuration file (YAML or JSON). */
#include "daemon/dconfig.h"
#include "util/error.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_dconfig *c = NULL;

    if (ea_dconfig_parse(&c, "/fuzz/agent.yaml", (const char *)data, size) == 0) ea_dconfig_free(c);
    ea_error_clear();
    return 0;
}
