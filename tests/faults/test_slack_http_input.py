"""Hostile and malformed requests to the served Slack app: each is refused before it is parsed
(401 unless Slack signed it, 400 when signed but unreadable, 413 when too big) with one log
line that holds neither the body nor the signature, and the app keeps answering Slack."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack.server import EVENTS_PATH, MAX_BODY_BYTES
from bot.app import App
from tests.adapters.slack.conftest import SECRET, TEAM, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import signed_headers, url_verification_body

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MARK = "hostile-7f3a"  # in every body, so a log line that quotes a body is caught

MALFORMED: dict[str, tuple[bytes, str]] = {
    "bad JSON": (b'{"type": "event_callback", "text": "hostile-7f3a"', JSON),
    "invalid UTF-8 JSON": (b'{"type": "event_callback", "text": "hostile-7f3a \xff\xfe"}', JSON),
    "invalid UTF-8 form": (b"command=%2Fsetget&text=hostile-7f3a\xc3\x28", FORM),
    "bad payload field": (b"payload=%7B%22type%22%3A%22hostile-7f3a", FORM),
    "payload field holding an array": (b"payload=%5B%22hostile-7f3a%22%5D", FORM),
    "payload field holding a string": (b"payload=%22hostile-7f3a%22", FORM),
    "JSON array": (b'["hostile-7f3a"]', JSON),
    "JSON string": (b'"hostile-7f3a"', JSON),
    "JSON number": (b"7357735773577357", JSON),
    "JSON null": (b"null", JSON),
    "deeply nested JSON": (b"[" * 100_000 + b'"hostile-7f3a"' + b"]" * 100_000, JSON),
    "empty JSON body": (b"", JSON),
    "empty form body": (b"", FORM),
    "form that is neither a command nor a payload": (b"hostile-7f3a=1&text=hi", FORM),
    "JSON object without a type": (b'{"text": "hostile-7f3a"}', JSON),
    "JSON object of the wrong shape": (
        b'{"type": "event_callback", "team": 7, "x": "hostile-7f3a"}',
        JSON,
    ),
}


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature over the bytes as sent (also bytes that are not UTF-8)."""
    when = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + when.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": when, "X-Slack-Signature": f"v0={digest}"}


# Who sent it: nobody's signature, a wrong secret's, Slack's from 10 minutes ago, Slack's now.
SENDERS: dict[str, tuple[Callable[[bytes], dict[str, str]], int]] = {
    "unsigned": (lambda body: {}, 401),
    "bad signature": (lambda body: sign(body, secret="not-the-secret"), 401),
    "stale timestamp": (lambda body: sign(body, timestamp=int(time.time()) - 600), 401),
    "signed": (sign, 400),
}


@dataclass
class Served:
    url: str
    http: aiohttp.ClientSession

    async def send_raw(self, request: bytes) -> bytes:
        """Write `request` on a fresh connection; what came back before the server closed it."""
        host, port = self.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
        return answer

    async def post(
        self, body: bytes | io.BytesIO | AsyncIterator[bytes], headers: dict[str, str]
    ) -> tuple[int, str]:
        async with self.http.post(f"{self.url}{EVENTS_PATH}", data=body, headers=headers) as resp:
            return resp.status, await resp.text()

    async def still_answers_slack(self) -> None:
        body = url_verification_body("still-here")
        status, text = await self.post(body.encode(), signed_headers(body, secret=SECRET))
        assert (status, json.loads(text)) == (200, {"challenge": "still-here"})


@pytest.fixture
async def served(app: App) -> AsyncIterator[Served]:
    async with (
        FakeSlack(team_id=TEAM) as slack,
        serve(app, slack) as url,
        aiohttp.ClientSession() as http,
    ):
        yield Served(url=url, http=http)


