/*
 * libFuzzer target for tr_json_parse() (lib/core/json.c) with the request
 * layer's limits.  What it accepts must be no deeper than the limit and
 * must survive a round trip: serialised and parsed again, it is equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

#define MAX	(1024 * 1024)
#define DEPTH	32

/* Values nested in o, o itself included (json-c's way of counting). */
static int
depth(struct json_object *o)
{
	size_t	 i, n;
	int	 d, max = 0;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if ((d = depth(json_object_array_get_idx(o, i))) > max)
				max = d;
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if ((d = depth(val)) > max)
				max = d;
		}
	}
	return max + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o = NULL, *again = NULL;
	const char		*s;
	size_t			 len;

	switch (tr_json_parse((const char *)data, size, MAX, DEPTH, &o)) {
	case TR_OK:
		break;
	case TR_EJSON:
	case TR_ETOOBIG:
		if (o != NULL)
			abort();
		return 0;
	default:
		abort();
	}
	if (size == 0 || !tr_valid_utf8((const char *)data, size))
		abort();
	if (depth(o) > DEPTH)
		abort();
	(void)tr_json_str(o, "model");
	(void)tr_json_str(o, "");

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s == NULL)
		abort();
	len = strlen(s);
	if (tr_json_parse(s, len, SIZE_MAX, DEPTH, &again) != TR_OK ||
	    !json_object_equal(o, again))
		abort();
	json_object_put(again);
	json_object_put(o);
	return 0;
}
