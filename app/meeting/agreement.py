"""Whether members agree more: one question's spread of answers before and after (the round
and a live vote, or the round and the next), read on the consensus's agreement index."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.meeting import rules
from app.questionnaires.schema import Item
from app.scoring.consensus import agreement_of

MORE, LESS, SAME = "more", "less", "same"
WORDS = {MORE: "members agree more", LESS: "members agree less",
         SAME: "members agree about as much"}


@dataclass(frozen=True)
class Spread:
    """How many chose each option of a question's scale, and how far they agree."""

    counts: tuple[int, ...]  # one per option, in the scale's order ("don't know" included)
    agreement: float | None  # 1 - SD / MAX_SD over the scored answers; None below two

    @property
    def n(self) -> int:
        return sum(self.counts)


def spread_of(item: Item, distribution: Mapping[str, int]) -> Spread:
    """A spread from a distribution (option value -> count), as the round's results hold it."""
    values = [value for value, n in distribution.items() for _ in range(n)]
    return spread_of_answers(item, values)


def spread_of_answers(item: Item, values: Iterable[str]) -> Spread:
    values = list(values)
    scores = [s for v in values if (s := item.score(v)) is not None]
    return Spread(counts=tuple(values.count(o.value) for o in item.scale.options),
                  agreement=agreement_of(item.id, scores).agreement)


def change(before: float | None, after: float | None) -> str | None:
    """MORE, LESS or SAME by AGREEMENT_CHANGE; None when either cannot be measured."""
    if before is None or after is None:
        return None
    if after - before >= rules.AGREEMENT_CHANGE - 1e-9:
        return MORE
    if before - after >= rules.AGREEMENT_CHANGE - 1e-9:
        return LESS
    return SAME
