"""End-to-end harness: a real PostgreSQL, a real lighttpd and a real
Apache (mod_fcgid and plain CGI via mod_cgid), all on loopback and free
ports under one temporary directory, configured from httpd-conf/ by
tools/mkconf.sh exactly as a user's would be, and stopped afterwards."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "mock"))
from auth0 import Auth0Mock  # noqa: E402
from deepgram import DeepgramMock  # noqa: E402
from openai_audio import OpenAIMock  # noqa: E402
from assemblyai import AssemblyAIMock  # noqa: E402
from deepgram_live import DeepgramLiveMock  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
IS_ROOT = os.geteuid() == 0
# As root the services run as the unprivileged service user, as in "make run".
USER = "trapi" if IS_ROOT else pwd.getpwuid(os.getuid()).pw_name
SERVERS = ("lighttpd", "apache-fcgid", "apache-cgi")
MAX_UPLOAD = 300 * 1024 * 1024
JWT_SECRET = "e2e-jwt-secret-0123456789abcdef0123456789"
LEGACY_KEY = "legacy-static-key-for-e2e"
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer", "ThreadSanitizer", "valgrind:",
                   "left at exit")     # ws-bridge's own leak check
# BRIDGE_VALGRIND=1 runs every ws-bridge under valgrind (by hand: slow).
BRIDGE_VALGRIND = bool(os.environ.get("BRIDGE_VALGRIND"))
# CI installs every tool the tests use (CI set to anything but "", "0"
# or "false", the rule of T_NEED in tests/unit/t.h too).
CI = os.environ.get("CI", "") not in ("", "0", "false")


def need(*tools, why):
    """Each tool is a program (looked up in PATH) or, when it has a "/",
    a file or directory that must exist.  A missing one skips the test
    on a developer's machine but fails it under CI, where a skip would
    hide a broken install step."""
    missing = [t for t in tools
               if not (os.path.exists(t) if "/" in t else shutil.which(t))]
    if not missing:
        return
    msg = "needs %s (%s)" % (", ".join(missing), why)
    if CI:
        pytest.fail(msg + ", which CI must install", pytrace=False)
    pytest.skip(msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d did not open" % port)


def own(*paths):
    if IS_ROOT:
        for p in paths:
            shutil.chown(p, USER, USER)


def mkdirs(*paths, mode=0o755):
    for p in paths:
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        own(p)


class Postgres:
    def __init__(self, base):
        self.data = os.path.join(base, "pgdata")
        self.sock = os.path.join(base, "pgsock")
        self.port = free_port()
        self.pg = [os.path.join(ROOT, "tools", "pg.sh")]

    def _run(self, *args):
        subprocess.run(["sh"] + self.pg + list(args) + ["-u", USER], check=True)

    def init(self):
        os.makedirs(self.data)
        self._run("init", self.data, "-t")

    def start(self):
        env_fsync = os.environ.get("PG_FSYNC")
        os.environ["PG_FSYNC"] = "off"      # test data need not survive a crash
        try:
            self._run("start", self.data, self.sock, str(self.port))
        finally:
            if env_fsync is None:
                del os.environ["PG_FSYNC"]
            else:
                os.environ["PG_FSYNC"] = env_fsync

    def stop(self):
        self._run("stop", self.data)

    def crash(self):
        """Stops the server as a crash would: no goodbye to clients, and
        crash recovery on the next start."""
        self._run("crash", self.data)

    def url(self, db="trapi"):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, db)

    def psql(self, sql, db="trapi"):
        """Runs SQL and returns the rows as lists of strings."""
        out = subprocess.run(
            ["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-d", self.url(db), "-c", sql],
            check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def createdb(self, name):
        self.psql('CREATE DATABASE "%s"' % name, db="postgres")

    def dump_schema(self, db="trapi"):
        out = subprocess.run(
            ["pg_dump", "-s", "--no-owner", "-d", self.url(db)],
            check=True, capture_output=True, text=True).stdout
        # pg_dump marks each dump with a random \restrict key.
        return "\n".join(l for l in out.splitlines()
                         if not l.startswith(("\\restrict", "\\unrestrict")))


class Server:
    """One web server serving every program, configured by mkconf.sh."""

    def __init__(self, stack, kind, name=None, config=None, procs=None):
        self.kind = kind
        self.stack = stack
        self.port = free_port()
        self.state = os.path.join(stack.base, name or kind)
        self.proc = None
        for d in ("run", "log", "tmp", "www", "run/fcgid"):
            mkdirs(os.path.join(self.state, d))
        self.conf = os.path.join(self.state, "conf")
        routes = stack.routes
        if procs is not None:
            # Every program with procs processes at most (and at least).
            routes = os.path.join(self.state, "routes")
            with open(stack.routes) as f, open(routes, "w") as out:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    fields[4:6] = [str(procs), str(procs)]
                    out.write("\t".join(fields) + "\n")
        cmd = ["sh", os.path.join(ROOT, "tools", "mkconf.sh"),
               "-o", self.conf, "-c", stack.cgidir, "-s", self.state,
               "-f", config or stack.config, "-p", str(self.port),
               "-r", routes,
               "-m", str(MAX_UPLOAD),
               "-e", os.path.join(BUILD, "tools", "trapi-errors"),
               "-w", str(stack.ws_port), "-W", os.path.join(BUILD, "www")]
        if IS_ROOT:
            cmd += ["-u", USER]
        subprocess.run(cmd, check=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        log = open(os.path.join(self.state, "log", "stdout.log"), "ab")
        if self.kind == "lighttpd":
            argv = ["lighttpd", "-D", "-f", os.path.join(self.conf, "lighttpd.conf")]
        else:
            argv = ["apache2", "-f", os.path.join(self.conf, "apache.conf"),
                    "-DFOREGROUND"]
            if self.kind == "apache-cgi":
                argv.append("-DCGI")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log)
        wait_port(self.port, self.proc)
        return self

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def errorlog(self):
        """The server's error log and its stdout/stderr, where the
        programs' own stderr ends up."""
        out = ""
        for name in ("lighttpd-error.log", "apache-error.log", "stdout.log"):
            try:
                with open(os.path.join(self.state, "log", name),
                          errors="replace") as f:
                    out += f.read()
            except FileNotFoundError:
                pass
        return out

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=30, **kw)

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 60)
        return requests.request(method, self.url + path, **kw)


