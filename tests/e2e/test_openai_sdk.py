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
