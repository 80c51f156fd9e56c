/* Error registry: every failure in Tessera has a name, an HTTP status and a
 * sentence, all from the one table below (curl's CURLcode, Taler's registry).
 * Add rows at the end of a group; never reuse a name for another meaning. */
#ifndef TESSERA_ERR_H
#define TESSERA_ERR_H

#define TS_ERROR_TABLE(X)                                                              \
	X(OK, 200, "success")                                                          \
	X(NOMEM, 500, "out of memory")                                                 \
	X(INTERNAL, 500, "internal error")                                             \
	X(INVALID_ARGUMENT, 400, "invalid argument")                                   \
	X(IO, 500, "input/output error")                                               \
	X(TOO_LARGE, 413, "input exceeds its size limit")                              \
	X(NUMBER_FORMAT, 400, "not a number in the allowed range")                     \
	X(TIME_FORMAT, 400, "time is not ISO 8601 (YYYY-MM-DDTHH:MM:SS[.fff]Z)")       \
	/* configuration */                                                            \
	X(CONFIG_MISSING_FILE, 500, "configuration file cannot be read")               \
	X(CONFIG_SYNTAX, 500, "configuration file is not valid key file syntax")       \
	X(CONFIG_UNKNOWN_SECTION, 500, "unknown configuration section")                \
	X(CONFIG_UNKNOWN_KEY, 500, "unknown configuration key")                        \
	X(CONFIG_BAD_VALUE, 500, "configuration value is not valid for its key")       \
	/* keys, certificates, signing (fixture IdP for now) */                        \
	X(KEY_LOAD, 500, "cannot load key or certificate")                             \
	X(KEY_PERMISSIONS, 500, "private key file is readable by group or others")     \
	X(CRYPTO, 500, "cryptographic operation failed")                               \
	X(XML_BUILD, 500, "cannot build XML document")                                 \
	X(XML_SIGN, 500, "cannot sign XML document")                                   \
	X(XML_ENCRYPT, 500, "cannot encrypt XML element")                              \
	/* SAML / WS-Fed validation (saml/): one name per checklist item */          \
	X(SAML_TOO_LARGE, 413, "SAML message exceeds its size limit")                  \
	X(SAML_ENCODING, 400, "SAML message is not valid base64 or form encoding")     \
	X(SAML_INFLATE, 400, "Redirect-binding message does not inflate within limits") \
	X(SAML_XML_MALFORMED, 400, "SAML message is not well-formed XML")              \
	X(SAML_DOCTYPE, 400, "SAML message carries a DOCTYPE or entity declaration")   \
	X(SAML_XML_LIMITS, 400, "SAML message exceeds the depth or attribute limits")  \
	X(SAML_SHAPE, 400, "message is not a SAML Response, assertion or WS-Trust RSTR") \
	X(SAML_VERSION, 400, "unsupported SAML version")                               \
	X(SAML_STATUS, 403, "IdP answered with a non-success status")                  \
	X(SAML_DUPLICATE_ID, 403, "two elements carry the same ID")                    \
	X(SAML_ASSERTION_COUNT, 403, "message must carry exactly one assertion")       \
	X(SAML_UNSIGNED, 403, "neither the response nor the assertion is signed")      \
	X(SAML_SIGNATURE_COUNT, 403, "element carries more than one signature")        \
	X(SAML_SIGNATURE_REFERENCE, 403, "signature does not reference exactly the signed element") \
	X(SAML_SIGNATURE_TRANSFORMS, 403, "signature uses transforms other than enveloped + exclusive c14n") \
	X(SAML_SIGNATURE_ALGORITHM, 403, "signature or digest algorithm not allowed for this IdP") \
	X(SAML_SIGNATURE_INVALID, 403, "signature does not verify with the IdP's keys") \
	X(SAML_DECRYPT, 403, "encrypted assertion cannot be decrypted with our key")   \
	X(SAML_ENCRYPTION_ALGORITHM, 403, "encryption algorithm not allowed")          \
	X(SAML_ISSUER, 403, "issuer is not the configured IdP")                        \
	X(SAML_AUDIENCE, 403, "audience is not our entity ID or realm")                \
	X(SAML_RECIPIENT, 403, "subject confirmation recipient is not our endpoint")  \
	X(SAML_DESTINATION, 403, "response destination is not our endpoint")           \
	X(SAML_BEARER, 403, "no valid bearer subject confirmation")                    \
	X(SAML_NOT_YET_VALID, 403, "assertion is not yet valid")                       \
	X(SAML_EXPIRED, 403, "assertion has expired")                                  \
	X(SAML_IN_RESPONSE_TO, 403, "InResponseTo does not match an outstanding request") \
	X(SAML_UNSOLICITED, 403, "unsolicited response and the IdP does not allow it") \
	X(SAML_ENDPOINT, 403, "answer posted to the endpoint of the other protocol than its request's") \
	X(SAML_SUBJECT, 403, "assertion has no usable subject")                        \
	X(SAML_REPLAY, 403, "assertion was already used")                              \
	X(SAML_UNKNOWN_IDP, 400, "no IdP of that name is configured")                  \
	X(SAML_METADATA, 500, "IdP metadata cannot be used")                           \
	X(SAML_METADATA_SIGNATURE, 500, "IdP metadata signature does not verify with the pinned cert") \
	X(SAML_METADATA_EXPIRED, 500, "IdP metadata is past its validUntil")           \
	/* STS for pools (saml/sts_*.c): token-signing keys, tokens, metadata */     \
	X(STS_KEYS_DIR, 500, "STS key directory is missing or not a directory")        \
	X(STS_KEYS_PERMISSIONS, 500, "STS key directory is accessible by group or others") \
	X(STS_KEY_PERMISSIONS, 500, "STS private key file is accessible by group or others") \
	X(STS_KEYS_METADATA, 500, "STS key metadata file is not valid")                \
	X(STS_KEY_INVALID, 500, "STS key or certificate is unreadable, not RSA-2048+, or not a pair") \
	X(STS_KEYS_EMPTY, 500, "no STS token-signing key is active")                   \
	X(STS_PRIMARYSID_MISSING, 403, "identity has no primary SID, which a pool's token must carry") \
	X(STS_CLAIM_VALUE, 400, "token value cannot be carried in XML (control character or bad UTF-8)") \
	X(STS_ISSUE, 500, "cannot build or sign the STS token or metadata")            \
	/* sign-in at the broker (broker/) */                                          \
	X(POOL_UNKNOWN, 400, "no pool of that name is configured")                     \
	X(RETURN_URL, 400, "return URL is not a path on the pool's own host")          \
	X(REQUEST_UNKNOWN, 400, "no outstanding sign-in request matches: used, expired or never made") \
	X(REQUEST_OTHER_BROWSER, 403, "sign-in answer came back in another browser than the one that started it") \
	X(MFA_REQUIRED, 403, "this pool requires a second factor the IdP did not assert") \
	X(CODE_UNKNOWN, 400, "hand-over code is unknown, used or expired")             \
	X(CODE_WRONG_HOST, 400, "hand-over code was issued for another pool host")     \
	X(CODE_OTHER_BROWSER, 403, "hand-over code was issued to another browser")     \
	X(SESSION_UNKNOWN, 401, "no valid single sign-on session")                     \
	X(SIGNOUT_CROSS_SITE, 403, "sign-out asked for by another site's page: the user is asked first") \
	X(NOT_READY, 503, "the broker is not ready to serve")                          \
	/* Tessera as the pools' STS (broker/route_sts.c) */                           \
	X(STS_REQUEST, 400, "not a WS-Fed sign-in request (wa=wsignin1.0)")            \
	X(STS_REALM, 400, "wtrealm names no configured pool")                          \
	X(STS_WREPLY, 400, "wreply is not a reply URL registered for that pool")       \
	X(STS_WCTX_TOO_LARGE, 400, "wctx is longer than the STS keeps")                \
	/* HTTP layer */                                                               \
	X(HTTP_START, 500, "cannot start HTTP listener")                               \
	X(NOT_FOUND, 404, "no such resource")                                          \
	X(METHOD_NOT_ALLOWED, 405, "method not allowed on this resource")                \
	X(REQUEST_TIMEOUT, 408, "request did not arrive whole within connection_timeout") \
	X(HEADERS_TOO_LARGE, 431, "request line and headers exceed max_header_bytes")   \
	/* Tessera web tickets: every rejection is 401, the caller signs in again */   \
	X(TICKET_TOO_LARGE, 401, "ticket exceeds the size limit")                      \
	X(TICKET_MALFORMED, 401, "ticket is not JWS compact with strict base64url")    \
	X(TICKET_JSON, 401, "ticket header or claims are not strict JSON of the right types") \
	X(TICKET_ALG, 401, "ticket algorithm is not allowed for its key")              \
	X(TICKET_UNKNOWN_KID, 401, "ticket names a key the key ring does not hold")    \
	X(TICKET_SIGNATURE, 401, "ticket signature does not verify")                   \
	X(TICKET_ISSUER, 401, "ticket was issued by someone else")                     \
	X(TICKET_AUDIENCE, 401, "ticket is for another audience")                      \
	X(TICKET_EXPIRED, 401, "ticket has expired")                                   \
	X(TICKET_NOT_YET_VALID, 401, "ticket is not valid yet")                        \
	X(TICKET_REVOKED, 401, "ticket has been revoked")                              \
	/* key ring of the ticket-signing keys */                                      \
	X(KEYRING_DIR, 500, "key ring directory is missing or not a directory")        \
	X(KEYRING_PERMISSIONS, 500, "key ring directory is accessible by group or others") \
	X(KEYRING_METADATA, 500, "key ring metadata file is not valid")                \
	X(KEYRING_EMPTY, 500, "key ring holds no active signing key")                  \
	/* state store */                                                              \
	X(STORE_OPEN, 500, "cannot open the state store")                              \
	X(STORE_SCHEMA, 500, "state store schema is not one this program knows")       \
	X(STORE_QUERY, 500, "state store query failed")                                \
	X(STORE_NOT_FOUND, 400, "no such record: unknown, already used or deleted")    \
	X(STORE_EXPIRED, 400, "record has expired")                                    \
	X(STORE_DUPLICATE, 500, "a record with that key already exists")               \
	X(STORE_FULL, 503, "state store is full of unexpired entries")                 \
	/* the gate (broker/gate*.c): how a request authenticates, and the verdict */ \
	X(GATE_REQUEST, 400, "gate request lacks the original method or URI")          \
	X(GATE_PATH_AMBIGUOUS, 400, "request path is ambiguous: encoded slash or backslash, bad escape, control byte, trailing dot, or .. above the root") \
	X(GATE_BODY_INCOMPLETE, 400, "the decision needs the whole body and only part of it was buffered") \
	X(GATE_BODY_UNREADABLE, 400, "body on a credential path is not a form or SOAP message the gate can read") \
	X(GATE_CREDENTIAL_TWICE, 400, "request carries a credential twice (header, cookie or form field)") \
	X(GATE_SCHEME_UNKNOWN, 400, "Authorization scheme is not one the gate knows")  \
	X(GATE_GRANT_UNKNOWN, 400, "oauthtoken grant_type is missing or not one the gate knows") \
	X(GATE_BASE64, 400, "credential is not valid base64 within its size limit")    \
	X(GATE_NTLM_MALFORMED, 400, "NTLM message is malformed: signature, type, offset or length") \
	X(GATE_NEGOTIATE_MALFORMED, 400, "Negotiate token is not well-formed SPNEGO, NTLM or Kerberos") \
	X(GATE_CLAIM_VALUE, 401, "ticket claim cannot be carried in a header (control character)") \
	X(GATE_HOST_UNKNOWN, 403, "Host names no pool the gate serves")                \
	X(GATE_KIND_REFUSED, 403, "the pool's stage refuses this kind of authentication") \
	X(GATE_TICKET_LEGACY, 401, "pool ticket was minted by a sign-in the pool's stage now refuses") \
	X(GATE_ORIGIN_FOREIGN, 403, "POST into the pool's passive sign-in came from a page of another origin (login CSRF)") \
	X(GATE_TICKET_UNREADABLE, 400, "pool ticket's identity cannot be read (bad base64, no AssertionID, too long)") \
	/* SPOP agent for HAProxy (broker/spop*.c); ts_spop_status_of() maps each   \
	 * to the SPOE status code of the AGENT-DISCONNECT it causes */             \
	X(SPOP_VARINT, 400, "SPOP varint runs past the frame or needs more than 64 bits") \
	X(SPOP_TRUNCATED, 400, "SPOP frame ends inside a field")                       \
	X(SPOP_DATA_TYPE, 400, "SPOP typed data has a reserved type, bad flags or a value out of range") \
	X(SPOP_FRAME_INVALID, 400, "SPOP frame is malformed: header, ids, flags, duplicate or trailing items") \
	X(SPOP_FRAME_TYPE, 400, "SPOP frame type is unknown or not one HAProxy sends") \
	X(SPOP_FRAME_TOO_BIG, 413, "SPOP frame exceeds the negotiated max-frame-size") \
	X(SPOP_FRAME_UNEXPECTED, 400, "SPOP frame not allowed now: NOTIFY before HELLO, or a second HELLO") \
	X(SPOP_FRAGMENTED, 400, "SPOP frame is a fragment, but the agent does not offer fragmentation") \
	X(SPOP_TOO_MANY, 413, "SPOP NOTIFY carries more messages or arguments than the agent accepts") \
	X(SPOP_NO_VERSION, 400, "HAPROXY-HELLO has no supported-versions string")      \
	X(SPOP_NO_FRAME_SIZE, 400, "HAPROXY-HELLO has no max-frame-size")              \
	X(SPOP_NO_CAPABILITIES, 400, "HAPROXY-HELLO has no capabilities string")       \
	X(SPOP_VERSION, 400, "HAProxy offers no SPOP version 2.x")                     \
	X(SPOP_FRAME_SIZE, 400, "HAProxy's max-frame-size is below 256 or above the agent's spop_max_frame_size") \
	X(SPOP_NO_STATUS, 400, "HAPROXY-DISCONNECT has no status-code or message")     \
	X(SPOP_ENCODE_SPACE, 500, "SPOP frame being built does not fit in max-frame-size") \
	X(SPOP_ACK_FULL, 500, "ACK has no room left for another action within max-frame-size") \
	X(SPOP_TIMEOUT, 504, "SPOP connection was idle longer than spop_idle_timeout") \
	X(SPOP_CONNECTIONS, 503, "SPOP agent already serves spop_max_connections connections") \
	X(SPOP_LISTEN, 500, "cannot start the SPOP listener") \
	/* per-pool staged cutover (store/cutover*.c, broker/cli_pool*.c) */           \
	X(CUTOVER_STAGE, 400, "stage is not legacy, audit or passive")                 \
	X(CUTOVER_CONFLICT, 409, "pool stage was changed by someone else since it was read") \
	X(CUTOVER_WOULD_BREAK, 409, "users seen signing in with legacy methods would break in passive (see plan; --force to flip anyway)") \
	X(CUTOVER_NO_HISTORY, 400, "pool has no stage change to roll back")            \
	X(CUTOVER_EXCEPTION_KIND, 400, "exception kind is not user, agent or cidr")    \
	X(CUTOVER_CIDR, 400, "not an IPv4 or IPv6 network (ADDRESS[/BITS], no host bits set)") \
	X(CUTOVER_PATTERN, 400, "User-Agent pattern is empty, longer than 256 bytes, has more than 8 '*' or a control character") \
	X(CUTOVER_UNTIL, 400, "exception expiry is not a date (YYYY-MM-DD or ISO 8601) in the future") \
	X(CUTOVER_EXCEPTION_UNKNOWN, 404, "no exception with that ID on this pool")   \
	X(CUTOVER_TICKETS_FULL, 503, "pool ticket records are full of unexpired entries")

typedef enum {
#define TS_ERR_ENUM(name, status, sentence) TS_ERR_##name,
	TS_ERROR_TABLE(TS_ERR_ENUM)
#undef TS_ERR_ENUM
	TS_ERR__COUNT
} ts_err;

/* The registry's sentence, e.g. "unknown configuration key". */
const char *ts_strerror(ts_err err);
/* The registry's name without prefix, e.g. "CONFIG_UNKNOWN_KEY"; for logs and tests. */
const char *ts_errname(ts_err err);
/* The HTTP status a request failing with err is answered with. */
int ts_err_http_status(ts_err err);
/* Looks a name up (as printed by ts_errname); TS_ERR__COUNT if unknown. */
ts_err ts_err_from_name(const char *name);

#endif
