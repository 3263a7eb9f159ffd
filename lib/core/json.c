/*
 * JSON request bodies through json-c, strict and bounded: a size cap
 * checked before parsing, a nesting depth cap, UTF-8 validation, and no
 * trailing bytes after the value.
 */
#include <string.h>

#include "tr.h"

/*
 * Refuses what json-c takes even in strict mode: bytes outside strings
 * that are in no JSON token (NaN, Infinity, single quotes, NUL) and
 * control characters inside strings (RFC 8259 section 7).
 */
static int
lexical(const char *buf, size_t len)
{
	size_t		 i;
	unsigned char	 c;
	int		 instr = 0;

	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		if (instr) {
			if (c == '\\' && i + 1 < len)
				c = (unsigned char)buf[++i];
			else if (c == '"')
				instr = 0;
			if (c < 0x20)
				return 0;
		} else if (c == '"')
			instr = 1;
		else if (c == '\0' ||
		    strchr(" \t\r\n{}[],:0123456789+-.eEtrufalsn", c) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Parses len bytes into *out (the caller puts it; NULL for the JSON
 * text "null").  Returns TR_ETOOBIG over max, TR_EJSON for anything
 * malformed, too deep or followed by more than white space; *out is
 * untouched on error.
 */
enum tr_err
tr_json_parse(const char *buf, size_t len, size_t max, int depth,
    struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 off;

	if (len > max)
		return TR_ETOOBIG;
	if (len == 0 || len > (size_t)INT32_MAX ||
	    !tr_valid_utf8(buf, len) || !lexical(buf, len))
		return TR_EJSON;
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		return TR_ENOMEM;
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	off = json_tokener_get_parse_end(tok);
	/*
	 * A bare number at the very end needs a terminator to complete;
	 * then all of buf was consumed (the parse end of the second call
	 * is an offset into the terminator, not into buf).
	 */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		off = len;
	}
	/* The JSON text "null" is a success with a NULL object. */
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return TR_EJSON;
	}
	json_tokener_free(tok);
	if (off > len)
		off = len;
	for (; off < len; off++)
		if (strchr(" \t\r\n", buf[off]) == NULL || buf[off] == '\0') {
			json_object_put(o);
			return TR_EJSON;
		}
	*out = o;
	return TR_OK;
}

/* Returns the string member key of an object, or NULL. */
const char *
tr_json_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Appends s[0..len) to b as the inside of a JSON string (no quotes):
 * the quote, the backslash and control characters escaped, the rest
 * (UTF-8) as it is, as json-c writes strings.
 */
enum tr_err
tr_json_escape(struct tr_buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	static const char	 named[] = "\"\\\n\r\t", as[] = "\"\\nrt";
	const unsigned char	*p = (const unsigned char *)s;
	const char		*c;
	char			 e[6] = { '\\', 'u', '0', '0' };
	size_t			 i, from = 0, n;
	enum tr_err		 er;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		if (p[i] != '\0' && (c = strchr(named, p[i])) != NULL) {
			e[1] = as[c - named];
			n = 2;
		} else {
			e[1] = 'u';
			e[4] = hex[p[i] >> 4];
			e[5] = hex[p[i] & 0xf];
			n = 6;
		}
		if ((er = tr_buf_add(b, s + from, i - from)) != TR_OK ||
		    (er = tr_buf_add(b, e, n)) != TR_OK)
			return er;
		from = i + 1;
	}
	return tr_buf_add(b, s + from, len - from);
}
