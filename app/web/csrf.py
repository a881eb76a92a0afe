"""CSRF protection for every state-changing request: a token bound to the browser's session,
and a check of where the request comes from. Our own small mechanism, in this one module.

- Every browser session, signed in or not, holds a random key in its signed session cookie
  (`__Host-maps_session` over HTTPS). A page's token is an HMAC of that key under the secret
  key, so a token from any other visit is worth nothing, even planted as a cookie; signing in
  and out starts a new key, and so a new token.
- Forms post it as the `csrftoken` field (`_csrf.html`, first in the form, so that a file
  upload's token is read before its file); htmx sends it as the `X-CSRFToken` header
  (static/maps.js, from the page's `csrf-token` meta tag).
- Browsers say where a request comes from. `Sec-Fetch-Site` must be `same-origin` (or `none`,
  typed by the person); without it, an `Origin` must be this site's. A post from another port
  or subdomain of the same host is refused even with the right token.
- Only a request under /api/ that carries `Authorization: Bearer` and no cookie at all skips
  the check: a forged request from a browser always carries the browser's cookies.
"""

import base64
import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl

from markupsafe import escape
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrftoken"
HEADER = "x-csrftoken"
SESSION_KEY = "key"  # the random key in the session cookie that tokens are derived from
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SAME_SITE = {"same-origin", "none"}

HEADING = "Your form could not be sent"
MESSAGE = ("MAPS could not confirm that this form came from one of its own pages: its security "
           "token was missing or out of date. This can happen when a page has been open for a "
           "long time, after signing in or out in another tab, or when your browser blocks "
           "cookies from MAPS.")
ADVICE = "Go back, reload the page and try again. Nothing was changed."
UNREADABLE = ("The form could not be read", "What your browser sent is not a form MAPS can "
              "read.", "Go back, reload the page and try again. Nothing was changed.")


def session_key(session: dict) -> str:
    """The browser session's key, made on first use."""
    key = session.get(SESSION_KEY)
    if not isinstance(key, str) or len(key) < 32:
        key = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return key


def expected_token(secret: str, key: str) -> str:
    digest = hmac.new(secret.encode(), b"csrf:" + key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token(request: Request) -> str:
    """The token for this browser's forms (templates call it as csrf_token(request))."""
    return expected_token(request.app.state.settings.secret_key, session_key(request.session))


class UnreadableForm(Exception):
    pass


class CSRFMiddleware:
    """Runs inside the session middleware, which has read the cookie into scope["session"]."""

    def __init__(self, app: ASGIApp, *, secret: str, https: bool):
        self.app, self.secret, self.https = app, secret, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _bearer_without_cookies(scope, headers):
            await self.app(scope, receive, send)
            return
        if _from_elsewhere(scope, headers, self.https):
            await _answer(scope, send, 403, (HEADING, MESSAGE, ADVICE))
            return
        try:
            # Read before the token: a form MAPS cannot read gets the same answer whoever sent it.
            body_token, receive = await _token_from_body(headers, receive)
        except UnreadableForm:
            await _answer(scope, send, 400, UNREADABLE)
            return
        submitted = headers.get(HEADER) or body_token
        key = scope.get("session", {}).get(SESSION_KEY)
        if not (isinstance(key, str) and submitted and hmac.compare_digest(
                submitted.encode(), expected_token(self.secret, key).encode())):
            await _answer(scope, send, 403, (HEADING, MESSAGE, ADVICE))
            return
        await self.app(scope, receive, send)


def _bearer_without_cookies(scope: Scope, headers: Headers) -> bool:
    return (scope["path"].startswith("/api/") and "cookie" not in headers
            and headers.get("authorization", "").lower().startswith("bearer "))


def _from_elsewhere(scope: Scope, headers: Headers, https: bool) -> bool:
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in SAME_SITE
    origin = headers.get("origin")
    if origin is None:  # an older browser, or not a browser: the token decides
        return False
    scheme = "https" if https else scope["scheme"]
    return origin != f"{scheme}://{headers.get('host', '')}"


async def _token_from_body(headers: Headers, receive: Receive) -> tuple[str | None, Receive]:
    """The form's `csrftoken` field, and a `receive` that replays what was read. A multipart
    body is read only up to the token (which must come before any file)."""
    content_type, params = parse_options_header(headers.get("content-type", ""))
    if content_type == b"multipart/form-data":
        boundary = params.get(b"boundary", b"")
        if not 0 < len(boundary) <= 70:  # RFC 2046
            raise UnreadableForm
        return await _multipart_token(boundary, receive)
    if content_type == b"application/x-www-form-urlencoded" and HEADER not in headers:
        messages = await _read_all(receive)
        body = b"".join(m.get("body", b"") for m in messages)
        # Latin-1 reads any bytes: a body that is not UTF-8 is the form parser's to answer.
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        found = next((value for name, value in fields if name == FIELD), None)
        return found, _replay(messages, receive)
    return None, receive


async def _read_all(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


class _TokenFound(Exception):
    pass


async def _multipart_token(boundary: bytes, receive: Receive) -> tuple[str | None, Receive]:
    messages: list[Message] = []
    part = {"header": b"", "value": b"", "name": None, "file": False, "token": b""}

    def header_field(data, start, end):
        part["header"] += data[start:end]

    def header_value(data, start, end):
        part["value"] += data[start:end]

    def header_end():
        if part["header"].strip().lower() == b"content-disposition":
            _, params = parse_options_header(part["value"])
            part["name"], part["file"] = params.get(b"name"), b"filename" in params
        part["header"] = part["value"] = b""

    def headers_finished():
        if part["file"]:  # a file before the token: refused, without reading the file
            raise _TokenFound(None)

    def part_data(data, start, end):
        if part["name"] == FIELD.encode() and len(part["token"]) < 200:
            part["token"] += data[start:end]

    def part_end():
        if part["name"] == FIELD.encode():
            raise _TokenFound(part["token"].decode("latin-1"))
        part.update(name=None, file=False)

    parser = MultipartParser(boundary, {
        "on_header_field": header_field, "on_header_value": header_value,
        "on_header_end": header_end, "on_headers_finished": headers_finished,
        "on_part_data": part_data, "on_part_end": part_end})
    try:
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            parser.write(message.get("body", b""))
            if not message.get("more_body", False):
                break
    except _TokenFound as found:
        return found.args[0], _replay(messages, receive)
    except FormParserError:
        raise UnreadableForm from None
    return None, _replay(messages, receive)


async def _answer(scope: Scope, send: Send, status: int,
                  text: tuple[str, str, str]) -> None:
    """The refusal as JSON, an htmx fragment or MAPS's error page."""
    heading, message, advice = text
    request = Request(scope)
    if scope["path"].startswith("/api/"):
        detail = f"{heading}: CSRF token missing or wrong" if status == 403 else heading
        response = JSONResponse({"detail": detail}, status)
    elif request.headers.get("HX-Request") == "true":
        response = HTMLResponse(f'<span class="govuk-error-message">{escape(heading)}. '
                                f'{escape(advice)}</span>', status)
    else:
        response = request.app.state.templates.TemplateResponse(
            request, "error.html", {"heading": heading, "message": message, "advice": advice},
            status_code=status)

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)
