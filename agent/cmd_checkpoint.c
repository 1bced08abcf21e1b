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
#include "util/error.h"
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
    {"pubkey", EA_CLI_LIST, "FILE",
     "also trust heads signed by this key (another agent writing the store; repeat)"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "checkpoint",
    .usage = "[--store URL] [--key FILE] [--agent-id ID] [--pubkey FILE]...",
    .summary = "Writes a signed checkpoint of every stream of the store, linked to the previous "
               "one.",
    .opts = opts,
    .details = "The checkpoint is checkpoints/<agent-id>/<sequence>.json; verify checks the "
               "chain\nand that no stream it states has vanished or shrunk since.\n"
               "A stream head is stated only when it verifies with the key (or a --pubkey),\n"
               "is not behind the previous checkpoint and names a record of the store that\n"
               "verifies; any other head is named on standard error and left out (the\n"
               "stream keeps the state the previous checkpoint gave it).\n"
               "Exit status: 0 written, 1 runtime failure, 2 usage error, 3 the agent's "
               "latest\ncheckpoint in the store does not verify with this key, or a head was "
               "left out\n(the checkpoint is written all the same).\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_checkpoint_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

int ea_cmd_checkpoint(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_key *key = NULL;
    struct ea_store *store = NULL;
    struct ea_key **trusted = NULL;
    char agent_id[72], written[EA_STORE_KEY_MAX];
    const char *url;
    const char *const *pubs;
    size_t npub, ntrusted = 0;
    unsigned skipped = 0;
    int rc;

    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    rc = ea_config_signing_key(&key, ea_cli_value(&a, &cmd, "key"));
    if (rc < 0) goto out;
    rc = ea_config_agent_id(agent_id, sizeof(agent_id), ea_cli_value(&a, &cmd, "agent-id"));
    if (rc < 0) goto out;
    pubs = ea_cli_list(&a, &cmd, "pubkey", &npub);
    if (npub) {
        rc = ea_config_public_keys(&trusted, pubs, npub);
        if (rc < 0) goto out;
        ntrusted = npub;
    }
    url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    rc = ea_store_open(&store, url, 0);
    if (rc < 0) goto out;
    rc = ea_checkpoint_write(store, key, trusted, ntrusted, agent_id, ea_time_now_us(), written,
                             &skipped);
    if (rc < 0) goto out;
    fprintf(stdout, "%s/%s\n", url, written);
    if (skipped)
        rc = ea_fail(EA_EVERIFY,
                     "%u stream head%s left out of the checkpoint (named above): run "
                     "'evidence-agent verify --store %s'",
                     skipped, skipped == 1 ? " was" : "s were", url);
out:
    ea_store_close(store);
    ea_config_keys_free(trusted, ntrusted);
    ea_key_free(key);
    ea_cli_args_dispose(&a);
    return rc;
}
