"""The report as a real PDF, read back with pypdf: text, metadata, bookmarks, fonts and tags,
for a demo-like round and for awkward ones. Each PDF is rendered once per test session."""

import base64
import json
import logging
import re
from datetime import date
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from typer.testing import CliRunner

from app.cli import app as cli
from app.reports.context import ActionPlanRow, PreviousPlan, build_context
from app.reports.pdf import render_html, render_pdf, render_web_body
from app.reports.sample import sample_round
from app.scoring import score_round
from tests.report_helpers import CORE, random_board

# One worker runs these, so the session's PDFs (the `reports` fixture) are laid out once.
pytestmark = pytest.mark.xdist_group("report")

WELSH_PARTNERSHIP = "Partneriaeth Diogelu Plant Ynys Môn – Cyngor Sir Ynys Môn"
WELSH_AGENCIES = ["Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch Health Board",
                  "Cyngor Sir Ynys Môn", "Heddlu Gogledd Cymru", "Ysgolion Môn"]


def long_name(stem: str, n: int) -> str:
    """A 200-character name with an unbroken 60-character run in it."""
    run = f"{stem}{n:02d}" + "x" * 60
    words = " and Integrated Community Services for Children Young People and Families"
    return (f"{run[:60]} {stem} {n:02d}" + words * 4)[:199].rstrip().ljust(199, "s") + "s"


LONG_PARTNERSHIP = long_name("Westbrook", 0)
FORTY = [long_name("Agency", n) for n in range(1, 41)]


def scenarios():
    demo = sample_round(CORE, profile=0, respondents=14)
    plan = (ActionPlanRow("Agree an information-sharing protocol", "Northshire Police",
                          "Sam Okafor", date(2026, 9, 30), "Protocol signed by all partners",
                          "in_progress"),
            ActionPlanRow("Protect time for joint work", "Northshire Schools Forum", "Priya Shah",
                          None, "", "not_started"))
    previous = PreviousPlan("Round 2 (2025)", (ActionPlanRow(
        "Set up a steering group", "Northshire Schools Forum", "Tom Evans",
        date(2025, 6, 1), "Meets monthly", "done"),))
    return {
        "demo": dict(name=demo.partnership_name, respondents=demo.respondents,
                     invited=demo.invited, action_plan=plan, previous_plan=previous),
        "forty": dict(name=LONG_PARTNERSHIP, respondents=random_board(3, FORTY, 3)),
        "welsh": dict(name=WELSH_PARTNERSHIP,
                      respondents=random_board(5, WELSH_AGENCIES, 4, dont_know=0.6)),
        "one_agency": dict(name="Northshire Youth Offending Team",
                           respondents=random_board(9, ["Northshire Police"], 5)),
    }


class Report:
    def __init__(self, context, pdf: bytes):
        self.context = context
        self.pdf = pdf
        self.reader = PdfReader(BytesIO(pdf))
        self.pages = [page.extract_text() or "" for page in self.reader.pages]
        self.text = "\n".join(self.pages)
        self.flat = squash(self.text)


def squash(text: str) -> str:
    """Text with whitespace, soft hyphens and hyphens removed, so wrapped names compare."""
    return re.sub(r"[\s\u00ad\u2010-]+", "", text)


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


WEASYPRINT_WARNINGS = Collect()


@pytest.fixture(scope="session")
def reports():
    built = {}
    weasyprint_log = logging.getLogger("weasyprint")
    weasyprint_log.addHandler(WEASYPRINT_WARNINGS)
    for key, spec in scenarios().items():
        result = score_round(CORE, spec["respondents"])
        context = build_context(
            partnership_name=spec["name"], round_title="Round 3 (2026)",
            questionnaire=CORE, result=result, invited=spec.get("invited"),
            action_plan=spec.get("action_plan", ()),
            previous_plan=spec.get("previous_plan"),
            opens=date(2026, 3, 2), closes=date(2026, 3, 30), generated=date(2026, 4, 1))
        built[key] = Report(context, render_pdf(context))
    weasyprint_log.removeHandler(WEASYPRINT_WARNINGS)
    yield built


ALL = ["demo", "forty", "welsh", "one_agency"]


@pytest.mark.parametrize("key", ALL)
def test_partnership_name_placements_and_page_count(reports, key):
    report = reports[key]
    assert squash(report.context.partnership_name) in report.flat
    assert 12 <= len(report.reader.pages) <= 60
    for ladder in (report.context.townsley, report.context.gaster):
        if ladder.label:
            assert squash(ladder.label) in report.flat
        else:
            assert "notplaced" in report.flat.lower() or ladder.status != "placed"


