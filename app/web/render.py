"""The Jinja environment (app templates plus GOV.UK Frontend macros) and page rendering."""

from pathlib import Path

from fastapi import Request
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.responses import Response

from app.clock import uk_time
from app.web import csrf

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def make_templates() -> Jinja2Blocks:
    env = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(TEMPLATES),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change only with a release (and a restart): without this, every render
        # checks each template file it uses, and every GOV.UK macro, on disk.
        auto_reload=False,
    )
    # Root-relative, so pages work unchanged behind a proxy or load balancer.
    env.globals["static"] = lambda path: f"/static/{path}"
    env.globals["csrf_token"] = _csrf_token
    env.globals["uk_time"] = uk_time  # every time shown is on the UK clock (app/clock.py)
    env.filters["score"] = score
    return Jinja2Blocks(env=env)


def score(value: float | None) -> Markup:
    """A 0-100 score as a table shows it: whole (rounded as Jinja's round filter does), or a
    dash for none. A filter rather than a macro: the comparison page shows hundreds, and a
    macro call costs many times a function's."""
    if value is None:
        return Markup('<span class="govuk-hint">–</span>')
    return Markup(int(round(value)))


def _csrf_token(request: Request) -> str:
    # No session (an error before the session middleware ran): no form can be posted.
    return csrf.token(request) if "session" in request.scope else ""


def is_htmx(request: Request) -> bool:
    # A history restore wants the whole page back, not the fragment.
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def navigation(request: Request) -> list[dict]:
    """The service navigation for the signed-in user (request.state.viewer, set by
    web/access.py)."""
    user = getattr(request.state, "viewer", None)
    if user is None:
        return []
    links = [("Dashboard", "/dashboard")]
    if user.role == "org_admin":
        links += [("Compare partnerships", "/compare"),
                  ("People", f"/organisations/{user.organisation_id}"), ("Audit log", "/audit")]
    elif user.role == "site_admin":
        links += [("Audit log", "/audit")]
    path = request.url.path
    return [{"text": text, "href": href, "current": path == href,
             "active": path != href and path.startswith(href + "/")} for text, href in links]


def flash(request: Request, message: str) -> None:
    """A message for the next page this browser sees (after a redirect)."""
    request.session["flash"] = message


def render(request: Request, template: str, context: dict | None = None, *,
           status_code: int = 200, block: str | None = None) -> Response:
    """Render a page, or only `block` of it when htmx asked for a fragment."""
    templates: Jinja2Blocks = request.app.state.templates
    context = dict(context or {})
    context.setdefault("current_user", getattr(request.state, "viewer", None))
    context.setdefault("navigation", navigation(request))
    wants_fragment = bool(block) and is_htmx(request)
    # Read through the scope, so a page without a message does not vary by cookie.
    if not wants_fragment and "flash" in request.scope.get("session", {}):
        context.setdefault("flash", request.session.pop("flash"))
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code,
        block_name=block if wants_fragment else None,
    )
    # Pages may answer htmx differently, so caches must key on the header.
    response.headers["Vary"] = "HX-Request"
    return response
