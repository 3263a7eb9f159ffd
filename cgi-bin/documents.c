/*
 * POST /documents/{fmt}: a transcript (our JSON) or a plain text, with
 * a title and metadata, as a file for download: docx, pdf, xlsx, txt,
 * srt, vtt or json.
 */
#include "tr.h"

static const struct tr_endpoint ep = {
	.path = "/documents/*", .methods = TR_POST, .auth = TR_AUTH_APIKEY,
	.body_max = TR_DOC_BODY_MAX, .fields = tr_doc_fields,
	.fieldsz = TR_DOC__MAX, .handler = tr_document, .async = 1, .formats = TR_FMT_DOC,
	.check = tr_document_check,
};

int
main(void)
{
	return tr_serve(&ep);
}
