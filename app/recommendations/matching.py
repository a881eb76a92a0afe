"""Choosing and ordering Table 5.1 strategies for one round's result, each with the reasons
it was chosen for this partnership. Rules and their numbers: thresholds.py, docs/method.md."""

from collections.abc import Sequence
from dataclasses import dataclass

from app.questionnaires.schema import DONT_KNOW, Questionnaire
from app.recommendations import thresholds as t
from app.recommendations.criteria import CRITERION_STRATEGIES
from app.recommendations.labels import points
from app.recommendations.library import Library, PracticeArea, Strategy, library_named
from app.scoring import thresholds as scoring
from app.scoring.consensus import Agreement, Gap
from app.scoring.result import RoundResult
from app.scoring.scores import TagScore, is_marker
from app.scoring.typologies import Criterion, Placement

BASES = ("weak", "contested", "typology", "cross_cutting")


@dataclass(frozen=True)
class Recommendation:
    strategy: Strategy
    practice_area: PracticeArea
    priority: int  # 1 is the first thing to do
    basis: str  # which rule chose it: weak, contested, typology or cross_cutting
    target: str  # what it was chosen for: a factor, or (typology) a criterion's item id
    reasons: tuple[str, ...]  # why, for this partnership, in plain English

    @property
    def factors(self) -> tuple[str, ...]:
        return self.strategy.factors

    @property
    def sources(self) -> tuple[str, ...]:
        return self.strategy.sources

    @property
    def cross_cutting(self) -> bool:
        return self.strategy.cross_cutting is not None

    @property
    def theme(self) -> str | None:
        return self.strategy.cross_cutting


@dataclass(frozen=True)
class WeakFactor:
    factor: str
    score: float
    band: str | None
    lowest_band: bool  # in the questionnaire's lowest band ("concern")


@dataclass(frozen=True)
class ContestedFactor:
    factor: str
    gaps: tuple[Gap, ...]  # notable gaps on it, largest first (never a suppressed group)
    agreement: Agreement | None  # set when the spread of answers itself is contested

    @property
    def widest(self) -> float:
        return max((g.size for g in self.gaps), default=0.0)


@dataclass(frozen=True)
class MissingCriterion:
    criterion: Criterion
    model: str
    target: str  # "Gaster rung 4, coordination and co-operation in practice"
    gap: bool = False  # at or below the placement (a gap to close), not for the next level


@dataclass(frozen=True)
class Findings:
    """What the matcher reads from a result, in the order it acts on it."""

    scores: dict[str, TagScore]  # scored factors, vocabulary order
    weak: tuple[WeakFactor, ...]  # weakest first
    contested: tuple[ContestedFactor, ...]  # most contested first
    missing: tuple[MissingCriterion, ...]  # Gaster's gaps and next rung, then Townsley's
    facts: dict[str, float]  # each structural fact's support, where enough members answered


def recommend(result: RoundResult, questionnaire: Questionnaire,
              library: Library | None = None, *,
              limit: int = t.DEFAULT_LIMIT) -> list[Recommendation]:
    """Strategies for this round, most urgent first: weakest factors, then contested ones,
    then what the next Gaster rung or Townsley level needs; the review's three cross-cutting
    themes always represented. Deterministic for a given result. None for a questionnaire
    that does not link to a library (`links: recommendations:`), whatever its factors are
    called: a factor named like one of the library's may mean something else."""
    if questionnaire.links.recommendations is None:
        return []
    library = library or library_named(questionnaire.links.recommendations)
    findings = read_findings(result, questionnaire)
    if not findings.scores or limit < 1:
        return []
    picks = _main_picks(findings, library)
    picks = _with_themes(picks, findings, library, limit)
    return [Recommendation(strategy=p.strategy,
                           practice_area=library.practice_area(p.strategy.practice_area),
                           priority=n, basis=p.basis, target=p.target,
                           reasons=_reasons(p, findings, library))
            for n, p in enumerate(picks, start=1)]


def read_findings(result: RoundResult, questionnaire: Questionnaire) -> Findings:
    vocabulary = questionnaire.tag_values("factor")
    scores = {f: s for f in vocabulary
              if (s := result.partnership.tags.get("factor", {}).get(f)) and s.score is not None}
    order = {f: i for i, f in enumerate(vocabulary)}
    return Findings(scores=scores, weak=_weak(scores, questionnaire, order),
                    contested=_contested(result, scores, order), missing=_missing(result),
                    facts=board_facts(result, questionnaire))


