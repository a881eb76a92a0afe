"""Every instrument in its own terms: MAPS's own content (recommendations, placements,
disputed facts) only where a definition links to it, never by a matching id; the respondent
pages, the invitation and the round page built from the definition; and the messages an upload
gets for a file too large, with the format's documentation the app serves itself."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Agency, AssessmentRound, Role
from app.questionnaires.format import json_schema
from app.questionnaires.loader import HERE, parse
from app.recommendations.matching import recommend
from app.reports.context import build_context
from app.reports.pdf import render_html
from app.scoring import RespondentAnswers, score_round
from app.services.invitations import PLACEHOLDERS, Invitation, compose
from tests.conftest import DATA, FormClient, start_response
from tests.factories import make_invite, make_organisation, make_partnership, make_user
from tests.report_helpers import random_board
from tests.test_examples import EXAMPLES
from tests.test_instruments import ANSWERS, open_round, signed_in

FACTORS = (DATA / "partnership-factors.yaml").read_text()
CORE_TEXT = (HERE / "multi-agency-working-v2.yaml").read_text()
LINKS = "\n# MAPS's own content this instrument asks for"


def soup_of(questionnaire, result) -> BeautifulSoup:
    context = build_context(partnership_name="Northvale", round_title="Round 1",
                            questionnaire=questionnaire, result=result)
    return BeautifulSoup(render_html(context, charts=False, appendix=True), "html.parser")


def people(questionnaire) -> list[RespondentAnswers]:
    return [RespondentAnswers(agency="A", answers={k: (None if v == "dk" else v)
                                                   for k, v in person.items()})
            for person in ANSWERS]


# --- MAPS's own content, by link only ----------------------------------------------------------

# The test instrument's factors renamed as three of Table 5.1's: a factor called "leadership"
# in another instrument may measure something else.
NAMED_LIKE_MAPS = (FACTORS.replace("mutual_respect", "leadership")
                   .replace("open_communication", "time").replace("shared_vision", "funding"))


def test_a_factor_named_like_one_of_maps_gets_no_recommendation_without_a_link():
    questionnaire = parse(NAMED_LIKE_MAPS)
    result = score_round(questionnaire, people(questionnaire))
    assert recommend(result, questionnaire) == []
    soup = soup_of(questionnaire, result)
    assert soup.select_one("#recommendations") is None
    assert "Recommendations" not in soup.select_one("#contents").text
    text = soup.get_text(" ")
    for words in ("Table 5.1", "Townsley", "the review", "typology"):
        assert words not in text, words
    # The summary's priorities are then its lowest factors, in its own terms.
    priorities = soup.select_one("#priorities").find_next("p").text
    assert priorities == "The three factors scoring lowest."
    linked = parse(NAMED_LIKE_MAPS + "links: {recommendations: review-table-5.1}\n")
    chosen = recommend(score_round(linked, people(linked)), linked)
    assert chosen and {r.target for r in chosen if r.basis == "weak"} <= {"leadership", "time",
                                                                         "funding"}
    assert soup_of(linked, score_round(linked, people(linked))).select_one("#recommendations")


def test_placements_and_disputed_facts_only_for_what_a_definition_links():
    board = random_board(3, ["Health", "Police"], 4)
    unlinked = parse(CORE_TEXT[:CORE_TEXT.index(LINKS)])
    result = score_round(unlinked, board)
    assert result.placements == [] and result.to_dict()["placements"] == []
    assert result.placement("townsley") is None
    soup = soup_of(unlinked, result)
    for section in ("#placements", "#disputed-facts", "#recommendations"):
        assert soup.select_one(section) is None, section
    assert "typology placements" not in soup.select_one("meta[name=description]")["content"]
    linked = parse(CORE_TEXT)
    placed = score_round(linked, board)
    assert [p.model for p in placed.placements] == ["townsley", "gaster", "fox_butler_stage",
                                                    "fox_butler_function", "audit_commission",
                                                    "atkinson", "watson"]
    soup = soup_of(linked, placed)
    for section in ("#placements", "#disputed-facts", "#recommendations"):
        assert soup.select_one(section) is not None, section
    only_gaster = parse(CORE_TEXT.replace(
        "  typologies: [townsley, gaster, fox_butler_stage, fox_butler_function, "
        "audit_commission,\n               atkinson, watson]\n", "  typologies: [gaster]\n"))
    assert [p.model for p in score_round(only_gaster, board).placements] == ["gaster"]


def test_a_report_without_factors_names_the_groups_it_has():
    # An instrument that groups its items only into areas: strengths and priorities are its
    # areas, never "No factor could be scored".
    areas_only = parse(FACTORS.replace("factor: mutual_respect, ", "").replace(
        "factor: open_communication, ", "").replace("factor: shared_vision, ", "").replace(
        "  factor:\n    mutual_respect: Mutual respect, understanding and trust\n"
        "    shared_vision: A shared vision\n"
        "    open_communication: Open and frequent communication\n", ""))
    soup = soup_of(areas_only, score_round(areas_only, people(areas_only)))
    assert soup.select_one("#strengths").find_next("p").text == "The three areas scoring highest."
    assert "No factor" not in soup.get_text()


# --- Pages and messages built from the definition ------------------------------------------

INVENTORY = (EXAMPLES / "collaboration-factors-inventory.yaml").read_text()


@pytest.fixture
def inventory_round(app, session):
    org = make_organisation(session, name="Northvale Council")
    partnership = make_partnership(session, org, name="Northvale Early Help")
    admin = make_user(session, org, role=Role.org_admin, email="admin@northvale.example")
    coordinator = make_user(session, org, coordinates=[partnership])
    session.commit()
    response = signed_in(app, admin).post(
        "/questionnaires", files={"definition": ("inventory.yaml", INVENTORY.encode())})
    assert response.status_code == 303
    client = signed_in(app, coordinator)
    round_id = open_round(client, partnership, "collaboration-factors-example@1")
    return session.get(AssessmentRound, round_id), partnership, client


def test_the_respondent_pages_carry_the_questionnaire_and_its_own_answers(app, session,
                                                                         inventory_round):
    round_, partnership, _ = inventory_round
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    _, token = make_invite(session, round_, agency_id=agency.id, level="strategic")
    with FormClient(app) as member:
        welcome = BeautifulSoup(member.get(f"/r/{token}/welcome").text, "html.parser")
        assert welcome.select_one(".govuk-caption-l").text == parse(INVENTORY).title
        assert "Forty statements about how the group works together." in welcome.text
        start_response(member, token)
        section = BeautifulSoup(member.get(f"/r/{token}/s/environment").text, "html.parser")
        review = member.get(f"/r/{token}/review").text
    assert section.select_one(".govuk-caption-l").text.startswith(
        "Collaboration factors inventory (example) – part 1 of 6")
    assert "Partnership self-assessment" not in section.text
    for text in (section.text, review):
        assert "Don't know" not in text and "Don’t know" not in text


def test_a_scale_with_dont_know_is_told_about_it(app, session):
    # The core instrument's scales offer "Don't know": its pages say when to choose it.
    partnership = make_partnership(session)
    round_ = AssessmentRound(partnership_id=partnership.id, title="Round 1",
                             questionnaire_key="multi-agency-working", questionnaire_version=2,
                             opens_at=datetime.now(UTC), closes_at=datetime(2099, 1, 1, tzinfo=UTC),
                             status="open")
    session.add(round_)
    session.commit()
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    _, token = make_invite(session, round_, agency_id=agency.id, level="strategic")
    with FormClient(app) as member:
        start_response(member, token)
        first = parse(CORE_TEXT).sections[0].id
        page = BeautifulSoup(member.get(f"/r/{token}/s/{first}").text, "html.parser")
    assert "Choose “Don't know” when you are not sure." in " ".join(page.text.split())


def test_the_default_invitation_names_the_questionnaire(app, session, inventory_round):
    round_, _, client = inventory_round
    assert "questionnaire" in PLACEHOLDERS
    page = BeautifulSoup(client.get(f"/rounds/{round_.id}/invitation").text, "html.parser")
    assert "“Collaboration factors inventory (example)”" in page.select_one(
        ".maps-email-preview__text").text
    email = compose(Invitation(partnership="Northvale Early Help", coordinator="Cy",
                               coordinator_email="cy@example.org", organisation="Northvale",
                               closes_at=datetime(2099, 1, 1, tzinfo=UTC), minutes=15,
                               threshold=3, questionnaire="Partnership checklist"),
                    name="Ann", agency="Health", link="https://maps.example/r/x")
    assert email.subject.startswith("Northvale Early Help: please answer “Partnership checklist”")
    assert "MAPS self-assessment" not in email.text


def test_a_roster_round_with_one_member_per_agency_says_no_pair_will_be_shown(app, session):
    org = make_organisation(session)
    partnership = make_partnership(session, org, agencies=(
        ("Health", "health"), ("Police", "police"), ("Schools", "education")))
    coordinator = make_user(session, org, coordinates=[partnership])
    session.commit()
    client = signed_in(app, coordinator)
    form = client.get(f"/partnerships/{partnership.id}/rounds/new").text
    assert "with fewer from each agency, no pair of agencies can be shown" in form
    round_id = open_round(client, partnership, "levels-of-collaboration@1")
    round_ = session.get(AssessmentRound, round_id)
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)
                            .order_by(Agency.name)).all()

    def outlook() -> str:
        page = BeautifulSoup(client.get(f"/rounds/{round_id}").text, "html.parser")
        return " ".join(page.select_one("#map-outlook").text.split())

    for agency in agencies:  # one board member from each agency
        make_invite(session, round_, agency_id=agency.id)
    said = outlook()
    assert "shown as a row of their own only when at least 3 of its board members" in said
    assert "As the board is invited now, no pair of agencies will be shown. No agency has 3 " \
           "or more board members invited" in said
    for _ in range(2):  # Health reaches three: one agency alone makes no pair
        make_invite(session, round_, agency_id=agencies[0].id)
    assert "no pair of agencies will be shown. Only one agency has 3 or more" in outlook()
    for _ in range(2):  # and Police: Health and Police can be compared, Schools cannot
        make_invite(session, round_, agency_id=agencies[1].id)
    said = outlook()
    assert "no pair of agencies will be shown" not in said
    assert "Schools has fewer than 3 board members invited: its ratings will be merged, and " \
           "no pair including it will be shown." in said


def test_a_core_round_says_nothing_of_a_map_it_does_not_draw(app, session, inventory_round):
    round_, _, client = inventory_round
    assert 'id="map-outlook"' not in client.get(f"/rounds/{round_.id}").text


# --- The upload's messages --------------------------------------------------------------------

def test_a_request_over_the_limit_gets_a_page_stating_the_definitions_limit(app, session):
    admin = make_user(session, make_organisation(session), role=Role.org_admin)
    client = signed_in(app, admin)
    big = b"x" * (app.state.settings.max_request_bytes + 1)
    response = client.post("/questionnaires", files={"definition": ("big.yaml", big)})
    assert response.status_code == 413
    text = " ".join(BeautifulSoup(response.text, "html.parser").select_one("main").text.split())
    assert "The file is too large" in text
    assert "A questionnaire definition can be at most 2 MB, and this upload was larger than " \
           "the 5 MB MAPS reads in one request, so nothing in it was read or saved." in text
    other = client.post("/dashboard", content=big,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert other.status_code == 413
    assert "MAPS accepts at most 5 MB in one request" in other.text
    assert "Content Too Large" not in response.text + other.text


def test_the_app_serves_the_format_and_the_upload_page_links_to_it(app, session):
    anyone = FormClient(app)
    page = BeautifulSoup(anyone.get("/questionnaires/format").text, "html.parser")
    assert page.select_one("h1").text == "Questionnaires"
    assert page.select_one("h2#bringing-a-published-instrument")
    assert page.select_one("#bringing-a-published-instrument").text == \
        "Bringing a published instrument"
    assert page.select(".maps-doc .maps-table-region[role=region][tabindex='0'] table")
    assert anyone.get("/questionnaires/schema.json").json() == json_schema()
    admin = make_user(session, make_organisation(session), role=Role.org_admin)
    listing = BeautifulSoup(signed_in(app, admin).get("/questionnaires").text, "html.parser")
    links = {a["href"] for a in listing.select("main a")}
    assert {"/questionnaires/format",
            "/questionnaires/format#bringing-a-published-instrument"} <= links
    assert "docs/questionnaires.md" not in listing.select_one("main form").find_previous("p").text


def test_gaps_and_spreads_are_given_on_the_scale_of_an_instrument_banded_on_its_mean():
    from tests.test_examples import INVENTORY as inventory

    # Three members of Alpha answer every statement 5, three of Beta 3, but "enough money",
    # where Alpha answers 4 and Beta 2: a gap of 2.00 on every factor, on 1 to 5.
    board = [RespondentAnswers(agency=agency, answers={
        i.id: str(value - (i.id == "enough_money")) for i in inventory.items})
        for agency, value in (("Alpha", 5), ("Beta", 3)) for _ in range(3)]
    soup = soup_of(inventory, score_round(inventory, board))
    gaps = soup.select_one("#agency-gaps")
    lead = " ".join(gaps.find_next("p").text.split())
    assert "differ by 0.6 on the scale of 1 to 5 or more" in lead
    first = [td.get_text(" ", strip=True) for td in gaps.find_next("table").tbody.tr("td")]
    assert first == ["Alpha: 5.00", "Beta: 3.00", "2.00"]
    method = " ".join(soup.select_one("#method").text.split())
    assert "a standard deviation of 1.2 on the scale of 1 to 5 or more" in method
    assert "points" not in method


def test_a_change_between_rounds_is_given_in_means_where_the_figures_are_means():
    from app.scoring.change import compare_rounds
    from tests.test_examples import INVENTORY as inventory

    def everyone(value: str) -> list[RespondentAnswers]:
        return [RespondentAnswers(agency="Alpha", answers={i.id: value for i in inventory.items})
                for _ in range(4)]

    change = compare_rounds(before=score_round(inventory, everyone("3")),
                            after=score_round(inventory, everyone("4")),
                            questionnaire=inventory, previous_title="Round 1")
    assert change.overall.text == "Overall: up 1.00, from 3.00 to 4.00"
    assert change.headline == "Since Round 1: overall mean up 1.00, from 3.00 to 4.00."
    assert change.moved and all(c.text.endswith("up 1.00, from 3.00 to 4.00")
                                for c in change.moved)
