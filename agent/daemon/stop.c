/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stop signal (stop.h). Sleeping is on CLOCK_REALTIME, the clock of
 * ea_time_now_us and of pthread_cond_timedwait's default: a sleep that ends
 * early (a spurious wake-up, a clock step) rechecks the time and goes on.
 */
#include "stop.h"

#include <errno.h>
#include <time.h>

#include "../util/time.h"

void ea_stop_init(struct ea_stop *s)
{
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->stopping = false;
}

void ea_stop_dispose(struct ea_stop *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

void ea_stop_clear(struct ea_stop *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = false;
    pthread_mutex_unlock(&s->lock);
}

void ea_stop_request(struct ea_stop *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

bool ea_stop_requested(struct ea_stop *s)
{
    bool stopping;

    pthread_mutex_lock(&s->lock);
    stopping = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return stopping;
}

void ea_stop_sleep_until(struct ea_stop *s, int64_t until_us)
{
    struct timespec until;

    until.tv_sec = (time_t)(until_us / 1000000);
    until.tv_nsec = (long)(until_us % 1000000) * 1000;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && ea_time_now_us() < until_us)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&s->lock);
}