class Bridge:
    """A ws-bridge daemon on a free port with its own config."""

    def __init__(self, stack, name, port=None, args=(), env=None, **settings):
        self.stack = stack
        self.name = name
        self.env = dict(env or {})
        self.port = port or free_port()
        self.config = stack.write_config(
            os.path.join(stack.base, name + ".conf"), **settings)
        self.logpath = os.path.join(stack.base, name + ".log")
        self.args = list(args)
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        argv = [os.path.join(BUILD, "ws-bridge", "ws-bridge"),
                "-p", str(self.port)] + self.args
        if BRIDGE_VALGRIND:
            vgdir = os.path.join(self.stack.base, "valgrind")
            mkdirs(vgdir, mode=0o777)
            argv = ["valgrind", "-q", "--leak-check=full",
                    "--show-leak-kinds=definite,indirect",
                    "--errors-for-leak-kinds=definite,indirect",
                    "--log-file=%s/%s.%%p" % (vgdir, self.name)] + argv
        log = open(self.logpath, "ab")
        # As root, it runs as the service user (its own process, so that
        # signals reach it).
        drop = {"user": USER, "group": USER, "extra_groups": []} \
            if IS_ROOT else {}
        self.proc = subprocess.Popen(
            argv, stdout=log, stderr=log,
            env=dict(os.environ, APP_CONFIG=self.config, **self.env), **drop)
        wait_port(self.port, self.proc, timeout=120 if BRIDGE_VALGRIND else 30)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if BRIDGE_VALGRIND:
            timeout *= 8
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def log(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def errorlog(self):
        """The log, and what valgrind reported (each line marked)."""
        out = self.log()
        vgdir = os.path.join(self.stack.base, "valgrind")
        for f in sorted(glob.glob(os.path.join(vgdir, self.name + ".*"))):
            with open(f, errors="replace") as fh:
                out += "".join("valgrind: " + l for l in fh)
        return out


class Stack:
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="trapi-e2e-", dir="/tmp")
        os.chmod(self.base, 0o755)
        self.servers = {}
        # Servers and bridges of one test module (stopped when it ends),
        # and every one that ran, whose logs close() reads.
        self.module_own = []
        self.retired = []
        self.cgidir = os.path.join(self.base, "cgi-bin")
        os.makedirs(self.cgidir)
        progs = [os.path.join(BUILD, "cgi-bin", p)
                 for p in os.listdir(os.path.join(BUILD, "cgi-bin"))]
        progs.append(os.path.join(BUILD, "tests", "upload_probe"))
        progs.append(os.path.join(BUILD, "tests", "session_probe"))
        progs.append(os.path.join(BUILD, "tests", "quota_probe"))
        for p in progs:
            shutil.copy2(p, self.cgidir)
        # The test-only upload endpoint goes in before the catch-all "/".
        self.routes = os.path.join(self.base, "routes")
        with open(os.path.join(ROOT, "httpd-conf", "routes")) as f:
            lines = [l for l in f if l.strip() and not l.startswith("#")]
        probes = ["upload_probe\t/test/upload\tPOST\tnone\t1\t2\tTest-only upload probe\n",
                  "session_probe\t/test/session\tGET\tnone\t1\t1\tTest-only session check\n",
                  "quota_probe\t/test/quota\tPOST\tany\t1\t4\tTest-only quota check\n"]
        catchall = [l for l in lines if l.split("\t")[1] == "/"]
        lines = [l for l in lines if l not in catchall] + probes + catchall
        with open(self.routes, "w") as f:
            f.writelines(lines)
        self.uploads = os.path.join(self.base, "uploads")
        mkdirs(self.uploads, mode=0o700)
        self.spool = os.path.join(self.base, "spool")
        mkdirs(self.spool, mode=0o700)
        self.auth0 = Auth0Mock(os.path.join(self.base))
        self.deepgram = DeepgramMock("dg-test-key-0123456789")
        self.openai = OpenAIMock("sk-test-openai-0123456789")
        self.assemblyai = AssemblyAIMock("aai-test-key-0123456789")
        self.deepgram_live = DeepgramLiveMock("dg-live-key-0123456789").start()
        self.ws_port = free_port()
        self.bridges = {}
        self.pg = Postgres(self.base)
        self.pg.init()
        self.pg.start()
        self.pg.createdb("trapi")
        self.config = os.path.join(self.base, "trapi.conf")
        self.write_config()
        self.migrate()

    def write_config(self, path=None, **extra):
        settings = {
            "DATABASE_URL": self.pg.url(),
            "UPLOAD_DIR": self.uploads,
            "USAGE_SPOOL_DIR": self.spool,
            "MAX_UPLOAD_BYTES": str(MAX_UPLOAD),
            "DB_CONNECT_TIMEOUT": "2",
            "JWT_SECRET_KEY": JWT_SECRET,
            "SECRET_KEY": JWT_SECRET + "-other",
            "API_KEY": LEGACY_KEY,
            "AUTH0_DOMAIN": self.auth0.domain,
            "AUTH0_AUDIENCE": self.auth0.audience,
            "AUTH0_BASE_URL": self.auth0.base_url,
            "CORS_ORIGINS": "https://app.example.com",
            "THROTTLE_PER_MINUTE": "100000",
            # The suite runs a dozen servers side by side: each process
            # keeps its own model, as test_engine_tokens.py shows the cap.
            "LOCAL_ENGINE_PROCS": "256",
        }
        settings.update(extra)
        settings = {k: v for k, v in settings.items() if v is not None}
        path = path or self.config
        with open(path, "w") as f:
            f.write("# written by the end-to-end tests\n")
            for k, v in settings.items():
                f.write('%s="%s"\n' % (k, v))
        os.chmod(path, 0o600)
        own(path)
        return path

    def migrate(self, *args, db=None, sqldir=None):
        env = dict(os.environ, APP_CONFIG=self.config)
        if db is not None:
            env["DATABASE_URL"] = self.pg.url(db)
        argv = [os.path.join(BUILD, "tools", "trapi-migrate")]
        argv += ["-d", sqldir or os.path.join(ROOT, "sql")] + list(args)
        return subprocess.run(argv, env=env, capture_output=True, text=True)

    def server(self, kind):
        if kind not in self.servers:
            self.servers[kind] = Server(self, kind).start()
        return self.servers[kind]

    def extra_server(self, name, kind="lighttpd", procs=None, **settings):
        """A server of its own with settings added to the config; procs
        sets how many processes each program has."""
        config = self.write_config(os.path.join(self.base, name + ".conf"),
                                   **settings)
        srv = Server(self, kind, name=name, config=config,
                     procs=procs).start()
        self.servers[name] = srv
        self.module_own.append((name, srv))
        return srv

    def bridge(self, name="bridge", port=None, args=(), env=None, **settings):
        """A ws-bridge; "bridge" is the one the web servers proxy to,
        streaming to the Deepgram live mock."""
        if name in self.bridges:
            return self.bridges[name]
        defaults = {
            "DEEPGRAM_API_KEY": self.deepgram_live.key,
            "DEEPGRAM_BASE_URL": self.deepgram_live.base_url,
            "STREAM_ENGINE": "deepgram",
            "WS_UPSTREAM_TIMEOUT": "3",
        }
        defaults.update(settings)
        if name == "bridge" and port is None:
            port = self.ws_port
        b = Bridge(self, name, port=port, args=args, env=env,
                   **defaults).start()
        self.bridges[name] = b
        if name != "bridge":
            self.module_own.append((name, b))
        return b

    def end_module(self):
        """Stops what the module that ends started: a dozen servers
        side by side, each with every program, would hold thousands of
        processes (and under ASan, all the memory there is)."""
        for name, s in self.module_own:
            try:
                s.stop()
            except subprocess.TimeoutExpired:
                pass
            self.retired.append((name, s))
            if self.servers.get(name) is s:
                del self.servers[name]
            if self.bridges.get(name) is s:
                del self.bridges[name]
        self.module_own = []

    def admin(self, *args):
        """Runs trapi-admin; returns its stdout."""
        r = subprocess.run([os.path.join(BUILD, "tools", "trapi-admin")] +
                           list(args), env=dict(os.environ, APP_CONFIG=self.config),
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def leftovers(self):
        return os.listdir(self.uploads)

    def close(self):
        for s in self.servers.values():
            s.stop()
        for b in self.bridges.values():
            try:
                b.stop()
            except subprocess.TimeoutExpired:
                pass
        self.pg.stop()
        self.auth0.close()
        self.deepgram.close()
        self.openai.close()
        self.assemblyai.close()
        self.deepgram_live.close()
        reports = [(kind, line) for kind, s in
                   list(self.servers.items()) + list(self.bridges.items()) +
                   self.retired
                   for line in s.errorlog().splitlines()
                   if any(m in line for m in SANITIZER_MARKS)]
        if not os.environ.get("KEEP_E2E"):
            shutil.rmtree(self.base, ignore_errors=True)
        # A sanitizer report from any program fails the run, even when
        # the request it happened in looked fine to the client.
        assert not reports, "sanitizer reports: %r" % reports[:20]


@pytest.fixture(scope="session")
def stack():
    s = Stack()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module", autouse=True)
def module_servers(stack):
    yield
    stack.end_module()


@pytest.fixture(scope="session")
def speech(stack):
    """Speech made with flite: (path, the words spoken)."""
    text = "hello world this is a test of the transcription service"
    path = os.path.join(stack.base, "speech.wav")
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", path], check=True)
    return path, text


@pytest.fixture(scope="session", params=SERVERS)
def server(request, stack):
    return stack.server(request.param)


@pytest.fixture(scope="session", params=("lighttpd", "apache-fcgid"))
def fcgi_server(request, stack):
    return stack.server(request.param)
