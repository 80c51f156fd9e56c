/* The key ring of ticket-signing keys: a directory holding, per key,
 * <kid>.key (PKCS#8 PEM, mode 0600) and <kid>.json ({"kid", "alg",
 * "created", "retired_at"}). The .json is written last, so its presence is
 * what makes a key part of the ring; a crash mid-rotation leaves at most a
 * stray .key that loading ignores. The directory must not be accessible by
 * group or others (0700) and no key file readable by them: loading refuses,
 * naming the file. kid = base64url of the first 16 bytes of SHA-256 of the
 * DER SubjectPublicKeyInfo, so it follows from the key. */
#ifndef TESSERA_KEYRING_H
#define TESSERA_KEYRING_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/clock.h"
#include "tessera/err.h"

#define TS_KID_LEN 22

enum ts_ticket_alg {
	TS_ALG_EDDSA, /* Ed25519 (RFC 8037) */
	TS_ALG_ES256, /* ECDSA P-256 with SHA-256, JOSE r||s signature */
};

/* "EdDSA" / "ES256". */
const char *ts_ticket_alg_name(enum ts_ticket_alg alg);
/* Exact, case-sensitive names only: "none", "HS256", ... are TICKET_ALG. */
ts_err ts_ticket_alg_parse(const char *name, size_t len, enum ts_ticket_alg *out);

/* One key as `tessera key list` shows it. */
struct ts_key_info {
	char kid[TS_KID_LEN + 1];
	enum ts_ticket_alg alg;
	ts_time created;
	bool active;
	ts_time retired_at;      /* 0 while active */
	ts_time deletable_after; /* retired_at + retention; 0 while active */
};

/* An immutable snapshot of the directory, shared by reference. */
struct ts_keyring;

/* Loads dir. retention: seconds a retired key still verifies (the longest
 * ticket lifetime plus clock skew). Unsafe permissions are KEYRING_PERMISSIONS
 * (directory) or KEY_PERMISSIONS (a key file), logged with the path and mode. */
ts_err ts_keyring_load(const char *dir, long retention, struct ts_keyring **out);
struct ts_keyring *ts_keyring_ref(struct ts_keyring *ring);
void ts_keyring_unref(struct ts_keyring *ring);
/* True when both snapshots were read from identical files (names, sizes,
 * modification times), so a reload can keep the one it has. */
bool ts_keyring_same_files(const struct ts_keyring *a, const struct ts_keyring *b);

/* Keys newest first. */
size_t ts_keyring_count(const struct ts_keyring *ring);
const struct ts_key_info *ts_keyring_info(const struct ts_keyring *ring, size_t i);
/* The signing key, or NULL when every key is retired. */
const struct ts_key_info *ts_keyring_active(const struct ts_keyring *ring);

/* Creates dir (0700, parents 0755) when missing, adds a new key of alg as
 * the active one, and retires the previous active key as of now. The new
 * kid is written to kid_out. */
ts_err ts_keyring_rotate(const char *dir, enum ts_ticket_alg alg, ts_time now,
			 char kid_out[TS_KID_LEN + 1]);

#endif
