/* SPDX-License-Identifier: Apache-2.0 */
/*
 * collect: runs the named collectors once, signs what they emit and stores
 * it (or prints the envelopes with --dry-run). Everything that can be
 * checked before work starts is checked first (collector names, options,
 * control IDs, the key, every collector's input through its init, the
 * store), so a usage mistake never leaves a partial run behind. A collector
 * that fails while running gets an error record; the others go on.
 * Each run is its own stream: "<agent-id>.<UTC time>.<random>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "frameworks.h"
#include "util/error.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"
#include "util/redact.h"
#include "registry.h"
#include "store/store.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/time.h"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL",
     "where to store records (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"key", EA_CLI_VALUE, "FILE", "signing key (default $EVIDENCE_KEY or $EVIDENCE_KEY_PEM)"},
    {"control", EA_CLI_LIST, "ID",
     "add an Annex A control to every record (2013 IDs are mapped; FRAMEWORK:ID such as "
     "soc2:CC8.1 adds the Annex A controls mapped to it, and the record names it)"},
    {"dry-run", EA_CLI_FLAG, NULL, "print the signed envelopes as JSON lines; store nothing"},
    {"output", EA_CLI_VALUE, "FORMAT",
     "text (default) or json: print what was stored (record IDs, kinds, controls, results, "
     "store) as one JSON object for the next step"},
    {"agent-id", EA_CLI_VALUE, "ID", "name of this agent (default $EVIDENCE_AGENT_ID, else host)"},
    {"redact-env", EA_CLI_LIST, "NAME", "also mask the value of this environment variable"},
    {"set", EA_CLI_LIST, "C.KEY=VAL",
     "a collector option, e.g. pipeline.tail_lines=50 (repeat a"
     " key to make a list)"},
    {"plugin", EA_CLI_LIST, "FILE.so",
     "load a collector plug-in (also: NAME.so in "
     "$EVIDENCE_PLUGIN_PATH)"},
    {"gate", EA_CLI_FLAG, NULL,
     "exit 4 when a record's result is fail or error (block the"
     " pipeline)"},
    {"tsa", EA_CLI_LIST, "URL",
     "timestamp the records with this RFC 3161 TSA (repeat: the next is tried when one "
     "fails)"},
    {"tsa-required", EA_CLI_FLAG, NULL,
     "with --tsa: exit 1 and store nothing when no TSA gives a token (default: warn and store)"},
    {"tsa-policy", EA_CLI_VALUE, "OID", "with --tsa: ask for tokens under this TSA policy"},
    {NULL, 0, NULL, NULL},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]) - 1)

/* One shorthand flag of a built-in collector (struct ea_shorthand in its descriptor). */
struct shorthand {
    const struct ea_collector *c;
    const struct ea_shorthand *s;
};

/*
 * collect's option table: its own options, then the shorthand flags of the
 * built-in collectors in registry order; a flag several collectors offer
 * (--repo) is one row whose help names them all. Each flag sets OPTION of
 * COLLECTOR as --set COLLECTOR.OPTION=VALUE would (a flag with a fixed value
 * sets that); a --set of the same option too is refused, naming both.
 */
struct table {
    struct ea_cli_cmd cmd;
    struct ea_cli_opt *opts; /* owned, NULL-terminated */
    char **docs;             /* owned: the help of each generated row */
    size_t ndocs;
    struct shorthand *rows; /* owned: every collector's shorthands, in registry order */
    size_t nrows;
};

static void table_dispose(struct table *t)
{
    for (size_t i = 0; i < t->ndocs; i++) ea_free(t->docs[i]);
    ea_free(t->docs);
    ea_free(t->opts);
    ea_free(t->rows);
    memset(t, 0, sizeof(*t));
}

static const struct ea_shorthand *shorthands_of(const struct ea_collector *c)
{
    return EA_COLLECTOR_HAS(c, shorthands) ? c->shorthands : NULL;
}

