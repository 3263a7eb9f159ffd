"""make install puts programs, SQL and web server configurations where
INSTALL says, with the paths filled in."""

import os
import subprocess

from conftest import ROOT, BUILD


def test_install_tree(tmp_path):
    dest = tmp_path / "dest"
    build = os.path.relpath(BUILD, ROOT)
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "BUILD=" + build,
                        "DESTDIR=" + str(dest), "PREFIX=/opt/trapi",
                        "PORT=8081"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    root = dest / "opt" / "trapi"
    for prog in ("health", "index"):
        p = root / "lib" / "trapi" / "cgi-bin" / prog
        assert p.is_file() and os.access(p, os.X_OK)
    assert (root / "sbin" / "trapi-migrate").is_file()
    assert (root / "share" / "trapi" / "sql" / "0001_accounts.sql").is_file()
    conf = root / "share" / "trapi" / "httpd-conf"
    lt = (conf / "lighttpd-trapi.conf").read_text()
    assert '"bin-path" => "/opt/trapi/lib/trapi/cgi-bin/health"' in lt
    ap = (conf / "apache-fcgid.conf").read_text()
    assert 'ScriptAlias "/health" "/opt/trapi/lib/trapi/cgi-bin/health"' in ap
    assert "/opt/trapi/share/trapi/httpd-conf/errors/" in ap
    assert "server.port = 8081" in (conf / "lighttpd.conf").read_text()
    assert (conf / "errors" / "503.json").is_file()
    for f in conf.glob("*.conf"):
        assert "@" not in "".join(l for l in f.read_text().splitlines()
                                  if not l.startswith("#")), f
    # Live streaming: the daemon, its unit, the caption page and the
    # proxy configurations.
    assert os.access(root / "sbin" / "ws-bridge", os.X_OK)
    unit = (dest / "opt" / "trapi" / "lib" / "systemd" / "system" /
            "ws-bridge.service").read_text()
    assert "ExecStart=/opt/trapi/sbin/ws-bridge" in unit
    assert "Environment=APP_CONFIG=/etc/trapi.conf" in unit
    www = root / "share" / "trapi" / "www"
    assert (www / "index.html").is_file()
    assert (www / "socket.io.min.js").is_file()
    ws = (conf / "lighttpd-ws.conf").read_text()
    assert '"port" => 8090' in ws and '"/opt/trapi/share/trapi/www/"' in ws
    assert "upgrade=websocket" in (conf / "apache-ws.conf").read_text()
