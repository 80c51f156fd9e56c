/* Backend-independent helpers of the state store interface. */
#include <stdlib.h>
#include <string.h>

#include "tessera/store.h"

void ts_store_close(struct ts_store *store)
{
	if (store == NULL)
		return;
	if (store->close != NULL)
		store->close(store->impl);
	free(store);
}

void ts_signin_pending_clear(struct ts_signin_pending *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->pool);
	free(p->idp);
	free(p->return_url);
	memset(p, 0, sizeof *p);
}