def board_facts(result: RoundResult, questionnaire: Questionnaire) -> dict[str, float]:
    """Each structural fact's support as the board answered it (Yes 1, Partly 1/2, No 0,
    whichever way the item is scored), read from its answer counts. A fact most members call
    "not applicable" is absent: what it asks about is not there."""
    facts = {}
    for item in questionnaire.items:
        counts = result.partnership.items.get(item.id)
        if counts is None or not is_marker(questionnaire, item):
            continue
        scored = item.scale.scored
        n = sum(counts.distribution.get(o.value, 0) for o in scored)
        absent = sum(counts.distribution.get(o.value, 0) for o in item.scale.options
                     if o.missing and o.value != DONT_KNOW)
        if absent and absent >= t.AFFIRMED * (n + absent) - 1e-9:
            facts[item.id] = 0.0
        elif n >= scoring.MIN_ANSWERS_PER_CRITERION:
            facts[item.id] = sum(counts.distribution.get(o.value, 0) * k / (len(scored) - 1)
                                 for k, o in enumerate(scored)) / n
    return facts


def fits(strategy: Strategy, facts: dict[str, float]) -> bool:
    """Whether a strategy suits what the board says: none of what would make it redundant is
    affirmed, and what it presupposes is not all denied."""
    if any(facts.get(f, 0.0) >= t.AFFIRMED - 1e-9 for f in strategy.redundant_if):
        return False
    asked = [facts[f] for f in strategy.presupposes if f in facts]
    return not asked or any(v > t.DENIED + 1e-9 for v in asked)


def _band_rank(questionnaire: Questionnaire, score: TagScore) -> tuple[int, bool]:
    """(rank from the top band, 0 = best; whether it is the lowest band)."""
    bands = questionnaire.bands
    labels = [b.label for b in bands.levels] if bands else []
    if score.band in labels:
        rank = labels.index(score.band)
        return rank, rank == len(labels) - 1 and rank > 0
    return (0 if score.score >= t.WEAK_SCORE else 1), False


def _weak(scores, questionnaire, order) -> tuple[WeakFactor, ...]:
    ranked = []
    for factor, score in scores.items():
        rank, lowest = _band_rank(questionnaire, score)
        if rank > 0:
            ranked.append(((-rank, score.score, order[factor]),
                           WeakFactor(factor, score.score, score.band, lowest)))
    return tuple(w for _, w in sorted(ranked, key=lambda pair: pair[0]))


def _contested(result, scores, order) -> tuple[ContestedFactor, ...]:
    gaps = [g for g in (*result.consensus.agency_gaps, *result.consensus.level_gaps)
            if g.tag == "factor" and g.size >= t.NOTABLE_GAP - 1e-9]
    found = []
    for factor in scores:
        mine = tuple(sorted((g for g in gaps if g.value == factor),
                            key=lambda g: (-g.size, g.between)))
        agreement = result.consensus.factors.get(factor)
        spread = agreement if agreement is not None and agreement.contested else None
        if mine or spread:
            found.append(ContestedFactor(factor, mine, spread))
    return tuple(sorted(found, key=lambda c: (
        -c.widest, c.agreement.agreement if c.agreement else 1.0, order[c.factor])))


def _missing(result: RoundResult) -> tuple[MissingCriterion, ...]:
    """For each ordered model MAPS works towards: the gaps at or below its placement first
    (they hold it back), then what the next level needs; facts the board could judge first."""
    found, seen = [], set()
    for model in t.TYPOLOGY_MODELS:
        placement = next((p for p in result.placements if p.model == model), None)
        if placement is None or placement.status != "placed":
            continue
        wanted = [(g.criterion, _target(placement, g.level), True) for g in placement.gaps]
        if placement.next_level:
            wanted += [(c, _target(placement, placement.next_level), False)
                       for c in placement.missing]
        wanted.sort(key=lambda w: w[0].status == "unknown")
        for criterion, target, gap in wanted:
            if criterion.item_id not in seen:
                seen.add(criterion.item_id)
                found.append(MissingCriterion(criterion, model, target, gap))
    return tuple(found)


def _target(placement: Placement, level: str) -> str:
    label = next(lv.label for lv in placement.levels if lv.level == level)
    if placement.model == "gaster":
        return f"Gaster rung {level}, {label.lower()}"
    return f"{label.lower()} (Townsley et al.)"


