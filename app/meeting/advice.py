"""What the board meeting takes from MAPS's recommendations: the weakest findings and the
recommendations to adopt. recommend() (app/recommendations/matching.py) is read here and
nowhere else in the meeting's code, so a change in what it returns is mended in this module."""

from collections.abc import Iterable
from dataclasses import dataclass

from app.recommendations.library import Strategy


@dataclass(frozen=True)
class WeakFinding:
    """A factor the recommendations chose for being among the weakest, and why."""

    factor: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    """A recommendation the board may adopt: the action, the review's words, and why."""

    strategy_id: str
    action: str
    quote: str  # the Table 5.1 strategy, verbatim
    sources: tuple[str, ...]
    area: str  # its practice area's title
    reasons: tuple[str, ...]  # why for this partnership; none when it is no longer advised


@dataclass(frozen=True)
class Advice:
    weakest: tuple[WeakFinding, ...] = ()
    to_adopt: tuple[Proposal, ...] = ()

    def finding(self, factor: str) -> WeakFinding | None:
        return next((w for w in self.weakest if w.factor == factor), None)

    def proposal(self, strategy_id: str) -> Proposal | None:
        return next((p for p in self.to_adopt if p.strategy_id == strategy_id), None)


# The rule of recommend() that picks strategies for a weak factor, and what it targets then.
WEAK_BASIS = "weak"


def read_advice(recommendations: Iterable) -> Advice:
    """The weakest findings (factors, in the recommendations' order of priority, each with
    the reason that chose it: a recommendation's first reason says why it was chosen, the
    rest what else it serves) and every recommendation as a proposal, most urgent first."""
    reasons: dict[str, list[str]] = {}
    proposals = []
    for rec in recommendations:
        if rec.basis == WEAK_BASIS:
            known = reasons.setdefault(rec.target, [])
            known.extend(r for r in rec.reasons[:1] if r not in known)
        proposals.append(Proposal(
            strategy_id=rec.strategy.id, action=rec.strategy.action, quote=rec.strategy.text,
            sources=tuple(rec.strategy.sources), area=rec.practice_area.title,
            reasons=tuple(rec.reasons)))
    return Advice(weakest=tuple(WeakFinding(f, tuple(r)) for f, r in reasons.items()),
                  to_adopt=tuple(proposals))


def unadvised(strategy: Strategy, area: str) -> Proposal:
    """A strategy put on the agenda that the recommendations no longer give (the library
    changed since): its words, with no reasons to claim."""
    return Proposal(strategy_id=strategy.id, action=strategy.action, quote=strategy.text,
                    sources=tuple(strategy.sources), area=area, reasons=())
