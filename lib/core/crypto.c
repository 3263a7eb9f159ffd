/*
 * Secrets and their encodings: SHA-256 and HMAC-SHA256 through OpenSSL,
 * base64url (RFC 4648 section 5, unpadded, as JWTs and our tokens use)
 * and padded base64 (webhook signatures),
 * random bytes and tokens, hex, constant-time comparison, and wiping.
 */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tr.h"

enum tr_err
tr_sha256(const void *p, size_t len, unsigned char out[TR_SHA256_LEN])
{
	unsigned int	 n = TR_SHA256_LEN;

	if (!EVP_Digest(p, len, out, &n, EVP_sha256(), NULL))
		return TR_ESYSTEM;
	return TR_OK;
}

enum tr_err
tr_hmac_sha256(const void *key, size_t keylen, const void *p, size_t len,
    unsigned char out[TR_SHA256_LEN])
{
	unsigned int	 n = TR_SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, p, len, out, &n) == NULL)
		return TR_ESYSTEM;
	return TR_OK;
}

/* Wipes memory in a way the compiler may not remove. */
void
tr_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

static const char	 b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char	 b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 form of len bytes in the alphabet al, padded or not. */
static enum tr_err
b64enc(struct tr_buf *b, const void *p, size_t len, const char *al, int pad)
{
	const unsigned char	*s = p;
	char			 q[4];
	size_t			 i;
	unsigned int		 v;
	enum tr_err		 er;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8 | s[i + 2];
		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = al[v & 63];
		if ((er = tr_buf_add(b, q, 4)) != TR_OK)
			return er;
	}
	if (len - i == 1) {
		v = (unsigned int)s[i] << 16;
		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = q[3] = '=';
		return tr_buf_add(b, q, pad ? 4 : 2);
	}
	if (len - i == 2) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8;
		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = '=';
		return tr_buf_add(b, q, pad ? 4 : 3);
	}
	return TR_OK;
}

/* Appends the unpadded base64url form of len bytes. */
enum tr_err
tr_b64url_encode(struct tr_buf *b, const void *p, size_t len)
{
	return b64enc(b, p, len, b64url, 0);
}

/* Appends the padded standard base64 form (RFC 4648 section 4). */
enum tr_err
tr_b64_encode(struct tr_buf *b, const void *p, size_t len)
{
	return b64enc(b, p, len, b64std, 1);
}

static int
b64val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Decodes base64 (url: the URL-safe alphabet, no padding; else the
 * standard one, padding optional) and appends the bytes.  Returns
 * TR_EINVAL on a bad character, bad length or non-zero trailing bits.
 */
enum tr_err
tr_b64_decode(struct tr_buf *b, const char *s, size_t len, int url)
{
	unsigned char	 out[3];
	unsigned int	 v = 0;
	size_t		 i, n = 0;
	int		 c;
	enum tr_err	 er;

	if (!url)
		while (len > 0 && s[len - 1] == '=')
			len--;
	if (len % 4 == 1)
		return TR_EINVAL;
	for (i = 0; i < len; i++) {
		if ((c = b64val((unsigned char)s[i], url)) < 0)
			return TR_EINVAL;
		v = v << 6 | (unsigned int)c;
		if (++n == 4) {
			out[0] = (unsigned char)(v >> 16);
			out[1] = (unsigned char)(v >> 8);
			out[2] = (unsigned char)v;
			if ((er = tr_buf_add(b, out, 3)) != TR_OK)
				return er;
			v = 0;
			n = 0;
		}
	}
	if (n == 2) {
		if (v & 0xf)
			return TR_EINVAL;
		out[0] = (unsigned char)(v >> 4);
		return tr_buf_add(b, out, 1);
	}
	if (n == 3) {
		if (v & 0x3)
			return TR_EINVAL;
		out[0] = (unsigned char)(v >> 10);
		out[1] = (unsigned char)(v >> 2);
		return tr_buf_add(b, out, 2);
	}
	return TR_OK;
}

/*
 * The SHA-256 of a token as a bytea literal ("\\x" and 64 hex digits),
 * the form in which tokens and keys are stored and looked up.
 */
enum tr_err
tr_token_digest(const char *tok, char out[TR_TOKEN_DIGEST])
{
	unsigned char	 h[TR_SHA256_LEN];
	enum tr_err	 er;

	if ((er = tr_sha256(tok, strlen(tok), h)) != TR_OK)
		return er;
	out[0] = '\\';
	out[1] = 'x';
	tr_hex(h, sizeof(h), out + 2);
	return TR_OK;
}

/*
 * Makes a random token: prefix followed by the base64url form of nbytes
 * random bytes.  Returns a malloced string in *out.
 */
enum tr_err
tr_token_new(const char *prefix, size_t nbytes, char **out)
{
	unsigned char	 raw[64];
	struct tr_buf	 b;
	enum tr_err	 er;

	if (nbytes > sizeof(raw))
		return TR_ESYSTEM;
	if ((er = tr_random(raw, nbytes)) != TR_OK)
		return er;
	tr_buf_init(&b, 256);
	if ((er = tr_buf_adds(&b, prefix)) == TR_OK &&
	    (er = tr_b64url_encode(&b, raw, nbytes)) == TR_OK)
		*out = tr_buf_take(&b, NULL);
	tr_wipe(raw, sizeof(raw));
	return er;
}

/* Fills the buffer from the kernel's CSPRNG.  Returns TR_ESYSTEM on error. */
enum tr_err
tr_random(void *p, size_t sz)
{
	unsigned char	*c = p;
	ssize_t		 n;

	while (sz > 0) {
		n = getrandom(c, sz, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tr_warn("getrandom");
			return TR_ESYSTEM;
		}
		c += n;
		sz -= (size_t)n;
	}
	return TR_OK;
}

/* Writes 2 * sz lowercase hex digits and a NUL to out. */
void
tr_hex(const unsigned char *p, size_t sz, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < sz; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * sz] = '\0';
}

/*
 * Compares two equal-length byte strings in time that depends only on
 * the length.  Returns 1 if they are equal.
 */
int
tr_memeq_ct(const void *a, const void *b, size_t sz)
{
	const volatile unsigned char	*x = a, *y = b;
	unsigned char			 d = 0;
	size_t				 i;

	for (i = 0; i < sz; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
