"""The golden boards: partnerships the review describes, each answered by a board of six to
nine members from named agencies at both levels, placed as the review (or our reading of it)
supports, described honestly, and stable against any one answer moving one step."""

import re
from pathlib import Path

import pytest

from app.scoring import score_round
from app.scoring.typologies import MODELS, step_changes
from tests.golden import BASES, CORE, GOLDEN, boards, obtained, wanted

EXCERPTS = Path(__file__).parent / "data" / "review-excerpts.txt"
BOARDS = boards()
IDS = [b.id for b in BOARDS]
# The most single-step changes a golden board may have that move any of its placements.
MOST_MOVING = 0.03


def test_there_are_enough_boards_of_the_right_size():
    assert len(BOARDS) >= 12
    assert len(list(GOLDEN.glob("*.yaml"))) == len(BOARDS)
    for board in BOARDS:
        assert 6 <= len(board.respondents) <= 9, board.id
        assert len({r.agency for r in board.respondents}) >= 3, board.id
        assert {r.level for r in board.respondents} == {"strategic", "operational"}, board.id
        assert {m.key for m in MODELS} == set(board.expected), board.id


def test_every_board_answers_every_fact_and_disagrees_somewhere():
    facts = [i for i in CORE.items if i.has_tag("part", "structure")]
    for board in BOARDS:
        for item in facts:
            assert all(item.id in r.answers for r in board.respondents), (board.id, item.id)
        split = [i for i in facts if len({r.answers[i.id] for r in board.respondents}) > 1]
        assert len(split) >= len(facts) / 4, board.id  # a real board, not a chorus


@pytest.mark.parametrize("board", BOARDS, ids=IDS)
def test_each_board_is_placed_as_the_text_supports(board):
    result = score_round(CORE, list(board.respondents))
    for model, expected in board.expected.items():
        placement = result.placement(model)
        assert obtained(placement) == wanted(expected), (model, placement.explanation)
        if placement.status in ("placed", "mixed", "unclear"):
            assert placement.margin is not None and placement.margin.text, model


def _normal(text: str) -> str:
    text = re.sub(r"[*'’‘\"“”]", "", text)
    return " ".join(text.split()).lower()


REVIEW = _normal(EXCERPTS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("board", BOARDS, ids=IDS)
def test_from_the_review_is_the_reviews_own_words(board):
    """Everything under from_the_review quotes the review (each part between “ and ”, split at
    '...', is in it word for word); what MAPS adds is under our_reading, and every expected
    placement says which of the two it rests on."""
    assert board.from_the_review and board.our_reading
    for entry in board.from_the_review:
        quotes = re.findall(r"“(.*?)”", entry)
        assert quotes, f"{board.id}: '{entry}' quotes nothing"
        for quote in quotes:
            for part in filter(None, (p.strip() for p in quote.split("..."))):
                assert _normal(part) in REVIEW, f"{board.id}: not in the review: {part}"
    for expected in board.expected.values():
        assert expected.basis in BASES and expected.why, (board.id, expected.model)


def _moving_share(board) -> tuple[int, int]:
    changes = step_changes(CORE, list(board.respondents))
    total = sum(c.answers for c in changes)
    moving = sum(c.answers for c in changes if c.moved)
    return moving, total


@pytest.mark.parametrize("board", BOARDS, ids=IDS)
def test_few_single_step_changes_move_any_placement(board):
    moving, total = _moving_share(board)
    assert total > 500  # every answer to every fact a model reads, up and down
    assert moving / total < MOST_MOVING, f"{moving} of {total}"


def test_a_placement_with_a_margin_of_one_is_moved_by_its_hinges():
    """The margin is not a guess: for each board, a placement said to turn on one answer moves
    when one of its hinge questions moves that way, and one said to be firm never moves on a
    single step."""
    for board in BOARDS:
        respondents = list(board.respondents)
        result = score_round(CORE, respondents)
        moved = {model for c in step_changes(CORE, respondents) for model in c.moved}
        for placement in result.placements:
            if placement.margin is None:
                continue
            assert (placement.margin.steps == 1) == (placement.model in moved), \
                (board.id, placement.model)


def test_the_tables_in_the_method_document_are_the_codes():
    """docs/method.md prints the golden-board table with its figures, the evidence each level
    reads, Gaster's markers, every rule and the criteria's strategies: each is regenerated here
    from the code and the data, so the document cannot drift from them."""
    from app.recommendations import thresholds as recommending
    from app.scoring import thresholds as scoring
    from tests.doc_tables import (
        criteria_table,
        evidence_table,
        gaster_table,
        golden_table,
        rules_table,
    )

    method = (Path(__file__).parents[1] / "docs" / "method.md").read_text(encoding="utf-8")
    for table in (golden_table(), evidence_table(), gaster_table(), rules_table(scoring),
                  rules_table(recommending)):
        assert table in method, table.splitlines()[0]
    criteria = "\n".join("   " + row for row in criteria_table().split("\n"))
    assert criteria in method