@pytest.mark.parametrize("key", ALL)
def test_the_recommendations_printed_are_the_ones_the_matcher_chose(reports, key):
    report = reports[key]
    recommendations = report.context.recommendations
    assert recommendations, "every scenario has something to recommend"
    for rec in recommendations:
        assert squash(f"{rec.priority}. {rec.strategy.action}") in report.flat
        for reason in rec.reasons:
            assert squash(reason) in report.flat, reason
    # and in the matcher's order
    positions = [report.flat.index(squash(f"{r.priority}. {r.strategy.action}"))
                 for r in recommendations]
    assert positions == sorted(positions)


@pytest.mark.parametrize("key", ALL)
def test_title_language_and_bookmarks(reports, key):
    report = reports[key]
    root = report.reader.trailer["/Root"]
    assert report.reader.metadata.title == report.context.title
    assert root["/Lang"] == "en-GB"
    titles = outline_titles(report.reader.outline)
    for heading in ("Contents", "Summary", "How the partnership is organised", "Scores",
                    "Recommendations", "Action plan", "Appendix B: answers to every question"):
        assert heading in titles
    assert report.context.partnership_name in titles


def test_the_contents_link_to_their_sections(reports):
    reader = reports["demo"].reader
    contents = next(p for p in reader.pages if "About this report" in p.extract_text())
    targets = {str(a.get_object().get("/Dest")) for a in contents.get("/Annots", [])}
    assert {"summary", "placements", "scores", "consensus", "recommendations", "action-plan",
            "method", "answers"} <= targets
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]


def test_fonts_are_embedded_and_never_gds_transport(reports):
    fonts = list(all_fonts(reports["demo"].reader))
    assert fonts
    for name, embedded in fonts:
        assert embedded, name
        assert "GDS" not in name
    assert any("Liberation" in name for name, _ in fonts)


def test_tagged_with_alt_text_for_every_chart(reports):
    report = reports["demo"]
    root = report.reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    alts = list(figure_alts(root["/StructTreeRoot"]))
    assert {chart.alt for chart in report.context.charts.values()} <= set(alts)
    factors = report.context.charts["factors"].alt
    for row in report.context.factors:
        assert f"{row.label} {row.text} ({row.band})" in factors


def test_demo_round_covers_every_part_of_the_report(reports):
    report = reports["demo"]
    for text in ("Who answered", "Response rate", "82% (14 of 17 invited)", "Strengths",
                 "Priorities", "Rung 3: Implementing projects and service plans",
                 "Contested questions", "Disputed facts", "Gaps between agencies",
                 "Agree an information-sharing protocol", "In progress", "30 September 2026",
                 "The previous plan: Round 2 (2025)", "Done",
                 "Appendix A: how MAPS works it out", "Strongly disagree"):
        assert squash(text) in report.flat, text
    for row in report.context.strengths:
        assert squash(f"{row.label}: {row.text}/100") in report.flat


def test_small_groups_are_only_named_on_the_cover(reports):
    report = reports["demo"]
    small = [g for g in report.context.by_agency if g.suppressed]
    assert small, "the demo round has an agency below the anonymity threshold"
    contents = next(i for i, page in enumerate(report.pages) if "About this report" in page)
    later = squash("\n".join(report.pages[contents:]))
    for group in small:
        assert squash(group.name) in squash(report.pages[0])
        assert squash(group.name) not in later


def test_long_names_wrap_whole(reports):
    report = reports["forty"]
    for name in FORTY:
        assert squash(name) in report.flat
    assert len(report.context.by_agency) == 40
    assert report.context.agency_gaps  # 40 agencies of 3 are all large enough to compare


def test_welsh_names_survive(reports):
    report = reports["welsh"]
    assert WELSH_PARTNERSHIP in report.text.replace("\n", " ")
    assert "Môn" in report.text
    assert squash(WELSH_AGENCIES[0]) in report.flat
    assert report.context.coverage.dont_know_share > 0.5


def test_one_agency_is_low_confidence_and_has_no_agency_gaps(reports):
    report = reports["one_agency"]
    assert report.context.coverage.confidence == "low"
    assert "Readwithcare" in report.flat
    assert squash("Fewer than two agencies can be shown separately") in report.flat


def test_rendering_logs_no_css_or_layout_warnings(reports):
    assert [r.getMessage() for r in WEASYPRINT_WARNINGS.records] == []


