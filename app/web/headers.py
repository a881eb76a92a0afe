"""Headers every response carries (the security headers), added as the response starts.

A plain ASGI middleware: `@app.middleware("http")` (Starlette's BaseHTTPMiddleware) runs each
request through a task group and memory streams, which cost about as much CPU as an
autosave's own work."""

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DefaultHeaders:
    """Add `headers` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, headers: Mapping[str, str]):
        self.app = app
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()),
                                      *((n, v) for n, v in self.headers if n not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
