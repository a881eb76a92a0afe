"""Instruments a partnership brings: loaded from MAPS_QUESTIONNAIRE_DIRS or uploaded in the web
app, scored with their own bands (on means and on totals) and labels, and rounds that keep
their definition whatever happens to the file afterwards."""

import json
import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.clock import UK
from app.main import create_app
from app.models import Agency, Answer, AssessmentRound, DefinitionText, Role, UploadedQuestionnaire
from app.questionnaires.loader import load_catalogue, parse
from app.scoring import RespondentAnswers, score_round
from tests.conftest import DATA, FormClient, sign_in, start_response
from tests.factories import (
    close,
    make_invite,
    make_organisation,
    make_partnership,
    make_upload,
    make_user,
)

FACTORS = (DATA / "partnership-factors.yaml").read_text()
runner = CliRunner()


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def closing_date(days: int = 30) -> dict:
    day = datetime.now(UK).date() + timedelta(days=days)
    return {"closes-day": str(day.day), "closes-month": str(day.month),
            "closes-year": str(day.year)}


def app_with_dirs(settings, *directories):
    return create_app(settings.model_copy(update={
        "questionnaire_dirs_value": os.pathsep.join(str(d) for d in directories)}))


@pytest.fixture
def world(session):
    org = make_organisation(session, name="Northvale Council")
    partnership = make_partnership(session, org, name="Northvale Early Help")
    coordinator = make_user(session, org, coordinates=[partnership])
    admin = make_user(session, org, role=Role.org_admin, email="admin@northvale.example")
    session.commit()
    return partnership, coordinator, admin


def signed_in(app, user) -> FormClient:
    client = FormClient(app, follow_redirects=False).__enter__()
    sign_in(client, user)
    return client


def open_round(client, partnership, ref: str):
    response = client.post(f"/partnerships/{partnership.id}/rounds", data={
        "questionnaire": ref, "title": "", "threshold": "3", **closing_date()})
    assert response.status_code == 303, page(response).select_one(".govuk-error-summary")
    return int(response.headers["location"].rsplit("/", 1)[1])


def submit(session, round_id: int, answers: list[dict[str, str]]) -> None:
    """Submitted responses from the partnership's first agency, then the round closed (its
    results exist from then)."""
    round_ = session.get(AssessmentRound, round_id)
    agency = session.exec(select(Agency).where(
        Agency.partnership_id == round_.partnership_id)).first()
    for person in answers:
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        session.add_all(Answer(respondent_id=respondent.id, item_id=item_id, value=value)
                        for item_id, value in person.items())
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    close(session, round_)


# Three board members' answers to the test instrument, and what they come to by hand, on the
# instrument's own 1-5 scale ("distrust" is reverse-scored: 2 counts as 6 - 2 = 4):
#   mutual respect: (5 + 4)/2 = 4.5, 3 (dk left out), (4 + 2)/2 = 3  -> 3.5     borderline
#   communication:  3, 2, 2                                           -> 2.333   concern
#   shared vision:  (5 + 5)/2 = 5, (4 + 4)/2 = 4, 3 (dk left out)     -> 4.0     strength
ANSWERS = [
    {"respect_others": "5", "distrust": "2", "talk_often": "3", "agreed_aims": "5",
     "aims_written": "5"},
    {"respect_others": "3", "distrust": "dk", "talk_often": "2", "agreed_aims": "4",
     "aims_written": "4"},
    {"respect_others": "4", "distrust": "4", "talk_often": "2", "agreed_aims": "dk",
     "aims_written": "3"},
]
EXPECTED = {  # factor: (mean on the 1-5 scale, band, label from the vocabulary)
    "mutual_respect": (3.5, "borderline", "Mutual respect, understanding and trust"),
    "open_communication": (7 / 3, "concern", "Open and frequent communication"),
    "shared_vision": (4.0, "strength", "A shared vision"),
}


def on_scale(score: float) -> float:
    return 1 + score / 100 * 4


