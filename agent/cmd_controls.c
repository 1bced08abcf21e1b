/* SPDX-License-Identifier: Apache-2.0 */
/*
 * controls: lists the ISO/IEC 27001:2022 Annex A catalogue, or the controls
 * matching TEXT (an ID, a 2013 ID, a word of a title, or a theme); with
 * --frameworks the other frameworks it answers, with --framework F that
 * framework's requirements and the Annex A controls mapped to each, and with
 * --crosswalk what one Annex A control supports in every framework. Each
 * mapping is shown with its relationship and confidence as the reference
 * data gives them, never as an equivalence.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "commands.h"
#include "controls.h"
#include "frameworks.h"
#include "util/error.h"

static const struct ea_cli_opt opts[] = {
    {"framework", EA_CLI_VALUE, "F",
     "list F's requirements with the Annex A controls mapped to each (soc2, nis2, cra, 800-53, "
     "csf)"},
    {"frameworks", EA_CLI_FLAG, NULL, "list the frameworks answered from the Annex A store"},
    {"crosswalk", EA_CLI_FLAG, NULL,
     "with an Annex A ID: what that control supports in every framework (or in --framework F)"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "controls",
    .usage = "[TEXT] | --frameworks | --framework F [TEXT] | ID --crosswalk [--framework F]",
    .summary = "Lists the 93 ISO/IEC 27001:2022 Annex A controls, or those matching TEXT, and "
               "their crosswalks.",
    .opts = opts,
    .details = "TEXT matches an ID (A.8.32), a 2013 ID (A.12.1.2 shows what it maps to), a word\n"
               "of a title (change), or a theme (organizational, people, physical,\n"
               "technological). With --framework F, TEXT matches a requirement's ID, a word of\n"
               "its description or group, or an Annex A ID mapped to it. F is a name as the\n"
               "reference data writes it (soc2-tsc-2017, nis2, cra-annex-i, nist-800-53r5,\n"
               "nist-csf-2.0) or an alias (soc2, cra, 800-53, csf).\n"
               "Every mapping is shown with its relationship and confidence: 'related' means the\n"
               "source says the two correspond, not that one satisfies the other; 'low' rows are\n"
               "transitive hints. A mapping is guidance, not certification.\n"
               "Exit status 1 when nothing matches, 2 for an unknown framework or control.\n",
    .min_args = 0,
    .max_args = 1,
};

int ea_cmd_controls_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

static const char caveat[] =
    "# 'related': the source says the two correspond, not that one satisfies the other;\n"
    "# 'low' confidence rows are transitive hints. Guidance, not certification.\n";

static void print_control(const struct ea_control *c, void *payload)
{
    (void)payload;
    printf("%-7s %-14s %s\n", c->id, c->theme, c->title);
}

/* "related, medium confidence" and, for transitive rows, the chain they went through. */
static void print_strength(const struct ea_fw_map *m)
{
    printf("%s, %s confidence", m->relationship, m->confidence);
    if (m->via) printf(", transitive via %s", m->via);
}

static int list_frameworks(void)
{
    size_t n;
    const struct ea_framework *all = ea_frameworks_all(&n);

    if (!all) return ea_frameworks_init();
    printf("%-14s %-7s %6s %6s  %s\n", "framework", "alias", "reqs", "rows", "title");
    for (size_t k = 0; k < n; k++) {
        printf("%-14s %-7s %6zu %6zu  %s\n", all[k].name, all[k].alias ? all[k].alias : "-",
               all[k].nreqs, all[k].nmaps, all[k].title);
    }
    return 0;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay && *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0) return true;
    }
    return n == 0;
}

static bool requirement_matches(const struct ea_fw_requirement *r, const char *text)
{
    if (!text || !*text) return true;
    if (contains_ci(r->id, text) || contains_ci(r->description, text) ||
        contains_ci(r->group, text))
        return true;
    for (size_t i = 0; i < r->nmaps; i++) {
        if (strcasecmp(r->maps[i].control->id, text) == 0 ||
            strcasecmp(r->maps[i].control->id + 2, text) == 0)
            return true;
    }
    return false;
}

