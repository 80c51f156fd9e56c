# Tessera web tickets (JWS): signing, key ring and rotation, JWKS,
# revocation, verify cache. Compiled into libtessera.a.
libtessera_a_SOURCES += ticket/ticket_internal.h ticket/b64url.c ticket/jws.c \
	ticket/json_strict.c ticket/sig.c ticket/keyring.c ticket/keyring_rotate.c \
	ticket/jwks.c ticket/revocation.c ticket/verify_cache.c ticket/tickets.c \
	ticket/mint.c ticket/verify.c
noinst_HEADERS += include/tessera/ticket.h include/tessera/keyring.h
