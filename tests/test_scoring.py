"""Scoring, consensus and coverage: properties that must hold for any answers, scenarios on
version 1 of the instrument (whose rounds keep scoring with it), and the `maps score` command.
Placements on version 2 are tested in tests/test_placement_*.py."""

import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import app as cli
from app.questionnaires.loader import load_catalogue, load_file
from app.scoring import RespondentAnswers, ScoringInputError, score_round
from app.scoring.scores import is_marker
from tests.conftest import DATA

CORE = load_catalogue().get("multi-agency-working")
V1 = load_catalogue().get("multi-agency-working", 1)
LOCAL = load_file(DATA / "local-partnership-check.yaml")
AGENCIES = ["Health", "Education", "Social care", "Police"]


def best(item):
    scored = item.scale.scored
    return (scored[0] if item.reverse else scored[-1]).value


def worst(item):
    scored = item.scale.scored
    return (scored[-1] if item.reverse else scored[0]).value


def board(answers_for, n=6, questionnaire=CORE):
    """n respondents spread over agencies and levels, each answering answers_for(item, i)."""
    return [RespondentAnswers(
        agency=AGENCIES[i % len(AGENCIES)], level=("strategic", "operational")[i % 2],
        answers={item.id: answers_for(item, i) for item in questionnaire.items})
        for i in range(n)]


BLANK = object()


def respondent(questionnaire=CORE, missing=(BLANK, None)):
    """One board member: an agency, a level and, for each item, an option of its scale, a
    "don't know" (None) or no answer at all."""
    answers = st.fixed_dictionaries({
        item.id: st.sampled_from([o.value for o in item.scale.scored] + list(missing))
        for item in questionnaire.items})
    return st.builds(
        lambda agency, level, given: RespondentAnswers(
            agency=agency, level=level,
            answers={k: v for k, v in given.items() if v is not BLANK}),
        st.sampled_from(AGENCIES), st.sampled_from(["strategic", "operational"]), answers)


# At least the default threshold (3), so the whole partnership's figures are shown: what
# disclosure control withholds is tested in tests/test_privacy.py.
boards = st.lists(respondent(), min_size=3, max_size=10)
fast = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def all_scores(result):
    for group in [result.partnership, *result.groups]:
        yield group.overall
        for item in group.items.values():
            yield item.score
        for values in group.tags.values():
            for tag_score in values.values():
                yield tag_score.score


@fast
@given(boards)
def test_scores_stay_in_bounds(respondents):
    result = score_round(CORE, respondents)
    for score in all_scores(result):
        assert score is None or 0 <= score <= 100
    for agreement in result.consensus.items.values():
        assert agreement.agreement is None or 0 <= agreement.agreement <= 1


def assert_close(a, b, path="result"):
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, abs_tol=1e-3), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


@fast
@given(boards, st.randoms(use_true_random=False))
def test_reordering_respondents_changes_nothing(respondents, rng):
    shuffled = list(respondents)
    rng.shuffle(shuffled)
    assert_close(score_round(CORE, respondents).to_dict(), score_round(CORE, shuffled).to_dict())


def better(item, value):
    """The next option towards the best answer, or None if already there or don't know."""
    values = [o.value for o in item.scale.scored]
    if value not in values:
        return None
    step = -1 if item.reverse else 1
    index = values.index(value) + step
    return values[index] if 0 <= index < len(values) else None


@fast
@given(boards, st.data())
def test_a_better_answer_never_lowers_any_score_it_counts_towards(respondents, data):
    scored = [i for i in CORE.items if not is_marker(CORE, i)]
    who = data.draw(st.integers(0, len(respondents) - 1))
    item = data.draw(st.sampled_from(scored))
    improved_value = better(item, respondents[who].answers.get(item.id))
    assume(improved_value is not None)
    improved = list(respondents)
    improved[who] = RespondentAnswers(
        agency=respondents[who].agency, level=respondents[who].level,
        answers={**respondents[who].answers, item.id: improved_value})
    before, after = score_round(CORE, respondents), score_round(CORE, improved)
    assert after.partnership.items[item.id].score > before.partnership.items[item.id].score
    for tag in ("factor", "area", "dimension"):
        for value in item.tag(tag):
            old = before.partnership.tags[tag][value].score
            new = after.partnership.tags[tag][value].score
            assert new >= old - 1e-9, (tag, value)
    assert after.partnership.overall >= before.partnership.overall - 1e-9


