"""The report's charts, drawn here as SVG from a round's result: the same drawing is put in
the web page (inline) and in the PDF (as an image with alt text), each with alt text giving
its numbers. No browser and no JavaScript are needed to draw them."""

import base64
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from markupsafe import escape

from app.questionnaires.schema import Questionnaire
from app.recommendations.labels import in_words, points
from app.scoring.result import RoundResult
from app.scoring.scores import TagScore

FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"
INK = "#0b0c0c"
GRID = "#b1b4b6"
SUBTLE = "#505a5f"
LINE = "#1d70b8"
WIDTH = 680  # user units; the page and the PDF scale the drawing to the text width
RADAR_HEIGHT = 290
FONT_SIZE = 13
ROW = 30  # one bar and the gap below it
# Bands are told apart by the text label beside each bar and by shade and pattern as well
# as colour, so the charts read the same printed in black and white: in grey, strength is
# dark and solid, borderline light and solid, concern hatched. Unknown bands (another
# instrument's) get the neutral style, cross-hatched.
BAND_STYLE = {
    "strength": {"colour": "#00703c", "hatch": None},
    "borderline": {"colour": "#ffdd00", "hatch": None},
    "concern": {"colour": "#d4351c", "hatch": "diagonal"},
}
NEUTRAL = {"colour": "#b1b4b6", "hatch": "cross"}


@dataclass(frozen=True)
class Chart:
    id: str  # also the HTML id of its drawing on a web page
    title: str
    alt: str  # says what the chart shows, with its numbers
    svg: str  # the drawing: one <svg> element
    height: int

    @cached_property
    def data_uri(self) -> str:
        """The drawing as an image source, for the PDF (WeasyPrint gives an <img> its alt
        text in the tagged PDF; an inline <svg> would get none)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def build_charts(result: RoundResult, questionnaire: Questionnaire) -> dict[str, Chart]:
    """The radar of the dimensions and the bars of areas and factors that have figures."""
    tags = result.partnership.tags
    charts = {}
    if scored(tags.get("dimension", {})):
        charts["dimensions"] = dimension_radar(tags["dimension"], questionnaire)
    if scored(tags.get("area", {})):
        areas = f"Scores for the {in_words(len(tags['area']))} areas"
        charts["areas"] = score_bars("areas", "area", areas, tags["area"], questionnaire)
    if scored(tags.get("factor", {})):
        charts["factors"] = score_bars("factors", "factor", "Scores for each factor",
                                       tags["factor"], questionnaire)
    return charts


def scored(values: dict[str, TagScore]) -> list[TagScore]:
    return [s for s in values.values() if s.headline is not None]


@dataclass(frozen=True)
class Axis:
    """How a chart places its figures (each as the fraction of its range it reaches) and
    what it labels: ticks and band cuts as (fraction, text), in the instrument's terms."""

    caption: str  # under the axis: "Mean, 1 to 5 (higher is better)"
    ticks: tuple[tuple[float, str], ...]
    cuts: tuple[tuple[float, str], ...]  # (fraction, "strength 4") of each band's lower bound


def axis_for(values: Sequence[TagScore], questionnaire: Questionnaire, tag: str) -> Axis:
    """The axis the figures share: 0 to 100, the scale of a mean, or the range of a total;
    totals over groups of different sizes share none, so each bar is its own range."""
    figures = [s.headline for s in values]
    kinds = {(f.basis, f.low, f.high) for f in figures}
    if len(kinds) != 1:
        return Axis("Each bar runs from the lowest possible total to the highest "
                    "(higher is better)", ((0.0, "lowest"), (1.0, "highest")), ())
    basis, low, high = kinds.pop()
    span = high - low
    # A tick at every ten points of a score, at each point of a short scale (1 to 5), else a
    # round step.
    step = 10 if basis == "score" else 1 if basis == "mean" and span <= 10 else _step(span)
    first = math.ceil(low / step) * step
    ticks = tuple(((v - low) / span, f"{v:g}") for v in _range(first, high, step))
    bands = questionnaire.bands_for(tag)
    cuts = () if bands is None or bands.basis != basis else tuple(
        ((b.min - low) / span, f"{b.label} {b.min:g}") for b in bands.levels if low < b.min)
    name = {"score": "Score", "mean": "Mean", "total": "Total"}[basis]
    return Axis(f"{name}, {low:g} to {high:g} (higher is better)", ticks, cuts)


