"""The report as a real PDF, read back with pypdf: text, metadata, bookmarks, fonts and tags,
for a demo-like round and for awkward ones. Each PDF is rendered once per test session."""

import base64
import dataclasses
import json
import logging
import random
import re
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from typer.testing import CliRunner

from app.cli import app as cli
from app.questionnaires.loader import load_file
from app.reports.context import ActionPlanRow, PreviousPlan, build_context
from app.reports.pdf import render_html, render_pdf, render_web_body
from app.reports.sample import sample_round
from app.scoring import RespondentAnswers, score_round
from app.scoring.change import compare_rounds
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


def essay(seed: int) -> str:
    """4,000 characters of words, the longest comment a board member can write."""
    rng = random.Random(seed)
    words = ["meetings", "referrals", "budget", "schools", "police", "health", "housing",
             "trust", "data", "sharing", "protocol", "leadership"]
    text = " ".join(rng.choice(words) for _ in range(700))
    return f"Essay {seed} begins: {text}"[:3990] + f" ends {seed}."


COMMENTS = ("Meetings clash with court dates, so the police rarely attend.",
            "We share a budget on paper only.", "Joint training last spring helped a lot.")
FACTORS_INSTRUMENT = load_file(Path(__file__).parent / "data" / "partnership-factors.yaml")


def instrument_board():
    """Eight members answering the test instrument of tests/data, all of it."""
    values = ["2", "3", "4", "5", "4", "3", "5", "4"]
    return [RespondentAnswers(agency=f"Agency {n % 3}", level=("strategic", "operational")[n % 2],
                              answers={item.id: values[(n + k) % len(values)]
                                       for k, item in enumerate(FACTORS_INSTRUMENT.items)})
            for n in range(8)]


def scenarios():
    demo = sample_round(CORE, profile=0, respondents=14)
    commented = next(i.id for i in CORE.items if i.tag("factor"))
    demo.respondents[:3] = [dataclasses.replace(person, comments={commented: text})
                            for person, text in zip(demo.respondents, COMMENTS, strict=False)]
    plan = (ActionPlanRow("Agree an information-sharing protocol", "Northshire Police",
                          "Sam Okafor", date(2026, 9, 30), "Protocol signed by all partners",
                          "in_progress"),
            ActionPlanRow("Protect time for joint work", "Northshire Schools Forum", "Priya Shah",
                          None, "", "not_started"))
    previous = PreviousPlan("Round 2 (2025)", (ActionPlanRow(
        "Set up a steering group", "Northshire Schools Forum", "Tom Evans",
        date(2025, 6, 1), "Meets monthly", "done"),))
    # Two members write 4,000 characters beside every question (issue 22: a 69-page PDF).
    talkative = sample_round(CORE, profile=0, respondents=14).respondents
    talkative[:2] = [dataclasses.replace(person, comments={item.id: essay(n * 1000 + k)
                                                            for k, item in enumerate(CORE.items)})
                     for n, person in enumerate(talkative[:2])]
    return {
        "long_comments": dict(name="Northshire Long Comments Partnership",
                              respondents=talkative),
        "demo": dict(name=demo.partnership_name, respondents=demo.respondents,
                     invited=demo.invited, action_plan=plan, previous_plan=previous),
        "forty": dict(name=LONG_PARTNERSHIP, respondents=random_board(3, FORTY, 3)),
        "welsh": dict(name=WELSH_PARTNERSHIP,
                      respondents=random_board(5, WELSH_AGENCIES, 4, dont_know=0.6)),
        "one_agency": dict(name="Northshire Youth Offending Team",
                           respondents=random_board(9, ["Northshire Police"], 5)),
        "instrument": dict(name="Eastfield Partnership", respondents=instrument_board(),
                           questionnaire=FACTORS_INSTRUMENT),
    }


# The demo's previous round: a weaker partnership's answers (another profile of the demo),
# so the change since then is up.
BEFORE = score_round(CORE, sample_round(CORE, profile=4, respondents=10).respondents)


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
        questionnaire = spec.get("questionnaire", CORE)
        result = score_round(questionnaire, spec["respondents"])
        change = compare_rounds(
            before=BEFORE, after=result, questionnaire=CORE, previous_title="Round 2 (2025)",
            previous_actions=[(r.text, r.status) for r in spec["previous_plan"].rows]
        ) if key == "demo" else None
        context = build_context(
            partnership_name=spec["name"], round_title="Round 3 (2026)",
            questionnaire=questionnaire, result=result, invited=spec.get("invited"),
            change=change,
            action_plan=spec.get("action_plan", ()),
            previous_plan=spec.get("previous_plan"),
            opens=date(2026, 3, 2), closes=date(2026, 3, 30), generated=date(2026, 4, 1))
        built[key] = Report(context, render_pdf(context))
    weasyprint_log.removeHandler(WEASYPRINT_WARNINGS)
    yield built


