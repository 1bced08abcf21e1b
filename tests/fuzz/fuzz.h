/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz targets share the libFuzzer entry point. With clang and EA_FUZZ=ON
 * they link against libFuzzer; otherwise replay.c supplies a main that runs
 * every file of a corpus folder through the target, so the corpus is a
 * regression test under ctest with any compiler.
 */
#ifndef EA_FUZZ_H
#define EA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
