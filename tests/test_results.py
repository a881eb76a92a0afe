"""Scoring rounds held in the database: only submitted answers count, and the demo
partnerships are spread across the typologies."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Agency, Answer, AssessmentRound, Partnership
from app.reports.sample import sample_round
from app.services import results
from tests.conftest import sign_in
from tests.factories import (
    close,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)


def test_only_submitted_responses_are_scored(session, catalogue, core):
    round_ = make_round(session)
    agency = session.exec(select(Agency)).first()
    item = core.items[0]
    for value, submitted in (("2", True), ("2", True), ("2", True), ("0", False)):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        session.add(Answer(respondent_id=respondent.id, item_id=item.id, value=value))
        if submitted:
            respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    close(session, round_)
    scores = results.score(session, round_, catalogue)
    assert scores.invited == 4
    assert scores.result.coverage.respondents == 3
    assert scores.result.partnership.items[item.id].score == 100


@pytest.mark.demo
def test_demo_partnerships_show_a_spread_of_placements(session, catalogue):
    latest = {}
    for round_ in session.exec(select(AssessmentRound).where(AssessmentRound.status == "closed")
                               .order_by(AssessmentRound.opens_at)):
        latest[round_.partnership_id] = round_
    townsley, gaster = Counter(), Counter()
    for round_ in latest.values():
        result = results.score(session, round_, catalogue).result
        townsley[result.placement("townsley").level] += 1
        gaster[result.placement("gaster").level] += 1
    assert len(latest) == len(session.exec(select(Partnership)).all())
    assert set(townsley) == {"autonomous", "coordinated", "integrated"}
    assert len(gaster) >= 4


def test_cli_report_for_a_round_in_the_database(session, catalogue, core, database_url,
                                                tmp_path, monkeypatch):
    from io import BytesIO

    from pypdf import PdfReader
    from typer.testing import CliRunner

    from app.cli import app as cli
    from tests.factories import make_partnership

    partnership = make_partnership(session, name="Ynys Môn Partneriaeth Diogelu")
    round_ = make_round(session, partnership)
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    for _ in range(3):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        respondent.submitted_at = datetime.now(UTC)
        session.add_all(Answer(respondent_id=respondent.id, item_id=i.id,
                               value=i.scale.scored[-1].value) for i in core.items)
    session.commit()
    runner = CliRunner()
    monkeypatch.setenv("MAPS_DATABASE_URL", database_url)
    still_open = runner.invoke(cli, ["report", str(round_.id), "--out", str(tmp_path / "x.pdf")])
    assert still_open.exit_code == 2
    assert "Results appear when the round closes" in still_open.output
    assert not (tmp_path / "x.pdf").exists()
    close(session, round_)
    monkeypatch.setenv("MAPS_DATABASE_URL", database_url)
    out = tmp_path / "plan.pdf"
    result = runner.invoke(cli, ["report", str(round_.id), "--out", str(out), "--no-charts"])
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(out.read_bytes())).pages)
    assert "Ynys Môn Partneriaeth Diogelu" in text
    missing = runner.invoke(cli, ["report", "987654", "--out", str(out)])
    assert missing.exit_code == 2
    assert "There is no round 987654" in missing.output


def test_a_round_on_the_first_version_still_shows_its_results(client, session, catalogue):
    """Rounds keep the definition they were opened with: a round on multi-agency-working@1,
    answered as a demo board would, shows its placements, scores and advice as that version
    scores them, on the page and in the JSON."""
    first = catalogue.get("multi-agency-working", 1)
    assert first is not None and first.version < catalogue.get("multi-agency-working").version
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    coordinator = make_user(session, org, coordinates=[partnership])
    round_ = make_round(session, partnership, questionnaire_version=1)
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).all()
    sample = sample_round(first, profile=2, respondents=9)
    for n, person in enumerate(sample.respondents):
        respondent, _ = make_invite(session, round_, agency_id=agencies[n % 2].id,
                                    level=person.level)
        session.add_all(Answer(respondent_id=respondent.id, item_id=item_id, value=value)
                        for item_id, value in person.answers.items() if value is not None)
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    close(session, round_)
    expected = results.score(session, round_, catalogue).result
    assert set(expected.partnership.items) <= {item.id for item in first.items}

    sign_in(client, coordinator)
    response = client.get(f"/rounds/{round_.id}/results")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    townsley = expected.placement("townsley").level
    assert townsley.lower() in page.select_one("#townsley").text.lower()
    assert page.select("#recommendations ~ ol > li, #recommendations li")
    data = client.get(f"/api/rounds/{round_.id}/result").json()
    assert data["coverage"]["respondents"] == 9
    assert {p["model"]: p["level"] for p in data["placements"]}["townsley"] == townsley
