/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Other frameworks answered from the Annex A store: the requirement
 * catalogues of SOC 2 (TSC 2017), NIS2, the CRA's Annex I, NIST SP 800-53
 * Rev. 5 and NIST CSF 2.0, and the crosswalk from the 93 Annex A 2022
 * controls to each, compiled in from schemas/frameworks/ (the project's
 * reference data, unchanged). Parsed once per process on first use and
 * immutable afterwards; every pointer handed out is borrowed and lives as
 * long as the process.
 *
 * A mapping row says "the source says these correspond" with a relationship
 * (equal, subset, superset, intersect, related) and a confidence (high,
 * medium, low). This module keeps both as written and never upgrades a row:
 * a "related" row is not an equivalence, a "low" row is a hint. The store is
 * keyed by Annex A only; a framework requirement is answered through the
 * Annex A controls mapped to it.
 */
#ifndef EA_FRAMEWORKS_H
#define EA_FRAMEWORKS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "controls.h"

/** Longest "FRAMEWORK:ID" text accepted where a control ID is expected. */
#define EA_FRAMEWORK_REF_MAX 64

struct ea_fw_map {
    const struct ea_control *control; /* the Annex A 2022 control (catalogue entry) */
    const char *target;               /* the requirement ID, as the reference writes it */
    const char *relationship;         /* equal | subset | superset | intersect | related */
    const char *confidence;           /* high | medium | low */
    const char *source;               /* a source key of the reference's PROVENANCE.md */
    const char *via;                  /* transitive rows: the intermediate IDs; else NULL */
};

struct ea_fw_requirement {
    const char *id;               /* "CC8.1", "21(2)(e)", "CM-3", "PR.PS-01", "I.2(a)" */
    const char *group;            /* "CC8 Change management" */
    const char *description;      /* short, in the reference's words */
    const struct ea_fw_map *maps; /* its mapping rows (borrowed), nmaps of them */
    size_t nmaps;
};

struct ea_framework {
    const char *name;                     /* "soc2-tsc-2017", as the reference writes it */
    const char *alias;                    /* "soc2", or NULL when the name is short already */
    const char *title;                    /* the catalogue's long name */
    const char *source;                   /* where the catalogue's IDs come from */
    const char *description_note;         /* whose words the descriptions are */
    const struct ea_fw_requirement *reqs; /* in catalogue order */
    size_t nreqs;
    size_t nmaps; /* mapping rows in all */
};

/** Loads the embedded catalogues and mappings (idempotent, thread-safe). @return 0 or EA_ERROR. */
int ea_frameworks_init(void);
/** Every framework, in a fixed order (soc2, nis2, cra, 800-53, csf). Borrowed. */
const struct ea_framework *ea_frameworks_all(size_t *n);
/**
 * The framework called name or alias (case-insensitive).
 * @param out borrowed; NULL on failure.
 * @return 0, or EA_EINPUT naming the input, the nearest name and every valid one.
 */
int ea_framework_lookup(const struct ea_framework **out, const char *name);
/**
 * The requirement of fw whose ID is id (case-insensitive, blanks around it ignored).
 * @param out borrowed; NULL on failure.
 * @return 0, or EA_EINPUT naming the input and up to three nearest valid IDs.
 */
int ea_framework_requirement_lookup(const struct ea_fw_requirement **out,
                                    const struct ea_framework *fw, const char *id);
/** True when text is written FRAMEWORK:ID (it holds a colon), not as an Annex A ID. */
bool ea_framework_is_ref(const char *text);
/**
 * Resolves "FRAMEWORK:ID" (soc2:CC8.1, nis2:21(2)(e), 800-53:CM-3) and adds
 * the Annex A controls mapped to it to set.
 * @param fw, req out (either may be NULL): borrowed, what text named.
 * @return 0; EA_EINPUT for an unknown framework or ID (naming the nearest), or
 *         for a requirement no Annex A control is mapped to (saying to name one).
 */
int ea_framework_ref_add(struct ea_control_set *set, const struct ea_framework **fw,
                         const struct ea_fw_requirement **req, const char *text);
/**
 * Where a control ID is expected: an Annex A ID (2022 or 2013, ea_controls_add)
 * or FRAMEWORK:ID (ea_framework_ref_add), told apart by the colon. For a
 * framework ID, {"framework", "id", "controls"} (the reference's name and ID,
 * the Annex A controls it was filed under) is appended to refs, once.
 * @param refs borrowed JSON array, or NULL.
 * @return as those two, or EA_ENOMEM.
 */
int ea_framework_controls_add(struct ea_control_set *set, json_t *refs, const char *text);

#endif
