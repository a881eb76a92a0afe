"""How far board members agree: dispersion per item and factor, contested items, and the
largest gaps between agencies and between strategic and operational staff."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import pstdev

from app.questionnaires.schema import Questionnaire
from app.scoring import thresholds as t
from app.scoring.scores import GroupScores, composite, is_marker, tag_groups


@dataclass
class Agreement:
    key: str  # item id, or factor name
    n: int
    sd: float | None
    agreement: float | None  # 1 = everyone gave the same answer, 0 = split between the ends
    favourable: float | None = None  # share of answers at or above FAVOURABLE
    unfavourable: float | None = None
    contested: bool = False
    reason: str = ""


@dataclass
class Gap:
    tag: str
    value: str
    between: str  # "agency" or "level"
    high: str
    high_score: float
    low: str
    low_score: float
    label: str = ""  # the tag value's name, from the questionnaire's vocabulary

    @property
    def size(self) -> float:
        return self.high_score - self.low_score


@dataclass
class Consensus:
    items: dict[str, Agreement] = field(default_factory=dict)
    factors: dict[str, Agreement] = field(default_factory=dict)
    contested: list[Agreement] = field(default_factory=list)  # opinions, most spread first
    disputed_facts: list[Agreement] = field(default_factory=list)  # structural facts
    agency_gaps: list[Gap] = field(default_factory=list)
    level_gaps: list[Gap] = field(default_factory=list)


def agreement_of(key: str, values: Sequence[float]) -> Agreement:
    if len(values) < 2:
        return Agreement(key=key, n=len(values), sd=None, agreement=None)
    sd = pstdev(values)
    favourable = sum(v >= t.FAVOURABLE for v in values) / len(values)
    unfavourable = sum(v <= t.UNFAVOURABLE for v in values) / len(values)
    result = Agreement(key=key, n=len(values), sd=sd, agreement=max(0.0, 1 - sd / t.MAX_SD),
                       favourable=favourable, unfavourable=unfavourable)
    if len(values) >= t.MIN_ANSWERS_FOR_CONSENSUS:
        if favourable >= t.CONTESTED_SHARE and unfavourable >= t.CONTESTED_SHARE:
            result.contested = True
            result.reason = (f"{favourable:.0%} answered favourably and {unfavourable:.0%} "
                             "unfavourably")
        elif sd >= t.CONTESTED_SD:
            result.contested = True
            result.reason = f"answers are widely spread (SD {sd:.0f} points)"
    return result


def measure(questionnaire: Questionnaire, per_respondent: Sequence[dict[str, float | None]],
            groups: Sequence[GroupScores]) -> Consensus:
    consensus = Consensus()
    for item in questionnaire.items:
        values = [s[item.id] for s in per_respondent if s.get(item.id) is not None]
        consensus.items[item.id] = agreement_of(item.id, values)
    for factor, items in tag_groups(questionnaire).get("factor", {}).items():
        values = [c for s in per_respondent if (c := composite(s, items)) is not None]
        consensus.factors[factor] = agreement_of(factor, values)
    # Facts (is there a pooled budget?) are listed apart from opinions because placements are
    # read from them; which of the split answers is right, MAPS cannot tell.
    spread = sorted((a for a in consensus.items.values() if a.contested),
                    key=lambda a: (-(a.sd or 0), a.key))
    facts = {i.id for i in questionnaire.items if is_marker(questionnaire, i)}
    consensus.contested = [a for a in spread if a.key not in facts]
    consensus.disputed_facts = [a for a in spread if a.key in facts]
    consensus.agency_gaps = gaps(groups, "agency")
    consensus.level_gaps = gaps(groups, "level")
    return consensus


def gaps(groups: Sequence[GroupScores], kind: str) -> list[Gap]:
    """For each factor, the highest- and lowest-scoring groups that are large enough to show,
    largest gaps first. Suppressed groups never appear, so no small group is exposed."""
    shown = [g for g in groups if g.kind == kind and not g.suppressed]
    if len(shown) < 2:
        return []
    gaps = []
    for tag in ("factor", "dimension"):
        values = {v for g in shown for v in g.tags.get(tag, {})}
        for value in sorted(values):
            # Equal scores are ordered by the groups' keys, so a name never decides.
            scored = sorted(((g.tags[tag][value].score, g.key or g.name, g.name) for g in shown
                             if g.tags.get(tag, {}).get(value)
                             and g.tags[tag][value].score is not None), reverse=True)
            if len(scored) >= 2:
                (high_score, _, high), (low_score, _, low) = scored[0], scored[-1]
                label = next(g.tags[tag][value].label for g in shown
                             if g.tags.get(tag, {}).get(value))
                gaps.append(Gap(tag=tag, value=value, between=kind, high=high,
                                high_score=high_score, low=low, low_score=low_score,
                                label=label))
    return sorted(gaps, key=lambda g: (-g.size, g.tag, g.value))
