/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report: the Statement of Applicability joined with the store, as JSON,
 * Markdown, HTML or OSCAL; --gate answers "are we audit-ready?" with exit 4;
 * --init-soa writes a starter SoA. The output is written to a temporary file
 * and renamed, so a failed run never leaves half a report behind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "util/error.h"
#include "log.h"
#include "report.h"
#include "report_framework.h"
#include "soa.h"
#include "util/mem.h"
#include "verify.h"
#include "util/time.h"

static const struct ea_cli_opt opts[] = {
    {"soa", EA_CLI_VALUE, "FILE", "the Statement of Applicability (YAML or JSON)"},
    {"store", EA_CLI_VALUE, "URL",
     "store to read (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"since", EA_CLI_VALUE, "TIME", "period start (RFC 3339 or YYYY-MM-DD; default: all)"},
    {"until", EA_CLI_VALUE, "TIME", "period end, and when freshness is judged (default: now)"},
    {"pubkey", EA_CLI_LIST, "FILE", "verify every counted record with these public keys"},
    {"tsa-ca", EA_CLI_VALUE, "FILE",
     "with --pubkey or --keys: every record's RFC 3161 token must verify against these TSA "
     "CA certificates (as verify --tsa-ca)"},
    {"max-skew", EA_CLI_VALUE, "DURATION",
     "with --tsa-ca: largest gap between collected_at and genTime (default 5m)"},
    {"keys", EA_CLI_VALUE, "FILE",
     "key history (YAML or JSON): a record's key must have been valid at its time"},
    {"format", EA_CLI_VALUE, "FMT", "md (default), html, json or oscal"},
    {"out", EA_CLI_VALUE, "FILE", "write here instead of standard output"},
    {"gate", EA_CLI_FLAG, NULL,
     "exit 4 when an applied control's evidence is missing, stale or "
     "failing, or a requirement of --framework F (else of the SoA's frameworks:) is not covered"},
    {"framework", EA_CLI_VALUE, "F",
     "answer framework F's requirements through the Annex A controls mapped to them (soc2, "
     "nis2, cra, 800-53, csf)"},
    {"init-soa", EA_CLI_FLAG, NULL, "write a starter SoA (all 93 controls) and exit"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "report",
    .usage = "--soa FILE [--store URL] [--since T] [--until T] [--pubkey FILE]... "
             "[--keys FILE] [--tsa-ca FILE [--max-skew D]] [--format md|html|json|oscal] "
             "[--out FILE] [--gate] [--framework F]",
    .summary = "Reports, per control of the SoA, whether fresh, verified, passing evidence exists.",
    .opts = opts,
    .details =
        "Verdicts of an applied control: ok (fresh and passing), stale (older than its "
        "max_age at --until),\nmissing (no record of its kinds in the period), failing "
        "(latest result fail or error, or a\nrecord that failed a check). Only the applied "
        "controls the SoA names are read.\nExit status: 0 ok, 1 runtime failure, 2 usage or "
        "SoA error, 3 a record failed a check,\n4 with --gate when an applied control is not "
        "ok.\n"
        "With --framework F (soc2, nis2, cra, 800-53, csf; 'controls --frameworks' lists them),\n"
        "each requirement of F is judged through the Annex A controls mapped to it: covered\n"
        "(every mapped applied control ok), partial (some), uncovered (none), n/a (every\n"
        "mapped control excluded, or none named by the SoA), unmapped (no mapping in the\n"
        "reference data; not judged); each mapping shows its relationship and confidence.\n"
        "--gate then exits 4 when a covered/partial/uncovered requirement is not covered.\n"
        "A mapping is guidance, not certification.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_report_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

typedef int (*render_fn)(FILE *f, const json_t *report);

static const struct {
    const char *name;
    render_fn soa, framework; /* framework NULL: the format does not fit a framework report */
} formats[] = {
    {"md", ea_report_write_md, ea_report_framework_write_md},
    {"html", ea_report_write_html, ea_report_framework_write_html},
    {"json", NULL, NULL}, /* render_json for both, set below */
    {"oscal", ea_report_write_oscal, NULL},
};

static int render_json(FILE *f, const json_t *report)
{
    if (json_dumpf(report, f, JSON_INDENT(1)) < 0 || fputc('\n', f) == EOF)
        return ea_fail(EA_EIO, "cannot write the report");
    return 0;
}

/* Writes through a temporary file renamed into place (or to stdout). */
static int write_out(const char *path, render_fn fn, const json_t *report, bool init_soa)
{
    char tmp[4200];
    FILE *f;
    int rc;

    if (!path) return init_soa ? ea_soa_write_starter(stdout) : fn(stdout, report);
    if (init_soa && access(path, F_OK) == 0)
        return ea_fail(EA_EUSAGE, "%s exists; not overwriting an SoA (remove it first)", path);
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (!f) return ea_fail(EA_EIO, "%s: cannot write: %s", path, strerror(errno));
    rc = init_soa ? ea_soa_write_starter(f) : fn(f, report);
    if (fclose(f) != 0 && rc == 0)
        rc = ea_fail(EA_EIO, "%s: cannot write: %s", path, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ea_fail(EA_EIO, "%s: cannot write: %s", path, strerror(errno));
    if (rc < 0) unlink(tmp);
    return rc;
}

int ea_cmd_report(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_soa soa;
    struct ea_report_opts o = {.since_us = INT64_MIN};
    struct ea_key **keys = NULL;
    struct ea_store *store = NULL;
    json_t *report = NULL, *fw_report = NULL;
    const struct ea_framework *fw = NULL;
    render_fn fn = ea_report_write_md;
    unsigned problems = 0;
    const char *const *pubs;
    size_t npub, nkeys = 0, k;
    const char *v;
    struct ea_verify_extra x;
    int rc, gate = 0;

    memset(&soa, 0, sizeof(soa));
    memset(&x, 0, sizeof(x));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    if (ea_cli_flag(&a, &cmd, "init-soa")) {
        rc = write_out(ea_cli_value(&a, &cmd, "out"), NULL, NULL, true);
        if (rc == 0 && ea_cli_value(&a, &cmd, "out"))
            ea_log(EA_LOG_LEVEL_INFO, NULL, "starter SoA written to %s: set each control's status",
                   ea_cli_value(&a, &cmd, "out"));
        goto out;
    }
    if ((v = ea_cli_value(&a, &cmd, "framework"))) {
        rc = ea_framework_lookup(&fw, v);
        if (rc < 0) goto out;
    }
    v = ea_cli_value(&a, &cmd, "format");
    for (k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
        if (strcmp(formats[k].name, v ? v : "md") == 0) break;
    }
    if (k == sizeof(formats) / sizeof(formats[0])) {
        rc = ea_fail(EA_EUSAGE, "--format '%s': use md, html, json or oscal", v);
        goto out;
    }
    if (strcmp(formats[k].name, "json") == 0)
        fn = render_json;
    else
        fn = fw ? formats[k].framework : formats[k].soa;
    if (!fn) {
        rc = ea_fail(EA_EUSAGE,
                     "--format %s --framework %s: OSCAL assessment results name the controls of "
                     "an OSCAL catalog, and the requirements of %s are judged here through Annex "
                     "A mappings, not assessed as that catalog's controls (use md, html or json; "
                     "--format oscal without --framework reports the Annex A controls)",
                     formats[k].name, fw->name, fw->name);
        goto out;
    }
    if (!(v = ea_cli_value(&a, &cmd, "soa"))) {
        rc = ea_fail(EA_EUSAGE, "--soa FILE is required ('evidence-agent report --init-soa --out "
                                "soa.yaml' writes a starter)");
        goto out;
    }
    rc = ea_soa_load(&soa, v);
    if (rc < 0) goto out;
    o.now_us = ea_time_now_us();
    rc = ea_config_period(&o.since_us, &o.until_us, ea_cli_value(&a, &cmd, "since"),
                          ea_cli_value(&a, &cmd, "until"), o.now_us);
    if (rc < 0) goto out;
    pubs = ea_cli_list(&a, &cmd, "pubkey", &npub);
    rc = ea_config_public_keys(&keys, pubs, npub);
    if (rc < 0) goto out;
    nkeys = npub;
    rc = ea_verify_extra_setup(&x, ea_cli_value(&a, &cmd, "tsa-ca"),
                               ea_cli_value(&a, &cmd, "max-skew"), ea_cli_value(&a, &cmd, "keys"),
                               keys, nkeys);
    if (rc < 0) goto out;
    o.keys = x.keys;
    o.nkeys = x.nkeys;
    o.store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    rc = ea_store_open(&store, o.store_url, 0);
    if (rc < 0) goto out;
    o.store = store;
    /* the store as a whole (heads, streams, checkpoints): its FAIL lines now, exit 3 at the end */
    gate = ea_verify_gate_ex(store, o.store_url, x.keys, x.nkeys, &x);
    if (gate < 0 && gate != EA_EVERIFY) {
        rc = gate;
        goto out;
    }
    ea_error_clear();
    rc = ea_report_build(&report, &problems, &soa, &o);
    if (rc == 0 && fw) rc = ea_report_framework_build(&fw_report, report, fw);
    if (rc == 0) rc = write_out(ea_cli_value(&a, &cmd, "out"), fn, fw ? fw_report : report, false);
    if (rc < 0) goto out;
    if (problems)
        rc = ea_fail(EA_EVERIFY,
                     "%u record%s failed a check (tampered or unreadable); the report "
                     "marks their controls failing (run 'evidence-agent verify')",
                     problems, problems == 1 ? "" : "s");
    else if (gate < 0)
        rc = ea_fail(EA_EVERIFY, "the store failed verification (named above): records may be "
                                 "missing from this report (run 'evidence-agent verify')");
    else if (ea_cli_flag(&a, &cmd, "gate") && fw && ea_report_framework_not_covered(fw_report))
        rc = ea_fail(EA_EPOLICY,
                     "gate: %zu requirement%s of %s in scope not covered (partial or "
                     "uncovered)",
                     ea_report_framework_not_covered(fw_report),
                     ea_report_framework_not_covered(fw_report) == 1 ? "" : "s", fw->name);
    else if (ea_cli_flag(&a, &cmd, "gate") && !fw && !ea_report_not_ready(report) &&
             ea_report_frameworks_not_covered(report))
        rc = ea_fail(EA_EPOLICY,
                     "gate: %zu requirement%s of the SoA's frameworks in scope not covered "
                     "(partial or uncovered; 'report --framework F' shows each)",
                     ea_report_frameworks_not_covered(report),
                     ea_report_frameworks_not_covered(report) == 1 ? "" : "s");
    else if (ea_cli_flag(&a, &cmd, "gate") && !fw && ea_report_not_ready(report))
        rc = ea_fail(EA_EPOLICY, "gate: %zu applied control%s without fresh, passing evidence",
                     ea_report_not_ready(report), ea_report_not_ready(report) == 1 ? "" : "s");
out:
    json_decref(fw_report);
    json_decref(report);
    ea_store_close(store);
    ea_config_keys_free(keys, nkeys);
    ea_verify_extra_dispose(&x);
    ea_soa_dispose(&soa);
    ea_cli_args_dispose(&a);
    return rc;
}
