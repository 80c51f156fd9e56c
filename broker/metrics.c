/* Counters are atomics on fixed tables; only the IdP x pool table takes a
 * lock (it is written once per sign-in, not per request). */
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const int statuses[] = {200, 204, 302, 400, 401, 403, 404, 405, 413, 500, 503};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				 0.05,	 0.1,	0.25,	0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])
#define MAX_SIGNIN_PAIRS 1024

struct route_counters {
	atomic_ulong by_status[N_STATUS];
	atomic_ulong bucket[N_BUCKETS]; /* cumulative at render time */
	atomic_ulong count;
	atomic_ullong micros; /* sum of durations */
};

struct signin_pair {
	char *idp, *pool;
	unsigned long count;
};

/* Pools come from the config and kinds and outcomes from fixed tables, but
 * reloads can rename pools: the cap keeps the table bounded anyway. */
#define MAX_GATE_ROWS 4096

struct gate_row {
	char *pool;
	const char *kind, *outcome; /* static labels (legacy rows: the decision) */
	unsigned long count;
};

struct ts_metrics {
	const char *const *route_names;
	size_t n_routes;
	struct route_counters *routes;
	atomic_ulong rejections[TS_ERR__COUNT];
	atomic_ulong tickets_minted;
	atomic_ulong replay_hits;
	pthread_mutex_t lock;
	struct signin_pair pairs[MAX_SIGNIN_PAIRS];
	size_t n_pairs;
	atomic_ulong pairs_dropped;
	struct gate_row gate[MAX_GATE_ROWS];
	size_t n_gate;
	struct gate_row legacy[MAX_GATE_ROWS]; /* legacy attempts by kind and decision */
	size_t n_legacy;
	atomic_ulong gate_dropped;
};

struct ts_metrics *ts_metrics_new(const char *const *route_names, size_t n_routes)
{
	struct ts_metrics *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->route_names = route_names;
	m->n_routes = n_routes;
	m->routes = calloc(n_routes, sizeof *m->routes);
	pthread_mutex_init(&m->lock, NULL);
	if (m->routes == NULL) {
		ts_metrics_free(m);
		return NULL;
	}
	return m;
}

void ts_metrics_free(struct ts_metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_pairs; i++) {
		g_free(m->pairs[i].idp);
		g_free(m->pairs[i].pool);
	}
	for (size_t i = 0; i < m->n_gate; i++)
		g_free(m->gate[i].pool);
	for (size_t i = 0; i < m->n_legacy; i++)
		g_free(m->legacy[i].pool);
	pthread_mutex_destroy(&m->lock);
	free(m->routes);
	free(m);
}

void ts_metrics_request(struct ts_metrics *m, size_t route, int status, double seconds)
{
	struct route_counters *r;
	size_t s = N_STATUS - 1;

	if (m == NULL || route >= m->n_routes)
		return;
	r = &m->routes[route];
	for (size_t i = 0; i + 1 < N_STATUS; i++)
		if (statuses[i] == status)
			s = i;
	atomic_fetch_add(&r->by_status[s], 1);
	for (size_t b = 0; b < N_BUCKETS; b++)
		if (seconds <= buckets[b]) {
			atomic_fetch_add(&r->bucket[b], 1);
			break;
		}
	atomic_fetch_add(&r->count, 1);
	atomic_fetch_add(&r->micros, (unsigned long long)(seconds * 1e6));
}

void ts_metrics_rejection(struct ts_metrics *m, ts_err err)
{
	if (m != NULL && (int)err >= 0 && err < TS_ERR__COUNT)
		atomic_fetch_add(&m->rejections[err], 1);
}

void ts_metrics_signin(struct ts_metrics *m, const char *idp, const char *pool)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n_pairs; i++)
		if (strcmp(m->pairs[i].idp, idp) == 0 && strcmp(m->pairs[i].pool, pool) == 0) {
			m->pairs[i].count++;
			pthread_mutex_unlock(&m->lock);
			return;
		}
	if (m->n_pairs < MAX_SIGNIN_PAIRS) {
		m->pairs[m->n_pairs].idp = g_strdup(idp);
		m->pairs[m->n_pairs].pool = g_strdup(pool);
		m->pairs[m->n_pairs++].count = 1;
	} else {
		atomic_fetch_add(&m->pairs_dropped, 1);
	}
	pthread_mutex_unlock(&m->lock);
}

