/*
 * The table of providers: looked up by name, never switched on.  What
 * the cloud clients share to make a call is in call.c, below them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"

static const struct tr_provider *const providers[] = {
	&tr_prov_deepgram,
	&tr_prov_openai,
	&tr_prov_assemblyai,
	&tr_prov_local,
};

/* The provider of that name, or NULL. */
const struct tr_provider *
tr_provider(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}

/* Is its key configured (or does it need none)? */
int
tr_provider_ready(const struct tr_provider *p)
{
	return p->keyvar == NULL || tr_conf(p->keyvar) != NULL;
}
