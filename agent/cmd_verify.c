/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify: proves a store authentic and complete (verify.c does the work).
 * Every object the store holds is judged: each record (every copy, under
 * every control) must carry a signature that verifies with one of the given
 * public keys, an ID equal to the SHA-256 of its payload and to its name, a
 * Statement valid against the schemas, and be filed where its own fields
 * say. Each stream must be continuous (sequences 1..N, each `previous` the
 * ID of the one before) and end where its signed head says. Each agent's
 * checkpoint chain must be signed and linked, and every stream a checkpoint
 * states must still hold the records it states. Links, special files and
 * files that are not part of a store are reported, never read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/time.h"
#include "timestamp.h"
#include "verify.h"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL",
     "store to verify (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"pubkey", EA_CLI_LIST, "FILE", "trusted public key (repeat for several); required"},
    {"control", EA_CLI_VALUE, "ID", "only the records of this control (skips stream continuity)"},
    {"since", EA_CLI_VALUE, "TIME",
     "only records from this time (RFC 3339 or YYYY-MM-DD): a job's window"},
    {"until", EA_CLI_VALUE, "TIME", "only records up to this time (a bare date: the whole day)"},
    {"stream", EA_CLI_VALUE, "NAME", "only the records of this stream (predicate.agent.stream)"},
    {"agent-id", EA_CLI_VALUE, "ID", "only the records of this agent (predicate.agent.id)"},
    {"checkpoint", EA_CLI_VALUE, "FILE",
     "a checkpoint saved at an earlier audit: the store must "
     "still hold it and every record it states"},
    {"save-checkpoint", EA_CLI_VALUE, "FILE",
     "when everything verified, save the latest "
     "checkpoints to FILE (for the next audit)"},
    {"sign-heads", EA_CLI_FLAG, NULL,
     "one-time migration: sign unsigned stream heads whose "
     "stream verified (needs --key)"},
    {"key", EA_CLI_VALUE, "FILE", "private key for --sign-heads (default $EVIDENCE_KEY)"},
    {"tsa-ca", EA_CLI_VALUE, "FILE",
     "the RFC 3161 TSA's CA certificates (PEM): every record needs a token that verifies, "
     "and its genTime is reported"},
    {"tsa-policy", EA_CLI_VALUE, "OID", "with --tsa-ca: every token carries this TSA policy"},
    {"max-skew", EA_CLI_VALUE, "DURATION",
     "with --tsa-ca: largest gap between collected_at and the token's genTime (default 5m)"},
    {"keys", EA_CLI_VALUE, "FILE",
     "key history (YAML or JSON): a record verifies only if its key was valid at its time"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "verify",
    .usage = "--pubkey FILE|--keys FILE [--store URL] [--control ID] [--since T] [--until T] "
             "[--stream NAME] [--agent-id ID] [--checkpoint FILE] [--save-checkpoint FILE] "
             "[--sign-heads --key FILE] [--tsa-ca FILE [--max-skew D] [--tsa-policy OID]]",
    .summary = "Checks signatures, record IDs, schemas, stream continuity, stream heads and "
               "checkpoints of a store.",
    .opts = opts,
    .details = "Prints each problem as 'FAIL <path>: <what>' on standard output and goes on\n"
               "through the whole store; a summary line (OK or FAILED, with the counts) ends\n"
               "standard output. Errors and warnings go to standard error.\n"
               "With --since, --until, --stream or --agent-id only what a job wrote is read:\n"
               "the records in the window (day folders outside it are not listed), every\n"
               "check of each, their streams' continuity inside the window and those\n"
               "streams' heads (a window without --until runs to now, so a head must end in\n"
               "it). --stream alone starts at the time in the stream's name; --agent-id alone\n"
               "reads every record (give --since too). A record in the window that fails a\n"
               "check is reported whatever stream it claims (its claim cannot be trusted).\n"
               "Checkpoint chains, streams without records in the window and stray files are\n"
               "whole-store checks: run verify without these options (an audit) for those.\n"
               "With --tsa-ca each record needs its RFC 3161 token (timestamps/<xx>/<id>.json):\n"
               "the token must be over the record's signature, for the nonce sent, signed by\n"
               "a TSA certificate valid at genTime that chains to --tsa-ca; a TIMESTAMP line\n"
               "reports each genTime, and a collected_at further than --max-skew from it fails.\n"
               "With --keys the key that signed a record must have been valid at its time:\n"
               "the token's genTime when it verified, else collected_at (the line says which);\n"
               "the keys file's keys are trusted like --pubkey ones.\n"
               "Exit status: 0 no problem, 3 any problem, 1 the store cannot be read, 2 usage "
               "error.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_verify_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

/*
 * A stream's records are no older than the second its name was made
 * ("<agent>[.<label>].<YYYYMMDDTHHMMSS>Z.<random>", ea_pipeline_stream_name):
 * --stream alone lists from there, not the whole history. INT64_MIN when the
 * name does not have that form.
 */
static int64_t stream_start(const char *stream)
{
    const char *end = strrchr(stream, '.'), *t;
    char text[32];
    int64_t us;

    if (!end || end - stream < 17) return INT64_MIN;
    t = end - 16;
    if (t[-1] != '.' || t[8] != 'T' || t[15] != 'Z') return INT64_MIN;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (t[i] < '0' || t[i] > '9')) return INT64_MIN;
    snprintf(text, sizeof(text), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", t, t + 4, t + 6, t + 9, t + 11,
             t + 13);
    if (ea_time_parse(&us, text, false) < 0) {
        ea_error_clear();
        return INT64_MIN;
    }
    return us;
}

