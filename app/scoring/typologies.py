"""Placing a partnership on the typologies of section 2.3 of the review, from the board's
answers to the structural facts tagged with each model's levels, with the evidence."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import fmean

from app.questionnaires.schema import Questionnaire
from app.scoring import thresholds as t


@dataclass(frozen=True)
class Model:
    key: str  # the tag that marks its criteria
    title: str
    source: str
    levels: tuple[tuple[str, str], ...]  # (tag value, label), lowest first when ordered
    ordered: bool


GASTER_KEYS = {"1": "information_exchange", "2": "planning_action", "3": "implementing",
               "4": "coordination_cooperation", "5": "collaboration_full_partnership"}

MODELS = (
    Model("townsley", "Townsley et al. (2004a): extent of integration",
          "Section 2.3, Townsley et al. (2004a: p. 27)",
          (("autonomous", "Autonomous working"), ("coordinated", "Coordinated working"),
           ("integrated", "Integrated working")), ordered=True),
    Model("gaster", "Gaster et al. (1999): ladder of partnership",
          "Section 2.3, Gaster et al. (1999), cited in Percy-Smith (2005: p. 9)",
          (("1", "Information exchange"), ("2", "Planning action"),
           ("3", "Implementing projects and service plans"),
           ("4", "Coordination and co-operation in practice"),
           ("5", "Collaboration and full partnership")), ordered=True),
    Model("fox_butler_stage", "Fox and Butler (2004): stage of engagement",
          "Section 2.3, Griffith (2002) cited in Fox and Butler (2004: p. 39)",
          (("cooperation", "Cooperation"), ("coordination", "Coordination"),
           ("integration", "Integration")), ordered=True),
    Model("fox_butler_function", "Fox and Butler (2004): function",
          "Section 2.3, Fox and Butler (2004: p. 39)",
          (("strategic", "Strategic"), ("commissioning", "Commissioning"),
           ("service_delivery", "Service delivery")), ordered=False),
    Model("audit_commission", "Audit Commission (1998): organisational form",
          "Section 2.3, Audit Commission (1998) cited in Percy-Smith (2005)",
          (("separate_organisation", "Separate organisation"),
           ("virtual_organisation", "'Virtual' organisation"),
           ("co_located", "Co-locating staff from partner organisations"),
           ("steering_group", "Steering group without dedicated staff resources")),
          ordered=False),
    Model("atkinson", "Atkinson et al. (2002): model of multi-agency activity",
          "Section 2.3, Atkinson et al. (2002)",
          (("decision_making_group", "Decision-making group"),
           ("consultation_training", "Consultation and training"),
           ("centre_based", "Centre-based delivery"),
           ("coordinated_delivery", "Coordinated delivery"),
           ("operational_team", "Operational-team delivery")), ordered=False),
    Model("watson", "Watson et al. (2000; 2002): joint working at operational level",
          "Section 2.3, Watson et al. (2000; 2002) reviewed by Sloper (2004)",
          (("multidisciplinary", "Multi-disciplinary working"),
           ("interdisciplinary", "Inter-disciplinary working"),
           ("transdisciplinary", "Transdisciplinary working")), ordered=False),
)


@dataclass
class Criterion:
    item_id: str
    text: str
    support: float | None  # mean answer, Yes = 1, Partly = 0.5, No = 0
    n: int
    dont_know: int
    status: str  # met, partly, not_met, unknown

    @property
    def credit(self) -> float:
        return {"met": 1.0, "partly": 0.5}.get(self.status, 0.0)


@dataclass
class LevelEvidence:
    level: str
    label: str
    strength: float | None  # share of its criteria met (partly counts half)
    reached: bool
    criteria: list[Criterion]


@dataclass
class Placement:
    model: str
    title: str
    source: str
    status: str  # placed, unclear, insufficient_evidence, not_assessed
    level: str | None
    label: str | None
    rank: int | None  # 1-based position on an ordered model
    explanation: str
    levels: list[LevelEvidence]
    drivers: list[Criterion] = field(default_factory=list)
    missing: list[Criterion] = field(default_factory=list)
    next_level: str | None = None
    also: list[str] = field(default_factory=list)  # other values met, for unordered models

    @property
    def key(self) -> str | None:
        """The stable name of the level (Gaster's rungs by name, others as tagged)."""
        if self.model == "gaster" and self.level:
            return GASTER_KEYS[self.level]
        return self.level


def criterion(questionnaire: Questionnaire, item_id: str,
              per_respondent: Sequence[dict[str, float | None]]) -> Criterion:
    item = questionnaire.item(item_id)
    answered = [s[item_id] for s in per_respondent if item_id in s]
    values = [v / 100 for v in answered if v is not None]
    support = fmean(values) if values else None
    if len(values) < t.MIN_ANSWERS_PER_CRITERION:
        status = "unknown"
    elif support >= t.MET - 1e-9:
        status = "met"
    elif support >= t.PARTLY - 1e-9:
        status = "partly"
    else:
        status = "not_met"
    return Criterion(item_id=item_id, text=item.text, support=support, n=len(values),
                     dont_know=len(answered) - len(values), status=status)


def _evidence(questionnaire, model, per_respondent) -> list[LevelEvidence]:
    levels = []
    for value, label in model.levels:
        criteria = [criterion(questionnaire, i.id, per_respondent)
                    for i in questionnaire.tagged(model.key, value)]
        strength = (sum(c.credit for c in criteria) / len(criteria)) if criteria else None
        levels.append(LevelEvidence(level=value, label=label, strength=strength,
                                    reached=False, criteria=criteria))
    return levels


def place(questionnaire: Questionnaire, per_respondent: Sequence[dict[str, float | None]],
          respondents: int) -> list[Placement]:
    placements = []
    for model in MODELS:
        levels = _evidence(questionnaire, model, per_respondent)
        placement = Placement(model=model.key, title=model.title, source=model.source,
                              status="placed", level=None, label=None, rank=None,
                              explanation="", levels=levels)
        criteria = [c for lv in levels for c in lv.criteria]
        if not criteria:
            placement.status = "not_assessed"
            placement.explanation = "This questionnaire has no items for this model."
        elif respondents < t.MIN_RESPONDENTS:
            placement.status = "insufficient_evidence"
            placement.explanation = (f"Only {respondents} response(s): a placement needs at "
                                     f"least {t.MIN_RESPONDENTS}.")
        elif sum(c.status == "unknown" for c in criteria) > len(criteria) / 2:
            placement.status = "insufficient_evidence"
            placement.explanation = ("Most of this model's questions were answered \"don't "
                                     "know\" or left blank, so no placement is made.")
        elif model.key == "townsley":
            _townsley(placement)
        elif model.key == "gaster":
            _gaster(placement)
        elif model.ordered:
            _highest_met(placement)
        else:
            _strongest(placement)
        placements.append(placement)
    return placements


def _set_level(placement: Placement, index: int) -> None:
    chosen = placement.levels[index]
    placement.level, placement.label, placement.rank = chosen.level, chosen.label, index + 1
    placement.drivers = [c for c in chosen.criteria if c.status in ("met", "partly")]
    if index + 1 < len(placement.levels):
        following = placement.levels[index + 1]
        placement.next_level = following.level
        placement.missing = [c for c in following.criteria if c.status != "met"]


def _unknown_note(placement: Placement) -> str:
    unknown = [c for c in placement.missing if c.status == "unknown"]
    if not unknown:
        return ""
    return (f" {len(unknown)} question(s) for the next level could not be judged because too "
            "few members answered them.")


def _townsley(placement: Placement) -> None:
    autonomous, coordinated, integrated = placement.levels
    autonomous.reached = True
    integrated.reached = (integrated.strength or 0) >= t.INTEGRATED_SHARE - 1e-9
    # "Services are synthesised (and coordinated)": most integrated features imply
    # coordination even without a separate panel.
    coordinated.reached = integrated.reached or max(
        coordinated.strength or 0, integrated.strength or 0) >= t.COORDINATED_SHARE - 1e-9
    index = 2 if integrated.reached else 1 if coordinated.reached else 0
    _set_level(placement, index)
    if index == 2:
        placement.explanation = "Every defining feature of integrated working is in place."
    else:
        met = sum(c.status == "met" for c in integrated.criteria)
        placement.explanation = (
            f"{met} of the {len(integrated.criteria)} features of integrated working are in "
            "place; Townsley et al. describe integrated working only where all are."
            + _unknown_note(placement))
    if index == 0:
        placement.drivers = [c for lv in placement.levels[1:] for c in lv.criteria
                             if c.status == "not_met"] + placement.drivers


def _gaster(placement: Placement) -> None:
    index = -1
    for position, level in enumerate(placement.levels):
        level.reached = (index == position - 1
                         and (level.strength or 0) >= t.RUNG_REACHED - 1e-9)
        if level.reached:
            index = position
    _set_level(placement, max(index, 0))
    if index < 0:
        placement.missing = [c for c in placement.levels[0].criteria if c.status != "met"]
        placement.next_level = placement.levels[0].level
        placement.explanation = ("The ladder starts at information exchange, and even its "
                                 "criteria are not yet met.")
    else:
        placement.explanation = (f"Rungs 1 to {index + 1} are reached; a rung counts only "
                                 "when the rungs below it are reached." + _unknown_note(placement))


def _highest_met(placement: Placement) -> None:
    met = [i for i, lv in enumerate(placement.levels) if lv.criteria
           and all(c.status == "met" for c in lv.criteria)]
    for i in met:
        placement.levels[i].reached = True
    if not met:
        placement.status = "unclear"
        placement.explanation = ("None of the stages is clearly described by the board's "
                                 "answers; Fox and Butler place networking before any of them.")
        placement.missing = [c for c in placement.levels[0].criteria if c.status != "met"]
        placement.next_level = placement.levels[0].level
        return
    _set_level(placement, max(met))
    placement.explanation = f"The board describes the '{placement.label}' stage."


def _strongest(placement: Placement) -> None:
    met = [lv for lv in placement.levels if lv.criteria
           and all(c.status == "met" for c in lv.criteria)]
    for lv in met:
        lv.reached = True
    if not met:
        placement.status = "unclear"
        placement.explanation = "None of this model's forms is clearly described by the answers."
        return
    best = max(met, key=lambda lv: (lv.strength or 0, min(c.support or 0 for c in lv.criteria)))
    placement.level, placement.label = best.level, best.label
    placement.drivers = list(best.criteria)
    placement.also = [lv.level for lv in met if lv is not best]
    placement.explanation = f"The board's answers describe '{best.label}' most clearly."
    if placement.also:
        labels = [lv.label for lv in met if lv is not best]
        placement.explanation += " It also shows features of: " + "; ".join(labels) + "."
