/* The gate's verdict written into an SPOE ACK (gate_ack.c names the
 * variables haproxy.cfg reads). */
#ifndef TS_BROKER_GATE_ACK_H
#define TS_BROKER_GATE_ACK_H
#include "gate.h"
#include "spop.h"

/* Sets the verdict's variables, "verdict" last, then attempt (may be NULL)
 * if it still fits: an attempt left out is logged (attempt_unsent), not an
 * error. TS_ERR_SPOP_ACK_FULL: the verdict did not fit (no verdict, so
 * HAProxy fails closed). */
ts_err ts_gate_ack_verdict(struct ts_spop_ack *ack, const struct ts_gate_verdict *v,
			   const char *attempt);
#endif
