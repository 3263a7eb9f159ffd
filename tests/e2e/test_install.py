"""make install puts programs, SQL and web server configurations where
INSTALL says, with the paths filled in; and INSTALL, followed step by
step, gives a working service behind Apache."""

import glob
import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess

import pytest
import requests

from conftest import (BUILD, IS_ROOT, ROOT, free_port, mkdirs, need,
                      wait_port)


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
    assert (root / "share" / "trapi" / "vader_lexicon.txt").stat().st_size > 100000
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


# What follows is INSTALL, section by section, in a temporary root: the
# shell lines are taken from INSTALL itself, with /usr/local, /etc and
# /var rewritten to that root.  Where INSTALL needs the real /etc or
# systemd, the test does the closest equivalent and says so.
INSTALL = os.path.join(ROOT, "INSTALL")
REROOT = re.compile(r"(?<![\w.-])(/usr/local|/etc/trapi\.conf|/var/lib/trapi"
                    r"|/var/spool/trapi)(?![\w.-])")


def install_section(number):
    """The text of the INSTALL section whose title starts with number."""
    with open(INSTALL) as f:
        text = f.read()
    parts = re.split(r"\n(?=\d+[a-z]?\. [^\n]+\n-+\n)", text)
    for p in parts:
        if p.startswith(number + ". "):
            return p
    raise AssertionError("INSTALL has no section " + number)


def shell_lines(section):
    """The indented (shell or file) lines of a section, unindented."""
    return [l[4:] for l in section.splitlines() if l.startswith("    ")]


def block(lines, first, last):
    """The lines from the one starting with first to the one equal to last."""
    start = next(i for i, l in enumerate(lines) if l.startswith(first))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == last)
    return lines[start:end + 1]


