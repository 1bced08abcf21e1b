/* SPDX-License-Identifier: Apache-2.0 */
/*
 * controls: lists the ISO/IEC 27001:2022 Annex A catalogue, or the controls
 * matching TEXT (an ID, a 2013 ID, a word of a title, or a theme).
 */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "controls.h"
#include "util/error.h"

static const struct ea_cli_opt opts[] = {
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "controls",
    .usage = "[TEXT]",
    .summary = "Lists the 93 ISO/IEC 27001:2022 Annex A controls, or those matching TEXT.",
    .opts = opts,
    .details = "TEXT matches an ID (A.8.32), a 2013 ID (A.12.1.2 shows what it maps to), a word\n"
               "of a title (change), or a theme (organizational, people, physical,\n"
               "technological). Exit status 1 when nothing matches.\n",
    .min_args = 0,
    .max_args = 1,
};

static void print_control(const struct ea_control *c, void *payload)
{
    (void)payload;
    printf("%-7s %-14s %s\n", c->id, c->theme, c->title);
}

int ea_cmd_controls(int argc, char **argv)
{
    struct ea_cli_args a;
    const char *text;
    int rc;

    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || a.help) {
        if (a.help) ea_cli_help(stdout, &cmd);
        goto out;
    }
    rc = ea_controls_init();
    if (rc < 0) goto out;
    text = a.npos ? a.pos[0] : NULL;
    if (ea_controls_search(text, print_control, NULL) == 0)
        rc = ea_fail(EA_ENOTFOUND, "no control matches '%s' (run 'evidence-agent controls' for all)",
                     text);
out:
    ea_cli_args_dispose(&a);
    return rc;
}
