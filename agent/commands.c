/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of commands: what main dispatches on and lists in --help, and
 * what docgen.c writes a man page for. Adding a command is one line here.
 */
#include "commands.h"

#include <stddef.h>

const struct ea_command ea_commands[] = {
    {"keygen", ea_cmd_keygen, ea_cmd_keygen_doc, "create an Ed25519 signing key pair"},
    {"collect", ea_cmd_collect, ea_cmd_collect_doc,
     "run collectors, sign their records and store them"},
    {"attest", ea_cmd_attest, ea_cmd_attest_doc,
     "sign a person's decision (access review, risk acceptance, ...)"},
    {"query", ea_cmd_query, ea_cmd_query_doc, "find evidence by control, period and kind"},
    {"verify", ea_cmd_verify, ea_cmd_verify_doc,
     "check signatures, IDs, schemas and completeness of a store"},
    {"checkpoint", ea_cmd_checkpoint, ea_cmd_checkpoint_doc,
     "write a signed checkpoint of every stream of a store"},
    {"report", ea_cmd_report, ea_cmd_report_doc,
     "the Statement of Applicability with live evidence per control"},
    {"export", ea_cmd_export, ea_cmd_export_doc,
     "write an audit pack: records, keys, report and manifest"},
    {"daemon", ea_cmd_daemon, ea_cmd_daemon_doc,
     "run as a sidecar: scheduled collectors, a spool, stores, HTTP"},
    {"controls", ea_cmd_controls, ea_cmd_controls_doc,
     "list or search the ISO/IEC 27001:2022 Annex A controls"},
    {NULL, NULL, NULL, NULL},
};

const char ea_program_summary[] =
    "Collects signed ISO/IEC 27001 evidence from CI/CD and lets auditors query and verify it.";

const char ea_exit_statuses[] = "0 ok, 1 runtime failure, 2 usage or configuration error,\n"
                                "3 verification failed, 4 policy gate failed.";
