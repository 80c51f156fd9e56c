/* Text a client chose (a user name from a credential, a User-Agent), made
 * safe to show an operator on a terminal. */
#ifndef TESSERA_DISPLAY_H
#define TESSERA_DISPLAY_H

#include <stddef.h>

/* Writes text into out[outsz] as it should be shown: printable ASCII and
 * UTF-8 characters from U+00A0 on pass as they are; controls (C0, DEL,
 * C1), format characters (bidi marks, embeddings, overrides and isolates,
 * zero-width and other invisible ones), line and paragraph separators, and
 * bytes that are not UTF-8 are written \xNN, one per byte. So no name can
 * move the cursor, recolour the screen, override the direction of what is
 * around it or hide a character. A backslash stays as it is (DOMAIN\user),
 * so a name holding "\x1b" as text reads like an escaped ESC. What does not
 * fit ends in "..." (outsz 4 * strlen(text) + 4 always fits). Returns out. */
const char *ts_display_text(char *out, size_t outsz, const char *text);

#endif