void ts_metrics_ticket_minted(struct ts_metrics *m)
{
	if (m != NULL)
		atomic_fetch_add(&m->tickets_minted, 1);
}

void ts_metrics_replay(struct ts_metrics *m)
{
	if (m != NULL)
		atomic_fetch_add(&m->replay_hits, 1);
}

/* One more in the row (pool, a, b) of rows, added if new while there is room. */
static void count_row(struct ts_metrics *m, struct gate_row *rows, size_t *n, const char *pool,
		      const char *a, const char *b)
{
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < *n; i++) {
		struct gate_row *r = &rows[i];
		if (strcmp(r->kind, a) == 0 && strcmp(r->outcome, b) == 0 &&
		    strcmp(r->pool, pool) == 0) {
			r->count++;
			pthread_mutex_unlock(&m->lock);
			return;
		}
	}
	if (*n < MAX_GATE_ROWS)
		rows[(*n)++] = (struct gate_row){.pool = g_strdup(pool), .kind = a, .outcome = b,
						 .count = 1};
	else
		atomic_fetch_add(&m->gate_dropped, 1);
	pthread_mutex_unlock(&m->lock);
}

void ts_metrics_gate(struct ts_metrics *m, const char *pool, const char *kind, const char *outcome)
{
	if (m != NULL)
		count_row(m, m->gate, &m->n_gate, pool, kind, outcome);
}

void ts_metrics_legacy(struct ts_metrics *m, const char *pool, const char *kind,
		       const char *decision)
{
	if (m != NULL)
		count_row(m, m->legacy, &m->n_legacy, pool, kind, decision);
}

/* Label values: backslash, quote and newline escaped (exposition format). */
static void label(GString *out, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			g_string_append_c(out, '\\'), g_string_append_c(out, *value);
		else if (*value == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *value);
	}
}

static void render_routes(struct ts_metrics *m, GString *out)
{
	g_string_append(out, "# HELP tessera_http_requests_total HTTP requests by route and status.\n"
			     "# TYPE tessera_http_requests_total counter\n");
	for (size_t r = 0; r < m->n_routes; r++)
		for (size_t s = 0; s < N_STATUS; s++) {
			unsigned long n = atomic_load(&m->routes[r].by_status[s]);
			if (n == 0)
				continue;
			g_string_append(out, "tessera_http_requests_total{route=\"");
			label(out, m->route_names[r]);
			if (s + 1 < N_STATUS)
				g_string_append_printf(out, "\",status=\"%d\"} %lu\n", statuses[s], n);
			else
				g_string_append_printf(out, "\",status=\"other\"} %lu\n", n);
		}
	g_string_append(out, "# HELP tessera_http_request_duration_seconds Time to answer, by route.\n"
			     "# TYPE tessera_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r < m->n_routes; r++) {
		const struct route_counters *c = &m->routes[r];
		unsigned long count = atomic_load(&c->count), cumulative = 0;

		if (count == 0)
			continue;
		for (size_t b = 0; b < N_BUCKETS; b++) {
			cumulative += atomic_load(&c->bucket[b]);
			g_string_append(out, "tessera_http_request_duration_seconds_bucket{route=\"");
			label(out, m->route_names[r]);
			g_string_append_printf(out, "\",le=\"%g\"} %lu\n", buckets[b], cumulative);
		}
		g_string_append(out, "tessera_http_request_duration_seconds_bucket{route=\"");
		label(out, m->route_names[r]);
		g_string_append_printf(out, "\",le=\"+Inf\"} %lu\n", count);
		g_string_append(out, "tessera_http_request_duration_seconds_sum{route=\"");
		label(out, m->route_names[r]);
		g_string_append_printf(out, "\"} %.6f\n", (double)atomic_load(&c->micros) / 1e6);
		g_string_append(out, "tessera_http_request_duration_seconds_count{route=\"");
		label(out, m->route_names[r]);
		g_string_append_printf(out, "\"} %lu\n", count);
	}
}