def test_an_instrument_from_questionnaire_dirs_scores_to_its_manual(settings, session, world):
    partnership, coordinator, _ = world
    app = app_with_dirs(settings, DATA)
    client = signed_in(app, coordinator)
    round_id = open_round(client, partnership, "partnership-factors@1")
    submit(session, round_id, ANSWERS)
    result = client.get(f"/api/rounds/{round_id}/result").json()
    assert result["questionnaire"] == "partnership-factors@1"
    factors = result["partnership"]["tags"]["factor"]
    assert set(factors) == set(EXPECTED)
    for factor, (mean, band, label) in EXPECTED.items():
        assert on_scale(factors[factor]["score"]) == pytest.approx(mean, abs=1e-4), factor
        assert (factors[factor]["band"], factors[factor]["label"]) == (band, label), factor
    # A list vocabulary has no labels: the value's id is made readable.
    assert result["partnership"]["tags"]["area"]["relationships"]["label"] == "Relationships"
    # Overall: each person's mean over every answer, 4.4, 3.25 and 2.75, then their mean.
    assert on_scale(result["partnership"]["overall"]) == pytest.approx((4.4 + 3.25 + 2.75) / 3)
    assert result["partnership"]["overall_band"] == "borderline"
    assert client.get(f"/rounds/{round_id}/results").status_code == 200


def test_the_core_instrument_is_the_default_choice(settings, session, world, tmp_path):
    # Titled to sort before the core instrument, as "A..." files did when the first won.
    (tmp_path / "aardvark.yaml").write_text(FACTORS.replace(
        "title: Partnership factors check", "title: A first instrument"))
    partnership, coordinator, _ = world
    client = signed_in(app_with_dirs(settings, tmp_path), coordinator)
    form = page(client.get(f"/partnerships/{partnership.id}/rounds/new"))
    choices = [i["value"] for i in form.select("input[name=questionnaire]")]
    assert choices == ["multi-agency-working@2", "multi-agency-working@1",
                       "partnership-factors@1", "levels-of-collaboration@1"]
    assert form.select_one("input[name=questionnaire][checked]")["value"] == \
        "multi-agency-working@2"


