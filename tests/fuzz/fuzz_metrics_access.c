/*
 * libFuzzer target for the access rules of /metrics (lib/obs/access.c):
 * an address list (METRICS_ALLOW), a client address and an
 * Authorization header, split from the input at its first two NULs.
 * Neither may crash; an address in a list that names it alone must be
 * let in, and the token matches only itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *list, *addr, *authz, *end, *bearer;
	size_t	 n;

	s = malloc(size + 3);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	end = s + size;
	list = s;
	addr = list + strlen(list) + 1;
	authz = addr <= end ? addr + strlen(addr) + 1 : end + 1;
	if (addr > end)
		addr = end;
	if (authz > end)
		authz = end;
	(void)tr_metrics_addr_allowed(list, addr);
	(void)tr_metrics_token_ok(list, authz);
	/* Any address is in the block of all; and in a list of itself. */
	if (strlen(addr) < 60 && strpbrk(addr, ", \t/") == NULL &&
	    tr_metrics_addr_allowed("0.0.0.0/0, ::/0", addr) &&
	    !tr_metrics_addr_allowed(addr, addr))
		abort();
	n = strlen(authz);
	if ((bearer = malloc(n + 8)) != NULL) {
		memcpy(bearer, "Bearer ", 7);
		memcpy(bearer + 7, authz, n + 1);
		if (*authz != '\0' && *authz != ' ' &&
		    !tr_metrics_token_ok(authz, bearer))
			abort();
		free(bearer);
	}
	free(s);
	return 0;
}
