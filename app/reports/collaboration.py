"""The collaboration map as the results page and the report show it: the agency x agency
table, a network drawn as SVG by the app (for the PDF and pages without JavaScript) and the
same network as a Plotly figure, which the page's vendored plotly.js draws when asked. All
three read the one CollaborationMap (app/scoring/collaboration.py), so they carry the same
figures, and only what its anonymity rule shows."""

import json
import math
from dataclasses import dataclass

from markupsafe import escape

from app.reports.charts import (
    FONT,
    FONT_SIZE,
    GRID,
    INK,
    LINE,
    SUBTLE,
    WIDTH,
    Chart,
    _fit,
    text_width,
)
from app.scoring.collaboration import CollaborationMap
from app.scoring.thresholds import ISOLATED_BELOW

HEIGHT = 420
RADIUS = 140  # of the circle the agencies sit on
LABEL_WIDTH = 165  # an agency's name beside its point, in at most two lines
ASYMMETRIC = "#d4351c"
NOT_ASKED = "–"


@dataclass(frozen=True)
class TableCell:
    text: str  # "3.3 Coordination (n=4)", "withheld: fewer than 3 ratings", NOT_ASKED, blank
    mean: float | None
    asymmetric: bool = False


@dataclass(frozen=True)
class TableRow:
    rater: str
    cells: tuple[TableCell, ...]  # one per agency of the roster, the rater's own blank


@dataclass(frozen=True)
class Tie:
    first: str
    second: str
    text: str  # both directions in words, for the chart's tooltips and alt text
    strength: float  # the mean of the shown ratings either way
    asymmetric: bool


@dataclass(frozen=True)
class CollaborationSection:
    map: CollaborationMap
    rows: tuple[TableRow, ...]
    ties: tuple[Tie, ...]
    chart: Chart  # the network, drawn by the app
    figure: str  # the same network as Plotly figure JSON

    @property
    def levels(self):
        return self.map.levels


def build_collaboration(found: CollaborationMap | None) -> CollaborationSection | None:
    if found is None:
        return None
    flagged = {frozenset((p.first, p.second)) for p in found.asymmetric}
    rows = tuple(TableRow(rater, tuple(
        _table_cell(found, rater, target, frozenset((rater, target)) in flagged)
        for target in found.agencies)) for rater in found.raters)
    ties = tuple(Tie(first, second, _tie_text(found, first, second, shown),
                     sum(c.mean for c in shown) / len(shown),
                     frozenset((first, second)) in flagged)
                 for first, second, shown in found.ties()
                 # No line for "no interaction": the network draws contact, not its absence.
                 if max(c.mean for c in shown) >= ISOLATED_BELOW)
    positions = _circle(found.agencies)
    return CollaborationSection(map=found, rows=rows, ties=ties,
                                chart=_network_svg(found, ties, positions),
                                figure=_network_figure(found, ties, positions))


def _table_cell(found: CollaborationMap, rater: str, target: str,
                asymmetric: bool) -> TableCell:
    cell = found.cell(rater, target)
    if rater == target:
        return TableCell("", None)
    if cell is None:  # the merged row of one agency, and that agency: nobody was asked
        return TableCell(NOT_ASKED, None)
    if cell.withheld:
        return TableCell(f"withheld: fewer than {found.threshold} ratings", None)
    return TableCell(f"{cell.mean:.1f} {found.level_label(cell.mean)} (n={cell.n})", cell.mean,
                     asymmetric)


def _rating_words(found: CollaborationMap, rater: str, target: str) -> str | None:
    cell = found.cell(rater, target)
    if cell is None or not cell.shown:
        return None
    return f"{rater} rates {target} {cell.mean:.1f} ({found.level_label(cell.mean)})"


def _tie_text(found: CollaborationMap, first: str, second: str, shown) -> str:
    words = [w for w in (_rating_words(found, first, second),
                         _rating_words(found, second, first)) if w]
    return "; ".join(words)


