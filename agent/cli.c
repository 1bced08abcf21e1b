/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Option-table parser: --name VALUE, --name=VALUE, flags, repeatable
 * options, "--" to end options, -h/--help and -V/--version anywhere. Unknown flags get the
 * nearest valid name as a suggestion.
 */
#include "cli.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <evidence/version.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

/* The slot of the option called name, or NULL: the table has none or parsing stopped early. */
static const struct ea_cli_slot *slot_of(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd,
                                         const char *name)
{
    for (size_t i = 0; cmd->opts[i].name && i < a->nslot; i++) {
        if (strcmp(cmd->opts[i].name, name) == 0) return &a->slot[i];
    }
    return NULL;
}

const char *ea_cli_value(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd,
                         const char *name)
{
    const struct ea_cli_slot *s = slot_of(a, cmd, name);
    return s ? s->value : NULL;
}

const char *const *ea_cli_list(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd,
                               const char *name, size_t *n)
{
    const struct ea_cli_slot *s = slot_of(a, cmd, name);

    *n = s ? s->nlist : 0;
    return *n ? s->list : NULL;
}

bool ea_cli_flag(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd, const char *name)
{
    const struct ea_cli_slot *s = slot_of(a, cmd, name);
    return s && s->set;
}

static int push(const char ***list, size_t *n, const char *v)
{
    const char **nl = ea_realloc(*list, (*n + 1) * sizeof(**list));

    if (!nl) return ea_fail(EA_ENOMEM, "out of memory");
    nl[(*n)++] = v;
    *list = nl;
    return 0;
}

static int unknown_flag(const struct ea_cli_cmd *cmd, const char *flag)
{
    const char *best = NULL;
    size_t best_d = 99;
    char name[64];
    size_t n = strcspn(flag, "=");

    snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), flag);
    for (size_t i = 0; cmd->opts[i].name; i++) { /* --json where --format json is meant */
        const char *h = cmd->opts[i].help, *at;
        size_t len = strlen(name);
        if (cmd->opts[i].kind != EA_CLI_VALUE || !len ||
            (strcmp(cmd->opts[i].name, "format") != 0 && strcmp(cmd->opts[i].name, "output") != 0))
            continue;
        for (at = strstr(h, name); at; at = strstr(at + 1, name)) {
            bool starts = at == h || !isalnum((unsigned char)at[-1]);
            bool ends = !isalnum((unsigned char)at[len]);
            if (starts && ends)
                return ea_fail(EA_EUSAGE,
                               "%s: unknown option '--%s' (did you mean '--%s %s'? see '%s "
                               "--help')",
                               cmd->name, name, cmd->opts[i].name, name, cmd->name);
        }
    }
    if (strcasecmp(name, "json") == 0) { /* no --format json: what prints JSON, else say so */
        for (size_t i = 0; cmd->opts[i].name; i++) {
            const char *h = cmd->opts[i].help;
            if (cmd->opts[i].kind == EA_CLI_FLAG && h && strstr(h, "JSON"))
                return ea_fail(EA_EUSAGE,
                               "%s: unknown option '--%s' (did you mean '--%s'? it does this: %s; "
                               "see '%s --help')",
                               cmd->name, name, cmd->opts[i].name, h, cmd->name);
        }
        return ea_fail(EA_EUSAGE,
                       "%s: unknown option '--%s' (%s has no JSON output switch; see "
                       "'evidence-agent %s --help')",
                       cmd->name, name, cmd->name, cmd->name);
    }
    for (size_t i = 0; cmd->opts[i].name; i++) {
        size_t d = ea_text_distance(name, cmd->opts[i].name);
        if (d < best_d) {
            best_d = d;
            best = cmd->opts[i].name;
        }
    }
    if (best && best_d <= 3)
        return ea_fail(EA_EUSAGE,
                       "%s: unknown option '--%s' (did you mean '--%s'? see '%s --help')",
                       cmd->name, name, best, cmd->name);
    return ea_fail(EA_EUSAGE, "%s: unknown option '--%s' (see 'evidence-agent %s --help')",
                   cmd->name, name, cmd->name);
}

