/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a timestamp companion (timestamp.h) and, whatever
 * they parse to, as a DER TimeStampResp judged against a fixed imprint and
 * nonce; then the parsed companion's Merkle path. Nothing may crash, leak or
 * accept: no input can carry a token over our imprint for our nonce.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "timestamp.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char sig[EA_SHA256_LEN] = {1, 2, 3};
    static const unsigned char nonce[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08};
    struct ea_timestamp ts;
    struct ea_timestamp_info info;
    unsigned char imprint[EA_SHA256_LEN];

    if (ea_timestamp_parse(&ts, (const char *)data, size) == 0) {
        if (ea_timestamp_verify(&info, &ts, ts.record, sig, NULL, NULL) == 0) abort();
        ea_timestamp_expected_imprint(imprint, &ts, sig);
    }
    ea_timestamp_dispose(&ts);
    if (ea_timestamp_check_response(&info, data, size, sig, nonce, sizeof(nonce), NULL, NULL) ==
        0)
        abort();
    ea_error_clear();
    return 0;
}
