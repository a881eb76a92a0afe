"""The agenda MAPS suggests for a board's discussion of a closed round, and the words for what
is on it and what a board can decide. The order is the issue's and MAPS's own (docs/method.md,
section 11): where members disagree most, the weakest findings, the placements ("Does this
describe us?"), the recommendations to adopt."""

from dataclasses import dataclass

from app.meeting import rules
from app.meeting.advice import Advice
from app.scoring.result import RoundResult

QUESTION, FACTOR, PLACEMENT, RECOMMENDATION = "question", "factor", "placement", "recommendation"
KINDS = (QUESTION, FACTOR, PLACEMENT, RECOMMENDATION)

# Why an entry is on the agenda, and how a screen heads it.
WHY = {
    "contested": "Members disagree",
    "disputed_fact": "Members disagree about a fact",
    "weakest": "One of the weakest findings",
    "placement": "Does this describe us?",
    "to_adopt": "A recommendation to adopt",
    "added": "Added to the agenda",
}

# What a board can record for each kind of entry (a question's agreed answer is one of its
# own options, so questions list only "we could not agree" here).
NOT_AGREED = "not_agreed"
OUTCOMES = {
    QUESTION: {NOT_AGREED: "We could not agree"},
    FACTOR: {"agreed": "We agree with this finding", "disagree": "We think this finding is wrong",
             NOT_AGREED: "We could not agree"},
    PLACEMENT: {"fits": "Yes, this describes us", "does_not_fit": "No, it does not describe us",
                NOT_AGREED: "We could not agree"},
    RECOMMENDATION: {"adopt": "We adopt it", "decline": "We do not adopt it",
                     NOT_AGREED: "We could not agree"},
}
AGREED = "agreed"  # a question's outcome when the board agreed an answer on its scale


@dataclass(frozen=True)
class Entry:
    kind: str  # question, factor, placement or recommendation
    key: str  # the item id, factor, model or strategy id
    why: str  # a key of WHY


def suggested(result: RoundResult, advice: Advice) -> list[Entry]:
    """The agenda for a round's result, in order. Everything it names is something the
    result shows: the consensus lists and placements come after disclosure control."""
    return [*_disagreements(result), *_weakest(advice), *_placements(result),
            *_to_adopt(advice)]


def _disagreements(result: RoundResult) -> list[Entry]:
    """Contested questions and disputed facts together, most spread first."""
    split = [(a, "contested") for a in result.consensus.contested]
    split += [(a, "disputed_fact") for a in result.consensus.disputed_facts]
    split.sort(key=lambda pair: (-(pair[0].sd or 0.0), pair[0].key))
    return [Entry(QUESTION, a.key, why) for a, why in split[:rules.MAX_DISAGREEMENTS]]


def _weakest(advice: Advice) -> list[Entry]:
    return [Entry(FACTOR, w.factor, "weakest") for w in advice.weakest[:rules.MAX_WEAKEST]]


def _placements(result: RoundResult) -> list[Entry]:
    placed = {p.model for p in result.placements if p.status == "placed"}
    return [Entry(PLACEMENT, m, "placement") for m in rules.PLACEMENT_MODELS if m in placed]


def _to_adopt(advice: Advice) -> list[Entry]:
    return [Entry(RECOMMENDATION, p.strategy_id, "to_adopt")
            for p in advice.to_adopt[:rules.MAX_TO_ADOPT]]


def moved(order: list, index: int, *, up: bool) -> list:
    """The order with the entry at `index` swapped with its neighbour above (or below);
    unchanged at either end."""
    other = index - 1 if up else index + 1
    if not 0 <= index < len(order) or not 0 <= other < len(order):
        return list(order)
    order = list(order)
    order[index], order[other] = order[other], order[index]
    return order
