/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a Statement of Applicability file (YAML or JSON) and its checks. */
#include "controls.h"
#include "util/error.h"
#include "fuzz.h"
#include "soa.h"
#include "util/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_soa soa;
    json_t *doc, *lines;

    ea_controls_init();
    if (ea_yaml_parse("fuzz.yaml", (const char *)data, size, &doc, &lines) == 0 &&
        ea_soa_from(&soa, "fuzz.yaml", doc, lines) == 0)
        ea_soa_dispose(&soa);
    ea_error_clear();
    return 0;
}
