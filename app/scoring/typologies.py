"""Placing a partnership on the typologies of section 2.3 of the review, from the board's
answers to the structural facts tagged with each model's levels: the evidence for and against
each level, the placement, the gaps below it, its margin, and all of it in words."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.questionnaires.schema import Questionnaire
from app.scoring import evidence as ev
from app.scoring import thresholds as t
from app.scoring.scores import RespondentAnswers


@dataclass(frozen=True)
class Model:
    key: str  # the tag that marks its criteria
    title: str
    source: str
    levels: tuple[tuple[str, str], ...]  # (tag value, label), lowest first when ordered
    ordered: bool
    floor: str | None = None  # the ordered model's starting level, without criteria of its own
    unit: str = "level"  # what a level is called in sentences ("rung", "stage", "form")

    def label(self, level: str) -> str:
        return dict(self.levels)[level]


GASTER_KEYS = {"1": "information_exchange", "2": "planning_action", "3": "implementing",
               "4": "coordination_cooperation", "5": "collaboration_full_partnership"}

MODELS = (
    Model("townsley", "Townsley et al. (2004a): extent of integration",
          "Section 2.3, Townsley et al. (2004a: p. 27)",
          (("autonomous", "Autonomous working"), ("coordinated", "Coordinated working"),
           ("integrated", "Integrated working")), ordered=True, floor="autonomous"),
    Model("gaster", "Gaster et al. (1999): ladder of partnership",
          "Section 2.3, Gaster et al. (1999), cited in Percy-Smith (2005: p. 9)",
          (("1", "Information exchange"), ("2", "Planning action"),
           ("3", "Implementing projects and service plans"),
           ("4", "Coordination and co-operation in practice"),
           ("5", "Collaboration and full partnership")), ordered=True, unit="rung"),
    Model("fox_butler_stage",
          "Griffith (2002), cited in Fox and Butler (2004): stage of engagement",
          "Section 2.3, Griffith (2002), cited in Fox and Butler (2004: p. 39)",
          (("networking", "Networking, before the three stages"), ("cooperation", "Cooperation"),
           ("coordination", "Coordination"), ("integration", "Integration")),
          ordered=True, floor="networking", unit="stage"),
    Model("fox_butler_function", "Fox and Butler (2004): function",
          "Section 2.3, Fox and Butler (2004: p. 39)",
          (("strategic", "Strategic"), ("commissioning", "Commissioning"),
           ("service_delivery", "Service delivery")), ordered=False, unit="function"),
    Model("audit_commission", "Audit Commission (1998): organisational form",
          "Section 2.3, Audit Commission (1998), cited in Percy-Smith (2005)",
          (("separate_organisation", "Separate organisation"),
           ("virtual_organisation", "'Virtual' organisation"),
           ("co_located", "Co-locating staff from partner organisations"),
           ("steering_group", "Steering group without dedicated staff resources")),
          ordered=False, unit="form"),
    Model("atkinson", "Atkinson et al. (2002): model of multi-agency activity",
          "Section 2.3, Atkinson et al. (2002)",
          (("decision_making_group", "Decision-making group"),
           ("consultation_training", "Consultation and training"),
           ("centre_based", "Centre-based delivery"),
           ("coordinated_delivery", "Coordinated delivery"),
           ("operational_team", "Operational-team delivery")), ordered=False, unit="model"),
    Model("watson", "Watson et al. (2000; 2002): joint working at operational level",
          "Section 2.3, Watson et al. (2000; 2002), cited in Sloper (2004)",
          (("multidisciplinary", "Multi-disciplinary working"),
           ("interdisciplinary", "Inter-disciplinary working"),
           ("transdisciplinary", "Transdisciplinary working")), ordered=False, unit="category"),
)
assert {m.key for m in MODELS} == set(t.TYPOLOGY_TAGS)
assert {m.key for m in MODELS if m.ordered} == set(t.ORDERED_MODELS)
assert {m.key: m.floor for m in MODELS if m.floor} == t.FLOOR_LEVELS

STATUS_WORDS = {"in_place": "in place", "partly": "partly in place",
                "not_in_place": "not in place", "unknown": "not known"}


def status_of(value: float | None) -> str:
    """One scale for a fact's support and a level's evidence alike."""
    if value is None:
        return "unknown"
    if value >= t.IN_PLACE - ev.EPS:
        return "in_place"
    if value <= t.NOT_IN_PLACE + ev.EPS:
        return "not_in_place"
    return "partly"


@dataclass
class Criterion:
    item_id: str
    text: str
    support: float | None  # mean answer, Yes = 1, Partly = 1/2, No = 0
    n: int  # answered Yes, Partly or No
    dont_know: int
    status: str  # of the fact itself: in_place, partly, not_in_place, unknown
    against: bool = False  # the fact's presence counts against the level it is listed under
    not_applicable: int = 0

    @property
    def evidence(self) -> float | None:
        """How far this fact is consistent with the level it is listed under."""
        if self.support is None or self.status == "unknown":
            return None
        return 1.0 - self.support if self.against else self.support

    @property
    def consistent(self) -> str:
        return status_of(self.evidence)


@dataclass
class LevelEvidence:
    level: str
    label: str
    strength: float | None  # share of its known evidence consistent with it, 0 to 1
    reached: bool  # ordered: at or below the placement; unordered: described
    criteria: list[Criterion]
    status: str = "unknown"  # of its evidence as a whole: in_place, partly, not_in_place
    credit: float | None = None  # ordered: how far it counts towards the height, 0 to 1


@dataclass
class Gap:
    """A fact at or below an ordered placement that is not yet consistent with its level."""

    level: str
    label: str
    criterion: Criterion  # partly or not in place; a fact too few could judge is no gap


@dataclass
class Hinge:
    item_id: str
    text: str
    towards: str  # "Yes" or "No": which way the answers would move
    steps: int  # how many single-step changes to this question the smallest set makes


@dataclass
class Margin:
    steps: int | None  # fewest single-step answer changes that move it; None: more than CLOSE
    firm: bool
    moves_to: str | None  # what it would become
    hinges: list[Hinge]
    text: str


@dataclass
class Placement:
    model: str
    title: str
    source: str
    status: str  # placed, mixed, unclear, insufficient_evidence, not_assessed
    level: str | None
    label: str | None  # the level's name; for "mixed", "Features of both A and B"
    rank: int | None  # 1-based position on an ordered model
    explanation: str
    levels: list[LevelEvidence]
    drivers: list[Criterion] = field(default_factory=list)  # the evidence it rests on
    missing: list[Criterion] = field(default_factory=list)  # what the next level still needs
    next_level: str | None = None
    also: list[str] = field(default_factory=list)  # "mixed": every level reported together
    gaps: list[Gap] = field(default_factory=list)  # ordered: not yet in place at or below it
    discriminating: list[Criterion] = field(default_factory=list)  # unordered: what tells apart
    position: float | None = None  # ordered: the height climbed, 0 to the number of steps
    margin: Margin | None = None

    @property
    def key(self) -> str | None:
        """The stable name of the level (Gaster's rungs by name, others as tagged)."""
        if self.model == "gaster" and self.level:
            return GASTER_KEYS[self.level]
        return self.level


def model(key: str) -> Model:
    return next(m for m in MODELS if m.key == key)


def spec(questionnaire: Questionnaire, m: Model) -> ev.Spec:
    return ev.spec_for(questionnaire, m.key, [v for v, _ in m.levels], ordered=m.ordered,
                       floor=m.floor, inclusive=m.key in t.INCLUSIVE_MODELS)


def place(questionnaire: Questionnaire,
          respondents: Sequence[RespondentAnswers]) -> list[Placement]:
    """A placement on each model the questionnaire links to (`links: typologies:`), none on
    another, whatever its items are tagged with."""
    placements = []
    for m in MODELS:
        if m.key not in questionnaire.links.typologies:
            continue
        s = spec(questionnaire, m)
        facts = ev.read_facts(questionnaire, respondents, s.item_ids)
        placements.append(_place(questionnaire, m, s, facts, len(respondents)))
    return placements


def _criterion(questionnaire: Questionnaire, fact: ev.Fact, against: bool) -> Criterion:
    support = fact.support if fact.known else None
    return Criterion(item_id=fact.item_id, text=questionnaire.item(fact.item_id).text,
                     support=fact.support, n=fact.n, dont_know=fact.dont_know,
                     not_applicable=fact.not_applicable, status=status_of(support),
                     against=against)


def _levels(questionnaire, m: Model, s: ev.Spec, facts, known) -> list[LevelEvidence]:
    supports = {i: facts[i].support for i in s.item_ids}
    found = ev.strengths(s, supports, known)
    levels = []
    for value, label in m.levels:
        if value == m.floor:
            first = s.groups[0]
            criteria = [_criterion(questionnaire, facts[link.item_id], not link.against)
                        for link in s.links_of(first)]
            strength = None if found[first] is None else 1.0 - found[first]
        else:
            criteria = [_criterion(questionnaire, facts[link.item_id], link.against)
                        for link in s.links_of(value)]
            strength = found[value]
        levels.append(LevelEvidence(level=value, label=label, strength=strength, reached=False,
                                    criteria=criteria, status=status_of(strength)))
    return levels


def _place(questionnaire, m: Model, s: ev.Spec, facts, respondents: int) -> Placement:
    known = {i for i, fact in facts.items() if fact.known}
    placement = Placement(model=m.key, title=m.title, source=m.source, status="placed",
                          level=None, label=None, rank=None, explanation="", levels=[])
    if not s.links or any(not s.links_of(g) for g in s.groups):
        placement.status = "not_assessed"
        placement.explanation = "This questionnaire does not ask about every level of this model."
        return placement
    placement.levels = _levels(questionnaire, m, s, facts, known)
    unknown = _unknown_reason(m, s, facts, known, respondents)
    if unknown:
        placement.status = "insufficient_evidence"
        placement.explanation = unknown
        return placement
    supports = {i: facts[i].support for i in s.item_ids}
    result = ev.outcome(s, supports, known)
    if m.ordered:
        _ordered(placement, m, s, result, supports, known)
    else:
        _unordered(placement, m, s, result, known)
    placement.margin = _margin(questionnaire, m, s, facts, known, placement)
    return placement


def _unknown_reason(m: Model, s: ev.Spec, facts, known, respondents: int) -> str:
    if respondents < t.MIN_RESPONDENTS:
        return (f"Only {respondents} response(s): a placement needs at least "
                f"{t.MIN_RESPONDENTS}.")
    if len(s.item_ids) - len(known & set(s.item_ids)) > len(s.item_ids) / 2:
        return ("Most of this model's questions were answered by too few members (fewer than "
                f"{t.MIN_ANSWERS_PER_CRITERION} said Yes, Partly or No), so no placement is made.")
    if m.ordered:
        for group in s.groups:
            items = {link.item_id for link in s.links_of(group)}
            if len(items & known) < min(t.MIN_KNOWN_PER_LEVEL, len(items)):
                return (f"Too few members could answer the questions about "
                        f"{m.label(group).lower()} to judge it, so no placement is made.")
    elif all(not ({link.item_id for link in s.links_of(g)} & known) for g in s.groups):
        return "Too few members could answer this model's questions, so no placement is made."
    return ""


# --- Ordered models ------------------------------------------------------------------------

def _ordered(placement: Placement, m: Model, s: ev.Spec, result: ev.Outcome, supports,
             known) -> None:
    found = ev.strengths(s, supports, known)
    for lv, credit in zip([lv for lv in placement.levels if lv.level != m.floor],
                          ev.credits(s, found), strict=True):
        lv.credit = credit
    index = [v for v, _ in m.levels].index(result.levels[0])
    chosen = placement.levels[index]
    placement.level, placement.label, placement.rank = chosen.level, chosen.label, index + 1
    placement.position = result.position
    for lv in placement.levels[:index + 1]:
        lv.reached = True
    placement.drivers = [c for c in chosen.criteria if c.consistent != "not_in_place"
                         and c.evidence is not None]
    if index + 1 < len(placement.levels):
        following = placement.levels[index + 1]
        placement.next_level = following.level
        placement.missing = [c for c in following.criteria if c.consistent != "in_place"]
    # On a cumulative ladder what is missing below still counts against the placement; where
    # the higher level includes the lower (Townsley), only the level placed at has gaps.
    below = placement.levels[index:index + 1] if s.inclusive else placement.levels[:index + 1]
    placement.gaps = [Gap(lv.level, lv.label, c) for lv in below if lv.level != m.floor
                      for c in lv.criteria if c.consistent in ("partly", "not_in_place")]
    placement.explanation = _ordered_words(placement, m)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _quote(c: Criterion) -> str:
    return f"\u201c{c.text.rstrip('.')}\u201d"


def _fact_words(c: Criterion) -> str:
    """A fact and what members said, e.g. '“…” is only partly in place'; for a fact that
    counts against its level, that its presence does."""
    if c.status == "unknown":
        return f"too few members could say whether {_quote(c)}"
    said = {"in_place": "is in place", "partly": "is only partly in place",
            "not_in_place": "is not in place"}[c.status]
    if c.against and c.status != "not_in_place":
        said += ", which counts against it"
    return f"{_quote(c)} {said}"


def _gap_words(gaps: Sequence[Gap], m: Model) -> str:
    if not gaps:
        return ""
    shown = gaps[:4]
    parts = [f"at {m.unit} {g.level}, {_fact_words(g.criterion)}" if m.key == "gaster"
             else f"for {g.label.lower()}, {_fact_words(g.criterion)}" for g in shown]
    more = f" (and {len(gaps) - len(shown)} more)" if len(gaps) > len(shown) else ""
    return " Gaps to close: " + "; ".join(parts) + more + "."


def _ordered_words(p: Placement, m: Model) -> str:
    steps = [lv for lv in p.levels if lv.level != m.floor]
    if m.key == "gaster":
        weights = "; ".join(f"rung {lv.level}, {_pct(lv.strength)}" for lv in steps)
        head = (f"Rung {p.level}, {p.label.lower()}. The ladder is cumulative, so MAPS counts "
                f"the rungs from the bottom. How far each rung's criteria are in place: "
                f"{weights}.")
    else:
        weights = "; ".join(f"{lv.label.lower()}, {_pct(lv.strength)}" for lv in steps)
        head = (f"{p.label}. MAPS weighs the evidence for and against each {m.unit}. The share "
                f"of each {m.unit}'s evidence that points to it: {weights}.")
    if m.key in t.INCLUSIVE_MODELS:
        chain = (f"at least as far as the {m.unit} above it (integrated services are "
                 "'synthesised (and coordinated)')")
    else:
        chain = f"never for more than the {m.unit} below it"
    head += (f" A {m.unit} counts in full from {_pct(t.IN_PLACE)}, not at all up to "
             f"{_pct(t.NOT_IN_PLACE)}, in proportion between, and {chain}; together they come "
             f"to {p.position:.1f} of {len(steps)}, which places the partnership at "
             f"{p.label.lower()}.")
    if m.key == "gaster" and p.level == "1" and steps[0].status != "in_place":
        head += (" Rung 1 is the foot of the ladder, so MAPS places no partnership below it, "
                 f"but rung 1's own criteria are {STATUS_WORDS[steps[0].status]} as a whole.")
    if p.level == m.floor:
        floor = p.levels[0]
        denied = [c for c in floor.criteria if not c.against and c.consistent == "not_in_place"]
        if denied:
            head += (" Members also say some features of " + floor.label.lower() + " are not "
                     "in place: " + "; ".join(_quote(c) for c in denied) + ".")
        return head
    return head + _gap_words(p.gaps, m)


# --- Unordered models ----------------------------------------------------------------------

def _unordered(placement: Placement, m: Model, s: ev.Spec, result: ev.Outcome, known) -> None:
    by_level = {lv.level: lv for lv in placement.levels}
    for lv in placement.levels:
        lv.reached = lv.strength is not None and lv.strength >= t.DESCRIBED - ev.EPS
    ranked = sorted((lv for lv in placement.levels if lv.strength is not None),
                    key=lambda lv: (-lv.strength, [v for v, _ in m.levels].index(lv.level)))
    best = ranked[0]
    placement.position = best.strength
    if result.status == "unclear":
        placement.status = "unclear"
        placement.discriminating = _discriminating(ranked[:2])
        placement.explanation = (
            f"Unclear: no {m.unit} stands out. The closest, {best.label.lower()}, has "
            f"{_pct(best.strength)} of its evidence consistent with it; MAPS describes a "
            f"partnership as one {m.unit} when at least {_pct(t.DESCRIBED)} is."
            + _telling_apart(placement.discriminating))
        return
    placement.level = best.level
    placement.drivers = [c for c in best.criteria if c.evidence is not None]
    if result.status == "mixed":
        together = [by_level[v] for v in result.levels]
        placement.status = "mixed"
        placement.also = list(result.levels)
        placement.label = "Features of both " + _and([lv.label.lower() for lv in together])
        placement.discriminating = _discriminating(together)
        placement.explanation = (
            f"{placement.label}: " + _and([f"{_pct(lv.strength)} of the evidence for "
                                          f"{lv.label.lower()}" for lv in together])
            + f" is consistent with it, too close to tell them apart (MAPS needs a lead of "
            f"{_pct(t.NEAR_TIE)})." + _telling_apart(placement.discriminating))
        return
    placement.label = best.label
    runner = ranked[1] if len(ranked) > 1 else None
    placement.explanation = (
        f"The board's answers describe {best.label.lower()}: {_pct(best.strength)} of its "
        "evidence is consistent with it"
        + (f", against {_pct(runner.strength)} for {runner.label.lower()}, the next closest."
           if runner else "."))


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _discriminating(levels: Sequence[LevelEvidence]) -> list[Criterion]:
    """Facts that bear on one of these kinds but not the others, or on them in opposite ways:
    the answers that would tell them apart."""
    seen: dict[str, set[tuple[str, bool]]] = {}
    found: dict[str, Criterion] = {}
    for lv in levels:
        for c in lv.criteria:
            seen.setdefault(c.item_id, set()).add((lv.level, c.against))
            found.setdefault(c.item_id, c)
    names = {lv.level for lv in levels}
    telling = [i for i, marks in seen.items()
               if {level for level, _ in marks} != names or len({a for _, a in marks}) > 1]
    return [found[i] for i in telling]


def _telling_apart(criteria: Sequence[Criterion]) -> str:
    if not criteria:
        return ""
    return (" The questions that tell them apart: " + "; ".join(
        f"{_quote(c)} ({STATUS_WORDS[c.status]})" for c in criteria[:t.MAX_HINGES]) + ".")


# --- Margins -------------------------------------------------------------------------------

def _outcome_label(m: Model, result: ev.Outcome) -> str:
    if result.status == "unclear":
        return "unclear"
    if result.status == "mixed":
        return "features of both " + _and([m.label(v).lower() for v in result.levels])
    level = result.levels[0]
    prefix = f"rung {level}, " if m.key == "gaster" else ""
    return prefix + m.label(level).lower()


def _margin(questionnaire, m: Model, s: ev.Spec, facts, known, p: Placement) -> Margin:
    found = ev.margin(s, facts, known)
    order = {i.id: n for n, i in enumerate(questionnaire.items)}
    hinges = [Hinge(item_id=mv.item_id, text=questionnaire.item(mv.item_id).text,
                    towards=mv.towards, steps=mv.count)
              for mv in sorted(found.moves, key=lambda mv: (order[mv.item_id], mv.towards))]
    moves_to = _outcome_label(m, found.becomes) if found.becomes else None
    return Margin(steps=found.steps, firm=found.steps is None, moves_to=moves_to,
                  hinges=hinges, text=_margin_words(found.steps, hinges, moves_to, p))


def _margin_words(steps: int | None, hinges: Sequence[Hinge], moves_to: str | None,
                  p: Placement) -> str:
    if steps is None:
        text = (f"Firm: it would take more than {t.CLOSE_MARGIN} answers, each moving one "
                "step (for example from Partly to Yes), to change it")
        if p.status == "mixed":
            text += ", as far as MAPS can find"
        return text + "."
    named = hinges[:t.MAX_HINGES]
    listed = "; ".join(f"{_quote_text(h.text)} ("
                       + (f"{h.steps} answers " if h.steps > 1 else "") + f"towards {h.towards})"
                       for h in named)
    if steps == 1:
        many = (f"any one of {len(hinges)} questions, among them" if len(hinges) > len(named)
                else "any one of these questions" if len(hinges) > 1 else "this question")
        return (f"Close to the line: one answer moving one step on {many} would make it "
                f"{moves_to}: {listed}.")
    return (f"Close to the line: {steps} answers moving one step each would make it "
            f"{moves_to}. It hinges on: {listed}.")


def _quote_text(text: str) -> str:
    return f"\u201c{text.rstrip('.?')}\u201d"


# --- Stability ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepChange:
    item_id: str
    towards: str
    answers: int  # how many respondents could make this change (one step each)
    moved: tuple[str, ...]  # the models whose placement it would change


def step_changes(questionnaire: Questionnaire,
                 respondents: Sequence[RespondentAnswers]) -> list[StepChange]:
    """Every change of one answer by one step to a fact any model reads, and which
    placements it would move: the figure behind "fewer than 3% of single-step changes move a
    placement" (tests/test_placement_golden.py)."""
    specs = [(m, spec(questionnaire, m)) for m in MODELS]
    ids = dict.fromkeys(i for _, s in specs for i in s.item_ids)
    facts = ev.read_facts(questionnaire, respondents, ids)
    known = {i for i, f in facts.items() if f.known}
    base = {m.key: _outcome_or_none(m, s, facts, known, len(respondents)) for m, s in specs}
    changes = []
    for item_id in ids:
        if item_id not in known:
            continue
        for towards in (ev.UP, ev.DOWN):
            count = facts[item_id].moves(towards)
            if not count:
                continue
            supports = {i: f.support for i, f in facts.items()}
            after = ev.moved(supports, facts, [ev.Move(item_id, towards, 1)])
            moved = tuple(m.key for m, s in specs if base[m.key] is not None
                          and item_id in s.item_ids
                          and ev.differs(base[m.key], ev.outcome(s, after, known)))
            changes.append(StepChange(item_id, towards, count, moved))
    return changes


def _outcome_or_none(m: Model, s: ev.Spec, facts, known, respondents: int):
    if not s.links or any(not s.links_of(g) for g in s.groups):
        return None
    if _unknown_reason(m, s, facts, known, respondents):
        return None
    return ev.outcome(s, {i: facts[i].support for i in s.item_ids}, known)
