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

def ref(name):
    return {"$ref": "#/components/schemas/" + name}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NUM = {"type": "number"}
INT = {"type": "integer"}


def obj(required, **props):
    return {"type": "object", "required": list(required), "properties": props}


# The bodies of successful answers, by name (components/schemas).
WORD = obj(("word", "start", "end"), word=STR, start=NUM, end=NUM,
           confidence=NUM, speaker={"type": ["integer", "null"]})
SEGMENT = obj(("start", "end", "text"), start=NUM, end=NUM, text=STR,
              speaker={"type": ["integer", "null"]})
SCHEMAS = {
    "Transcript": obj(
        ("transcript", "processing_info"), transcript=STR,
        diarization=obj(("segments",), speakers_detected=INT,
                        segments={"type": "array", "items": SEGMENT}),
        words={"type": "array", "items": WORD},
        processing_info=obj(("provider", "duration"), provider=STR,
                            model=STR, language=NSTR, duration=NUM,
                            request_id=STR, provider_request_id=STR)),
    "TranscribeTranslate": obj(
        ("transcript", "translated_text", "target_language", "engine"),
        transcript=STR, translated_text=STR, source_language=STR,
        target_language=STR, engine=STR, model=STR, chunks=INT, pivot=STR,
        segments={"type": "array", "items": obj(
            ("start", "end", "text", "translated_text"), start=NUM, end=NUM,
            text=STR, translated_text=STR)},
        processing_info=obj(("provider", "duration"), provider=STR,
                            duration=NUM),
        request_id=STR),
    "OpenAITranscription": obj(
        ("text",), text=STR, task=STR, language=STR, duration=NUM,
        segments={"type": "array", "items": {"type": "object"}},
        words={"type": "array", "items": {"type": "object"}}),
    "Translation": obj(
        ("translated_text", "target_language", "engine", "model", "chunks",
         "usage"), translated_text=STR, source_language=NSTR,
        target_language=STR, engine=STR, model=STR, chunks=INT, pivot=STR,
        usage=obj(("prompt_tokens", "completion_tokens", "total_tokens",
                   "characters"), prompt_tokens=INT, completion_tokens=INT,
                  total_tokens=INT, characters=INT),
        webhook=obj(("delivered", "attempts"), delivered={"type": "boolean"},
                    attempts=INT, status={"type": ["integer", "null"]},
                    id=STR, error=STR),
        request_id=STR),
    "Health": obj(("status", "service", "version"), status=STR, service=STR,
                  version=STR, database=STR),
    "Sentiment": obj(
        ("overall",), engine=STR, language=STR,
        overall=obj(("label", "score"), label={"enum": [
            "positive", "negative", "neutral", "mixed"]},
            score={"type": "number", "minimum": -1, "maximum": 1}),
        sentences={"type": "array", "items": obj(
            ("text", "label", "score"), text=STR, label=STR, score=NUM)},
        request_id=STR),
    "AudioDuration": obj(("duration_seconds", "container"),
                         duration_seconds=NUM, container=STR, codec=STR,
                         sample_rate=INT, channels=INT, bit_rate=INT,
                         size_bytes=INT, request_id=STR),
    "Model": obj(("id", "object"), id=STR, object={"const": "model"},
                 created=INT, owned_by=STR),
    "ModelList": obj(("object", "data"), object={"const": "list"},
                     data={"type": "array", "items": ref("Model")}),
    "Job": obj(("id", "object", "status", "progress"), id=STR,
               object={"const": "job"}, status={"enum": [
                   "queued", "running", "succeeded", "failed", "canceled"]},
               endpoint=STR, progress=obj(("stage", "percent"), stage=STR,
                                          percent=INT),
               attempts=INT, created_at=STR, started_at=NSTR,
               finished_at=NSTR, expires_at=NSTR,
               result={"type": ["object", "null"]}, error=NSTR),
    "JobList": obj(("object", "data"), object={"const": "list"},
                   data={"type": "array", "items": ref("Job")},
                   next_cursor=NSTR),
}

# Programs whose answer is a JSON body of one of SCHEMAS.
BODIES = {
    "health": "Health", "sentiment": "Sentiment",
    "utilities_audio_duration": "AudioDuration",
    "translations_openai": "Translation", "translations_google": "Translation",
    "translations_deepseek": "Translation", "v1_models": "ModelList",
    "v1_model": "Model", "jobs": "JobList", "job": "Job",
}

# Programs that answer in the response_format asked for (the family of
# formats each declares, as it describes itself): the schema of their
# JSON one; a family not here has none of its own.
RENDERS = {
    "transcriptions_deepgram": "Transcript",
    "transcriptions_assemblyai": "Transcript",
    "transcriptions_video": "Transcript",
    "transcriptions_transcribe_and_translate": "TranscribeTranslate",
    "transcriptions_whisper": "Transcript",
    "v1_audio_transcriptions": "OpenAITranscription",
    "v1_audio_translations": "OpenAITranscription",
}


def rendered(d, family, schema):
    """The success content of a program answering in family's formats."""
    body = {}
    for f in d["formats"]:
        if family not in f["families"]:
            continue
        ctype = f["ctype"].split(";")[0]
        if ctype == "application/json":
            body[ctype] = {"schema": ref(schema) if schema else
                           {"type": "object"}}
        elif ctype.startswith("text/") or ctype == "application/x-subrip":
            body[ctype] = {"schema": STR}
        else:
            body[ctype] = {"schema": {"type": "string", "format": "binary"}}
    return body


# Statuses an operation may answer, and when (err.c's table).
STATUSES = [
    ("400", "invalid input, naming the field", lambda d: d["fields"] or d["body"]),
    ("401", "missing or bad credentials", lambda d: d["auth"] != "none"),
    ("403", "not allowed", lambda d: True),
    ("404", "no such resource", lambda d: True),
    ("405", "method not allowed (see Allow)", lambda d: True),
    ("413", "body too large", lambda d: d["body"]),
    ("415", "unsupported media", lambda d: any(f["file"] for f in d["fields"])),
    ("409", "the resource is not in a state that allows it",
     lambda d: d["path"].startswith("/jobs") or d["path"].startswith("/auth")),
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
                "fields": [], "formats": []}
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
        body = {"text/plain": {"schema": STR}}
    elif d.get("family"):
        body = rendered(d, d["family"], RENDERS.get(rt["program"]))
    elif rt["program"] in BODIES:
        body = {"application/json": {"schema": ref(BODIES[rt["program"]])}}
    elif rt["program"] == "utilities_text_file":
        body = {"text/plain": {"schema": STR}}
    else:
        body = {"application/json": {"schema": {"type": "object"}}}
    op["responses"][ok] = {"description": "success", "content": body}
    if d.get("async") and method == "POST":
        op["responses"]["202"] = {
            "description": "accepted as a job (Prefer: respond-async or "
            "async=true): Location is /jobs/{id}",
            "content": {"application/json": {"schema": ref("Job")}}}
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
           "components": {"schemas": dict(SCHEMAS, Error=ERROR,
                                          OpenAIError=OPENAI_ERROR),
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
