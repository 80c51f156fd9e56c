/* Pool tickets the gate looked up and found NOT recorded as legacy-minted,
 * remembered for a moment so a UCWA client's every request does not cost
 * a store read. A ticket recorded meanwhile (by another broker) is refused
 * at most TS_TICKET_SEEN_TTL seconds late: the same bound as a stage
 * change. Bounded: a fixed table, a newer entry replaces an older one. */
#ifndef TS_BROKER_TICKET_SEEN_H
#define TS_BROKER_TICKET_SEEN_H
#include <stdbool.h>

#include "tessera/clock.h"

#define TS_TICKET_SEEN_TTL 2

struct ts_ticket_seen;

struct ts_ticket_seen *ts_ticket_seen_new(void);
void ts_ticket_seen_free(struct ts_ticket_seen *s);
/* hash: a ts_cutover_ticket_hash (hex). True if it was found clean within
 * the last TS_TICKET_SEEN_TTL seconds. */
bool ts_ticket_seen_clean(struct ts_ticket_seen *s, const char *hash, ts_time now);
void ts_ticket_seen_put_clean(struct ts_ticket_seen *s, const char *hash, ts_time now);
#endif
