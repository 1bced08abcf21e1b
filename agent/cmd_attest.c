/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest: a person's decision as a signed `attestation` record (attest.h).
 * Everything is checked before anything is written (kind, controls, expiry,
 * who, the file, the key, the store), so a mistake leaves nothing behind.
 * The record goes through the pipeline `collect` uses (normalise, redact,
 * controls, serialise once, sign, store, stream head), in a stream of its
 * own. With --attach the file is stored first as a content-addressed blob,
 * in the same commit as the record, so no record names a blob the store
 * lacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "frameworks.h"
#include "log.h"
#include "pipeline.h"
#include "store/store.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/redact.h"
#include "util/time.h"

static const struct ea_cli_opt opts[] = {
    {"kind", EA_CLI_VALUE, "KIND",
     "what is attested: access_review, risk_acceptance, restore_test, policy_review, "
     "management_review or other (required)"},
    {"control", EA_CLI_LIST, "ID",
     "an Annex A control the attestation is evidence for; repeat it (required; 2013 IDs are "
     "mapped, FRAMEWORK:ID such as soc2:CC6.2 adds the controls mapped to it)"},
    {"statement", EA_CLI_VALUE, "TEXT", "what the person attests, in words"},
    {"file", EA_CLI_VALUE, "FILE",
     "a document the attestation covers (the review sheet, the signed minutes): hashed, never "
     "embedded"},
    {"attach", EA_CLI_FLAG, NULL,
     "also store --file in the store as a content-addressed blob (blobs/sha256/HEX, at most 16 "
     "MiB)"},
    {"by", EA_CLI_VALUE, "NAME", "who attests: a person's name or e-mail (required)"},
    {"expires", EA_CLI_VALUE, "DURATION|DATE",
     "until when it holds: 90d, 12w, or a date 2027-03-31 (to the end of that day, UTC) "
     "(required)"},
    {"subject", EA_CLI_LIST, "NAME=SHA256",
     "something the attestation is about, by its digest (the access record it reviewed, a "
     "backup); repeat it"},
    {"store", EA_CLI_VALUE, "URL",
     "where to store the record (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"key", EA_CLI_VALUE, "FILE", "signing key (default $EVIDENCE_KEY or $EVIDENCE_KEY_PEM)"},
    {"agent-id", EA_CLI_VALUE, "ID", "name of this agent (default $EVIDENCE_AGENT_ID, else host)"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "attest",
    .usage = "--kind KIND --control ID... (--statement TEXT | --file FILE [--attach]) --by NAME "
             "--expires DURATION|DATE [--subject NAME=SHA256]... [options]",
    .summary = "Records a person's decision (an access review, a risk acceptance, a restore "
               "test) as a signed attestation.",
    .opts = opts,
    .details =
        "The record has kind attestation; data.kind is --kind, data.expires_at says until when\n"
        "it holds (report counts an expired one as stale). --statement and --file may both be\n"
        "given. A file is hashed (any size); with --attach it is stored as well, beside the\n"
        "records, under blobs/sha256/<its SHA-256> (file and s3 stores; an http(s) store sends\n"
        "it to the peer agent's /v1/blobs). The record names the blob; verify checks that it is\n"
        "there and matches.\n"
        "\n"
        "stdout: one JSON object, {\"id\", \"kind\", \"attestation\", \"controls\", \"by\",\n"
        "\"expires_at\", \"file_sha256\", \"blob\", \"store\", \"stream\"}.\n"
        "Exit status: 0 stored; 1 runtime failure (the store); 2 usage or input error (an\n"
        "unknown kind or control, a bad --expires, a missing --by, an unreadable or non-regular\n"
        "--file, a file over 16 MiB with --attach): nothing is stored.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_attest_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

/* The one JSON object on stdout. */
static int print_result(const json_t *made, const json_t *data, const char *store_url,
                        const char *stream)
{
    const json_t *r = json_array_get(made, 0);
    const json_t *file = json_object_get(data, "file");
    json_t *doc = json_pack(
        "{s:O, s:s, s:O, s:O, s:O, s:O, s:O?, s:O?, s:s, s:s}", "id", json_object_get(r, "id"),
        "kind", EA_ATTEST_RECORD_KIND, "attestation", json_object_get(data, "kind"), "controls",
        json_object_get(r, "controls"), "by", json_object_get(data, "by"), "expires_at",
        json_object_get(data, "expires_at"), "file_sha256", json_object_get(file, "sha256"), "blob",
        json_object_get(file, "blob"), "store", store_url, "stream", stream);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    int rc = 0;

    json_decref(doc);
    if (!text) return ea_fail(EA_ENOMEM, "out of memory");
    if (printf("%s\n", text) < 0) rc = ea_fail(EA_EIO, "cannot write to standard output");
    free(text);
    return rc;
}

int ea_cmd_attest(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_control_set controls;
    struct ea_attest_file file;
    struct ea_attest_input in;
    struct ea_fact fact = EA_FACT_INIT;
    struct ea_pipeline p;
    struct ea_pipeline_opts po;
    struct ea_store *store = NULL;
    struct ea_key *key = NULL;
    struct ea_redactor *redactor = NULL;
    json_t *refs = NULL, *data = NULL, *made = NULL;
    char *summary = NULL, *subject = NULL;
    char digest[EA_SHA256_HEX_LEN + 1];
    char blob[EA_BLOB_KEY_LEN + 1];
    char agent_id[72];
    char stream[EA_STREAM_MAX + 1];
    const char *const *list;
    const char *kind, *path, *expires, *store_url;
    bool attach, pipeline_used = false;
    size_t n;
    int rc;

    memset(&a, 0, sizeof(a));
    memset(&controls, 0, sizeof(controls));
    memset(&file, 0, sizeof(file));
    memset(&in, 0, sizeof(in));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) goto out;

    in.now_us = ea_time_now_us();
    if (!(kind = ea_cli_value(&a, &cmd, "kind"))) {
        rc = ea_fail(EA_EUSAGE, "--kind is required (%s)", ea_attest_kinds_text());
        goto out;
    }
    if ((rc = ea_attest_kind_check(kind)) < 0) {
        ea_fail_prefix("--kind");
        goto out;
    }
    in.kind = kind;
    list = ea_cli_list(&a, &cmd, "control", &n);
    if (n == 0) {
        rc = ea_fail(EA_EUSAGE, "--control is required: name the controls the attestation is "
                                "evidence for (e.g. --control A.5.18)");
        goto out;
    }
    if (!(refs = json_array())) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = ea_framework_controls_add(&controls, refs, list[i])) < 0) {
            ea_fail_prefix("--control");
            goto out;
        }
    }
    if (!(in.by = ea_cli_value(&a, &cmd, "by"))) {
        rc = ea_fail(EA_EUSAGE, "--by is required: who attests (a name or an e-mail address)");
        goto out;
    }
    if (!(expires = ea_cli_value(&a, &cmd, "expires"))) {
        rc = ea_fail(EA_EUSAGE, "--expires is required: until when the attestation holds (90d, "
                                "12w, or a date such as 2027-03-31)");
        goto out;
    }
    if ((rc = ea_attest_expiry(&in.expires_us, expires, in.now_us)) < 0) goto out;
    in.statement = ea_cli_value(&a, &cmd, "statement");
    in.subjects = ea_cli_list(&a, &cmd, "subject", &in.nsubjects);
    path = ea_cli_value(&a, &cmd, "file");
    attach = ea_cli_flag(&a, &cmd, "attach");
    if (attach && !path) {
        rc = ea_fail(EA_EUSAGE, "--attach stores the --file: give --file FILE");
        goto out;
    }
    if (path) {
        if ((rc = ea_attest_file_read(&file, path, attach)) < 0) {
            ea_fail_prefix("--file");
            goto out;
        }
        in.file = &file;
        if (attach) {
            ea_store_blob_key(blob, file.sha256);
            in.blob_key = blob;
        }
    }
    if ((rc = ea_attest_build(&data, &summary, &subject, digest, &in)) < 0) goto out;
    rc = ea_config_redactor(&redactor, NULL, 0);
    if (rc < 0) goto out;
    ea_log_set_redactor(redactor);
    if ((rc = ea_config_signing_key(&key, ea_cli_value(&a, &cmd, "key"))) < 0) goto out;
    rc = ea_config_agent_id(agent_id, sizeof(agent_id), ea_cli_value(&a, &cmd, "agent-id"));
    if (rc < 0) goto out;
    if ((rc = ea_pipeline_stream_name(stream, sizeof(stream), agent_id, "attest")) < 0) goto out;
    store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    if ((rc = ea_store_open(&store, store_url, EA_STORE_CREATE)) < 0) goto out;
    if (attach) { /* staged first: the same commit makes it durable before the record's head */
        rc =
            ea_store_put_blob(store, file.sha256, file.buf.data ? file.buf.data : "", file.buf.len);
        if (rc < 0) {
            ea_fail_prefix("--attach %s", path);
            goto out;
        }
    }
    if (!(made = json_array())) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = EA_ATTEST_RECORD_KIND;
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = digest;
    fact.source_system = "evidence-agent";
    fact.result = EA_RESULT_PASS;
    fact.summary = summary;
    fact.data = data;
    po = (struct ea_pipeline_opts){
        .key = key,
        .store = store,
        .agent_id = agent_id,
        .stream = stream,
        .extra = &controls,
        .framework_refs = refs,
        .redactor = redactor,
        .made = made,
    };
    ea_pipeline_init(&p, &po);
    pipeline_used = true;
    rc = ea_pipeline_fact(&p, &ea_attest_source, NULL, &fact);
    if (rc == 0) rc = ea_pipeline_flush(&p);
    if (rc < 0) goto out;
    ea_log(EA_LOG_LEVEL_INFO, NULL, "attestation stored in %s (stream %s)%s", store_url, stream,
           attach ? "; the file is stored as a blob beside it" : "");
    rc = print_result(made, data, store_url, stream);
out:
    if (pipeline_used) ea_pipeline_dispose(&p);
    json_decref(made);
    json_decref(data);
    json_decref(refs);
    ea_free(summary);
    ea_free(subject);
    ea_attest_file_dispose(&file);
    ea_store_close(store);
    ea_key_free(key);
    ea_log_set_redactor(NULL);
    ea_redactor_free(redactor);
    ea_cli_args_dispose(&a);
    return rc;
}
