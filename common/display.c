/* ts_display_text: see tessera/display.h. */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "tessera/display.h"

/* Characters a terminal does not show as themselves: format characters
 * (Cf: the bidi marks, embeddings, overrides and isolates that reorder
 * what is around them, and invisible ones such as U+200B, U+00AD, U+FEFF
 * that make "ad<U+200B>min" look like "admin") and the line and paragraph
 * separators. */
static bool hidden(gunichar c)
{
	const GUnicodeType t = g_unichar_type(c);

	return t == G_UNICODE_FORMAT || t == G_UNICODE_LINE_SEPARATOR ||
	       t == G_UNICODE_PARAGRAPH_SEPARATOR;
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
	if (c == (gunichar)-1 || c == (gunichar)-2 || c < 0xa0 || hidden(c))
		return 0;
	return n;
}

/* The piece of text at p to write: the character itself, or the escape of
 * its first byte (in esc). Sets *len to the piece's length and *taken to
 * the bytes of text it stands for. */
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
