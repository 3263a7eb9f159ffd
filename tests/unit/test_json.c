/*
 * Unit tests of lib/core/json.c: strict, bounded JSON parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

/* Valid texts and their plain serialisation. */
static const struct {
	const char	*in;
	size_t		 insz;
	const char	*want;
} valids[] = {
	{ TR_LIT("{}"), "{}" },
	{ TR_LIT("[]"), "[]" },
	{ TR_LIT("{\"a\":1}"), "{\"a\":1}" },
	{ TR_LIT(" { \"a\" : [ 1 , 2 ] } "), "{\"a\":[1,2]}" },
	{ TR_LIT("\t\r\n{}\t\r\n"), "{}" },
	{ TR_LIT("[1,\"two\",true,false,null,{},[]]"),
	  "[1,\"two\",true,false,null,{},[]]" },
	{ TR_LIT("{\"k\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"}"),
	  "{\"k\":\"caf\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80\"}" },
	{ TR_LIT("{\"a\":{\"b\":{\"c\":\"d\"}}}"), "{\"a\":{\"b\":{\"c\":\"d\"}}}" },
	/* Bare values, numbers at the very end of the input included. */
	{ TR_LIT("0"), "0" },
	{ TR_LIT("123"), "123" },
	{ TR_LIT("-7"), "-7" },
	{ TR_LIT("123 "), "123" },
	{ TR_LIT(" 42\n"), "42" },
	{ TR_LIT("1.5"), "1.5" },
	{ TR_LIT("-1.5e3"), "-1.5e3" },
	{ TR_LIT("true"), "true" },
	{ TR_LIT("false"), "false" },
	{ TR_LIT("null"), "null" },
	{ TR_LIT("\"str\""), "\"str\"" },
	{ TR_LIT("\"\""), "\"\"" },
	{ TR_LIT("\"\x7f ' \\\" \\\\ \\/ \\b\\f\\n\\r\\t\""),
	  "\"\x7f ' \\\" \\\\ \\/ \\b\\f\\n\\r\\t\"" },
	{ TR_LIT("[\"NaN\",\"Infinity\",\"{'\"]"),
	  "[\"NaN\",\"Infinity\",\"{'\"]" },
};

static const struct {
	const char	*in;
	size_t		 insz;
} invalids[] = {
	{ TR_LIT(" ") },
	{ TR_LIT("\n\t ") },
	{ TR_LIT("{") },
	{ TR_LIT("[1,") },
	{ TR_LIT("{\"a\":}") },
	{ TR_LIT("{\"a\":1,}") },
	{ TR_LIT("[1,]") },
	{ TR_LIT("{a:1}") },
	{ TR_LIT("{'a':1}") },
	{ TR_LIT("{\"a\":'b'}") },
	{ TR_LIT("'a'") },
	{ TR_LIT("\"abc") },
	{ TR_LIT("\"a\\x\"") },
	{ TR_LIT("nul") },
	{ TR_LIT("tru") },
	{ TR_LIT("True") },
	{ TR_LIT("NaN") },
	{ TR_LIT("-NaN") },
	{ TR_LIT("Infinity") },
	{ TR_LIT("-Infinity") },
	{ TR_LIT("[1,NaN]") },
	{ TR_LIT("{\"a\":Infinity}") },
	{ TR_LIT("nan") },
	{ TR_LIT("-") },
	{ TR_LIT("01") },
	{ TR_LIT("+1") },
	{ TR_LIT(".5") },
	{ TR_LIT("0x10") },
	{ TR_LIT("/* c */ {}") },
	{ TR_LIT("{} // c") },
	/* Trailing garbage. */
	{ TR_LIT("{} x") },
	{ TR_LIT("{}{}") },
	{ TR_LIT("[] []") },
	{ TR_LIT("1 2") },
	{ TR_LIT("12a") },
	{ TR_LIT("\"a\"b") },
	{ TR_LIT("{}\x0b") },
	{ TR_LIT("{}\f") },
	/* NUL bytes. */
	{ TR_LIT("\0") },
	{ TR_LIT("{}\0") },
	{ TR_LIT("{} \0") },
	{ TR_LIT("1\0") },
	{ TR_LIT("\0{}") },
	{ TR_LIT("\"a\0b\"") },
	{ TR_LIT("{\"a\0\":1}") },
	/* Invalid UTF-8 and raw control characters in strings. */
	{ TR_LIT("\"\xff\"") },
	{ TR_LIT("\"\xc3\"") },
	{ TR_LIT("\"\xc3") },
	{ TR_LIT("\"\xc0\xaf\"") },
	{ TR_LIT("\"\xed\xa0\x80\"") },
	{ TR_LIT("\"\xf4\x90\x80\x80\"") },
	{ TR_LIT("{\"\x80\":1}") },
	/* Raw control characters in strings. */
	{ TR_LIT("\"a\nb\"") },
	{ TR_LIT("\"\t\"") },
	{ TR_LIT("\"\x1f\"") },
	{ TR_LIT("\"a\\\n\"") },
	{ TR_LIT("{\"a\x01\":1}") },
	{ TR_LIT("\xef\xbb\xbf{}") },
};

