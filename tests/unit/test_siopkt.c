/*
 * Unit tests of ws-bridge/siopkt.c: the Socket.IO v5 packet codec.
 *
 * A packet here is what follows Engine.IO's message type "4": the
 * frame 42["x"] of the conformance table is the packet 2["x"].  Every
 * input is copied to a buffer of its exact size, with no NUL after it,
 * so that ASan and valgrind see a read past the end.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "t.h"

#define PH0	"{\"_placeholder\":true,\"num\":0}"
#define PH1	"{\"_placeholder\":true,\"num\":1}"
#define NSP127	"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/*
 * Packets a server accepts, what they decode to and what sio_encode
 * makes of that (enc; the input itself unless the input was not in
 * the encoder's form).
 */
static const struct {
	const char	*in;
	size_t		 insz;
	enum sio_type	 type;
	int		 nattach;
	const char	*nsp;
	long long	 ack;
	const char	*json;		/* NULL: no payload */
	const char	*enc;
} valids[] = {
	/* The conformance table. */
	{ TR_LIT("0"), SIO_CONNECT, 0, "/", -1, NULL, "0" },
	{ TR_LIT("0{\"token\":\"123\"}"), SIO_CONNECT, 0, "/", -1,
	  "{\"token\":\"123\"}", "0{\"token\":\"123\"}" },
	{ TR_LIT("0/custom,"), SIO_CONNECT, 0, "/custom", -1, NULL,
	  "0/custom," },
	{ TR_LIT("0/custom"), SIO_CONNECT, 0, "/custom", -1, NULL,
	  "0/custom," },
	{ TR_LIT("0/custom,{\"token\":\"abc\"}"), SIO_CONNECT, 0, "/custom",
	  -1, "{\"token\":\"abc\"}", "0/custom,{\"token\":\"abc\"}" },
	{ TR_LIT("1"), SIO_DISCONNECT, 0, "/", -1, NULL, "1" },
	{ TR_LIT("1/custom,"), SIO_DISCONNECT, 0, "/custom", -1, NULL,
	  "1/custom," },
	{ TR_LIT("2[\"message\",1,\"2\",{\"3\":[true]}]"), SIO_EVENT, 0, "/",
	  -1, "[\"message\",1,\"2\",{\"3\":[true]}]",
	  "2[\"message\",1,\"2\",{\"3\":[true]}]" },
	{ TR_LIT("2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]"),
	  SIO_EVENT, 0, "/", 456,
	  "[\"message-with-ack\",1,\"2\",{\"3\":[false]}]",
	  "2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]" },
	{ TR_LIT("52-[\"message\"," PH0 "," PH1 "]"), SIO_BINARY_EVENT, 2,
	  "/", -1, "[\"message\"," PH0 "," PH1 "]",
	  "52-[\"message\"," PH0 "," PH1 "]" },
	{ TR_LIT("52-789[\"message-with-ack\"," PH0 "," PH1 "]"),
	  SIO_BINARY_EVENT, 2, "/", 789,
	  "[\"message-with-ack\"," PH0 "," PH1 "]",
	  "52-789[\"message-with-ack\"," PH0 "," PH1 "]" },
	{ TR_LIT("2/custom,[\"message\",\"message to main namespace\"]"),
	  SIO_EVENT, 0, "/custom", -1,
	  "[\"message\",\"message to main namespace\"]",
	  "2/custom,[\"message\",\"message to main namespace\"]" },
	/* Section 9: what the audio-stream clients send. */
	{ TR_LIT("0/audio-stream,{\"token\":\"eyJhbGciOi\"}"), SIO_CONNECT,
	  0, "/audio-stream", -1, "{\"token\":\"eyJhbGciOi\"}",
	  "0/audio-stream,{\"token\":\"eyJhbGciOi\"}" },
	{ TR_LIT("0/audio-stream,"), SIO_CONNECT, 0, "/audio-stream", -1,
	  NULL, "0/audio-stream," },
	{ TR_LIT("2/audio-stream,17[\"audio_chunk\","
	  "{\"audio_chunk\":\"UklG\"}]"), SIO_EVENT, 0, "/audio-stream", 17,
	  "[\"audio_chunk\",{\"audio_chunk\":\"UklG\"}]",
	  "2/audio-stream,17[\"audio_chunk\",{\"audio_chunk\":\"UklG\"}]" },
	{ TR_LIT("51-/audio-stream,[\"audio_chunk\"," PH0 "]"),
	  SIO_BINARY_EVENT, 1, "/audio-stream", -1,
	  "[\"audio_chunk\"," PH0 "]",
	  "51-/audio-stream,[\"audio_chunk\"," PH0 "]" },
	{ TR_LIT("3/audio-stream,17[{\"ok\":true}]"), SIO_ACK, 0,
	  "/audio-stream", 17, "[{\"ok\":true}]",
	  "3/audio-stream,17[{\"ok\":true}]" },
	{ TR_LIT("61-/audio-stream,17[" PH0 "]"), SIO_BINARY_ACK, 1,
	  "/audio-stream", 17, "[" PH0 "]",
	  "61-/audio-stream,17[" PH0 "]" },
	{ TR_LIT("1/audio-stream,"), SIO_DISCONNECT, 0, "/audio-stream", -1,
	  NULL, "1/audio-stream," },
	{ TR_LIT("0{\"token\":\"abc\"}"), SIO_CONNECT, 0, "/", -1,
	  "{\"token\":\"abc\"}", "0{\"token\":\"abc\"}" },
	{ TR_LIT("2[\"evt\",1]"), SIO_EVENT, 0, "/", -1, "[\"evt\",1]",
	  "2[\"evt\",1]" },
	/* ACK: any array, the empty one too. */
	{ TR_LIT("3456[1,\"2\",{\"3\":[false]}]"), SIO_ACK, 0, "/", 456,
	  "[1,\"2\",{\"3\":[false]}]", "3456[1,\"2\",{\"3\":[false]}]" },
	{ TR_LIT("317[]"), SIO_ACK, 0, "/", 17, "[]", "317[]" },
	{ TR_LIT("30[]"), SIO_ACK, 0, "/", 0, "[]", "30[]" },
	{ TR_LIT("62-789[" PH0 "," PH1 "]"), SIO_BINARY_ACK, 2, "/", 789,
	  "[" PH0 "," PH1 "]", "62-789[" PH0 "," PH1 "]" },
	/* The namespace "/" is not written back. */
	{ TR_LIT("0/,"), SIO_CONNECT, 0, "/", -1, NULL, "0" },
	{ TR_LIT("0/"), SIO_CONNECT, 0, "/", -1, NULL, "0" },
	{ TR_LIT("2/,[\"x\"]"), SIO_EVENT, 0, "/", -1, "[\"x\"]",
	  "2[\"x\"]" },
	{ TR_LIT("51-/,5[\"x\"," PH0 "]"), SIO_BINARY_EVENT, 1, "/", 5,
	  "[\"x\"," PH0 "]", "51-5[\"x\"," PH0 "]" },
	/* Leading zeros, the largest ack id and attachment count. */
	{ TR_LIT("2007[\"x\"]"), SIO_EVENT, 0, "/", 7, "[\"x\"]",
	  "27[\"x\"]" },
	{ TR_LIT("2123456789012345[\"x\"]"), SIO_EVENT, 0, "/",
	  123456789012345LL, "[\"x\"]", "2123456789012345[\"x\"]" },
	{ TR_LIT("2999999999999999[\"x\"]"), SIO_EVENT, 0, "/",
	  999999999999999LL, "[\"x\"]", "2999999999999999[\"x\"]" },
	{ TR_LIT("516-[\"x\"]"), SIO_BINARY_EVENT, 16, "/", -1, "[\"x\"]",
	  "516-[\"x\"]" },
	{ TR_LIT("5016-[\"x\"]"), SIO_BINARY_EVENT, 16, "/", -1, "[\"x\"]",
	  "516-[\"x\"]" },
	{ TR_LIT("50-[\"x\"]"), SIO_BINARY_EVENT, 0, "/", -1, "[\"x\"]",
	  "50-[\"x\"]" },
	/* The longest namespace that fits. */
	{ TR_LIT("0" NSP127 ","), SIO_CONNECT, 0, NSP127, -1, NULL,
	  "0" NSP127 "," },
	/* A namespace is anything up to the first comma. */
	{ TR_LIT("2/a b{[\"x\"],[\"y\"]"), SIO_EVENT, 0, "/a b{[\"x\"]", -1,
	  "[\"y\"]", "2/a b{[\"x\"],[\"y\"]" },
	/* JSON: white space dropped, key order kept, "/" not escaped. */
	{ TR_LIT("2 [ \"x\" , 1 ]\n"), SIO_EVENT, 0, "/", -1, "[\"x\",1]",
	  "2[\"x\",1]" },
	{ TR_LIT("0{\"b\":1,\"a\":2,\"c\":{\"z\":0,\"y\":1}}"), SIO_CONNECT,
	  0, "/", -1, "{\"b\":1,\"a\":2,\"c\":{\"z\":0,\"y\":1}}",
	  "0{\"b\":1,\"a\":2,\"c\":{\"z\":0,\"y\":1}}" },
	{ TR_LIT("2[\"a/b\",\"\\/\"]"), SIO_EVENT, 0, "/", -1,
	  "[\"a/b\",\"/\"]", "2[\"a/b\",\"/\"]" },
	{ TR_LIT("2[\"x\",{\"n\":[[" PH0 "]]},1.5,-0.25e3,null]"), SIO_EVENT,
	  0, "/", -1, "[\"x\",{\"n\":[[" PH0 "]]},1.5,-0.25e3,null]",
	  "2[\"x\",{\"n\":[[" PH0 "]]},1.5,-0.25e3,null]" },
	/* A record separator is never written raw (polling payloads). */
	{ TR_LIT("2[\"a\\u001eb\\n\"]"), SIO_EVENT, 0, "/", -1,
	  "[\"a\\u001eb\\n\"]", "2[\"a\\u001eb\\n\"]" },
	{ TR_LIT("2[\"caf\\u00e9\"]"), SIO_EVENT, 0, "/", -1,
	  "[\"caf\xc3\xa9\"]", "2[\"caf\xc3\xa9\"]" },
};

