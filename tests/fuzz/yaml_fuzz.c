/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: bytes as a YAML stream (anchors, aliases, merge keys, several documents). */
#include "util/error.h"
#include "fuzz.h"
#include "util/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *docs = NULL;

    if (ea_yaml_parse_stream("fuzz.yaml", (const char *)data, size, &docs) == 0) json_decref(docs);
    ea_error_clear();
    return 0;
}
