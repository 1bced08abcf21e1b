/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line parsing from option tables. One table per command drives
 * parsing, --help, "did you mean" for unknown flags, and the man pages and
 * bash completion (docgen.c), so what --help says is what the parser accepts
 * and what the manual documents. Values point into argv (borrowed).
 */
#ifndef EA_CLI_H
#define EA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum ea_cli_kind {
    EA_CLI_FLAG,  /* --dry-run */
    EA_CLI_VALUE, /* --store URL (last one wins) */
    EA_CLI_LIST,  /* --control ID, repeatable */
};

struct ea_cli_opt {
    const char *name; /* long name without dashes; NULL ends the table */
    enum ea_cli_kind kind;
    const char *metavar; /* "URL"; NULL for flags */
    const char *help;    /* one line */
};

struct ea_cli_cmd {
    const char *name;    /* "collect" */
    const char *usage;   /* "[options] COLLECTOR[=ARG]..." */
    const char *summary; /* one line */
    const struct ea_cli_opt *opts;
    const char *details;       /* text after the options, may be NULL */
    size_t min_args, max_args; /* positional bounds; max_args 0 = none allowed, SIZE_MAX = any */
};

/* What the command line gave for one option of the table (same index). */
struct ea_cli_slot {
    bool set;
    const char *value; /* EA_CLI_VALUE: borrowed from argv (last one wins) */
    const char **list; /* EA_CLI_LIST: owned array of borrowed strings */
    size_t nlist;
};

/*
 * Sized by the table at parse time, so a table may grow (collect's shorthand
 * flags come from the collectors) without a fixed bound to overflow. Read it
 * through ea_cli_value/ea_cli_list/ea_cli_flag: they answer "not given" for a
 * name the table does not have instead of handing out an index.
 */
struct ea_cli_args {
    bool help;                /* -h or --help */
    bool version;             /* -V or --version */
    struct ea_cli_slot *slot; /* owned: one per option of the table */
    size_t nslot;
    const char **pos; /* owned array of borrowed strings */
    size_t npos;
};

/**
 * Parses argv[1..argc) (argv[0] is the command name).
 * @param out caller's storage; dispose with ea_cli_args_dispose, also on error.
 * @return 0, EA_EUSAGE naming the bad flag and the nearest valid one, or EA_ENOMEM.
 */
int ea_cli_parse(struct ea_cli_args *out, const struct ea_cli_cmd *cmd, int argc, char **argv);
void ea_cli_args_dispose(struct ea_cli_args *a);
/**
 * The values of a LIST option (borrowed, *n of them), or NULL with *n = 0 when
 * it was not given or cmd's table has no such option.
 */
const char *const *ea_cli_list(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd,
                               const char *name, size_t *n);
/** Value of a VALUE option, or NULL when not given or cmd's table has no such option. */
const char *ea_cli_value(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd,
                         const char *name);
/** Whether the option was given; false for a name cmd's table does not have. */
bool ea_cli_flag(const struct ea_cli_args *a, const struct ea_cli_cmd *cmd, const char *name);
/** Writes the --help text of cmd. */
void ea_cli_help(FILE *f, const struct ea_cli_cmd *cmd);
/** Writes "evidence-agent VERSION (collector ABI N)" and a newline. */
void ea_cli_version(FILE *f);
/**
 * What every command does after parsing: when -V/--version or -h/--help was
 * given, writes the version or cmd's help to f and says so.
 * @return true when it answered (the command then exits 0).
 */
bool ea_cli_answer(FILE *f, const struct ea_cli_args *a, const struct ea_cli_cmd *cmd);

/** Receives a command's option table (borrowed for the call). @return 0 or a negative code. */
typedef int (*ea_cli_cmd_cb)(const struct ea_cli_cmd *cmd, void *payload);

#endif