static int table_build(struct table *t)
{
    const struct ea_collector *const *b = ea_registry_builtins();
    size_t n = 0, k = NOPTS;

    memset(t, 0, sizeof(*t));
    for (size_t i = 0; b[i]; i++)
        for (const struct ea_shorthand *s = shorthands_of(b[i]); s && s->flag; s++) n++;
    t->rows = ea_calloc(n ? n : 1, sizeof(*t->rows));
    t->docs = ea_calloc(n ? n : 1, sizeof(*t->docs));
    t->opts = ea_calloc(NOPTS + n + 1, sizeof(*t->opts));
    if (!t->rows || !t->docs || !t->opts) return ea_fail(EA_ENOMEM, "out of memory");
    memcpy(t->opts, opts, NOPTS * sizeof(*opts));
    for (size_t i = 0; b[i]; i++)
        for (const struct ea_shorthand *s = shorthands_of(b[i]); s && s->flag; s++)
            t->rows[t->nrows++] = (struct shorthand){b[i], s};
    for (size_t i = 0; i < t->nrows; i++) {
        const struct ea_shorthand *s = t->rows[i].s;
        char names[256] = "";
        size_t used = 0;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(t->rows[j].s->flag, s->flag) == 0;
        if (seen) continue;
        for (size_t j = i; j < t->nrows; j++) {
            int w;
            if (strcmp(t->rows[j].s->flag, s->flag) != 0) continue;
            w = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                         t->rows[j].c->name);
            if (w < 0 || (size_t)w >= sizeof(names) - used) break;
            used += (size_t)w;
        }
        if (!(t->docs[t->ndocs] = ea_asprintf("%s: %s", names, s->doc)))
            return ea_fail(EA_ENOMEM, "out of memory");
        t->opts[k++] = (struct ea_cli_opt){s->flag, s->value ? EA_CLI_FLAG : EA_CLI_VALUE,
                                           s->value ? NULL : s->metavar, t->docs[t->ndocs++]};
    }
    t->cmd = (struct ea_cli_cmd){
        .name = "collect",
        .usage = "[options] COLLECTOR[=ARG]...",
        .summary = "Runs collectors, turns each fact into a signed evidence record and stores it.",
        .opts = t->opts,
        .details = NULL, /* the collector list is printed by print_help() */
        .min_args = 1,
        .max_args = (size_t)-1,
    };
    return 0;
}

int ea_cmd_collect_doc(ea_cli_cmd_cb cb, void *payload)
{
    struct table t;
    int rc = table_build(&t);

    if (rc == 0) rc = cb(&t.cmd, payload);
    table_dispose(&t);
    return rc;
}

/* Whether row r's flag was given on the command line; *v gets the value it sets. */
static bool given(const struct ea_cli_args *a, const struct table *t, const struct shorthand *r,
                  const char **v)
{
    *v = r->s->value ? r->s->value : ea_cli_value(a, &t->cmd, r->s->flag);
    return r->s->value ? ea_cli_flag(a, &t->cmd, r->s->flag) : *v != NULL;
}

static void print_collector(const struct ea_collector *c)
{
    printf("  %-10s %s\n", c->name, c->summary);
    if (c->usage) printf("  %-10s %s=%s\n", "", c->name, c->usage);
    printf("  %-10s default controls:", "");
    for (const char *const *d = c->default_controls; d && *d; d++) printf(" %s", *d);
    printf("%s\n", c->default_controls && c->default_controls[0]
                       ? ""
                       : " by what the record holds (see the collector's README)");
    if (c->options && c->options[0].name) {
        printf("  %-10s options (--set %s.KEY=VALUE):\n", "", c->name);
        ea_options_help(stdout, c, 15);
    }
}

