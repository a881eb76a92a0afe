"""Roster items and the collaboration map: a roster item asked once per partner agency (never
the respondent's own), the Levels of Collaboration Scale as an instrument and as an optional
part of a core round, and the map with its anonymity rule, in JSON, HTML and the report."""

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.clock import UK
from app.models import Agency, Answer, AssessmentRound, Partnership, Sector
from app.questionnaires.loader import HERE, InvalidQuestionnaire, load_file, parse
from app.scoring import RespondentAnswers, score_round
from app.scoring.collaboration import MERGED, collaboration_map
from tests.conftest import start_response
from tests.factories import close, make_invite, make_organisation, make_partnership, make_user
from tests.test_instruments import closing_date, signed_in

LCS = load_file(HERE / "levels-of-collaboration.yaml")
ROSTER = [("1", "Health"), ("2", "Schools"), ("3", "Police")]


def test_a_roster_item_is_asked_about_each_partner_agency_but_the_respondents_own():
    asked = LCS.for_roster(ROSTER, own="2")
    assert [(i.id, i.text) for i in asked.items] == [
        ("collaboration_level@1", "How does your agency work with Health now?"),
        ("collaboration_level@3", "How does your agency work with Police now?")]
    everyone = LCS.for_roster(ROSTER)
    assert [i.agency_name for i in everyone.items] == ["Health", "Schools", "Police"]
    assert {i.template for i in everyone.items} == {"collaboration_level"}
    assert LCS.items[0].for_each == "partner_agency" and not everyone.has_roster


@pytest.mark.parametrize(("change", "expected"), [
    ("text: How does your agency work with {agency} now?", "names the agency it asks about"),
    ("for_each: partner_agency", "which only a roster item has"),
    ("for_each: partner_agency", "'for_each' must be 'partner_agency', not 'everyone'"),
])
def test_roster_items_are_checked(change, expected):
    text = (HERE / "levels-of-collaboration.yaml").read_text()
    broken = {
        "names the agency it asks about": text.replace("{agency} now?", "them now?"),
        "which only a roster item has": text.replace("        for_each: partner_agency\n", ""),
    }.get(expected, text.replace("for_each: partner_agency", "for_each: everyone"))
    assert change in text
    with pytest.raises(InvalidQuestionnaire) as raised:
        parse(broken, "lcs.yaml")
    assert any(expected in str(e) for e in raised.value.errors), raised.value.errors


def person(agency: str, **ratings: str | None) -> RespondentAnswers:
    ids = {name: key for key, name in ROSTER + [("4", "Housing")]}
    return RespondentAnswers(agency=agency, agency_id=ids[agency], level="strategic", answers={
        f"collaboration_level@{ids[target]}": value for target, value in ratings.items()})


BOARD = [  # three from Health, three from Schools, one from Police
    person("Health", Schools="4", Police="0"), person("Health", Schools="4", Police="0"),
    person("Health", Schools="4", Police="0"),
    person("Schools", Health="2", Police="0"), person("Schools", Health="2", Police="0"),
    person("Schools", Health="1", Police="0"),
    person("Police", Health="5", Schools="5"),
]


def test_the_map_flags_asymmetric_pairs_and_isolated_agencies_and_merges_small_ones():
    found = collaboration_map(LCS.for_roster(ROSTER), BOARD, threshold=3)
    assert found.raters == ("Health", "Schools", MERGED) and found.merged == ("Police",)
    assert found.cell("Health", "Schools").mean == 4
    assert found.cell("Schools", "Health").mean == pytest.approx(5 / 3)
    [pair] = found.asymmetric  # 4 against 1.67: more than two levels apart
    assert (pair.first, pair.second) == ("Health", "Schools") and pair.gap >= 2
    assert found.isolated == ("Police",)  # rated "no interaction" by everyone shown
    # Police's one respondent is alone in the merged row: none of their ratings is shown.
    merged = [c for c in found.cells if c.rater == MERGED]
    assert all(c.mean is None for c in merged)
    assert [c.target for c in merged if c.withheld] == ["Health", "Schools"]
    assert found.level_label(found.cell("Health", "Schools").mean) == "Coalition"


