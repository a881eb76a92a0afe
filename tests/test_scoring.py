"""Scoring, consensus and typology placement: properties that must hold for any answers,
golden scenarios from the review's own examples, and the `maps score` command."""

import json
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import app as cli
from app.questionnaires.loader import load_catalogue, load_file
from app.scoring import RespondentAnswers, ScoringInputError, score_round
from app.scoring.scores import is_marker
from tests.conftest import DATA

CORE = load_catalogue().get("multi-agency-working")
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


def random_board(seed, n, dont_know_rate, missing_rate, questionnaire=CORE):
    rng = random.Random(seed)
    respondents = []
    for _ in range(n):
        answers = {}
        for item in questionnaire.items:
            roll = rng.random()
            if roll < missing_rate:
                continue
            if roll < missing_rate + dont_know_rate:
                answers[item.id] = None
            else:
                answers[item.id] = rng.choice(item.scale.scored).value
        respondents.append(RespondentAnswers(agency=rng.choice(AGENCIES),
                                             level=rng.choice(["strategic", "operational"]),
                                             answers=answers))
    return respondents


# At least the default threshold (3), so the whole partnership's figures are shown: what
# disclosure control withholds is tested in tests/test_privacy.py.
boards = st.builds(random_board, seed=st.integers(0, 10**6), n=st.integers(3, 14),
                   dont_know_rate=st.sampled_from([0, 0.1, 0.5]),
                   missing_rate=st.sampled_from([0, 0.1, 0.6]))
fast = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


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
@given(boards, st.integers(0, 10**6))
def test_a_better_answer_never_lowers_any_score_it_counts_towards(respondents, pick):
    rng = random.Random(pick)
    scored = [i for i in CORE.items if not is_marker(CORE, i)]
    candidates = [(r, i) for r, resp in enumerate(respondents) for i in scored
                  if better(i, resp.answers.get(i.id))]
    if not candidates:
        return
    who, item = rng.choice(candidates)
    improved = list(respondents)
    answers = dict(respondents[who].answers)
    answers[item.id] = better(item, answers[item.id])
    improved[who] = RespondentAnswers(agency=respondents[who].agency,
                                      level=respondents[who].level, answers=answers)
    before, after = score_round(CORE, respondents), score_round(CORE, improved)
    assert after.partnership.items[item.id].score > before.partnership.items[item.id].score
    for tag in ("factor", "area", "dimension"):
        for value in item.tag(tag):
            old = before.partnership.tags[tag][value].score
            new = after.partnership.tags[tag][value].score
            assert new >= old - 1e-9, (tag, value)
    assert after.partnership.overall >= before.partnership.overall - 1e-9


@pytest.mark.parametrize("n", [3, 8])
def test_all_best_answers_place_at_the_top(n):
    result = score_round(CORE, board(lambda item, i: best(item), n=n))
    assert result.placement("townsley").level == "integrated"
    assert result.placement("gaster").level == "5"
    assert result.placement("gaster").key == "collaboration_full_partnership"
    assert result.partnership.overall == 100
    assert result.partnership.overall_band == "strength"


@pytest.mark.parametrize("n", [3, 8])
def test_all_worst_answers_place_at_the_bottom(n):
    result = score_round(CORE, board(lambda item, i: worst(item), n=n))
    assert result.placement("townsley").level == "autonomous"
    assert result.placement("gaster").level == "1"
    assert result.partnership.overall == 0
    assert result.partnership.overall_band == "concern"


@fast
@given(st.integers(0, 10**6), st.sampled_from([0.2, 0.5, 0.9]))
def test_missing_and_dont_know_answers_lower_coverage_without_crashing(seed, rate):
    full = random_board(seed, 6, 0, 0)
    gappy = random_board(seed, 6, rate / 2, rate / 2)
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


# --- Golden scenarios from the review ---------------------------------------------------

def facts(yes=(), partly=(), opinion="4", unknown=()):
    """Every structural fact No unless listed; every opinion item `opinion`."""
    def answers(item, i):
        if not is_marker(CORE, item):
            return best(item) if opinion == "best" else opinion
        if item.id in unknown:
            return None
        if item.id in yes:
            return "2" if item.scale.id == "fact" else item.scale.scored[-1].value
        if item.id in partly:
            return "1"
        return item.scale.scored[0].value
    return board(answers, n=8)


def tagged(key, *values):
    return {i.id for i in CORE.items if any(i.has_tag(key, v) for v in values)}


def test_golden_integrated_team_with_key_workers_and_pooled_funding():
    """Section 2.4, Integration example: the child and family support team (Townsley et al.,
    2004a): co-located, key workers, a pooled budget, overlapping roles, services synthesised
    around the user, professionals working together day to day."""
    yes = (tagged("townsley", "integrated") | tagged("gaster", "1", "2", "3", "4", "5")
           | {"st_co_located_staff", "st_single_centre", "st_operational_team",
              "st_coordinator_post", "st_formal_basis", "st_service_delivery",
              "st_stage_integration", "pr_joint_assessment", "pr_shared_responsibilities",
              "st_work_together_freq"})
    result = score_round(CORE, facts(yes=yes))
    assert result.placement("townsley").level == "integrated"
    assert result.placement("gaster").level == "5"
    assert result.placement("audit_commission").level == "co_located"
    assert result.placement("watson").level == "transdisciplinary"
    assert result.placement("fox_butler_stage").level == "integration"
    assert result.placement("fox_butler_function").level == "service_delivery"
    assert result.placement("atkinson").level in ("centre_based", "operational_team")


