/*
 * Test-only: sends one webhook with tr_webhook_send() and prints what
 * happened as JSON, for test_webhook.py to check against the receiver.
 *
 *   webhook_send URL SECRET ID BODY [ATTEMPTS [TIMEOUT_MS [BUDGET_MS]]]
 *
 * ID "-" lets the library make one.  Settings come from APP_CONFIG and
 * the environment, as the programs' do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

int
main(int argc, char *argv[])
{
	struct tr_webhook		 w;
	struct tr_webhook_result	 res;
	struct json_object		*o;
	enum tr_err			 er;
	long long			 n[3] = { 0, 0, 0 };
	int				 i;

	if (argc < 5)
		return 2;
	tr_log_init("webhook_send");
	if (tr_conf_load() != TR_OK)
		return 2;
	memset(&w, 0, sizeof(w));
	w.url = argv[1];
	w.secret = argv[2];
	w.id = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
	w.body = argv[4];
	w.bodysz = strlen(argv[4]);
	/* ATTEMPTS, TIMEOUT_MS, BUDGET_MS: 0 or absent takes the settings. */
	for (i = 0; i < 3 && 5 + i < argc; i++)
		if (tr_parse_ll(argv[5 + i], 0, 86400000, &n[i]) != TR_OK)
			return 2;
	w.attempts = (int)n[0];
	w.timeout_ms = (long)n[1];
	w.budget_ms = (long)n[2];
	er = tr_webhook_send(&w, &res);
	o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_string(
	    er == TR_OK ? "ok" : tr_err_code(er)));
	json_object_object_add(o, "delivered", json_object_new_boolean(
	    res.delivered));
	json_object_object_add(o, "attempts", json_object_new_int(
	    res.attempts));
	json_object_object_add(o, "status", json_object_new_int64(res.status));
	json_object_object_add(o, "id", json_object_new_string(res.id));
	json_object_object_add(o, "why", json_object_new_string(res.why));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	tr_conf_free();
	return 0;
}
