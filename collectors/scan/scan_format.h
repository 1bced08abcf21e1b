/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the scan collector: what a format file (scan_<name>.c) defines and
 * what it may call. A format is a row of the table in scan_report.c: its name,
 * its default category, the root keys that identify it, the paths it reads
 * (util/jstream.h), and the handler those paths' values go to. The handlers
 * report findings through ea_scan_finding, which keeps the worst of them.
 */
#ifndef EA_SCAN_FORMAT_H
#define EA_SCAN_FORMAT_H

#include "scan_report.h"

/* A kept finding. */
struct ea_scan_kept {
    json_t *obj; /* owned */
    int prio;    /* 0 suppressed, else severity + 1 */
    uint64_t seq;
};

/* Takes the value (borrowed; the stream frees it) at path number path of the format's paths. */
typedef int (*ea_scan_handle_cb)(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                                 size_t nwild);

struct ea_scan_format {
    const char *name;
    const char *category;         /* default category */
    const char *const *signature; /* root keys, any of which identifies the format */
    const char *const *paths;
    ea_scan_handle_cb handle;
};

extern const struct ea_scan_format ea_scan_format_sarif;
extern const struct ea_scan_format ea_scan_format_trivy;
extern const struct ea_scan_format ea_scan_format_grype;
extern const struct ea_scan_format ea_scan_format_gitleaks;
extern const struct ea_scan_format ea_scan_format_cyclonedx;
extern const struct ea_scan_format ea_scan_format_zap;

/* SARIF 2.1.0 result kinds other than fail, in the order of ea_scan_report.sarif_kinds. */
extern const char *const ea_scan_sarif_kind_names[5];

/* Bits of ea_scan_report.categories: Trivy mixes categories in one report. */
#define EA_SCAN_CAT_SCA 1u
#define EA_SCAN_CAT_IAC 2u
#define EA_SCAN_CAT_SECRETS 4u
#define EA_SCAN_CAT_LICENSE 8u

/* The string member key of o, or NULL (borrowed). */
static inline const char *scan_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The member key of o, or NULL (borrowed). */
static inline const json_t *scan_at(const json_t *o, const char *key)
{
    return json_object_get(o, key);
}

/** A severity word of a report, any case; the formats' synonyms included. */
enum ea_sev ea_scan_sev_word(const char *s);

/** Sets *slot (a new reference) to s, redacted and bounded, unless set already or s is empty. */
void ea_scan_set_text(json_t **slot, const char *s);

/** A bounded, redacted text of a finding, or JSON null (new reference; NULL out of memory). */
json_t *ea_scan_bounded(const char *s, size_t max);

/**
 * Counts one finding and keeps it when it is among the worst max_findings
 * (suppressed ones rank last). The strings are borrowed and may be NULL.
 * @return 0 or EA_ENOMEM.
 */
int ea_scan_finding(struct ea_scan_report *r, enum ea_sev sev, bool suppressed, const char *rule,
                    const char *title, const char *location, const char *fingerprint);

/** "file:line", "file", or NULL; written into buf (borrowed, cap bytes). */
const char *ea_scan_file_line(char *buf, size_t cap, const char *file, long long line);

/** "name@version", "name", or NULL; written into buf (borrowed, cap bytes). */
const char *ea_scan_pkg_at(char *buf, size_t cap, const char *name, const char *version);

#endif
