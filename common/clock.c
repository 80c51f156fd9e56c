/* ts_clock and ISO 8601 (the subset SAML, WS-Trust and our CLI use). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tessera/clock.h"

int64_t ts_monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ts_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc;

	if ((rc = pthread_condattr_init(&attr)) != 0)
		return rc;
	if ((rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)) == 0)
		rc = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return rc;
}

struct timespec ts_monotonic_deadline(int64_t ms)
{
	struct timespec t;

	if (ms < 0)
		ms = 0; /* a negative tv_nsec would make every wait EINVAL at once */
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

struct ts_clock ts_clock_real(void)
{
	return (struct ts_clock){.fixed = false};
}

struct ts_clock ts_clock_fixed(ts_time at)
{
	return (struct ts_clock){.fixed = true, .fixed_at = at};
}

ts_time ts_clock_now(const struct ts_clock *clock)
{
	if (clock != NULL && clock->fixed)
		return clock->fixed_at;
	return (ts_time)time(NULL);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil); avoids timegm's locale of errors. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads exactly n digits; returns -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

ts_err ts_time_parse(const char *text, ts_time *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	int y, mo, d, h, mi, s, offset = 0;

	if (text == NULL || strnlen(text, 40) < 19 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':')
		return TS_ERR_TIME_FORMAT;
	y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
	h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 60)
		return TS_ERR_TIME_FORMAT;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return TS_ERR_TIME_FORMAT;
	p += 19;
	if (*p == '.') {
		const char *frac = ++p;
		while (*p >= '0' && *p <= '9' && p - frac < 9)
			p++;
		if (p == frac)
			return TS_ERR_TIME_FORMAT;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strnlen(p, 7) == 6) {
		/* exactly "+HH:MM": never read past the terminator */
		int oh = digits(p + 1, 2), om = p[3] == ':' ? digits(p + 4, 2) : -1;
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return TS_ERR_TIME_FORMAT;
		offset = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
		p += 6;
	} else {
		return TS_ERR_TIME_FORMAT; /* a time without a zone is ambiguous */
	}
	if (*p != '\0')
		return TS_ERR_TIME_FORMAT;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	       (s == 60 ? 59 : s) - offset;
	return TS_ERR_OK;
}

void ts_time_format(ts_time t, char out[TS_TIME_ISO_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, TS_TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) != TS_TIME_ISO_LEN - 1)
		snprintf(out, TS_TIME_ISO_LEN, "%s", "0000-00-00T00:00:00Z");
}
