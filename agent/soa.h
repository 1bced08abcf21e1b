/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Statement of Applicability as a control register: per Annex A control,
 * whether it is applied, why, who owns it, where it is implemented, and what
 * evidence proves it (kinds: any of them; require: all of them; how fresh).
 * A kind is a record kind or KIND:SUBKIND (attestation:access_review: an
 * attestation of that kind). Read from YAML or JSON; every
 * control ID goes through the catalogue and the 2013 -> 2022 map, and every
 * mistake names the file and the line.
 */
#ifndef EA_SOA_H
#define EA_SOA_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "controls.h"
#include "frameworks.h"

#define EA_SOA_FRAMEWORKS_MAX 5 /* each framework once */

#define EA_SOA_MAX_AGE_DEFAULT                                                                     \
    (30LL * 86400 * 1000000) /* 30 days, when evidence.max_age is absent */

enum ea_soa_status { EA_SOA_APPLIED, EA_SOA_PLANNED, EA_SOA_EXCLUDED };

struct ea_soa_control {
    const struct ea_control *control; /* catalogue entry (static) */
    enum ea_soa_status status;
    const char *justification; /* borrowed from the document, or NULL */
    const char *owner;         /* borrowed, or NULL */
    json_t *implementation;    /* borrowed array of strings (maybe empty) */
    json_t *kinds;             /* borrowed array of kinds, or NULL for any: one of them */
    json_t *require;           /* borrowed array of kinds, or NULL: each of them (all of) */
    int64_t max_age_us;
    long line;
};

struct ea_soa {
    json_t *doc, *lines;              /* owned */
    const char *path;                 /* borrowed */
    const char *organisation, *scope; /* borrowed, may be NULL */
    struct ea_soa_control *controls;  /* owned, in catalogue order */
    size_t n;
    const struct ea_framework *frameworks[EA_SOA_FRAMEWORKS_MAX]; /* borrowed (static): the
                                      frameworks: the SoA declares, each reported and gated */
    size_t nframeworks;
};

/**
 * Loads and checks an SoA file. An optional top-level "frameworks: [soc2, nis2]"
 * names other frameworks answered through the Annex A controls (frameworks.h).
 * @return 0, or EA_EINPUT/EA_ENOTFOUND "FILE:LINE: what is wrong" (unknown control,
 *         unknown status, excluded without justification, bad max_age, ...).
 */
int ea_soa_load(struct ea_soa *out, const char *path);
/** The same from a parsed document (util/yaml.h); takes doc and lines. */
int ea_soa_from(struct ea_soa *out, const char *path, json_t *doc, json_t *lines);
void ea_soa_dispose(struct ea_soa *s);
const char *ea_soa_status_name(enum ea_soa_status s);
/** Writes a starter SoA listing all 93 controls as planned. */
int ea_soa_write_starter(FILE *out);

#endif
