/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collector options checked against the collector's option table (struct
 * ea_option in <evidence/collector.h>): the one place that decides whether a
 * key exists and whether a value has its type, for --set, the daemon's
 * options: and the ingest of a report alike, and that prints the table for
 * --help. An unknown key names the nearest known one.
 */
#ifndef EA_OPTIONS_H
#define EA_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include <evidence/collector.h>

/** The entry of c's table called name, or NULL. Borrowed. */
const struct ea_option *ea_option_find(const struct ea_collector *c, const char *name);

/**
 * Checks every key of options against c's table and converts each value to
 * the JSON type of its option (see enum ea_option_type).
 * @param out     new reference: the converted options (a new object).
 * @param options borrowed; a JSON object, or NULL for none.
 * @param bad     when not NULL, gets the key at fault ("" when none), cut to cap.
 * @return 0, EA_EUSAGE "COLLECTOR has no option 'KEY' (did you mean ...)" or
 *         "COLLECTOR option KEY: must be ...", or EA_ENOMEM.
 */
int ea_options_check(json_t **out, const struct ea_collector *c, const json_t *options, char *bad,
                     size_t cap);

/** Writes c's options, one per line, each indented by indent spaces. */
void ea_options_help(FILE *f, const struct ea_collector *c, int indent);

/** The name of an option type for messages and --help: "duration". Static. */
const char *ea_option_type_name(uint32_t type);

#endif
