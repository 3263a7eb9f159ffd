"""What the web servers write down: credentials sent in a query string
are refused, and must not be kept in the access log either."""

import os
import time

SECRETS = {"api_key": "trk_querysecret0123456789",
           "access_token": "eyJquerysecret.abc.def",
           "token": "querysecret-token-9876"}
LOGS = {"lighttpd": "access.log", "apache-fcgid": "apache-access.log",
        "apache-cgi": "apache-access.log"}


def read_log(server):
    path = os.path.join(server.state, "log", LOGS[server.kind])
    # The servers write their access log line after the answer.
    for _ in range(50):
        with open(path, errors="replace") as f:
            text = f.read()
        if "/utilities/log-usage" in text:
            return path, text
        time.sleep(0.1)
    return path, text


def test_query_credentials_stay_out_of_the_access_log(server):
    query = "&".join("%s=%s" % kv for kv in SECRETS.items())
    r = server.request("POST", "/utilities/log-usage?" + query,
                       json={"service": "x"})
    assert r.status_code == 401, r.text
    path, text = read_log(server)
    assert "/utilities/log-usage" in text
    for v in SECRETS.values():
        assert v not in text, "credential kept in %s" % path
