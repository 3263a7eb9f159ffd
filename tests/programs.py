#!/usr/bin/python3
"""The programs' two contracts: with lib/ and with the web server.

A program of cgi-bin/ or tools/ includes only the public header tr.h
(cgi-bin/index.c also the routes.h the build makes): lib/extern.h and
lib/prov/prov.h are lib-internal.

Each program of cgi-bin/ declares its path, methods and auth in its
struct tr_endpoint, and httpd-conf/routes, which the server configs and
GET / are made from, says the same on the program's line: the two must
agree, and each program has exactly one line.

    tests/programs.py          check, from the top of the tree; print
                               every disagreement and exit 1 if any
"""

import glob
import os
import re
import sys

ROUTES = os.path.join("httpd-conf", "routes")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT = re.compile(r"/\*.*?\*/", re.S)
ENDPOINT = re.compile(r"\bstruct\s+tr_endpoint\s+\w+\s*=\s*\{(.*?)\};", re.S)
PATH = re.compile(r'\.path\s*=\s*"([^"]*)"')
METHODS = re.compile(r"\.methods\s*=\s*(TR_[A-Z]+(?:\s*\|\s*TR_[A-Z]+)*)")
AUTH = re.compile(r"\.auth\s*=\s*(TR_AUTH_[A-Z0-9]+)")
THROTTLE = re.compile(r"\.throttle\s*=\s*1\b")

# A route's auth word and the tr_authkind of its program.  "password":
# the handler checks a password itself, so tr_serve() lets anyone in and
# throttles the endpoint per client address.
AUTHS = {
    "none": "TR_AUTH_NONE",
    "password": "TR_AUTH_NONE",
    "api_key": "TR_AUTH_APIKEY",
    "jwt": "TR_AUTH_JWT",
    "auth0": "TR_AUTH_AUTH0",
    "any": "TR_AUTH_ANY",
}
METHOD_NAMES = {"GET", "POST", "PUT", "DELETE", "PATCH"}


def source(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def check_includes(errors):
    for path in sorted(glob.glob("cgi-bin/*.c") + glob.glob("tools/*.c")):
        allowed = {"tr.h"}
        if path == os.path.join("cgi-bin", "index.c"):
            allowed.add("routes.h")
        if path == os.path.join("cgi-bin", "openapi.c"):
            allowed.add("openapi.h")
        for name in INCLUDE.findall(source(path)):
            if name not in allowed:
                errors.append('%s: includes "%s"; programs include "tr.h" '
                              "only" % (path, name))


def routes(errors):
    """The lines of httpd-conf/routes by program."""
    out = {}
    with open(ROUTES, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            where = "%s:%d" % (ROUTES, n)
            if len(fields) < 7:
                errors.append("%s: fewer than 7 tab-separated fields" % where)
                continue
            prog, path, methods, auth = fields[:4]
            if prog in out:
                errors.append("%s: a second line for %s" % (where, prog))
                continue
            out[prog] = (where, path, methods, auth)
    return out


def endpoint(path, errors):
    """A program's declared path, methods (a set) and auth, or None."""
    found = ENDPOINT.findall(COMMENT.sub("", source(path)))
    if len(found) != 1:
        errors.append("%s: %d struct tr_endpoint initialisers, not one"
                      % (path, len(found)))
        return None
    body = found[0]
    p, m, a = PATH.search(body), METHODS.search(body), AUTH.search(body)
    if p is None or m is None or a is None:
        errors.append("%s: .path, .methods and .auth of its endpoint must "
                      "be written as literals" % path)
        return None
    methods = {s.strip()[len("TR_"):] for s in m.group(1).split("|")}
    return p.group(1), methods, a.group(1), THROTTLE.search(body) is not None


def check_routes(errors):
    table = routes(errors)
    progs = {os.path.basename(p)[:-2]: p
             for p in glob.glob("cgi-bin/*.c")}
    for prog in sorted(set(table) - set(progs)):
        errors.append("%s: no cgi-bin/%s.c" % (table[prog][0], prog))
    for prog in sorted(set(progs) - set(table)):
        errors.append("%s: no line in %s" % (progs[prog], ROUTES))
    for prog in sorted(set(table) & set(progs)):
        where, rpath, rmethods, rauth = table[prog]
        ep = endpoint(progs[prog], errors)
        if ep is None:
            continue
        path, methods, auth, throttle = ep
        want = {s.strip() for s in rmethods.split(",")}
        if not want <= METHOD_NAMES:
            errors.append("%s: unknown method in '%s'" % (where, rmethods))
        if rauth not in AUTHS:
            errors.append("%s: unknown auth '%s'" % (where, rauth))
        if path != rpath:
            errors.append("%s: path %s, but %s says %s"
                          % (progs[prog], path, where, rpath))
        if methods != want:
            errors.append("%s: methods %s, but %s says %s"
                          % (progs[prog], " | ".join(sorted(methods)),
                             where, rmethods))
        if rauth in AUTHS and auth != AUTHS[rauth]:
            errors.append("%s: auth %s, but %s says %s (%s)"
                          % (progs[prog], auth, where, rauth, AUTHS[rauth]))
        if rauth == "password" and not throttle:
            errors.append("%s: %s says password, but it is not throttled"
                          % (progs[prog], where))
    return len(table)


def main():
    errors = []
    check_includes(errors)
    n = check_routes(errors)
    for e in errors:
        print("programs: %s" % e, file=sys.stderr)
    print("programs: %d routes, %d disagreements" % (n, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
