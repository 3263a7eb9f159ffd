"""The official OpenAI SDK (Node, from npm) against the service with
only its base URL changed: a transcription in each format, the model
list, and its own exception for a bad key."""

import json
import os
import subprocess

from conftest import LEGACY_KEY, ROOT, need

SDK = os.path.join(ROOT, "tests", "sdk")


def sdk(srv, key, path, fmt):
    out = subprocess.run(["node", os.path.join(SDK, "openai_transcribe.mjs"),
                          srv.url, key, path, fmt], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_openai_sdk(stack, speech):
    need("node", os.path.join(SDK, "node_modules", "openai"),
         why="make tests/sdk/node_modules")
    srv = stack.server("lighttpd")
    r = sdk(srv, LEGACY_KEY, speech[0], "json")
    assert "transcription" in r["result"]["text"] and "whisper-1" in r["models"]
    r = sdk(srv, LEGACY_KEY, speech[0], "verbose_json")["result"]
    assert r["task"] == "transcribe" and r["words"] and r["segments"]
    r = sdk(srv, LEGACY_KEY, speech[0], "srt")["result"]
    assert r.startswith("1\n00:00:")
    r = sdk(srv, "sk-not-ours", speech[0], "json")
    assert r["error"] == "AuthenticationError" and r["status"] == 401
    assert r["code"] == "invalid_api_key"


def test_openai_sdk_models_and_errors(stack, speech, tmp_path):
    """models.retrieve works; errors are the SDK's own classes, with the
    status OpenAI gives and the field named in error.param."""
    srv = stack.server("lighttpd")
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not audio\n" * 50)
    out = subprocess.run(["node", os.path.join(SDK, "openai_errors.mjs"),
                          srv.url, LEGACY_KEY, str(junk), speech[0]],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["retrieve"]["result"]["id"] == "whisper-1"
    assert r["retrieve"]["result"]["object"] == "model"
    assert (r["unknown"]["error"], r["unknown"]["status"],
            r["unknown"]["param"]) == ("NotFoundError", 404, "model")
    assert (r["notAudio"]["error"], r["notAudio"]["status"],
            r["notAudio"]["type"], r["notAudio"]["param"]) == \
        ("BadRequestError", 400, "invalid_request_error", "file")
    for case, param in (("noModel", "model"), ("badModel", "model"),
                        ("badFormat", "response_format")):
        assert (r[case]["error"], r[case]["status"], r[case]["param"]) == \
            ("BadRequestError", 400, param), (case, r[case])
