"""The board meeting's pure core: the agenda MAPS suggests and its order, what it reads from the
recommendations, the screens, and whether members agree more. (The live vote's disclosure rule
has its own attacker: tests/test_live_vote_privacy.py.)"""

import re
from pathlib import Path

import pytest

from app.meeting import agenda, rules
from app.meeting.advice import WEAK_BASIS, read_advice
from app.meeting.agreement import LESS, MORE, SAME, change, spread_of_answers
from app.meeting.screens import screen
from app.recommendations.matching import recommend
from app.scoring import score_round
from tests.report_helpers import CORE, best, is_fact, people, random_board, worst

METHOD = Path(__file__).resolve().parent.parent / "docs" / "method.md"


def divided(item, agency, n):
    """Half the board at each end of every opinion; the facts as the first half sees them,
    with one dissenter, so some facts are disputed too."""
    if is_fact(item):
        return worst(item) if n in (0, 5) and item.id.endswith(("board", "forum")) else best(item)
    return best(item) if n % 2 else worst(item)


@pytest.fixture(scope="module")
def split_round():
    result = score_round(CORE, people([("Health", 4), ("Schools", 4)], divided))
    return result, read_advice(recommend(result, CORE))


def test_the_agenda_runs_disagreements_weakest_placements_then_recommendations(split_round):
    result, advice = split_round
    entries = agenda.suggested(result, advice)
    kinds = [e.kind for e in entries]
    order = [agenda.QUESTION, agenda.FACTOR, agenda.PLACEMENT, agenda.RECOMMENDATION]
    assert kinds == sorted(kinds, key=order.index)
    assert set(kinds) == set(order)
    questions = [e for e in entries if e.kind == agenda.QUESTION]
    assert len(questions) == rules.MAX_DISAGREEMENTS
    split = {a.key: a for a in result.consensus.contested + result.consensus.disputed_facts}
    spreads = [split[e.key].sd for e in questions]
    assert spreads == sorted(spreads, reverse=True)
    # The most spread of all the splits, facts and opinions together, come first.
    widest = sorted(split.values(), key=lambda a: (-a.sd, a.key))[:rules.MAX_DISAGREEMENTS]
    assert [e.key for e in questions] == [a.key for a in widest]
    assert {e.why for e in questions} <= {"contested", "disputed_fact"}


def test_the_agenda_takes_the_weakest_and_the_first_recommendations_from_the_advice(split_round):
    result, advice = split_round
    entries = agenda.suggested(result, advice)
    factors = [e.key for e in entries if e.kind == agenda.FACTOR]
    assert factors == [w.factor for w in advice.weakest][:rules.MAX_WEAKEST]
    adopted = [e.key for e in entries if e.kind == agenda.RECOMMENDATION]
    assert adopted == [p.strategy_id for p in advice.to_adopt][:rules.MAX_TO_ADOPT]
    placed = [p.model for p in result.placements if p.status == "placed"]
    assert [e.key for e in entries if e.kind == agenda.PLACEMENT] == [
        m for m in rules.PLACEMENT_MODELS if m in placed]


def test_the_advice_reads_weak_factors_in_priority_order_with_the_reason_that_chose_them():
    result = score_round(CORE, random_board(3, ["A", "B", "C"], 3, quality=0.3))
    recommendations = recommend(result, CORE)
    advice = read_advice(recommendations)
    weak = [r for r in recommendations if r.basis == WEAK_BASIS]
    assert weak, "the board is weak enough for weak-factor recommendations"
    assert [w.factor for w in advice.weakest] == list(dict.fromkeys(r.target for r in weak))
    first = advice.weakest[0]
    assert first.reasons[0] == next(r for r in weak if r.target == first.factor).reasons[0]
    assert [p.strategy_id for p in advice.to_adopt] == [r.strategy.id for r in recommendations]
    assert advice.proposal(recommendations[0].strategy.id).action == \
        recommendations[0].strategy.action


