/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time formatting and parsing without the C library's locale or time zone
 * state: days-from-civil arithmetic (proleptic Gregorian) keeps it exact and
 * thread-safe.
 */
#include "time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "redact.h"

#define US_PER_S 1000000LL
#define S_PER_DAY 86400LL

int64_t ea_time_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

struct parts {
    int y, mo, d, h, mi, s;
    long us;
};

static void split(int64_t us, struct parts *p)
{
    int64_t secs = us >= 0 ? us / US_PER_S : -((-us + US_PER_S - 1) / US_PER_S);
    int64_t days = secs >= 0 ? secs / S_PER_DAY : -((-secs + S_PER_DAY - 1) / S_PER_DAY);
    int64_t rem = secs - days * S_PER_DAY;

    civil_from_days(days, &p->y, &p->mo, &p->d);
    p->h = (int)(rem / 3600);
    p->mi = (int)(rem / 60 % 60);
    p->s = (int)(rem % 60);
    p->us = (long)(us - secs * US_PER_S);
}

void ea_time_civil(int64_t us, int *year, int *month, int *day)
{
    struct parts p;

    split(us, &p);
    *year = p.y;
    *month = p.mo;
    *day = p.d;
}

int ea_time_format_rfc3339(char out[EA_TIME_TEXT_MAX], int64_t us)
{
    struct parts p;

    split(us, &p);
    snprintf(out, EA_TIME_TEXT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", p.y, p.mo, p.d, p.h,
             p.mi, p.s, p.us);
    return 0;
}

int ea_time_format_key(char out[EA_TIME_TEXT_MAX], int64_t us)
{
    struct parts p;

    split(us, &p);
    snprintf(out, EA_TIME_TEXT_MAX, "%04d%02d%02dT%02d%02d%02d.%06ldZ", p.y, p.mo, p.d, p.h, p.mi,
             p.s, p.us);
    return 0;
}

/* Reads exactly n digits. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int bad_time(const char *text)
{
    return ea_fail(EA_EINPUT,
                   "'%s': not a time (use RFC 3339 like 2026-01-31T12:00:00Z, or a date "
                   "YYYY-MM-DD)",
                   text);
}

int ea_time_parse(int64_t *out, const char *text, bool end_of_day)
{
    const char *s = text;
    struct parts p = {0};
    int off_h = 0, off_m = 0, sign = 0;
    int64_t secs;

    if (digits(&s, 4, &p.y) < 0 || *s++ != '-' || digits(&s, 2, &p.mo) < 0 || *s++ != '-' ||
        digits(&s, 2, &p.d) < 0)
        return bad_time(text);
    if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > days_in_month(p.y, p.mo)) return bad_time(text);
    if (*s == '\0') {
        secs = days_from_civil(p.y, (unsigned)p.mo, (unsigned)p.d) * S_PER_DAY;
        *out = secs * US_PER_S + (end_of_day ? S_PER_DAY * US_PER_S - 1 : 0);
        return 0;
    }
    if ((*s != 'T' && *s != 't' && *s != ' ') || (s++, digits(&s, 2, &p.h) < 0) || *s++ != ':' ||
        digits(&s, 2, &p.mi) < 0 || *s++ != ':' || digits(&s, 2, &p.s) < 0)
        return bad_time(text);
    if (p.h > 23 || p.mi > 59 || p.s > 60) return bad_time(text);
    if (*s == '.') {
        long scale = 100000;
        s++;
        if (*s < '0' || *s > '9') return bad_time(text);
        while (*s >= '0' && *s <= '9') {
            p.us += (*s - '0') * scale;
            scale /= 10;
            s++;
        }
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s == '+' ? 1 : -1;
        s++;
        if (digits(&s, 2, &off_h) < 0 || *s++ != ':' || digits(&s, 2, &off_m) < 0 || off_h > 23 ||
            off_m > 59)
            return bad_time(text);
    } else {
        return bad_time(text);
    }
    if (*s != '\0') return bad_time(text);
    secs = days_from_civil(p.y, (unsigned)p.mo, (unsigned)p.d) * S_PER_DAY + p.h * 3600LL +
           p.mi * 60LL + (p.s > 59 ? 59 : p.s);
    secs -= sign * (off_h * 3600LL + off_m * 60LL);
    *out = secs * US_PER_S + p.us;
    return 0;
}

int ea_time_parse_key(int64_t *out, const char *text)
{
    const char *s = text;
    struct parts p = {0};
    int us = 0;

    if (digits(&s, 4, &p.y) < 0 || digits(&s, 2, &p.mo) < 0 || digits(&s, 2, &p.d) < 0 ||
        *s++ != 'T' || digits(&s, 2, &p.h) < 0 || digits(&s, 2, &p.mi) < 0 ||
        digits(&s, 2, &p.s) < 0 || *s++ != '.' || digits(&s, 6, &us) < 0 || *s != 'Z')
        return ea_fail(EA_EINPUT, "'%s': not a store time key", text);
    if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > days_in_month(p.y, p.mo))
        return ea_fail(EA_EINPUT, "'%s': not a store time key", text);
    *out = (days_from_civil(p.y, (unsigned)p.mo, (unsigned)p.d) * S_PER_DAY + p.h * 3600LL +
            p.mi * 60LL + p.s) *
               US_PER_S +
           us;
    return 0;
}

static const struct {
    char unit;
    int64_t us;
} duration_units[] = {{'w', 7 * S_PER_DAY *US_PER_S},
                      {'d', S_PER_DAY *US_PER_S},
                      {'h', 3600 * US_PER_S},
                      {'m', 60 * US_PER_S},
                      {'s', US_PER_S}};

int ea_duration_parse(int64_t *out_us, const char *text)
{
    char shown[41];
    const char *s = text;
    int64_t n = 0;

    if (!s || *s < '0' || *s > '9') goto bad;
    while (*s >= '0' && *s <= '9') {
        if (n > 100000000) goto bad;
        n = n * 10 + (*s++ - '0');
    }
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
        if (s[0] == duration_units[i].unit && s[1] == '\0') {
            *out_us = n * duration_units[i].us;
            return n > 0 ? 0 : ea_fail(EA_EINPUT, "duration '%s' must be more than zero", text);
        }
    }
bad:
    return ea_fail(EA_EINPUT,
                   "duration '%s': use a whole number and s, m, h, d or w "
                   "(30s, 5m, 1h, 7d, 2w)",
                   ea_redact_show(shown, sizeof(shown), text ? text : "", text ? strlen(text) : 0));
}

void ea_duration_format(char out[32], int64_t us)
{
    for (size_t i = 1; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) { /* not w */
        if (us > 0 && us % duration_units[i].us == 0) {
            snprintf(out, 32, "%lld%c", (long long)(us / duration_units[i].us),
                     duration_units[i].unit);
            return;
        }
    }
    snprintf(out, 32, "%lldus", (long long)us);
}
