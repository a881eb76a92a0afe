"""The report's Plotly figures, built from a round's result: each with alt text giving its
numbers, usable as Plotly JSON on a web page and rendered to SVG for the PDF."""

import base64
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import plotly.graph_objects as go

from app.questionnaires.schema import Questionnaire
from app.recommendations.labels import in_words, label, points
from app.scoring.result import RoundResult
from app.scoring.scores import TagScore

FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"
INK = "#0b0c0c"
GRID = "#b1b4b6"
WIDTH = 680  # CSS pixels; the PDF scales the SVG to the text width
RADAR_HEIGHT = 340
# Bands are told apart by the text label on each bar and by shade and pattern as well as
# colour, so the charts read the same printed in black and white: in grey, strength is
# dark and solid, borderline light and solid, concern hatched (a pattern only on the few
# worst bars: WeasyPrint draws every pattern tile, which costs time). Unknown bands
# (another instrument's) get the neutral style.
BAND_STYLE = {
    "strength": {"colour": "#00703c", "pattern": "", "ink": "white"},
    "borderline": {"colour": "#ffdd00", "pattern": "", "ink": INK},
    "concern": {"colour": "#d4351c", "pattern": "/", "ink": "white"},
}
NEUTRAL = {"colour": "#b1b4b6", "pattern": "x", "ink": INK}


@dataclass(frozen=True)
class Chart:
    id: str  # also the HTML id of its container on a web page
    title: str
    alt: str  # says what the chart shows, with its numbers
    figure: go.Figure
    height: int

    @cached_property
    def json(self) -> str:
        """Plotly JSON for a web page's <script type="application/json"> data block."""
        return self.figure.to_json()

    @property
    def web_json(self) -> str:
        """The JSON made safe inside a script element (no "</script>" can close it)."""
        return self.json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build_charts(result: RoundResult, questionnaire: Questionnaire) -> dict[str, Chart]:
    """The radar of the dimensions and the bars of areas and factors that have scores."""
    tags = result.partnership.tags
    charts = {}
    if scored(tags.get("dimension", {})):
        charts["dimensions"] = dimension_radar(tags["dimension"], questionnaire)
    if scored(tags.get("area", {})):
        areas = f"Scores for the {in_words(len(tags['area']))} areas of factors"
        charts["areas"] = score_bars("areas", "area", areas, tags["area"], questionnaire)
    if scored(tags.get("factor", {})):
        charts["factors"] = score_bars("factors", "factor", "Scores for each factor",
                                       tags["factor"], questionnaire)
    return charts


def scored(values: dict[str, TagScore]) -> list[TagScore]:
    return [s for s in values.values() if s.score is not None]


def _band_cuts(questionnaire: Questionnaire) -> list[tuple[str, float]]:
    """The bands' lower bounds on 0-100, for reference lines (top band first)."""
    bands = questionnaire.bands
    if not bands or bands.basis != "score":
        return []
    return [(b.label, b.min) for b in bands.levels if b.min > 0]


def _describe(values: Iterable[TagScore], tag: str) -> str:
    return "; ".join(f"{label(tag, s.value)} {points(s.score)}"
                     + (f" ({s.band})" if s.band else "") for s in values)


def _layout(height: int, **extra) -> dict:
    return {"template": "none", "width": WIDTH, "height": height,
            "font": dict(family=FONT, size=13, color=INK), "paper_bgcolor": "white",
            "plot_bgcolor": "white", "showlegend": False,
            "margin": dict(l=10, r=10, t=10, b=40), **extra}


