"""What changed between a partnership's previous closed round and this one: placements up or
down their scale, the factors that moved notably (by a rule that weighs who answered),
disagreements that appeared or were resolved, and the last plan's actions done or dropped."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.questionnaires.schema import DECIMALS, Bands, Questionnaire, rounded, whole_points
from app.scoring import thresholds as t
from app.scoring.result import RoundResult
from app.scoring.typologies import Placement

ORDERED = ("townsley", "gaster")


@dataclass(frozen=True)
class PlacementChange:
    model: str
    title: str
    before: str  # the placement in a few words, or "not placed"
    after: str
    direction: str  # up, down, same, not_comparable

    @property
    def text(self) -> str:
        if self.direction == "same":
            return f"{self.title}: unchanged ({self.after})."
        if self.direction == "not_comparable":
            return f"{self.title}: {self.before} then, {self.after} now."
        way = "up" if self.direction == "up" else "down"
        return f"{self.title}: {way}, from {self.before} to {self.after}."


@dataclass(frozen=True)
class ScoreChange:
    tag: str
    value: str
    label: str
    before: float
    after: float
    n_before: int
    n_after: int
    needed: float  # the smallest change the rule counts as notable, for these answers
    notable: bool
    # Where the instrument's figures are means: the (lowest, highest) of their scale, on
    # which the change is printed; None: on 0-100.
    scale: tuple[float, float] | None = None

    @property
    def delta(self) -> float:
        return self.after - self.before

    def _shown(self, score: float) -> float:
        """A score as printed: whole points, or the mean on the scale to two decimals."""
        if self.scale is None:
            return whole_points(score)
        low, high = self.scale
        return rounded(low + score / 100 * (high - low), DECIMALS["mean"])

    def _text(self, value: float) -> str:
        return f"{value:g}" if self.scale is None else f"{value:.{DECIMALS['mean']}f}"

    @property
    def before_text(self) -> str:
        return self._text(self._shown(self.before))

    @property
    def after_text(self) -> str:
        return self._text(self._shown(self.after))

    @property
    def shown_delta(self) -> float:
        """The change as the two printed figures give it, so the three numbers agree."""
        return round(self._shown(self.after) - self._shown(self.before), DECIMALS["mean"])

    @property
    def delta_text(self) -> str:
        return self._text(abs(self.shown_delta)) + (" points" if self.scale is None else "")

    @property
    def direction(self) -> str:
        return "up" if self.shown_delta > 0 else "down" if self.shown_delta < 0 else "same"

    @property
    def text(self) -> str:
        way = {"up": "up", "down": "down", "same": "unchanged"}[self.direction]
        return f"{self.label}: {way} {self.delta_text}, from {self.before_text} to " \
               f"{self.after_text}"


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    text: str


@dataclass(frozen=True)
class ActionOutcome:
    text: str
    status: str  # done or dropped


@dataclass(frozen=True)
class RoundChange:
    previous_title: str
    placements: tuple[PlacementChange, ...]
    overall: ScoreChange | None
    moved: tuple[ScoreChange, ...]  # notable factor changes, largest first
    steady: int  # factors scored in both rounds that did not move notably
    appeared: tuple[ItemChange, ...]  # contested now, not then
    resolved: tuple[ItemChange, ...]  # contested then, not now
    done: tuple[ActionOutcome, ...]
    dropped: tuple[ActionOutcome, ...]
    open_actions: int  # last plan's actions neither done nor dropped
    same_agencies: float | None  # share of this round's agencies that also answered then

    @property
    def different_board(self) -> bool:
        return self.same_agencies is not None and self.same_agencies < t.SAME_BOARD_SHARE

    @property
    def headline(self) -> str:
        """One sentence for the summary page."""
        parts = [p.text.rstrip(".") for p in self.placements if p.direction in ("up", "down")]
        overall = "overall mean" if self.overall and self.overall.scale else "overall score"
        if self.overall and self.overall.direction != "same":
            parts.append(f"{overall} {self.overall.text.split(': ', 1)[1]}")
        if not parts:
            return f"Since {self.previous_title}, no placement moved and the {overall} " \
                   "did not change notably."
        return f"Since {self.previous_title}: " + "; ".join(parts) + "."


def placement_words(placement: Placement | None) -> str:
    if placement is None or placement.status in ("insufficient_evidence", "not_assessed"):
        return "not placed"
    if placement.status == "unclear":
        return "unclear"
    if placement.model == "gaster" and placement.level:
        return f"rung {placement.level} ({(placement.label or '').lower()})"
    return (placement.label or "").lower()


def _placement_change(model: str, before: RoundResult, after: RoundResult
                      ) -> PlacementChange | None:
    now = next((p for p in after.placements if p.model == model), None)
    then = next((p for p in before.placements if p.model == model), None)
    if now is None or now.status == "not_assessed":
        return None
    direction = "not_comparable"
    # The height climbed is what ranks a placement, "features of both" included.
    if then is not None and now.position is not None and then.position is not None:
        if placement_words(now) == placement_words(then):
            direction = "same"
        elif now.position != then.position:
            direction = "up" if now.position > then.position else "down"
    return PlacementChange(model=model, title=now.title, before=placement_words(then),
                           after=placement_words(now), direction=direction)


def needed_change(sd_before: float | None, n_before: int, sd_after: float | None,
                  n_after: int) -> float:
    """The smallest change in a score that the notable-change rule counts: at least
    NOTABLE_CHANGE points, and at least CHANGE_Z standard errors of the difference between
    two means of members' own scores, so a change on few or divided answers needs more."""
    if n_before < 1 or n_after < 1:
        return math.inf
    sd1 = t.ASSUMED_SD if sd_before is None else sd_before
    sd2 = t.ASSUMED_SD if sd_after is None else sd_after
    error = math.sqrt(sd1 ** 2 / n_before + sd2 ** 2 / n_after)
    return max(t.NOTABLE_CHANGE, t.CHANGE_Z * error)


