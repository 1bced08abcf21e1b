/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands, one file each (cmd_<verb>.c). Each parses its own option
 * table, calls modules and prints results; each returns 0 or a negative
 * EA_E* code with the message set, and main turns that into the exit status.
 * argv[0] is the command's name. Each also hands its option table to a
 * callback (ea_cmd_<verb>_doc), so the man pages and the bash completion
 * (docgen.c) come from the very table --help renders.
 */
#ifndef EA_COMMANDS_H
#define EA_COMMANDS_H

#include "cli.h"

int ea_cmd_keygen(int argc, char **argv);
int ea_cmd_collect(int argc, char **argv);
int ea_cmd_attest(int argc, char **argv);
int ea_cmd_query(int argc, char **argv);
int ea_cmd_verify(int argc, char **argv);
int ea_cmd_checkpoint(int argc, char **argv);
int ea_cmd_controls(int argc, char **argv);
int ea_cmd_report(int argc, char **argv);
int ea_cmd_export(int argc, char **argv);
int ea_cmd_daemon(int argc, char **argv);

/* Each calls cb once with the command's option table (collect's is built from the collectors'). */
int ea_cmd_keygen_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_collect_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_attest_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_query_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_verify_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_checkpoint_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_controls_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_report_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_export_doc(ea_cli_cmd_cb cb, void *payload);
int ea_cmd_daemon_doc(ea_cli_cmd_cb cb, void *payload);

/** One command of the program, in the order `evidence-agent --help` lists them. */
struct ea_command {
    const char *name;                            /* "collect" */
    int (*run)(int argc, char **argv);           /* ea_cmd_collect */
    int (*doc)(ea_cli_cmd_cb cb, void *payload); /* ea_cmd_collect_doc */
    const char *summary;                         /* one line, lower case, no full stop */
};

/** Every command, {NULL}-terminated. */
extern const struct ea_command ea_commands[];
/** What the program is for, one sentence (its --help and its man page). */
extern const char ea_program_summary[];
/** The exit statuses, one sentence per line (its --help and every man page). */
extern const char ea_exit_statuses[];

#endif
