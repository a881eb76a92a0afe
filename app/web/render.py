"""The Jinja environment (app templates plus GOV.UK Frontend macros) and page rendering."""

from pathlib import Path

from fastapi import Request
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.responses import Response

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
    )
    # Root-relative, so pages work unchanged behind a proxy or load balancer.
    env.globals["static"] = lambda path: f"/static/{path}"
    return Jinja2Blocks(env=env)


def is_htmx(request: Request) -> bool:
    # A history restore wants the whole page back, not the fragment.
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(request: Request, template: str, context: dict | None = None, *,
           status_code: int = 200, block: str | None = None) -> Response:
    """Render a page, or only `block` of it when htmx asked for a fragment."""
    templates: Jinja2Blocks = request.app.state.templates
    response = templates.TemplateResponse(
        request, template, context or {}, status_code=status_code,
        block_name=block if block and is_htmx(request) else None,
    )
    # Pages may answer htmx differently, so caches must key on the header.
    response.headers["Vary"] = "HX-Request"
    return response
