/*
 * Unit tests of the error table (lib/core/err.c).
 */
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

static void
test_table(void)
{
	const char	*s;
	int		 i, st;

	for (i = 0; i < TR__MAX; i++) {
		st = tr_err_status((enum tr_err)i);
		T(st >= 200 && st <= 599);
		T(i == TR_OK ? st == 200 : st >= 400);
		s = tr_err_code((enum tr_err)i);
		T(s != NULL && *s != '\0');
		/* Codes are snake_case identifiers. */
		for (; *s != '\0'; s++)
			T((*s >= 'a' && *s <= 'z') || *s == '_');
		s = tr_err_message((enum tr_err)i);
		T(s != NULL && *s != '\0');
	}

	/* Out of range values are internal errors, not crashes. */
	T(tr_err_status(TR__MAX) == 500);
	T(tr_err_status((enum tr_err)-1) == 500);
	T(tr_err_status((enum tr_err)1000) == 500);
	T_STREQ(tr_err_code(TR__MAX), "internal_error");
	T_STREQ(tr_err_code((enum tr_err)-1), "internal_error");
	T(*tr_err_message(TR__MAX) != '\0');

	/* A few entries of the contract. */
	T(tr_err_status(TR_EINVAL) == 400);
	T(tr_err_status(TR_EUNAUTH) == 401);
	T(tr_err_status(TR_ENOTFOUND) == 404);
	T(tr_err_status(TR_EMETHOD) == 405);
	T(tr_err_status(TR_ELENGTH) == 411);
	T(tr_err_status(TR_ETOOBIG) == 413);
	T(tr_err_status(TR_EMEDIA) == 415);
	T(tr_err_status(TR_EFIELD) == 422);
	T(tr_err_status(TR_ERATE) == 429);
	T(tr_err_status(TR_EHEADER) == 431);
	T(tr_err_status(TR_ESYSTEM) == 500);
	T(tr_err_status(TR_EPROVIDER) == 502);
	T(tr_err_status(TR_EUNAVAIL) == 503);
	T(tr_err_status(TR_ETIMEOUT) == 504);
	T_STREQ(tr_err_code(TR_EJSON), "invalid_json");
	T_STREQ(tr_err_code(TR_ETOOBIG), "payload_too_large");
}

static void
test_from_status(void)
{
	static const struct {
		int		 status;
		enum tr_err	 want;
	} tests[] = {
		{ 400, TR_EINVAL },
		{ 401, TR_EUNAUTH },
		{ 403, TR_EFORBIDDEN },
		{ 404, TR_ENOTFOUND },
		{ 405, TR_EMETHOD },
		{ 409, TR_ECONFLICT },
		{ 411, TR_ELENGTH },
		{ 413, TR_ETOOBIG },
		{ 415, TR_EMEDIA },
		{ 422, TR_EFIELD },
		{ 429, TR_ERATE },
		{ 431, TR_EHEADER },
		{ 500, TR_ESYSTEM },
		{ 502, TR_EPROVIDER },
		{ 503, TR_EUNAVAIL },
		{ 504, TR_ETIMEOUT },
		/* Unknown statuses. */
		{ 402, TR_EINVAL },
		{ 408, TR_EINVAL },
		{ 414, TR_EINVAL },
		{ 418, TR_EINVAL },
		{ 499, TR_EINVAL },
		{ 501, TR_ESYSTEM },
		{ 505, TR_ESYSTEM },
		{ 599, TR_ESYSTEM },
	};
	enum tr_err	 er;
	size_t		 i;
	int		 st;

	for (i = 0; i < T_NELEM(tests); i++)
		T(tr_err_from_status(tests[i].status) == tests[i].want);

	/*
	 * Round trip: every status in the table maps back to an error with
	 * that status (several errors share one, so compare statuses).
	 */
	for (i = 1; i < TR__MAX; i++) {
		st = tr_err_status((enum tr_err)i);
		er = tr_err_from_status(st);
		T(er != TR_OK && er < TR__MAX);
		T(tr_err_status(er) == st);
		/* Never a cause the web server cannot know. */
		T(er != TR_EJSON && er != TR_ENOMEM && er != TR_EDB &&
		    er != TR_EDBDOWN);
	}
}

static void
check_body(enum tr_err er, const char *msg, const char *reqid,
    const char *wantmsg, const char *wantid)
{
	struct json_object	*o, *e, *v;
	const char		*s;

	o = tr_err_body(er, msg, reqid);
	T(o != NULL);
	T(json_object_is_type(o, json_type_object));
	T(json_object_object_length(o) == 1);
	T(json_object_object_get_ex(o, "error", &e));
	T(json_object_is_type(e, json_type_object));
	T(json_object_object_length(e) == 3);
	T_STREQ(tr_json_str(e, "code"), tr_err_code(er));
	T_STREQ(tr_json_str(e, "message"), wantmsg);
	T_STREQ(tr_json_str(e, "request_id"), wantid);
	T(json_object_object_get_ex(e, "code", &v));

	/* It serialises to JSON that parses back the same. */
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	T(s != NULL);
	T(tr_json_parse(s, strlen(s), 4096, TR_JSON_DEPTH, &v) == TR_OK);
	T(json_object_equal(o, v));
	json_object_put(v);
	json_object_put(o);
}

static void
test_body(void)
{
	int	 i;

	for (i = 0; i < TR__MAX; i++) {
		check_body((enum tr_err)i, NULL, "abc",
		    tr_err_message((enum tr_err)i), "abc");
		check_body((enum tr_err)i, "", NULL,
		    tr_err_message((enum tr_err)i), "");
	}
	check_body(TR_EFIELD, "field \"x\" is \\ invalid\n", "0123",
	    "field \"x\" is \\ invalid\n", "0123");
	check_body(TR__MAX, "m", "r", "m", "r");
	check_body(TR_ENOTFOUND, "caf\xc3\xa9", "", "caf\xc3\xa9", "");
}

int
main(void)
{
	test_table();
	test_from_status();
	test_body();
	return 0;
}
