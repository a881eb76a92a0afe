"""Comparing an organisation's partnerships: the page, sorting and filtering, trends, the
exports (anonymised), a fixed number of queries whatever the number of partnerships, and
never another organisation's data."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import select

from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Organisation,
    Role,
    RoundStatus,
    RoundSummary,
)
from app.services import comparison, comparison_exports, results
from app.services.comparison_page import PageQuery, comparison_page
from tests.conftest import FormClient, sign_in
from tests.factories import (
    close,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)

FACTORS = ["funding", "leadership", "time"]


def closed_round_with_summary(session, partnership, *, townsley="coordinated", gaster="3",
                              overall=60.0, days_ago=30, factor_scores=None, **round_fields):
    closes = datetime.now(UTC) - timedelta(days=days_ago)
    round_ = make_round(session, partnership, status=RoundStatus.closed,
                        opens_at=closes - timedelta(days=28), closes_at=closes,
                        title=f"{partnership.name} round", **round_fields)
    factors = factor_scores or dict.fromkeys(FACTORS, overall)
    session.add(RoundSummary(round_id=round_.id, respondents=8, invited=10, townsley=townsley,
                             gaster=gaster, overall=overall,
                             scores={"dimension": {"organisation": overall},
                                     "area": {"resources": overall}, "factor": factors,
                                     "impact_on": {"service_users": overall}}))
    session.flush()
    return round_


@pytest.fixture
def admin_client(app, session):
    def signed_in(organisation):
        admin = make_user(session, organisation, role=Role.org_admin)
        session.commit()
        client = FormClient(app, follow_redirects=False).__enter__()
        sign_in(client, admin)
        return client
    return signed_in


@pytest.mark.demo
def test_demo_comparison_page(admin_client, session, catalogue):
    org = session.exec(select(Organisation).where(Organisation.name.like("Northshire%"))).one()
    client = admin_client(org)
    page = BeautifulSoup(client.get("/compare").text, "html.parser")
    rows = page.select("#comparison-table tbody tr")
    assert len(rows) == 9
    links = [a["href"] for a in page.select("#comparison-table tbody th a")]
    assert all(link.startswith("/rounds/") and link.endswith("/results") for link in links)
    heat_rows = page.select(".maps-heatmap tbody tr")
    assert len(heat_rows) == 9
    assert len(page.select(".maps-heatmap thead th")) == 1 + 15 + 2  # + joint training, history
    assert "Change across rounds" in page.text
    assert "Placements beside reported impacts" in page.text


def test_sorting_and_filtering(admin_client, session):
    org = make_organisation(session)
    for name, gaster, townsley in (("Alpha", "2", "coordinated"), ("Bravo", "5", "integrated"),
                                   ("Charlie", "1", "autonomous")):
        closed_round_with_summary(session, make_partnership(session, org, name=name),
                                  gaster=gaster, townsley=townsley)
    make_partnership(session, org, name="Delta (no rounds)")
    session.commit()
    client = admin_client(org)

    def names(url):
        page = BeautifulSoup(client.get(url).text, "html.parser")
        return [th.get_text(" ", strip=True).split("  ")[0]
                for th in page.select("#comparison-table tbody th")]

    assert [n.split()[0] for n in names("/compare?sort=gaster&dir=desc")] == [
        "Bravo", "Alpha", "Charlie", "Delta"]
    assert [n.split()[0] for n in names("/compare?sort=gaster&dir=asc")] == [
        "Charlie", "Alpha", "Bravo", "Delta"]
    assert [n.split()[0] for n in names("/compare?townsley=integrated")] == ["Bravo"]
    assert [n.split()[0] for n in names("/compare?q=char")] == ["Charlie"]
    fragment = client.get("/compare?sort=name", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "comparison-table" in fragment.text


def core_instrument(session, org, catalogue=None):
    from app.questionnaires.loader import load_catalogue
    found = comparison.instruments(session, organisation_id=org.id,
                                   catalogue=catalogue or load_catalogue())
    return comparison.choose(found, "")


def page_rows(session, org, **query):
    instrument = core_instrument(session, org)
    return comparison_page(session, organisation_id=org.id, instrument=instrument,
                           query=PageQuery(**query)).rows


def test_trend_shows_movement_and_factor_changes(session):
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Mover")
    closed_round_with_summary(session, partnership, townsley="autonomous", gaster="1",
                              days_ago=400, factor_scores={"funding": 30, "time": 50,
                                                           "leadership": 60})
    closed_round_with_summary(session, partnership, townsley="coordinated", gaster="3",
                              days_ago=30, factor_scores={"funding": 70, "time": 45,
                                                          "leadership": 61})
    session.commit()
    row = page_rows(session, org)[0]
    assert row.movement(core_instrument(session, org)) == {"townsley": 1, "gaster": 2}
    assert row.factor_changes(2) == [("funding", 40), ("time", -5)]


def test_closing_a_round_keeps_its_summary(session, catalogue, core):
    round_ = make_round(session)
    agency = session.exec(select(Agency)).first()
    for _ in range(3):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        respondent.submitted_at = datetime.now(UTC)
        session.add_all(Answer(respondent_id=respondent.id, item_id=i.id,
                               value=i.scale.scored[-1].value) for i in core.items)
    session.commit()
    close(session, round_)
    summary = results.summarise(session, round_, catalogue)
    assert summary.respondents == 3 and summary.invited == 3
    assert summary.townsley == "integrated" and summary.gaster == "5"
    assert set(summary.scores["factor"]) >= {"funding", "leadership"}


def test_exports_are_anonymised_and_safe(admin_client, session, catalogue, core):
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="=HYPERLINK(\"http://x\")",
                                   agencies=(("Big Agency", "health"), ("Tiny Agency", "police")))
    big, tiny = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)
                             .order_by(Agency.name)).all()
    round_ = make_round(session, partnership)
    ids = []
    for agency in (big, big, big, tiny):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        respondent.submitted_at = datetime.now(UTC)
        ids.append(respondent.id)
        session.add(Answer(respondent_id=respondent.id, item_id=core.items[0].id, value="2"))
    round_.status = RoundStatus.closed
    results.summarise(session, round_, catalogue)
    session.commit()
    client = admin_client(org)

    rows = list(csv.reader(io.StringIO(client.get("/compare/answers.csv").text)))
    assert rows[0] == comparison_exports.ITEM_COLUMNS
    body = rows[1:]
    assert len(body) == 4
    # Tiny Agency has one respondent, and the round's four minus Big Agency's three would
    # be that one: both are withheld, and with them their sectors.
    assert {(r[3], r[4], r[5]) for r in body} == {(comparison.SUPPRESSED, comparison.SUPPRESSED,
                                                   "strategic")}
    assert all(r[2].startswith("R-") for r in body)
    assert not any(str(i) == r[2] for r in body for i in ids)
    assert body[0][0].startswith("'=")  # a formula-looking name is defused

    table = list(csv.reader(io.StringIO(client.get("/compare/partnerships.csv").text)))
    assert table[0][:3] == ["partnership", "client_group", "instrument"]
    assert table[1][0].startswith("'=")

    response = client.get("/compare/partnerships.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Partnerships", "Answers (anonymised)", "Columns"]
    assert book["Partnerships"]["A2"].value.startswith("'=")
    assert book["Answers (anonymised)"].max_row == 5

    data = client.get("/api/compare").json()
    assert data["partnerships"][0]["respondents"] == 4


def test_never_another_organisations_data(admin_client, session):
    ours, theirs = make_organisation(session), make_organisation(session)
    closed_round_with_summary(session, make_partnership(session, ours, name="Our Board"))
    closed_round_with_summary(session, make_partnership(session, theirs, name="Their Board"))
    session.commit()
    client = admin_client(ours)
    for url in ("/compare", "/compare/partnerships.csv", "/compare/answers.csv",
                "/api/compare"):
        text = client.get(url).text
        assert "Their Board" not in text, url
    assert "Our Board" in client.get("/compare").text


def test_coordinators_cannot_compare(app, session):
    org = make_organisation(session)
    coordinator = make_user(session, org)
    session.commit()
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, coordinator)
        assert client.get("/compare").status_code == 403


def test_the_page_is_paged_on_the_server_and_keeps_its_sort_and_filter(admin_client, session):
    org = make_organisation(session)
    for n in range(60):
        closed_round_with_summary(
            session, make_partnership(session, org, name=f"Board {n:02d}", agencies=(),
                                      client_group="even" if n % 2 == 0 else "odd"),
            overall=float(n), gaster=str(1 + n % 5))
    session.commit()
    client = admin_client(org)

    def page(url):
        return BeautifulSoup(client.get(url).text, "html.parser")

    def names(soup):
        return [th.a.get_text(strip=True) for th in soup.select("#comparison-table tbody th")]

    first = page("/compare?sort=overall&dir=desc&q=even")
    assert names(first) == [f"Board {n:02d}" for n in range(58, 8, -2)]  # 25 of 30
    assert "30 partnerships: 1 to 25 shown" in first.select_one("caption").get_text()
    # The heatmap and the trends follow the table's rows; no heatmap cell is a link.
    heat = first.select(".maps-heatmap tbody tr")
    assert [tr.th.get_text(strip=True) for tr in heat] == names(first)
    assert not first.select(".maps-heatmap td a")
    # Pagination links carry the sort and the filter; sorting starts again at page 1.
    nav = first.select_one("nav.govuk-pagination")
    following = nav.select_one(".govuk-pagination__next a")["href"]
    assert following == "/compare?sort=overall&dir=desc&q=even&page=2"
    second = page(following)
    assert names(second) == [f"Board {n:02d}" for n in range(8, -1, -2)]
    assert "page=" not in second.select_one("thead a")["href"]
    # Past the last page shows the last page; a page that is no number is refused clearly.
    assert names(page("/compare?sort=overall&dir=desc&q=even&page=99")) == names(second)
    refused = client.get("/compare?page=0")
    assert refused.status_code == 422 and "page" in refused.text
    # The summaries follow the filter: the 30 that match, not only the page's 25.
    assert "across the 30 assessed partnerships that match the filters" in first.get_text()
    assert "across all 60 assessed partnerships" in page("/compare").get_text()


def test_the_page_needs_the_same_few_queries_whatever_the_number_of_partnerships(engine, session):
    def queries_for(count: int) -> int:
        org = make_organisation(session)
        for n in range(count):
            partnership = make_partnership(session, org, name=f"P{n}", agencies=())
            closed_round_with_summary(session, partnership, days_ago=400)
            closed_round_with_summary(session, partnership, days_ago=30)
        org_id = org.id
        session.commit()
        instrument = core_instrument(session, org)
        statements = []

        def count_statement(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count_statement)
        try:
            result = comparison_page(session, organisation_id=org_id, instrument=instrument,
                                     query=PageQuery(sort="organisation"))
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
        assert len(result.overview.assessed) == count
        assert all(row.previous.scores for row in result.rows)
        return len(statements)

    # Partnerships, latest rounds, their scores, the page's earlier rounds, their scores.
    assert queries_for(3) == queries_for(60) == 5


def test_a_summary_computed_again_is_read_again(session):
    org = make_organisation(session)
    round_ = closed_round_with_summary(session, make_partnership(session, org), overall=40.0)
    session.commit()

    def funding() -> float:
        return page_rows(session, org)[0].latest.score("factor", "funding")

    assert funding() == 40.0
    summary = session.get(RoundSummary, round_.id)
    summary.scores = {**summary.scores, "factor": {"funding": 75.0}}
    summary.computed_at = datetime.now(UTC)
    session.commit()
    assert funding() == 75.0


def test_only_sorting_and_page_links_are_boosted(admin_client, session):
    # A boosted link to a round's results would be swapped into the table, not followed.
    org = make_organisation(session)
    for n in range(30):
        closed_round_with_summary(session, make_partnership(session, org, name=f"B{n:02d}"))
    session.commit()
    soup = BeautifulSoup(admin_client(org).get("/compare").text, "html.parser")
    boosted = [a["href"] for a in soup.select("[hx-boost=true] a")]
    assert boosted and all(href.startswith("/compare") for href in boosted)
    assert all(a.find_parent(attrs={"hx-boost": "true"}) is None
               for a in soup.select("a[href^='/rounds/']"))


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def words(element) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


@pytest.mark.demo
def test_the_heatmap_has_one_link_a_row_and_the_results_pages_labels_and_anchors(
        admin_client, session, core):
    org = session.exec(select(Organisation).where(Organisation.name.like("Northshire%"))).one()
    client = admin_client(org)
    page = soup(client.get("/compare"))
    heat = page.select_one(".maps-heatmap")
    factors = [th.get_text(strip=True) for th in heat.select("thead th")][1:]
    assert factors == [core.tag_label("factor", f) for f in core.tag_values("factor")]
    # The heading counts the columns shown; one link per partnership row, in its header.
    assert words(page.select_one("h2#factors")) == f"The {len(factors)} factors across partnerships"
    rows = heat.select("tbody tr")
    assert all(len(tr.select("a")) == 1 and tr.th.a for tr in rows)
    assert len(heat.select("a")) == len(rows) == 9  # were 153 links, one per cell
    # Each cell: the score, then its band's letter (and its name for a screen reader), shaded
    # by band; the key names the bands from the instrument.
    cell = rows[0].select("td")[0]
    score, letter = cell.get_text(" ", strip=True).split()[:2]
    band = cell.select_one(".govuk-visually-hidden").get_text()
    assert letter == band[0].upper() and band in {b.label for b in core.bands.levels}
    assert f"maps-heat--{ {'strength': 5, 'borderline': 3, 'concern': 1}[band] }" in cell["class"]
    assert [words(li) for li in page.select(".maps-heat-key li")] == [
        "S strength: 70 and above", "B borderline: 50 to under 70", "C concern: under 50"]
    # The drill-down lands on the results page's factors, with the same labels, each row
    # with an anchor of its own (#factor-<id>).
    link = rows[0].th.a["href"]
    assert link.endswith("/results#factors")
    results = soup(client.get(link.split("#")[0]))
    assert results.select_one("#factors")
    shown = {tr["id"]: tr.th.get_text(strip=True) for tr in results.select("tr[id^=factor-]")}
    assert shown and all(shown[f"factor-{f}"] == core.tag_label("factor", f)
                         for f in core.tag_values("factor") if f"factor-{f}" in shown)
    assert set(shown.values()) <= set(factors)
    for a in page.select("a[href*='#factor-']"):  # the factors that changed most
        target = soup(client.get(a["href"].split("#")[0]))
        assert target.select_one(f"#{a['href'].split('#')[1]}"), a["href"]
    # Dimension and area columns are headed by the instrument's labels too.
    headings = [a.get_text(strip=True).rstrip("▲▼↕") for a in page.select("thead a.maps-sort")]
    assert headings[-7:] == [core.tag_label(tag, v) for tag in ("dimension", "area")
                             for v in core.tag_values(tag)]


def test_sorting_marks_the_column_and_works_without_javascript(admin_client, session):
    org = make_organisation(session)
    for name, overall in (("Alpha", 40.0), ("Bravo", 80.0)):
        closed_round_with_summary(session, make_partnership(session, org, name=name),
                                  overall=overall)
    session.commit()
    client = admin_client(org)
    page = soup(client.get("/compare?sort=overall&dir=desc"))
    sorted_by = page.select("th[aria-sort]")
    assert len(sorted_by) == 1 and sorted_by[0]["aria-sort"] == "descending"
    link = sorted_by[0].a
    assert link["id"] == "sort-overall" and link.select_one(".maps-sort__arrow").text == "▼"
    # The next click sorts the other way; the other columns show they can be sorted.
    assert "sort=overall&dir=asc" in link["href"]
    assert {a.select_one(".maps-sort__arrow").text for a in page.select("a.maps-sort")} == {
        "▼", "↕"}
    assert page.select_one("#comparison-count")["data-announce"] == (
        "2 partnerships shown, sorted by Overall, descending.")
    # The filters keep the sort: its fields belong to the filter form but are swapped with
    # the table.
    kept = {i["name"]: i["value"] for i in page.select("input[form=comparison-filters]")}
    assert kept == {"sort": "overall", "dir": "desc"}
    assert page.select_one("form#comparison-filters")


def test_a_filter_is_followed_by_the_count_the_heatmap_and_the_summaries(admin_client, session):
    org = make_organisation(session)
    for name, townsley in (("Alpha", "integrated"), ("Bravo", "autonomous"),
                           ("Charlie", "integrated")):
        closed_round_with_summary(session, make_partnership(session, org, name=name),
                                  townsley=townsley)
    session.commit()
    client = admin_client(org)
    fragment = soup(client.get("/compare?townsley=integrated",
                               headers={"HX-Request": "true"}))
    assert fragment.select_one("#comparison-count")["data-announce"].startswith(
        "2 partnerships shown")
    assert words(fragment.select_one("#comparison-count")).startswith(
        "2 of your 3 partnerships match the filters")
    assert [tr.th.get_text(strip=True) for tr in fragment.select(".maps-heatmap tbody tr")] == [
        "Alpha", "Charlie"]
    assert "across the 2 assessed partnerships that match the filters" in fragment.get_text()


def test_an_early_close_shows_the_day_it_closed(admin_client, session):
    org = make_organisation(session)
    closed = datetime(2026, 3, 4, 12, tzinfo=UTC)
    closed_round_with_summary(session, make_partnership(session, org, name="Early"),
                              days_ago=-30, closed_at=closed)
    session.commit()
    client = admin_client(org)
    cell = soup(client.get("/compare")).select("#comparison-table tbody td")[0]
    assert "closed 4 Mar 2026" in words(cell)
    table = list(csv.reader(io.StringIO(client.get("/compare/partnerships.csv").text)))
    assert table[1][table[0].index("closed")] == "2026-03-04"


def test_exports_carry_labels_question_text_and_factor_scores(admin_client, session, catalogue,
                                                              core):
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Board",
                                   agencies=(("Big Agency", "health"),))
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).one()
    round_ = make_round(session, partnership)
    item = next(core.tagged("factor"))
    for _ in range(3):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        respondent.submitted_at = datetime.now(UTC)
        session.add(Answer(respondent_id=respondent.id, item_id=item.id,
                           value=item.scale.scored[-1].value))
    close(session, round_)
    results.summarise(session, round_, catalogue)
    session.commit()
    client = admin_client(org)

    table = list(csv.reader(io.StringIO(client.get("/compare/partnerships.csv").text)))
    row = dict(zip(table[0], table[1], strict=True))
    factor = item.tag("factor")[0]
    assert row["instrument"] == core.ref and row["townsley_label"] in ("", "Integrated",
                                                                       "Coordinated",
                                                                       "Autonomous")
    assert float(row[f"factor_{factor}"]) == pytest.approx(100.0 if not item.reverse else 0.0)
    answers = list(csv.reader(io.StringIO(client.get("/compare/answers.csv").text)))
    assert answers[0] == comparison_exports.ITEM_COLUMNS
    answer = dict(zip(answers[0], answers[1], strict=True))
    assert answer["question"] == item.text and answer["item_id"] == item.id
    assert answer["answer"] == item.scale.scored[-1].label
    assert answer["factor_label"] == core.tag_label("factor", factor)
    assert float(answer["score"]) == item.scale.score(item.scale.scored[-1].value,
                                                      reverse=item.reverse)
    book = load_workbook(io.BytesIO(client.get("/compare/partnerships.xlsx").content))
    sheet = [list(r) for r in book["Partnerships"].iter_rows(values_only=True)]
    assert sheet[0] == table[0] and sheet[1][0] == "Board"
    assert [c for c in next(book["Answers (anonymised)"].iter_rows(values_only=True))] == \
        comparison_exports.ITEM_COLUMNS
    key = {code: text for code, text in book["Columns"].iter_rows(min_row=2, values_only=True)}
    assert set(key) == set(table[0])
    assert key[f"factor_{factor}"].startswith(core.tag_label("factor", factor))


def test_an_instrument_the_organisation_has_no_round_on_is_refused_clearly(admin_client,
                                                                          session):
    org = make_organisation(session)
    closed_round_with_summary(session, make_partnership(session, org))
    session.commit()
    client = admin_client(org)
    for url in ("/compare?instrument=nothing@1", "/compare/partnerships.csv?instrument=x@2"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Compare on one of these instead" in response.text
        assert "Traceback" not in response.text


def test_partnerships_on_another_instrument_are_never_in_the_same_column(settings, session):
    from tests.test_instruments import ANSWERS, DATA, EXPECTED, app_with_dirs, open_round, submit
    from tests.test_instruments import signed_in as client_of

    app = app_with_dirs(settings, DATA)
    org = make_organisation(session)
    ours = make_partnership(session, org, name="Core Board")
    closed_round_with_summary(session, ours, overall=90.0)
    theirs = make_partnership(session, org, name="Factors Board")
    coordinator = make_user(session, org, coordinates=[theirs])
    admin = make_user(session, org, role=Role.org_admin)
    session.commit()
    round_id = open_round(client_of(app, coordinator), theirs, "partnership-factors@1")
    submit(session, round_id, ANSWERS)
    results.summarise(session, session.get(AssessmentRound, round_id), app.state.catalogue)
    session.commit()
    client = client_of(app, admin)

    # By default the core instrument, named; the other board is listed without its scores.
    page = soup(client.get("/compare"))
    choices = {o["value"]: words(o) for o in page.select("select#instrument option")}
    assert list(choices) == ["multi-agency-working@2", "partnership-factors@1"]
    assert page.select_one("#instrument option[selected]")["value"] == "multi-agency-working@2"
    assert " ".join(page.select_one("#comparison-count").get_text().split()).startswith(
        "All 2 of your partnerships. 1 has a closed round on Multi-agency working "
        "self-assessment (version 2): the table shows the latest.")
    rows = {tr.th.get_text(" ", strip=True): words(tr) for tr in
            page.select("#comparison-table tbody tr")}
    assert "No closed round on this instrument yet" in rows["Factors Board"]
    assert [tr.th.get_text(strip=True) for tr in page.select(".maps-heatmap tbody tr")] == [
        "Core Board"]
    # On the other instrument: its own factors, labels and bands (a mean of 4.0 and above on
    # its 1-5 scale is a strength), and the core board is not in its columns.
    other = soup(client.get("/compare?instrument=partnership-factors@1"))
    heat = other.select_one(".maps-heatmap")
    order = app.state.catalogue.get("partnership-factors").tag_values("factor")
    assert [th.get_text(strip=True) for th in heat.select("thead th")][1:] == [
        EXPECTED[f][2] for f in order]
    assert [tr.th.get_text(strip=True) for tr in heat.select("tbody tr")] == ["Factors Board"]
    bands = [td.select_one(".govuk-visually-hidden").get_text() for td in heat.select("tbody td")]
    assert bands == [EXPECTED[f][1] for f in order]
    assert "4 and above on the scale" in words(other.select_one(".maps-heat-key"))
    assert not other.select("#townsley, #gaster")  # the instrument has no placements
    # The exports are per instrument and name it.
    table = list(csv.reader(io.StringIO(client.get(
        "/compare/partnerships.csv?instrument=partnership-factors@1").text)))
    assert {r[0]: r[2] for r in table[1:]} == {"Core Board": "partnership-factors@1",
                                                "Factors Board": "partnership-factors@1"}
    assert "factor_mutual_respect" in table[0] and "factor_funding" not in table[0]
    core_rows = list(csv.reader(io.StringIO(client.get("/compare/partnerships.csv").text)))
    assert "factor_mutual_respect" not in core_rows[0]
    answers = list(csv.reader(io.StringIO(client.get(
        "/compare/answers.csv?instrument=partnership-factors@1").text)))
    assert {r[0] for r in answers[1:]} == {"Factors Board"}
    data = client.get("/api/compare?instrument=partnership-factors@1").json()
    assert data["instrument"] == {"key": "partnership-factors", "version": 1,
                                  "title": "Partnership factors check"}


@pytest.mark.parametrize("value", [None, 0, 49.5, 50.5, 69.99999, 100])
def test_a_score_shows_as_jinjas_round_filter_would_or_a_dash(value):
    from app.web.render import make_templates, score
    env = make_templates().env
    # The macro this filter replaced, rendered the slow way, must agree with it.
    macro = env.from_string('{% if value is none %}<span class="govuk-hint">–</span>'
                            '{% else %}{{ value | round | int }}{% endif %}')
    assert str(score(value)) == macro.render(value=value)
    assert env.from_string("{{ value | score }}").render(value=value) == macro.render(value=value)
