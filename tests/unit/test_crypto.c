/*
 * Unit tests of lib/core/crypto.c: SHA-256 and HMAC-SHA256 against the
 * published vectors, base64 and base64url both ways, random tokens and
 * their digests, and wiping.
 */
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

/* FIPS 180-2, appendix B. */
static const struct {
	const char	*in;
	const char	*hex;
} sha_vectors[] = {
	{ "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

static void
test_sha256(void)
{
	unsigned char	 h[TR_SHA256_LEN];
	char		 hex[2 * TR_SHA256_LEN + 1];
	size_t		 i;

	for (i = 0; i < T_NELEM(sha_vectors); i++) {
		memset(h, 0, sizeof(h));
		T(tr_sha256(sha_vectors[i].in, strlen(sha_vectors[i].in),
		    h) == TR_OK);
		tr_hex(h, sizeof(h), hex);
		T_STREQ(hex, sha_vectors[i].hex);
	}
}

/* RFC 4231 section 4: test cases 1, 2, 3, 6 and 7. */
static void
test_hmac(void)
{
	static const char	 data6[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char	 data7[] =
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.";
	unsigned char		 key[131], data[50], h[TR_SHA256_LEN];
	char			 hex[2 * TR_SHA256_LEN + 1];

	/* 1 */
	memset(key, 0x0b, 20);
	T(tr_hmac_sha256(key, 20, TR_LIT("Hi There"), h) == TR_OK);
	tr_hex(h, sizeof(h), hex);
	T_STREQ(hex,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	/* 2: a key shorter than the output */
	T(tr_hmac_sha256(TR_LIT("Jefe"),
	    TR_LIT("what do ya want for nothing?"), h) == TR_OK);
	tr_hex(h, sizeof(h), hex);
	T_STREQ(hex,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* 3 */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	T(tr_hmac_sha256(key, 20, data, 50, h) == TR_OK);
	tr_hex(h, sizeof(h), hex);
	T_STREQ(hex,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

	/* 6: a key longer than the block */
	memset(key, 0xaa, 131);
	T(tr_hmac_sha256(key, 131, TR_LIT(data6), h) == TR_OK);
	tr_hex(h, sizeof(h), hex);
	T_STREQ(hex,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	/* 7: key and data longer than the block */
	T(tr_hmac_sha256(key, 131, TR_LIT(data7), h) == TR_OK);
	tr_hex(h, sizeof(h), hex);
	T_STREQ(hex,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static const char	 urlchars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Random bytes of every length to 64 survive a round trip. */
static void
test_b64_roundtrip(void)
{
	unsigned char	 raw[64];
	struct tr_buf	 enc, dec;
	char		*std;
	size_t		 n, i, want;
	int		 round;

	for (round = 0; round < 4; round++)
		for (n = 0; n <= sizeof(raw); n++) {
			T(tr_random(raw, n) == TR_OK);
			tr_buf_init(&enc, 1024);
			T(tr_b64url_encode(&enc, raw, n) == TR_OK);
			want = n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
			T(enc.len == want);
			T(strspn(tr_buf_str(&enc), urlchars) == enc.len);

			tr_buf_init(&dec, 1024);
			T(tr_b64_decode(&dec, tr_buf_str(&enc), enc.len, 1) ==
			    TR_OK);
			T_MEMEQ(dec.ptr, dec.len, raw, n);
			tr_buf_free(&dec);

			/* The same in the standard alphabet. */
			std = tr_xstrdup(tr_buf_str(&enc));
			for (i = 0; std[i] != '\0'; i++)
				if (std[i] == '-')
					std[i] = '+';
				else if (std[i] == '_')
					std[i] = '/';
			tr_buf_init(&dec, 1024);
			T(tr_b64_decode(&dec, std, strlen(std), 0) == TR_OK);
			T_MEMEQ(dec.ptr, dec.len, raw, n);
			tr_buf_free(&dec);
			free(std);
			tr_buf_free(&enc);
		}

	/* Appending keeps what the buffer held. */
	tr_buf_init(&enc, 1024);
	T(tr_buf_adds(&enc, "x.") == TR_OK);
	T(tr_b64url_encode(&enc, TR_LIT("foo")) == TR_OK);
	T_STREQ(tr_buf_str(&enc), "x.Zm9v");
	T(tr_b64_decode(&enc, TR_LIT("YmFy"), 1) == TR_OK);
	T_STREQ(tr_buf_str(&enc), "x.Zm9vbar");
	tr_buf_free(&enc);

	/* A full buffer fails and is freed. */
	tr_buf_init(&enc, 5);
	T(tr_b64url_encode(&enc, TR_LIT("foobar")) == TR_ETOOBIG);
	T(enc.ptr == NULL);
	tr_buf_init(&enc, 2);
	T(tr_b64_decode(&enc, TR_LIT("Zm9v"), 1) == TR_ETOOBIG);
	T(enc.ptr == NULL);
}

/* RFC 4648 section 10. */
static const struct {
	const char	*raw;
	const char	*url;	/* unpadded */
	const char	*std;	/* padded */
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg", "Zg==" },
	{ "fo", "Zm8", "Zm8=" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

/* Bytes whose encodings hold both characters that differ. */
static const unsigned char	 hibytes[] = { 0xfb, 0xef, 0xff, 0xfe };

static void
test_b64_vectors(void)
{
	struct tr_buf	 b;
	size_t		 i;

	for (i = 0; i < T_NELEM(rfc4648); i++) {
		tr_buf_init(&b, 1024);
		T(tr_b64url_encode(&b, rfc4648[i].raw,
		    strlen(rfc4648[i].raw)) == TR_OK);
		T_STREQ(tr_buf_str(&b), rfc4648[i].url);
		tr_buf_free(&b);

		/* url mode: unpadded only */
		T(tr_b64_decode(&b, rfc4648[i].url, strlen(rfc4648[i].url),
		    1) == TR_OK);
		T_STREQ(tr_buf_str(&b), rfc4648[i].raw);
		tr_buf_free(&b);

		/* standard: padded or not */
		T(tr_b64_decode(&b, rfc4648[i].std, strlen(rfc4648[i].std),
		    0) == TR_OK);
		T_STREQ(tr_buf_str(&b), rfc4648[i].raw);
		tr_buf_free(&b);
		T(tr_b64_decode(&b, rfc4648[i].url, strlen(rfc4648[i].url),
		    0) == TR_OK);
		T_STREQ(tr_buf_str(&b), rfc4648[i].raw);
		tr_buf_free(&b);

		/* padding is not base64url */
		if (strcmp(rfc4648[i].url, rfc4648[i].std) != 0) {
			T(tr_b64_decode(&b, rfc4648[i].std,
			    strlen(rfc4648[i].std), 1) == TR_EINVAL);
			tr_buf_free(&b);
		}
	}

	/* The two alphabets. */
	tr_buf_init(&b, 1024);
	T(tr_b64url_encode(&b, hibytes, sizeof(hibytes)) == TR_OK);
	T_STREQ(tr_buf_str(&b), "--___g");
	tr_buf_free(&b);
	T(tr_b64_decode(&b, TR_LIT("--___g"), 1) == TR_OK);
	T_MEMEQ(b.ptr, b.len, hibytes, sizeof(hibytes));
	tr_buf_free(&b);
	T(tr_b64_decode(&b, TR_LIT("++///g=="), 0) == TR_OK);
	T_MEMEQ(b.ptr, b.len, hibytes, sizeof(hibytes));
	tr_buf_free(&b);
	T(tr_b64_decode(&b, TR_LIT("++///g"), 0) == TR_OK);
	T_MEMEQ(b.ptr, b.len, hibytes, sizeof(hibytes));
	tr_buf_free(&b);

	/* The length given counts, not a NUL. */
	T(tr_b64_decode(&b, "Zm9vYmFy", 4, 1) == TR_OK);
	T_STREQ(tr_buf_str(&b), "foo");
	tr_buf_free(&b);
}

/* Texts refused in url mode (1), standard mode (0), or both (2). */
static const struct {
	const char	*s;
	size_t		 sz;
	int		 mode;
} b64_invalids[] = {
	/* a length of 1 modulo 4 */
	{ TR_LIT("Z"), 2 },
	{ TR_LIT("Zm9vY"), 2 },
	{ TR_LIT("Zm9vYmFyZ"), 2 },
	{ TR_LIT("Z==="), 2 },
	/* non-zero trailing bits */
	{ TR_LIT("Zh"), 2 },
	{ TR_LIT("Zv"), 2 },
	{ TR_LIT("Zh=="), 0 },
	{ TR_LIT("Zm9"), 2 },
	{ TR_LIT("Zm9="), 0 },
	{ TR_LIT("Zm9vYh"), 2 },
	{ TR_LIT("Zm9vYm/"), 0 },
	/* characters of neither alphabet */
	{ TR_LIT(" "), 2 },
	{ TR_LIT("Zm9v "), 2 },
	{ TR_LIT(" Zm9v"), 2 },
	{ TR_LIT("Zm 9v"), 2 },
	{ TR_LIT("Zm9v\n"), 2 },
	{ TR_LIT("Zm\r\n9v"), 2 },
	{ TR_LIT("Zm.v"), 2 },
	{ TR_LIT("Zm9v!"), 2 },
	{ TR_LIT("Zm9*"), 2 },
	{ TR_LIT("Zm9v\0"), 2 },
	{ TR_LIT("\0Zm9"), 2 },
	{ TR_LIT("Zm\xc3\xa9"), 2 },
	{ TR_LIT("Zm9\x80"), 2 },
	{ TR_LIT("\xff\xff\xff\xff"), 2 },
	/* padding: not base64url, and never in the middle */
	{ TR_LIT("Zg=="), 1 },
	{ TR_LIT("Zm8="), 1 },
	{ TR_LIT("===="), 1 },
	{ TR_LIT("Zg==Zg=="), 2 },
	{ TR_LIT("Z=g="), 2 },
	{ TR_LIT("=Zm9v"), 2 },
	/* the other alphabet */
	{ TR_LIT("++//"), 1 },
	{ TR_LIT("Zm9+"), 1 },
	{ TR_LIT("Zm9/"), 1 },
	{ TR_LIT("+g"), 1 },
	{ TR_LIT("--__"), 0 },
	{ TR_LIT("Zm9-"), 0 },
	{ TR_LIT("Zm9_"), 0 },
	{ TR_LIT("-g"), 0 },
	{ TR_LIT("-g=="), 0 },
};

static void
test_b64_invalid(void)
{
	struct tr_buf	 b;
	size_t		 i;
	int		 url;

	for (i = 0; i < T_NELEM(b64_invalids); i++)
		for (url = 0; url <= 1; url++) {
			if (b64_invalids[i].mode != 2 &&
			    b64_invalids[i].mode != url)
				continue;
			tr_buf_init(&b, 1024);
			if (tr_b64_decode(&b, b64_invalids[i].s,
			    b64_invalids[i].sz, url) != TR_EINVAL) {
				fprintf(stderr, "accepted \"%s\" (url %d)\n",
				    b64_invalids[i].s, url);
				T(0);
			}
			tr_buf_free(&b);
		}
}

static void
test_token(void)
{
	char		*a, *b, *c;
	char		 dig[TR_TOKEN_DIGEST], hex[2 * TR_SHA256_LEN + 1];
	unsigned char	 h[TR_SHA256_LEN];
	struct tr_buf	 raw;
	size_t		 i;

	T(tr_token_new("trk_", 32, &a) == TR_OK);
	T(tr_token_new("trk_", 32, &b) == TR_OK);
	T(strncmp(a, "trk_", 4) == 0);
	T(strlen(a) == 4 + 43);
	T(strspn(a + 4, urlchars) == 43);
	T(strlen(b) == 4 + 43);
	T(strcmp(a, b) != 0);

	/* The random part decodes to the bytes asked for. */
	tr_buf_init(&raw, 1024);
	T(tr_b64_decode(&raw, a + 4, strlen(a + 4), 1) == TR_OK);
	T(raw.len == 32);
	tr_buf_free(&raw);

	/* Other sizes and prefixes. */
	T(tr_token_new("", 16, &c) == TR_OK);
	T(strlen(c) == 22 && strspn(c, urlchars) == 22);
	free(c);
	T(tr_token_new("p.", 0, &c) == TR_OK);
	T_STREQ(c, "p.");
	free(c);
	T(tr_token_new("x", 64, &c) == TR_OK);
	T(strlen(c) == 1 + 86);
	free(c);
	c = NULL;
	T(tr_token_new("x", 65, &c) != TR_OK);
	T(c == NULL);

	/* The digest: "\x" and the lowercase hex of the SHA-256. */
	T(tr_token_digest(a, dig) == TR_OK);
	T(strlen(dig) == TR_TOKEN_DIGEST - 1);
	T(dig[0] == '\\' && dig[1] == 'x');
	for (i = 2; dig[i] != '\0'; i++)
		T((dig[i] >= '0' && dig[i] <= '9') ||
		    (dig[i] >= 'a' && dig[i] <= 'f'));
	T(tr_sha256(a, strlen(a), h) == TR_OK);
	tr_hex(h, sizeof(h), hex);
	T_STREQ(dig + 2, hex);

	T(tr_token_digest("abc", dig) == TR_OK);
	T_STREQ(dig, "\\x"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	T(tr_token_digest("", dig) == TR_OK);
	T_STREQ(dig, "\\x"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	free(a);
	free(b);
}

static void
test_wipe(void)
{
	unsigned char	 buf[100];
	size_t		 i;

	memset(buf, 0xa5, sizeof(buf));
	tr_wipe(buf + 10, 50);
	for (i = 0; i < sizeof(buf); i++)
		T(buf[i] == (i >= 10 && i < 60 ? 0 : 0xa5));
	tr_wipe(buf, 0);
	T(buf[0] == 0xa5);
	tr_wipe(NULL, 10);
	tr_wipe(NULL, 0);
}

int
main(void)
{
	test_sha256();
	test_hmac();
	test_b64_roundtrip();
	test_b64_vectors();
	test_b64_invalid();
	test_token();
	test_wipe();
	return 0;
}
