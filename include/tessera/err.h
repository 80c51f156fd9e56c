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
	/* HTTP layer */                                                               \
	X(HTTP_START, 500, "cannot start HTTP listener")                               \
	X(NOT_FOUND, 404, "no such resource")                                          \
	X(METHOD_NOT_ALLOWED, 405, "method not allowed on this resource")                \
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
	X(STORE_QUERY, 500, "state store query failed")

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
