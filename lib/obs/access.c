/*
 * Who may read /metrics (the programs' and ws-bridge's): a caller whose
 * address is in METRICS_ALLOW (addresses and CIDR blocks, IPv4 or IPv6,
 * separated by commas or spaces; unset means loopback only, "none"
 * nobody by address), or one that sends "Authorization: Bearer" with
 * METRICS_TOKEN, compared in constant time.  Pure functions of their
 * arguments, but for the settings read by tr_metrics_allowed().
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "extern.h"

#define ALLOW_DEFAULT	"127.0.0.0/8, ::1"
#define ENTRY_MAX	64		/* bytes of one address or block */

/* An address as 16 bytes (IPv4 as ::ffff:a.b.c.d); -1 if none. */
static int
addr16(const char *s, unsigned char out[16])
{
	struct in_addr	 a4;

	if (inet_pton(AF_INET6, s, out) == 1)
		return 0;
	if (inet_pton(AF_INET, s, &a4) != 1)
		return -1;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &a4, 4);
	return 0;
}

/* Is addr inside one block ("10.0.0.0/8", "::1", "192.0.2.7")? */
static int
in_block(const unsigned char addr[16], const char *block)
{
	char		 net[ENTRY_MAX], *slash;
	unsigned char	 n16[16];
	long long	 bits;
	int		 v4, i;

	if (snprintf(net, sizeof(net), "%s", block) >= (int)sizeof(net))
		return 0;
	if ((slash = strchr(net, '/')) != NULL)
		*slash++ = '\0';
	v4 = strchr(net, ':') == NULL;
	if (addr16(net, n16) == -1)
		return 0;
	bits = 128;
	if (slash != NULL) {
		if (tr_parse_ll(slash, 0, v4 ? 32 : 128, &bits) != TR_OK)
			return 0;
		if (v4)
			bits += 96;
	}
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8) {
		unsigned char m = bits >= 8 ? 0xff :
		    (unsigned char)(0xff << (8 - bits));
		if ((addr[i] & m) != (n16[i] & m))
			return 0;
	}
	return 1;
}

/* Is the address in the list?  An entry that does not parse matches none. */
int
tr_metrics_addr_allowed(const char *list, const char *remote)
{
	unsigned char	 a[16];
	char		 e[ENTRY_MAX];
	size_t		 n;

	if (remote == NULL || addr16(remote, a) == -1)
		return 0;
	while (*list != '\0') {
		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (n > 0 && n < sizeof(e)) {
			memcpy(e, list, n);
			e[n] = '\0';
			if (in_block(a, e))
				return 1;
		}
		list += n;
	}
	return 0;
}

/* Does the Authorization header carry the token (constant time)? */
int
tr_metrics_token_ok(const char *token, const char *authz)
{
	unsigned char	 want[TR_SHA256_LEN], got[TR_SHA256_LEN];

	if (token == NULL || *token == '\0' || authz == NULL ||
	    strncasecmp(authz, "Bearer ", 7) != 0)
		return 0;
	authz += 7;
	authz += strspn(authz, " ");
	/* Digests first: equal lengths, and no length told by timing. */
	if (tr_sha256(token, strlen(token), want) != TR_OK ||
	    tr_sha256(authz, strlen(authz), got) != TR_OK)
		return 0;
	return tr_memeq_ct(want, got, sizeof(want));
}

/* The settings' verdict on a caller. */
int
tr_metrics_allowed(const char *remote, const char *authz)
{
	if (tr_metrics_token_ok(tr_conf("METRICS_TOKEN"), authz))
		return 1;
	return tr_metrics_addr_allowed(tr_conf_def("METRICS_ALLOW",
	    ALLOW_DEFAULT), remote);
}