def mean_scale(bands: Bands | None) -> tuple[float, float] | None:
    """The scale a change is printed on where the figures are means; None: on 0-100."""
    if bands is None or bands.basis != "mean":
        return None
    return bands.scale.low, bands.scale.high


def _score_change(tag: str, value: str, label: str, before: RoundResult,
                  after: RoundResult, scale: tuple[float, float] | None) -> ScoreChange | None:
    then = before.partnership.tags.get(tag, {}).get(value)
    now = after.partnership.tags.get(tag, {}).get(value)
    if then is None or now is None or then.score is None or now.score is None:
        return None
    spread = (before.consensus.factors.get(value), after.consensus.factors.get(value)) \
        if tag == "factor" else (None, None)
    needed = needed_change(spread[0].sd if spread[0] else None, then.n,
                           spread[1].sd if spread[1] else None, now.n)
    return ScoreChange(tag=tag, value=value, label=label, before=then.score, after=now.score,
                       n_before=then.n, n_after=now.n, needed=needed,
                       notable=abs(now.score - then.score) >= needed - 1e-9, scale=scale)


def _overall(before: RoundResult, after: RoundResult,
             scale: tuple[float, float] | None) -> ScoreChange | None:
    then, now = before.partnership, after.partnership
    if then.overall is None or now.overall is None:
        return None
    n1, n2 = before.coverage.respondents, after.coverage.respondents
    needed = needed_change(None, n1, None, n2)
    return ScoreChange(tag="overall", value="overall", label="Overall", before=then.overall,
                       after=now.overall, n_before=n1, n_after=n2, needed=needed,
                       notable=abs(now.overall - then.overall) >= needed - 1e-9, scale=scale)


def _contested(result: RoundResult) -> set[str]:
    return {a.key for a in (*result.consensus.contested, *result.consensus.disputed_facts)}


def _same_agencies(before: RoundResult, after: RoundResult) -> float | None:
    now = set(after.coverage.by_agency)
    if not now:
        return None
    return len(now & set(before.coverage.by_agency)) / len(now)


def compare_rounds(*, before: RoundResult, after: RoundResult, questionnaire: Questionnaire,
                   previous_title: str, previous_actions: Sequence[tuple[str, str]] = ()
                   ) -> RoundChange | None:
    """The change from `before` to `after`, both scored on instruments with the same key, or
    None when either round's figures are withheld (too few answered to show anything).
    `previous_actions` are the last plan's (text, status) pairs."""
    if before.partnership.suppressed or after.partnership.suppressed:
        return None
    scale = mean_scale(questionnaire.measure_for("factor"))
    factors = [c for v in questionnaire.tag_values("factor")
               if (c := _score_change("factor", v, questionnaire.tag_label("factor", v),
                                      before, after, scale)) is not None]
    moved = sorted((c for c in factors if c.notable),
                   key=lambda c: (-abs(c.delta), c.label))[:t.MAX_CHANGES_LISTED]
    then, now = _contested(before), _contested(after)
    return RoundChange(
        previous_title=previous_title,
        placements=tuple(c for m in ORDERED if (c := _placement_change(m, before, after))),
        overall=_overall(before, after, mean_scale(questionnaire.bands)), moved=tuple(moved),
        steady=sum(1 for c in factors if not c.notable),
        appeared=tuple(_item(questionnaire, key) for key in sorted(now - then)
                       if questionnaire.item(key)),
        resolved=tuple(_item(questionnaire, key) for key in sorted(then - now)
                       if questionnaire.item(key)),
        done=tuple(ActionOutcome(text, s) for text, s in previous_actions if s == "done"),
        dropped=tuple(ActionOutcome(text, s) for text, s in previous_actions if s == "dropped"),
        open_actions=sum(1 for _, s in previous_actions if s not in ("done", "dropped")),
        same_agencies=_same_agencies(before, after))


def _item(questionnaire: Questionnaire, key: str) -> ItemChange:
    return ItemChange(item_id=key, text=questionnaire.item(key).text)