def _step(span: float) -> float:
    """A tick step giving at most eight intervals: 1, 2 or 5 times a power of ten."""
    for power in range(-3, 6):
        for base in (1, 2, 5):
            if span / (base * 10 ** power) <= 8:
                return base * 10 ** power
    return span


def _range(first: float, last: float, step: float) -> list[float]:
    count = int(math.floor((last - first) / step + 1e-9)) + 1
    return [round(first + n * step, 6) for n in range(max(count, 0))]


def _describe(values: Iterable[TagScore]) -> str:
    return "; ".join(f"{s.label} {_scored_text(s)}" for s in values)


def _scored_text(score: TagScore) -> str:
    return score.headline.number + (f" ({score.band})" if score.band else "")


# --- Dimension radar ------------------------------------------------------------------

def dimension_radar(values: dict[str, TagScore], questionnaire: Questionnaire) -> Chart:
    shown = scored(values)
    axis = axis_for(shown, questionnaire, "dimension")
    ring_text = ", ".join(text.replace(" ", " from ", 1) for _, text in axis.cuts)
    title = f"The {in_words(len(values))} dimensions"
    alt = (f"Radar chart of the {in_words(len(shown))} dimensions, "
           f"{axis.caption[0].lower()}{axis.caption[1:]}: {_describe(shown)}."
           + (f" Dashed rings mark the bands: {ring_text}." if ring_text else ""))
    if len(shown) < 3:  # a radar needs three corners; fewer scores read better as bars
        bars = score_bars("dimensions", "dimension", title, values,
                          questionnaire)
        return Chart(id=bars.id, title=bars.title, alt=alt, svg=bars.svg, height=bars.height)
    cx, cy, radius = WIDTH / 2, 180, 130
    angles = [-math.pi / 2 + 2 * math.pi * n / len(shown) for n in range(len(shown))]

    def at(fraction: float, angle: float) -> tuple[float, float]:
        return (cx + radius * fraction * math.cos(angle),
                cy + radius * fraction * math.sin(angle))

    def ring(fraction: float) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(fraction, a) for a in angles))

    # Every other tick as a ring (a ring at each would crowd the middle), the top always.
    rings = {round(f, 6): text for f, text in axis.ticks[::2] + axis.ticks[-1:] if f > 0}
    cut_at = {round(f, 6) for f, _ in axis.cuts}
    parts = [f'<polygon points="{ring(r)}" fill="none" stroke="{GRID}" stroke-width="1"'
             + (' stroke-dasharray="5 4"' if r in cut_at else "") + "/>"
             for r in sorted(set(rings) | cut_at)]
    parts += [f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}" '
              'stroke-width="1"/>' for x, y in (at(1, a) for a in angles)]
    for r, text in sorted(rings.items()):
        parts += _on_white(cx + 5, cy - radius * r + 4, text, size=11, fill=SUBTLE)
    corners = [at(s.headline.fraction, a) for s, a in zip(shown, angles, strict=True)]
    parts.append(f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in corners)}" '
                 f'fill="{LINE}" fill-opacity="0.25" stroke="{LINE}" stroke-width="3" '
                 'stroke-linejoin="round"/>')
    for score, angle, (x, y) in zip(shown, angles, corners, strict=True):
        name = score.label
        parts.append(f'<rect x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" '
                     f'fill="{LINE}"><title>{escape(name)}: {_scored_text(score)}</title></rect>')
        lx, ly = at(1.14, angle)
        anchor = "middle" if abs(math.cos(angle)) < 0.3 else (
            "start" if math.cos(angle) > 0 else "end")
        top = ly - 18 if math.sin(angle) < -0.3 else ly + 4 if math.sin(angle) > 0.3 else ly - 6
        parts.append(_text(lx, top, name, anchor=anchor, weight="bold"))
        parts.append(_text(lx, top + 17, _scored_text(score), anchor=anchor))
    return Chart(id="dimensions", title=title, alt=alt,
                 svg=_svg("dimensions", alt, RADAR_HEIGHT, parts), height=RADAR_HEIGHT)


# --- Score bars -------------------------------------------------------------------------

