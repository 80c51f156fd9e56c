/* The pure side of cutover: names of stages and decisions, and what an
 * exception matches (user, User-Agent pattern, network). No store, no lock:
 * the gate calls ts_cutover_excepted on its snapshot for every request. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tessera/cutover.h"
#include "tessera/util.h"

static const char *const stage_names[] = {"legacy", "audit", "passive"};
static const char *const decision_names[] = {"passed", "would-block", "refused", "excepted",
					     "pool-refused"};
static const char *const exception_kind_names[] = {"user", "agent", "cidr"};

/* DESIGN.md, vocabulary "legacy auth", with the gate's kind names. */
static const char *const legacy_kinds[] = {"ntlm",    "negotiate", "basic", "password",
					   "windows", "pin",	   "tls-dsk"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *ts_stage_name(enum ts_stage stage)
{
	return (unsigned)stage < N(stage_names) ? stage_names[stage] : "unknown";
}

ts_err ts_stage_parse(const char *text, enum ts_stage *out)
{
	for (size_t i = 0; text != NULL && i < N(stage_names); i++)
		if (strcmp(text, stage_names[i]) == 0) {
			*out = (enum ts_stage)i;
			return TS_ERR_OK;
		}
	return TS_ERR_CUTOVER_STAGE;
}

const char *ts_usage_decision_name(enum ts_usage_decision d)
{
	return (unsigned)d < N(decision_names) ? decision_names[d] : "unknown";
}

ts_err ts_usage_decision_parse(const char *text, enum ts_usage_decision *out)
{
	for (size_t i = 0; text != NULL && i < N(decision_names); i++)
		if (strcmp(text, decision_names[i]) == 0) {
			*out = (enum ts_usage_decision)i;
			return TS_ERR_OK;
		}
	return TS_ERR_INVALID_ARGUMENT;
}

const char *ts_exception_kind_name(enum ts_exception_kind k)
{
	return (unsigned)k < N(exception_kind_names) ? exception_kind_names[k] : "unknown";
}

bool ts_cutover_kind_is_legacy(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < N(legacy_kinds); i++)
		if (strcmp(kind, legacy_kinds[i]) == 0)
			return true;
	return false;
}

/* A numeric address of either family; IPv4-mapped IPv6 becomes IPv4 so a
 * dual-stack listener's "::ffff:192.0.2.7" matches 192.0.2.0/24. */
static bool parse_ip(const char *ip, int *family, unsigned char addr[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(addr, 0, 16);
	if (ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, ip, addr) != 1)
		return false;
	if (memcmp(addr, mapped, sizeof mapped) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	} else {
		*family = AF_INET6;
	}
	return true;
}

/* Is every bit of addr past the first bits zero? */
static bool host_bits_clear(const unsigned char *addr, unsigned len, unsigned bits)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
		unsigned char mask = keep == 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		if ((addr[i] & (unsigned char)~mask) != 0)
			return false;
	}
	return true;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

ts_err ts_cidr_parse(const char *text, struct ts_cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;
	long bits;
	unsigned max;

	if (text == NULL || strnlen(text, 64) >= 64)
		return TS_ERR_CUTOVER_CIDR;
	slash = strchr(text, '/');
	alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof addr)
		return TS_ERR_CUTOVER_CIDR;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	memset(out, 0, sizeof *out);
	/* Mapped forms are for sources, not for networks an operator writes. */
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = AF_INET6;
	else
		return TS_ERR_CUTOVER_CIDR;
	max = out->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else if (ts_parse_long(slash + 1, 0, max, &bits) != TS_ERR_OK)
		return TS_ERR_CUTOVER_CIDR;
	out->bits = (unsigned)bits;
	/* 10.0.0.1/8 is a typo for 10.0.0.0/8 or 10.0.0.1/32: ask, do not guess. */
	if (!host_bits_clear(out->addr, max / 8, out->bits))
		return TS_ERR_CUTOVER_CIDR;
	return TS_ERR_OK;
}

