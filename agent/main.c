/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evidence-agent: argv[1] selects a command; global set-up and tear-down;
 * the command's code becomes the exit status (DESIGN.md: 0 ok, 1 runtime
 * failure, 2 usage or configuration, 3 verification failed, 4 policy gate).
 * Nothing else happens here.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "controls.h"
#include "util/error.h"
#include "log.h"
#include "util/mem.h"
#include "util/text.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: evidence-agent COMMAND [options]\n\n%s\n\nCommands:\n", ea_program_summary);
    for (const struct ea_command *c = ea_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f,
            "\nRun 'evidence-agent COMMAND --help' for a command's options, 'evidence-agent -V'\n"
            "(or --version) for the version.\n"
            "Exit status: %s\n",
            ea_exit_statuses);
}

int main(int argc, char **argv)
{
    int rc;

    ea_mem_init();
    rc = ea_controls_init();
    if (rc < 0) {
        ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", ea_error_message(rc));
        return ea_exit_status(rc);
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
        strcmp(argv[1], "version") == 0) {
        ea_cli_version(stdout);
        return 0;
    }
    for (const struct ea_command *c = ea_commands; c->name; c++) {
        if (strcmp(argv[1], c->name) != 0) continue;
        rc = c->run(argc - 1, argv + 1);
        if (rc < 0) ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", ea_error_message(rc));
        if (fflush(stdout) != 0 && rc >= 0) {
            ea_log(EA_LOG_LEVEL_ERROR, NULL, "cannot write to standard output");
            return 1;
        }
        return ea_exit_status(rc);
    }
    {
        const char *best = NULL;
        size_t best_d = EA_TEXT_FAR;
        for (const struct ea_command *c = ea_commands; c->name; c++) {
            size_t d = ea_text_distance(argv[1], c->name);
            if (d < best_d) {
                best_d = d;
                best = c->name;
            }
        }
        if (best && best_d <= 2)
            fprintf(stderr,
                    "evidence-agent: error: '%s' is not a command (did you mean '%s'? run "
                    "'evidence-agent --help')\n",
                    argv[1], best);
        else
            fprintf(stderr,
                    "evidence-agent: error: '%s' is not a command (run 'evidence-agent --help')\n",
                    argv[1]);
    }
    return 2;
}
