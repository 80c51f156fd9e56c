/* Backend-independent helpers of the state store interface. */
#include <stdlib.h>

#include "tessera/store.h"

void ts_store_close(struct ts_store *store)
{
	if (store == NULL)
		return;
	if (store->close != NULL)
		store->close(store->impl);
	free(store);
}