def _circle(agencies: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Each agency's place on a circle, the first at the top, then clockwise: x right, y up."""
    count = len(agencies)
    return {name: (math.cos(math.pi / 2 - 2 * math.pi * n / count),
                   math.sin(math.pi / 2 - 2 * math.pi * n / count))
            for n, name in enumerate(agencies)}


def _side(dx: float, dy: float) -> tuple[str, str]:
    """Where an agency's label goes beside its point: outwards from the circle's centre."""
    vertical = "top" if dy > 0.3 else "bottom" if dy < -0.3 else "middle"
    horizontal = "center" if abs(dx) < 0.3 else "right" if dx > 0 else "left"
    return vertical, horizontal


def _width(strength: float, found: CollaborationMap) -> float:
    top = max((lv.value for lv in found.levels), default=5) or 5
    return 1 + 7 * max(strength, 0) / top


def _alt(found: CollaborationMap, ties: tuple[Tie, ...]) -> str:
    parts = [f"Network of the {len(found.agencies)} agencies: a line joins two agencies "
             "when a rating shown of either by the other is networking or above, thicker for "
             "a higher level."]
    parts += [t.text + (" (asymmetric)" if t.asymmetric else "") + "." for t in ties]
    if found.isolated:
        parts.append("Isolated: " + ", ".join(found.isolated) + ".")
    return " ".join(parts)


def _network_svg(found: CollaborationMap, ties: tuple[Tie, ...],
                 positions: dict[str, tuple[float, float]]) -> Chart:
    cx, cy = WIDTH / 2, HEIGHT / 2 - 10

    def at(name: str) -> tuple[float, float]:
        x, y = positions[name]
        return cx + RADIUS * x, cy - RADIUS * y

    parts = []
    for tie in ties:
        (x1, y1), (x2, y2) = at(tie.first), at(tie.second)
        colour, dash = (ASYMMETRIC, ' stroke-dasharray="8 5"') if tie.asymmetric else (LINE, "")
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{colour}" stroke-width="{_width(tie.strength, found):.1f}"'
                     f'{dash} stroke-linecap="round"><title>{escape(tie.text)}</title></line>')
    for name in found.agencies:
        x, y = at(name)
        isolated = name in found.isolated
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" '
                     f'fill="{"white" if isolated else INK}" stroke="{INK}" stroke-width="2">'
                     f'<title>{escape(name)}</title></circle>')
        dx, dy = positions[name]
        anchor = {"center": "middle", "right": "start", "left": "end"}[_side(dx, dy)[1]]
        lines = _fit(name + (" (isolated)" if isolated else ""), LABEL_WIDTH)
        lx = x + 16 * dx
        ly = y - 16 * dy + (4 if abs(dy) < 0.3 else (-4 - 15 * (len(lines) - 1) if dy > 0
                                                    else 14))
        parts += [f'<text x="{lx:.1f}" y="{ly + 15 * n:.1f}" text-anchor="{anchor}" '
                  f'font-weight="bold">{escape(line)}</text>' for n, line in enumerate(lines)]
    key_y = HEIGHT - 16
    parts.append(f'<line x1="20" y1="{key_y - 4}" x2="60" y2="{key_y - 4}" stroke="{LINE}" '
                 'stroke-width="4"/>')
    parts.append(f'<text x="66" y="{key_y}" fill="{SUBTLE}">Ratings shown</text>')
    x = 66 + text_width("Ratings shown") + 24
    parts.append(f'<line x1="{x:.1f}" y1="{key_y - 4}" x2="{x + 40:.1f}" y2="{key_y - 4}" '
                 f'stroke="{ASYMMETRIC}" stroke-width="4" stroke-dasharray="8 5"/>')
    parts.append(f'<text x="{x + 46:.1f}" y="{key_y}" fill="{SUBTLE}">Asymmetric: two or more '
                 'levels apart</text>')
    alt = _alt(found, ties)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" '
           f'id="chart-collaboration" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
           f'height="{HEIGHT}" role="img" aria-labelledby="chart-collaboration-title" '
           f'font-family="{FONT}" font-size="{FONT_SIZE}" fill="{INK}">'
           f'<title id="chart-collaboration-title">{escape(alt)}</title>'
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white" stroke="{GRID}"/>'
           + "".join(parts) + "</svg>")
    return Chart(id="collaboration", title="How the agencies work with each other", alt=alt,
                 svg=svg, height=HEIGHT)


def _network_figure(found: CollaborationMap, ties: tuple[Tie, ...],
                    positions: dict[str, tuple[float, float]]) -> str:
    """The network as a Plotly figure (JSON): one line trace per tie, hovering with both
    ratings, and the agencies as labelled points, isolated ones hollow."""
    import plotly.graph_objects as go  # only the results page and the report need it

    # Traces as plain data, checked by plotly once as the figure is made (adding them one
    # by one re-checks the whole figure each time).
    lines = []
    for tie in ties:
        (x1, y1), (x2, y2) = positions[tie.first], positions[tie.second]
        lines.append({
            "type": "scatter", "x": [x1, (x1 + x2) / 2, x2], "y": [y1, (y1 + y2) / 2, y2],
            "mode": "lines", "hoverinfo": "text", "text": [tie.text] * 3, "showlegend": False,
            "line": {"width": _width(tie.strength, found),
                     "color": ASYMMETRIC if tie.asymmetric else LINE,
                     "dash": "dash" if tie.asymmetric else "solid"}})
    names = list(found.agencies)
    points = {
        "type": "scatter", "x": [positions[n][0] for n in names],
        "y": [positions[n][1] for n in names], "mode": "markers+text",
        "text": [n + (" (isolated)" if n in found.isolated else "") for n in names],
        "textposition": [" ".join(_side(*positions[n])) for n in names],
        "hovertext": [_node_text(found, n) for n in names], "hoverinfo": "text",
        "marker": {"size": 18, "color": ["white" if n in found.isolated else INK for n in names],
                   "line": {"width": 2, "color": INK}},
        "showlegend": False}
    axis = {"visible": False, "range": [-1.6, 1.6], "fixedrange": True}
    figure = go.Figure(data=[*lines, points], layout={
        "xaxis": axis, "yaxis": {**axis, "scaleanchor": "x"}, "height": HEIGHT,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "plot_bgcolor": "white",
        "paper_bgcolor": "white", "font": {"family": FONT, "size": FONT_SIZE, "color": INK},
        "hovermode": "closest"})
    # Read from a <script type="application/json"> block: no "<" may close it early.
    return json.dumps(json.loads(figure.to_json()), separators=(",", ":")).replace("<", "\\u003c")


def _node_text(found: CollaborationMap, name: str) -> str:
    given = [c for c in found.cells if c.rater == name and c.shown]
    received = [c for c in found.cells if c.target == name and c.shown]
    return (f"{name}: {len(given)} rating(s) of others shown, {len(received)} of it"
            + (" (isolated)" if name in found.isolated else ""))
