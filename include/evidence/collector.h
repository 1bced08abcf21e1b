/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector plug-in interface: the only contract between the agent and
 * a collector, built in or loaded from a shared object. A collector is a
 * const descriptor (identity, data, three callbacks). It turns raw input into
 * facts and hands them to a sink; it never signs, stores, prints or exits.
 *
 * A shared-object plug-in includes only <evidence/evidence.h>, links jansson,
 * and exports
 *
 *     EA_EXPORT const struct ea_collector *ea_collector_entry(void);
 *
 * The loader refuses a plug-in whose abi differs from EA_COLLECTOR_ABI or
 * whose size is smaller than the fields the agent reads. The agent reaches
 * the plug-in only through the descriptor, and the plug-in reaches the agent
 * only through struct ea_host and struct ea_sink, so a plug-in needs no agent
 * symbol at link time.
 *
 * Options are declared in the descriptor's table (struct ea_option): the
 * agent checks keys and value types against it (--set, the daemon's
 * options:, --help) so that a typo is never silently ignored. The descriptor
 * also says what NAME=ARG's ARG is (arg_flags) and which options `collect`
 * offers as flags of their own (shorthands), so that adding a collector
 * needs no change to the agent beyond one line in its registry.
 *
 * Lifecycle: init (validate the argument and options, allocate state; no
 * network and no heavy I/O, so that configuration can be checked), collect
 * (once per run or per daemon tick, any number of facts), free (accepts
 * NULL). An instance is never called concurrently with itself.
 */
#ifndef EVIDENCE_COLLECTOR_H
#define EVIDENCE_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"
#include "record.h"
#include "version.h"

/** Services the agent offers to a collector. Versioned like the descriptor. */
struct ea_host {
    uint32_t abi;  /**< EA_COLLECTOR_ABI of the agent. */
    uint32_t size; /**< sizeof(struct ea_host) of the agent. */
    void *ctx;     /**< Passed back to every callback; opaque to the collector. */
    /** Logs one line; the agent adds the collector's name and redacts it. */
    void (*log)(void *ctx, enum ea_log_level level, const char *fmt, ...) EA_PRINTF(3, 4);
    /**
     * Sets the error message of the failure being returned, naming the input
     * and the fix, and returns code, so that `return host->fail(...)` works.
     */
    int (*fail)(void *ctx, int code, const char *fmt, ...) EA_PRINTF(3, 4);
    /** Current time in seconds since the epoch (tests may freeze it). */
    int64_t (*now)(void *ctx);
    /**
     * The newest stored record of kind whose subject name is subject, looked
     * for under control (where such records are filed), for collectors that
     * compare with what was recorded before (drift).
     * Present when size reaches this field (check host->size before calling).
     * @param out new reference {"id": record ID, "data": predicate.data}, or
     *            NULL when there is none, or no store (a dry run).
     * @return 0, or a negative EA_E* code for a store that cannot be read.
     */
    int (*latest)(void *ctx, const char *control, const char *kind, const char *subject,
                  json_t **out);
    /**
     * A keyed digest (HMAC-SHA-256) of data[0, len), under a secret derived
     * from the agent's signing key: the same for one key, and not computable
     * from a record, so the digest of a short value cannot be guessed.
     * Present when size reaches this field (check host->size before calling).
     * @return 0, or a negative EA_E* code (no signing key: fall back).
     */
    int (*keyed_digest)(void *ctx, const void *data, size_t len, unsigned char out[32]);
};

/** Where a collector puts its facts. */
struct ea_sink {
    void *ctx; /**< Opaque to the collector. */
    /** See ea_emit(). */
    int (*emit)(void *ctx, const struct ea_fact *fact);
};

/**
 * Hands one fact to the agent. The agent copies what it keeps.
 * @param sink borrowed; the sink passed to collect().
 * @param fact borrowed; still owned by the caller afterwards.
 * @return 0, EA_EINPUT naming the field of a malformed fact, or the error of
 *         a later stage (propagate it).
 */
static inline int ea_emit(struct ea_sink *sink, const struct ea_fact *fact)
{
    return sink->emit(sink->ctx, fact);
}

/** How the value of a collector option is checked and handed to init(). */
enum ea_option_type {
    EA_OPTION_STRING = 1, /**< a JSON string (a number or boolean given is taken as its text) */
    EA_OPTION_INT,        /**< a JSON integer (text of an integer is converted) */
    EA_OPTION_BOOL,       /**< JSON true or false (the texts "true" and "false" are converted) */
    EA_OPTION_DURATION,   /**< a JSON string the agent checked: "30s", "5m", "1h" */
    EA_OPTION_SIZE,       /**< a JSON integer of bytes, written 512, 64KiB, 16MiB or 1GiB */
    EA_OPTION_PATH,       /**< a JSON string naming a file or folder */
    EA_OPTION_LIST,       /**< a JSON array of strings; one value makes a list of one */
};

