/*
 * POST /reports/{fmt}: an analysis of a transcript (duration, words,
 * words per minute, talk time and share per speaker, frequent words,
 * a talk-time chart) as pdf, docx, xlsx or json.
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/reports/*", .methods = TR_POST, .auth = TR_AUTH_APIKEY,
	.body_max = TR_DOC_BODY_MAX, .fields = tr_doc_fields,
	.fieldsz = TR_DOC__MAX, .handler = tr_report, .async = 1, .formats = TR_FMT_REPORT,
	.check = tr_report_check,
};

int
main(void)
{
	return tr_serve(&ep);
}