ts_err ts_metrics_render(struct ts_metrics *m, char **text, size_t *len)
{
	GString *out = g_string_new(NULL);

	render_routes(m, out);
	g_string_append(out, "# HELP tessera_signins_total Completed sign-ins by IdP and pool.\n"
			     "# TYPE tessera_signins_total counter\n");
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n_pairs; i++) {
		g_string_append(out, "tessera_signins_total{idp=\"");
		label(out, m->pairs[i].idp);
		g_string_append(out, "\",pool=\"");
		label(out, m->pairs[i].pool);
		g_string_append_printf(out, "\"} %lu\n", m->pairs[i].count);
	}
	pthread_mutex_unlock(&m->lock);
	g_string_append_printf(out,
			       "# HELP tessera_signin_pairs_dropped_total Sign-ins not counted "
			       "by pair: the IdP x pool table was full.\n"
			       "# TYPE tessera_signin_pairs_dropped_total counter\n"
			       "tessera_signin_pairs_dropped_total %lu\n",
			       atomic_load(&m->pairs_dropped));
	g_string_append(out, "# HELP tessera_gate_decisions_total Gate verdicts by pool, "
			     "kind of authentication and outcome.\n"
			     "# TYPE tessera_gate_decisions_total counter\n");
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n_gate; i++) {
		g_string_append(out, "tessera_gate_decisions_total{pool=\"");
		label(out, m->gate[i].pool);
		g_string_append_printf(out, "\",kind=\"%s\",outcome=\"%s\"} %lu\n", m->gate[i].kind,
				       m->gate[i].outcome, m->gate[i].count);
	}
	pthread_mutex_unlock(&m->lock);
	g_string_append(out, "# HELP tessera_gate_legacy_attempts_total Legacy sign-in attempts "
			     "(NTLM, Negotiate, Basic, password, ...) by pool, kind and what the "
			     "stage made of them: passed, would-block, excepted, refused; and "
			     "pool-refused, the pool's refusal of one it let through.\n"
			     "# TYPE tessera_gate_legacy_attempts_total counter\n");
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n_legacy; i++) {
		g_string_append(out, "tessera_gate_legacy_attempts_total{pool=\"");
		label(out, m->legacy[i].pool);
		g_string_append_printf(out, "\",kind=\"%s\",decision=\"%s\"} %lu\n",
				       m->legacy[i].kind, m->legacy[i].outcome, m->legacy[i].count);
	}
	pthread_mutex_unlock(&m->lock);
	g_string_append_printf(out,
			       "# HELP tessera_gate_rows_dropped_total Gate verdicts not counted "
			       "by pool and kind: the table was full.\n"
			       "# TYPE tessera_gate_rows_dropped_total counter\n"
			       "tessera_gate_rows_dropped_total %lu\n",
			       atomic_load(&m->gate_dropped));
	g_string_append(out, "# HELP tessera_rejections_total Refused requests by error name.\n"
			     "# TYPE tessera_rejections_total counter\n");
	for (int e = 0; e < TS_ERR__COUNT; e++) {
		unsigned long n = atomic_load(&m->rejections[e]);
		if (n > 0)
			g_string_append_printf(out, "tessera_rejections_total{error=\"%s\"} %lu\n",
					       ts_errname((ts_err)e), n);
	}
	g_string_append_printf(out,
			       "# HELP tessera_tickets_minted_total Tessera tickets minted and handed out.\n"
			       "# TYPE tessera_tickets_minted_total counter\n"
			       "tessera_tickets_minted_total %lu\n"
			       "# HELP tessera_replay_hits_total Assertions refused as replays.\n"
			       "# TYPE tessera_replay_hits_total counter\n"
			       "tessera_replay_hits_total %lu\n",
			       atomic_load(&m->tickets_minted), atomic_load(&m->replay_hits));
	*len = out->len;
	*text = g_string_free(out, FALSE);
	return TS_ERR_OK;
}