def test_a_missing_questionnaire_dir_is_reported_by_the_app_and_the_cli(settings, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(Exception, match="not a directory"):
        app_with_dirs(settings, missing)
    result = runner.invoke(cli, ["questionnaire", "list"],
                           env={"MAPS_QUESTIONNAIRE_DIRS": str(missing),
                                "MAPS_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert f"{missing}: not a directory" in result.output


def test_cli_lists_every_instrument_and_where_it_came_from(settings, session, world,
                                                           tmp_path):
    site_admin = make_user(session, role=Role.site_admin, email="root@maps.example")
    make_upload(session, None, site_admin)
    env = {"MAPS_QUESTIONNAIRE_DIRS": str(DATA), "MAPS_DATABASE_URL": settings.database_url,
           "MAPS_DATA_DIR": str(tmp_path)}
    result = runner.invoke(cli, ["questionnaire", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    listed = {i["key"]: i for i in json.loads(result.stdout)}
    assert list(listed)[0] == "multi-agency-working"
    assert listed["multi-agency-working"]["versions"][0]["origin"] == "built in"
    factors = listed["partnership-factors"]
    assert factors["title"] == "Partnership factors check"
    assert [(v["version"], v["origin"]) for v in factors["versions"]] == [
        (1, str(DATA / "partnership-factors.yaml"))]
    local = [v["origin"] for v in listed["local-partnership-check"]["versions"]]
    assert local == [str(DATA / "local-partnership-check.yaml"), "uploaded site-wide"]
    text = runner.invoke(cli, ["questionnaire", "list"], env=env).stdout
    assert "partnership-factors  Partnership factors check\n    version 1: " in text


# --- Bands on totals: the VicHealth partnerships analysis tool's case ------------------------

def checklist(*, missing: str = "prorate", share: str = "") -> str:
    """An instrument shaped like the VicHealth tool: 35 statements in 7 sections rated 1-5,
    the partnership placed on its total, 35 to 175, at the cut points the tool gives
    (127-175, 85-126, 35-84); and each section's total (5 to 25) banded on its own."""
    sections = "".join(
        f"  - id: s{s}\n    title: Section {s}\n    items:\n" + "".join(
            f"      - {{id: s{s}_{i}, text: Statement {i} of section {s}., scale: five, "
            f"tags: {{area: s{s}}}, source: Test}}\n" for i in range(1, 6))
        for s in range(1, 8))
    return f"""\
key: checklist
version: 1
title: Partnership checklist
scales:
  five:
    options: [{{value: 1, label: One}}, {{value: 2, label: Two}}, {{value: 3, label: Three}},
              {{value: 4, label: Four}}, {{value: 5, label: Five}},
              {{value: dk, label: Don't know, missing: true}}]
bands:
  basis: total
  scale: five
  missing: {missing}
{share}  levels:
    - {{label: genuine collaboration, min: 127}}
    - {{label: moving in the right direction, min: 85}}
    - {{label: question the partnership, min: 35}}
tag_bands:
  area:
    basis: total
    scale: five
    missing: {missing}
    levels: [{{label: strong, min: 19}}, {{label: developing, min: 12}}, {{label: weak, min: 5}}]
sections:
{sections}"""


def respondent_with_total(questionnaire, total: int, *, unanswered: int = 0):
    """Answers adding up to `total` over the items answered (the last `unanswered` left
    out), as evenly as the values allow."""
    items = questionnaire.items[:len(questionnaire.items) - unanswered]
    base, extra = divmod(total, len(items))
    answers = {item.id: str(base + (1 if n < extra else 0)) for n, item in enumerate(items)}
    assert sum(int(v) for v in answers.values()) == total
    return RespondentAnswers(agency="A", answers=answers)


def board(*people: RespondentAnswers) -> list[RespondentAnswers]:
    """Each person three times over: the smallest board whose results MAPS shows (three), with
    the same totals and means as the people given."""
    return [person for person in people for _ in range(3)]


@pytest.mark.parametrize("total, band", [
    (175, "genuine collaboration"), (127, "genuine collaboration"),
    (126, "moving in the right direction"), (85, "moving in the right direction"),
    (84, "question the partnership"), (35, "question the partnership"),
])
def test_total_bands_at_their_exact_boundaries(total, band):
    questionnaire = parse(checklist())
    result = score_round(questionnaire, board(respondent_with_total(questionnaire, total)))
    assert result.partnership.overall_total == total
    # Read on the total itself: the workaround, a band on the mean at 127 / 35 rounded to
    # 3.63, put a total of exactly 127 (a mean of 3.6286) in the band below.
    assert result.partnership.overall_band == band


def test_totals_are_pro_rated_for_missing_answers_as_the_file_says():
    prorated = parse(checklist())
    # 34 answers adding to 123 pro-rate to 123 x 35/34 = 126.6: below 127; 124 to 127.6.
    below = score_round(prorated, board(respondent_with_total(prorated, 123, unanswered=1)))
    assert below.partnership.overall_total == pytest.approx(123 * 35 / 34)
    assert below.partnership.overall_band == "moving in the right direction"
    above = score_round(prorated, board(respondent_with_total(prorated, 124, unanswered=1)))
    assert above.partnership.overall_band == "genuine collaboration"
    # The partnership's total is the mean of its members' totals: (126 + 128) / 2 = 127.
    pair = score_round(prorated, board(respondent_with_total(prorated, 126),
                                  respondent_with_total(prorated, 128)))
    assert (pair.partnership.overall_total, pair.partnership.overall_band) == (
        127, "genuine collaboration")
    complete = parse(checklist(missing="complete"))
    unfinished = score_round(complete, board(respondent_with_total(complete, 124, unanswered=1)))
    assert (unfinished.partnership.overall_total, unfinished.partnership.overall_band) == (
        None, None)
    strict = parse(checklist(share="  max_missing_share: 0.05\n"))  # 1 of 35 = 0.029: fine
    two_missing = score_round(strict, board(respondent_with_total(strict, 100, unanswered=2)))
    one_missing = score_round(strict, board(respondent_with_total(strict, 100, unanswered=1)))
    assert two_missing.partnership.overall_total is None
    assert one_missing.partnership.overall_total == pytest.approx(100 * 35 / 34)


def test_each_section_total_is_banded_on_its_own_bands():
    questionnaire = parse(checklist())
    # All 4s: each section totals 20 (strong), the whole 140 (genuine collaboration).
    answers = {item.id: "4" for item in questionnaire.items}
    answers.update({"s2_1": "1", "s2_2": "1", "s2_3": "1", "s2_4": "1", "s2_5": "1"})  # 5
    answers.update({"s3_1": "3", "s3_2": "2"})  # 4 + 4 + 4 + 3 + 2 = 17: developing
    result = score_round(questionnaire, board(RespondentAnswers(agency="A", answers=answers)))
    areas = result.partnership.tags["area"]
    assert {v: (s.total, s.band) for v, s in areas.items() if v in ("s1", "s2", "s3")} == {
        "s1": (20, "strong"), "s2": (5, "weak"), "s3": (17, "developing")}
    assert result.partnership.overall_total == 20 * 5 + 5 + 17
    assert result.partnership.items["s1_1"].band is None  # totals band groups, not items


# --- The figure printed, and the band read on it ---------------------------------------------

def on_the_mean(items: int = 25, *, extra: str = "") -> str:
    """An inventory of `items` statements on 1-5, banded on the mean at 4.0 and 3.0."""
    body = "".join(f"      - {{id: i{n}, text: Statement {n}., scale: five, tags: {{factor: f}}, "
                   f"source: Test}}\n" for n in range(items))
    return f"""\
key: means
version: 1
title: Means
scales:
  five: {{options: [{{value: 1, label: One}}, {{value: 2, label: Two}}, {{value: 3, label: Three}},
                   {{value: 4, label: Four}}, {{value: 5, label: Five}}]}}
{extra}bands:
  basis: mean
  scale: five
  levels: [{{label: strength, min: 4.0}}, {{label: borderline, min: 3.0}},
           {{label: concern, min: 1}}]
sections:
  - id: s
    title: S
    items:
{body}"""


@pytest.mark.parametrize("threes, printed, band", [
    (1, "4.00", "strength"),  # 799 / 200 = 3.995: printed 4.00, so a strength
    (2, "3.99", "borderline"),  # 798 / 200 = 3.99
])
def test_a_mean_is_printed_to_two_decimals_and_banded_as_printed(threes, printed, band):
    questionnaire = parse(on_the_mean())
    people = [RespondentAnswers(agency="A", answers={f"i{n}": "4" for n in range(25)})
              for _ in range(8)]
    for n in range(threes):
        people[n] = RespondentAnswers(agency="A", answers={**people[n].answers, "i0": "3"})
    result = score_round(questionnaire, people)
    factor = result.partnership.tags["factor"]["f"]
    assert (factor.headline.text, factor.band) == (f"{printed} out of 5", band)
    assert (result.partnership.overall_headline.number, result.partnership.overall_band) == (
        printed, band)
    assert result.partnership.items["i0"].headline.number == f"{4 - threes / 8:.2f}"


def test_a_total_is_printed_to_one_decimal_and_banded_as_printed():
    questionnaire = parse(checklist())
    # One member prorated from 34 answers adding to 123: 126.617..., printed 126.6, below 127.
    below = score_round(questionnaire,
                        board(respondent_with_total(questionnaire, 123, unanswered=1)))
    assert below.partnership.overall_headline.number == "126.6"
    assert below.partnership.overall_band == "moving in the right direction"
    # Nineteen members at 127 and one at 126: 2539 / 20 = 126.95, printed 127 (half up), so
    # read as genuine collaboration, as the page says it.
    people = [respondent_with_total(questionnaire, 127)] * 19 + [
        respondent_with_total(questionnaire, 126)]
    result = score_round(questionnaire, people)
    assert result.partnership.overall_total == pytest.approx(126.95)
    assert result.partnership.overall_headline.text == "127 of 175"
    assert result.partnership.overall_band == "genuine collaboration"


def test_weights_count_in_every_mean_and_total():
    text = on_the_mean(2).replace("{id: i0, text: Statement 0., scale: five,",
                                  "{id: i0, text: Statement 0., scale: five, weight: 2,")
    questionnaire = parse(text)
    # i0 (weight 2) answered 5, i1 answered 2: (2 x 5 + 2) / 3 = 4.00, where unweighted it
    # would be 3.5.
    people = [RespondentAnswers(agency="A", answers={"i0": "5", "i1": "2"})] * 3
    factor = score_round(questionnaire, people).partnership.tags["factor"]["f"]
    assert (factor.headline.number, factor.band) == ("4.00", "strength")
    assert factor.score == pytest.approx(75.0)
    totals = parse(text.replace("  basis: mean\n", "  basis: total\n  missing: prorate\n")
                   .replace("min: 4.0}", "min: 12}").replace("min: 3.0}", "min: 9}")
                   .replace("concern, min: 1}", "concern, min: 3}"))
    # Weighted sum 2 x 5 + 2 = 12 of at most 15; answering only i0 prorates 10 by 3 / 2.
    full = score_round(totals, people).partnership
    assert (full.overall_headline.text, full.overall_band) == ("12 of 15", "strength")
    part = score_round(totals, [RespondentAnswers(agency="A", answers={"i0": "5"})] * 3)
    assert part.partnership.overall_headline.text == "15 of 15"
    assert part.partnership.overall_headline.who == "3 of 3 respondents, 3 prorated"


# --- Uploading in the web app ----------------------------------------------------------------

def upload(client, name: str, text: str):
    return client.post("/questionnaires", files={"definition": (name, text.encode())})


def test_a_bad_upload_lists_its_errors_with_lines_and_installs_nothing(app, session, world):
    partnership, coordinator, admin = world
    client = signed_in(app, admin)
    bad = FACTORS.replace("scale: agree5\n        reverse", "scale: agree4\n        reverse") \
        .replace("      - {value: 3, label: Neutral}\n", "")
    response = upload(client, "factors.yaml", bad)
    assert response.status_code == 400
    html = page(response)
    assert "factors.yaml has 2 problems" in html.select_one(".govuk-error-summary").text
    rows = [[td.text.strip() for td in tr.select("td")]
            for tr in html.select("#problems + p + .maps-table-region table tbody tr")]
    assert rows == [
        ["11", "–", "scale 'agree5': scored values 1, 2, 4, 5 are not evenly spaced: there is "
                    "a gap between 2 and 4. Add the missing option, or number the options 1, "
                    "2, 3 ... in order"],
        ["42", "distrust", "unknown scale 'agree4' (defined: agree5)"],
    ]
    assert session.exec(select(UploadedQuestionnaire)).all() == []
    assert session.exec(select(DefinitionText)).all() == []
    form = page(signed_in(app, coordinator).get(f"/partnerships/{partnership.id}/rounds/new"))
    assert [i["value"] for i in form.select("input[name=questionnaire]")] == [
        "multi-agency-working@2", "multi-agency-working@1", "levels-of-collaboration@1"]


def test_a_good_upload_is_usable_in_a_new_round_of_that_organisation_only(app, session, world):
    partnership, coordinator, admin = world
    other_org = make_organisation(session, name="Southmere Council")
    other_partnership = make_partnership(session, other_org, name="Southmere Board")
    other_coordinator = make_user(session, other_org, coordinates=[other_partnership])
    other_admin = make_user(session, other_org, role=Role.org_admin)
    session.commit()

    response = upload(signed_in(app, admin), "factors.yaml", FACTORS)
    assert response.status_code == 303
    shown = signed_in(app, admin).get(response.headers["location"])
    assert "Partnership factors check" in page(shown).select_one("h1").text
    assert "A shared vision" in shown.text  # the labels of the vocabulary

    client = signed_in(app, coordinator)
    form = page(client.get(f"/partnerships/{partnership.id}/rounds/new"))
    assert "partnership-factors@1" in [i["value"] for i in form.select("input[name=questionnaire]")]
    round_id = open_round(client, partnership, "partnership-factors@1")
    round_ = session.get(AssessmentRound, round_id)
    kept = session.get(DefinitionText, round_.questionnaire_sha256)
    assert kept.text == FACTORS

    elsewhere = signed_in(app, other_coordinator)
    form = page(elsewhere.get(f"/partnerships/{other_partnership.id}/rounds/new"))
    assert "partnership-factors@1" not in [i["value"] for i in
                                           form.select("input[name=questionnaire]")]
    refused = elsewhere.post(f"/partnerships/{other_partnership.id}/rounds", data={
        "questionnaire": "partnership-factors@1", "threshold": "3", **closing_date()})
    assert refused.status_code == 400
    assert "Select the questionnaire" in refused.text
    listing = signed_in(app, other_admin).get("/questionnaires")
    assert "Partnership factors check" not in listing.text


def test_uploading_a_version_already_installed_is_refused(app, session, world):
    _, _, admin = world
    client = signed_in(app, admin)
    core = (DATA.parent.parent / "app" / "questionnaires" / "multi-agency-working.yaml")
    response = upload(client, "copy.yaml", core.read_text())
    assert response.status_code == 400
    assert "multi-agency-working@1 is already installed (built in)" in response.text
    assert upload(client, "factors.yaml", FACTORS).status_code == 303
    again = upload(client, "factors-again.yaml", FACTORS)
    assert "partnership-factors@1 is already installed" in again.text
    assert len(session.exec(select(UploadedQuestionnaire)).all()) == 1


def test_a_site_admin_publishes_for_every_organisation(app, session, world):
    partnership, coordinator, admin = world
    site_admin = make_user(session, role=Role.site_admin, email="root@maps.example")
    session.commit()
    assert upload(signed_in(app, site_admin), "factors.yaml", FACTORS).status_code == 303
    row = session.exec(select(UploadedQuestionnaire)).one()
    assert row.organisation_id is None
    form = page(signed_in(app, coordinator).get(f"/partnerships/{partnership.id}/rounds/new"))
    assert "partnership-factors@1" in [i["value"] for i in form.select("input[name=questionnaire]")]
    # Only a site administrator removes what is published site-wide.
    assert signed_in(app, admin).post(f"/questionnaires/{row.id}/remove").status_code == 403


# --- Rounds keep their definition ------------------------------------------------------------

def test_a_round_whose_file_was_removed_still_displays_and_scores(settings, session, world,
                                                                  tmp_path, database_url):
    partnership, coordinator, _ = world
    installed = tmp_path / "instruments"
    installed.mkdir()
    shutil.copy(DATA / "partnership-factors.yaml", installed)
    round_id = open_round(signed_in(app_with_dirs(settings, installed), coordinator),
                          partnership, "partnership-factors@1")
    submit(session, round_id, ANSWERS)
    (installed / "partnership-factors.yaml").unlink()

    app = app_with_dirs(settings, installed)  # a restart: the file is gone
    client = signed_in(app, coordinator)
    assert client.get(f"/rounds/{round_id}").status_code == 200
    assert client.get(f"/rounds/{round_id}/results").status_code == 200
    result = client.get(f"/api/rounds/{round_id}/result").json()
    shared = result["partnership"]["tags"]["factor"]["shared_vision"]
    assert (on_scale(shared["score"]), shared["band"]) == (pytest.approx(4.0), "strength")
    pdf = client.get(f"/rounds/{round_id}/report.pdf")
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    out = tmp_path / "report.html"
    report = runner.invoke(cli, ["report", str(round_id), "--html", str(out), "--no-charts",
                                 "--appendix"],
                           env={"MAPS_DATABASE_URL": database_url,
                                "MAPS_QUESTIONNAIRE_DIRS": str(installed)})
    assert report.exit_code == 0, report.output
    assert "Partners talk to each other between meetings." in out.read_text()


def test_a_round_keeps_the_wording_it_opened_with(settings, session, world, tmp_path):
    partnership, coordinator, _ = world
    installed = tmp_path / "instruments"
    installed.mkdir()
    (installed / "factors.yaml").write_text(FACTORS)
    round_id = open_round(signed_in(app_with_dirs(settings, installed), coordinator),
                          partnership, "partnership-factors@1")
    # The file is edited in place, same version: the round keeps the words it was opened with.
    (installed / "factors.yaml").write_text(FACTORS.replace(
        "The partners agree on what", "Every partner agrees on what"))
    app = app_with_dirs(settings, installed)
    _, token = make_invite(session, session.get(AssessmentRound, round_id),
                           agency_id=session.exec(select(Agency)).first().id, level="strategic")
    with FormClient(app) as member:
        start_response(member, token)
        text = member.get(f"/r/{token}/s/purpose").text
    assert "The partners agree on what" in text
    assert "Every partner agrees" not in text


def test_a_round_from_before_kept_definitions_without_its_file_says_so(settings, session,
                                                                       world, tmp_path):
    """A round that opened before rounds kept their text, whose file is gone, cannot be shown:
    a page saying so, not a crash."""
    partnership, coordinator, _ = world
    round_ = AssessmentRound(partnership_id=partnership.id, title="Old round",
                             questionnaire_key="retired-instrument", questionnaire_version=3,
                             opens_at=datetime.now(UTC) - timedelta(days=40),
                             closes_at=datetime.now(UTC) - timedelta(days=10), status="closed")
    session.add(round_)
    session.commit()
    client = signed_in(create_app(settings), coordinator)
    response = client.get(f"/rounds/{round_.id}/results")
    assert response.status_code == 500
    assert "Version 3 of the questionnaire ‘retired-instrument’ is no longer installed" in \
        page(response).text
    assert client.get(f"/api/rounds/{round_.id}/result").status_code == 500


def test_the_migration_gives_existing_rounds_their_definition(database_url, engine):
    from alembic import command
    from sqlalchemy import text

    from app.db import alembic_config

    config = alembic_config(database_url)
    command.downgrade(config, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (name, created_at) VALUES ('O', :t)"),
                     {"t": datetime.now(UTC)})
        conn.execute(text("INSERT INTO partnership (organisation_id, name, client_group, "
                          "description, created_at) VALUES (1, 'P', '', '', :t)"),
                     {"t": datetime.now(UTC)})
        for key in ("multi-agency-working", "gone-instrument"):
            conn.execute(text(
                "INSERT INTO assessmentround (partnership_id, title, questionnaire_key, "
                "questionnaire_version, opens_at, closes_at, status, anonymity_threshold, "
                "created_at) VALUES (1, :key, :key, 1, :t, :t, 'open', 3, :t)"),
                {"key": key, "t": datetime.now(UTC)})
    command.upgrade(config, "head")
    with engine.connect() as conn:
        kept = dict(conn.execute(text(
            "SELECT questionnaire_key, questionnaire_sha256 FROM assessmentround")).all())
        texts = dict(conn.execute(text("SELECT sha256, text FROM definitiontext")).all())
    core = load_catalogue().instrument("multi-agency-working", 1)
    assert kept == {"multi-agency-working": core.sha256, "gone-instrument": None}
    assert texts == {core.sha256: core.text}


@pytest.mark.parametrize("files, expected", [
    (None, "Choose the definition's YAML file"),
    ({"definition": ("latin.yaml", "key: x\ntitle: Café".encode("latin-1"))},
     "this line has a character that is not UTF-8 text"),
    ({"definition": ("list.yaml", b"- just\n- a list\n")}, "the file must be a mapping"),
])
def test_an_upload_that_is_no_definition_says_what_is_wrong(app, session, world, files,
                                                            expected):
    client = signed_in(app, world[2])
    response = client.post("/questionnaires", files=files) if files else \
        client.post("/questionnaires", data={})
    assert response.status_code == 400
    assert expected in page(response).text
    assert session.exec(select(UploadedQuestionnaire)).all() == []


def test_removing_an_upload_keeps_the_rounds_that_used_it(app, session, world):
    partnership, coordinator, admin = world
    admin_client = signed_in(app, admin)
    row_url = upload(admin_client, "factors.yaml", FACTORS).headers["location"]
    client = signed_in(app, coordinator)
    round_id = open_round(client, partnership, "partnership-factors@1")
    submit(session, round_id, ANSWERS)
    assert admin_client.post(f"{row_url}/remove").status_code == 303
    assert session.exec(select(UploadedQuestionnaire)).all() == []
    form = page(client.get(f"/partnerships/{partnership.id}/rounds/new"))
    assert "partnership-factors@1" not in [i["value"] for i in
                                           form.select("input[name=questionnaire]")]
    result = client.get(f"/api/rounds/{round_id}/result").json()
    assert result["partnership"]["tags"]["factor"]["shared_vision"]["band"] == "strength"
    assert client.get(f"/rounds/{round_id}/results").status_code == 200


def test_cli_scores_answers_against_a_definition_file_not_yet_installed(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"respondents": [
        {"agency": "A", "answers": {k: (None if v == "dk" else int(v)) for k, v in p.items()}}
        for p in ANSWERS]}))
    result = runner.invoke(cli, ["score", str(answers), "--questionnaire",
                                 str(DATA / "partnership-factors.yaml")])
    assert result.exit_code == 0, result.output
    factors = json.loads(result.stdout)["partnership"]["tags"]["factor"]
    assert {f: (round(on_scale(s["score"]), 4), s["band"], s["label"])
            for f, s in factors.items()} == {f: (round(m, 4), b, lb)
                                             for f, (m, b, lb) in EXPECTED.items()}
    broken = tmp_path / "broken.yaml"
    broken.write_text(FACTORS.replace("scale: agree5\n        reverse",
                                      "scale: x\n        reverse"))
    refused = runner.invoke(cli, ["score", str(answers), "--questionnaire", str(broken)])
    assert refused.exit_code == 2
    assert f"{broken}:43: item distrust: unknown scale 'x'" in refused.output