static void print_help(const struct ea_cli_cmd *cmd)
{
    size_t n;
    const struct ea_collector *const *plugins = ea_registry_plugins(&n);

    ea_cli_help(stdout, cmd);
    printf("\nCollectors:\n");
    for (const struct ea_collector *const *c = ea_registry_builtins(); *c; c++) print_collector(*c);
    if (n) printf("\nPlug-ins (--plugin):\n");
    for (size_t i = 0; i < n; i++) print_collector(plugins[i]);
    printf(
        "\nEvery input is checked before any collector runs: a missing file, a folder or a\n"
        "device where a file is needed is exit 2 with nothing stored. A collector that fails\n"
        "while running gets a record of kind custom with result error, and the others go on.\n"
        "\nOne line per record goes to stderr: id, kind, controls, result. With --output json\n"
        "stdout gets one object once the run ends (also when a collector failed or the gate\n"
        "failed): {\"store\", \"stream\", \"agent_id\", \"dry_run\", \"records\": [{\"id\",\n"
        "\"kind\", \"controls\", \"result\", \"collector\", \"sequence\"}], \"results\": "
        "{\"pass\",\n"
        "\"fail\", \"info\", \"error\"}, \"result\"} (result: the worst one; with --dry-run the\n"
        "envelopes are not printed and store is null). Exit status: 0 ok,\n"
        "1 runtime failure (a collector failed: its error record is stored), 2 usage,\n"
        "configuration or input error, 4 with --gate when a record's\n"
        "result is fail or error (the records are stored all the same).\n");
}

struct job {
    const struct ea_collector *c;
    char *arg;               /* owned; NULL when none */
    json_t *options;         /* owned: from --set */
    struct ea_instance inst; /* opened (init) before any job runs */
};

/*
 * --set COLLECTOR.KEY=VALUE: VALUE is text, typed by the collector's option
 * table (ea_options_check); a key given twice becomes a list. An unknown key
 * or a value of the wrong type is refused here, naming this --set.
 */
static int apply_set(struct job *jobs, size_t njobs, const char *text)
{
    const char *dot = strchr(text, '.');
    const char *eq = dot ? strchr(dot, '=') : NULL;
    char name[64], key[64];
    json_t *v, *old, *one, *checked = NULL;
    bool used = false;
    int rc;

    if (!dot || !eq || dot == text || eq == dot + 1 || (size_t)(dot - text) >= sizeof(name) ||
        (size_t)(eq - dot - 1) >= sizeof(key))
        return ea_fail(EA_EUSAGE, "--set '%s': use COLLECTOR.KEY=VALUE", text);
    snprintf(name, sizeof(name), "%.*s", (int)(dot - text), text);
    snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
    for (size_t i = 0; i < njobs; i++) {
        if (strcmp(jobs[i].c->name, name) != 0) continue;
        used = true;
        if (!(v = json_string(eq + 1)))
            return ea_fail(EA_EUSAGE, "--set %s.%s: the value is not valid UTF-8", name, key);
        one = json_pack("{s:O}", key, v);
        rc = one ? ea_options_check(&checked, jobs[i].c, one, NULL, 0)
                 : ea_fail(EA_ENOMEM, "out of memory");
        json_decref(one);
        json_decref(checked);
        if (rc < 0) {
            json_decref(v);
            ea_fail_prefix("--set %s", text);
            return rc;
        }
        old = json_object_get(jobs[i].options, key);
        if (old && !json_is_array(old)) {
            json_t *list = json_pack("[O]", old);
            if (!list || json_object_set_new(jobs[i].options, key, list) < 0) {
                json_decref(v);
                return ea_fail(EA_ENOMEM, "out of memory");
            }
            old = list;
        }
        if (old ? json_array_append_new(old, v) < 0
                : json_object_set_new(jobs[i].options, key, v) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    if (!used) return ea_fail(EA_EUSAGE, "--set %s: no collector '%s' in this run", text, name);
    return 0;
}

/* --output json: one object on stdout saying what the run stored, for the next step. */
static int print_made(json_t *made, const char *store_url, const char *stream, const char *agent)
{
    static const char *const order[] = {"pass", "info", "fail", "error"}; /* worst last */
    json_t *counts = json_pack("{s:i, s:i, s:i, s:i}", "pass", 0, "info", 0, "fail", 0, "error", 0);
    const char *worst = NULL;
    size_t i, w = 0;
    json_t *r, *doc;
    char *text;

    if (!counts) return ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(made, i, r) {
        const char *res = json_string_value(json_object_get(r, "result"));
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
            if (strcmp(res, order[k]) != 0) continue;
            json_object_set_new(counts, res,
                                json_integer(json_integer_value(json_object_get(counts, res)) + 1));
            if (!worst || k >= w) worst = order[w = k];
        }
    }
    doc = json_pack("{s:s?, s:s, s:s, s:b, s:O, s:o, s:s?}", "store", store_url, "stream", stream,
                    "agent_id", agent, "dry_run", store_url == NULL, "records", made, "results",
                    counts, "result", worst);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) return ea_fail(EA_ENOMEM, "out of memory");
    if (printf("%s\n", text) < 0) {
        free(text);
        return ea_fail(EA_EIO, "cannot write to standard output");
    }
    free(text);
    return 0;
}