def score_bars(chart_id: str, tag: str, title: str, values: dict[str, TagScore],
               questionnaire: Questionnaire) -> Chart:
    shown = scored(values)
    axis = axis_for(shown, questionnaire, tag)
    names = [_fit(s.label, 260) for s in shown]
    left = max(120, min(280, max(text_width(line) for lines in names for line in lines) + 14))
    right, top, bottom = 110, 36, 54
    height = top + ROW * len(shown) + bottom
    plot = WIDTH - left - right

    def x_of(fraction: float) -> float:
        return left + plot * fraction

    # The axis from its lowest point, whether or not a tick falls there (a total from 35).
    parts = [_hatches(chart_id), f'<line x1="{left}" y1="{top}" x2="{left}" '
                                 f'y2="{height - bottom}" stroke="{INK}" stroke-width="1"/>']
    for fraction, text in axis.ticks:
        x = x_of(fraction)
        if fraction > 0:
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" '
                         f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(x, height - bottom + 16, text, anchor="middle", size=11))
    parts.append(_text(left + plot / 2, height - 10, axis.caption, anchor="middle"))
    for fraction, text in axis.cuts:
        x = x_of(fraction)
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - bottom}" '
                     f'stroke="{SUBTLE}" stroke-width="1" stroke-dasharray="5 4"/>')
        parts.append(_text(x, top - 10, text, anchor="middle", size=11))
    for row, (score, lines) in enumerate(zip(shown, names, strict=True)):
        y = top + ROW * row + ROW * 0.15
        bar_height = ROW * 0.7
        style = BAND_STYLE.get(score.band or "", NEUTRAL)
        width = max(plot * score.headline.fraction, 0.5)
        tip = f"{score.label}: {_scored_text(score)}"
        parts.append(f'<g><title>{escape(tip)}</title>'
                     f'<rect x="{left}" y="{y:.1f}" width="{width:.1f}" '
                     f'height="{bar_height:.1f}" fill="{style["colour"]}" stroke="{INK}" '
                     'stroke-width="1"/>'
                     + (f'<rect x="{left}" y="{y:.1f}" width="{width:.1f}" '
                        f'height="{bar_height:.1f}" fill="url(#{chart_id}-{style["hatch"]})"/>'
                        if style["hatch"] else "") + "</g>")
        middle = y + bar_height / 2
        first = middle + 4.5 - (len(lines) - 1) * 7.5
        parts += [_text(left - 8, first + 15 * n, line, anchor="end")
                  for n, line in enumerate(lines)]
        label = score.headline.number if axis.ticks[-1][1] != "highest" else \
            score.headline.text
        parts += _on_white(x_of(score.headline.fraction) + 6, middle + 4.5,
                           label + (f"  {score.band}" if score.band else ""), size=12)
    alt = (f"Bar chart of {len(shown)} {tag} figures, {axis.caption[0].lower()}"
           f"{axis.caption[1:]}, with each bar labelled by its figure and band: "
           f"{_describe(shown)}.")
    return Chart(id=chart_id, title=title, alt=alt, svg=_svg(chart_id, alt, height, parts),
                 height=height)


def _hatches(chart_id: str) -> str:
    """Fill patterns for the bands drawn hatched; ids carry the chart's id, since a page
    holds several charts."""
    return (f'<defs><pattern id="{chart_id}-diagonal" width="8" height="8" '
            'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<line x1="0" y1="0" x2="0" y2="8" stroke="white" stroke-width="2.5"/></pattern>'
            f'<pattern id="{chart_id}-cross" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<path d="M0 0L8 8M8 0L0 8" stroke="{INK}" stroke-width="1"/></pattern></defs>')


# --- SVG text ---------------------------------------------------------------------------

def _svg(chart_id: str, alt: str, height: int, parts: Sequence[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" '
            f'id="chart-{chart_id}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" role="img" aria-labelledby="chart-{chart_id}-title" '
            f'font-family="{FONT}" font-size="{FONT_SIZE}" fill="{INK}">'
            f'<title id="chart-{chart_id}-title">{escape(alt)}</title>'
            f'<rect width="{WIDTH}" height="{height}" fill="white"/>'
            + "".join(parts) + "</svg>")


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = FONT_SIZE,
          weight: str = "normal", fill: str = INK) -> str:
    attributes = f'x="{x:.1f}" y="{y:.1f}"'
    if anchor != "start":
        attributes += f' text-anchor="{anchor}"'
    if size != FONT_SIZE:
        attributes += f' font-size="{size}"'
    if weight != "normal":
        attributes += f' font-weight="{weight}"'
    if fill != INK:
        attributes += f' fill="{fill}"'
    return f"<text {attributes}>{escape(content)}</text>"