@pytest.fixture
async def distributed(app: App) -> AsyncIterator[Served]:
    """Served for OAuth installs: the install page and the redirect are up too."""
    oauth = {"bot_token": None, "client_id": "111.222", "client_secret": "shh"}
    async with (
        FakeSlack(team_id=TEAM) as slack,
        serve(app, slack, **oauth) as url,
        aiohttp.ClientSession() as http,
    ):
        yield Served(url=url, http=http)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_one_clean_line(
    logs: pytest.LogCaptureFixture, *, secret_bits: list[str], source: str = "adapters.slack.server"
) -> None:
    """One warning for the refusal; no traceback anywhere; no body, signature or secret."""
    records = logs.records
    for record in records:
        text = logging.Formatter().format(record)
        assert record.exc_info is None, text
        assert record.exc_text is None, text
        assert "Traceback" not in text, text
        for bit in [MARK, SECRET, *secret_bits]:
            assert bit not in text, f"{bit!r} logged: {text}"
    refusals = [r for r in records if r.levelno >= logging.WARNING]
    assert len(refusals) == 1, [r.getMessage() for r in records]
    assert refusals[0].name == source


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_a_malformed_body_is_refused_with_one_clean_log_line(
    served: Served, logs: pytest.LogCaptureFixture, name: str
) -> None:
    body, content_type = MALFORMED[name]
    for sender, (headers_for, expected) in SENDERS.items():
        headers = {"Content-Type": content_type, **headers_for(body)}
        logs.clear()

        status, _ = await served.post(body, headers)

        assert status == expected, f"{name}, {sender}"
        signature = headers.get("X-Slack-Signature", "v0=none")
        assert_one_clean_line(logs, secret_bits=[signature.removeprefix("v0=")])
    await served.still_answers_slack()


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        ("not-a-number", "v0=abc"),
        ("9" * 5000, "v0=abc"),  # more digits than int() accepts
        ("-1", "v0=abc"),
        ("", ""),
        (str(int(time.time())), "v0=\u00e9\u00e9"),  # not ASCII: hmac.compare_digest raises
    ],
    ids=["word", "5000 digits", "negative", "empty", "non-ASCII signature"],
)
async def test_odd_signature_headers_are_refused_with_one_clean_log_line(
    served: Served, logs: pytest.LogCaptureFixture, timestamp: str, signature: str
) -> None:
    body = url_verification_body(MARK).encode()
    headers = {
        "Content-Type": JSON,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }

    status, _ = await served.post(body, headers)

    assert status == 401
    assert_one_clean_line(logs, secret_bits=[])
    await served.still_answers_slack()


@pytest.mark.parametrize("sender", ["unsigned", "signed"])
@pytest.mark.parametrize("sent", ["with its length", "chunked", "gzipped"])
async def test_a_body_over_the_limit_is_refused_unread(
    served: Served, logs: pytest.LogCaptureFixture, sender: str, sent: str
) -> None:
    body = b'{"type": "event_callback", "text": "hostile-7f3a' + b"x" * MAX_BODY_BYTES + b'"}'
    headers = {"Content-Type": JSON, **(sign(body) if sender == "signed" else {})}

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    if sent == "with its length":
        status, _ = await served.post(io.BytesIO(body), headers)
    elif sent == "chunked":
        status, _ = await served.post(chunks(), headers)
    else:  # a few KiB on the wire that grow past the limit when aiohttp inflates them
        zipped = gzip.compress(body)
        assert len(zipped) < MAX_BODY_BYTES // 100
        status, _ = await served.post(zipped, {**headers, "Content-Encoding": "gzip"})

    assert status == 413
    assert_one_clean_line(logs, secret_bits=[headers.get("X-Slack-Signature", "v0=-")[3:]])
    await served.still_answers_slack()


async def test_slacks_unsigned_ssl_check_is_still_answered(
    served: Served, logs: pytest.LogCaptureFixture
) -> None:
    """Slack checks a slash command's certificate with an unsigned `ssl_check=1` form."""
    status, _ = await served.post(b"ssl_check=1&token=" + MARK.encode(), {"Content-Type": FORM})

    assert status == 200
    assert not [r for r in logs.records if r.levelno >= logging.WARNING]


async def test_a_signed_body_at_the_limit_is_read(served: Served) -> None:
    start = url_verification_body("at-the-limit")[:-1] + ', "filler": "'
    body = start + "x" * (MAX_BODY_BYTES - len(start) - 2) + '"}'
    assert len(body) == MAX_BODY_BYTES

    status, text = await served.post(io.BytesIO(body.encode()), signed_headers(body, secret=SECRET))

    assert (status, json.loads(text)) == (200, {"challenge": "at-the-limit"})