static void
test_valid(void)
{
	struct json_object	*o;
	size_t			 i;

	for (i = 0; i < T_NELEM(valids); i++) {
		o = NULL;
		if (tr_json_parse(valids[i].in, valids[i].insz, 1024,
		    TR_JSON_DEPTH, &o) != TR_OK) {
			fprintf(stderr, "refused \"%s\"\n", valids[i].in);
			T(0);
		}
		T_STREQ(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN), valids[i].want);
		json_object_put(o);
	}
}

static void
test_invalid(void)
{
	struct json_object	*o, *mark;
	size_t			 i;

	mark = json_object_new_object();
	for (i = 0; i < T_NELEM(invalids); i++) {
		o = mark;
		if (tr_json_parse(invalids[i].in, invalids[i].insz, 1024,
		    TR_JSON_DEPTH, &o) != TR_EJSON) {
			fprintf(stderr, "accepted invalids[%zu]\n", i);
			T(0);
		}
		T(o == mark);	/* untouched */
	}

	/* Empty input. */
	o = mark;
	T(tr_json_parse("", 0, 1024, TR_JSON_DEPTH, &o) == TR_EJSON);
	T(o == mark);
	json_object_put(mark);
}

/* Nesting n arrays deep, [[...]]. */
static char *
nested(int n, const char *open, const char *close, const char *inner,
    size_t *lenp)
{
	struct tr_buf	 b;
	int		 i;

	tr_buf_init(&b, 1 << 20);
	for (i = 0; i < n; i++)
		T(tr_buf_adds(&b, open) == TR_OK);
	T(tr_buf_adds(&b, inner) == TR_OK);
	for (i = 0; i < n; i++)
		T(tr_buf_adds(&b, close) == TR_OK);
	return tr_buf_take(&b, lenp);
}

/*
 * json-c counts values, not containers: a depth of d allows d nested
 * empty arrays, or d - 1 containers around a scalar.
 */
static void
test_depth(void)
{
	static const int	 depths[] = { 2, 3, 5, TR_JSON_DEPTH, 64 };
	struct json_object	*o;
	char			*s;
	size_t			 len, i;
	int			 d;

	for (i = 0; i < T_NELEM(depths); i++) {
		d = depths[i];
		s = nested(d, "[", "]", "", &len);
		o = NULL;
		T(tr_json_parse(s, len, 1 << 20, d, &o) == TR_OK);
		json_object_put(o);
		free(s);
		s = nested(d + 1, "[", "]", "", &len);
		T(tr_json_parse(s, len, 1 << 20, d, &o) == TR_EJSON);
		free(s);

		s = nested(d - 1, "{\"k\":", "}", "1", &len);
		o = NULL;
		T(tr_json_parse(s, len, 1 << 20, d, &o) == TR_OK);
		json_object_put(o);
		free(s);
		s = nested(d, "{\"k\":", "}", "1", &len);
		T(tr_json_parse(s, len, 1 << 20, d, &o) == TR_EJSON);
		free(s);

		s = nested(d - 1, "[", "]", "{}", &len);
		o = NULL;
		T(tr_json_parse(s, len, 1 << 20, d, &o) == TR_OK);
		json_object_put(o);
		free(s);
		s = nested(d, "[", "]", "{}", &len);
		T(tr_json_parse(s, len, 1 << 20, d, &o) == TR_EJSON);
		free(s);
	}

	/* Deep nesting with the default limit: no stack exhaustion. */
	s = nested(100000, "[", "]", "", &len);
	T(tr_json_parse(s, len, 1 << 20, TR_JSON_DEPTH, &o) == TR_EJSON);
	free(s);
	s = nested(100000, "[", "", "", &len);
	T(tr_json_parse(s, len, 1 << 20, TR_JSON_DEPTH, &o) == TR_EJSON);
	free(s);
}

static void
test_max(void)
{
	struct json_object	*o;
	char			*s;
	size_t			 len;

	/* Exactly max bytes, then one more. */
	T(tr_json_parse("[1,2]", 5, 5, TR_JSON_DEPTH, &o) == TR_OK);
	json_object_put(o);
	T(tr_json_parse("[1,2]", 5, 4, TR_JSON_DEPTH, &o) == TR_ETOOBIG);
	T(tr_json_parse("{}", 2, 0, TR_JSON_DEPTH, &o) == TR_ETOOBIG);
	T(tr_json_parse("  ", 2, 1, TR_JSON_DEPTH, &o) == TR_ETOOBIG);
	T(tr_json_parse("", 0, 0, TR_JSON_DEPTH, &o) == TR_EJSON);

	/* A large document under the cap. */
	{
		struct tr_buf	 b;
		int		 i;

		tr_buf_init(&b, 1 << 20);
		T(tr_buf_adds(&b, "[") == TR_OK);
		for (i = 0; i < 50000; i++)
			T(tr_buf_addf(&b, "%s\"item%d\"", i ? "," : "", i)
			    == TR_OK);
		T(tr_buf_adds(&b, "]") == TR_OK);
		s = tr_buf_take(&b, &len);
	}
	o = NULL;
	T(tr_json_parse(s, len, 1 << 20, TR_JSON_DEPTH, &o) == TR_OK);
	T(json_object_array_length(o) == 50000);
	json_object_put(o);
	T(tr_json_parse(s, len, len - 1, TR_JSON_DEPTH, &o) == TR_ETOOBIG);
	free(s);
}

