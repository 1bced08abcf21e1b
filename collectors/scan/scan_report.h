/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scanner reports, normalised: SARIF 2.1.0, Trivy JSON, Grype JSON, gitleaks
 * JSON, CycloneDX 1.4-1.6 JSON and OWASP ZAP JSON become one summary (tool,
 * category, what was scanned, counts per severity, suppressed, the worst
 * findings up to a cap). Reports are streamed (util/jstream.h): memory is
 * bounded by the largest single finding, not by the report.
 *
 * Use: ea_scan_detect on the first bytes (or ea_scan_format_find for a
 * forced format), ea_scan_init, ea_scan_feed every chunk, ea_scan_finish.
 */
#ifndef EA_SCAN_REPORT_H
#define EA_SCAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Severities, in rank order; unknown ranks lowest and never fails a policy. */
enum ea_sev {
    EA_SEV_UNKNOWN,
    EA_SEV_INFO,
    EA_SEV_LOW,
    EA_SEV_MEDIUM,
    EA_SEV_HIGH,
    EA_SEV_CRITICAL,
    EA_SEV_COUNT
};

#define EA_SCAN_FINDINGS_MAX 1000
#define EA_SCAN_FINDINGS_DEFAULT 100

struct ea_scan_format;
struct ea_jstream;

struct ea_scan_kept; /* a kept finding */

struct ea_scan_report {
    const struct ea_scan_format *fmt;
    struct ea_jstream *js;            /* owned */
    json_t *tool_name, *tool_version; /* owned strings or NULL */
    json_t *artifact, *artifact_type; /* owned strings or NULL: what the report names */
    json_t *repository, *commit;      /* owned: from the report (SARIF provenance) */
    const char *category;             /* static */
    unsigned categories;              /* bit per category seen (Trivy mixes them) */
    uint64_t counts[EA_SEV_COUNT];    /* unsuppressed findings */
    uint64_t suppressed, absent, total;
    uint64_t licenses;         /* Trivy: license findings (counted among the findings too) */
    uint64_t sarif_kinds[5];   /* SARIF: results of a kind other than fail (not findings) */
    int64_t components;        /* CycloneDX; -1 elsewhere */
    uint64_t runs;             /* SARIF */
    struct ea_scan_kept *kept; /* owned: the findings kept, at most max_findings */
    size_t nkept, max_findings;
    int min_kept; /* index of the lowest-priority kept finding */
    bool truncated;
    uint64_t seq;
    /* format state */
    size_t run;                           /* SARIF: current run index */
    bool results_in_run;                  /* SARIF: a result of the current run was read */
    bool rules_late;                      /* SARIF: rules came after results: needs two passes */
    bool rules_only, rules_preloaded;     /* SARIF: the two passes (see ea_scan_rules_pass) */
    json_t *run_rules;                    /* SARIF: per run [by_id, by_index] (owned) */
    json_t *rules_by_id, *rules_by_index; /* SARIF: the current run's rules */
    unsigned root_keys;                   /* bits of the signature keys seen at the root */
    bool root_object, cdx_marker;
};

/** The format named name ("sarif", "trivy", ...), or NULL. */
const struct ea_scan_format *ea_scan_format_find(const char *name);
const char *ea_scan_format_name(const struct ea_scan_format *f);
/** "sarif, trivy, grype, gitleaks, cyclonedx, zap" (static). */
const char *ea_scan_format_list(void);

/**
 * Tells the format from the first bytes of a report (a few KiB are enough for
 * every supported tool; pass up to 64 KiB).
 * @return 0 with *out set, or EA_EINPUT saying what it saw (or where the JSON
 *         is broken) and how to force a format.
 */
int ea_scan_detect(const char *head, size_t len, const struct ea_scan_format **out);

/** @return 0 or EA_ENOMEM. */
int ea_scan_init(struct ea_scan_report *r, const struct ea_scan_format *fmt, size_t max_findings);
/** @return 0 or EA_EINPUT "byte N: ..." (EA_ETOOBIG for a huge single finding). */
int ea_scan_feed(struct ea_scan_report *r, const char *data, size_t len);
/**
 * Ends the report: checks it was complete and of the format, and builds the
 * summary. @param out new reference: {format, tool, category, scanned{artifact,
 * artifact_type, repository, commit}, counts, suppressed, absent, total,
 * components, runs, findings, findings_truncated}.
 */
int ea_scan_finish(struct ea_scan_report *r, json_t **out);
void ea_scan_dispose(struct ea_scan_report *r);
/**
 * SARIF whose rules come after its results (r->rules_late after a failed
 * pass): read the report once with ea_scan_rules_pass(first, true), then
 * again with ea_scan_preload_rules(second, first) before feeding it.
 */
int ea_scan_rules_pass(struct ea_scan_report *r, bool on);
int ea_scan_preload_rules(struct ea_scan_report *to, struct ea_scan_report *from);

/** "critical", ... "unknown". */
const char *ea_sev_name(enum ea_sev s);
/** Parses a severity name (any case) or -1. */
int ea_sev_parse(const char *s);
/** The band of a CVSS score: 9.0+ critical, 7.0+ high, 4.0+ medium, 0.1+ low, 0 info. */
enum ea_sev ea_sev_from_cvss(double score);

#endif
