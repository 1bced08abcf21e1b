/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checkpoint: writes the next checkpoint of this agent's chain to a store,
 * on demand (the daemon also writes one every agent.checkpoint_interval and
 * when it stops). A checkpoint states every stream of the store (sequence
 * and last record ID, from its signed head), links to the agent's previous
 * checkpoint by digest and is signed with the agent's key; see integrity.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "integrity.h"
#include "util/time.h"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL",
     "store to checkpoint (default $EVIDENCE_STORE, else "
     "./evidence-store)"},
    {"key", EA_CLI_VALUE, "FILE", "private key (default $EVIDENCE_KEY or $EVIDENCE_KEY_PEM)"},
    {"agent-id", EA_CLI_VALUE, "ID",
     "names the chain (default $EVIDENCE_AGENT_ID, else the host "
     "name)"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "checkpoint",
    .usage = "[--store URL] [--key FILE] [--agent-id ID]",
    .summary = "Writes a signed checkpoint of every stream of the store, linked to the previous "
               "one.",
    .opts = opts,
    .details = "The checkpoint is checkpoints/<agent-id>/<sequence>.json; verify checks the "
               "chain\nand that no stream it states has vanished or shrunk since.\n"
               "Exit status: 0 written, 1 runtime failure, 2 usage error, 3 the agent's "
               "latest\ncheckpoint in the store does not verify with this key.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_checkpoint(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_key *key = NULL;
    struct ea_store *store = NULL;
    char agent_id[72], written[EA_STORE_KEY_MAX];
    const char *url;
    int rc;

    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || a.help) {
        if (a.help) ea_cli_help(stdout, &cmd);
        goto out;
    }
    rc = ea_config_signing_key(&key, ea_cli_value(&a, &cmd, "key"));
    if (rc < 0) goto out;
    rc = ea_config_agent_id(agent_id, sizeof(agent_id), ea_cli_value(&a, &cmd, "agent-id"));
    if (rc < 0) goto out;
    url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    rc = ea_store_open(&store, url, 0);
    if (rc < 0) goto out;
    rc = ea_checkpoint_write(store, key, agent_id, ea_time_now_us(), written);
    if (rc < 0) goto out;
    fprintf(stdout, "%s/%s\n", url, written);
out:
    ea_store_close(store);
    ea_key_free(key);
    ea_cli_args_dispose(&a);
    return rc;
}