@pytest.mark.parametrize("n", [3, 8])
def test_all_best_answers_score_100_and_place_at_the_top(n):
    result = score_round(CORE, board(lambda item, i: best(item), n=n))
    assert result.placement("townsley").level == "integrated"
    assert result.placement("gaster").level == "5"
    assert result.placement("gaster").key == "collaboration_full_partnership"
    assert result.partnership.overall == 100
    assert result.partnership.overall_band == "strength"


@pytest.mark.parametrize("n", [3, 8])
def test_all_worst_answers_score_0_and_place_at_the_bottom(n):
    result = score_round(CORE, board(lambda item, i: worst(item), n=n))
    assert result.placement("townsley").level == "autonomous"
    assert result.placement("gaster").level == "1"
    assert result.partnership.overall == 0
    assert result.partnership.overall_band == "concern"


REQUIRED = [i.id for i in CORE.items if not CORE.section(i.section_id).optional]


@fast
@given(st.lists(respondent(missing=()), min_size=6, max_size=6),
       st.lists(st.lists(st.sampled_from(REQUIRED), min_size=2, max_size=2, unique=True),
                min_size=6, max_size=6))
def test_missing_and_dont_know_answers_lower_coverage_without_crashing(full, gaps):
    """Each member leaves one required question blank and answers another "don't know"."""
    gappy = [RespondentAnswers(agency=p.agency, level=p.level, answers={
        **{k: v for k, v in p.answers.items() if k != blank}, unsure: None})
        for p, (blank, unsure) in zip(full, gaps, strict=True)]
    full_cov = score_round(CORE, full).coverage
    gappy_cov = score_round(CORE, gappy).coverage
    assert gappy_cov.answered_share < full_cov.answered_share == 1.0
    assert gappy_cov.dont_know_share > full_cov.dont_know_share == 0.0


def test_reverse_items_count_agreement_as_bad():
    challenge = next(i for i in CORE.items if i.reverse)
    result = score_round(CORE, board(lambda item, i: item.scale.scored[-1].value, n=4))
    assert result.partnership.items[challenge.id].score == 0


def test_dont_know_is_excluded_and_counted():
    item = next(i for i in CORE.items if i.scale.id == "agreement" and not i.reverse)
    answers = ["5", None, "1", None]
    respondents = [RespondentAnswers(agency="A", answers={item.id: v}) for v in answers]
    score = score_round(CORE, respondents).partnership.items[item.id]
    assert (score.score, score.n, score.dont_know, score.unanswered) == (50, 2, 2, 0)
    assert score.distribution["dk"] == 2


def test_small_groups_and_their_complements_are_withheld():
    respondents = board(lambda item, i: best(item), n=5)  # agencies get 2, 1, 1, 1
    result = score_round(CORE, respondents, anonymity_threshold=3)
    agencies = {g.name: g for g in result.groups if g.kind == "agency"}
    assert all(g.suppressed and g.overall is None and not g.items and g.respondents is None
               for g in agencies.values())
    levels = {g.name: g for g in result.groups if g.kind == "level"}
    assert levels["operational"].suppressed  # 2 operational
    # 3 strategic, but the whole partnership minus them would be the 2 operational.
    assert levels["strategic"].suppressed
    assert result.coverage.by_level == {"strategic": None, "operational": None}
    assert all(g.between != "agency" for g in result.consensus.agency_gaps)
    assert result.consensus.agency_gaps == [] and result.consensus.level_gaps == []
    lowered = score_round(CORE, respondents, anonymity_threshold=1)
    assert not any(g.suppressed for g in lowered.groups)


def test_agency_gap_is_reported_between_groups():
    def answers(item, i):
        return best(item) if AGENCIES[i % 4] == "Health" else worst(item)
    result = score_round(CORE, board(answers, n=12), anonymity_threshold=3)
    gap = result.consensus.agency_gaps[0]
    assert gap.high == "Health" and gap.size == 100
    assert gap.high_score == 100 and gap.low_score == 0


def test_split_board_makes_items_contested():
    item = next(i for i in CORE.items if i.scale.id == "agreement" and not is_marker(CORE, i))
    respondents = [RespondentAnswers(agency="A", answers={item.id: v})
                   for v in ["5", "5", "1", "1", "4", "2"]]
    result = score_round(CORE, respondents)
    assert [a.key for a in result.consensus.contested] == [item.id]
    assert result.consensus.items[item.id].agreement < 0.3
    unanimous = score_round(CORE, [RespondentAnswers(agency="A", answers={item.id: "4"})] * 6)
    assert unanimous.consensus.items[item.id].agreement == 1
    assert unanimous.consensus.contested == []


