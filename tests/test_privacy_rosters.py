"""Roster items, the collaboration map's merged row, and comments below the threshold, read as
an attacker would (issue 22, findings B, C and F).

- B: a roster scale asked on its own (the Levels of Collaboration Scale) had its ratings
  scored as ordinary items, so whole minus a shown group gave a withheld member's rating of
  each agency, and the "no answer" counts gave withheld groups' sizes.
- C: with one person in the map's merged row, each cell read "withheld" (they rated that
  agency) or "n: 0" (they did not).
- F: comments of a round below its threshold must be in no output."""

import io
import json
import random
import re
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.models import Agency, Answer, Sector
from app.questionnaires.loader import HERE, load_file
from app.scoring import RespondentAnswers
from app.scoring.collaboration import collaboration_map
from tests.conftest import CONFIRM
from tests.factories import make_invite, make_organisation, make_partnership, make_round, make_user
from tests.privacy_attack import read_across, view_of_result
from tests.test_instruments import signed_in

LCS = load_file(HERE / "levels-of-collaboration.yaml")
P, Q, R = "Pine Health", "Quince Schools", "Rowan Police"
THRESHOLD = 3


def answer(session, round_, agency: Agency, answers: dict, comments: dict | None = None):
    respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
    comments = comments or {}
    session.add_all(Answer(respondent_id=respondent.id, item_id=item_id, value=value,
                           comment=comments.get(item_id))
                    for item_id, value in answers.items())
    respondent.submitted_at = datetime.now(UTC)
    session.add(respondent)


def partnership_of(session, names=(P, Q, R)):
    org = make_organisation(session)
    partnership = make_partnership(session, org, agencies=[(n, Sector.other) for n in names])
    agencies = {a.name: a for a in session.exec(
        select(Agency).where(Agency.partnership_id == partnership.id))}
    return org, partnership, agencies


