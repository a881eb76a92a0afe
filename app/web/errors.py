"""Every way a request can fail, answered as MAPS's error page (or JSON under /api/, or a
fragment for htmx) with the security headers: never a stack trace, never a bare 500."""

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.questionnaires.loader import MAX_FILE_BYTES
from app.services.invite_csv import MAX_BYTES as MAX_CSV_BYTES
from app.services.responses import ResponseError
from app.web.access import SignInRequired
from app.web.headers import add_security_headers
from app.web.render import render

log = logging.getLogger("maps")

RETRY_AFTER = "5"  # seconds: a database restart or a burst of saves is usually over by then
UNAVAILABLE = "MAPS cannot reach its database just now. Nothing you saved has been lost."
BUSY = "MAPS is very busy just now. Nothing you saved has been lost; try again in a moment."
BROKEN = "Sorry, there is a problem with MAPS. Nothing you saved has been lost."


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def error_response(request: Request, status: int, *, heading: str, message: str,
                   advice: str | None = None, headers: dict | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    response = render(request, "error.html", {"heading": heading, "message": message,
                                              "advice": advice}, status_code=status)
    response.headers.update(headers or {})
    return response


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


# The files a form takes, by the path it posts to: what a request too large was, and its own
# limit (smaller than the request's, which also holds the form's other fields).
UPLOADS = {"/questionnaires": ("A questionnaire definition", MAX_FILE_BYTES),
           "/invites/upload": ("A CSV file of board members", MAX_CSV_BYTES)}


def too_large(request: Request) -> Response:
    """A request over MAPS_MAX_REQUEST_BYTES (the body limit refuses it before a route reads
    it): what the limit is, in the words of the form it came from."""
    limit = megabytes(request.app.state.settings.max_request_bytes)
    what = next((upload for path, upload in UPLOADS.items()
                 if request.url.path.endswith(path)), None)
    if what is None:
        return error_response(request, 413, heading="What you sent is too large",
                              message=f"MAPS accepts at most {limit} in one request, and this "
                                      "one was larger, so nothing in it was read or saved.",
                              advice="Go back and send less at once.")
    name, own_limit = what
    return error_response(
        request, 413, heading="The file is too large",
        message=f"{name} can be at most {megabytes(own_limit)}, and this upload was larger than "
                f"the {limit} MAPS reads in one request, so nothing in it was read or saved.",
        advice="Check that you chose the right file (plain text, not a document or a "
               "spreadsheet holding it), then go back and upload it again.")


class TooLargePage:
    """A request whose Content-Length is over the limit gets MAPS's page saying what the
    limit is (too_large), before anything reads it. Starlette's body limit, inside this,
    still stops a body sent without a length as it streams, but answers that with its own
    bare "Content Too Large", which cannot be changed."""

    def __init__(self, app, max_body_size: int):
        self.app, self.max_body_size = app, max_body_size

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            length = Headers(scope=scope).get("content-length", "")
            if length.isdigit() and int(length) > self.max_body_size:
                return await too_large(Request(scope))(scope, receive, send)
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        heading = {404: "Page not found", 403: "You cannot see this page",
                   405: "That action is not allowed here"}.get(exc.status_code,
                                                               "Sorry, there is a problem")
        return render(request, "error.html", {"heading": heading, "message": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired):
        if wants_json(request):
            return JSONResponse({"detail": "Sign in first"}, status_code=401)
        # Back to the page after signing in; a form's target is not a page to return to.
        url = f"/sign-in?next={quote(exc.next_path)}" if request.method == "GET" else "/sign-in"
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the sign-in page into the fragment; make it load the page.
            return Response(status_code=401, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(ResponseError)
    async def response_error(request: Request, exc: ResponseError):
        if request.headers.get("HX-Request") == "true":
            return render(request, "respond/_autosave.html", {"errors": {"": exc.message}},
                          status_code=exc.status)
        return render(request, "error.html", {"heading": exc.heading, "message": exc.message},
                      status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        if wants_json(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render(request, "error.html", {
            "heading": "The form could not be read",
            "message": "; ".join(problems),
            "advice": "Go back, check your answers and try again.",
        }, status_code=422)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def value_refused(request: Request, exc: Exception):
        # The database refused a value the request carried (PostgreSQL stores no NUL character,
        # nor text longer than its column, nor a number past its type; Python's sqlite3 binds
        # no integer past 2**63 and raises OverflowError): a problem with the request, not an
        # outage. Forms check their values first (app/services/inputs.py); this is the last
        # line. Any other overflow is MAPS's own: the unexpected-error page.
        if isinstance(exc, OverflowError) and "SQLite" not in str(exc):
            raise exc
        log.warning("database refused a value: %s", getattr(exc, "orig", exc))
        return error_response(
            request, 400, heading="What you sent could not be saved",
            message="MAPS could not store what was sent: it contains a character, a number "
                    "or a length that MAPS cannot keep.",
            advice="Go back, remove any unusual characters or very large numbers and try "
                   "again.")

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError):
        # A row that clashes with one already saved (a name taken at the same moment by
        # another request): the forms check first and say which field, so this is a race
        # between two people, never an outage.
        log.warning("database refused a conflicting row: %s", exc.orig)
        return error_response(
            request, 400, heading="What you sent could not be saved",
            message="MAPS could not save this: it clashes with something saved just before, "
                    "perhaps by someone else at the same moment.",
            advice="Go back, reload the page to see what is saved now, and try again.")

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def database_down(request: Request, exc: Exception):
        log.warning("database unavailable: %s", exc)
        return error_response(request, 503, heading="Sorry, the service is unavailable",
                              message=UNAVAILABLE, advice="Try again in a minute.",
                              headers={"Retry-After": RETRY_AFTER})

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, exc: PoolTimeout):
        # Every database connection was in use for the pool's whole timeout.
        log.warning("no database connection free: %s", exc)
        return error_response(request, 503, heading="Sorry, MAPS is busy", message=BUSY,
                              advice="Try again in a moment.",
                              headers={"Retry-After": RETRY_AFTER})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # Starlette's outermost middleware calls this, outside every other middleware, so the
        # headers are added here; it then re-raises, and the server logs the traceback
        # (redacted, app/logs.py). The details never reach the page.
        try:
            response = error_response(request, 500, heading="Sorry, there is a problem",
                                      message=BROKEN, advice="Try again later.")
        except Exception:  # the page itself cannot be drawn: plain words, still with headers
            response = HTMLResponse(f"<!DOCTYPE html><title>Error</title><h1>Sorry, there is a "
                                    f"problem</h1><p>{BROKEN}</p>", status_code=500)
        add_security_headers(response.headers, path=request.url.path,
                             https=request.app.state.settings.https)
        return response
