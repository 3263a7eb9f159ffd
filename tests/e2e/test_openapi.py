"""GET /openapi.json: an OpenAPI 3.1 document, valid against the
official OpenAPI 3.1 schema (as the npm package @apidevtools/openapi-
schemas ships it, installed with the SDKs), and whose structure is
checked here beyond it: resolvable $refs, declared security schemes and
path parameters, unique operation ids, every schema a valid JSON Schema
2020-12, every route covered; and real responses of the servers
validate against the schemas it gives for their path, method and
status (python3-jsonschema)."""

import json
import os
import re

import jsonschema
import pytest

from conftest import LEGACY_KEY, ROOT, need

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def doc(stack):
    r = stack.server("lighttpd").get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert part in node, ref
        node = node[part]
    return node


def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


OAS31 = os.path.join(ROOT, "tests", "sdk", "node_modules", "@apidevtools",
                     "openapi-schemas", "schemas", "v3.1")


def test_valid_against_the_official_schema(doc):
    """schema-base.json: the OpenAPI 3.1 schema with the default dialect
    for the Schema Objects; its references resolved from the package."""
    need(OAS31, why="make tests/sdk/node_modules")
    store = {}
    for name in ("schema.json", "schema-base.json", "dialect/base.schema.json",
                 "meta/base.schema.json"):
        with open(os.path.join(OAS31, name)) as f:
            s = json.load(f)
        store[s["$id"]] = s
    base = store["https://spec.openapis.org/oas/3.1/schema-base/2021-04-15"]
    v = jsonschema.Draft202012Validator(
        base, resolver=jsonschema.RefResolver.from_schema(base, store=store))
    errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:200])
              for e in v.iter_errors(doc)]
    assert errors == []
    # and the schema does refuse what is not OpenAPI
    bad = json.loads(json.dumps(doc))
    del bad["info"]
    path = next(iter(bad["paths"]))
    op = next(iter(bad["paths"][path].values()))
    op["parameters"] = [{"name": "x", "in": "nowhere"}]
    assert len(list(v.iter_errors(bad))) >= 2


def test_structure_is_openapi_31(doc):
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    for s in schemes.values():
        assert s["type"] in ("apiKey", "http", "oauth2", "openIdConnect",
                             "mutualTLS")
        if s["type"] == "apiKey":
            assert s["in"] in ("header", "query", "cookie") and s["name"]
        if s["type"] == "http":
            assert s["scheme"]
    ids = set()
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        templated = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            assert method in METHODS, method
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            assert op["responses"]
            for status, resp in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|[1-5]XX|default", status)
                assert isinstance(resp["description"], str)
                for media in resp.get("content", {}).values():
                    jsonschema.Draft202012Validator.check_schema(
                        media["schema"])
            declared = {p["name"] for p in op.get("parameters", [])
                        if p["in"] == "path"}
            assert declared == templated, (path, method)
            for p in op.get("parameters", []):
                assert p["in"] in ("query", "header", "path", "cookie")
                if p["in"] == "path":
                    assert p["required"] is True
                jsonschema.Draft202012Validator.check_schema(p["schema"])
            if "requestBody" in op:
                assert op["requestBody"]["content"]
            for req in op["security"]:
                assert set(req) <= set(schemes), req
    for node in walk(doc):
        if "$ref" in node:
            resolve(doc, node["$ref"])


def test_every_route_is_described(doc):
    with open(os.path.join(ROOT, "httpd-conf", "routes")) as f:
        lines = [l.rstrip("\n").split("\t") for l in f
                 if l.strip() and not l.startswith("#")]
    for prog, path, methods, *_ in lines:
        key = path[:-2] + "/{id}" if path.endswith("/*") else path
        assert key in doc["paths"], path
        for m in methods.split(", "):
            assert m.lower() in doc["paths"][key], (path, m)
    reg = doc["paths"]["/auth/register"]["post"]
    sch = reg["requestBody"]["content"]["application/json"]["schema"]
    assert set(sch["required"]) == {"email", "password"}
    assert sch["properties"]["email"]["format"] == "email"
    dg = doc["paths"]["/transcriptions/deepgram"]["post"]
    assert "multipart/form-data" in dg["requestBody"]["content"]
    assert {"apiKey": []} in dg["security"]


def conforms(doc, resp, path, method):
    op = doc["paths"][path][method]
    status = str(resp.status_code)
    assert status in op["responses"], (path, method, status)
    ctype = resp.headers["Content-Type"].split(";")[0]
    content = op["responses"][status]["content"]
    assert ctype in content, (path, status, ctype)
    if ctype != "application/json":
        return
    # The document is the root, so that its #/components refs resolve.
    pointer = "#/paths/%s/%s/responses/%s/content/application~1json/schema" \
        % (path.replace("~", "~0").replace("/", "~1"), method, status)
    jsonschema.Draft202012Validator(dict(doc, **{"$ref": pointer})) \
        .validate(resp.json())


