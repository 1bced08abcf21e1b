/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evidence-agent: argv[1] selects a command; global set-up and tear-down;
 * the command's code becomes the exit status (DESIGN.md: 0 ok, 1 runtime
 * failure, 2 usage or configuration, 3 verification failed, 4 policy gate).
 * Nothing else happens here.
 */
#include <stdio.h>
#include <string.h>

#include <evidence/version.h>

#include "commands.h"
#include "controls.h"
#include "util/error.h"
#include "log.h"
#include "util/mem.h"
#include "util/text.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"keygen", ea_cmd_keygen, "create an Ed25519 signing key pair"},
    {"collect", ea_cmd_collect, "run collectors, sign their records and store them"},
    {"query", ea_cmd_query, "find evidence by control, period and kind"},
    {"verify", ea_cmd_verify, "check signatures, IDs, schemas and completeness of a store"},
    {"checkpoint", ea_cmd_checkpoint, "write a signed checkpoint of every stream of a store"},
    {"report", ea_cmd_report, "the Statement of Applicability with live evidence per control"},
    {"export", ea_cmd_export, "write an audit pack: records, keys, report and manifest"},
    {"daemon", ea_cmd_daemon, "run as a sidecar: scheduled collectors, a spool, stores, HTTP"},
    {"controls", ea_cmd_controls, "list or search the ISO/IEC 27001:2022 Annex A controls"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: evidence-agent COMMAND [options]\n\n"
               "Collects signed ISO/IEC 27001 evidence from CI/CD and lets auditors query and "
               "verify it.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'evidence-agent COMMAND --help' for a command's options, 'evidence-agent -V'\n"
               "(or --version) for the version.\n"
               "Exit status: 0 ok, 1 runtime failure, 2 usage or configuration error,\n"
               "3 verification failed, 4 policy gate failed.\n");
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
        printf("evidence-agent %s (collector ABI %d)\n", EA_VERSION, EA_COLLECTOR_ABI);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        rc = commands[i].run(argc - 1, argv + 1);
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
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
            size_t d = ea_text_distance(argv[1], commands[i].name);
            if (d < best_d) {
                best_d = d;
                best = commands[i].name;
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