static int list_framework(const char *name, const char *text)
{
    const struct ea_framework *f;
    size_t hits = 0;
    int rc = ea_framework_lookup(&f, name);

    if (rc < 0) return rc;
    for (size_t i = 0; i < f->nreqs; i++) {
        const struct ea_fw_requirement *r = &f->reqs[i];
        if (!requirement_matches(r, text)) continue;
        if (hits++ == 0) printf("# %s: %s\n%s", f->name, f->title, caveat);
        printf("%-10s %s\n", r->id, r->description);
        if (r->nmaps == 0) printf("           (no Annex A control mapped in the reference data)\n");
        for (size_t k = 0; k < r->nmaps; k++) {
            printf("           %-7s ", r->maps[k].control->id);
            print_strength(&r->maps[k]);
            printf(": %s\n", r->maps[k].control->title);
        }
    }
    if (hits == 0 && strpbrk(text, "0123456789")) {
        const struct ea_fw_requirement *r;
        return ea_framework_requirement_lookup(&r, f, text); /* an ID: exit 2, the nearest */
    }
    if (hits == 0)
        return ea_fail(EA_ENOTFOUND,
                       "no requirement of %s matches '%s' (run 'evidence-agent controls "
                       "--framework %s' for all)",
                       f->name, text, f->alias ? f->alias : f->name);
    return 0;
}

static int crosswalk(const char *text, const char *only)
{
    struct ea_control_set set;
    const struct ea_framework *all, *one = NULL;
    size_t n;
    int rc;

    memset(&set, 0, sizeof(set));
    if (!text)
        return ea_fail(EA_EUSAGE, "--crosswalk needs an Annex A ID (evidence-agent controls "
                                  "A.8.32 --crosswalk)");
    rc = ea_controls_add(&set, text);
    if (rc == 0 && only) rc = ea_framework_lookup(&one, only);
    if (rc < 0) return rc;
    all = ea_frameworks_all(&n);
    if (!all) return ea_frameworks_init();
    fputs(caveat, stdout);
    for (size_t c = 0; c < set.n; c++) {
        const struct ea_control *ctl = ea_controls_find(set.ids[c]);
        printf("%s %s\n", ctl->id, ctl->title);
        for (size_t k = 0; k < n; k++) {
            const struct ea_framework *f = &all[k];
            size_t hits = 0;
            if (one && one != f) continue;
            printf("  %s (%s)\n", f->name, f->title);
            for (size_t i = 0; i < f->nreqs; i++) {
                for (size_t m = 0; m < f->reqs[i].nmaps; m++) {
                    if (f->reqs[i].maps[m].control != ctl) continue;
                    hits++;
                    printf("    %-10s ", f->reqs[i].id);
                    print_strength(&f->reqs[i].maps[m]);
                    printf(": %s\n", f->reqs[i].description);
                }
            }
            if (hits == 0) printf("    (none in the reference data)\n");
        }
    }
    return 0;
}

int ea_cmd_controls(int argc, char **argv)
{
    struct ea_cli_args a;
    const char *text, *framework;
    int rc;

    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    rc = ea_controls_init();
    if (rc < 0) goto out;
    text = a.npos ? a.pos[0] : NULL;
    framework = ea_cli_value(&a, &cmd, "framework");
    if (ea_cli_flag(&a, &cmd, "frameworks")) {
        rc = text || framework || ea_cli_flag(&a, &cmd, "crosswalk")
                 ? ea_fail(EA_EUSAGE, "--frameworks takes no other argument")
                 : list_frameworks();
    } else if (ea_cli_flag(&a, &cmd, "crosswalk")) {
        rc = crosswalk(text, framework);
    } else if (framework) {
        rc = list_framework(framework, text);
    } else if (ea_controls_search(text, print_control, NULL) == 0) {
        rc = ea_fail(EA_ENOTFOUND,
                     "no control matches '%s' (run 'evidence-agent controls' for all)", text);
    }
out:
    ea_cli_args_dispose(&a);
    return rc;
}
