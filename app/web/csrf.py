"""CSRF protection for every state-changing request, by asgi-csrf (Datasette's double-submit
cookie): a signed `csrftoken` cookie must match the `csrftoken` form field (forms include
_csrf.html) or the `X-CSRFToken` header (htmx, set up in static/maps.js from the page's meta tag).

Requests with an `Authorization: Bearer` header skip the check (asgi-csrf's own rule): that is
the room left for the JSON API under /api/, whose clients send a token rather than a cookie.
"""

import asgi_csrf as _asgi_csrf
from asgi_csrf import asgi_csrf
from markupsafe import escape
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

HEADING = "Your form could not be sent"
MESSAGE = ("MAPS could not confirm that this form came from one of its own pages: its security "
           "token was missing or out of date. This can happen when a page has been open for a "
           "long time, or when your browser blocks cookies from MAPS.")
ADVICE = "Go back, reload the page and try again. Nothing was changed."


class _EveryPath:
    """asgi-csrf lets a POST that carries no cookie at all through, since there is no session
    to abuse. MAPS checks those too: a forged sign-in, or a post to someone's invite link from
    another site, is refused, and a form without its token always gets the same answer."""

    def __contains__(self, path: object) -> bool:
        return True


async def _refuse(scope: Scope, send: Send, error) -> None:
    request = Request(scope)
    if request.url.path.startswith("/api/"):
        response = JSONResponse({"detail": f"{HEADING}: CSRF token missing or wrong"}, 403)
    elif request.headers.get("HX-Request") == "true":
        response = HTMLResponse(f'<span class="govuk-error-message">{escape(HEADING)}. '
                                f'{escape(ADVICE)}</span>', 403)
    else:
        response = request.app.state.templates.TemplateResponse(
            request, "error.html", {"heading": HEADING, "message": MESSAGE, "advice": ADVICE},
            status_code=403)

    async def no_body() -> dict:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


class _TokenFound(Exception):
    pass


async def _multipart_token(boundary: bytes, receive: Receive):
    """The `csrftoken` field of a multipart body, read before any file, and a `receive` that
    replays what was read. This is asgi-csrf's own `_parse_multipart_form_data`, rewritten for
    python-multipart >= 0.0.26, which dropped the FormParser(FileClass=...) argument that
    asgi-csrf 0.11 passes (simonw/asgi-csrf#38, fixed in the unreleased PR #39); the versions
    that accept it have known vulnerabilities. Drop this when an asgi-csrf release has the fix
    (tests/test_auth.py says when)."""
    messages: list[dict] = []
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
        if part["file"]:
            raise _asgi_csrf.FileBeforeToken

    def part_data(data, start, end):
        if part["name"] == b"csrftoken" and len(part["token"]) < 1000:
            part["token"] += data[start:end]

    def part_end():
        if part["name"] == b"csrftoken":
            raise _TokenFound(part["token"].decode("utf-8", "replace"))
        part.update(name=None, file=False)

    parser = MultipartParser(boundary, {
        "on_header_field": header_field, "on_header_value": header_value,
        "on_header_end": header_end, "on_headers_finished": headers_finished,
        "on_part_data": part_data, "on_part_end": part_end})

    async def replay_receive():
        return messages.pop(0) if messages else await receive()

    more_body = True
    try:
        while more_body:
            message = await receive()
            if message["type"] != "http.request":
                break
            messages.append(message)
            parser.write(message.get("body", b""))
            more_body = message.get("more_body", False)
    except _TokenFound as found:
        return found.args[0], replay_receive
    return None, replay_receive


upstream_multipart_reader = _asgi_csrf._parse_multipart_form_data
_asgi_csrf._parse_multipart_form_data = _multipart_token


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str, https: bool):
        self.app = asgi_csrf(app, signing_secret=secret, always_protect=_EveryPath(),
                             cookie_secure=https, cookie_samesite="Lax",
                             send_csrf_failed=_refuse)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            content_type = dict(scope["headers"]).get(b"content-type", b"")
            # asgi-csrf would fail with a server error on a multipart body without a boundary.
            if content_type.startswith(b"multipart/form-data") and b"; boundary=" not in \
                    content_type:
                await _refuse(scope, send, None)
                return
        await self.app(scope, receive, send)