def dimension_radar(values: dict[str, TagScore], questionnaire: Questionnaire) -> Chart:
    shown = scored(values)
    names = [label("dimension", s.value) for s in shown]
    scores = [round(s.score, 1) for s in shown]
    theta = [f"{n}<br>{points(s.score)}" + (f" ({s.band})" if s.band else "")
             for n, s in zip(names, shown, strict=True)]
    figure = go.Figure()
    for band, cut in _band_cuts(questionnaire):
        figure.add_trace(go.Scatterpolar(
            r=[cut] * (len(theta) + 1), theta=theta + theta[:1], mode="lines",
            line=dict(color=GRID, dash="dash", width=1), name=f"{band} from {cut:g}",
            hoverinfo="skip"))
    figure.add_trace(go.Scatterpolar(
        r=scores + scores[:1], theta=theta + theta[:1], mode="lines+markers", fill="toself",
        fillcolor="rgba(29, 112, 184, 0.25)", line=dict(color="#1d70b8", width=3),
        marker=dict(size=9, symbol="square"), name="Whole partnership",
        hovertemplate="%{theta}: %{r:.0f}<extra></extra>"))
    figure.update_layout(**_layout(
        RADAR_HEIGHT, polar=dict(bgcolor="white",
            radialaxis=dict(range=[0, 100], tickvals=[0, 25, 50, 70, 100], angle=90,
                            gridcolor=GRID, linecolor=GRID, tickfont=dict(size=11)),
            angularaxis=dict(gridcolor=GRID, linecolor=INK, direction="clockwise",
                             rotation=90)),
        margin=dict(l=130, r=130, t=50, b=30)))
    cuts = ", ".join(f"{b} from {c:g}" for b, c in _band_cuts(questionnaire))
    alt = (f"Radar chart of the {in_words(len(shown))} dimensions of multi-agency working, each "
           f"scored 0 to 100 (higher is better): {_describe(shown, 'dimension')}."
           + (f" Dashed rings mark the bands: {cuts}." if cuts else ""))
    return Chart(id="dimensions", title=f"The {in_words(len(values))} dimensions", alt=alt,
                 figure=figure, height=RADAR_HEIGHT)


def score_bars(chart_id: str, tag: str, title: str, values: dict[str, TagScore],
               questionnaire: Questionnaire) -> Chart:
    shown = scored(values)
    names = [label(tag, s.value) for s in shown]
    figure = go.Figure()
    # One trace per band: a pattern takes a single colour per trace.
    for band in dict.fromkeys(s.band for s in shown):
        style = BAND_STYLE.get(band or "", NEUTRAL)
        members = [(n, s) for n, s in zip(names, shown, strict=True) if s.band == band]
        figure.add_trace(go.Bar(
            x=[round(s.score, 1) for _, s in members], y=[n for n, _ in members],
            orientation="h", name=band or "score", cliponaxis=False,
            text=[f"{points(s.score)}" + (f"  {band}" if band else "") for _, s in members],
            textposition="outside", textfont=dict(size=12, color=INK),
            marker=dict(color=style["colour"], line=dict(color=INK, width=1),
                        pattern=dict(shape=style["pattern"], fillmode="overlay",
                                     fgcolor=style["ink"], size=8, solidity=0.3)),
            hovertemplate="%{y}: %{x:.0f}<extra></extra>"))
    for band, cut in _band_cuts(questionnaire):
        figure.add_vline(x=cut, line=dict(color="#505a5f", dash="dash", width=1), layer="below",
                         annotation=dict(text=f"{band} {cut:g}", font=dict(size=11),
                                         yanchor="bottom"),
                         annotation_position="top")
    height = 90 + 30 * len(shown)
    figure.update_layout(**_layout(
        height, bargap=0.3, barmode="overlay", margin=dict(l=10, r=110, t=30, b=40),
        xaxis=dict(range=[0, 100], dtick=10, gridcolor=GRID, zeroline=True,
                   zerolinecolor=INK, title=dict(text="Score, 0 to 100 (higher is better)")),
        yaxis=dict(categoryorder="array", categoryarray=names, autorange="reversed",
                   automargin=True, ticklabelstandoff=8)))
    alt = (f"Bar chart of {len(shown)} {tag} scores, 0 to 100 (higher is better), with "
           f"each bar labelled by its score and band: {_describe(shown, tag)}.")
    return Chart(id=chart_id, title=title, alt=alt, figure=figure, height=height)