def test_small_agencies_merged_show_only_ratings_from_the_threshold():
    board = [*BOARD, person("Housing", Health="2", Police="1"),
             person("Housing", Health="2", Police="1")]
    roster = ROSTER + [("4", "Housing")]
    found = collaboration_map(LCS.for_roster(roster), board, threshold=3)
    assert found.merged == ("Housing", "Police")
    assert found.cell(MERGED, "Health").mean == 3 and found.cell(MERGED, "Health").n == 3
    # Only Housing's two rated Police (Police is not asked about itself): withheld.
    assert found.cell(MERGED, "Police").withheld
    # Housing's ratings of Police are withheld; those shown are still all "no interaction".
    assert "Police" in found.isolated
    assert "Housing" not in found.isolated  # nobody shown rated it: not known, not isolated


def test_the_lcs_instrument_alone_scores_nothing_and_maps_its_ratings():
    """Roster items are never scored (docs/privacy.md, rule 7): the ratings are in the map
    only, so no score, count or agreement can be set beside it."""
    board = [person("Health", Schools="4", Police="3"), person("Schools", Health="2"),
             person("Police", Health="3", Schools="dk")]
    answers = [dataclasses.replace(p, answers={k: (None if v == "dk" else v)
                                               for k, v in p.answers.items()})
               for p in board]
    result = score_round(LCS.for_roster(ROSTER), answers, anonymity_threshold=3)
    for group in (result.partnership, *result.groups):
        assert group.items == {} and group.tags == {} and group.overall is None
    assert result.consensus.items == {} and result.coverage.items == 0
    assert result.coverage.answered_share is None and result.coverage.dont_know_share is None
    assert not [n for n in result.coverage.notes if "questions were answered" in n]
    found = collaboration_map(LCS.for_roster(ROSTER), answers, threshold=3)
    assert found.merged == ("Health", "Police", "Schools")  # one respondent each


# --- A core round with the Levels of Collaboration Scale as its optional part ---------------

@pytest.fixture
def lcs_round(app, session):
    org = make_organisation(session, name="Eastmere Council")
    partnership = make_partnership(session, org, name="Eastmere Early Help", agencies=[
        ("Eastmere Health", Sector.health), ("Eastmere Schools", Sector.education),
        ("Eastmere Police", Sector.police)])
    coordinator = make_user(session, org, coordinates=[partnership])
    client = signed_in(app, coordinator)
    refused = client.post(f"/partnerships/{partnership.id}/rounds", data={
        "questionnaire": "levels-of-collaboration@1", "collaboration": "yes", "title": "",
        "threshold": "3", **closing_date()})
    assert refused.status_code == 400 and "only to a round of the core" in refused.text
    response = client.post(f"/partnerships/{partnership.id}/rounds", data={
        "questionnaire": "multi-agency-working@2", "collaboration": "yes", "title": "",
        "threshold": "3", **closing_date()})
    assert response.status_code == 303, response.text
    round_ = session.get(AssessmentRound, int(response.headers["location"].rsplit("/", 1)[1]))
    agencies = {a.name: a for a in session.exec(select(Agency).where(
        Agency.partnership_id == partnership.id))}
    return round_, agencies, client