def test_scoring_another_instrument_with_its_own_bands():
    respondents = board(lambda item, i: "3" if item.id != "papers_late" else "2", n=4,
                        questionnaire=LOCAL)
    result = score_round(LOCAL, respondents)
    quorate = result.partnership.items["meetings_quorate"]
    assert round(quorate.score, 3) == round(100 * 2 / 3, 3)
    assert quorate.band == "borderline"  # 3.0 on the four-point scale
    assert result.partnership.items["papers_late"].score == pytest.approx(100 * 2 / 3)
    assert result.partnership.tags == {}  # it uses none of the core instrument's tags
    assert all(p.status == "not_assessed" for p in result.placements)


def test_unknown_items_and_values_are_listed():
    with pytest.raises(ScoringInputError) as caught:
        score_round(CORE, [RespondentAnswers(agency="A", answers={"nope": "1",
                                                                  "st_pooled_budget": "7"})])
    assert any("'nope' is not an item" in p for p in caught.value.problems)
    assert any("'7' is not on the scale of 'st_pooled_budget'" in p
               for p in caught.value.problems)


# --- Version 1 under the new placement method ---------------------------------------------
# Rounds answered on version 1 keep its questions and are placed by the same rules. These
# boards give every member the same answers, so each fact's support is 0, 1/2 or 1.

def facts(yes=(), partly=(), opinion="4", unknown=(), questionnaire=V1):
    """Every structural fact No unless listed; every opinion item `opinion`."""
    def answers(item, i):
        if not is_marker(questionnaire, item):
            return best(item) if opinion == "best" else opinion
        if item.id in unknown:
            return None
        if item.id in yes:
            return item.scale.scored[-1].value
        if item.id in partly:
            return "1"
        return item.scale.scored[0].value
    return board(answers, n=8, questionnaire=questionnaire)


def tagged(key, *values, questionnaire=V1):
    return {i.id for i in questionnaire.items if any(i.has_tag(key, v) for v in values)}


def test_v1_an_integrated_team_is_integrated_without_a_panel():
    """Townsley et al.: integrated services are "synthesised (and coordinated)", so a team with
    every integrated feature is integrated though it has no separate coordinating panel."""
    yes = tagged("townsley", "integrated") | tagged("gaster", "1", "2", "3", "4", "5") | {
        "st_single_centre", "st_operational_team", "st_service_delivery",
        "pr_shared_responsibilities", "pr_joint_assessment"}
    result = score_round(V1, facts(yes=yes))
    assert result.questionnaire == "multi-agency-working@1"
    assert result.placement("townsley").level == "integrated"
    assert result.placement("gaster").level == "5"
    assert result.placement("watson").level == "transdisciplinary"
    assert result.placement("fox_butler_function").level == "service_delivery"
    assert all(p.margin is not None for p in result.placements)


def test_v1_high_scores_without_integration_features_are_not_integrated():
    """Opinions play no part: a board scoring 100 whose services are not synthesised, not
    centred on the user and without blurred roles is coordinated, and the integrated features
    it lacks are what the next level needs."""
    yes = {"st_pooled_budget", "st_key_workers", "st_co_located_staff", "st_single_centre",
           "pr_multi_agency_panel", "pr_separate_assessment"}
    result = score_round(V1, facts(yes=yes, opinion="best"))
    townsley = result.placement("townsley")
    assert result.partnership.overall == 100
    assert townsley.level == "coordinated"
    assert townsley.next_level == "integrated"
    assert {c.item_id for c in townsley.missing} == tagged("townsley", "integrated") - yes


def test_v1_steering_group_without_dedicated_resources():
    yes = {"st_steering_group", "st_decision_forum", "st_strategic_priorities",
           "st_stage_cooperation", "pr_autonomous", "pr_g1_know_partners",
           "pr_g1_open_decisions"}
    result = score_round(V1, facts(yes=yes, opinion="3"))
    assert result.placement("audit_commission").level == "steering_group"
    assert result.placement("atkinson").level == "decision_making_group"
    assert result.placement("fox_butler_function").level == "strategic"
    assert result.placement("fox_butler_stage").level == "cooperation"
    assert result.placement("townsley").level == "autonomous"
    gaster = result.placement("gaster")
    assert gaster.level == "1" and gaster.levels[0].status == "in_place"
    assert {c.item_id for c in gaster.missing} == tagged("gaster", "2")


def test_a_missing_rung_holds_the_ladder_below_it():
    """The ladder is cumulative: with rung 3 wholly absent, rungs 4 and 5 count for nothing,
    however fully their own criteria are met."""
    gaster = score_round(V1, facts(yes=tagged("gaster", "1", "2", "4", "5"))).placement("gaster")
    assert gaster.level == "2"
    assert [lv.status for lv in gaster.levels] == ["in_place", "in_place", "not_in_place",
                                                   "in_place", "in_place"]
    assert [lv.credit for lv in gaster.levels] == [1, 1, 0, 0, 0]
    assert [lv.reached for lv in gaster.levels] == [True, True, False, False, False]