def a2enmod(names):
    """The LoadModule lines of what "a2enmod names" enables, dependencies
    first: the .load files it links into mods-enabled."""
    out, seen = [], set()

    def add(name):
        if name in seen:
            return
        seen.add(name)
        with open("/etc/apache2/mods-available/%s.load" % name) as f:
            text = f.read()
        for m in re.findall(r"^# Depends:(.*)$", text, re.M):
            for dep in m.replace(",", " ").split():
                add(dep)
        out.extend(l for l in text.splitlines() if l.startswith("LoadModule"))

    for n in names:
        add(n)
    return out


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_install_behind_apache(stack):
    """INSTALL followed step by step: make install, the users, the
    database roles, the config, Apache with the site of section 5a and
    ws-bridge as its unit runs it, each as the user INSTALL names."""
    if not IS_ROOT:
        pytest.skip("INSTALL's steps are run as root")
    need("apache2", "setpriv", "/usr/lib/apache2/modules/mod_fcgid.so",
         "/usr/lib/apache2/modules/mod_proxy_wstunnel.so",
         why="Apache with mod_fcgid, as INSTALL installs it")
    for user in ("www-data", "trapi"):
        pwd.getpwnam(user)      # Debian's, and tools/deps.sh's
    trapi_gid = grp.getgrnam("trapi").gr_gid
    # Under the stack's directory: every user may traverse it.
    top = os.path.join(stack.base, "install")
    dest = os.path.join(top, "root")
    os.makedirs(dest + "/etc")     # which a real root has
    os.chmod(top, 0o755)

    def reroot(s):
        return REROOT.sub(lambda m: dest + m.group(1), s)

    def sh(lines):
        subprocess.run(["sh", "-euc", reroot("\n".join(lines)) + "\n"],
                       check=True)

    ws_port = free_port()
    port = free_port()

    # 1. make install, as INSTALL says, into DESTDIR; WS_PORT is a free
    # port here, and the config says the same below.
    s1 = shell_lines(install_section("1"))
    i = next(i for i, l in enumerate(s1) if l.startswith("make install"))
    cmd = s1[i]
    while cmd.endswith("\\"):
        i += 1
        cmd = cmd[:-1] + s1[i]
    argv = shlex.split(cmd)
    assert argv[:2] == ["make", "install"], cmd
    argv = [a if not a.startswith("WS_PORT=") else "WS_PORT=%d" % ws_port
            for a in argv[2:]]
    build = os.path.relpath(BUILD, ROOT)
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "BUILD=" + build,
                        "DESTDIR=" + dest] + argv,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    prefix = dest + "/usr/local"
    confdir = prefix + "/share/trapi/httpd-conf"
    # The installed files name the real paths: as a packager would
    # relocate them, they are rewritten to the temporary root.
    for f in glob.glob(confdir + "/*.conf") + [
            prefix + "/lib/systemd/system/ws-bridge.service"]:
        with open(f) as fh:
            text = fh.read()
        with open(f, "w") as fh:
            fh.write(reroot(text))

    # 2. The users: trapi exists (tools/deps.sh).  "usermod -aG trapi
    # www-data" would change the machine's /etc/group: Apache is started
    # below as www-data with trapi as its supplementary group instead.
    s2 = shell_lines(install_section("2"))
    assert "usermod -aG trapi www-data" in s2
    sh([l for l in s2 if l.startswith("install -d")])

    # 3. PostgreSQL: the stack's cluster stands in for Debian's.  Its
    # superuser is the role trapi (what postgres is on Debian), so
    # "createuser trapi" is done; www-data is the member INSTALL makes,
    # with no privilege of its own.  The stack has a database "trapi"
    # already: this one is trapi_install, owned by trapi likewise.
    s3 = shell_lines(install_section("3"))
    for line in ("runuser -u postgres -- createuser trapi",
                 "runuser -u postgres -- createuser -g trapi www-data",
                 "runuser -u postgres -- createdb -O trapi trapi",
                 "DATABASE_URL=postgresql:///trapi"):
        assert line in s3, line
    pgbin = ["runuser", "-u", "trapi", "--"]
    subprocess.run(pgbin + ["createuser", "-h", stack.pg.sock,
                            "-p", str(stack.pg.port), "-g", "trapi",
                            "www-data"], check=True)
    subprocess.run(pgbin + ["createdb", "-h", stack.pg.sock,
                            "-p", str(stack.pg.port), "-O", "trapi",
                            "trapi_install"], check=True)
    url = "postgresql:///trapi_install?host=%s&port=%d" % (
        stack.pg.sock, stack.pg.port)

    # 4. The config file, written by INSTALL's own lines.
    s4 = shell_lines(install_section("4"))
    conf = block(s4, "install -o root -g trapi -m 0640", "CONF")
    conf = [("DATABASE_URL=" + url) if l.startswith("DATABASE_URL=") else l
            for l in conf]
    sh(conf)
    config = dest + "/etc/trapi.conf"
    with open(config, "a") as f:
        f.write("WS_BRIDGE_PORT=%d\n" % ws_port)
    st = os.stat(config)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, trapi_gid, 0o640)

    # The migrations, as INSTALL runs them (trapi-migrate finds the SQL
    # beside itself).
    migrate = next(l for l in s3 if "trapi-migrate" in l)
    r = subprocess.run([prefix + "/sbin/trapi-migrate" if a == "trapi-migrate"
                        else a for a in shlex.split(reroot(migrate))],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    # 5d. ws-bridge as its installed unit starts it: its User, Group,
    # Environment and ExecStart (the unit's sandboxing is systemd's).
    unit = {}
    with open(prefix + "/lib/systemd/system/ws-bridge.service") as f:
        for line in f:
            k, sep, v = line.strip().partition("=")
            if sep and not k.startswith("#"):
                unit.setdefault(k, []).append(v)
    assert unit["User"] == ["trapi"] and unit["Group"] == ["trapi"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    for e in unit["Environment"]:
        k, _, v = e.partition("=")
        env[k] = v
    assert env["APP_CONFIG"] == config
    logdir = os.path.join(top, "log")
    run = os.path.join(top, "run")
    mkdirs(logdir, run, run + "/fcgid")
    for d in (logdir, run, run + "/fcgid"):
        shutil.chown(d, "www-data", "www-data")
    bridge_log = os.path.join(top, "ws-bridge.log")
    procs = []
    try:
        with open(bridge_log, "ab") as log:
            procs.append(subprocess.Popen(
                ["setpriv", "--reuid=trapi", "--regid=trapi",
                 "--init-groups"] + shlex.split(unit["ExecStart"][0]),
                env=env, stdout=log, stderr=log))
        wait_port(ws_port, procs[-1])

        # 5a. Apache: a top-level config standing in for Debian's
        # apache2.conf, ports.conf and mods-enabled (its default modules
        # and those of INSTALL's a2enmod line), then the site of INSTALL
        # on the free port.
        s5 = shell_lines(install_section("5a"))
        mods = next(l for l in s5 if l.startswith("a2enmod ")).split()[1:]
        site = block(s5, "cat > /etc/apache2/sites-available/trapi.conf",
                     "SITE")[1:-1]
        site = "\n".join(reroot(l) for l in site)
        assert "<VirtualHost *:80>" in site
        site = site.replace("<VirtualHost *:80>", "<VirtualHost *:%d>" % port)
        top_conf = os.path.join(top, "apache2.conf")
        with open(top_conf, "w") as f:
            f.write("\n".join([
                'ServerRoot "/etc/apache2"',
                "ServerName localhost",
                'PidFile "%s/apache2.pid"' % run,
                'DefaultRuntimeDir "%s"' % run,
                "Mutex file:%s default" % run,
                'ErrorLog "%s/error.log"' % logdir,
                "TypesConfig /etc/mime.types",
                ] + a2enmod(["mpm_event", "authz_core", "mime"] + mods) + [
                'FcgidIPCDir "%s/fcgid"' % run,
                'FcgidProcessTableFile "%s/fcgid_shm"' % run,
                "Listen 127.0.0.1:%d" % port,
                site, ""]))
        # As www-data in the group trapi: what "usermod -aG trapi
        # www-data" gives Apache's children, which the programs are.
        with open(os.path.join(logdir, "stdout.log"), "ab") as log:
            procs.append(subprocess.Popen(
                ["setpriv", "--reuid=www-data", "--regid=www-data",
                 "--groups=trapi", "apache2", "-f", top_conf,
                 "-DFOREGROUND"],
                env=dict(env, APACHE_LOG_DIR=logdir),
                stdout=log, stderr=log))
        wait_port(port, procs[-1])
        base = "http://127.0.0.1:%d" % port

        r = requests.get(base + "/health", timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["database"] == "ok"
        r = requests.get(base + "/socket.io/?EIO=4&transport=polling",
                         timeout=30)
        assert r.status_code == 200 and r.text.startswith("0{"), r.text
        r = requests.get(base + "/live/", timeout=30)
        assert r.status_code == 200
        with open(prefix + "/share/trapi/www/index.html", "rb") as f:
            assert r.content == f.read()
    finally:
        for p in reversed(procs):
            stop(p)
    logs = ""
    for f in [bridge_log] + glob.glob(logdir + "/*.log"):
        with open(f, errors="replace") as fh:
            logs += fh.read()
    assert "Permission denied" not in logs, logs
    assert "readable" not in logs, logs


def test_body_limit_follows_max_upload_bytes(tmp_path):
    """The web servers' body limit is the app config's MAX_UPLOAD_BYTES
    and a MiB (so that the program answers an upload over it), unless -m
    says otherwise; a config without it keeps the programs' default."""
    def limits(config, *extra):
        out = tmp_path / ("out-%d" % len(list(tmp_path.iterdir())))
        subprocess.run(["sh", os.path.join(ROOT, "tools", "mkconf.sh"), "-o",
                        str(out), "-c", "/x/cgi-bin", "-s", "/x/state", "-f",
                        str(config), "-e", os.path.join(BUILD, "tools",
                                                        "trapi-errors")]
                       + list(extra), check=True)
        light = (out / "lighttpd-trapi.conf").read_text()
        apache = (out / "apache-fcgid.conf").read_text()
        return (int(re.search(r"server.max-request-size = (\d+)", light).group(1)),
                int(re.search(r"LimitRequestBody (\d+)", apache).group(1)))
    big = tmp_path / "big.conf"
    big.write_text("LOG_LEVEL=info\nMAX_UPLOAD_BYTES='2147483648'\n")
    assert limits(big) == ((2147483648 + 1048576) // 1024, 2147483648 + 1048576)
    plain = tmp_path / "plain.conf"
    plain.write_text("LOG_LEVEL=info\n")
    assert limits(plain) == ((536870912 + 1048576) // 1024, 536870912 + 1048576)
    assert limits(big, "-m", "1048576") == (1024, 1048576)
