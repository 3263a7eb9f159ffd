/*
 * JSON request bodies through json-c, strict and bounded: a size cap
 * checked before parsing, a nesting depth cap, UTF-8 validation, and no
 * trailing bytes after the value.
 */
#include <string.h>

#include "tr.h"

/*
 * Parses len bytes into *out (the caller puts it).  Returns TR_ETOOBIG
 * over max, TR_EJSON for anything malformed, too deep or followed by
 * more than white space; *out is untouched on error.
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
	if (len == 0 || len > (size_t)INT32_MAX)
		return TR_EJSON;
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		return TR_ENOMEM;
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	/* A bare number at the very end needs a terminator to complete. */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return TR_EJSON;
	}
	off = json_tokener_get_parse_end(tok);
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
