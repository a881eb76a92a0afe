"""The headers on every answer MAPS gives, errors included: the Content-Security-Policy and
its companions, no caching of anything but static files (every page carries a CSRF token
bound to the browser's session, and most carry names, emails or invite links), and HSTS when
MAPS is served over HTTPS."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# A year, the least the browsers' preload lists accept.
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(headers: MutableHeaders, *, path: str, https: bool) -> None:
    """Set on `headers`; a route's own Content-Security-Policy (the API docs) is kept."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if not path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if https:
        headers["Strict-Transport-Security"] = HSTS


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool):
        self.app, self.https = app, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), path=scope["path"],
                                     https=self.https)
            await send(message)

        await self.app(scope, receive, send_with_headers)
