#!/usr/bin/python3
"""Writes the OpenAPI 3.1 description of the API from what each program
declares (run with TRAPI_DESCRIBE set, it prints its struct tr_endpoint:
path, methods, auth, fields and their validators' schemas) and from
httpd-conf/routes (which programs there are, their summaries).  The
build runs it; GET /openapi.json serves what it wrote.

    tools/openapi.py ROUTES CGIDIR OUT.json OUT.h
"""

import json
import os
import subprocess
import sys

TITLE = "Audio Transcription API"
VERSION = "1.0.0"
SELF = "openapi"        # the program that serves the description

# A route's auth word and the security schemes that satisfy it.
SECURITY = {
    "none": [],
    "password": [],
    "api_key": [{"apiKey": []}, {"apiKeyBearer": []}],
    "jwt": [{"jwt": []}],
    "auth0": [{"auth0": []}],
    "any": [{"apiKey": []}, {"apiKeyBearer": []}, {"jwt": []}, {"auth0": []}],
}

SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key",
               "description": "An API key (trk_...) or the static API_KEY"},
    "apiKeyBearer": {"type": "http", "scheme": "bearer",
                     "description": "An API key sent as a bearer token"},
    "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Our own HS256 access token (POST /auth/login)"},
    "auth0": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
              "description": "An Auth0 RS256 access token"},
    "metricsToken": {"type": "http", "scheme": "bearer",
                     "description": "METRICS_TOKEN (or a METRICS_ALLOW address)"},
}

ERROR = {
    "type": "object", "required": ["error"], "additionalProperties": True,
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "request_id"],
        "additionalProperties": False,
        "properties": {"code": {"type": "string"},
                       "message": {"type": "string"},
                       "request_id": {"type": "string"}}}},
}
OPENAI_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["message", "type"],
        "properties": {"message": {"type": "string"},
                       "type": {"type": "string"},
                       "param": {"type": ["string", "null"]},
                       "code": {"type": ["string", "null"]}}}},
}

# Statuses an operation may answer, and when (err.c's table).
STATUSES = [
    ("400", "invalid input, naming the field", lambda d: d["fields"] or d["body"]),
    ("401", "missing or bad credentials", lambda d: d["auth"] != "none"),
    ("403", "not allowed", lambda d: True),
    ("404", "no such resource", lambda d: True),
    ("405", "method not allowed (see Allow)", lambda d: True),
    ("413", "body too large", lambda d: d["body"]),
    ("415", "unsupported media", lambda d: any(f["file"] for f in d["fields"])),
    ("422", "a field has an invalid value", lambda d: d["fields"]),
    ("429", "rate or quota limit (see Retry-After)",
     lambda d: d["auth"] != "none" or d["throttle"]),
    ("500", "internal error", lambda d: True),
    ("502", "provider error", lambda d: any(f["file"] for f in d["fields"])),
    ("503", "database or provider unavailable", lambda d: True),
    ("504", "provider timeout", lambda d: any(f["file"] for f in d["fields"])),
]


def routes(path):
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            p = line.rstrip("\n").split("\t")
            yield {"program": p[0], "path": p[1], "auth": p[3],
                   "summary": p[6]}


def describe(cgidir, rt):
    if rt["program"] == SELF:
        return {"path": rt["path"], "methods": ["GET"], "auth": "none",
                "body": False, "throttle": False, "openai_errors": False,
                "fields": []}
    out = subprocess.run([os.path.join(cgidir, rt["program"])],
                         env={"TRAPI_DESCRIBE": "1", "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=30,
                         check=True).stdout
    return json.loads(out)


def field_schema(fields):
    return {"type": "object",
            "properties": {f["name"]: f["schema"] for f in fields},
            "required": [f["name"] for f in fields if f["required"]]}


def operation(rt, d, method):
    err = "#/components/schemas/" + ("OpenAIError" if d["openai_errors"]
                                     else "Error")
    op = {"operationId": "%s_%s" % (method.lower(), rt["program"]),
          "summary": rt["summary"], "security": SECURITY[rt["auth"]],
          "responses": {}}
    if rt["program"] == "metrics":
        op["security"] = [{}, {"metricsToken": []}]
    elif not op["security"]:
        op["security"] = [{}]
    params = []
    if d["path"].endswith("/*"):
        params.append({"name": "id", "in": "path", "required": True,
                       "schema": {"type": "string"}})
    fields = d["fields"]
    if fields and (method == "GET" or not d["body"]):
        params += [{"name": f["name"], "in": "query",
                    "required": f["required"], "schema": f["schema"]}
                   for f in fields]
    elif fields and method in ("POST", "PUT", "PATCH"):
        sch = field_schema(fields)
        content = {"application/json": {"schema": sch},
                   "application/x-www-form-urlencoded": {"schema": sch},
                   "multipart/form-data": {"schema": sch}}
        if any(f["file"] for f in fields):
            content = {"multipart/form-data": {"schema": sch},
                       "audio/*": {"schema": {"type": "string",
                                              "format": "binary"}},
                       "video/*": {"schema": {"type": "string",
                                              "format": "binary"}}}
        op["requestBody"] = {"required": any(f["required"] for f in fields),
                             "content": content}
    if params:
        op["parameters"] = params
    ok = "201" if method == "POST" and rt["program"] in (
        "auth_register", "utilities_log_usage", "auth_api_keys") else "200"
    if method == "DELETE":
        ok = "200"
    if rt["program"] == "metrics":
        body = {"text/plain": {"schema": {"type": "string"}}}
    elif any(f["file"] for f in fields):
        body = {"application/json": {"schema": {"type": "object"}},
                "text/plain": {"schema": {"type": "string"}}}
    else:
        body = {"application/json": {"schema": {"type": "object"}}}
    op["responses"][ok] = {"description": "success", "content": body}
    for status, why, when in STATUSES:
        if when(d):
            op["responses"][status] = {
                "description": why,
                "content": {"application/json": {"schema": {"$ref": err}}}}
    return op


def main():
    routes_path, cgidir, out_json, out_h = sys.argv[1:5]
    paths = {}
    for rt in routes(routes_path):
        d = describe(cgidir, rt)
        assert d["path"] == rt["path"], (rt, d)
        path = d["path"][:-2] + "/{id}" if d["path"].endswith("/*") \
            else d["path"]
        item = paths.setdefault(path, {})
        for m in d["methods"]:
            item[m.lower()] = operation(rt, d, m)
    doc = {"openapi": "3.1.0",
           "info": {"title": TITLE, "version": VERSION,
                    "description": "Generated from the programs' endpoint "
                    "declarations and httpd-conf/routes."},
           "paths": paths,
           "components": {"schemas": {"Error": ERROR,
                                      "OpenAIError": OPENAI_ERROR},
                          "securitySchemes": SCHEMES}}
    text = json.dumps(doc, indent=1, sort_keys=True)
    with open(out_json, "w") as f:
        f.write(text + "\n")
    with open(out_h, "w") as f:
        f.write("/* Made by tools/openapi.py from the programs. */\n")
        f.write("static const char openapi_doc[] = %s;\n" %
                json.dumps(text))


if __name__ == "__main__":
    main()
