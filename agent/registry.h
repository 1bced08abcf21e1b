/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of built-in collectors, lookup by name with "did you mean", and
 * the host services handed to a collector instance.
 */
#ifndef EA_REGISTRY_H
#define EA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <evidence/collector.h>

/** Per-instance context behind struct ea_host (caller's storage). */
struct ea_store;

struct ea_key;

struct ea_host_ctx {
    const char *collector_name;   /* borrowed; prefixes log lines */
    struct ea_store *store;       /* borrowed; NULL on a dry run (latest finds nothing) */
    const char *state_dir;        /* borrowed; NULL, or the daemon's local state, looked at first */
    const struct ea_key *key;     /* borrowed; the signing key (keyed digests), or NULL */
    unsigned char digest_key[64]; /* derived from key on first use */
    bool digest_key_set;
};

/** The built-in collectors in --help order (see registry.c), NULL-terminated. Borrowed, static. */
const struct ea_collector *const *ea_registry_builtins(void);
/** The plug-ins loaded so far, in load order (*n of them). Borrowed. */
const struct ea_collector *const *ea_registry_plugins(size_t *n);
/**
 * Finds a built-in collector.
 * @param out borrowed descriptor on success.
 * @return 0 or EA_EUSAGE naming the collector and the nearest names.
 */
int ea_registry_find(const struct ea_collector **out, const char *name);
/**
 * Checks that kind is a record kind some collector emits (built in, or a
 * loaded plug-in).
 * @return 0 or EA_EUSAGE "'KIND' is not a record kind (did you mean ...? kinds: ...)".
 */
int ea_registry_kind_check(const char *kind);
/** Fills host (caller's storage) with the agent's services for one instance. */
void ea_registry_host_init(struct ea_host *host, struct ea_host_ctx *ctx);
/**
 * Loads a collector plug-in (a shared object exporting ea_collector_entry),
 * checking its ABI version and descriptor. It stays loaded for the life of
 * the process and is then found by name.
 * @param out may be NULL; gets the descriptor.
 * @return 0 or EA_ECONFIG naming the file and what is wrong.
 */
int ea_registry_load_plugin(const char *path, const struct ea_collector **out);

#endif