# --- Static rendering -----------------------------------------------------------------

class ChartRenderingError(RuntimeError):
    pass


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
RENDER_TIMEOUT = 60.0  # seconds for one chart, Chromium start-up included


def find_browser() -> str:
    """Debian's Chromium (or BROWSER_PATH); kaleido must never download one."""
    path = os.environ.get("BROWSER_PATH") or next(
        (found for name in BROWSERS if (found := shutil.which(name))), None)
    if not path or not os.access(path, os.X_OK):
        raise ChartRenderingError("Chromium was not found"
                                  + (f" at BROWSER_PATH={path}" if path else " on PATH"))
    return path


@contextmanager
def svg_renderer() -> Iterator[None]:
    """Keep one kaleido (Chromium) server running while any caller in this process needs
    it: the first to enter starts it, the last to leave stops it. A server started by
    someone else (kaleido.start_sync_server) is used and left running."""
    _enter()
    try:
        yield
    finally:
        _leave()


_STATE = threading.Lock()  # guards the fields below
_CALL = threading.Lock()  # kaleido's sync server answers one call at a time, in order
_users = 0
_owned_hook = None  # the excepthook to restore, while we own the server
_SERVER_ERRORS: list[BaseException] = []


def _enter() -> None:
    global _users, _owned_hook
    import kaleido

    with _STATE:
        if _users == 0 and not (_server() and _server().is_running()):
            # kaleido reads BROWSER_PATH when its server starts, in a thread of its own;
            # if that thread fails, keep its error for our message, not a traceback.
            os.environ["BROWSER_PATH"] = find_browser()
            previous = threading.excepthook

            def keep_server_error(args) -> None:
                if args.thread is getattr(_server(), "_thread", None):
                    _SERVER_ERRORS.append(args.exc_value)
                else:
                    previous(args)

            threading.excepthook = keep_server_error
            _owned_hook = previous
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _users += 1


def _leave() -> None:
    global _users, _owned_hook
    import kaleido

    with _STATE:
        _users -= 1
        if _users == 0 and _owned_hook is not None:
            kaleido.stop_sync_server(silence_warnings=True)
            threading.excepthook = _owned_hook
            _owned_hook = None
            _SERVER_ERRORS.clear()


def _server():
    import kaleido

    return getattr(kaleido, "_global_server", None)


def to_svg(chart: Chart) -> bytes:
    """The chart as SVG through the running kaleido server (see svg_renderer).

    kaleido's sync call waits forever if its server thread died while starting Chromium,
    so the call runs in a worker thread watched here."""
    import kaleido

    if not (_server() and _server().is_running()):
        with svg_renderer():
            return to_svg(chart)
    box: dict = {}

    def work() -> None:
        try:
            with _CALL:
                box["svg"] = kaleido.calc_fig_sync(
                    chart.figure, opts=dict(format="svg", width=WIDTH, height=chart.height))
        except Exception as exc:  # kaleido raises many kinds; the caller needs one
            box["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    deadline = time.monotonic() + RENDER_TIMEOUT
    while worker.is_alive():
        worker.join(0.02)
        server_thread = getattr(_server(), "_thread", None)
        if worker.is_alive() and server_thread is not None and not server_thread.is_alive():
            cause = (f" ({str(_SERVER_ERRORS[-1].args[0]).rstrip('.')})"
                     if _SERVER_ERRORS and _SERVER_ERRORS[-1].args else "")
            raise ChartRenderingError(f"could not draw the {chart.id} chart: Chromium did "
                                      f"not start{cause}")
        if time.monotonic() > deadline:
            raise ChartRenderingError(f"could not draw the {chart.id} chart: timed out")
    if "error" in box:
        raise ChartRenderingError(f"could not draw the {chart.id} chart: {box['error']}")
    return box["svg"]


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