/* Packets a server must refuse. */
static const struct {
	const char	*in;
	size_t		 insz;
} invalids[] = {
	{ TR_LIT("") },
	/* Unknown packet types: the frames 4abc, 47, 4-1. */
	{ TR_LIT("abc") },
	{ TR_LIT("7") },
	{ TR_LIT("7[\"x\"]") },
	{ TR_LIT("8") },
	{ TR_LIT("9{}") },
	{ TR_LIT("-1") },
	{ TR_LIT(" 0") },
	{ TR_LIT("/0") },
	{ TR_LIT("\0") },
	/* Clients never send CONNECT_ERROR. */
	{ TR_LIT("4abc") },
	{ TR_LIT("4{\"message\":\"x\"}") },
	{ TR_LIT("4/audio-stream,{\"message\":\"Not authorized\"}") },
	{ TR_LIT("4\"x\"") },
	{ TR_LIT("4") },
	/* EVENT: a non-empty array whose first element is a string. */
	{ TR_LIT("2{}") },
	{ TR_LIT("2") },
	{ TR_LIT("2/custom,") },
	{ TR_LIT("27") },
	{ TR_LIT("2[]") },
	{ TR_LIT("2[1]") },
	{ TR_LIT("2[null]") },
	{ TR_LIT("2[[\"x\"]]") },
	{ TR_LIT("2[{\"x\":1}]") },
	{ TR_LIT("2\"message\"") },
	{ TR_LIT("2null") },
	{ TR_LIT("5[\"x\"]") },
	{ TR_LIT("51-{}") },
	{ TR_LIT("51-[]") },
	{ TR_LIT("51-[1]") },
	/* Bad ack ids. */
	{ TR_LIT("2abc[\"message-with-ack\",1,\"2\",{\"3\":[false]}]") },
	{ TR_LIT("2-1[\"x\"]") },
	{ TR_LIT("21a[\"x\"]") },
	{ TR_LIT("2 1[\"x\"]") },
	{ TR_LIT("21234567890123456[\"x\"]") },
	{ TR_LIT("29999999999999999999999[\"x\"]") },
	/* ACK: an id and an array. */
	{ TR_LIT("3[]") },
	{ TR_LIT("3") },
	{ TR_LIT("317") },
	{ TR_LIT("317{}") },
	{ TR_LIT("317\"x\"") },
	{ TR_LIT("317null") },
	{ TR_LIT("6") },
	{ TR_LIT("61-[" PH0 "]") },
	{ TR_LIT("61-17{}") },
	/* CONNECT: an object or nothing, no ack id. */
	{ TR_LIT("0\"str\"") },
	{ TR_LIT("0[]") },
	{ TR_LIT("01") },
	{ TR_LIT("01{}") },
	{ TR_LIT("0/custom,5{}") },
	{ TR_LIT("0true") },
	{ TR_LIT("0 ") },
	/* DISCONNECT: nothing, no ack id. */
	{ TR_LIT("1{\"a\":1}") },
	{ TR_LIT("1{}") },
	{ TR_LIT("1[]") },
	{ TR_LIT("1/custom,{}") },
	{ TR_LIT("15") },
	{ TR_LIT("1/custom,5") },
	/* Attachment counts: digits, a dash, at most SIO_MAX_ATTACH. */
	{ TR_LIT("5-[\"x\"]") },
	{ TR_LIT("5-5[\"x\"]") },
	{ TR_LIT("6-17[]") },
	{ TR_LIT("52[\"x\"]") },
	{ TR_LIT("52") },
	{ TR_LIT("52-") },
	{ TR_LIT("5") },
	{ TR_LIT("5a-[\"x\"]") },
	{ TR_LIT("517-[\"x\"]") },
	{ TR_LIT("599-[\"x\"]") },
	{ TR_LIT("5999-[\"x\"]") },
	{ TR_LIT("51000-[\"x\"]") },
	{ TR_LIT("50016-[\"x\"]") },
	{ TR_LIT("5184467440737095516-[\"x\"]") },
	{ TR_LIT("617-17[]") },
	/* The namespace: at most SIO_NSP_MAX - 1 bytes, no NUL. */
	{ TR_LIT("0" NSP127 "a,") },
	{ TR_LIT("0" NSP127 "a") },
	{ TR_LIT("2" NSP127 "a,[\"x\"]") },
	{ TR_LIT("0/cus\0tom,") },
	{ TR_LIT("0/custom\0,{}") },
	{ TR_LIT("0/\0") },
	{ TR_LIT("2/\0,[\"x\"]") },
	{ TR_LIT("51-/a\0b,[\"x\"," PH0 "]") },
	/* Trailing garbage and malformed JSON. */
	{ TR_LIT("2[\"x\"]x") },
	{ TR_LIT("2[\"x\"]]") },
	{ TR_LIT("2[\"x\"][\"y\"]") },
	{ TR_LIT("2[\"x\"]\0") },
	{ TR_LIT("2[\"x\"] \0") },
	{ TR_LIT("0{}{}") },
	{ TR_LIT("0{},") },
	{ TR_LIT("3/audio-stream,17[{\"ok\":true}] x") },
	{ TR_LIT("2[\"x\"") },
	{ TR_LIT("2[\"x\",]") },
	{ TR_LIT("2['x']") },
	{ TR_LIT("2[\"x\",NaN]") },
	{ TR_LIT("2[\"x\",Infinity]") },
	{ TR_LIT("2[\"x\",01]") },
	{ TR_LIT("2[\"\xff\"]") },
	{ TR_LIT("2[\"\xc0\xaf\"]") },
	{ TR_LIT("2[\"a\nb\"]") },
	{ TR_LIT("2[\"a\x1e" "b\"]") },
	{ TR_LIT("2[\"a\0b\"]") },
	{ TR_LIT("0{\"a\":1,}") },
};

