/* Wall-clock time in whole seconds since the epoch, from a clock that tests
 * can fix. Fractions of a second in input are dropped (SAML and JWT checks
 * work with a skew of seconds). */
#ifndef TESSERA_CLOCK_H
#define TESSERA_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tessera/err.h"

typedef int64_t ts_time;

struct ts_clock {
	bool fixed;
	ts_time fixed_at;
};

/* "YYYY-MM-DDTHH:MM:SSZ" plus the terminating NUL. */
#define TS_TIME_ISO_LEN 21

/* Milliseconds on CLOCK_MONOTONIC: for intervals and deadlines, never
 * for dates. */
int64_t ts_monotonic_ms(void);
/* A condition variable whose timed waits count on CLOCK_MONOTONIC, and the
 * deadline ms from now for it: a step of the wall clock (NTP correcting a
 * clock set wrong at boot, an operator) neither stretches a wait by the
 * step nor cuts it short. Returns pthread_cond_init's result; a negative
 * ms is now. */
int ts_cond_init_monotonic(pthread_cond_t *cond);
struct timespec ts_monotonic_deadline(int64_t ms);

struct ts_clock ts_clock_real(void);
struct ts_clock ts_clock_fixed(ts_time at);
ts_time ts_clock_now(const struct ts_clock *clock);

/* Parses YYYY-MM-DDTHH:MM:SS with optional fraction and a zone of Z or
 * +HH:MM / -HH:MM. Anything else, or an impossible date, is TIME_FORMAT. */
ts_err ts_time_parse(const char *text, ts_time *out);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out[TS_TIME_ISO_LEN]. */
void ts_time_format(ts_time t, char out[TS_TIME_ISO_LEN]);

#endif
