"""The report's charts, drawn as SVG by the app: the marks say the numbers the scores say,
the drawing is well-formed and self-describing, and awkward labels cannot break it."""

import re
import xml.etree.ElementTree as ET

import pytest

from app.recommendations.labels import points
from app.reports.charts import (
    BAND_STYLE,
    WIDTH,
    build_charts,
    dimension_radar,
    score_bars,
    text_width,
)
from app.reports.sample import sample_round
from app.scoring import score_round
from app.scoring.scores import TagScore, headline
from tests.report_helpers import CORE, random_board

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[tuple[str, float]]:
    """(tooltip, width) of every bar, top to bottom."""
    found = []
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        found.append((group.find(f"{SVG}title").text, float(rect.get("width"))))
    return found


def tag_scores(tag: str, scores: dict[str, float | None]) -> dict[str, TagScore]:
    return {value: TagScore(tag=tag, value=value, label=CORE.tag_label(tag, value), score=score,
                            n=5, items=3,
                            band=None if score is None else CORE.bands.band(score),
                            headline=headline(CORE.bands, score, [], None))
            for value, score in scores.items()}


@pytest.fixture(scope="module")
def demo_charts():
    sample = sample_round(CORE, profile=0, respondents=14)
    result = score_round(CORE, sample.respondents)
    return result, build_charts(result, CORE)


def test_every_chart_is_titled_by_its_alt_text(demo_charts):
    _, charts = demo_charts
    assert set(charts) == {"dimensions", "areas", "factors"}
    for chart in charts.values():
        root = parse(chart.svg)
        assert root.find(f"{SVG}title").text == chart.alt
        assert root.get("role") == "img"
        assert root.get("viewBox") == f"0 0 {WIDTH} {chart.height}"
        assert not re.search(r"\sstyle=|<style|<script", chart.svg)


def test_each_bar_is_as_long_as_its_printed_score_in_the_order_of_the_scores(demo_charts):
    # As long as the number printed beside it, so a bar labelled 70, strength, reaches the
    # line marking strength at 70 even when its score is 69.6.
    result, charts = demo_charts
    factors = [s for s in result.partnership.tags["factor"].values() if s.score is not None]
    drawn = bars(parse(charts["factors"].svg))
    assert [tip for tip, _ in drawn] == [
        f"{s.label}: {points(s.score)} ({s.band})" for s in factors]
    unit = drawn[0][1] / int(points(factors[0].score))
    for (tip, width), score in zip(drawn, factors, strict=True):
        assert width == pytest.approx(unit * int(points(score.score)), abs=0.1), tip


def test_bands_are_told_apart_by_colour_and_by_hatching():
    values = tag_scores("area", {"working_relationships": 80, "multi_agency_processes": 60,
                                 "resources": 30})
    root = parse(score_bars("areas", "area", "Areas", values, CORE).svg)
    fills = [[r.get("fill") for r in g.iter(f"{SVG}rect")] for g in root.iter(f"{SVG}g")]
    assert fills == [[BAND_STYLE["strength"]["colour"]], [BAND_STYLE["borderline"]["colour"]],
                     [BAND_STYLE["concern"]["colour"], "url(#areas-diagonal)"]]
    assert root.find(f".//{SVG}pattern[@id='areas-diagonal']") is not None
    # The cut-off lines are labelled with the band they start.
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "strength 70" in texts and "borderline 50" in texts


def test_labels_are_escaped_and_long_ones_cut_to_two_lines():
    name = "Partners <& friends> " + "working together across the whole county " * 4
    values = tag_scores("factor", {name: 55.0, "time": None})
    svg = score_bars("factors", "factor", "Factors", values, CORE).svg
    root = parse(svg)
    assert len(bars(root)) == 1  # the factor without a score is not drawn
    labels = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert len(labels) == 2
    assert labels[0].text.startswith("Partners <& friends>")
    assert labels[1].text.endswith("…")
    assert all(text_width(t.text) <= 260 for t in labels)


def test_a_radar_needs_three_dimensions_else_bars():
    three = tag_scores("dimension", {"organisation": 40, "joint_investment": 55,
                                     "integration": 75})
    radar = parse(dimension_radar(three, CORE).svg)
    assert len(radar.findall(f"{SVG}polygon")) >= 5  # rings and the partnership's shape
    two = tag_scores("dimension", {"organisation": 40, "joint_investment": None,
                                   "integration": 75})
    chart = dimension_radar(two, CORE)
    assert len(bars(parse(chart.svg))) == 2
    assert "Organisation 40 (concern); Integration 75 (strength)" in chart.alt


@pytest.mark.parametrize("dont_know", [0.0, 0.7, 0.97])
def test_rounds_with_gaps_still_draw(dont_know):
    result = score_round(CORE, random_board(7, ["Health", "Police"], 3, dont_know=dont_know))
    charts = build_charts(result, CORE)
    for tag, chart_id in (("dimension", "dimensions"), ("area", "areas"), ("factor", "factors")):
        has_scores = any(s.score is not None for s in result.partnership.tags[tag].values())
        assert (chart_id in charts) == has_scores
    for chart in charts.values():
        parse(chart.svg)
