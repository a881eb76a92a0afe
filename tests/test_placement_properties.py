"""Properties the placement method keeps for any board Hypothesis can build: one answer moving
one step moves Townsley et al.'s scale by at most one level and Gaster et al.'s ladder by at
most one rung; the order of respondents changes nothing; the margins it reports are true."""

import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.questionnaires.loader import load_catalogue
from app.scoring import RespondentAnswers, score_round
from app.scoring import evidence as ev
from app.scoring import thresholds as t
from app.scoring.typologies import MODELS, place, spec

CATALOGUE = load_catalogue()
V1 = CATALOGUE.get("multi-agency-working", 1)
V2 = CATALOGUE.get("multi-agency-working", 2)
AGENCIES = ["Health", "Education", "Social care", "Police", "Housing"]
fast = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def facts_of(questionnaire):
    return [i for i in questionnaire.items if i.has_tag("part", "structure")]


def answer(item):
    """One answer: any option of the item's scale (don't know and not applicable included),
    or left blank (None key: dropped)."""
    return st.sampled_from([o.value for o in item.scale.options] + ["<blank>"])


@st.composite
def boards(draw, questionnaire=V2, lean=None):
    """A board of 3 to 9 members answering every structural fact, each fact's answers leaning
    one way (as real boards do), so placements land anywhere and near any line."""
    n = draw(st.integers(3, 9))
    people = []
    leans = {i.id: draw(st.sampled_from(["yes", "no", "split"])) if lean is None else lean
             for i in facts_of(questionnaire)}
    for k in range(n):
        answers = {}
        for item in facts_of(questionnaire):
            scored = [o.value for o in item.scale.scored]
            missing = [o.value for o in item.scale.options if o.missing]
            choices = {"yes": scored[-2:], "no": scored[:2], "split": scored}[leans[item.id]]
            value = draw(st.sampled_from(choices + missing[:1] + ["<blank>"]) if draw(
                st.integers(0, 9)) == 0 else st.sampled_from(choices))
            if value != "<blank>":
                answers[item.id] = None if value == "dk" else value
        people.append(RespondentAnswers(agency=AGENCIES[k % len(AGENCIES)],
                                        level=("strategic", "operational")[k % 2],
                                        answers=answers))
    return people


def one_step(item, value, towards):
    """The next option one step towards Yes (or No), or None if there is none."""
    scored = [o.value for o in item.scale.scored]
    if value not in scored:
        return None
    index = scored.index(value) + (1 if towards == ev.UP else -1)
    return scored[index] if 0 <= index < len(scored) else None


def rank(placement):
    return placement.rank if placement.status == "placed" else None


@pytest.mark.parametrize("questionnaire", [V1, V2], ids=["v1", "v2"])
@fast
@given(data=st.data())
def test_one_answer_one_step_moves_townsley_and_gaster_at_most_one(questionnaire, data):
    board = data.draw(boards(questionnaire))
    who = data.draw(st.integers(0, len(board) - 1))
    item = data.draw(st.sampled_from(facts_of(questionnaire)))
    towards = data.draw(st.sampled_from([ev.UP, ev.DOWN]))
    changed = one_step(item, board[who].answers.get(item.id), towards)
    assume(changed is not None)
    after = list(board)
    after[who] = RespondentAnswers(agency=board[who].agency, level=board[who].level,
                                   answers={**board[who].answers, item.id: changed})
    before_places = {p.model: p for p in place(questionnaire, board)}
    after_places = {p.model: p for p in place(questionnaire, after)}
    for model in ("townsley", "gaster"):
        a, b = before_places[model], after_places[model]
        assert a.status == b.status  # a step never makes a fact known or unknown
        if a.status == "placed":
            assert abs(rank(a) - rank(b)) <= 1, (model, a.position, b.position)


@fast
@given(boards(), st.randoms(use_true_random=False))
def test_the_order_of_respondents_never_matters(board, rng):
    shuffled = list(board)
    rng.shuffle(shuffled)
    first = [p for p in score_round(V2, board).to_dict()["placements"]]
    again = [p for p in score_round(V2, shuffled).to_dict()["placements"]]
    assert first == again


def best(item):
    scored = item.scale.scored
    return (scored[0] if item.reverse else scored[-1]).value


def worst(item):
    scored = item.scale.scored
    return (scored[-1] if item.reverse else scored[0]).value


@pytest.mark.parametrize("questionnaire", [V1, V2], ids=["v1", "v2"])
@pytest.mark.parametrize("n", [3, 6, 9])
def test_all_best_is_integrated_at_rung_5_and_all_worst_autonomous_at_rung_1(questionnaire, n):
    for choose, townsley, rung in ((best, "integrated", "5"), (worst, "autonomous", "1")):
        board = [RespondentAnswers(agency=AGENCIES[k % 5],
                                   level=("strategic", "operational")[k % 2],
                                   answers={i.id: choose(i) for i in questionnaire.items})
                 for k in range(n)]
        result = score_round(questionnaire, board)
        assert result.placement("townsley").level == townsley
        assert result.placement("gaster").level == rung
        if questionnaire is V2:  # version 1's facts contradict each other at the extremes
            assert result.placement("townsley").margin.firm
            assert result.placement("gaster").margin.firm


def model_state(questionnaire, board, key):
    m = next(m for m in MODELS if m.key == key)
    s = spec(questionnaire, m)
    facts = ev.read_facts(questionnaire, board, s.item_ids)
    known = {i for i, f in facts.items() if f.known}
    supports = {i: facts[i].support for i in s.item_ids}
    return s, facts, known, supports


def moves_of(s, facts, known):
    return [ev.Move(i, d, 1) for i in s.item_ids if i in known for d in (ev.UP, ev.DOWN)
            if facts[i].moves(d)]


def feasible(facts, moves):
    used: dict[tuple[str, str], int] = {}
    for move in moves:
        used[move.item_id, move.towards] = used.get((move.item_id, move.towards), 0) + move.count
    return all(facts[i].moves(d) >= count for (i, d), count in used.items())


@pytest.mark.parametrize("key", [m.key for m in MODELS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_margins_are_true(key, data):
    """The margin found moves the placement, and nothing smaller does: checked here against
    every single change and every pair of changes."""
    board = data.draw(boards())
    placement = next(p for p in place(V2, board) if p.model == key)
    assume(placement.margin is not None)
    s, facts, known, supports = model_state(V2, board, key)
    base = ev.outcome(s, supports, known)
    singles = moves_of(s, facts, known)

    def changes(moves):
        return feasible(facts, moves) and ev.differs(
            base, ev.outcome(s, ev.moved(supports, facts, moves), known))

    one = any(changes([m]) for m in singles)
    assert one == (placement.margin.steps == 1)
    if placement.margin.steps is not None:
        hinge_moves = [ev.Move(h.item_id, h.towards, h.steps) for h in placement.margin.hinges]
        if placement.margin.steps == 1:
            assert all(changes([m]) for m in hinge_moves)
        else:
            assert changes(hinge_moves)
            assert sum(m.count for m in hinge_moves) == placement.margin.steps
    if placement.margin.steps is None or placement.margin.steps > 2:
        pairs = itertools.combinations_with_replacement(singles, 2)
        assert not any(changes(list(pair)) for pair in pairs), "a pair moves it"
    assert (placement.margin.steps is None) == placement.margin.firm
    assert placement.margin.steps is None or placement.margin.steps <= t.CLOSE_MARGIN
