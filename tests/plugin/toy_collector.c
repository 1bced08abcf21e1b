/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A toy collector written by following the README's "Adding a collector",
 * step 1, as an external plug-in: the descriptor with its option table and
 * the three callbacks, against include/ alone. It counts the words of its
 * argument and emits one custom record saying how many; the option "min"
 * (an integer) makes fewer words a fail. tests/cli/test_toy.sh checks what
 * the README promises of it.
 */
#include <stdlib.h>
#include <string.h>

#include <evidence/evidence.h>

struct toy {
    char *text;
    long min;
};

static int toy_init(void **state, const char *arg, const json_t *options,
                    const struct ea_host *host)
{
    const json_t *min = json_object_get(options, "min"); /* an integer: the table says so */
    struct toy *t;

    if (!arg) return host->fail(host->ctx, EA_EUSAGE, "toy needs a text: toy=TEXT");
    if (min && json_integer_value(min) < 0)
        return host->fail(host->ctx, EA_EUSAGE, "toy option min: must be 0 or more");
    t = calloc(1, sizeof(*t));
    if (!t || !(t->text = strdup(arg))) {
        free(t);
        return host->fail(host->ctx, EA_ENOMEM, "out of memory");
    }
    t->min = min ? (long)json_integer_value(min) : 1;
    *state = t;
    return 0;
}

static int toy_collect(void *state, struct ea_sink *sink)
{
    struct toy *t = state;
    struct ea_fact fact = EA_FACT_INIT;
    long words = 0;
    json_t *data;
    int rc;

    for (const char *p = t->text; *p; p++)
        if (*p != ' ' && (p == t->text || p[-1] == ' ')) words++;
    if (!(data = json_pack("{s:I, s:I}", "words", (json_int_t)words, "min", (json_int_t)t->min)))
        return EA_ENOMEM;
    fact.kind = "custom";
    fact.subject_name = "toy";
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = "0000000000000000000000000000000000000000000000000000000000000000";
    fact.source_system = "toy";
    fact.result = words >= t->min ? EA_RESULT_PASS : EA_RESULT_FAIL;
    fact.summary = "The toy collector counted words.";
    fact.data = data;
    rc = ea_emit(sink, &fact);
    json_decref(data);
    return rc < 0 ? rc : 1;
}

static void toy_free(void *state)
{
    struct toy *t = state;

    if (!t) return;
    free(t->text);
    free(t);
}

static const char *const kinds[] = {"custom", NULL};
static const char *const defaults[] = {"A.5.37", NULL};
static const struct ea_option options[] = {
    {"min", EA_OPTION_INT, 0, "1", "fewest words that pass"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_collector toy = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "toy",
    .version = "1.0.0",
    .summary = "counts the words of its argument (an example)",
    .usage = "TEXT",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = toy_init,
    .collect = toy_collect,
    .free = toy_free,
};

EA_EXPORT const struct ea_collector *ea_collector_entry(void)
{
    return &toy;
}