def test_a_core_round_with_the_optional_part_asks_both(app, session, lcs_round):
    round_, agencies, coordinator = lcs_round
    assert (round_.part_key, round_.questionnaire_key) == ("levels-of-collaboration",
                                                           "multi-agency-working")
    rows = {row.dt.get_text(strip=True): row.dd.get_text(" ", strip=True) for row in
            BeautifulSoup(coordinator.get(f"/rounds/{round_.id}").text, "html.parser")
            .select(".govuk-summary-list__row")}
    assert rows["Optional part"] == ("Levels of collaboration between partner agencies "
                                     "(version 1), asked after the questionnaire")
    assert [name for _, name in round_.roster] == sorted(agencies)
    respondent, token = make_invite(session, round_)
    from tests.conftest import FormClient
    with FormClient(app, follow_redirects=False) as board_member:
        start_response(board_member, token)
        police = agencies["Eastmere Police"]
        assert board_member.post(f"/r/{token}/about", data={
            "agency": str(police.id), "level": "strategic"}).status_code == 303
        page = board_member.get(f"/r/{token}/s/partner-agencies")
        assert page.status_code == 200
        soup = BeautifulSoup(page.text, "html.parser")
        legends = [lg.get_text(" ", strip=True) for lg in soup.select("legend")]
        assert any("Eastmere Health" in text for text in legends)
        assert not any("Eastmere Police" in text for text in legends)  # their own agency
        assert "No interaction" in soup.select_one(".maps-roster-key").get_text()
        item = f"collaboration_level@{agencies['Eastmere Schools'].id}"
        saved = board_member.post(f"/r/{token}/answer", data={item: "3"},
                                  headers={"HX-Request": "true"})
        assert saved.status_code == 200, saved.text
        own = f"collaboration_level@{police.id}"
        refused = board_member.post(f"/r/{token}/answer", data={own: "5"},
                                    headers={"HX-Request": "true"})
        assert refused.status_code == 400
        core_first = board_member.get(f"/r/{token}").headers["location"]
        assert "/s/partner-agencies" not in core_first  # the core questionnaire comes first
    rows = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).all()
    assert [(a.item_id, a.value) for a in rows] == [(item, "3")]


def test_the_counter_leaves_out_answers_about_an_agency_no_longer_asked_about(
        app, session, lcs_round):
    # A board member rates Eastmere Schools, then says they are from Eastmere Schools: that
    # answer stays stored, but they are no longer asked about their own agency.
    round_, agencies, _ = lcs_round
    respondent, token = make_invite(session, round_)
    from tests.conftest import FormClient
    schools, police = agencies["Eastmere Schools"], agencies["Eastmere Police"]

    def from_agency(agency):
        assert board_member.post(f"/r/{token}/about", data={
            "agency": str(agency.id), "level": "strategic"}).status_code == 303

    def answered_after(data) -> int:
        saved = board_member.post(f"/r/{token}/answer", data=data,
                                  headers={"HX-Request": "true"})
        assert saved.status_code == 200, saved.text
        text = BeautifulSoup(saved.text, "html.parser").select_one("#progress-count").get_text()
        return int(re.match(r"(\d+) of \d+ questions answered", text).group(1))

    with FormClient(app, follow_redirects=False) as board_member:
        start_response(board_member, token)
        from_agency(police)
        assert answered_after({f"collaboration_level@{schools.id}": "3"}) == 1
        from_agency(schools)
        # The rating of their own agency is not counted.
        assert answered_after({"wr_clear_agency_roles": "4"}) == 1
    stored = session.exec(select(Answer.item_id).where(
        Answer.respondent_id == respondent.id).order_by(Answer.item_id)).all()
    assert stored == [f"collaboration_level@{schools.id}", "wr_clear_agency_roles"]


def _answered(session, round_, agency, ratings: list):
    respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
    session.add_all(Answer(respondent_id=respondent.id, item_id=f"collaboration_level@{a.id}",
                           value=value) for a, value in ratings)
    session.add(Answer(respondent_id=respondent.id, item_id="wr_clear_agency_roles", value="4"))
    respondent.submitted_at = datetime.now(UTC)
    session.add(respondent)


