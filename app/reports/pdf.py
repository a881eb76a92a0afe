"""The report as HTML and as an accessible A4 PDF (WeasyPrint), from the templates in
app/templates/report/ and the print stylesheet app/static/report.css."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports.context import ReportContext

APP = Path(__file__).resolve().parent.parent
TEMPLATES = APP / "templates"
STATIC = APP / "static"
PDF_VARIANT = "pdf/ua-1"  # tagged, with the document title shown and language set


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                       trim_blocks=True, lstrip_blocks=True)


_ENV = environment()


def render_html(context: ReportContext, *, charts: bool = True,
                self_contained: bool = False) -> str:
    """The standalone document WeasyPrint lays out. Charts appear as <img> with alt text
    unless `charts` is false; their tables are always there. self_contained puts the
    stylesheet inside, for an HTML file to keep or send."""
    css = (STATIC / "report.css").read_text(encoding="utf-8") if self_contained else None
    return _ENV.get_template("report/report.html").render(report=context, charts=charts,
                                                           mode="pdf", inline_css=css)


def render_web_body(context: ReportContext) -> str:
    """The report's content as a web page shows it, charts as inline SVG. (A page inside the
    app includes report/_body.html itself, with mode="web", in its own Jinja environment;
    this is the same output.)"""
    return _ENV.get_template("report/_body.html").render(report=context, charts=True,
                                                         mode="web")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(STATIC)).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True)


def render_pdf(context: ReportContext, *, charts: bool = True) -> bytes:
    """The report as PDF bytes. charts=False leaves the charts out (their tables stay)."""
    return html_to_pdf(render_html(context, charts=charts))
