"""The arithmetic of placement: the board's support for each structural fact, the evidence for
and against each level of a model, the outcome that follows, and how many single-step answer
changes would change it. Plain numbers in, plain numbers out; typologies.py gives them words.

docs/method.md (section 6) states every rule used here; thresholds.py holds every number."""

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from app.questionnaires.schema import DONT_KNOW, Questionnaire
from app.scoring import thresholds as t
from app.scoring.scores import RespondentAnswers, normalise

EPS = 1e-9
UP, DOWN = "Yes", "No"  # the two directions an answer can move in


@dataclass(frozen=True)
class Fact:
    """The board's answers to one structural item."""

    item_id: str
    support: float | None  # mean answer, Yes = 1, Partly = 1/2, No = 0
    n: int  # answers on the scale (not "don't know" or "not applicable")
    dont_know: int
    not_applicable: int
    step: float  # how far one answer moving one option moves the support
    up: int  # answers that can move one option towards Yes
    down: int  # ... towards No

    @property
    def known(self) -> bool:
        return self.n >= t.MIN_ANSWERS_PER_CRITERION

    def moves(self, towards: str) -> int:
        return self.up if towards == UP else self.down


@dataclass(frozen=True)
class Link:
    """One fact as evidence about one level: its presence counts for the level, or against."""

    item_id: str
    level: str
    against: bool


@dataclass(frozen=True)
class Spec:
    """A model as the arithmetic sees it."""

    key: str
    levels: tuple[str, ...]  # lowest first for an ordered model
    ordered: bool
    floor: str | None  # an ordered model's starting level, which has no criteria of its own
    links: tuple[Link, ...]
    inclusive: bool = False  # ordered: a higher level includes the lower (else cumulative)

    @cached_property
    def groups(self) -> tuple[str, ...]:
        """The levels evidence is gathered for: for an ordered model, the steps above its floor."""
        return tuple(v for v in self.levels if v != self.floor)

    @cached_property
    def _by_level(self) -> dict[str, tuple[Link, ...]]:
        return {v: tuple(link for link in self.links if link.level == v) for v in self.levels}

    def links_of(self, level: str) -> tuple[Link, ...]:
        return self._by_level[level]

    @cached_property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link.item_id for link in self.links))


def spec_for(questionnaire: Questionnaire, key: str, levels: Sequence[str], *, ordered: bool,
             floor: str | None, inclusive: bool = False) -> Spec:
    """The links a questionnaire's tags make for a model. In an ordered model a fact tagged with
    the floor counts against the first step above it (autonomous working's 'services are
    separate' is evidence against coordination)."""
    links = []
    groups = [v for v in levels if v != floor]
    for item in questionnaire.items:
        for value in item.tag(key):
            if value == floor:
                links.append(Link(item.id, groups[0], against=True))
            elif value in levels:
                links.append(Link(item.id, value, against=False))
        for value in item.tag(key + t.AGAINST_SUFFIX):
            if value in groups:
                links.append(Link(item.id, value, against=True))
    return Spec(key=key, levels=tuple(levels), ordered=ordered, floor=floor, links=tuple(links),
                inclusive=inclusive)


def read_facts(questionnaire: Questionnaire, respondents: Sequence[RespondentAnswers],
               item_ids: Iterable[str]) -> dict[str, Fact]:
    """Each item's support read from the answers as given (Yes is 1 whether or not the item is
    reverse-scored: a model's tags, not `reverse`, say which way a fact points)."""
    facts = {}
    for item_id in item_ids:
        scale = questionnaire.item(item_id).scale
        values = [o.number for o in scale.scored]
        low, span = values[0], values[-1] - values[0]
        positions, dont_know, not_applicable = [], 0, 0
        for respondent in respondents:
            if item_id not in respondent.answers:
                continue
            value = normalise(respondent.answers[item_id])
            option = scale.option(value) if value is not None else None
            if option is None or value == DONT_KNOW:
                dont_know += 1
            elif option.missing:
                not_applicable += 1
            else:
                positions.append(values.index(option.number))
        top = len(values) - 1
        n = len(positions)
        support = (fmean_or_none([(values[p] - low) / span for p in positions]))
        facts[item_id] = Fact(
            item_id=item_id, support=support, n=n, dont_know=dont_know,
            not_applicable=not_applicable, step=1 / (top * n) if n else 0.0,
            up=sum(top - p for p in positions), down=sum(positions))
    return facts