bool ts_cidr_contains(const struct ts_cidr *net, const char *ip)
{
	unsigned char addr[16];
	int family;

	if (net == NULL || !parse_ip(ip, &family, addr) || family != net->family)
		return false;
	return prefix_equal(addr, net->addr, net->bits);
}

ts_err ts_cutover_network_of(const char *ip, char out[TS_CUTOVER_NETWORK_MAX])
{
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];
	int family;

	if (!parse_ip(ip, &family, addr))
		return TS_ERR_INVALID_ARGUMENT;
	/* /24 and /64: one office, one NAT pool or one home line per row. */
	if (family == AF_INET)
		addr[3] = 0;
	else
		memset(addr + 8, 0, 8);
	if (inet_ntop(family, addr, text, sizeof text) == NULL)
		return TS_ERR_INVALID_ARGUMENT;
	snprintf(out, TS_CUTOVER_NETWORK_MAX, "%s/%u", text, family == AF_INET ? 24u : 64u);
	return TS_ERR_OK;
}

ts_err ts_agent_pattern_check(const char *pattern)
{
	size_t stars = 0, n;

	if (pattern == NULL || *pattern == '\0' ||
	    (n = strnlen(pattern, TS_CUTOVER_AGENT_MAX + 1)) > TS_CUTOVER_AGENT_MAX)
		return TS_ERR_CUTOVER_PATTERN;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)pattern[i] < 0x20 || pattern[i] == 0x7f)
			return TS_ERR_CUTOVER_PATTERN;
		stars += pattern[i] == '*';
	}
	/* A pattern of only stars would except every client: say so. */
	return stars > TS_CUTOVER_AGENT_STARS || stars == n ? TS_ERR_CUTOVER_PATTERN : TS_ERR_OK;
}

/* Iterative glob with one backtrack point (the last '*'): linear in
 * practice, at most |pattern| x |agent| steps, never recursion. */
bool ts_agent_pattern_match(const char *pattern, const char *agent)
{
	const char *p = pattern, *a = agent, *star = NULL, *resume = NULL;

	if (pattern == NULL || agent == NULL)
		return false;
	while (*a != '\0') {
		if (*p == '*') {
			star = p++;
			resume = a;
		} else if (*p != '\0' &&
			   (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*a))) {
			p++, a++;
		} else if (star != NULL) {
			p = star + 1;
			a = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

const struct ts_cutover_exception *ts_cutover_excepted(const struct ts_cutover_exceptions *e,
						       const char *user, const char *agent,
						       const char *ip, ts_time now)
{
	for (size_t i = 0; e != NULL && i < e->n; i++) {
		const struct ts_cutover_exception *x = &e->items[i];
		bool hit = false;

		if (now >= x->until)
			continue;
		switch (x->kind) {
		case TS_EXCEPT_USER:
			hit = user != NULL && strcasecmp(user, x->value) == 0;
			break;
		case TS_EXCEPT_AGENT:
			hit = ts_agent_pattern_match(x->value, agent);
			break;
		case TS_EXCEPT_CIDR:
			hit = ts_cidr_contains(&x->net, ip);
			break;
		}
		if (hit)
			return x;
	}
	return NULL;
}

ts_err ts_cutover_until_parse(const char *text, ts_time now, ts_time *out)
{
	char full[32];
	ts_time t;

	if (text == NULL)
		return TS_ERR_CUTOVER_UNTIL;
	/* A bare date is its first second, UTC: the exception is gone on that day. */
	if (strlen(text) == 10) {
		snprintf(full, sizeof full, "%sT00:00:00Z", text);
		text = full;
	}
	if (ts_time_parse(text, &t) != TS_ERR_OK || t <= now)
		return TS_ERR_CUTOVER_UNTIL;
	*out = t;
	return TS_ERR_OK;
}
