"""The report as HTML and as an accessible A4 PDF (WeasyPrint), from the templates in
app/templates/report/ and the print stylesheet app/static/report.css."""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.reports.charts import svg_data_uri, svg_renderer, to_svg
from app.reports.context import ReportContext

APP = Path(__file__).resolve().parent.parent
TEMPLATES = APP / "templates"
STATIC = APP / "static"
PDF_VARIANT = "pdf/ua-1"  # tagged, with the document title shown and language set


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                       trim_blocks=True, lstrip_blocks=True)


_ENV = environment()


def render_html(context: ReportContext, *, svgs: Mapping[str, str] | None = None,
                self_contained: bool = False) -> str:
    """The standalone document WeasyPrint lays out. Charts appear as <img> with alt text
    when `svgs` (chart id -> data URI) has them; their tables are always there.
    self_contained puts the stylesheet inside, for an HTML file to keep or send."""
    css = (STATIC / "report.css").read_text(encoding="utf-8") if self_contained else None
    return _ENV.get_template("report/report.html").render(report=context, svgs=svgs or {},
                                                           mode="pdf", inline_css=css)


def render_web_body(context: ReportContext) -> str:
    """The report's content as a web page shows it, charts as Plotly JSON data blocks for
    app/static/charts.js. (A page inside the app includes report/_body.html itself, with
    mode="web", in its own Jinja environment; this is the same output.)"""
    return _ENV.get_template("report/_body.html").render(report=context, svgs={}, mode="web")


def chart_images(context: ReportContext) -> dict[str, str]:
    """Each chart as an SVG data URI. Call inside charts_session() for a batch."""
    with svg_renderer():
        return {chart_id: svg_data_uri(to_svg(chart))
                for chart_id, chart in context.charts.items()}


@contextmanager
def charts_session() -> Iterator[None]:
    """One Chromium for a batch of reports (starting one costs seconds)."""
    with svg_renderer():
        yield


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(STATIC)).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True)


def render_pdf(context: ReportContext, *, charts: bool = True) -> bytes:
    """The report as PDF bytes. charts=False leaves the charts out (their tables stay)."""
    svgs = chart_images(context) if charts else {}
    return html_to_pdf(render_html(context, svgs=svgs))


def render_pdfs(contexts: Iterable[ReportContext]) -> Iterator[bytes]:
    """Many reports through one chart renderer."""
    with charts_session():
        for context in contexts:
            yield render_pdf(context)
