"""The application factory: settings, engine, questionnaires, templates, routes, and the
middleware every request passes through."""

import base64
import gc
import hashlib
import re
from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.sessions import SessionMiddleware

from app import logs
from app.config import Settings
from app.db import make_engine
from app.questionnaires.loader import load_catalogue
from app.recommendations.library import default_library
from app.services.accounts import dummy_hash
from app.services.report_workers import ReportWorkers
from app.web import (
    action_plans,
    admin,
    auth,
    carry_on,
    compare,
    errors,
    invites,
    meetings,
    pages,
    partnerships,
    questionnaires,
    respond,
    results,
    rounds,
    votes,
)
from app.web.access import CurrentUser
from app.web.csrf import CSRFMiddleware
from app.web.headers import SecurityHeaders
from app.web.render import TEMPLATES, make_templates

OPENAPI_URL = "/api/openapi.json"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logs.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The hash an unknown email is checked against, made now rather than on the first
        # such sign-in (which would then take twice as long, telling that the email is new).
        dummy_hash(settings)
        # What the first report would otherwise wait for, done now: importing WeasyPrint
        # (about a second, with the Pango it loads), compiling the report's templates (half
        # a second) and reading the strategies. Here rather than at import, so the CLI's
        # commands that make no report do not pay for it.
        import_module("app.reports.pdf").warm()
        default_library()
        # What start-up made (questionnaires, templates, WeasyPrint: some 170,000 objects)
        # lives as long as the app, but every full garbage collection walked it, pausing all
        # requests for about 100 ms: the slowest saves under load. Frozen, it is not walked.
        gc.freeze()
        app.state.report_workers.start()
        yield
        app.state.report_workers.stop()
        gc.unfreeze()  # an app stopped within a longer process (the tests) can be collected
        app.state.engine.dispose()

    app = FastAPI(title="MAPS", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=OPENAPI_URL)
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.catalogue = load_catalogue(settings.questionnaire_dirs)
    app.state.templates = make_templates()
    app.state.report_workers = ReportWorkers(
        app.state.engine, app.state.catalogue, count=settings.report_workers,
        keep_days=settings.report_keep_days)
    app.mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static")
    # The board members' routes first: FastAPI tries routes in order, and theirs are the
    # busiest (every answer saved is a request).
    for module in (respond, carry_on, pages, auth, admin, partnerships, rounds, invites,
                   compare, results, action_plans, questionnaires, meetings, votes):
        app.include_router(module.router)
    if settings.api_docs:
        _serve_api_docs(app)
    # Added inner first. The CSRF check reads the session, so runs inside it; the body limit
    # is outside the check, which reads the body (here rather than FastAPI(max_body_size=...),
    # which would put it outside every middleware, its 413 without the headers).
    app.add_middleware(CSRFMiddleware, secret=settings.secret_key, https=settings.https)
    # Over HTTPS a __Host- cookie: Secure, for this host only, path /, so no other site or
    # subdomain can set one for MAPS.
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="__Host-maps_session" if settings.https
                       else "maps_session",
                       max_age=settings.session_hours * 3600, same_site="lax",
                       https_only=settings.https)
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_request_bytes)
    app.add_middleware(errors.TooLargePage, max_body_size=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, https=settings.https)
    errors.install(app)
    # A link held by another browser: its own page (the most specific handler wins).
    app.add_exception_handler(respond.ClaimNeeded, respond.claim_needed)
    return app


# Swagger UI from its CDN, as FastAPI serves it: the page's CSP allows that CDN and the page's
# one inline script (by its hash), nothing else.
SWAGGER_CDN = "https://cdn.jsdelivr.net"


def _serve_api_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def api_docs(user: CurrentUser, request: Request):
        page = get_swagger_ui_html(openapi_url=OPENAPI_URL, title="MAPS API")
        html = page.body.decode()
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            + "'" for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL))
        page.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' {SWAGGER_CDN} {hashes}; "
            f"style-src 'self' 'unsafe-inline' {SWAGGER_CDN}; "
            "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
        return page
