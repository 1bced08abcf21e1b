/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the Check suites: the main function, temporary
 * directories, a fake sink that records emitted facts, and paths to the
 * built binary and the source tree (passed by CMake as definitions).
 */
#ifndef EA_TESTKIT_H
#define EA_TESTKIT_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>

#include <evidence/evidence.h>

/** Runs the suite made by fn; exit status non-zero on any failure. */
int ea_test_run(Suite *(*fn)(void));
#define EA_TEST_MAIN(fn)              \
    int main(void)                    \
    {                                 \
        return ea_test_run(fn);       \
    }

/** Creates a fresh temporary directory (owned; free with ea_test_tmpdir_free). */
char *ea_test_tmpdir(void);
/** Removes the directory tree and frees the path. Accepts NULL. */
void ea_test_tmpdir_free(char *dir);
/** Runs a shell command line (tests only); returns its exit status or -1. */
int ea_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Reads a whole file into a new NUL-terminated string, or NULL. */
char *ea_test_slurp(const char *path, size_t *len);
/** Writes a file (creating it 0600); returns 0 or -1. */
int ea_test_write(const char *path, const char *text);
/** The directory of ../shared/fixtures, or NULL when absent. Static. */
const char *ea_test_fixtures_dir(void);

/** A sink that records every fact it is given, serialised as JSON objects. */
struct ea_fake_sink {
    struct ea_sink sink; /* pass &fake.sink to collect() */
    json_t *facts;       /* array of {kind, subject_name, ..., data} (owned) */
    int fail_with;       /* when < 0, emit returns this code */
};
void ea_fake_sink_init(struct ea_fake_sink *fs);
void ea_fake_sink_dispose(struct ea_fake_sink *fs);

/**
 * A loopback server started for a test: the replay server (recorded HTTP
 * responses) or any other peer. It runs in its own process group and is
 * killed by ea_test_server_stop, and at exit if a test failed first.
 */
struct ea_test_server {
    int pid;
    int port;
    char base_url[64];   /* "http://127.0.0.1:PORT" */
    char log_path[4096]; /* the server's stdout (one JSON line per request) */
    char *dir;           /* owned temp dir */
};
/** Starts tests/testkit/replay_server.py with routes (JSON text). 0 or -1. */
int ea_test_replay_start(struct ea_test_server *s, const char *routes_json);
void ea_test_server_stop(struct ea_test_server *s);
/** A loopback port with nothing listening (bound, then closed). */
int ea_test_closed_port(void);

/** A host whose log and fail go to the agent's error and log modules. */
const struct ea_host *ea_test_host(void);

#endif
