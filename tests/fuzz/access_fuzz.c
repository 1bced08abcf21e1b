/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a bundle of forge answers (the access collector's raw
 * object: one key per endpoint, see access_parse.h), through the GitHub and
 * GitLab builders of every scope, the diff against the bundle's own "previous"
 * data, and the policy with every rule on.
 */
#include <stdbool.h>

#include "util/error.h"
#include "fuzz.h"
#include "../../collectors/access/access_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const scopes[] = {"repo", "org", "project", "group"};
    struct ea_access_policy pol = {1, true, false, true, {"production", "staging", NULL}};
    json_t *raw = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    enum ea_result result;

    for (int i = 0; i < 4; i++) {
        bool gitlab = i >= 2;
        json_t *out = json_pack("{s:s, s:{s:s, s:s}}", "platform", gitlab ? "gitlab" : "github",
                                "scope", "type", scopes[i], "name", "acme/app");
        if (!out) break;
        if (ea_access_build(out, gitlab, scopes[i], raw) == 0) {
            (void)ea_access_diff(out, json_object_get(raw, "previous"), "0", NULL);
            (void)ea_access_judge(out, gitlab, &pol, &result);
            (void)ea_access_diff(out, out, NULL, NULL);
        }
        json_decref(out);
    }
    json_decref(raw);
    ea_error_clear();
    return 0;
}
