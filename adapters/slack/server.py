"""The HTTP endpoint: Events API, interactivity and slash commands on `/slack/events`, the
OAuth install pages when distributing, `/healthz` and `/readyz` for the load balancer, and
`/metrics` for Prometheus. Each request to `/slack/events` gets a request id that the log
lines of what it starts (an answer, a command, a button) carry.

A request to `/slack/events` reaches Bolt only once its signature holds and its body reads as
one of Slack's; anything else is refused here with one log line (never the body, never the
signature), because anyone who can reach the URL can send anything:

    413  a body over `MAX_BODY_BYTES`, sent or inflated (not read past the limit)
    400  a body that cannot be read (bad chunks or gzip, the client hung up)
    401  not signed by Slack: no or odd signature headers, a bad signature, a stale timestamp
    400  signed, but not UTF-8, not a JSON object with a `type`, not a form with a `payload`
         of that kind or a `command`, or a body Bolt cannot read

Requests aiohttp itself cannot parse (a bad Content-Length, a header line over 8 KiB) get its
400 and, from this app's start to its cleanup, one log line instead of aiohttp's traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.log import server_logger
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.health import Exposition, NotReady, health_routes
from core.chat.observe import request_scope

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024  # Slack's requests are a few KiB; a big modal's tens of KiB
SIGNATURE_WINDOW_SECONDS = 5 * 60  # slack_sdk's, in `SignatureVerifier.is_valid`
_TIMESTAMP_DIGITS = 12  # seconds since 1970 have 10 digits until the year 2286


class _Refused(Exception):
    """A request answered here without reaching Bolt; `reason` never quotes the request."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier (the 5-minute window, the constant-time comparison) over the body's
    bytes as they arrived: its own signing decodes them as UTF-8 first and raises on any that
    are not, so a body that is not UTF-8 could not even be checked."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        sent = body.encode() if isinstance(body, str) else body
        signed = b"v0:" + timestamp.encode() + b":" + sent
        return "v0=" + hmac.new(self.signing_secret.encode(), signed, hashlib.sha256).hexdigest()


