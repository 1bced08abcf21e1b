/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sample external collector, built from the public headers alone
 * (include/evidence) and jansson: what a third party writes. It emits one
 * custom record saying hello to its argument, and logs through the host.
 * Built twice by the test suite: as is, and with EA_SAMPLE_WRONG_ABI to check
 * that the agent refuses a plug-in of another ABI version.
 */
#include <stdlib.h>
#include <string.h>

#include <evidence/evidence.h>

struct sample {
    char *who;
    const char *greeting; /* borrowed from the static table or copied below */
    char *greeting_copy;
    const struct ea_host *host;
};

static int sample_init(void **state, const char *arg, const json_t *options,
                       const struct ea_host *host)
{
    struct sample *s;

    const json_t *g = json_object_get(options, "greeting"); /* a string: the table says so */

    if (!arg || !*arg) return host->fail(host->ctx, EA_EUSAGE, "sample needs a name: sample=NAME");
    s = calloc(1, sizeof(*s));
    if (!s || !(s->who = strdup(arg)) ||
        (g && !(s->greeting_copy = strdup(json_string_value(g))))) {
        if (s) free(s->who);
        free(s);
        return host->fail(host->ctx, EA_ENOMEM, "out of memory");
    }
    s->greeting = s->greeting_copy ? s->greeting_copy : "hello";
    s->host = host;
    *state = s;
    return 0;
}

static int sample_collect(void *state, struct ea_sink *sink)
{
    struct sample *s = state;
    struct ea_fact fact = EA_FACT_INIT;
    static const char *const controls[] = {"A.5.37", NULL};
    json_t *data = json_pack("{s:s, s:s, s:I}", "greeting", s->who, "word", s->greeting, "at", (json_int_t)s->host->now(s->host->ctx));
    int rc;

    if (!data) return EA_ENOMEM;
    s->host->log(s->host->ctx, EA_LOG_LEVEL_INFO, "saying hello to %s", s->who);
    fact.kind = "custom";
    fact.subject_name = s->who;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = "0000000000000000000000000000000000000000000000000000000000000000";
    fact.source_system = "sample-plugin";
    fact.result = EA_RESULT_PASS;
    fact.summary = "A sample plug-in said hello.";
    fact.data = data;
    fact.controls = controls;
    rc = ea_emit(sink, &fact);
    json_decref(data);
    return rc < 0 ? rc : 1;
}

static void sample_free(void *state)
{
    struct sample *s = state;

    if (!s) return;
    free(s->who);
    free(s->greeting_copy);
    free(s);
}

static const char *const kinds[] = {"custom", NULL};
static const char *const defaults[] = {NULL};
static const struct ea_option options[] = {
    {"greeting", EA_OPTION_STRING, 0, "hello", "the word said"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_collector sample = {
#ifdef EA_SAMPLE_WRONG_ABI
    .abi = EA_COLLECTOR_ABI + 1,
#else
    .abi = EA_COLLECTOR_ABI,
#endif
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "sample",
    .version = "1.0.0",
    .summary = "a sample external collector",
    .usage = "NAME",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = sample_init,
    .collect = sample_collect,
    .free = sample_free,
};

EA_EXPORT const struct ea_collector *ea_collector_entry(void)
{
    return &sample;
}