static void
test_str(void)
{
	struct json_object	*o;

	T(tr_json_parse(TR_LIT("{\"s\":\"v\",\"e\":\"\",\"n\":1,\"z\":null,"
	    "\"a\":[\"x\"],\"o\":{\"s\":\"inner\"},\"u\":\"\\u00e9\"}"),
	    1024, TR_JSON_DEPTH, &o) == TR_OK);
	T_STREQ(tr_json_str(o, "s"), "v");
	T_STREQ(tr_json_str(o, "e"), "");
	T_STREQ(tr_json_str(o, "u"), "\xc3\xa9");
	T(tr_json_str(o, "n") == NULL);
	T(tr_json_str(o, "z") == NULL);
	T(tr_json_str(o, "a") == NULL);
	T(tr_json_str(o, "o") == NULL);
	T(tr_json_str(o, "missing") == NULL);
	T(tr_json_str(o, "") == NULL);
	json_object_put(o);

	/* Not an object. */
	T(tr_json_parse(TR_LIT("[\"s\"]"), 1024, TR_JSON_DEPTH, &o) == TR_OK);
	T(tr_json_str(o, "s") == NULL);
	T(tr_json_str(o, "0") == NULL);
	json_object_put(o);
	T(tr_json_parse(TR_LIT("\"s\""), 1024, TR_JSON_DEPTH, &o) == TR_OK);
	T(tr_json_str(o, "s") == NULL);
	json_object_put(o);
	T(tr_json_str(NULL, "s") == NULL);

	/* Duplicate keys: the last one wins. */
	T(tr_json_parse(TR_LIT("{\"k\":\"1\",\"k\":\"2\"}"), 1024,
	    TR_JSON_DEPTH, &o) == TR_OK);
	T_STREQ(tr_json_str(o, "k"), "2");
	json_object_put(o);
}

/* tr_json_escape() writes what json-c reads back as the same bytes. */
static void
test_escape(void)
{
	static const char	 in[] = "q\" b\\ n\n r\r t\t \x01\x1f\x7f / "
	    "\xc3\xa9\xe6\x9d\xb1";
	static const char	 want[] = "\"q\\\" b\\\\ n\\n r\\r t\\t "
	    "\\u0001\\u001f\x7f / \xc3\xa9\xe6\x9d\xb1\"";
	struct json_object	*o;
	struct tr_buf		 b;
	char			 all[128];
	size_t			 i;

	tr_buf_init(&b, SIZE_MAX);
	T(tr_buf_add(&b, "\"", 1) == TR_OK);
	T(tr_json_escape(&b, in, sizeof(in) - 1) == TR_OK);
	T(tr_buf_add(&b, "\"", 1) == TR_OK);
	T_MEMEQ(b.ptr, b.len, want, sizeof(want) - 1);
	T(tr_json_parse(b.ptr, b.len, 1024, TR_JSON_DEPTH, &o) == TR_OK);
	T_MEMEQ(json_object_get_string(o), (size_t)json_object_get_string_len(o),
	    in, sizeof(in) - 1);
	json_object_put(o);
	tr_buf_free(&b);

	/* Every byte below 0x80, NUL included, round-trips. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)i;
	tr_buf_init(&b, SIZE_MAX);
	T(tr_buf_add(&b, "\"", 1) == TR_OK);
	T(tr_json_escape(&b, all, sizeof(all)) == TR_OK);
	T(tr_buf_add(&b, "\"", 1) == TR_OK);
	T(tr_json_parse(b.ptr, b.len, 1024, TR_JSON_DEPTH, &o) == TR_OK);
	T_MEMEQ(json_object_get_string(o), (size_t)json_object_get_string_len(o),
	    all, sizeof(all));
	json_object_put(o);
	tr_buf_free(&b);

	/* Nothing in, nothing out. */
	tr_buf_init(&b, SIZE_MAX);
	T(tr_json_escape(&b, "", 0) == TR_OK);
	T(b.len == 0);
	tr_buf_free(&b);
}

int
main(void)
{
	test_escape();
	test_valid();
	test_invalid();
	test_depth();
	test_max();
	test_str();
	return 0;
}