def slack_web_app(
    app: AsyncApp,
    *,
    not_ready: NotReady,
    metrics: Exposition | None = None,
    on_refused: Callable[[int], None] | None = None,
) -> web.Application:
    """`/healthz`: the process serves (liveness); `/readyz`: it can answer, `not_ready` says
    why not (readiness, for a load balancer or an orchestrator); `/metrics` with `metrics`.
    `on_refused` hears the status of each request refused before Bolt (for a counter)."""

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.add_routes(
        [
            web.post(EVENTS_PATH, _events(app, on_refused)),
            *health_routes(not_ready=not_ready, metrics=metrics),
        ]
    )
    web_app.cleanup_ctx.append(_one_line_protocol_errors)
    flow = app.oauth_flow
    if flow is not None:
        # The install pages are GETs: their query and cookies matter, a body never does.
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(_page(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(_page(request)))

        web_app.add_routes(
            [web.get(flow.install_path, install), web.get(flow.redirect_uri_path, redirect)]
        )
    return web_app


def _events(
    app: AsyncApp, on_refused: Callable[[int], None] | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    # The secret Bolt verifies with (Bolt checks again; both must agree on who signed).
    verifier = _RawBodyVerifier(app._signing_secret)

    async def events(request: web.Request) -> web.Response:
        # Bolt's listeners run in tasks started inside: they inherit the id
        with request_scope(fresh=True):
            return await _handle(request)

    async def _handle(request: web.Request) -> web.Response:
        try:
            body = await _read(request)
            if _is_ssl_check(body):
                return web.Response(status=200)  # Slack's certificate check is not signed
            _verify(verifier, body, request.headers)
            bolt_request = _bolt_request(_slack_text(body, request.content_type), request)
        except _Refused as refused:
            logger.warning(
                "slack: refused a request to %s from %s with %d: %s",
                EVENTS_PATH,
                request.remote,
                refused.status,
                refused.reason,
            )
            if on_refused is not None:
                on_refused(refused.status)
            answer = web.json_response({"error": "request refused"}, status=refused.status)
            answer.force_close()  # the rest of the body may be unread, or unreadable
            return answer
        try:
            response = await app.async_dispatch(bolt_request)
        except Exception as error:  # Bolt tripping over a signed body's odd field, say
            logger.error("slack: Bolt failed on a signed request: %s", type(error).__name__)
            return web.json_response({"error": "internal error"}, status=500)
        return await to_aiohttp_response(response)

    return events


async def _read(request: web.Request) -> bytes:
    """The body, refused unread past `MAX_BODY_BYTES` (decompressed, when it was sent gzipped)."""
    too_big = _Refused(413, f"body over {MAX_BODY_BYTES} bytes")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_big
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_big from None
    except web.RequestPayloadError:  # bad chunks or gzip inside the body
        raise _Refused(400, "body could not be read") from None
    except ConnectionError:
        raise _Refused(400, "client hung up before the body ended") from None


def _verify(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> None:
    """Refuse (401) unless Slack signed `body` within the last five minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        raise _Refused(401, "not signed")
    # `is_valid` raises on a timestamp int() rejects and on a signature that is not ASCII
    well_formed = timestamp.isascii() and timestamp.isdigit() and signature.isascii()
    if not well_formed or len(timestamp) > _TIMESTAMP_DIGITS:
        raise _Refused(401, "malformed signature headers")
    if abs(verifier.clock.now() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        raise _Refused(401, "stale timestamp")
    if not verifier.is_valid(body, timestamp, signature):
        raise _Refused(401, "bad signature")


def _slack_text(body: bytes, content_type: str) -> str:
    """The body as text once it reads as one of Slack's: an Events API envelope (a JSON
    object), an interaction (a form whose `payload` is one) or a slash command (a form with
    a `command`). Bolt picks JSON the same way: by the content type or a leading `{`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "body is not UTF-8") from None
    if content_type == "application/json" or text.startswith("{"):
        _typed_object(text, what="JSON body")
        return text
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        _typed_object(form["payload"], what="payload field")
    elif "command" not in form:
        raise _Refused(400, "form has neither a payload nor a command")
    return text


def _typed_object(text: str, *, what: str) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested too deep
        raise _Refused(400, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise _Refused(400, f"{what} is JSON but not an object")
    if not isinstance(value.get("type"), str):
        raise _Refused(400, f"{what} has no type")


def _is_ssl_check(body: bytes) -> bool:
    """Slack's `ssl_check=1` form, sent unsigned: answered 200 and nothing else, as Bolt does
    before it verifies (it only ever checks that the URL's certificate is good)."""
    if len(body) > 200:
        return False
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return False
    return form.get("ssl_check") == "1"


def _bolt_request(text: str, request: web.Request) -> AsyncBoltRequest:
    try:
        found = AsyncBoltRequest(body=text, query=request.query_string, headers=_headers(request))
        command = _slash_command(text, request.content_type)
        if command is not None and found.body != command:
            # Bolt takes any form with the word "payload" anywhere in it for an interaction
            # (`/setget what is a payload`, a channel named "payloads") and then reads
            # nothing; a slash command's form is its body. The raw body stays for Bolt's own
            # signature check.
            found.body = command
            found.context = build_async_context(AsyncBoltContext({}), command)
        return found
    except Exception as error:  # Bolt reads fields of a shape Slack never sends (`"team": 7`)
        raise _Refused(400, f"Bolt cannot read the body ({type(error).__name__})") from None


def _slash_command(text: str, content_type: str) -> dict[str, str] | None:
    """The form of a slash command (it has a `command` and no `payload` field), else None."""
    if content_type == "application/json" or text.startswith("{"):
        return None
    form = dict(parse_qsl(text, keep_blank_values=True))
    return form if "command" in form and "payload" not in form else None


def _page(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(body="", query=request.query_string, headers=_headers(request))


def _headers(request: web.Request) -> dict[str, str | Sequence[str]]:
    return {name: request.headers.getall(name) for name in request.headers}


class _OneLineBadHttp(logging.Filter):
    """aiohttp logs each request it cannot parse (a bad Content-Length or chunk size, a header
    line over 8 KiB) with a traceback and the offending bytes: keep one line, naming the error.
    It also logs a body it cannot read (bad gzip) once more when it drains the rest after the
    handler answered; the handler that read it has said so, a page that did not need not."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, web.RequestPayloadError):
            return False
        if isinstance(error, BadHttpMessage):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else None
            record.msg = "slack: refused a malformed HTTP request from %s: %s"
            record.args = (remote, type(error).__name__)
            record.exc_info = record.exc_text = None
            record.levelno = min(record.levelno, logging.WARNING)  # TLS on the port: DEBUG
            record.levelname = logging.getLevelName(record.levelno)
        return True


async def _one_line_protocol_errors(_app: web.Application) -> AsyncIterator[None]:
    one_line = _OneLineBadHttp()
    server_logger.addFilter(one_line)
    yield
    server_logger.removeFilter(one_line)
