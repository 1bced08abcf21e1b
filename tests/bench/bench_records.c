/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark (not a test): signs and durably stores N records through the real
 * pipeline into a file store, as `collect` does, and prints records/s. Used
 * by ci/bench.sh, which sets this beside `openssl speed ed25519` from the same
 * run and times `evidence-agent verify` over the store this leaves behind.
 *
 *   bench_records STORE_DIR KEY.pem [N [DAYS]]
 *
 * With DAYS, the records' times are spread evenly over that many days before
 * now (for the query benchmark: one control and one day of a large store).
 * EA_BENCH_STREAMS=S deals the records round-robin over S streams (default 1),
 * as S `collect` runs would (for the verify benchmark of ci/bench_verify.sh).
 * EA_BENCH_TSA=URL timestamps every commit with that RFC 3161 TSA, and
 * EA_BENCH_BATCH=B commits every B records (default 256): one token per commit
 * (ci/bench_tsa.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "controls.h"
#include "util/error.h"
#include "log.h"
#include "pipeline.h"
#include "store/store.h"
#include "util/mem.h"
#include "util/time.h"

static const char *const defaults[] = {"A.8.32", NULL};
static const struct ea_collector bench = {
    EA_COLLECTOR_HEADER, "bench", "1.0.0", "benchmark facts", NULL,
    (const char *const[]){"custom", NULL}, defaults, NULL, NULL, NULL, NULL, 0, NULL,
};

static long spread_n, spread_i;
static int64_t spread_days, spread_start;

static int64_t spread_clock(void)
{
    int64_t span = spread_days * 86400LL * 1000000LL;
    return spread_start + (int64_t)((double)span * (double)spread_i++ / (double)spread_n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct ea_store *st = NULL;
    struct ea_key *key = NULL;
    struct ea_pipeline *p;
    struct ea_control_set none;
    long n = argc > 3 ? strtol(argv[3], NULL, 10) : 20000;
    const char *env = getenv("EA_BENCH_STREAMS");
    long nstreams = env ? strtol(env, NULL, 10) : 1;
    char(*names)[32];
    double t0, t1;
    int rc;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_records STORE_DIR KEY.pem [N [DAYS]]\n");
        return 2;
    }
    ea_mem_init();
    ea_controls_init();
    ea_log_set_level(EA_LOG_LEVEL_WARN); /* a line per record would measure stderr */
    memset(&none, 0, sizeof(none));
    rc = ea_store_open(&st, argv[1], EA_STORE_CREATE);
    if (rc == 0) rc = ea_config_signing_key(&key, argv[2]);
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", ea_error_message(rc));
        return 1;
    }
    if (nstreams < 1) nstreams = 1;
    p = ea_calloc((size_t)nstreams, sizeof(*p));
    names = ea_calloc((size_t)nstreams, sizeof(*names));
    if (!p || !names) {
        fprintf(stderr, "bench: out of memory\n");
        return 1;
    }
    struct ea_pipeline_opts o = {.key = key, .store = st, .agent_id = "bench",
                                 .stream = "bench.1", .extra = &none};
    struct ea_tsa *tsa = NULL;
    const char *tsa_url = getenv("EA_BENCH_TSA"), *batch = getenv("EA_BENCH_BATCH");
    if (tsa_url && (rc = ea_tsa_open(&tsa, &tsa_url, 1, NULL)) < 0) {
        fprintf(stderr, "bench: %s\n", ea_error_message(rc));
        return 1;
    }
    o.tsa = tsa;
    o.tsa_required = tsa != NULL; /* a failed token fails the benchmark, not a warning */
    if (batch) o.batch_max = (unsigned)strtoul(batch, NULL, 10);
    if (argc > 4) {
        spread_n = n;
        spread_days = strtol(argv[4], NULL, 10);
        spread_start = ea_time_now_us() - spread_days * 86400LL * 1000000LL;
        o.clock_us = spread_clock;
    }
    for (long k = 0; k < nstreams; k++) {
        snprintf(names[k], sizeof(names[k]), "bench.%ld", k + 1);
        o.stream = names[k];
        ea_pipeline_init(&p[k], &o);
    }
    t0 = now_s();
    for (long i = 0; i < n && rc == 0; i++) {
        char digest[65], summary[96];
        struct ea_fact f = EA_FACT_INIT;
        json_t *data = json_pack("{s:I, s:s, s:[s,s]}", "n", (json_int_t)i, "what",
                                 "benchmark record of typical size for a pipeline fact",
                                 "tags", "one", "two");
        snprintf(digest, sizeof(digest), "%064lx", (unsigned long)i);
        snprintf(summary, sizeof(summary), "Benchmark fact number %ld.", i);
        f.kind = "custom";
        f.subject_name = "bench";
        f.subject_digest_alg = "sha256";
        f.subject_digest = digest;
        f.source_system = "local";
        f.result = EA_RESULT_PASS;
        f.summary = summary;
        f.data = data;
        rc = ea_pipeline_fact(&p[i % nstreams], &bench, defaults, &f);
        json_decref(data);
    }
    for (long k = 0; k < nstreams && rc == 0; k++) rc = ea_pipeline_flush(&p[k]);
    t1 = now_s();
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", ea_error_message(rc));
        return 1;
    }
    printf("sign+store%s: %ld records in %.3f s = %.0f records/s\n", tsa ? "+timestamp" : "", n,
           t1 - t0, n / (t1 - t0));
    if (tsa) {
        unsigned stamped = 0;
        for (long k = 0; k < nstreams; k++) stamped += p[k].stamped;
        printf("timestamped: %u records\n", stamped);
    }
    for (long k = 0; k < nstreams; k++) ea_pipeline_dispose(&p[k]);
    ea_tsa_close(tsa);
    ea_free(names);
    ea_free(p);
    ea_key_free(key);
    ea_store_close(st);
    return 0;
}