# Advance widths of Liberation Sans (Arial's metrics), in thousandths of the font size, to
# lay out labels without a browser; other characters count as a digit.
_WIDTHS = {ch: width for width, chars in (
    (191, "'"), (222, "ijl"), (260, "|"), (278, " !,./:;I[\\]ft"), (333, "()-`r"),
    (334, "{}"), (355, '"'), (389, "*"), (469, "^"), (500, "Jcksvxyz"),
    (556, "#$0123456789?L_abdeghnopqu"), (584, "+<=>~"), (611, "FTZ"),
    (667, "&ABEKPSVXY"), (722, "CDHNRUw"), (778, "GOQ"), (833, "Mm"), (889, "%"),
    (944, "W"), (1015, "@")) for ch in chars}


def _on_white(x: float, y: float, content: str, *, size: int = FONT_SIZE,
              fill: str = INK) -> list[str]:
    """Text with a white box behind it, where grid or band lines would cross it."""
    return [f'<rect x="{x - 2:.1f}" y="{y - size:.1f}" width="{text_width(content, size) + 4:.1f}"'
            f' height="{size + 4}" fill="white"/>',
            _text(x, y, content, size=size, fill=fill)]


def text_width(text: str, size: float = FONT_SIZE) -> float:
    return sum(_WIDTHS.get(ch, 556) for ch in text) * size / 1000


def _fit(text: str, width: float) -> list[str]:
    """The text in at most two lines of `width`; a longer one ends in an ellipsis (the
    table beside the chart has it whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    for n, line in enumerate(lines):
        while text_width(line) > width and len(line) > 1:
            line = line[:-2].rstrip() + "…"
        lines[n] = line
    return lines or [""]


# --- Trend across rounds ------------------------------------------------------------------

TREND_HEIGHT = 260


@dataclass(frozen=True)
class TrendPoint:
    """One closed round as its summary keeps it (app.models.RoundSummary)."""

    round_title: str
    closed: str  # the day it closed, as the page prints it
    overall: float | None
    townsley: str | None  # Townsley et al.'s level, in words
    gaster: str | None  # Gaster et al.'s rung, in words

    @property
    def overall_text(self) -> str:
        return points(self.overall)


def trend_chart(rounds: Sequence[TrendPoint]) -> Chart:
    """The overall score of each closed round, oldest first, as a line with each point
    labelled by its score (its table gives the placements too)."""
    shown = [p for p in rounds if p.overall is not None]
    left, right, top, bottom = 48, 24, 24, 64
    plot_w, plot_h = WIDTH - left - right, TREND_HEIGHT - top - bottom
    step = plot_w / max(1, len(shown) - 1)

    def at(n: int, score: float) -> tuple[float, float]:
        x = left + (step * n if len(shown) > 1 else plot_w / 2)
        return x, top + plot_h * (1 - score / 100)

    parts = []
    for tick in range(0, 101, 25):
        _, y = at(0, tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                     f'stroke="{INK if tick == 0 else GRID}" stroke-width="1"/>')
        parts.append(_text(left - 8, y + 4, str(tick), anchor="end", size=11))
    corners = [at(n, p.overall) for n, p in enumerate(shown)]
    if len(corners) > 1:
        parts.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in corners)}" '
                     f'fill="none" stroke="{LINE}" stroke-width="3"/>')
    for p, (x, y) in zip(shown, corners, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{LINE}"><title>'
                     f'{escape(p.round_title)}: {points(p.overall)}</title></circle>')
        parts += _on_white(x - text_width(points(p.overall), 12) / 2, y - 10,
                           points(p.overall), size=12)
        # Each label gets half the gap to its neighbours and stays inside the drawing: the
        # first and last points sit at its edges, where a centred label would be cut.
        for n, line in enumerate(_fit(p.round_title, step / 2 - 4 if len(shown) > 1 else 300)):
            half = text_width(line, 11) / 2
            parts.append(_text(min(max(x, half + 2), WIDTH - half - 2),
                               TREND_HEIGHT - bottom + 18 + 15 * n, line, anchor="middle",
                               size=11))
    alt = ("Line chart of the overall score, 0 to 100 (higher is better), in each closed "
           "round, oldest first: "
           + "; ".join(f"{p.round_title} {points(p.overall)}" for p in shown) + ".")
    return Chart(id="trend", title="Overall score in each round", alt=alt,
                 svg=_svg("trend", alt, TREND_HEIGHT, parts), height=TREND_HEIGHT)

