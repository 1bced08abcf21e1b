/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands, one file each (cmd_<verb>.c). Each parses its own option
 * table, calls modules and prints results; each returns 0 or a negative
 * EA_E* code with the message set, and main turns that into the exit status.
 * argv[0] is the command's name.
 */
#ifndef EA_COMMANDS_H
#define EA_COMMANDS_H

int ea_cmd_keygen(int argc, char **argv);
int ea_cmd_collect(int argc, char **argv);
int ea_cmd_query(int argc, char **argv);
int ea_cmd_verify(int argc, char **argv);
int ea_cmd_checkpoint(int argc, char **argv);
int ea_cmd_controls(int argc, char **argv);
int ea_cmd_report(int argc, char **argv);
int ea_cmd_export(int argc, char **argv);
int ea_cmd_daemon(int argc, char **argv);

#endif