def _ranked(factor: str, library: Library, findings: Findings, *,
            bridging: bool = False) -> list[Strategy]:
    """Strategies for a factor, best first: (for a contested factor) those building shared
    understanding; those mainly about the factor; those also tackling this partnership's
    other weak or contested factors; the review's cross-cutting ones; then table order."""
    problems = {w.factor for w in findings.weak} | {c.factor for c in findings.contested}

    def key(s: Strategy):
        return (0 if bridging and s.practice_area in t.BRIDGING_PRACTICE_AREAS else 1,
                0 if s.factor == factor else 1,
                -len((set(s.factors) & problems) - {factor}),
                0 if s.cross_cutting else 1,
                s.order)
    return sorted((s for s in library.for_factor(factor) if fits(s, findings.facts)), key=key)


@dataclass(frozen=True)
class _Pick:
    strategy: Strategy
    basis: str
    target: str  # the factor, or for "typology" the criterion's item id, it was chosen for


def _main_picks(findings: Findings, library: Library) -> list[_Pick]:
    picks: dict[str, _Pick] = {}

    def take(candidates: Sequence[Strategy], count: int, basis: str, target: str) -> None:
        for strategy in [s for s in candidates if s.id not in picks][:count]:
            picks[strategy.id] = _Pick(strategy, basis, target)

    for w in _considered_weak(findings):
        take(_ranked(w.factor, library, findings),
             t.PER_LOWEST_BAND_FACTOR if w.lowest_band else t.PER_WEAK_FACTOR, "weak", w.factor)
    for c in _considered_contested(findings):
        take(_ranked(c.factor, library, findings, bridging=True), t.PER_CONTESTED_FACTOR,
             "contested", c.factor)
    for m in _considered_missing(findings):
        item = m.criterion.item_id
        take([s for i in CRITERION_STRATEGIES[item]
              if fits(s := library.strategy(i), findings.facts)], t.PER_CRITERION,
             "typology", item)
    return list(picks.values())


def _considered_weak(findings: Findings) -> tuple[WeakFactor, ...]:
    return findings.weak[:t.MAX_WEAK_FACTORS]


def _considered_contested(findings: Findings) -> list[ContestedFactor]:
    """Contested factors not already among the weakest (whose reasons name the dispute)."""
    handled = {w.factor for w in _considered_weak(findings)}
    return [c for c in findings.contested if c.factor not in handled][:t.MAX_CONTESTED_FACTORS]


def _considered_missing(findings: Findings) -> list[MissingCriterion]:
    mapped = [m for m in findings.missing if m.criterion.item_id in CRITERION_STRATEGIES]
    return mapped[:t.MAX_TYPOLOGY_CRITERIA]


def _with_themes(picks: list[_Pick], findings: Findings, library: Library,
                 limit: int) -> list[_Pick]:
    """Cut to the limit, keeping room so each cross-cutting theme is represented."""
    themes = list(library.themes)
    keep = min(len(picks), limit)
    while True:
        kept = picks[:keep]
        uncovered = [th for th in themes
                     if sum(p.strategy.cross_cutting == th for p in kept) < t.PER_THEME]
        if keep == 0 or keep + len(uncovered) * t.PER_THEME <= limit:
            break
        keep -= 1
    chosen = {p.strategy.id for p in kept}
    extra = []
    for theme in uncovered:
        candidates = [s for s in library.for_theme(theme)
                      if s.id not in chosen and any(f in findings.scores for f in s.factors)
                      and fits(s, findings.facts)]
        candidates.sort(key=lambda s: (_need(s, findings), s.order))
        wanted = t.PER_THEME - sum(p.strategy.cross_cutting == theme for p in kept)
        for strategy in candidates[:wanted]:
            neediest = min((f for f in strategy.factors if f in findings.scores),
                           key=lambda f: findings.scores[f].score)
            extra.append(_Pick(strategy, "cross_cutting", neediest))
            chosen.add(strategy.id)
    return (kept + extra)[:limit]


def _need(strategy: Strategy, findings: Findings) -> float:
    """How much this partnership needs a strategy: the lowest score among its factors."""
    return min((findings.scores[f].score for f in strategy.factors if f in findings.scores),
               default=100.0)


