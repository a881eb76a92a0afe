"""The report as HTML and as an accessible A4 PDF (WeasyPrint), from the templates in
app/templates/report/ and the print stylesheet app/static/report.css."""

import re
from html import unescape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML

from app.reports.context import ReportContext

APP = Path(__file__).resolve().parent.parent
TEMPLATES = APP / "templates"
STATIC = APP / "static"
# PDF/UA-1, held to the Matterhorn conditions the tests can read with pypdf
# (tests/test_report_pdf.py): tagged and marked, the title shown, the language set, the
# PDF/UA identifier in the metadata, every TH with a /Scope, every figure with /Alt, every
# link with readable /Contents, every font embedded.
PDF_VARIANT = "pdf/ua-1"
_LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"[^>]*>(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]+>")


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                       trim_blocks=True, lstrip_blocks=True)


_ENV = environment()


def warm() -> None:
    """Compile the report's templates (about half a second, once per process), so the first
    report anyone asks for does not wait for it."""
    for template in (TEMPLATES / "report").glob("*.html"):
        _ENV.get_template(f"report/{template.name}")


def render_html(context: ReportContext, *, charts: bool = True, appendix: bool = False,
                self_contained: bool = False) -> str:
    """The standalone document WeasyPrint lays out. Charts appear as <img> with alt text
    unless `charts` is false; their tables are always there. `appendix` adds the answers to
    every question. self_contained puts the stylesheet inside, for an HTML file to keep."""
    css = (STATIC / "report.css").read_text(encoding="utf-8") if self_contained else None
    return _ENV.get_template("report/report.html").render(
        report=context, charts=charts, appendix=appendix, mode="pdf", inline_css=css)


def render_web_body(context: ReportContext) -> str:
    """The report's content as a web page shows it, charts as inline SVG. (A page inside the
    app includes report/_body.html itself, with mode="web", in its own Jinja environment;
    this is the same output.)"""
    return _ENV.get_template("report/_body.html").render(report=context, charts=True,
                                                         mode="web", appendix=False)


def link_texts(html: str) -> dict[str, str]:
    """Each link target's words as the document shows them, for the links' /Contents."""
    texts: dict[str, str] = {}
    for href, inner in _LINK.findall(html):
        words = " ".join(unescape(_TAG.sub(" ", inner)).split())
        target = unescape(href).removeprefix("#")
        if words and target not in texts:
            texts[target] = words
    return texts


def _finisher(links: dict[str, str]):
    """Fills in what WeasyPrint's tagged PDF leaves out: a /Scope on every TH (Column in a
    table's head, Row in its body) and readable /Contents on every link, in place of the
    raw anchor id it writes."""
    import pydyf

    def finish(document, pdf) -> None:
        objects = pdf.objects

        def parent(element):
            ref = element.get("P")
            raw = ref.decode() if isinstance(ref, bytes) else str(ref)
            number = int(raw.split()[0]) if ref else None
            return objects[number] if number is not None and number < len(objects) else None

        for obj in objects:
            if not isinstance(obj, pydyf.Dictionary):
                continue
            if obj.get("Type") == "/StructElem" and obj.get("S") == "/TH":
                row = parent(obj)
                group = parent(row) if row is not None else None
                in_head = group is not None and group.get("S") == "/THead"
                obj["A"] = pydyf.Dictionary({"O": "/Table",
                                             "Scope": "/Column" if in_head else "/Row"})
            elif obj.get("Subtype") == "/Link" and "Contents" in obj:
                target = obj.get("Dest")
                uri = obj["A"].get("URI") if "A" in obj else None
                key = str(getattr(uri if uri is not None else target, "string", ""))
                words = links.get(key)
                obj["Contents"] = pydyf.String(
                    f"Go to {words}" if words and target else words or f"Link to {key}")
    return finish


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(STATIC)).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True, finisher=_finisher(link_texts(html)))


def render_pdf(context: ReportContext, *, charts: bool = True, appendix: bool = False
               ) -> bytes:
    """The report as PDF bytes. charts=False leaves the charts out (their tables stay);
    appendix=True adds the answers to every question."""
    return html_to_pdf(render_html(context, charts=charts, appendix=appendix))
