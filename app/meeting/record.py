"""The board's record as the results page and the report read it: what the board agreed beside
the members' own answers (never in place of them), what it could not agree, the actions it
added to the plan, its view of each placement, and, in the next round, whether members now
agree more on what it discussed."""

from dataclasses import dataclass, field
from datetime import date

from app.meeting.agenda import AGREED, NOT_AGREED, OUTCOMES, PLACEMENT, QUESTION
from app.meeting.agreement import WORDS, Spread


@dataclass(frozen=True)
class VoteLine:
    """A live vote whose spread was shown: the round's spread beside the room's."""

    before: Spread
    after: Spread
    change: str | None  # app/meeting/agreement.py: more, less, same


@dataclass(frozen=True)
class ActionLine:
    number: int | None  # its place in the plan now; None when it has since been removed
    text: str
    owner: str = ""
    target: date | None = None
    measure: str = ""


@dataclass(frozen=True)
class Decision:
    number: int  # on the agenda
    kind: str
    key: str  # the item id, factor, model or strategy id
    title: str
    why: str  # why it was on the agenda, in words
    outcome: str
    outcome_text: str  # the agreed answer's label, or the outcome in words
    members: str  # what the members' answers said, as the results show it
    note: str = ""
    better: str = ""  # a placement the board thinks fits better
    action: ActionLine | None = None
    vote: VoteLine | None = None

    @property
    def agreed(self) -> bool:
        return self.outcome != NOT_AGREED


@dataclass(frozen=True)
class FollowUp:
    """An item the previous round's board discussed, and how far members agree on it now."""

    title: str
    before: float | None
    now: float | None
    change: str | None

    @property
    def words(self) -> str:
        return WORDS[self.change] if self.change else "cannot be measured in both rounds"


@dataclass(frozen=True)
class BoardSection:
    held_on: date | None  # None: this round's board has not met in MAPS (a follow-up only)
    decisions: tuple[Decision, ...] = ()  # everything recorded, in agenda order
    undecided: int = 0  # agenda items with nothing recorded
    previous_title: str = ""  # the round whose discussion the follow-up reads
    previous_held_on: date | None = None
    follow_up: tuple[FollowUp, ...] = ()
    placements: dict[str, Decision] = field(default_factory=dict)

    @property
    def agreed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.agreed)

    @property
    def not_agreed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.agreed)

    @property
    def actions(self) -> tuple[ActionLine, ...]:
        return tuple(d.action for d in self.decisions if d.action)

    def placement(self, model: str) -> Decision | None:
        return self.placements.get(model)


def outcome_text(kind: str, outcome: str, agreed_value: str | None,
                 options: dict[str, str]) -> str:
    """What the board recorded, in words: a question's agreed answer is its option's label."""
    if kind == QUESTION and outcome == AGREED:
        return options.get(agreed_value or "", agreed_value or "")
    return OUTCOMES[kind].get(outcome, outcome)


def placements_of(decisions: tuple[Decision, ...]) -> dict[str, Decision]:
    return {d.key: d for d in decisions if d.kind == PLACEMENT}