@pytest.mark.parametrize("kind", ["lighttpd", "apache-fcgid"])
def test_responses_conform(stack, doc, kind, speech):
    srv = stack.server(kind)
    key = {"x-api-key": LEGACY_KEY}
    calls = [
        (srv.get("/health"), "/health", "get"),
        (srv.get("/"), "/", "get"),
        (srv.get("/metrics"), "/metrics", "get"),
        (srv.request("POST", "/auth/register", json={"email": "nope"}),
         "/auth/register", "post"),
        (srv.request("POST", "/auth/login", json={}), "/auth/login", "post"),
        (srv.get("/auth/profile"), "/auth/profile", "get"),
        (srv.request("DELETE", "/auth/api-keys/12"), "/auth/api-keys/{id}",
         "delete"),
        (srv.get("/v1/models", headers={"Authorization": "Bearer nope"}),
         "/v1/models", "get"),
        (srv.get("/v1/models", headers={"Authorization": "Bearer " +
                                        LEGACY_KEY}), "/v1/models", "get"),
        (srv.request("POST", "/utilities/log-usage", headers=key,
                     json={"service": 12}), "/utilities/log-usage", "post"),
        (srv.request("POST", "/transcriptions/deepgram", headers=key,
                     data={"language": "en"}), "/transcriptions/deepgram",
         "post"),
    ]
    with open(speech[0], "rb") as f:
        calls.append((srv.request("POST", "/transcriptions/deepgram",
                                  headers=key, files={"audio": f}),
                      "/transcriptions/deepgram", "post"))
    audio = open(speech[0], "rb").read()
    # jobs belong to a user: a user's own key
    email = "openapi-%s@example.com" % kind
    stack.admin("create-user", email, "-P", "enterprise")
    user = {"x-api-key": stack.admin("create-key", email).strip()}
    calls += [
        (srv.request("POST", "/transcriptions/deepgram", headers=key,
                     data={"response_format": "srt"},
                     files={"audio": ("a.wav", audio)}),
         "/transcriptions/deepgram", "post"),
        (srv.request("POST", "/transcriptions/deepgram", headers=dict(
            user, Prefer="respond-async"), files={"audio": ("a.wav", audio)}),
         "/transcriptions/deepgram", "post"),
        (srv.request("POST", "/transcriptions/transcribe-and-translate",
                     headers=key, data={"target_language": "es"},
                     files={"audio": ("a.wav", audio)}),
         "/transcriptions/transcribe-and-translate", "post"),
        (srv.request("POST", "/v1/audio/transcriptions", headers={
            "Authorization": "Bearer " + LEGACY_KEY},
            data={"model": "whisper-1", "response_format": "verbose_json"},
            files={"file": ("a.wav", audio)}),
         "/v1/audio/transcriptions", "post"),
        (srv.request("POST", "/utilities/audio-duration", headers=key,
                     files={"audio": ("a.wav", audio)}),
         "/utilities/audio-duration", "post"),
        (srv.request("POST", "/translations/openai", headers=key, json={
            "text": "the house is big", "target_language": "es",
            "source_language": "en"}), "/translations/openai", "post"),
        (srv.request("POST", "/sentiment", headers=key,
                     json={"text": "I love it. It is bad."}),
         "/sentiment", "post"),
        (srv.request("POST", "/documents/docx", headers=key,
                     json={"text": "Hello there."}), "/documents/{id}", "post"),
        (srv.request("POST", "/utilities/text-file", headers=key,
                     json={"text": "Hello there."}),
         "/utilities/text-file", "post"),
        (srv.get("/v1/models/whisper-1", headers={
            "Authorization": "Bearer " + LEGACY_KEY}),
         "/v1/models/{id}", "get"),
        (srv.get("/jobs", headers=user), "/jobs", "get"),
    ]
    job = calls[-10][0]
    assert job.status_code == 202, job.text
    calls.append((srv.get(job.headers["Location"], headers=user),
                  "/jobs/{id}", "get"))
    statuses = set()
    for resp, path, method in calls:
        conforms(doc, resp, path, method)
        statuses.add(resp.status_code)
    assert {200, 202, 400, 401, 422} <= statuses


def test_error_schema_refuses_other_shapes(doc):
    err = dict(doc, **{"$ref": "#/components/schemas/Error"})
    v = jsonschema.Draft202012Validator(err)
    v.validate({"error": {"code": "x", "message": "y", "request_id": "z"}})
    assert not v.is_valid({"error": {"code": "x", "message": "y"}})
    assert not v.is_valid({"message": "y"})