int ea_cmd_verify(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_verify_opts o;
    struct ea_verify_result res;
    struct ea_control_set one;
    struct ea_key **keys = NULL;
    struct ea_verify_extra x;
    struct ea_key *sign_key = NULL;
    struct ea_store *store = NULL;
    const char *c, *save;
    char stamped[24];
    const char *const *pubs;
    size_t npub, nkeys = 0;
    int rc;

    memset(&o, 0, sizeof(o));
    memset(&res, 0, sizeof(res));
    memset(&one, 0, sizeof(one));
    memset(&x, 0, sizeof(x));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    pubs = ea_cli_list(&a, &cmd, "pubkey", &npub);
    if (npub == 0 && !ea_cli_value(&a, &cmd, "keys")) {
        rc = ea_fail(EA_EUSAGE, "verify: --pubkey FILE is required (the .pub file from keygen), "
                                "or --keys FILE (a key history)");
        goto out;
    }
    rc = ea_verify_extra_load(&x, ea_cli_value(&a, &cmd, "tsa-ca"),
                              ea_cli_value(&a, &cmd, "tsa-policy"),
                              ea_cli_value(&a, &cmd, "max-skew"), ea_cli_value(&a, &cmd, "keys"));
    if (rc < 0) goto out;
    o.tsa_trust = x.tsa_trust;
    o.tsa_policy = x.tsa_policy;
    o.max_skew_us = x.max_skew_us;
    o.history = x.history;
    o.report_times = x.tsa_trust != NULL;
    if ((c = ea_cli_value(&a, &cmd, "control"))) {
        rc = ea_controls_add(&one, c);
        if (rc < 0) goto out;
        if (one.n > 1) {
            rc = ea_fail(EA_EUSAGE, "--control %s maps to several 2022 controls; verify each", c);
            goto out;
        }
        o.control = one.ids[0];
    }
    save = ea_cli_value(&a, &cmd, "save-checkpoint");
    o.checkpoint_file = ea_cli_value(&a, &cmd, "checkpoint");
    if (o.control && (save || o.checkpoint_file || ea_cli_flag(&a, &cmd, "sign-heads"))) {
        rc = ea_fail(EA_EUSAGE, "--control checks records only: drop it to use --checkpoint, "
                                "--save-checkpoint or --sign-heads");
        goto out;
    }
    o.stream = ea_cli_value(&a, &cmd, "stream");
    o.agent_id = ea_cli_value(&a, &cmd, "agent-id");
    o.until_given = ea_cli_value(&a, &cmd, "until") != NULL;
    o.window = o.stream || o.agent_id || o.until_given || ea_cli_value(&a, &cmd, "since");
    rc = ea_config_period(&o.since_us, &o.until_us, ea_cli_value(&a, &cmd, "since"),
                          ea_cli_value(&a, &cmd, "until"), INT64_MAX);
    if (rc < 0) goto out;
    if (o.stream && !ea_cli_value(&a, &cmd, "since")) o.since_us = stream_start(o.stream);
    if (o.window && (save || o.checkpoint_file || ea_cli_flag(&a, &cmd, "sign-heads"))) {
        rc = ea_fail(EA_EUSAGE, "--since, --until, --stream and --agent-id check one job's "
                                "records: drop them to use --checkpoint, --save-checkpoint or "
                                "--sign-heads (whole-store checks)");
        goto out;
    }
    if (ea_cli_flag(&a, &cmd, "sign-heads")) {
        rc = ea_config_signing_key(&sign_key, ea_cli_value(&a, &cmd, "key"));
        if (rc < 0) goto out;
        o.sign_key = sign_key;
    }
    rc = ea_config_public_keys(&keys, pubs, npub);
    if (rc < 0) goto out;
    nkeys = npub;
    /* the --pubkey keys, then the history's (it says when each may sign) */
    if ((rc = ea_verify_extra_keys(&x, keys, nkeys)) < 0) goto out;
    o.keys = x.keys;
    o.nkeys = x.nkeys;
    o.out = stdout;
    o.store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    rc = ea_store_open(&store, o.store_url, 0);
    if (rc < 0) goto out;
    o.store = store;
    rc = ea_verify_store(&o, &res);
    if (rc < 0) goto out;
    fprintf(stdout,
            "%s %zu object%s, %zu record%s, %zu stream%s, %zu checkpoint%s%s%s%s: %u problem%s\n",
            res.problems ? "FAILED" : "OK", res.objects, res.objects == 1 ? "" : "s", res.records,
            res.records == 1 ? "" : "s", res.streams, res.streams == 1 ? "" : "s", res.checkpoints,
            res.checkpoints == 1 ? "" : "s", x.tsa_trust ? ", timestamps verified: " : "",
            x.tsa_trust ? (snprintf(stamped, sizeof(stamped), "%zu", res.timestamped), stamped)
                        : "",
            o.control  ? " (continuity not checked for one control)"
            : o.window ? " (a window: checkpoints and other streams not read)"
                       : "",
            res.problems, res.problems == 1 ? "" : "s");
    if (res.heads_signed)
        fprintf(stderr, "evidence-agent: signed %u stream head%s\n", res.heads_signed,
                res.heads_signed == 1 ? "" : "s");
    if (o.history && !o.tsa_trust)
        fprintf(stderr,
                "evidence-agent: warning: --keys without --tsa-ca judges each key at the "
                "record's collected_at, which whoever holds the key writes: a record signed "
                "after its key was revoked can claim an earlier time; give --tsa-ca\n");
    if (!o.control && !o.window && res.streams && res.checkpoints == 0)
        fprintf(stderr,
                "evidence-agent: warning: the store has %zu stream%s but no checkpoint, so a "
                "stream deleted whole (records and head) goes unseen: run 'evidence-agent "
                "checkpoint' (the daemon writes one every agent.checkpoint_interval)\n",
                res.streams, res.streams == 1 ? "" : "s");
    if (res.records == 0)
        fprintf(stderr, "evidence-agent: warning: the store holds no records%s%s%s\n",
                o.control ? " for " : "", o.control ? o.control : "",
                o.window ? " in the window" : "");
    if (save && !res.problems) {
        if (!res.latest) {
            rc = ea_fail(EA_EINPUT, "--save-checkpoint: the store has no checkpoint yet (run "
                                    "'evidence-agent checkpoint' first)");
            goto out;
        }
        rc = ea_fs_write_atomic(save, res.latest, res.latest_len, true);
        if (rc < 0) goto out;
        fprintf(stderr,
                "evidence-agent: latest checkpoints saved to %s: keep it for the next "
                "audit (verify --checkpoint %s)\n",
                save, save);
    } else if (save) {
        fprintf(stderr, "evidence-agent: %s not saved: the store did not verify\n", save);
    }
    if (res.problems)
        rc = ea_fail(EA_EVERIFY, "%u problem%s found in %s", res.problems,
                     res.problems == 1 ? "" : "s", o.store_url);
out:
    ea_verify_result_dispose(&res);
    ea_store_close(store);
    ea_key_free(sign_key);
    ea_config_keys_free(keys, nkeys);
    ea_verify_extra_dispose(&x);
    ea_cli_args_dispose(&a);
    return rc;
}