def test_golden_high_scores_without_integration_features_are_not_integrated():
    """Townsley et al.: integrated working needs synthesised services, a user focus,
    multi-agency funding, a team with blurred roles and a key worker; a co-located team
    with key workers and pooled funding whose services stay separate is not integrated."""
    yes = {"st_pooled_budget", "st_key_workers", "st_co_located_staff", "st_single_centre",
           "pr_multi_agency_panel"}
    result = score_round(CORE, facts(yes=yes, opinion="best"))
    townsley = result.placement("townsley")
    assert result.partnership.overall == 100
    assert townsley.level == "coordinated"
    assert {c.item_id for c in townsley.missing} == tagged("townsley", "integrated") - yes
    assert townsley.next_level == "integrated"


def test_golden_steering_group_without_dedicated_resources():
    """Audit Commission (1998): a steering group without dedicated staff or budget, whose
    outputs go through partners' mainstream programmes; a decision-making forum with a
    strategic function (Atkinson et al., 2002; Fox and Butler, 2004)."""
    yes = {"st_steering_group", "st_decision_forum", "st_strategic_priorities",
           "st_stage_cooperation", "pr_autonomous", "pr_g1_know_partners",
           "pr_g1_open_decisions"}
    result = score_round(CORE, facts(yes=yes, opinion="3"))
    assert result.placement("audit_commission").level == "steering_group"
    assert result.placement("atkinson").level == "decision_making_group"
    assert result.placement("fox_butler_function").level == "strategic"
    assert result.placement("fox_butler_stage").level == "cooperation"
    assert result.placement("townsley").level == "autonomous"
    assert result.placement("gaster").level == "1"
    assert {c.item_id for c in result.placement("gaster").missing} == tagged("gaster", "2")


def test_golden_panel_coordinating_separately_assessed_cases():
    """Townsley et al.: coordinated working: agencies assess separately, meet to discuss
    findings and set goals, coordination by a multi-agency panel; Watson et al.:
    inter-disciplinary working."""
    yes = {"pr_separate_assessment", "pr_multi_agency_panel", "st_decision_forum",
           "st_stage_coordination", "pr_g1_know_partners", "pr_g1_open_decisions",
           "pr_g2_joint_needs", "pr_g2_agreed_contributions"}
    result = score_round(CORE, facts(yes=yes))
    assert result.placement("townsley").level == "coordinated"
    assert result.placement("watson").level == "interdisciplinary"
    assert result.placement("gaster").level == "2"
    assert result.placement("fox_butler_stage").level == "coordination"
    drivers = {c.item_id for c in result.placement("townsley").drivers}
    assert drivers == {"pr_separate_assessment", "pr_multi_agency_panel"}


def test_golden_gaster_rungs_count_only_on_the_rungs_below():
    yes = tagged("gaster", "1", "2", "4", "5")  # rung 3 missing
    gaster = score_round(CORE, facts(yes=yes)).placement("gaster")
    assert gaster.level == "2"
    assert [lv.reached for lv in gaster.levels] == [True, True, False, False, False]
    assert gaster.levels[3].strength == 1.0  # its criteria are met, but rung 3 is not


def test_partly_answers_count_half():
    partly = tagged("gaster", "1")
    gaster = score_round(CORE, facts(partly=partly)).placement("gaster")
    assert gaster.levels[0].strength == 0.5
    assert not gaster.levels[0].reached


def test_too_few_respondents_make_no_placement():
    two = board(lambda item, i: best(item), n=2)
    result = score_round(CORE, two)
    assert result.coverage.confidence == "insufficient"
    assert all(p.level is None and p.status == "insufficient_evidence"
               for p in result.placements)


def test_mostly_dont_know_structure_makes_no_placement():
    markers = tagged("part", "structure")
    result = score_round(CORE, facts(unknown=markers))
    assert result.placement("townsley").status == "insufficient_evidence"
    assert result.placement("townsley").level is None


def test_one_agency_only_is_low_confidence():
    respondents = [RespondentAnswers(agency="Health", answers={i.id: best(i) for i in CORE.items})
                   for _ in range(5)]
    coverage = score_round(CORE, respondents, agencies_in_partnership=5).coverage
    assert coverage.confidence == "low"
    assert any("one agency" in note for note in coverage.notes)


runner = CliRunner()


def test_cli_score_prints_json(tmp_path):
    data = {"respondents": [
        {"agency": a, "sector": "health", "level": "strategic",
         "answers": {i.id: (None if k % 5 == 0 else best(i)) for k, i in enumerate(CORE.items)}}
        for a in ("Health", "Police", "Schools")]}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(cli, ["score", "--questionnaire", "multi-agency-working@1", str(path)])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.output)
    assert scored["coverage"]["respondents"] == 3
    assert {p["model"] for p in scored["placements"]} >= {"townsley", "gaster"}
    assert 0 <= scored["partnership"]["tags"]["factor"]["funding"]["score"] <= 100


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
