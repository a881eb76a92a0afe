"""Boards of respondents built to order, for the recommendation and report tests."""

import random
from collections.abc import Callable, Sequence

from app.questionnaires.loader import load_catalogue
from app.questionnaires.schema import Item
from app.scoring import RespondentAnswers
from app.scoring.scores import is_marker

CORE = load_catalogue().get("multi-agency-working")
FACTORS = CORE.tag_values("factor")


def best(item: Item) -> str:
    scored = item.scale.scored
    return (scored[0] if item.reverse else scored[-1]).value


def worst(item: Item) -> str:
    scored = item.scale.scored
    return (scored[-1] if item.reverse else scored[0]).value


def neutral(item: Item) -> str:
    """The middle of the scale: scores 50 whichever way the statement points."""
    scored = item.scale.scored
    return scored[len(scored) // 2].value


def is_fact(item: Item) -> bool:
    return is_marker(CORE, item)


def factor_of(item: Item) -> str | None:
    return item.tag("factor")[0] if item.tag("factor") else None


def people(agencies: Sequence[tuple[str, int]],
           answer: Callable[[Item, str, int], str | None]) -> list[RespondentAnswers]:
    """`count` respondents per agency, alternating levels; answer(item, agency, n)."""
    board, n = [], 0
    for agency, count in agencies:
        for _ in range(count):
            board.append(RespondentAnswers(
                agency=agency, level=("strategic", "operational")[n % 2],
                answers={i.id: answer(i, agency, n) for i in CORE.items}))
            n += 1
    return board


def random_board(seed: int, agencies: Sequence[str], per_agency: int, *,
                 dont_know: float = 0.05, quality: float = 0.6) -> list[RespondentAnswers]:
    """Noisy answers around `quality` (0 worst - 1 best), with a share of don't knows."""
    rng = random.Random(seed)
    board = []
    for agency in agencies:
        bias = rng.uniform(-0.2, 0.2)
        for k in range(per_agency):
            answers: dict[str, str | None] = {}
            for item in CORE.items:
                if rng.random() < dont_know:
                    answers[item.id] = None
                    continue
                scored = item.scale.scored
                position = min(1.0, max(0.0, rng.gauss(quality + bias, 0.25)))
                index = round(position * (len(scored) - 1))
                if item.reverse:
                    index = len(scored) - 1 - index
                answers[item.id] = scored[index].value
            board.append(RespondentAnswers(agency=agency, answers=answers,
                                           level=("strategic", "operational")[k % 2]))
    return board
