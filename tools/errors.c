/*
 * trapi-errors DIR: writes DIR/<status>.json, the JSON error body of
 * each status in the error table, for web servers that answer their own
 * errors with a static file (Apache's ErrorDocument, which cannot run a
 * FastCGI program safely once reading the request body has failed).
 */
#include <err.h>
#include <stdio.h>

#include "tr.h"

int
main(int argc, char *argv[])
{
	struct json_object	*o;
	char			 path[4096];
	FILE			*f;
	int			 i, st, seen[600] = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: trapi-errors dir\n");
		return 2;
	}
	for (i = 1; i < TR__MAX; i++) {
		st = tr_err_status((enum tr_err)i);
		if (st < 400 || st >= 600 || seen[st]++)
			continue;
		snprintf(path, sizeof(path), "%s/%d.json", argv[1], st);
		if ((f = fopen(path, "w")) == NULL)
			err(1, "%s", path);
		o = tr_err_body((enum tr_err)i, NULL, "");
		fprintf(f, "%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		if (fclose(f) != 0)
			err(1, "%s", path);
	}
	return 0;
}