/* The JSON text null: not an object (CONNECT), not nothing (DISCONNECT). */
static const struct {
	const char	*in;
	size_t		 insz;
} nulls[] = {
	{ TR_LIT("0null") },
	{ TR_LIT("0 null") },
	{ TR_LIT("0/custom,null") },
	{ TR_LIT("1null") },
	{ TR_LIT("1/custom,null") },
};

/* A copy of exactly len bytes, nothing after them. */
static char *
dup_exact(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(p, s, len);
	return p;
}

static int
decode(const char *s, size_t len, struct sio_pkt *p)
{
	char	*copy;
	int	 rc;

	copy = dup_exact(s, len);
	rc = sio_decode(copy, len, p);
	free(copy);
	return rc;
}

static const char *
js(struct json_object *o)
{
	if (o == NULL)
		return NULL;
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The packet p encoded, in a malloced string. */
static char *
encode(const struct sio_pkt *p, size_t *lenp)
{
	struct tr_buf	 b;

	tr_buf_init(&b, 1 << 20);
	T(sio_encode(&b, p->type, p->nattach, p->nsp, p->ack, p->data) ==
	    TR_OK);
	return tr_buf_take(&b, lenp);
}

static void
test_valid(void)
{
	struct sio_pkt	 p, q;
	char		*s;
	size_t		 i, len;

	for (i = 0; i < T_NELEM(valids); i++) {
		if (decode(valids[i].in, valids[i].insz, &p) != 0) {
			fprintf(stderr, "refused valids[%zu] \"%s\"\n", i,
			    valids[i].in);
			T(0);
		}
		T(p.type == valids[i].type);
		T(p.nattach == valids[i].nattach);
		T_STREQ(p.nsp, valids[i].nsp);
		T(p.ack == valids[i].ack);
		T_STREQ(js(p.data), valids[i].json);

		/* Encoded, then decoded again: the same packet. */
		s = encode(&p, &len);
		T_STREQ(s, valids[i].enc);
		T(len == strlen(valids[i].enc));
		T(decode(s, len, &q) == 0);
		T(q.type == p.type);
		T(q.nattach == p.nattach);
		T_STREQ(q.nsp, p.nsp);
		T(q.ack == p.ack);
		T_STREQ(js(q.data), js(p.data));
		free(s);
		sio_pkt_free(&q);

		sio_pkt_free(&p);
		T(p.data == NULL);
		sio_pkt_free(&p);	/* twice is harmless */
	}
}

static void
test_invalid(void)
{
	struct sio_pkt	 p;
	size_t		 i;

	for (i = 0; i < T_NELEM(invalids); i++) {
		p.data = NULL;
		if (decode(invalids[i].in, invalids[i].insz, &p) != -1) {
			fprintf(stderr, "accepted invalids[%zu] \"%s\"\n", i,
			    invalids[i].in);
			T(0);
		}
		/* Nothing to free on -1. */
		T(p.data == NULL);
	}
}

/* Builds "2[\"x\"," n times "[", n times "]" "]". */
static char *
nested_event(int n, size_t *lenp)
{
	struct tr_buf	 b;
	int		 i;

	tr_buf_init(&b, 1 << 20);
	T(tr_buf_adds(&b, "2[\"x\",") == TR_OK);
	for (i = 0; i < n; i++)
		T(tr_buf_adds(&b, "[") == TR_OK);
	for (i = 0; i < n; i++)
		T(tr_buf_adds(&b, "]") == TR_OK);
	T(tr_buf_adds(&b, "]") == TR_OK);
	return tr_buf_take(&b, lenp);
}

/* The event's array counts: json-c's depth is in values. */
static void
test_depth(void)
{
	struct sio_pkt	 p;
	char		*s;
	size_t		 len;

	s = nested_event(TR_JSON_DEPTH - 1, &len);
	T(decode(s, len, &p) == 0);
	sio_pkt_free(&p);
	free(s);

	s = nested_event(TR_JSON_DEPTH, &len);
	T(decode(s, len, &p) == -1);
	T(p.data == NULL);
	free(s);

	/* Far deeper, unterminated too: refused, no stack exhaustion. */
	s = nested_event(100000, &len);
	T(decode(s, len, &p) == -1);
	T(decode(s, len / 2, &p) == -1);
	free(s);
}

/* A namespace of n bytes, "/" and n - 1 letters, then ",{}". */
static void
test_nsp_len(void)
{
	struct tr_buf	 b;
	struct sio_pkt	 p;
	char		*s;
	size_t		 n, len;

	for (n = 1; n <= 300; n++) {
		tr_buf_init(&b, 1024);
		T(tr_buf_adds(&b, "0/") == TR_OK);
		while (b.len < n + 1)
			T(tr_buf_adds(&b, "a") == TR_OK);
		T(tr_buf_adds(&b, ",{}") == TR_OK);
		s = tr_buf_take(&b, &len);
		if (n < SIO_NSP_MAX) {
			T(decode(s, len, &p) == 0);
			T(strlen(p.nsp) == n);
			T(memcmp(p.nsp, s + 1, n) == 0);
			sio_pkt_free(&p);
		} else
			T(decode(s, len, &p) == -1);
		free(s);
	}
}

/* Every attachment count from 0 to 1000 as "5<n>-[\"x\"]". */
static void
test_nattach(void)
{
	struct tr_buf	 b;
	struct sio_pkt	 p;
	int		 n;

	for (n = 0; n <= 1000; n++) {
		tr_buf_init(&b, 1024);
		T(tr_buf_addf(&b, "5%d-[\"x\"]", n) == TR_OK);
		if (n <= SIO_MAX_ATTACH) {
			T(decode(b.ptr, b.len, &p) == 0);
			T(p.type == SIO_BINARY_EVENT);
			T(p.nattach == n);
			sio_pkt_free(&p);
		} else
			T(decode(b.ptr, b.len, &p) == -1);
		tr_buf_free(&b);
	}
}

/* Every proper prefix of a binary event is refused. */
static void
test_prefixes(void)
{
	static const char	 full[] =
	    "51-/audio-stream,17[\"audio_chunk\"," PH0 "]";
	struct sio_pkt		 p;
	size_t			 n;

	for (n = 0; n < sizeof(full) - 1; n++) {
		T(decode(full, n, &p) == -1);
		T(p.data == NULL);
	}
	T(decode(full, sizeof(full) - 1, &p) == 0);
	sio_pkt_free(&p);
}

static struct json_object *
placeholder(int num)
{
	struct json_object	*o;

	o = json_object_new_object();
	T(o != NULL);
	T(json_object_object_add(o, "_placeholder",
	    json_object_new_boolean(1)) == 0);
	T(json_object_object_add(o, "num", json_object_new_int(num)) == 0);
	return o;
}

static struct json_object *
parse(const char *s)
{
	struct json_object	*o = NULL;

	T(tr_json_parse(s, strlen(s), 1 << 20, TR_JSON_DEPTH, &o) == TR_OK);
	T(o != NULL);
	return o;
}

/* Encodes and compares; data is put. */
static void
enc_is(enum sio_type type, int nattach, const char *nsp, long long ack,
    struct json_object *data, const char *want)
{
	struct tr_buf	 b;

	tr_buf_init(&b, 1 << 20);
	T(sio_encode(&b, type, nattach, nsp, ack, data) == TR_OK);
	T_STREQ(tr_buf_str(&b), want);
	T(b.len == strlen(want));
	tr_buf_free(&b);
	json_object_put(data);
}

static void
test_encode(void)
{
	struct json_object	*a, *o;
	struct tr_buf		 b;

	/* What the server sends in the conformance table. */
	enc_is(SIO_CONNECT, 0, "/", -1, parse("{\"sid\":\"wZX3oN0b\"}"),
	    "0{\"sid\":\"wZX3oN0b\"}");
	enc_is(SIO_CONNECT, 0, "/custom", -1, parse("{\"sid\":\"wZX3oN0b\"}"),
	    "0/custom,{\"sid\":\"wZX3oN0b\"}");
	enc_is(SIO_EVENT, 0, "/", -1, parse("[\"auth\",{}]"),
	    "2[\"auth\",{}]");
	enc_is(SIO_EVENT, 0, "/custom", -1,
	    parse("[\"auth\",{\"token\":\"abc\"}]"),
	    "2/custom,[\"auth\",{\"token\":\"abc\"}]");
	enc_is(SIO_CONNECT_ERROR, 0, "/random", -1,
	    parse("{\"message\":\"Invalid namespace\"}"),
	    "4/random,{\"message\":\"Invalid namespace\"}");
	enc_is(SIO_EVENT, 0, "/", -1,
	    parse("[\"message-back\",1,\"2\",{\"3\":[true]}]"),
	    "2[\"message-back\",1,\"2\",{\"3\":[true]}]");
	enc_is(SIO_ACK, 0, "/", 456, parse("[1,\"2\",{\"3\":[false]}]"),
	    "3456[1,\"2\",{\"3\":[false]}]");
	enc_is(SIO_DISCONNECT, 0, "/audio-stream", -1, NULL,
	    "1/audio-stream,");
	enc_is(SIO_DISCONNECT, 0, "/", -1, NULL, "1");
	enc_is(SIO_EVENT, 0, NULL, -1, parse("[\"x\"]"), "2[\"x\"]");
	enc_is(SIO_ACK, 0, "/audio-stream", 17, parse("[{\"ok\":true}]"),
	    "3/audio-stream,17[{\"ok\":true}]");
	enc_is(SIO_ACK, 0, "/", 0, parse("[]"), "30[]");

	/* Placeholders built in code: "_placeholder" first. */
	a = json_object_new_array();
	T(json_object_array_add(a,
	    json_object_new_string("message-back")) == 0);
	T(json_object_array_add(a, placeholder(0)) == 0);
	T(json_object_array_add(a, placeholder(1)) == 0);
	enc_is(SIO_BINARY_EVENT, 2, "/", -1, a,
	    "52-[\"message-back\"," PH0 "," PH1 "]");
	a = json_object_new_array();
	T(json_object_array_add(a, placeholder(0)) == 0);
	T(json_object_array_add(a, placeholder(1)) == 0);
	enc_is(SIO_BINARY_ACK, 2, "/", 789, a, "62-789[" PH0 "," PH1 "]");
	a = json_object_new_array();
	T(json_object_array_add(a, placeholder(0)) == 0);
	enc_is(SIO_BINARY_ACK, 1, "/audio-stream", 17, a,
	    "61-/audio-stream,17[" PH0 "]");
	enc_is(SIO_BINARY_EVENT, 16, "/", -1, parse("[\"x\"]"),
	    "516-[\"x\"]");

	/* Parsed placeholders come back exactly, in their key order. */
	enc_is(SIO_CONNECT, 0, "/", -1, parse(PH0), "0" PH0);
	enc_is(SIO_CONNECT, 0, "/", -1, parse(" { \"_placeholder\" : true ,"
	    " \"num\" : 0 } "), "0" PH0);
	enc_is(SIO_CONNECT, 0, "/", -1, parse("{\"num\":0,\"_placeholder\":"
	    "true}"), "0{\"num\":0,\"_placeholder\":true}");
	enc_is(SIO_EVENT, 0, "/", -1, parse("[\"x\",{\"a\":[" PH1 "]}]"),
	    "2[\"x\",{\"a\":[" PH1 "]}]");

	/* Slashes not escaped; control characters escaped. */
	enc_is(SIO_EVENT, 0, "/", -1, parse("[\"a/b\",\"</script>\"]"),
	    "2[\"a/b\",\"</script>\"]");
	o = json_object_new_array();
	T(json_object_array_add(o, json_object_new_string("t")) == 0);
	T(json_object_array_add(o,
	    json_object_new_string("a\x1e" "b\n\"\\")) == 0);
	enc_is(SIO_EVENT, 0, "/", -1, o,
	    "2[\"t\",\"a\\u001eb\\n\\\"\\\\\"]");

	/* It appends. */
	tr_buf_init(&b, 1024);
	T(tr_buf_adds(&b, "x") == TR_OK);
	T(sio_encode(&b, SIO_EVENT, 0, "/a", 5, NULL) == TR_OK);
	T_STREQ(tr_buf_str(&b), "x2/a,5");
	tr_buf_free(&b);

	/* Over the buffer's cap: an error, the buffer freed. */
	o = parse("[\"a long event name\",\"and its argument\"]");
	tr_buf_init(&b, 10);
	T(sio_encode(&b, SIO_EVENT, 0, "/", -1, o) == TR_ETOOBIG);
	T(b.ptr == NULL && b.len == 0);
	tr_buf_init(&b, 10);
	T(sio_encode(&b, SIO_EVENT, 0, "/a-long-namespace", -1, o) ==
	    TR_ETOOBIG);
	T(b.ptr == NULL && b.len == 0);
	json_object_put(o);
}

/*
 * The reference parser (socket.io-parser 4.2, isPayloadValid) refuses
 * the JSON text null for CONNECT (not an object) and DISCONNECT (a
 * payload); tr_json_parse takes it as a NULL object, which must not
 * pass for "no payload".
 */
static void
test_null(void)
{
	struct sio_pkt	 p;
	size_t		 i;

	for (i = 0; i < T_NELEM(nulls); i++) {
		if (decode(nulls[i].in, nulls[i].insz, &p) != -1) {
			fprintf(stderr, "accepted nulls[%zu] \"%s\"\n", i,
			    nulls[i].in);
			T(0);
		}
	}
}

/* Engine.IO polling payloads: each packet, as "t:" or "b:" and hex. */
static int
collect(void *arg, const unsigned char *p, size_t len, int binary)
{
	struct tr_buf	*b = arg;
	size_t		 i;

	T(tr_buf_adds(b, binary ? "b:" : "t:") == TR_OK);
	for (i = 0; i < len; i++)
		T(tr_buf_addf(b, "%02x", p[i]) == TR_OK);
	T(tr_buf_adds(b, "|") == TR_OK);
	return len > 0 && p[0] == 'X' && !binary ? -1 : 0;
}

static void
test_payload(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*out;
	} cases[] = {
		{ "4hello", 0, "t:3468656c6c6f|" },
		{ "4a\x1e" "2\x1e" "bAQID", 0, "t:3461|t:32|b:010203|" },
		{ "b", 0, "b:|" },			/* an empty binary */
		{ "bAA==\x1e" "6", 0, "b:00|t:36|" },
		{ "", -1, "" },
		{ "4a\x1e", -1, "t:3461|" },		/* trailing separator */
		{ "\x1e" "4a", -1, "" },		/* leading one */
		{ "4a\x1e\x1e" "4b", -1, "t:3461|" },
		{ "b!!!\x1e" "4a", -1, "" },		/* bad base64 */
		{ "4a\x1e" "X\x1e" "4b", -1, "t:3461|t:58|" },	/* fn's -1 */
		{ "bAQIDBAU=", -1, "" },		/* over maxbin (4) */
	};
	struct tr_buf	 b;
	size_t		 i;
	int		 rc;

	for (i = 0; i < T_NELEM(cases); i++) {
		tr_buf_init(&b, 4096);
		rc = eio_payload_split(cases[i].in, strlen(cases[i].in), 4,
		    collect, &b);
		if (rc != cases[i].rc || strcmp(tr_buf_str(&b),
		    cases[i].out) != 0) {
			fprintf(stderr, "payload %zu: %d \"%s\"\n", i, rc,
			    tr_buf_str(&b));
			T(0);
		}
		tr_buf_free(&b);
	}
}

int
main(void)
{
	test_payload();
	test_valid();
	test_invalid();
	test_depth();
	test_nsp_len();
	test_nattach();
	test_prefixes();
	test_encode();
	test_null();
	return 0;
}