int ea_cmd_collect(int argc, char **argv)
{
    struct ea_cli_args a;
    struct table t;
    struct ea_control_set extra;
    json_t *refs = NULL;
    struct ea_pipeline p;
    struct ea_pipeline_opts po;
    struct ea_store *store = NULL;
    struct ea_key *key = NULL;
    struct ea_redactor *redactor = NULL;
    struct ea_tsa *tsa = NULL;
    struct job *jobs = NULL;
    char agent_id[72];
    char stream[EA_STREAM_MAX + 1];
    const char *store_url;
    const char *const *list;
    size_t n;
    unsigned failed = 0;
    const char *output;
    json_t *made = NULL;
    bool dry;
    int rc;

    memset(&extra, 0, sizeof(extra));
    memset(&a, 0, sizeof(a));
    memset(&p, 0, sizeof(p));
    rc = table_build(&t);
    if (rc == 0) rc = ea_cli_parse(&a, &t.cmd, argc, argv);
    if (rc == 0 && a.version) {
        ea_cli_version(stdout);
    } else if (rc == 0 && a.help) { /* a plug-in given with --plugin is listed too */
        list = ea_cli_list(&a, &t.cmd, "plugin", &n);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if ((rc = ea_registry_load_plugin(list[i], NULL)) < 0) ea_fail_prefix("--plugin");
        if (rc == 0) print_help(&t.cmd);
    }
    if (rc < 0 || a.help || a.version) goto out;
    list = ea_cli_list(&a, &t.cmd, "control", &n);
    if (n && !(refs = json_array())) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = ea_framework_controls_add(&extra, refs, list[i]);
        if (rc < 0) {
            ea_fail_prefix("--control");
            goto out;
        }
    }
    list = ea_cli_list(&a, &t.cmd, "plugin", &n);
    for (size_t i = 0; i < n; i++) {
        if ((rc = ea_registry_load_plugin(list[i], NULL)) < 0) {
            ea_fail_prefix("--plugin");
            goto out;
        }
    }
    jobs = ea_calloc(a.npos, sizeof(*jobs));
    if (!jobs) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < a.npos; i++) {
        const char *eq = strchr(a.pos[i], '=');
        char *name = eq ? ea_strndup(a.pos[i], (size_t)(eq - a.pos[i])) : ea_strdup(a.pos[i]);
        if (!name) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        rc = ea_registry_find(&jobs[i].c, name);
        ea_free(name);
        if (rc < 0) goto out;
        if ((eq && !(jobs[i].arg = ea_strdup(eq + 1))) || !(jobs[i].options = json_object())) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < t.nrows; i++) {
        const struct shorthand *r = &t.rows[i];
        const char *v;
        char set[1100];
        bool used = false;
        if (!given(&a, &t, r, &v)) continue;
        /* a flag may serve several collectors (--repo): it goes to those in the run */
        for (size_t j = 0; j < t.nrows; j++) {
            if (strcmp(t.rows[j].s->flag, r->s->flag) != 0) continue;
            for (size_t k = 0; k < a.npos; k++) used |= jobs[k].c == t.rows[j].c;
        }
        if (!used) {
            rc = ea_fail(EA_EUSAGE,
                         "--%s applies to the %s collector, which this run does not "
                         "have (add %s)",
                         r->s->flag, r->c->name, r->c->name);
            goto out;
        }
        used = false;
        for (size_t k = 0; k < a.npos && !used; k++) used = jobs[k].c == r->c;
        if (!used) continue;
        snprintf(set, sizeof(set), "%s.%s=%.1000s", r->c->name, r->s->option, v);
        rc = apply_set(jobs, a.npos, set);
        if (rc < 0) {
            ea_fail_prefix("--%s", r->s->flag);
            goto out;
        }
    }
    list = ea_cli_list(&a, &t.cmd, "set", &n);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < t.nrows; k++) {
            const struct shorthand *r = &t.rows[k];
            size_t cl = strlen(r->c->name), ol = strlen(r->s->option);
            const char *v;
            if (strncmp(list[i], r->c->name, cl) != 0 || list[i][cl] != '.' ||
                strncmp(list[i] + cl + 1, r->s->option, ol) != 0 || list[i][cl + 1 + ol] != '=' ||
                !given(&a, &t, r, &v))
                continue;
            rc = ea_fail(EA_EUSAGE, "--set %s.%s and --%s both set %s.%s: give one of them",
                         r->c->name, r->s->option, r->s->flag, r->c->name, r->s->option);
            goto out;
        }
        rc = apply_set(jobs, a.npos, list[i]);
        if (rc < 0) goto out;
    }
    for (size_t i = 0; i < a.npos; i++) { /* a key given twice must be a list option */
        json_t *checked;
        char bad[64];
        rc = ea_options_check(&checked, jobs[i].c, jobs[i].options, bad, sizeof(bad));
        if (rc < 0) {
            ea_fail_prefix("--set %s.%s", jobs[i].c->name, bad);
            goto out;
        }
        json_decref(jobs[i].options);
        jobs[i].options = checked;
    }
    list = ea_cli_list(&a, &t.cmd, "redact-env", &n);
    rc = ea_config_redactor(&redactor, list, n);
    if (rc < 0) goto out;
    ea_log_set_redactor(redactor);
    rc = ea_config_signing_key(&key, ea_cli_value(&a, &t.cmd, "key"));
    if (rc < 0) goto out;
    rc = ea_config_agent_id(agent_id, sizeof(agent_id), ea_cli_value(&a, &t.cmd, "agent-id"));
    if (rc < 0) goto out;
    rc = ea_pipeline_stream_name(stream, sizeof(stream), agent_id, NULL);
    if (rc < 0) goto out;
    dry = ea_cli_flag(&a, &t.cmd, "dry-run");
    if ((output = ea_cli_value(&a, &t.cmd, "output")) && strcmp(output, "text") != 0) {
        if (strcmp(output, "json") != 0) {
            rc = ea_fail(EA_EUSAGE, "--output %s: use text or json", output);
            goto out;
        }
        if (!(made = json_array())) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    store_url = ea_config_store_url(ea_cli_value(&a, &t.cmd, "store"));
    list = ea_cli_list(&a, &t.cmd, "tsa", &n);
    if (n) {
        rc = ea_tsa_open(&tsa, list, n, ea_cli_value(&a, &t.cmd, "tsa-policy"));
        if (rc < 0) goto out;
    } else if (ea_cli_flag(&a, &t.cmd, "tsa-required") || ea_cli_value(&a, &t.cmd, "tsa-policy")) {
        rc = ea_fail(EA_EUSAGE, "--tsa-required and --tsa-policy need --tsa URL");
        goto out;
    }
    /* every input is checked (each collector's init) before any runs or anything is stored */
    rc = 0;
    for (size_t i = 0; i < a.npos; i++) {
        int orc = ea_instance_open(&jobs[i].inst, jobs[i].c, jobs[i].arg, jobs[i].options);
        if (orc == 0) continue;
        if (orc == EA_ENOMEM) {
            rc = orc;
            goto out;
        }
        if (rc == 0) rc = orc; /* the first one's code decides the exit status */
        ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", ea_error_message(orc));
        ea_error_clear();
        failed++;
    }
    if (rc < 0) {
        rc = ea_fail(rc, "%u of %zu input%s refused (named above); nothing was run or stored",
                     failed, a.npos, a.npos == 1 ? "" : "s");
        goto out;
    }
    if (!dry) {
        rc = ea_store_open(&store, store_url, EA_STORE_CREATE);
        if (rc < 0) goto out;
    }
    po = (struct ea_pipeline_opts){
        .key = key,
        .store = store,
        .dry_run_out = made ? NULL : stdout,
        .agent_id = agent_id,
        .stream = stream,
        .extra = &extra,
        .framework_refs = refs,
        .redactor = redactor,
        .made = made,
        .tsa = dry ? NULL : tsa,
        .tsa_required = ea_cli_flag(&a, &t.cmd, "tsa-required"),
    };
    ea_pipeline_init(&p, &po);
    for (size_t i = 0; i < a.npos; i++) {
        bool record_failed;
        char why[1024];
        rc = ea_pipeline_collect(&p, &jobs[i].inst, &record_failed);
        if (rc >= 0) continue;
        if (record_failed || rc == EA_ENOMEM) goto out; /* the pipeline itself: nothing more */
        /* the collector failed on its input: say it, record it, go on with the others */
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", why);
        if ((rc = ea_pipeline_error_record(&p, jobs[i].c, jobs[i].arg, why)) < 0) goto out;
        failed++;
    }
    if (dry)
        ea_log(EA_LOG_LEVEL_INFO, NULL, "dry run: %u record%s signed, nothing stored", p.records,
               p.records == 1 ? "" : "s");
    else
        ea_log(EA_LOG_LEVEL_INFO, NULL, "%u record%s stored in %s (stream %s)", p.records,
               p.records == 1 ? "" : "s", store_url, stream);
    if (tsa && !dry && p.unstamped)
        ea_log(EA_LOG_LEVEL_WARN, NULL,
               "%u of %u record%s stored without a timestamp (every TSA failed, named above; "
               "--tsa-required makes this an error)",
               p.unstamped, p.records, p.records == 1 ? "" : "s");
    else if (tsa && !dry)
        ea_log(EA_LOG_LEVEL_INFO, NULL, "%u record%s timestamped", p.stamped,
               p.stamped == 1 ? "" : "s");
    if (made && (rc = print_made(made, dry ? NULL : store_url, stream, agent_id)) < 0) goto out;
    rc = 0;
    if (failed)
        rc = ea_fail(EA_ERROR,
                     "%u of %zu collector%s failed (named above); %s error record%s %s kept "
                     "with the others",
                     failed, a.npos, a.npos == 1 ? "" : "s", failed == 1 ? "its" : "their",
                     failed == 1 ? "" : "s", failed == 1 ? "is" : "are");
    else if (ea_cli_flag(&a, &t.cmd, "gate") && (p.failed_results || p.error_results))
        rc = ea_fail(EA_EPOLICY, "gate: %u record%s failed and %u could not be judged (error); %s",
                     p.failed_results, p.failed_results == 1 ? "" : "s", p.error_results,
                     dry ? "nothing was stored (dry run)" : "the records are stored");
out:
    for (size_t i = 0; jobs && i < a.npos; i++) {
        ea_instance_close(&jobs[i].inst);
        ea_free(jobs[i].arg);
        json_decref(jobs[i].options);
    }
    ea_free(jobs);
    json_decref(refs);
    json_decref(made);
    ea_pipeline_dispose(&p);
    ea_tsa_close(tsa);
    ea_store_close(store);
    ea_key_free(key);
    ea_log_set_redactor(NULL);
    ea_redactor_free(redactor);
    ea_cli_args_dispose(&a);
    table_dispose(&t);
    return rc;
}
