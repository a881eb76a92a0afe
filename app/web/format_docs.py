"""The questionnaire format's documentation (docs/questionnaires.md) as a page of the app, and
its JSON Schema, so the upload page and the validator's messages can link to them."""

import re
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

FORMAT_DOC = Path(__file__).resolve().parents[2] / "docs" / "questionnaires.md"


def slug(text: str) -> str:
    """A heading's anchor, as GitHub makes it: "Bringing a published instrument" is
    bringing-a-published-instrument."""
    return re.sub(r"[^a-z0-9 _-]", "", text.lower()).strip().replace(" ", "-")


def _heading(renderer, tokens, index, options, env) -> str:
    tokens[index].attrSet("id", slug(tokens[index + 1].content))
    return renderer.renderToken(tokens, index, options, env)


def _table(renderer, tokens, index, options, env) -> str:
    # A wide table scrolls in its own focusable region, never the page (maps.css).
    return ('<div class="maps-table-region" role="region" tabindex="0" aria-label="Table">'
            + renderer.renderToken(tokens, index, options, env))


def _table_end(renderer, tokens, index, options, env) -> str:
    return renderer.renderToken(tokens, index, options, env) + "</div>"


@cache
def format_doc() -> Markup:
    """docs/questionnaires.md as HTML: our own text, rendered without raw HTML."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("table_open", _table)
    md.add_render_rule("table_close", _table_end)
    return Markup(md.render(FORMAT_DOC.read_text(encoding="utf-8")))
