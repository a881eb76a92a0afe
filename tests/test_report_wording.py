"""What the results page and the comparison page say is true: disagreement is MAPS's reading,
not the review's finding; the cross-cutting grouping is MAPS's; counts come from the
instrument, never from the template."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Agency, Answer, Role, RoundStatus, RoundSummary
from app.recommendations.labels import in_words
from tests.conftest import FormClient, sign_in
from tests.factories import make_invite, make_organisation, make_partnership, make_round, make_user
from tests.report_helpers import best, worst

# What MAPS used to claim for the review: none of it may come back.
CLAIMS = ("finding in itself", "the review names", "do not share an understanding",
          "not share an understanding", "singles out", "the review’s three cross-cutting practices")


def page(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text[:300]
    return BeautifulSoup(response.text, "html.parser")


def words(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture
def split_round(session, client, core):
    """A closed round where half the board answers best and half worst on every question, so
    every question is contested, the facts are disputed and factors need strategies."""
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership, status=RoundStatus.closed)
    coordinator = make_user(session, org, coordinates=[partnership])
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).all()
    for n in range(6):
        respondent, _ = make_invite(session, round_, agency_id=agencies[n % 2].id,
                                    level=("strategic", "operational")[n // 3])
        answer = best if n % 2 else worst
        session.add_all(Answer(respondent_id=respondent.id, item_id=item.id, value=answer(item))
                        for item in core.items if item.scale.scored)
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    sign_in(client, coordinator)
    return round_


def test_the_consensus_section_says_what_maps_infers(client, split_round):
    html = page(client.get(f"/rounds/{split_round.id}/results"))
    consensus = html.select_one("#consensus")
    rows = ".maps-table-region table tbody tr"
    assert consensus.select(f"#contested ~ {rows}"), "the board was meant to split"
    assert html.select_one(f"#disputed-facts ~ {rows}"), "facts were meant to be disputed"
    text = words(consensus)
    for claim in CLAIMS:
        assert claim not in text
    assert "The rules for a split are MAPS’s own, and so is the reading" in text
    assert "MAPS cannot tell which answer is right" in text


def test_recommendations_say_maps_groups_them_under_the_reviews_themes(client, split_round):
    html = page(client.get(f"/rounds/{split_round.id}/results"))
    section = html.select_one("#recommendations")
    text = words(section)
    for claim in CLAIMS:
        assert claim not in text and claim not in words(html.select_one("#method"))
    assert "MAPS groups some strategies under the review’s three cross-cutting themes" in text
    tagged = [a for a in section.select("article") if a.select_one(".report-tag")]
    assert tagged
    for article in tagged:
        assert "one of the review's three cross-cutting themes" in words(article)
        assert "MAPS groups this strategy under" in words(article)


def test_the_counts_on_the_results_page_are_the_instruments(client, split_round, core):
    html = page(client.get(f"/rounds/{split_round.id}/results"))
    dimensions = len(core.tag_vocabulary["dimension"])
    areas = len(core.tag_vocabulary["area"])
    assert words(html.select_one("#dimensions")) == f"The {in_words(dimensions)} dimensions"
    assert words(html.select_one("#areas")) == f"The {in_words(areas)} areas"
    assert f"fall into {in_words(areas)} areas" in words(html.select_one("#scores"))
    assert len(html.select("#scores table")[1].select("tbody tr")) == areas


def test_the_comparison_page_counts_the_factors_it_shows(app, session):
    org = make_organisation(session)
    factors = {"funding": 40.0, "leadership": 60.0, "time": 70.0, "staffing": 55.0}
    for name in ("Alpha", "Bravo"):
        partnership = make_partnership(session, org, name=name)
        closes = datetime.now(UTC) - timedelta(days=3)
        round_ = make_round(session, partnership, status=RoundStatus.closed, closes_at=closes,
                            opens_at=closes - timedelta(days=20))
        session.add(RoundSummary(round_id=round_.id, respondents=5, invited=6,
                                 townsley="coordinated", gaster="2", overall=55.0,
                                 scores={"factor": factors}))
    admin = make_user(session, org, role=Role.org_admin)
    session.commit()
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, admin)
        html = page(client.get("/compare"))
    heading = words(html.select_one("h2#factors"))
    assert heading == "The 4 factors across partnerships"
    assert len(html.select(".maps-heatmap thead th")) == 1 + len(factors)


def test_the_comparison_page_with_nothing_closed_yet(app, session):
    org = make_organisation(session)
    make_partnership(session, org)
    admin = make_user(session, org, role=Role.org_admin)
    session.commit()
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, admin)
        html = page(client.get("/compare"))
    assert words(html.select_one("h2#factors")) == "Factors across partnerships"


@pytest.mark.parametrize("count, text", [(0, "no"), (3, "three"), (9, "nine"), (17, "17")])
def test_counts_in_words(count, text):
    assert in_words(count) == text


def test_a_capped_list_says_how_much_of_it_is_shown(client, split_round):
    """The board paper lists at most MAX_CONTESTED_LISTED of each kind; a longer list says
    which part of how many it shows, the total being the whole result's."""
    from app.reports.context import MAX_CONTESTED_LISTED

    consensus = client.get(f"/api/rounds/{split_round.id}/result").json()["consensus"]
    html = page(client.get(f"/rounds/{split_round.id}/results"))
    for anchor, key in (("contested", "contested"), ("disputed-facts", "disputed_facts")):
        total = len(consensus[key])
        assert total > MAX_CONTESTED_LISTED, f"the split board was meant to have many {key}"
        lead = words(html.select_one(f"#{anchor} + p"))
        assert f"the first {MAX_CONTESTED_LISTED} of {total} are shown" in lead, lead
        rows = html.select_one(f"#{anchor} ~ .maps-table-region").select("tbody tr")
        assert len(rows) == MAX_CONTESTED_LISTED
