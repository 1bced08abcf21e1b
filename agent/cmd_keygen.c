/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keygen: writes a new Ed25519 key pair. The private key is PKCS#8 PEM with
 * mode 0600 and is never written over unless --force; the public key is SPKI
 * PEM. Both are readable by `openssl pkey`.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "util/error.h"
#include "keys.h"

static const struct ea_cli_opt opts[] = {
    {"private", EA_CLI_VALUE, "FILE", "where to write the private key (PKCS#8 PEM, mode 0600)"},
    {"public", EA_CLI_VALUE, "FILE", "where to write the public key (SPKI PEM)"},
    {"force", EA_CLI_FLAG, NULL, "replace existing files"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "keygen",
    .usage = "--private FILE --public FILE [--force]",
    .summary = "Creates an Ed25519 key pair for signing evidence records.",
    .opts = opts,
    .details = "Keep the private key secret (a CI secret: pass its contents in EVIDENCE_KEY_PEM).\n"
               "Give the public key to whoever verifies: evidence-agent verify --pubkey FILE.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_keygen_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

int ea_cmd_keygen(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_key *key = NULL;
    const char *priv, *pub;
    bool force;
    int rc;

    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    priv = ea_cli_value(&a, &cmd, "private");
    pub = ea_cli_value(&a, &cmd, "public");
    force = ea_cli_flag(&a, &cmd, "force");
    if (!priv || !pub) {
        rc = ea_fail(EA_EUSAGE, "keygen: --private FILE and --public FILE are both required");
        goto out;
    }
    rc = ea_key_generate(&key);
    if (rc < 0) goto out;
    rc = ea_key_write_private(key, priv, force);
    if (rc < 0) goto out;
    rc = ea_key_write_public(key, pub, force);
    if (rc < 0) {
        if (!force) unlink(priv); /* no half-made pair: the private key we just created goes */
        goto out;
    }
    fprintf(stderr, "evidence-agent: wrote private key %s and public key %s (key ID %s)\n", priv,
            pub, ea_key_id(key));
out:
    ea_key_free(key);
    ea_cli_args_dispose(&a);
    return rc;
}
