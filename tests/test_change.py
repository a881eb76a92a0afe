"""The change since the previous round (app/scoring/change.py): which way placements and
factors moved, and a notable-change rule that weighs who answered."""

import math

import pytest

from app.scoring import score_round
from app.scoring import thresholds as t
from app.scoring.change import compare_rounds, needed_change
from tests.report_helpers import CORE, FACTORS, best, people, worst


def board(answer, agencies=(("Police", 4), ("Health", 4))):
    return score_round(CORE, people(list(agencies), answer))


def test_a_partnership_that_got_better_moves_up():
    before = board(lambda item, agency, n: worst(item))
    after = board(lambda item, agency, n: best(item))
    change = compare_rounds(before=before, after=after, questionnaire=CORE,
                            previous_title="Round 1")
    assert change.overall.direction == "up"
    assert change.moved and all(c.direction == "up" and c.notable for c in change.moved)
    assert len(change.moved) == min(t.MAX_CHANGES_LISTED, len(FACTORS))
    assert {p.model: p.direction for p in change.placements}["gaster"] == "up"
    assert change.headline.startswith("Since Round 1:")
    back = compare_rounds(before=after, after=before, questionnaire=CORE,
                          previous_title="Round 2")
    assert back.overall.direction == "down"
    assert {p.model: p.direction for p in back.placements}["gaster"] == "down"
    assert not change.different_board


def test_the_same_answers_move_nothing():
    same = board(lambda item, agency, n: best(item) if n % 2 else worst(item))
    change = compare_rounds(before=same, after=same, questionnaire=CORE,
                            previous_title="Round 1")
    assert not change.moved and change.steady == len(FACTORS)
    assert all(p.direction == "same" for p in change.placements)
    assert not change.appeared and not change.resolved


@pytest.mark.parametrize("n, sd, needed", [
    (50, 5.0, t.NOTABLE_CHANGE),  # many, agreeing: the floor
    (4, 30.0, t.CHANGE_Z * math.sqrt(2 * 30.0 ** 2 / 4)),  # few, divided: more
])
def test_the_rule_needs_more_on_few_or_divided_answers(n, sd, needed):
    assert needed_change(sd, n, sd, n) == pytest.approx(needed)
    assert needed_change(sd, n, sd, n) >= needed_change(sd, n * 4, sd, n * 4)


def test_a_different_board_is_flagged_and_actions_counted():
    before = board(lambda item, agency, n: worst(item), (("Police", 4), ("Health", 4)))
    after = board(lambda item, agency, n: worst(item), (("Schools", 4), ("Housing", 4)))
    change = compare_rounds(before=before, after=after, questionnaire=CORE,
                            previous_title="Round 1",
                            previous_actions=[("A", "done"), ("B", "dropped"), ("C", "open")])
    assert change.different_board
    assert [a.text for a in change.done] == ["A"] and [a.text for a in change.dropped] == ["B"]
    assert change.open_actions == 1