async def test_a_body_that_cannot_be_inflated_is_refused_with_one_clean_log_line(
    served: Served, logs: pytest.LogCaptureFixture
) -> None:
    body = b"not gzip at all: hostile-7f3a"
    headers = {"Content-Type": JSON, "Content-Encoding": "gzip", **sign(body)}

    status, _ = await served.post(body, headers)

    assert status == 400
    assert_one_clean_line(logs, secret_bits=[headers["X-Slack-Signature"][3:]])
    await served.still_answers_slack()


async def test_a_client_that_hangs_up_mid_body_leaves_one_clean_log_line(
    served: Served, logs: pytest.LogCaptureFixture
) -> None:
    refused = asyncio.Event()
    noticed = logging.Handler()
    noticed.emit = lambda _record: refused.set()  # type: ignore[method-assign]
    logging.getLogger("adapters.slack.server").addHandler(noticed)
    head = f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\n"
    try:
        host, port = served.url.removeprefix("http://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write((head + 'Content-Length: 1000\r\n\r\n{"type": "hostile-7f3a').encode())
        await writer.drain()
        writer.close()  # 40 of the 1000 bytes promised
        await writer.wait_closed()

        async with asyncio.timeout(5):  # the server notices the hang-up on its own schedule
            await refused.wait()
    finally:
        logging.getLogger("adapters.slack.server").removeHandler(noticed)
    assert_one_clean_line(logs, secret_bits=[])
    await served.still_answers_slack()


HEAD = f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\n".encode()


@pytest.mark.parametrize(
    "request_bytes",
    [
        HEAD + b"Content-Length: hostile-7f3a\r\n\r\n",
        HEAD + b"Transfer-Encoding: chunked\r\n\r\nhostile-7f3a\r\n",
        HEAD + b"X-Filler: hostile-7f3a" + b"a" * 10_000 + b"\r\n\r\n",
        HEAD + b"X-Odd: hostile-7f3a\x01\r\nContent-Length: 0\r\n\r\n",
    ],
    ids=["bad Content-Length", "bad chunk size", "header line over 8 KiB", "control character"],
)
async def test_a_request_aiohttp_cannot_parse_gets_one_clean_log_line(
    served: Served, logs: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    answer = await served.send_raw(request_bytes)

    assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
    assert_one_clean_line(logs, secret_bits=[], source="aiohttp.server")
    await served.still_answers_slack()


async def test_bolt_failing_on_a_signed_body_leaves_one_clean_log_line(
    served: Served, logs: pytest.LogCaptureFixture
) -> None:
    """Only Slack can sign; a payload it would never send still costs no traceback."""
    payload = {"type": "block_actions", "actions": [], "x": MARK}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": FORM, **sign(body)}

    status, _ = await served.post(body, headers)

    assert status == 500
    assert_one_clean_line(logs, secret_bits=[headers["X-Slack-Signature"][3:]])
    await served.still_answers_slack()


async def test_the_install_page_ignores_a_body(
    distributed: Served, logs: pytest.LogCaptureFixture
) -> None:
    url = f"{distributed.url}/slack/install"
    async with distributed.http.get(url, data=b"\xff\xfe hostile-7f3a") as resp:
        assert resp.status == 200

    assert not [r for r in logs.records if r.exc_info or r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=abc&state=hostile-7f3a",
        "code=abc&state=%ff%fehostile-7f3a",
        "code=abc&state=hostile-7f3a" + "x" * 6000,
    ],
    ids=["nothing", "unknown state", "not UTF-8", "long"],
)
async def test_a_bad_oauth_redirect_is_refused_without_a_traceback(
    distributed: Served, logs: pytest.LogCaptureFixture, query: str
) -> None:
    url = f"{distributed.url}/slack/oauth_redirect?{query}"
    cookie = {"Cookie": "slack-app-oauth-state=hostile-7f3a"}
    async with distributed.http.get(url, headers=cookie, allow_redirects=False) as resp:
        assert 200 <= resp.status < 500  # Bolt's failure page: 200 for `error=`, else 4xx

    assert not [r for r in logs.records if r.exc_info or r.levelno >= logging.ERROR]