/** Flag of an option: a relative path is relative to the daemon's configuration file. */
#define EA_OPTION_RELATIVE 1u

/**
 * One option a collector accepts. The agent refuses a key that is not in the
 * table (naming the nearest one) and a value that is not of its type, before
 * init() is called, and hands init() the value converted to the JSON type
 * above; init() still checks ranges and allowed words.
 */
struct ea_option {
    const char *name;          /**< [a-z0-9_]+; NULL ends the table */
    uint32_t type;             /**< enum ea_option_type */
    uint32_t flags;            /**< EA_OPTION_RELATIVE or 0 */
    const char *default_value; /**< as a user writes it, for --help; NULL when there is none */
    const char *doc;           /**< one line, shown by --help */
};

/** Flag of a descriptor's arg_flags: ARG names a file or folder; the daemon resolves a
 *  relative one against its configuration file's folder ("-" is kept as is). */
#define EA_ARG_PATH 1u

/**
 * A flag of `collect` that stands for one option: `--FLAG VALUE` is
 * `--set COLLECTOR.OPTION=VALUE`, and a flag with a fixed value takes no
 * argument (`--allow-stale` is `--set approvals.allow_stale=true`). Several
 * collectors may offer the same flag (`--repo`): it goes to those in the run.
 * Read for built-in collectors only (the flags exist before --plugin loads).
 */
struct ea_shorthand {
    const char *flag;    /**< [a-z0-9-]+ without dashes; NULL ends the table */
    const char *option;  /**< the option it sets: a name in the descriptor's table */
    const char *value;   /**< the fixed value of a flag without argument, or NULL */
    const char *metavar; /**< what the argument is, for --help ("N"); NULL with value */
    const char *doc;     /**< one line for collect --help */
};

/** The collector descriptor. Define one as a const object. */
struct ea_collector {
    uint32_t abi;                        /**< EA_COLLECTOR_ABI */
    uint32_t size;                       /**< sizeof(struct ea_collector) at build time */
    const char *name;                    /**< [a-z0-9-]+, unique: "git", "sarif" */
    const char *version;                 /**< the collector's own version */
    const char *summary;                 /**< one line, shown by --help */
    const char *usage;                   /**< what ARG means in NAME=ARG; may be NULL */
    const char *const *kinds;            /**< NULL-terminated: "git_commit" */
    const char *const *default_controls; /**< NULL-terminated Annex A 2022 IDs */
    /** The options it accepts, ending with an entry whose name is NULL (since ABI 2). */
    const struct ea_option *options;

    /**
     * Validates the argument and options and allocates the instance state.
     * @param state   out; on success the collector owns *state until free().
     * @param arg     borrowed; the ARG of NAME=ARG, or NULL when none was given.
     * @param options borrowed reference; a JSON object of options (may be empty).
     * @param host    borrowed; lives as long as the instance.
     * @return 0 or a negative EA_E* code with the message set through host->fail.
     */
    int (*init)(void **state, const char *arg, const json_t *options, const struct ea_host *host);
    /**
     * Collects and emits facts.
     * @param state the instance state from init().
     * @param sink  borrowed; valid during this call only.
     * @return the number of facts emitted (>= 0) or a negative EA_E* code.
     */
    int (*collect)(void *state, struct ea_sink *sink);
    /** Releases the instance state; accepts NULL. */
    void (*free)(void *state);

    /* Since ABI 2.1: read only when size covers them (see EA_COLLECTOR_ABI_MINOR). */
    uint32_t arg_flags; /**< EA_ARG_PATH or 0 */
    /** collect's flags for its options, ending with an entry whose flag is NULL; may be NULL. */
    const struct ea_shorthand *shorthands;
};

/** Whether c has the field called member (it was built against a minor that has it). */
#define EA_COLLECTOR_HAS(c, member)                                                                \
    ((c)->size >= offsetof(struct ea_collector, member) + sizeof((c)->member))

/** Builds the abi and size fields of a descriptor. */
#define EA_COLLECTOR_HEADER EA_COLLECTOR_ABI, (uint32_t)sizeof(struct ea_collector)

/** The symbol a shared-object plug-in exports. */
typedef const struct ea_collector *(*ea_collector_entry_cb)(void);

#endif