def close_as_coordinator(app, session, org, partnership, round_):
    client = signed_in(app, make_user(session, org, coordinates=[partnership]))
    assert client.post(f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
    return client


# --- B: a roster scale asked on its own -------------------------------------------------------

def test_a_roster_scale_alone_gives_no_rating_away_by_subtraction(app, session):
    """P (3), Q (3), R (1): the whole partnership's ratings of Q come from P and R only, so
    with P shown, whole minus P was R's one member's rating of Q."""
    org, partnership, agencies = partnership_of(session)
    round_ = make_round(session, partnership, questionnaire_key=LCS.key,
                        questionnaire_version=LCS.version, anonymity_threshold=THRESHOLD,
                        roster=[[a.id, a.name] for a in agencies.values()])
    rng = random.Random(22)
    board = [P, P, P, Q, Q, Q, R]
    levels = [o.value for o in LCS.items[0].scale.options]
    for name in board:
        answer(session, round_, agencies[name], {
            f"collaboration_level@{a.id}": rng.choice(levels)
            for a in agencies.values() if a.name != name and rng.random() > 0.1})
    session.commit()
    client = close_as_coordinator(app, session, org, partnership, round_)
    result = client.get(f"/api/rounds/{round_.id}/result").json()

    sizes = {(name, "strategic"): board.count(name) for name in (P, Q, R)}
    by_id = {str(a.id): a.name for a in agencies.values()}

    def cells_of(kind, name):
        return frozenset(c for c in sizes if kind != "agency" or c[0] == name)

    def about(item_id):
        return by_id[item_id.split("@")[1]] if "@" in item_id else None

    view = view_of_result(result, sizes, cells_of, about)
    assert read_across([view], sizes, THRESHOLD) == {}
    # The ratings are published in the collaboration map only.
    for group in [result["partnership"], *result["groups"]]:
        assert not [i for i in group["items"] if "@" in i]
        assert group["overall"] is None and not group["tags"]
    assert not [i for i in result["consensus"]["items"] if "@" in i]
    assert result["collaboration"]["raters"] == [P, Q, "Agencies with fewer respondents "
                                                       "(merged)"]


def test_a_roster_scale_alone_reports_its_map_and_no_scores(app, session):
    """Its results say what they hold: the map, no scores, and no change since the previous
    round (there is no score to compare)."""
    org, partnership, agencies = partnership_of(session)
    client = signed_in(app, make_user(session, org, coordinates=[partnership]))
    for title in ("First", "Second"):
        round_ = make_round(session, partnership, title=title, questionnaire_key=LCS.key,
                            questionnaire_version=LCS.version,
                            roster=[[a.id, a.name] for a in agencies.values()])
        for name in (P, P, P, Q, Q, Q):
            answer(session, round_, agencies[name], {
                f"collaboration_level@{a.id}": "3" for a in agencies.values() if a.name != name})
        session.commit()
        assert client.post(f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
    html = BeautifulSoup(client.get(f"/rounds/{round_.id}/results").text, "html.parser")
    sections = {s["id"] for s in html.select("section[id]")}
    assert {"summary", "collaboration"} <= sections
    # Nothing to say, so no section: no scores, no change, no recommendations (issue #27).
    assert not sections & {"scores", "consensus", "change", "recommendations"}
    assert "MAPS gives those ratings no score" in html.select_one("#summary").get_text(" ")


# --- C: the merged row ------------------------------------------------------------------------

ROSTER = [("1", "Health"), ("2", "Schools"), ("3", "Police"), ("4", "Housing")]
IDS = {name: key for key, name in ROSTER}


def respondent(agency: str, rated: dict) -> RespondentAnswers:
    return RespondentAnswers(agency=agency, agency_id=IDS[agency], level="strategic", answers={
        f"collaboration_level@{IDS[t]}": v for t, v in rated.items() if t != agency})


SHOWN = [respondent(a, {"Health": "3", "Schools": "3", "Police": "3", "Housing": "3"})
         for a in ("Health", "Health", "Health", "Schools", "Schools", "Schools")]


def lone_police(**ratings) -> RespondentAnswers:
    return respondent("Police", ratings)


@pytest.mark.parametrize("ratings", [
    {"Health": "5", "Schools": "0", "Housing": "2"}, {"Health": "5"}, {"Schools": None}, {}])
def test_the_merged_row_says_nothing_about_its_one_member(ratings):
    """Police's one board member rated all, one, or none of the others: the map is the same."""
    everyone = {"Health": "1", "Schools": "1", "Housing": "1"}
    questionnaire = LCS.for_roster(ROSTER)
    expected = collaboration_map(questionnaire, [*SHOWN, lone_police(**everyone)],
                                 threshold=THRESHOLD).to_dict()
    found = collaboration_map(questionnaire, [*SHOWN, lone_police(**ratings)],
                              threshold=THRESHOLD).to_dict()
    assert found == expected
    assert found["merged"] == ("Police",)


AGENCIES = ["Health", "Schools", "Police", "Housing"]
ratings = st.dictionaries(st.sampled_from(AGENCIES),
                          st.sampled_from(["0", "1", "2", "3", "4", "5", None]))
boards = st.lists(st.tuples(st.sampled_from(AGENCIES), ratings), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(board=boards, other=ratings, threshold=st.integers(min_value=2, max_value=4),
       data=st.data())
def test_a_merged_row_of_fewer_than_the_threshold_depends_on_nobodys_answers(
        board, other, threshold, data):
    """Whatever one member of a merged row holding fewer than the threshold answered, the map
    is the same."""
    questionnaire = LCS.for_roster(ROSTER)
    people = [respondent(a, r) for a, r in board]
    found = collaboration_map(questionnaire, people, threshold=threshold)
    small = [i for i, p in enumerate(people)
             if found and p.agency in found.merged
             and sum(1 for q in people if q.agency in found.merged) < threshold]
    if not small:
        return
    chosen = data.draw(st.sampled_from(small))
    changed = [*people[:chosen], respondent(people[chosen].agency, other),
               *people[chosen + 1:]]
    assert collaboration_map(questionnaire, changed, threshold=threshold).to_dict() == \
        found.to_dict()


# --- F: comments below the threshold ----------------------------------------------------------

COMMENTS = ["As the only police member I think the budget is unfair",
            "Our school was never asked about the protocol"]


def test_comments_of_a_round_below_its_threshold_are_in_no_output(app, session, core,
                                                                  tmp_path):
    org, partnership, agencies = partnership_of(session, names=(P, Q))
    round_ = make_round(session, partnership, anonymity_threshold=THRESHOLD)
    item = core.items[0]
    value = item.scale.scored[0].value
    people = []
    for name, comment in zip((P, Q), COMMENTS, strict=True):
        answer(session, round_, agencies[name], {item.id: value}, {item.id: comment})
        people.append({"agency": name, "answers": {item.id: value},
                       "comments": {item.id: comment}})
    session.commit()
    client = close_as_coordinator(app, session, org, partnership, round_)

    assert client.get(f"/api/rounds/{round_.id}/result").json()["comments"] == {}
    page = client.get(f"/rounds/{round_.id}/results").text
    pdf = client.get(f"/rounds/{round_.id}/report.pdf").content
    text = re.sub(r"\s+", " ", "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"respondents": people}))
    run = CliRunner().invoke(cli, ["score", str(path)])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["comments"] == {}
    for output in (page, text, run.output):
        assert not any(c in output for c in COMMENTS)
    assert "2 responses" in BeautifulSoup(page, "html.parser").get_text(" ")
