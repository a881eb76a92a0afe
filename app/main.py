"""The application factory: settings, engine, questionnaires, templates and routes."""

import logging
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.sessions import SessionMiddleware

from app.config import Settings
from app.db import make_engine
from app.questionnaires.loader import load_catalogue
from app.services.responses import ResponseError
from app.web import (
    action_plans,
    admin,
    auth,
    compare,
    pages,
    partnerships,
    respond,
    results,
    rounds,
)
from app.web.access import SignInRequired
from app.web.csrf import CSRFMiddleware
from app.web.headers import DefaultHeaders
from app.web.render import TEMPLATES, make_templates, render

log = logging.getLogger("maps")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.engine.dispose()

    app = FastAPI(title="MAPS", lifespan=lifespan, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.catalogue = load_catalogue()
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(respond.router)
    app.include_router(auth.router)
    app.include_router(admin.router)
    app.include_router(partnerships.router)
    app.include_router(rounds.router)
    app.include_router(compare.router)
    app.include_router(results.router)
    app.include_router(action_plans.router)
    # Added inner first: the CSRF check runs before the session is read.
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="maps_session", max_age=settings.session_hours * 3600,
                       same_site="lax", https_only=settings.https)
    app.add_middleware(CSRFMiddleware, secret=settings.secret_key, https=settings.https)
    # Here rather than FastAPI(max_body_size=...), which puts it outside every middleware: its
    # 413 would miss the security headers. Outside the CSRF check, which reads the body.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_request_bytes)

    app.add_middleware(DefaultHeaders, headers=SECURITY_HEADERS)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        heading = {404: "Page not found", 403: "You cannot see this page",
                   405: "That action is not allowed here"}.get(exc.status_code,
                                                               "Sorry, there is a problem")
        return render(request, "error.html", {"heading": heading, "message": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired):
        if _wants_json(request):
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
        if _wants_json(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render(request, "error.html", {
            "heading": "The form could not be read",
            "message": "; ".join(problems),
            "advice": "Go back, check your answers and try again.",
        }, status_code=422)

    @app.exception_handler(DataError)
    async def value_refused(request: Request, exc: DataError):
        # The database refused a value the request carried (PostgreSQL stores no NUL character,
        # nor text longer than its column): a problem with the request, not an outage.
        log.warning("database refused a value: %s", exc.orig)
        message = ("MAPS could not store what was sent: it contains a character, or a value "
                   "of a length, that MAPS cannot keep.")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=400)
        return render(request, "error.html", {
            "heading": "What you sent could not be saved", "message": message,
            "advice": "Go back, remove any unusual characters and try again.",
        }, status_code=400)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def database_down(request: Request, exc: Exception):
        log.warning("database unavailable: %s", exc)
        message = "MAPS cannot reach its database just now. Nothing you saved has been lost."
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=503, headers={"Retry-After": "5"})
        return render(request, "error.html", {
            "heading": "Sorry, the service is unavailable", "message": message,
            "advice": "Try again in a minute.",
        }, status_code=503)

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"
