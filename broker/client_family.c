/* One table: User-Agent substring (case-insensitive) → family, first match
 * wins, most specific first. Facts from ../shared/sfb-protocol.md section 4
 * (UA strings) and sections 1.2 and 8.12 (who can sign in passively). */
#include <glib.h>
#include <string.h>

#include "client_family.h"

static const struct ts_client_family_info families[TS_CLIENT__COUNT] = {
	[TS_CLIENT_UNKNOWN] = {TS_CLIENT_UNKNOWN, "unknown", false},
	/* 1.2: "any client that isn't Lync 2013 (Lync 2010, ...)" breaks. */
	[TS_CLIENT_LYNC_2010] = {TS_CLIENT_LYNC_2010, "lync-2010", false},
	/* 1.2: capable from the July 2013 CU on; older builds are not, and a
	 * build check belongs to the plan report, not to the gate. */
	[TS_CLIENT_LYNC_2013] = {TS_CLIENT_LYNC_2013, "lync-2013", true},
	[TS_CLIENT_SFB] = {TS_CLIENT_SFB, "skype-for-business", true},
	/* 1.2: "Not supported: the Mac client". */
	[TS_CLIENT_LYNC_MAC] = {TS_CLIENT_LYNC_MAC, "lync-mac", false},
	/* 1.2 and 8.12: Lync 2010 phones and conferencing hardware break. */
	[TS_CLIENT_PHONE_EDITION] = {TS_CLIENT_PHONE_EDITION, "phone-edition", false},
	/* 1.2: Lync 2013 mobile 5.2 and later (Oct 2013) and SfB mobile are
	 * capable; the HTTP UAs carry no version the gate could check
	 * (section 4: "no authoritative strings found"). */
	[TS_CLIENT_MOBILE_IOS] = {TS_CLIENT_MOBILE_IOS, "mobile-ios", true},
	[TS_CLIENT_MOBILE_ANDROID] = {TS_CLIENT_MOBILE_ANDROID, "mobile-android", true},
	[TS_CLIENT_MOBILE_WINDOWS_PHONE] = {TS_CLIENT_MOBILE_WINDOWS_PHONE, "mobile-windows-phone",
					    true},
	/* 1.2: Lync Web App supports passive ([LWA]); Web SDK apps too ([WebSDK]). */
	[TS_CLIENT_BROWSER] = {TS_CLIENT_BROWSER, "browser", true},
	/* 1.2: third-party SIP clients and tools do not do WS-Fed passive. */
	[TS_CLIENT_THIRD_PARTY] = {TS_CLIENT_THIRD_PARTY, "third-party", false},
};

static const struct {
	const char *needle;
	enum ts_client_family family;
} rules[] = {
	/* Before "Microsoft Lync": the Mac and phone products contain it. */
	{"Lync for Mac", TS_CLIENT_LYNC_MAC},
	{"LyncForMac", TS_CLIENT_LYNC_MAC},
	{"Phone Edition", TS_CLIENT_PHONE_EDITION},
	{"OCPhone", TS_CLIENT_PHONE_EDITION},
	{"CPE/", TS_CLIENT_PHONE_EDITION},
	{"(Microsoft Lync 2010", TS_CLIENT_LYNC_2010},
	{"AOC/", TS_CLIENT_LYNC_2010}, /* Lync 2010 Attendee */
	{"(Skype for Business)", TS_CLIENT_SFB},
	{"(Microsoft Lync)", TS_CLIENT_LYNC_2013},
	/* Mobile app codes from the client version policy (section 4). */
	{"iPhoneLync", TS_CLIENT_MOBILE_IOS},
	{"iPadLync", TS_CLIENT_MOBILE_IOS},
	{"AndroidLync", TS_CLIENT_MOBILE_ANDROID},
	{"WPLync", TS_CLIENT_MOBILE_WINDOWS_PHONE},
	{"NokiaLync", TS_CLIENT_MOBILE_WINDOWS_PHONE},
	/* Third-party clients and tools, before the browser heuristic. */
	{"SIPE/", TS_CLIENT_THIRD_PARTY},
	{"Pidgin", TS_CLIENT_THIRD_PARTY},
	{"purple", TS_CLIENT_THIRD_PARTY},
	{"LSPT/", TS_CLIENT_THIRD_PARTY},
	{"Ucwa Perf Tool", TS_CLIENT_THIRD_PARTY},
	{"curl/", TS_CLIENT_THIRD_PARTY},
	{"python-requests", TS_CLIENT_THIRD_PARTY},
	/* [SWF] heuristics (section 4, unverified strings): ACOMO → Android,
	 * Mozilla → browser, Darwin → iOS. Darwin last: it only names the
	 * CFNetwork stack of an app that said nothing more specific. */
	{"ACOMO", TS_CLIENT_MOBILE_ANDROID},
	{"Mozilla/", TS_CLIENT_BROWSER},
	{"CWA/", TS_CLIENT_BROWSER}, /* Lync Web App / Communicator Web Access */
	{"Darwin", TS_CLIENT_MOBILE_IOS},
};

/* Case-insensitive substring search within the first len bytes. */
static bool contains(const char *hay, size_t len, const char *needle)
{
	const size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (g_ascii_strncasecmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

const struct ts_client_family_info *ts_client_family(const char *user_agent, size_t len)
{
	for (size_t i = 0; user_agent != NULL && i < sizeof rules / sizeof rules[0]; i++)
		if (contains(user_agent, len, rules[i].needle))
			return &families[rules[i].family];
	return &families[TS_CLIENT_UNKNOWN];
}

const struct ts_client_family_info *ts_client_family_info(enum ts_client_family family)
{
	return (unsigned)family < TS_CLIENT__COUNT ? &families[family] : &families[TS_CLIENT_UNKNOWN];
}
