/* libFuzzer target for what the gate reads from attacker-chosen bytes: the
 * input as a decoded NTLM or Negotiate token (type, type 3 names, SPNEGO
 * walk), and as the text of an Authorization header, a request path and a
 * minting body run through the whole classification table.
 * `make fuzz` runs it under libFuzzer; `make check` replays
 * tests/fuzz/corpus/ntlm/ through it in every build (tests/fuzz/local.mk),
 * so each crasher found stays a test.
 * Sources: broker/gate_classify.c broker/gate_request.c broker/gate_path.c broker/gate_body.c broker/gate_base64.c broker/ntlm.c broker/spnego.c broker/client_family.c common/err.c common/util.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../broker/gate_classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void as_token(const uint8_t *data, size_t size)
{
	struct ts_ntlm_identity id;
	enum ts_ntlm_type type;
	enum ts_negotiate_mech mech;
	const uint8_t *inner = NULL;
	size_t inner_len = 0;

	if (ts_ntlm_message_type(data, size, &type) == TS_ERR_OK)
		(void)ts_ntlm_authenticate_parse(data, size, &id);
	if (ts_negotiate_inspect(data, size, &mech, &inner, &inner_len) == TS_ERR_OK &&
	    inner != NULL)
		(void)ts_ntlm_authenticate_parse(inner, inner_len, &id);
}

static void as_request(const char *text, size_t size)
{
	static char *const anonymous_paths[] = {"/", "*/mex", "/PassiveAuth/*", NULL};
	static char *const anonymous_grants[] = {"urn:microsoft.rtc:anonmeeting", NULL};
	static char *const passive_origins[] = {"https://tessera.example.test", "null", NULL};
	static char *const reply_urls[] = {"https://pool.test/Sign-In/Done.aspx?x=1",
					   "https://pool.test", NULL};
	const struct ts_gate_classify_config cfg = {anonymous_paths, anonymous_grants,
						    passive_origins, reply_urls};
	static const char *const schemes[] = {"NTLM ", "Negotiate ", "Basic ", "Bearer ", ""};
	struct ts_gate_class *out = malloc(sizeof *out);
	char *auth = malloc(size + 16);

	if (out == NULL || auth == NULL)
		goto done;
	for (size_t s = 0; s < sizeof schemes / sizeof schemes[0]; s++) {
		const size_t k = strlen(schemes[s]);
		struct ts_gate_header h[] = {
			{"Authorization", 13, auth, k + size},
			{"Content-Type", 12, "application/x-www-form-urlencoded", 33},
			{"Cookie", 6, text, size},
			{"Origin", 6, text, size},
		};
		struct ts_gate_request req = {
			.method = "POST",
			.path = s % 2 == 0 ? "/WebTicket/oauthtoken" : text,
			.path_len = s % 2 == 0 ? 21 : size,
			.headers = h,
			.n_headers = 4,
			.content_length = (long long)size,
			.body = (const uint8_t *)text,
			.body_len = size,
			.body_complete = true,
		};

		memcpy(auth, schemes[s], k);
		memcpy(auth + k, text, size);
		ts_gate_classify(&cfg, &req, out);
		req.path = "/WebTicket/WebTicketService.svc/Auth";
		req.path_len = strlen(req.path);
		ts_gate_classify(&cfg, &req, out);
		req.path = "/passiveauth/";
		req.path_len = strlen(req.path);
		ts_gate_classify(&cfg, &req, out);
	}
done:
	free(auth);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_token(data, size);
	as_request((const char *)data, size);
	return 0;
}
