/*
 * The table of translation engines: looked up by name, never switched
 * on.  The endpoints and GET /translations/languages read it.
 */
#include <string.h>

#include "xlate.h"

static const struct tr_engine *const engines[] = {
	&tr_xl_openai,
	&tr_xl_deepseek,
	&tr_xl_google,
	&tr_xl_local,
};

/* The engine of that name, or NULL. */
const struct tr_engine *
tr_engine(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}

/* Is its key configured (or does it need none)? */
int
tr_engine_ready(const struct tr_engine *e)
{
	return e->keyvar == NULL || tr_conf(e->keyvar) != NULL ||
	    (e->altkeyvar != NULL && tr_conf(e->altkeyvar) != NULL);
}

size_t
tr_engine_count(void)
{
	return sizeof(engines) / sizeof(engines[0]);
}

const struct tr_engine *
tr_engine_at(size_t i)
{
	return i < tr_engine_count() ? engines[i] : NULL;
}