ALL = ["demo", "forty", "welsh", "one_agency"]  # the core instrument's


@pytest.mark.parametrize("key", ALL)
def test_partnership_name_placements_and_page_count(reports, key):
    report = reports[key]
    assert squash(report.context.partnership_name) in report.flat
    assert 5 <= len(report.reader.pages) <= 60
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
                    "Recommendations", "Action plan"):
        assert heading in titles
    assert report.context.partnership_name in titles


def test_the_contents_link_to_their_sections(reports):
    reader = reports["demo"].reader
    contents = next(p for p in reader.pages if "About this report" in p.extract_text())
    targets = {str(a.get_object().get("/Dest")) for a in contents.get("/Annots", [])}
    assert {"summary", "change", "placements", "scores", "consensus", "recommendations",
            "action-plan"} <= targets
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
                 "What changed since Round 2 (2025)"):
        assert squash(text) in report.flat, text
    for row in report.context.strengths:
        assert squash(f"{row.label}: {row.text} out of 100") in report.flat


def test_the_change_since_the_previous_round_goes_the_right_way(reports):
    report = reports["demo"]
    change = report.context.change
    assert change.overall.after > change.overall.before  # a weaker board then
    assert squash(f"overall score up {change.overall.shown_delta} points") in squash(
        report.pages[0])
    assert squash("What changed since Round 2 (2025)") in report.flat
    for moved in change.moved:
        assert squash(moved.label) in report.flat
    for placement in change.placements:
        assert squash(placement.text) in report.flat
    assert squash("Done: Set up a steering group") in report.flat
    assert change.different_board  # another profile's agencies answered then
    assert squash("say who answered as much as how the partnership works") in report.flat


def test_the_main_part_is_a_board_paper_of_at_most_12_pages(reports):
    # Forty agencies of 200-character names is a stress test of wrapping, not a board.
    for key in ("demo", "welsh", "one_agency", "instrument"):
        assert len(reports[key].pages) <= 12, key
    assert "Appendix" not in reports["demo"].text.replace("appendix", "")


def _comments_appendix_starts(report) -> int:
    """The index of the page where the appendix of comments in full begins."""
    return next(n for n, page in enumerate(report.pages) if "Contents" not in page
                and squash("Appendix: the board’s comments in full") in squash(page))


def test_long_comments_are_cut_to_keep_the_board_paper_at_12_pages(reports):
    report = reports["long_comments"]
    start = _comments_appendix_starts(report)
    main, appendix = report.pages[:start], report.pages[start:]
    print(f"\n4,000 characters beside every question from two members: {len(report.pages)} "
          f"pages, {start} before the comments in full")
    assert start <= 12
    brief, full = report.context.comments_in_brief, report.context.comments_in_full
    assert brief.groups and not brief.complete and not full.complete
    main_text = squash("\n".join(main))
    assert main_text.count(squash("(continued in the appendix)")) == \
        sum(len(g.comments) for g in brief.groups)
    for group in brief.groups:  # each comment shown is the start of one written
        for shown, written in zip(group.comments, group.group.comments, strict=False):
            assert written.startswith(shown.text.removesuffix("…"))
            assert squash(shown.text.removesuffix("…")) in main_text
    assert squash(f"{brief.left_out} comments are left out here") in main_text
    # Without each page's running header and footer, and the bullets pypdf reads after them.
    furniture = re.compile(rf"{re.escape(report.context.partnership_name)}.*|•|"
                           r"MAPS – Multi-Agency Partnership Self-assessment Page \d+ of \d+")
    whole = squash(furniture.sub("", "\n".join(appendix)))
    for group in full.groups:  # the appendix has them whole, as written
        for comment in group.comments:
            assert not comment.shortened and squash(comment.text) in whole
    assert squash(f"{full.left_out} comments that did not fit are on the round’s "
                  "results page") in whole


