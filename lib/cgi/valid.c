/*
 * Field validators (kcgi's kvalid_*): pure functions that check a raw
 * value and store the converted one.  None of them allocates.
 */
#include <string.h>
#include <strings.h>

#include "tr.h"

/* Is [s, s+len) well-formed UTF-8 without overlongs or surrogates? */
int
tr_valid_utf8(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	unsigned int		 c;
	int			 n;

	while (p < end) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		if (end - p < n)
			return 0;
		if (c == 0xe0 && p[0] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[0] > 0x9f)
			return 0;	/* surrogate */
		if (c == 0xf0 && p[0] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[0] > 0x8f)
			return 0;	/* past U+10FFFF */
		while (n-- > 0)
			if ((*p++ & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* Text: valid UTF-8, no NUL byte. */
int
tr_valid_string(struct tr_pair *p)
{
	if (strlen(p->val) != p->valsz || !tr_valid_utf8(p->val, p->valsz))
		return 0;
	p->parsed.s = p->val;
	return 1;
}

/* A decimal integer in [min, max], no NUL byte after it. */
static int
valid_ll(struct tr_pair *p, long long min, long long max)
{
	long long	 v;

	if (strlen(p->val) != p->valsz ||
	    tr_parse_ll(p->val, min, max, &v) != TR_OK)
		return 0;
	p->parsed.i = v;
	return 1;
}

int
tr_valid_int(struct tr_pair *p)
{
	return valid_ll(p, INT64_MIN, INT64_MAX);
}

/* true/false, 1/0, yes/no, on/off; no NUL byte after them. */
int
tr_valid_bool(struct tr_pair *p)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };
	size_t			 i;

	if (strlen(p->val) != p->valsz)
		return 0;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(p->val, yes[i]) == 0) {
			p->parsed.i = 1;
			return 1;
		}
		if (strcasecmp(p->val, no[i]) == 0) {
			p->parsed.i = 0;
			return 1;
		}
	}
	return 0;
}

/*
 * An e-mail address as the seed checks it: local@domain.tld, printable
 * ASCII without spaces, one "@", a dot in the domain, 254 bytes at most.
 */
int
tr_valid_email(struct tr_pair *p)
{
	const char	*at, *dot, *s;

	if (p->valsz == 0 || p->valsz > 254 || strlen(p->val) != p->valsz)
		return 0;
	for (s = p->val; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("()<>,;:\\\"[]", *s))
			return 0;
	if ((at = strchr(p->val, '@')) == NULL || at == p->val ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if ((dot = strrchr(at + 1, '.')) == NULL || dot == at + 1 ||
	    dot[1] == '\0' || strlen(dot + 1) < 2)
		return 0;
	if (strstr(p->val, "..") != NULL || at[-1] == '.' || at[1] == '.' ||
	    p->val[0] == '.')
		return 0;
	p->parsed.s = p->val;
	return 1;
}

/* A short text (a name, a company): UTF-8, no control bytes, 200 bytes. */
int
tr_valid_name(struct tr_pair *p)
{
	size_t	 i;

	if (p->valsz > 200 || !tr_valid_string(p))
		return 0;
	for (i = 0; i < p->valsz; i++)
		if ((unsigned char)p->val[i] < 0x20 || p->val[i] == 0x7f)
			return 0;
	return 1;
}

/* An identifier such as a service name: [a-z0-9_.-]{1,64}. */
int
tr_valid_ident(struct tr_pair *p)
{
	size_t	 i;

	if (p->valsz == 0 || p->valsz > 64 || strlen(p->val) != p->valsz)
		return 0;
	for (i = 0; i < p->valsz; i++)
		if (!((p->val[i] >= 'a' && p->val[i] <= 'z') ||
		    (p->val[i] >= '0' && p->val[i] <= '9') ||
		    strchr("_.-", p->val[i]) != NULL))
			return 0;
	p->parsed.s = p->val;
	return 1;
}

int
tr_valid_uint(struct tr_pair *p)
{
	return valid_ll(p, 0, INT32_MAX);
}

int
tr_valid_amount(struct tr_pair *p)
{
	double	 v;

	if (strlen(p->val) != p->valsz ||
	    tr_parse_double(p->val, 0, 1e12, &v) != TR_OK)
		return 0;
	p->parsed.d = v;
	return 1;
}

/* A BCP-47-ish language tag: "en", "it", "pt-BR", "zh-Hans" (lang.c). */
int
tr_valid_lang(struct tr_pair *p)
{
	if (!tr_lang_wellformed(p->val, p->valsz))
		return 0;
	p->parsed.s = p->val;
	return 1;
}

/*
 * A JSON object or array, as its JSON text (a JSON body's member) or
 * text that may be one (a form field): the handler parses it.
 */
int
tr_valid_struct(struct tr_pair *p)
{
	if (strlen(p->val) != p->valsz || p->valsz == 0 ||
	    (p->val[0] != '{' && p->val[0] != '['))
		return 0;
	p->parsed.s = p->val;
	return 1;
}

/*
 * The JSON type each validator reads (a string for any not listed), and
 * the JSON Schema of the values it takes, for the OpenAPI description.
 */
static const struct {
	tr_validator	 valid;
	enum tr_kind	 kind;
	const char	*schema;
} kinds[] = {
	{ tr_valid_int, TR_KIND_NUMBER, "{\"type\":\"integer\"}" },
	{ tr_valid_uint, TR_KIND_NUMBER,
	    "{\"type\":\"integer\",\"minimum\":0}" },
	{ tr_valid_amount, TR_KIND_NUMBER,
	    "{\"type\":\"number\",\"minimum\":0}" },
	{ tr_valid_bool, TR_KIND_BOOL, "{\"type\":\"boolean\"}" },
	{ tr_valid_email, TR_KIND_STRING,
	    "{\"type\":\"string\",\"format\":\"email\"}" },
	{ tr_valid_name, TR_KIND_STRING,
	    "{\"type\":\"string\",\"maxLength\":200}" },
	{ tr_valid_ident, TR_KIND_STRING, "{\"type\":\"string\","
	    "\"pattern\":\"^[a-z0-9_.-]{1,64}$\"}" },
	{ tr_valid_lang, TR_KIND_STRING, "{\"type\":\"string\","
	    "\"examples\":[\"en\",\"pt-BR\"]}" },
	{ tr_valid_struct, TR_KIND_STRUCT,
	    "{\"type\":[\"object\",\"array\"]}" },
};

/* The JSON Schema (as JSON text) of a validator's values. */
const char *
tr_valid_schema(tr_validator v)
{
	size_t	 i;

	if (v == NULL)
		return "{\"type\":\"string\",\"format\":\"binary\"}";
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].valid == v)
			return kinds[i].schema;
	return "{\"type\":\"string\"}";
}

static const char *const kind_names[TR_KIND__MAX] = {
	"text", "string", "number", "boolean", "object or array",
};

enum tr_kind
tr_valid_kind(tr_validator v)
{
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].valid == v)
			return kinds[i].kind;
	return TR_KIND_STRING;
}

const char *
tr_kind_name(enum tr_kind k)
{
	return k < TR_KIND__MAX ? kind_names[k] : "value";
}