int ea_cli_parse(struct ea_cli_args *a, const struct ea_cli_cmd *cmd, int argc, char **argv)
{
    bool options_done = false;
    int rc;

    memset(a, 0, sizeof(*a));
    while (cmd->opts[a->nslot].name) a->nslot++;
    a->slot = ea_calloc(a->nslot ? a->nslot : 1, sizeof(*a->slot));
    if (!a->slot) {
        a->nslot = 0;
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            rc = push(&a->pos, &a->npos, arg);
            if (rc < 0) return rc;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            a->help = true;
            continue;
        }
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            a->version = true;
            continue;
        }
        if (arg[1] != '-')
            return ea_fail(EA_EUSAGE, "%s: unknown option '%s' (options are long: see '%s --help')",
                           cmd->name, arg, cmd->name);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        size_t k;
        for (k = 0; cmd->opts[k].name; k++) {
            if (strlen(cmd->opts[k].name) == len && strncmp(cmd->opts[k].name, name, len) == 0)
                break;
        }
        if (!cmd->opts[k].name) return unknown_flag(cmd, name);
        const struct ea_cli_opt *o = &cmd->opts[k];
        const char *value = NULL;
        if (o->kind == EA_CLI_FLAG) {
            if (eq) return ea_fail(EA_EUSAGE, "%s: --%s takes no value", cmd->name, o->name);
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return ea_fail(EA_EUSAGE, "%s: --%s needs a value (%s)", cmd->name, o->name,
                           o->metavar);
        }
        a->slot[k].set = true;
        if (o->kind == EA_CLI_VALUE) a->slot[k].value = value;
        if (o->kind == EA_CLI_LIST) {
            rc = push(&a->slot[k].list, &a->slot[k].nlist, value);
            if (rc < 0) return rc;
        }
    }
    if (a->help || a->version) return 0;
    if (a->npos < cmd->min_args)
        return ea_fail(EA_EUSAGE, "%s: missing argument (usage: evidence-agent %s %s)", cmd->name,
                       cmd->name, cmd->usage);
    if (a->npos > cmd->max_args)
        return ea_fail(EA_EUSAGE, "%s: unexpected argument '%s' (usage: evidence-agent %s %s)",
                       cmd->name, a->pos[cmd->max_args], cmd->name, cmd->usage);
    return 0;
}

void ea_cli_args_dispose(struct ea_cli_args *a)
{
    for (size_t i = 0; a->slot && i < a->nslot; i++) ea_free(a->slot[i].list);
    ea_free(a->slot);
    ea_free(a->pos);
    memset(a, 0, sizeof(*a));
}

void ea_cli_help(FILE *f, const struct ea_cli_cmd *cmd)
{
    fprintf(f, "Usage: evidence-agent %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->opts[0].name) fprintf(f, "\nOptions:\n");
    for (size_t i = 0; cmd->opts[i].name; i++) {
        const struct ea_cli_opt *o = &cmd->opts[i];
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "", o->kind == EA_CLI_LIST ? "..." : "");
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "show this help and exit");
    fprintf(f, "  %-24s %s\n", "-V, --version", "print the version and exit");
    if (cmd->details) fprintf(f, "\n%s", cmd->details);
}

void ea_cli_version(FILE *f)
{
    fprintf(f, "evidence-agent %s (collector ABI %d)\n", EA_VERSION, EA_COLLECTOR_ABI);
}

bool ea_cli_answer(FILE *f, const struct ea_cli_args *a, const struct ea_cli_cmd *cmd)
{
    if (a->version) {
        ea_cli_version(f);
        return true;
    }
    if (a->help) ea_cli_help(f, cmd);
    return a->help;
}