def test_the_collaboration_map_on_the_results_page_in_json_and_in_the_report(
        app, session, lcs_round):
    from app.services.report import report_context

    round_, agencies, client = lcs_round
    health, schools, police = (agencies[f"Eastmere {n}"] for n in ("Health", "Schools",
                                                                    "Police"))
    for _ in range(3):
        _answered(session, round_, health, [(schools, "5"), (police, "0")])
        _answered(session, round_, schools, [(health, "2"), (police, "0")])
    _answered(session, round_, police, [(health, "4"), (schools, "1")])  # one person: never alone
    session.commit()
    close(session, round_)

    data = client.get(f"/api/rounds/{round_.id}/result").json()["collaboration"]
    assert data["raters"] == ["Eastmere Health", "Eastmere Schools", MERGED]
    assert [(p["first"], p["second"]) for p in data["asymmetric"]] == [
        ("Eastmere Health", "Eastmere Schools")]
    assert data["isolated"] == ["Eastmere Police"]
    assert all(c["mean"] is None for c in data["cells"] if c["rater"] == MERGED)

    context = report_context(session, round_, app.state.catalogue)
    assert context.collaboration.map.asymmetric[0].gap == 3
    assert all(c.mean is None for c in context.collaboration.map.cells
               if c.rater not in ("Eastmere Health", "Eastmere Schools"))

    soup = BeautifulSoup(client.get(f"/rounds/{round_.id}/results").text, "html.parser")
    region = soup.select_one("#collaboration .maps-table-region[role=region]")
    columns = [th.get_text(strip=True) for th in region.select("thead th")][1:]
    rows = {tr.th.get_text(strip=True): dict(zip(columns, (td.get_text(" ", strip=True)
                                                           for td in tr("td")), strict=True))
            for tr in region.select("tbody tr")}
    assert set(rows) == {"Eastmere Health", "Eastmere Schools", MERGED}
    health_of_schools = rows["Eastmere Health"]["Eastmere Schools"]
    assert health_of_schools == "5.0 Collaboration (n=3) (asymmetric)"
    assert rows["Eastmere Schools"]["Eastmere Health"] == "2.0 Cooperation (n=3) (asymmetric)"
    # Police's one respondent rated Health 4 and Schools 1: neither is shown.
    assert rows[MERGED] == {"Eastmere Health": "withheld: fewer than 3 ratings",
                            "Eastmere Police": "–",
                            "Eastmere Schools": "withheld: fewer than 3 ratings"}
    assert "Eastmere Police" in soup.select_one("#collaboration-isolated").find_next("p").text
    assert soup.select_one("#collaboration svg")  # drawn by the server, for no-JS and PDF
    figure = json.loads(soup.select_one("#collaboration-figure").string)
    assert {t["type"] for t in figure["data"]} == {"scatter"}
    assert soup.select_one("[data-collaboration-chart]")
    scripts = [s.get("src") for s in soup.select("script")]
    assert not any("plotly" in (src or "") for src in scripts)  # loaded only when shown
    assert not [s for s in soup.select("script") if not s.get("src")
                and s.get("type") != "application/json"]
    # The item-level export leaves roster answers out: the agency missing from a person's
    # ratings would name theirs (Police's one respondent's agency is withheld there).
    from app.services import comparison, comparison_exports

    partnership = session.get(Partnership, round_.partnership_id)
    catalogue = app.state.catalogue
    found = comparison.instruments(session, organisation_id=partnership.organisation_id,
                                   catalogue=catalogue)
    instrument = comparison.choose(found, f"{round_.questionnaire_key}@"
                                          f"{round_.questionnaire_version}")
    item = comparison_exports.ITEM_COLUMNS.index("item_id")
    exported = list(comparison_exports.item_rows(
        session, organisation_id=partnership.organisation_id, instrument=instrument,
        catalogue=catalogue))
    assert exported and not [r for r in exported if "@" in r[item]]
    assert {r[item] for r in exported} == {"wr_clear_agency_roles"}


def test_a_roster_round_needs_two_agencies(session, catalogue):
    from app.services.errors import Invalid
    from app.services.rounds import open_round
    org = make_organisation(session)
    partnership = make_partnership(session, org, agencies=[("Solo Health", Sector.health)])
    coordinator = make_user(session, org, coordinates=[partnership])
    with pytest.raises(Invalid) as raised:
        open_round(session, partnership=partnership, catalogue=catalogue,
                   questionnaire="levels-of-collaboration@1", title="", **closes_in_a_month(),
                   threshold="3", min_threshold=3, opened_by=coordinator)
    assert "at least two" in raised.value.errors["questionnaire"]
    assert session.exec(select(AssessmentRound)).all() == []


def closes_in_a_month() -> dict[str, str]:
    day = datetime.now(UK).date() + timedelta(days=30)
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
