/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark (not a test): redacts FILE as a log ingester would, in 64 KiB
 * chunks cut at newlines with stream state carried over, and prints MB/s
 * and the number of masks. ci/bench.sh sets it beside `grep -c` on the file.
 *
 *   bench_redact FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/redact.h"
#include "util/mem.h"

int main(int argc, char **argv)
{
    static char chunk[1 << 16];
    struct ea_redactor *r = NULL;
    struct ea_redact_stream st = {false};
    struct ea_buf out;
    struct timespec t0, t1;
    unsigned masks = 0;
    size_t have = 0, total = 0;
    int fd;

    if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0) {
        fprintf(stderr, "usage: bench_redact FILE\n");
        return 2;
    }
    ea_mem_init();
    if (ea_redactor_new(&r) < 0) return 1;
    ea_buf_init(&out, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        ssize_t n = read(fd, chunk + have, sizeof(chunk) - have);
        size_t cut;
        if (n < 0) return 1;
        have += (size_t)n;
        if (have == 0) break;
        cut = have;
        if (n > 0) { /* process whole lines; keep the tail for the next read */
            while (cut > 0 && chunk[cut - 1] != '\n') cut--;
            if (cut == 0) cut = have;
        }
        ea_buf_reset(&out);
        if (ea_redact_text(r, &st, &out, chunk, cut, &masks) < 0) return 1;
        total += cut;
        memmove(chunk, chunk + cut, have - cut);
        have -= cut;
        if (n == 0 && have == 0) break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("redact: %.1f MB in %.3f s = %.0f MB/s, %u masks\n", total / 1e6, s, total / 1e6 / s,
           masks);
    ea_buf_dispose(&out);
    ea_redactor_free(r);
    close(fd);
    return 0;
}
