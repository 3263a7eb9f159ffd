/*
 * The floor for GET /health: a FastCGI program that answers one
 * constant JSON body and touches nothing else, to run on the same
 * lighttpd as ours (tests/bench/README).  Not part of the service.
 */
#include <fcgiapp.h>

static const char	 body[] = "{\"status\":\"healthy\","
    "\"service\":\"Audio Transcription API\","
    "\"version\":\"1.0.0\",\"database\":\"ok\"}";

int
main(void)
{
	FCGX_Request	 req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: "
		    "application/json\r\nContent-Length: %d\r\n\r\n",
		    (int)sizeof(body) - 1);
		FCGX_PutStr(body, (int)sizeof(body) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
