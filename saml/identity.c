/* struct ts_identity: lookup and release. */
#include <glib.h>
#include <string.h>

#include "tessera/identity.h"

const struct ts_identity_attr *ts_identity_attr(const struct ts_identity *id, const char *name)
{
	for (size_t i = 0; i < id->n_attrs; i++)
		if (strcmp(id->attrs[i].name, name) == 0)
			return &id->attrs[i];
	return NULL;
}

void ts_identity_free(struct ts_identity *id)
{
	if (id == NULL)
		return;
	g_free(id->idp);
	g_free(id->issuer);
	g_free(id->protocol);
	g_free(id->subject);
	g_free(id->subject_format);
	g_free(id->upn);
	g_free(id->primary_sid);
	g_strfreev(id->groups);
	g_strfreev(id->amr);
	g_free(id->assertion_id);
	g_free(id->in_response_to);
	for (size_t i = 0; i < id->n_attrs; i++) {
		g_free(id->attrs[i].name);
		g_strfreev(id->attrs[i].values);
	}
	g_free(id->attrs);
	g_free(id);
}