def test_a_board_in_agreement_has_no_disagreements_on_its_agenda():
    result = score_round(CORE, people([("Health", 3), ("Schools", 3)],
                                      lambda item, agency, n: best(item)))
    entries = agenda.suggested(result, read_advice(recommend(result, CORE)))
    assert not [e for e in entries if e.kind == agenda.QUESTION]
    assert not [e for e in entries if e.kind == agenda.FACTOR]  # nothing weak either


def test_a_question_screen_shows_the_split_by_level_only_where_the_result_shows_it():
    board = people([("Health", 4), ("Schools", 4)], divided)
    item = next(i for i in CORE.items if not is_fact(i))
    entry = agenda.Entry(agenda.QUESTION, item.id, "added")
    shown = screen(entry, score_round(CORE, board), CORE, read_advice([]))
    assert [c.label for c in shown.body.columns] == [
        "All members", "Strategic staff", "Operational staff"]
    assert [c.spread.n for c in shown.body.columns] == [8, 4, 4]
    assert shown.body.source == item.source
    # Four operational staff, two strategic: the strategic pair is withheld, and with it the
    # level split (the whole minus the operational four would be the pair).
    board = people([("Health", 3), ("Schools", 3)], divided)
    levels = ["operational", "operational", "strategic", "operational", "strategic",
              "operational"]
    board = [type(p)(agency=p.agency, answers=p.answers, level=lv) for p, lv in zip(
        board, levels, strict=True)]
    shown = screen(entry, score_round(CORE, board), CORE, read_advice([]))
    assert [c.label for c in shown.body.columns] == ["All members"]


def test_a_screen_for_what_the_result_no_longer_has_is_empty():
    result = score_round(CORE, people([("Health", 3)], lambda i, a, n: best(i)))
    gone = screen(agenda.Entry(agenda.QUESTION, "no_such_item", "added"), result, CORE,
                  read_advice([]))
    assert gone.body is None and gone.title == "no_such_item"
    too_few = score_round(CORE, people([("Health", 2)], lambda i, a, n: best(i)))
    item = CORE.items[0]
    assert screen(agenda.Entry(agenda.QUESTION, item.id, "added"), too_few, CORE,
                  read_advice([])).body is None


@pytest.mark.parametrize(("before", "after", "expected"), [
    (0.40, 0.50, MORE), (0.40, 0.4999, SAME), (0.50, 0.40, LESS), (0.50, 0.4001, SAME),
    (None, 0.5, None), (0.5, None, None)])
def test_members_agree_more_from_a_rise_of_a_tenth(before, after, expected):
    assert change(before, after) == expected


def test_a_spread_counts_each_option_and_measures_agreement():
    item = next(i for i in CORE.items if not is_fact(i) and i.scale.id == "agreement")
    spread = spread_of_answers(item, ["5", "5", "1", "dk"])
    assert spread.counts == (1, 0, 0, 0, 2, 1)
    assert spread.n == 4
    assert spread.agreement is not None and spread.agreement < 0.2
    assert spread_of_answers(item, ["4", "4", "4"]).agreement == 1.0
    assert spread_of_answers(item, ["4"]).agreement is None


def test_moving_an_entry_swaps_it_with_its_neighbour_and_not_past_the_ends():
    assert agenda.moved([1, 2, 3], 1, up=True) == [2, 1, 3]
    assert agenda.moved([1, 2, 3], 1, up=False) == [1, 3, 2]
    assert agenda.moved([1, 2, 3], 0, up=True) == [1, 2, 3]
    assert agenda.moved([1, 2, 3], 2, up=False) == [1, 2, 3]


def test_every_rule_of_the_meeting_is_in_the_method_with_its_value():
    text = METHOD.read_text()
    section = text[text.index("## 11."):]
    for name, rule in rules.RULES.items():
        value = getattr(rules, name)
        shown = ", ".join(value) if isinstance(value, tuple) else f"{value:g}"
        assert re.search(rf"\| `{name}` \| {re.escape(shown)} \| MAPS's own choice \| "
                         rf"{re.escape(rule.reason)}", section), name
    assert set(rules.RULES) == {n for n in dir(rules) if n.isupper() and n != "RULES"}