def test_one_partly_met_criterion_below_is_a_gap_not_a_collapse():
    """The old rule's failure found on a Sure Start board (issue #10): plan, monitoring and
    coordinator in place, one rung-1 criterion only partly. The placement stays high and says
    what to close."""
    yes = tagged("gaster", "1", "2", "3", "4") - {"pr_g1_open_decisions"}
    gaster = score_round(V1, facts(yes=yes, partly={"pr_g1_open_decisions"})).placement("gaster")
    assert gaster.level == "4"
    assert [(g.level, g.criterion.item_id) for g in gaster.gaps] == [
        ("1", "pr_g1_open_decisions")]
    assert ("at rung 1, \u201cPartner agencies are open with each other about how they make "
            "decisions\u201d is only partly in place") in gaster.explanation
    assert "not in place" not in gaster.explanation.split("Gaps to close")[0]


def test_partly_is_half_in_every_model():
    result = score_round(V1, facts(partly=tagged("part", "structure")))
    for placement in result.placements:
        for level in placement.levels:
            for c in level.criteria:
                assert c.support == 0.5 and c.status == "partly", (placement.model, c.item_id)


def test_too_few_respondents_make_no_placement():
    two = board(lambda item, i: best(item), n=2)
    result = score_round(CORE, two)
    assert result.coverage.confidence == "insufficient"
    assert all(p.level is None and p.status == "insufficient_evidence" and p.margin is None
               for p in result.placements)


def test_mostly_dont_know_structure_makes_no_placement():
    markers = tagged("part", "structure", questionnaire=CORE)
    result = score_round(CORE, facts(unknown=markers, questionnaire=CORE))
    assert result.placement("townsley").status == "insufficient_evidence"
    assert result.placement("townsley").level is None


def test_one_agency_only_is_low_confidence():
    respondents = [RespondentAnswers(agency="Health", answers={i.id: best(i) for i in CORE.items})
                   for _ in range(5)]
    coverage = score_round(CORE, respondents, agencies_in_partnership=5).coverage
    assert coverage.confidence == "low"
    assert any("one agency" in note for note in coverage.notes)


runner = CliRunner()


@pytest.mark.parametrize("version", [1, 2])
def test_cli_score_prints_json_with_each_placements_margin(tmp_path, version):
    questionnaire = load_catalogue().get("multi-agency-working", version)
    data = {"respondents": [
        {"agency": a, "sector": "health", "level": "strategic",
         "answers": {i.id: (None if k % 5 == 0 else best(i))
                     for k, i in enumerate(questionnaire.items)}}
        for a in ("Health", "Police", "Schools")]}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(cli, ["score", "--questionnaire", f"multi-agency-working@{version}",
                                 str(path)])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.output)
    assert scored["questionnaire"] == f"multi-agency-working@{version}"
    assert scored["coverage"]["respondents"] == 3
    assert {p["model"] for p in scored["placements"]} >= {"townsley", "gaster"}
    assert 0 <= scored["partnership"]["tags"]["factor"]["funding"]["score"] <= 100
    for placement in scored["placements"]:
        if placement["status"] in ("placed", "mixed", "unclear"):
            margin = placement["margin"]
            assert set(margin) == {"steps", "firm", "moves_to", "hinges", "text"}
            assert margin["text"].startswith(("Firm", "Close to the line"))
            for hinge in margin["hinges"]:
                assert questionnaire.item(hinge["item_id"]).text == hinge["text"]
                assert hinge["towards"] in ("Yes", "No") and hinge["steps"] >= 1


@pytest.mark.parametrize("content, message", [
    ("not json", "is not valid JSON"),
    ('{"people": []}', '"respondents" list'),
    ('{"respondents": [{"agency": "A", "answers": {"nope": 1}}]}', "'nope' is not an item"),
    ('{"respondents": [{"agency": "A", "answers": {"st_pooled_budget": 9}}]}', "not on the scale"),
    ('{"respondents": [{"answers": {}}]}', '"agency" must be a non-empty string'),
])
def test_cli_score_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(cli, ["score", str(path)])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_score_unknown_questionnaire(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"respondents": []}')
    result = runner.invoke(cli, ["score", "--questionnaire", "nope@3", str(path)])
    assert result.exit_code == 2
    assert "No questionnaire 'nope@3'" in result.output
