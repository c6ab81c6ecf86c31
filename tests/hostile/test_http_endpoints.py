"""Malformed JSON at every HTTP path the Slack server answers besides /slack/events (whose
bodies tests/faults/test_slack_http_input.py covers): the health and readiness probes, a
GET of the events path and an unknown path. Each answers a plain status, never a traceback,
and the server keeps answering Slack."""

from __future__ import annotations

import json

import pytest

from tests.adapters.slack.conftest import SECRET
from tests.adapters.slack.signing import signed_headers, url_verification_body
from tests.hostile.slack_pair import SlackPair

BODIES = {
    "bad JSON": b'{"type": "url_verification", "challenge": ',
    "invalid UTF-8": b'{"challenge": "\xff\xfe\xc3\x28"}',
    "lone surrogate": b'{"challenge": "\\ud800"}',
    "deep nesting": b"[" * 50_000 + b"]" * 50_000,
}
PATHS = ["/healthz", "/readyz", "/slack/events", "/no/such/path"]


def expected(method: str, path: str) -> int:
    if path == "/no/such/path":
        return 404
    if path == "/slack/events":
        return 401 if method == "POST" else 405  # unsigned
    return 200 if method == "GET" else 405  # a probe reads no body


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
async def test_a_malformed_body_at_any_path_gets_a_plain_status(
    pair: SlackPair, method: str, path: str, body: str
) -> None:
    headers = {"Content-Type": "application/json"}
    url = f"{pair.bot.url}{path}"
    async with pair.bot.http.request(method, url, data=BODIES[body], headers=headers) as resp:
        text = await resp.text()
        assert resp.status == expected(method, path)
    assert "Traceback" not in text
    assert "File " not in text
    challenge = url_verification_body("still-here")
    response = await pair.bot.post(challenge, headers=signed_headers(challenge, secret=SECRET))
    assert response.status == 200
    async with pair.bot.http.get(f"{pair.bot.url}/healthz") as probe:
        assert probe.status == 200
        assert json.loads(await probe.text())