def fmean_or_none(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


# --- Strengths and outcomes --------------------------------------------------------------

def evidence(link: Link, support: float) -> float:
    """How far a fact's support is consistent with the level it is linked to."""
    return 1.0 - support if link.against else support


def strengths(spec: Spec, supports: Mapping[str, float | None],
              known: set[str]) -> dict[str, float | None]:
    """Each level's share of its known evidence that is consistent with it."""
    found = {}
    for level in spec.groups:
        total, count = 0.0, 0
        for link in spec.links_of(level):
            if link.item_id in known:
                support = supports[link.item_id]
                total += 1.0 - support if link.against else support
                count += 1
        found[level] = total / count if count else None
    return found


def ramp(strength: float | None) -> float:
    """How far a level counts: in full once its evidence is in place, not at all while it is
    not, and in proportion between."""
    if strength is None:
        return 0.0
    width = t.IN_PLACE - t.NOT_IN_PLACE
    return min(1.0, max(0.0, (strength - t.NOT_IN_PLACE) / width))


def credits(spec: Spec, found: Mapping[str, float | None]) -> list[float]:
    """How far each step of an ordered model counts. On a cumulative ladder a step counts only
    as far as every step below it does; where a higher level includes the lower ones, a step
    counts at least as far as any step above it."""
    ramps = [ramp(found[level]) for level in spec.groups]
    if spec.inclusive:
        return [max(ramps[k:]) for k in range(len(ramps))]
    return [min(ramps[:k + 1]) for k in range(len(ramps))]


@dataclass(frozen=True)
class Outcome:
    status: str  # placed, mixed, unclear
    levels: tuple[str, ...]  # the level placed at; for "mixed", the levels reported together
    position: float  # ordered: the height climbed; unordered: the best share of evidence


def outcome(spec: Spec, supports: Mapping[str, float | None], known: set[str]) -> Outcome:
    found = strengths(spec, supports, known)
    if spec.ordered:
        return _ordered_from_strengths(spec, found)
    ranked = sorted((v for v in spec.groups if found[v] is not None),
                    key=lambda v: (-found[v], spec.levels.index(v)))
    best = ranked[0]
    if found[best] < t.DESCRIBED - EPS:
        return Outcome("unclear", (), found[best])
    near = [v for v in ranked if found[best] - found[v] < t.NEAR_TIE - EPS]
    if len(near) > 1:
        return Outcome("mixed", tuple(sorted(near, key=spec.levels.index)), found[best])
    return Outcome("placed", (best,), found[best])


# --- Margins -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    """Answers to one question moving one option each, all the same way."""

    item_id: str
    towards: str  # UP (towards Yes) or DOWN (towards No)
    count: int


@dataclass(frozen=True)
class MarginFound:
    steps: int | None  # fewest single-step changes that change the outcome; None: > CLOSE_MARGIN
    moves: tuple[Move, ...]  # one smallest set of changes (for one step: every one that would)
    becomes: Outcome | None  # the outcome those changes lead to


def moved(supports: Mapping[str, float | None], facts: Mapping[str, Fact],
          moves: Iterable[Move]) -> dict[str, float | None]:
    changed = dict(supports)
    for move in moves:
        sign = 1 if move.towards == UP else -1
        changed[move.item_id] += sign * move.count * facts[move.item_id].step
    return changed


def single_moves(spec: Spec, facts: Mapping[str, Fact], known: set[str],
                 base: Outcome) -> list[tuple[Move, Outcome]]:
    """Every one-answer, one-step change to this model's facts that changes its outcome."""
    supports = {i: facts[i].support for i in spec.item_ids}
    found = []
    for item_id in spec.item_ids:
        if item_id not in known:
            continue
        for towards in (UP, DOWN):
            if facts[item_id].moves(towards):
                move = Move(item_id, towards, 1)
                after = outcome(spec, moved(supports, facts, [move]), known)
                if differs(base, after):
                    found.append((move, after))
    return found


def differs(a: Outcome, b: Outcome) -> bool:
    """Whether two outcomes say different things (the height alone changing is no move)."""
    return (a.status, a.levels) != (b.status, b.levels)


def margin(spec: Spec, facts: Mapping[str, Fact], known: set[str]) -> MarginFound:
    supports = {i: facts[i].support for i in spec.item_ids}
    base = outcome(spec, supports, known)
    singles = single_moves(spec, facts, known, base)
    if singles:
        return MarginFound(1, tuple(m for m, _ in singles), singles[0][1])
    search = _ordered_margin if spec.ordered else _unordered_margin
    return search(spec, facts, known, supports, base)


def _unit_gains(spec: Spec, facts: Mapping[str, Fact], known: set[str],
                coefficient: Mapping[str, float], raise_it: bool) -> list[tuple[float, str, str]]:
    """Single-step changes that move a linear combination of supports the wanted way, largest
    first, as (gain, item, direction), each repeated as often as answers allow (up to the
    most a margin search needs)."""
    gains = []
    for item_id, coef in coefficient.items():
        if item_id not in known or abs(coef) < EPS:
            continue
        towards = UP if (coef > 0) == raise_it else DOWN
        gain = abs(coef) * facts[item_id].step
        gains += [(gain, item_id, towards)] * min(facts[item_id].moves(towards), t.CLOSE_MARGIN)
    order = {i: n for n, i in enumerate(spec.item_ids)}
    return sorted(gains, key=lambda g: (-g[0], order[g[1]], g[2]))


def _as_moves(chosen: Iterable[tuple[float, str, str]]) -> tuple[Move, ...]:
    return _merged(Move(item_id, towards, 1) for _, item_id, towards in chosen)


def _group_coefficients(spec: Spec, known: set[str], level: str) -> dict[str, float]:
    links = [link for link in spec.links_of(level) if link.item_id in known]
    coefficient: dict[str, float] = {}
    for link in links:
        coefficient[link.item_id] = coefficient.get(link.item_id, 0.0) + \
            (-1.0 if link.against else 1.0) / len(links)
    return coefficient


def _ordered_margin(spec, facts, known, supports, base) -> MarginFound:
    """The height is monotone in every level's strength and each fact feeds one level, so the
    fewest changes come from the strongest changes within each level: try every way of sharing
    M changes between the levels, for M = 2 up to CLOSE_MARGIN. Exact."""
    found = strengths(spec, supports, known)
    best: MarginFound | None = None
    for raise_it in (True, False):
        per_group = [_unit_gains(spec, facts, known, _group_coefficients(spec, known, g),
                                 raise_it) for g in spec.groups]
        for total in range(2, t.CLOSE_MARGIN + 1):
            if best is not None and best.steps <= total:
                break
            hit = _share(spec, found, per_group, total, raise_it, base)
            if hit is not None:
                chosen, becomes = hit
                best = MarginFound(total, _as_moves(chosen), becomes)
                break
    return best or MarginFound(None, (), None)


def _share(spec, found, per_group, total, raise_it, base):
    for split in _compositions(total, len(per_group)):
        if any(k > len(gains) for k, gains in zip(split, per_group, strict=True)):
            continue
        chosen = [g for k, gains in zip(split, per_group, strict=True) for g in gains[:k]]
        sign = 1 if raise_it else -1
        changed = {level: (None if found[level] is None else found[level] + sign * math.fsum(
            g[0] for g in gains[:k])) for level, k, gains in
            zip(spec.groups, split, per_group, strict=True)}
        after = _ordered_from_strengths(spec, changed)
        if after.levels != base.levels:
            return chosen, after
    return None


def _ordered_from_strengths(spec: Spec, found: Mapping[str, float | None]) -> Outcome:
    """The height climbed, to the nearest whole level, is the placement (never below the
    first level with criteria when the model has no floor)."""
    height = math.fsum(credits(spec, found))
    lowest = 0 if spec.floor else 1
    rank = min(len(spec.groups), max(lowest, math.floor(height + 0.5 + EPS)))
    return Outcome("placed", (spec.levels[rank] if spec.floor else spec.levels[rank - 1],),
                   height)


def _compositions(total: int, parts: int):
    """Every way of writing total as an ordered sum of `parts` whole numbers >= 0."""
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        edges = (-1, *bars, total + parts - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 for i in range(parts))


def _unordered_margin(spec, facts, known, supports, base) -> MarginFound:
    """A placed or unclear outcome holds while each of a few straight lines stays on its side
    (_lines): the fewest changes that cross one line, taken largest first, are exact for that
    line, and the fewest over all lines are the margin. "Features of both" can also end by
    several lines crossing together, so for it every set of two, then three, changes is tried."""
    if base.status == "mixed":
        return _exhaustive(spec, facts, known, supports, base)
    best: MarginFound | None = None
    for coefficient, constant, threshold in _lines(spec, known, supports, base):
        value = constant + math.fsum(c * supports[i] for i, c in coefficient.items())
        above = value >= threshold - EPS
        taken, total = [], 0.0
        for gain in _unit_gains(spec, facts, known, coefficient, raise_it=not above):
            if len(taken) == t.CLOSE_MARGIN or (best is not None and len(taken) >= best.steps):
                break
            taken.append(gain)
            total += gain[0]
            if ((value - total if above else value + total) >= threshold - EPS) != above:
                after = outcome(spec, moved(supports, facts, _as_moves(taken)), known)
                if differs(base, after):
                    best = MarginFound(len(taken), _as_moves(taken), after)
                break
    return best or MarginFound(None, (), None)


def _fit(spec: Spec, known: set[str], level: str) -> tuple[dict[str, float], float]:
    """A kind's share of evidence as sum(coefficient * support) + constant."""
    links = [link for link in spec.links_of(level) if link.item_id in known]
    coefficient = _group_coefficients(spec, known, level)
    return coefficient, sum(1.0 for link in links if link.against) / len(links)


def _lines(spec, known, supports, base):
    """(coefficients, constant, threshold) for each line an outcome must not cross: an unclear
    outcome, no kind reaching DESCRIBED; a placed one, the kind staying described and every
    other kind staying NEAR_TIE behind it."""
    found = strengths(spec, supports, known)
    fits = {v: _fit(spec, known, v) for v in spec.groups if found[v] is not None}
    if base.status == "unclear":
        return [(*fits[v], t.DESCRIBED) for v in fits]
    top = base.levels[0]
    lines = [(*fits[top], t.DESCRIBED)]
    for v in fits:
        if v != top:
            (ca, ka), (cb, kb) = fits[top], fits[v]
            lines.append(({i: ca.get(i, 0.0) - cb.get(i, 0.0) for i in set(ca) | set(cb)},
                          ka - kb, t.NEAR_TIE))
    return lines


def _exhaustive(spec, facts, known, supports, base) -> MarginFound:
    singles = [Move(i, d, 1) for i in spec.item_ids if i in known for d in (UP, DOWN)
               if facts[i].moves(d)]
    for size in range(2, t.CLOSE_MARGIN + 1):
        for chosen in itertools.combinations_with_replacement(singles, size):
            moves = _merged(chosen)
            if any(facts[m.item_id].moves(m.towards) < m.count for m in moves):
                continue
            after = outcome(spec, moved(supports, facts, moves), known)
            if differs(base, after):
                return MarginFound(size, moves, after)
    return MarginFound(None, (), None)


def _merged(chosen: Iterable[Move]) -> tuple[Move, ...]:
    counts: dict[tuple[str, str], int] = {}
    for move in chosen:
        counts[move.item_id, move.towards] = counts.get((move.item_id, move.towards), 0) + 1
    return tuple(Move(i, d, c) for (i, d), c in counts.items())
