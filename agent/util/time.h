/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time in the agent is microseconds since the epoch, UTC. Records carry it
 * as RFC 3339 with six fractional digits ("2026-11-22T14:27:58.123456Z");
 * store keys carry a compact form that sorts lexically in time order
 * ("20261122T142758.123456Z").
 */
#ifndef EA_UTIL_TIME_H
#define EA_UTIL_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define EA_TIME_TEXT_MAX 40

/** Wall-clock now, in microseconds since the epoch. */
int64_t ea_time_now_us(void);
/** "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
int ea_time_format_rfc3339(char out[EA_TIME_TEXT_MAX], int64_t us);
/** "YYYYMMDDTHHMMSS.uuuuuuZ", the store key form. */
int ea_time_format_key(char out[EA_TIME_TEXT_MAX], int64_t us);
/**
 * Parses RFC 3339 (any offset, optional fraction) or a bare date YYYY-MM-DD.
 * A bare date means its first microsecond, or with end_of_day its last.
 * @return 0 or EA_EINPUT naming the text and the accepted forms.
 */
int ea_time_parse(int64_t *out, const char *text, bool end_of_day);
/** Parses the store key form written by ea_time_format_key. */
int ea_time_parse_key(int64_t *out, const char *text);
/**
 * Parses a duration: a whole number and a unit, s, m, h, d or w ("30s", "5m",
 * "1h", "7d", "2w"). @return 0 or EA_EINPUT naming the text and the units.
 */
int ea_duration_parse(int64_t *out_us, const char *text);
/** Writes a duration as the largest unit that divides it ("7d", "90m"). */
void ea_duration_format(char out[32], int64_t us);
/** Splits us into UTC calendar fields. */
void ea_time_civil(int64_t us, int *year, int *month, int *day);

#endif