def test_the_web_page_and_the_pdf_show_the_same_drawings(reports):
    context = reports["demo"].context
    soup = BeautifulSoup(render_web_body(context), "html.parser")
    drawings = soup.select("figure svg.report-chart")
    assert len(drawings) == len(context.charts) == 3
    images = BeautifulSoup(render_html(context), "html.parser").select("figure img")
    in_pdf = {img["alt"]: base64.b64decode(img["src"].split(",", 1)[1]).decode()
              for img in images}
    for drawing in drawings:
        chart = context.charts[drawing["id"].removeprefix("chart-")]
        assert drawing["role"] == "img"
        assert drawing.find("title").get_text() == chart.alt
        assert in_pdf[chart.alt] == chart.svg
        assert BeautifulSoup(chart.svg, "html.parser").svg == drawing
    # Nothing a strict Content-Security-Policy would refuse, and nothing needing JavaScript.
    assert not soup.select("[style]") and not soup.find("style") and not soup.find("script")


runner = CliRunner()


def test_cli_writes_a_pdf_and_html_from_an_answers_file(reports, tmp_path):
    demo = sample_round(CORE, profile=2, respondents=8)
    path = tmp_path / "send.json"
    path.write_text(json.dumps({"respondents": [
        {"agency": r.agency, "level": r.level, "answers": dict(r.answers)}
        for r in demo.respondents]}))
    out, html = tmp_path / "plan.pdf", tmp_path / "plan.html"
    result = runner.invoke(cli, [
        "report", "--questionnaire", CORE.ref, str(path), "--out", str(out),
        "--html", str(html), "--partnership-name", "SEND Local Area Partnership",
        "--title", "Spring 2026"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert reader.metadata.title == "SEND Local Area Partnership: Spring 2026"
    assert "SEND Local Area Partnership" in html.read_text()
    assert "<style>" in html.read_text()  # self-contained


@pytest.mark.parametrize("args, message", [
    (["FILE", "--questionnaire", "nope", "--out", "x.pdf"], "No questionnaire 'nope'"),
    (["FILE", "--questionnaire", "multi-agency-working@x", "--out", "x.pdf"], "must be a number"),
    (["missing.json", "--questionnaire", "multi-agency-working", "--out", "x.pdf"],
     "Cannot read"),
    (["FILE", "--questionnaire", "multi-agency-working"], "Say where to write"),
    (["FILE", "--questionnaire", "multi-agency-working", "--out", "/no/such/dir/x.pdf"],
     "no folder"),
    (["EMPTY", "--questionnaire", "multi-agency-working", "--out", "x.pdf"], "no respondents"),
    (["BAD", "--questionnaire", "multi-agency-working", "--out", "x.pdf"], "not on the scale"),
])
def test_cli_report_bad_input_exits_2_with_a_message(tmp_path, args, message):
    files = {"FILE": {"respondents": [{"agency": "A", "answers": {}}]},
             "EMPTY": {"respondents": []},
             "BAD": {"respondents": [{"agency": "A", "answers": {"st_pooled_budget": 9}}]}}
    for key, data in files.items():
        (tmp_path / f"{key}.json").write_text(json.dumps(data))
    args = [str(tmp_path / f"{a}.json") if a in files else a for a in args]
    result = runner.invoke(cli, ["report", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


# --- Reading PDF structure ---------------------------------------------------------------

def outline_titles(outline) -> list[str]:
    titles = []
    for entry in outline:
        if isinstance(entry, list):
            titles += outline_titles(entry)
        else:
            titles.append(entry.title)
    return titles


def all_fonts(reader):
    """(name, embedded) for every font on every page, including inside chart images."""
    seen = set()

    def walk(resources):
        resources = resources.get_object() if resources else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            described = font
            if font.get("/Subtype") == "/Type0":
                described = font["/DescendantFonts"][0].get_object()
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            yield str(font.get("/BaseFont", "")), embedded
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                yield from walk(xobject["/Resources"])

    for page in reader.pages:
        yield from walk(page.get("/Resources"))


def figure_alts(node, seen=None):
    seen = seen if seen is not None else set()
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for child in node:
            yield from figure_alts(child, seen)
        return
    if not hasattr(node, "get") or id(node) in seen:
        return
    seen.add(id(node))
    if node.get("/S") == "/Figure" and "/Alt" in node:
        yield str(node["/Alt"])
    kids = node.get("/K")
    if kids is not None:
        yield from figure_alts(kids, seen)
