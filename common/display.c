/* ts_display_text: see tessera/display.h. */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "tessera/display.h"

/* Characters that reorder the text around them (Unicode bidi controls):
 * ALM, LRM, RLM, LRE..RLO and LRI..PDI. */
static bool bidi_control(gunichar c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* How many bytes at p form one character that may be shown as it is; 0
 * when its first byte is to be escaped. */
static size_t shown_as_is(const char *p)
{
	const unsigned char b = (unsigned char)*p;
	const size_t n = (size_t)g_utf8_skip[b]; /* the length its first byte claims */
	gunichar c;

	if (b >= 0x20 && b < 0x7f)
		return 1;
	if (b < 0x80 || strnlen(p, n) < n)
		return 0;
	c = g_utf8_get_char_validated(p, (gssize)n);
	if (c == (gunichar)-1 || c == (gunichar)-2 || c < 0xa0 || bidi_control(c))
		return 0;
	return n;
}

/* The piece of text at p to write: the character itself, or the escape of
 * its first byte (in esc). Sets *taken to the bytes of text it stands for. */
static const char *piece_at(const char *p, char esc[4], size_t *len, size_t *taken)
{
	static const char hex[] = "0123456789abcdef";

	if ((*taken = *len = shown_as_is(p)) > 0)
		return p;
	esc[0] = '\\', esc[1] = 'x';
	esc[2] = hex[(unsigned char)*p >> 4], esc[3] = hex[(unsigned char)*p & 15];
	*len = 4;
	*taken = 1;
	return esc;
}

const char *ts_display_text(char *out, size_t outsz, const char *text)
{
	size_t at = 0, need = 0, len, taken;
	bool cut;
	char esc[4];

	if (outsz == 0)
		return out;
	for (const char *p = text; *p != '\0'; p += taken) {
		piece_at(p, esc, &len, &taken);
		need += len;
	}
	/* Cut short, the text keeps room for "..." after its last whole piece. */
	cut = need >= outsz;
	for (const char *p = text; *p != '\0'; p += taken) {
		const char *piece = piece_at(p, esc, &len, &taken);

		if (at + len + (cut ? 3 : 0) >= outsz)
			break;
		memcpy(out + at, piece, len);
		at += len;
	}
	if (cut && at + 3 < outsz)
		memcpy(out + at, "...", 3), at += 3;
	out[at] = '\0';
	return out;
}
