/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalise: the first stage of the record pipeline. A collector's fact plus
 * what the agent knows (collector, stream, sequence, time, controls) becomes
 * an in-toto Statement v1 with the evidence-agent predicate. It checks the
 * fact and builds JSON; it does not redact, serialise or sign (record.h and
 * dsse.h do that, in that order).
 */
#ifndef EA_NORMALISE_H
#define EA_NORMALISE_H

#include <stdint.h>

#include <jansson.h>

#include "controls.h"

struct ea_fact;

/** What the agent adds to a fact to make a Statement (all borrowed). */
struct ea_record_meta {
    const char *collector_name;
    const char *collector_version;
    const char *agent_id;
    const char *agent_version;
    const char *stream;
    uint64_t sequence;    /* 1-based position in the stream */
    const char *previous; /* record ID of sequence - 1, or NULL for the first */
    int64_t collected_us; /* microseconds since the epoch */
    const struct ea_control_set *controls;
    const json_t *framework_refs; /* borrowed; NULL or [{framework, id, controls}]: the
                                     framework IDs that asked for some of the controls */
};

/**
 * Builds the Statement for a fact. Validates the fact and names the
 * offending field on error.
 * @param out  new reference on success.
 * @param fact borrowed.
 * @param meta borrowed.
 * @return 0, EA_EINPUT (a malformed fact) or EA_ENOMEM.
 */
int ea_normalise_fact(json_t **out, const struct ea_fact *fact, const struct ea_record_meta *meta);

#endif