def test_a_selection_of_comments_keeps_to_its_budget_and_hears_every_question_first():
    from app.reports.context import COMMENT_SHORTENED_TO, CommentGroup, CommentSelection

    limit = COMMENT_SHORTENED_TO
    exact, over = "word " * (limit // 5), "word " * (limit // 5) + "more"
    assert len(exact.strip()) < limit < len(over)
    groups = [CommentGroup(item_id=f"q{n}", text=f"Question {n}", section="S",
                           comments=(f"A{n}", f"B{n}", f"C{n}")) for n in range(3)]
    # Two characters each: the first comment of every question before any second one.
    chosen = CommentSelection.of(groups, budget=8)
    assert [[c.text for c in g.comments] for g in chosen.groups] == [["A0", "B0"], ["A1"],
                                                                     ["A2"]]
    assert (chosen.left_out, chosen.questions_left_out, chosen.complete) == (5, 0, False)
    assert [g.more for g in chosen.groups] == [1, 2, 2]
    assert CommentSelection.of(groups, budget=18).complete  # exactly enough
    assert not CommentSelection.of(groups, budget=17).complete
    one = [CommentGroup(item_id="q", text="Q", section="S", comments=(exact.strip(), over))]
    shown = CommentSelection.of(one, budget=10_000, shorten_to=limit).groups[0].comments
    assert [c.shortened for c in shown] == [False, True]
    assert shown[1].text.endswith("…") and len(shown[1].text) <= limit + 1
    assert over.startswith(shown[1].text.removesuffix("…"))


def test_short_comments_need_no_appendix(reports):
    report = reports["demo"]
    assert report.context.comments_in_brief.complete
    assert not report.context.comments_appendix
    assert "comments in full" not in report.text


def test_comments_appear_without_who_wrote_them(reports):
    report = reports["demo"]
    flat = report.flat
    start = flat.index(squash("Comments written beside the answers"))
    section = flat[start:flat.index("Recommendations", start)]
    for text in COMMENTS:
        assert squash(text) in section
    for agency in report.context.by_agency:
        assert squash(agency.name) not in section


def test_only_the_intended_fonts_embedded(reports):
    listing = subprocess.run(["pdffonts", "-"], input=reports["demo"].pdf,
                             capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        family = row[0].split("+", 1)[-1]
        assert family.startswith("Liberation-Sans"), family
        assert row[-5] == "yes", row  # emb


def test_every_th_is_scoped_every_figure_has_alt_every_link_has_contents(reports):
    reader = reports["demo"].reader
    root = reader.trailer["/Root"]
    cells = list(struct_elements(root["/StructTreeRoot"], "/TH"))
    assert cells
    for cell in cells:
        assert cell["/A"]["/Scope"] in ("/Column", "/Row")
    figures = list(struct_elements(root["/StructTreeRoot"], "/Figure"))
    assert figures and all(str(f.get("/Alt", "")).strip() for f in figures)
    links = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])
             if a.get_object().get("/Subtype") == "/Link"]
    assert links
    for link in links:
        words = str(link["/Contents"])
        target = str(link.get("/Dest", ""))
        # The link's own words, not the raw anchor id WeasyPrint writes ("summary").
        assert words.startswith(("Go to ", "Link to ")) and target not in ("", words)
        assert words.removeprefix("Go to ")[:1].isupper(), words
    # The PDF/UA-1 claim, for the Matterhorn conditions pypdf can read.
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_another_instruments_report_is_its_own(reports):
    report = reports["instrument"]
    text = report.flat
    for core in ("Townsley", "Gaster", "Atkinson", "70andabove", "threedimensions",
                 "Howthepartnershipisorganised", "toolittletogoon", "Table5.1ofthereview"):
        assert core not in text, core
    assert squash("4.0 and above") in text and squash("3.0 to under 4.0") in text
    # No recommendations section (it links to no library): its lowest factors, by their means.
    assert "Recommendations" not in text and "Recommendation" not in text
    assert squash("The three factors scoring lowest.") in text
    assert squash("The overall mean is") in text and squash("out of 5") in text
    assert "outof100" not in text
    assert squash("Mutual respect, understanding and trust") in text
    assert squash("Written for the MAPS tests.") in text


def test_small_groups_are_only_named_on_the_cover(reports):
    report = reports["demo"]
    small = [g for g in report.context.by_agency if g.suppressed]
    assert small, "the demo round has an agency below the anonymity threshold"
    contents = next(i for i, page in enumerate(report.pages) if "About this report" in page)
    later = squash("\n".join(report.pages[contents + 1:]))
    for group in small:
        assert squash(group.name) in squash(report.pages[contents])
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


def struct_elements(node, kind, seen=None):
    seen = seen if seen is not None else set()
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for child in node:
            yield from struct_elements(child, kind, seen)
        return
    if not hasattr(node, "get") or id(node) in seen:
        return
    seen.add(id(node))
    if node.get("/S") == kind:
        yield node
    if node.get("/K") is not None:
        yield from struct_elements(node["/K"], kind, seen)


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