# --- Reasons ---------------------------------------------------------------------------

def _reasons(pick: _Pick, findings: Findings, library: Library) -> tuple[str, ...]:
    """Why first (the factor or criterion it was chosen for, with its numbers), then the
    other flagged factors and missing criteria it also serves, then its theme."""
    strategy = pick.strategy
    if pick.basis == "typology":
        reasons = [_criterion_reason(m) for m in findings.missing
                   if m.criterion.item_id == pick.target]
    elif pick.basis == "cross_cutting" and pick.target not in _flagged(findings):
        reasons = []  # a strength is never the reason: the theme is (below)
    else:
        reasons = _factor_reasons(pick.target, findings)
    flagged = _flagged(findings)
    others = [f for f in strategy.factors if f != pick.target and f in flagged]
    if others:
        reasons.append("It also addresses " + _and([_also(f, findings) for f in others]) + ".")
    reasons += [_criterion_reason(m) for m in _considered_missing(findings)
                if m.criterion.item_id != pick.target
                and strategy.id in CRITERION_STRATEGIES[m.criterion.item_id]]
    if strategy.cross_cutting:
        theme = library.themes[strategy.cross_cutting]
        # The grouping is MAPS's (strategies.yaml says by which rule); the finding is the review's.
        reasons.append(f"MAPS groups this strategy under “{theme}”, one of the review's three "
                       "cross-cutting themes: practices it found key to addressing many issues "
                       "critical to multi-agency working.")
    return tuple(reasons)


def _flagged(findings: Findings) -> set[str]:
    """The factors the matcher found weak or contested: the only ones a reason may cite."""
    return ({w.factor for w in _considered_weak(findings)}
            | {c.factor for c in _considered_contested(findings)})


def _factor_reasons(factor: str, findings: Findings) -> list[str]:
    """A weak factor's score and band; for a contested one, the disagreement. A factor in the
    top band is chosen only for the disagreement, so its score is not given as a reason."""
    reasons = []
    if any(w.factor == factor for w in findings.weak):
        score = findings.scores[factor]
        text = f"{_name(factor, findings)} scored {points(score.score)}/100"
        text += f" ({score.band})" if score.band else ""
        if findings.weak[0].factor == factor and len(findings.scores) > 1:
            text += f", the lowest of the {len(findings.scores)} factors"
        reasons.append(text + ".")
    for c in findings.contested:
        if c.factor == factor:
            reasons += [_gap_reason(g, findings) for g in c.gaps]
            if c.agreement is not None:
                reasons.append(f"Board members disagree about "
                               f"{_name(factor, findings).lower()}: {c.agreement.reason}.")
    return reasons


def _also(factor: str, findings: Findings) -> str:
    """Another factor a strategy serves, as a reason may name it."""
    if any(w.factor == factor for w in findings.weak):
        return f"{_name(factor, findings).lower()} ({points(findings.scores[factor].score)}/100)"
    return f"{_name(factor, findings).lower()}, on which members disagree"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _name(factor: str, findings: Findings) -> str:
    """A factor's name from the instrument's vocabulary (its score carries it)."""
    score = findings.scores.get(factor)
    return score.label if score else factor.replace("_", " ").capitalize()


def _gap_reason(gap: Gap, findings: Findings) -> str:
    high, low = points(gap.high_score), points(gap.low_score)
    size = int(high) - int(low)  # the difference of the numbers printed beside it
    topic = _name(gap.value, findings).lower()
    if gap.between == "level":
        return (f"{gap.high.capitalize()} and {gap.low} staff disagree by {size} points on "
                f"{topic} ({gap.high} {high}, {gap.low} {low}).")
    return f"{gap.high} and {gap.low} disagree by {size} points on {topic} ({high} against {low})."


STATUS_PHRASES = {
    "not_in_place": "most members say this is not in place",
    "partly": "members say this is only partly in place",
    "in_place": "most members say this is in place",
    "unknown": "too few members could say whether this is in place",
}


def _criterion_reason(m: MissingCriterion) -> str:
    c = m.criterion
    text = c.text.rstrip(".")
    status = STATUS_PHRASES.get(c.status, "this is not yet in place")
    if c.against:
        return f"\u201c{text}\u201d counts against {m.target}; {status}."
    need = "A gap to close at" if m.gap else "Needed for"
    return f"{need} {m.target}: \u201c{text}\u201d; {status}."
