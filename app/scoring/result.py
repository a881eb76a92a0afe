"""Scoring a round: one result holding scores, breakdowns, consensus, placements and coverage."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.questionnaires.schema import Questionnaire, whole_points
from app.scoring import disclosure
from app.scoring import thresholds as t
from app.scoring.consensus import Consensus, measure
from app.scoring.scores import (
    GroupScores,
    Headline,
    RespondentAnswers,
    answer_scores,
    breakdowns,
    check_answers,
    score_group,
)
from app.scoring.typologies import Placement, place


@dataclass
class Coverage:
    respondents: int
    agencies_responding: int
    agencies_in_partnership: int | None
    items: int
    # None when the round is too small for any figure to be shown (disclosure.py).
    answered_share: float | None  # of all respondent x item cells, how many were answered
    dont_know_share: float | None  # of answered cells, how many were "don't know"
    by_level: dict[str, int | None]  # None: this group's size is withheld
    by_agency: dict[str, int | None]
    confidence: str  # adequate, low, insufficient
    notes: list[str]


@dataclass
class RoundResult:
    questionnaire: str
    anonymity_threshold: int
    coverage: Coverage
    partnership: GroupScores
    groups: list[GroupScores]
    consensus: Consensus
    placements: list[Placement]
    # Item id -> its comments, sorted by their text: never who wrote them, nor in what order.
    comments: dict[str, list[str]]

    def placement(self, model: str) -> Placement | None:
        """The placement on a model, if the questionnaire links to it (docs/questionnaires.md)."""
        return next((p for p in self.placements if p.model == model), None)

    def group(self, kind: str, name: str) -> GroupScores | None:
        return next((g for g in self.groups if g.kind == kind and g.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for placement, raw in zip(self.placements, data["placements"], strict=True):
            raw["key"] = placement.key
        for gaps in ("agency_gaps", "level_gaps"):
            for gap, raw in zip(getattr(self.consensus, gaps), data["consensus"][gaps],
                                strict=True):
                raw["size"] = gap.size
        return _rounded(data)


HEADLINE_FIELDS = {f.name for f in dataclasses.fields(Headline)}


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        rounded = {k: _rounded(v) for k, v in value.items()}
        if value.keys() == HEADLINE_FIELDS:
            # The figure as the page and the PDF print it: "3.99 out of 5", "127 of 175".
            figure = Headline(**value)
            rounded.update(text=figure.text, who=figure.who or None)
        if "band" in value and isinstance(value.get("score"), float):
            # The score as every output prints it (the one rounding rule), beside the data.
            rounded["points"] = whole_points(value["score"])
        return rounded
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def score_round(questionnaire: Questionnaire, respondents: Sequence[RespondentAnswers], *,
                anonymity_threshold: int = t.DEFAULT_ANONYMITY_THRESHOLD,
                agencies_in_partnership: int | None = None) -> RoundResult:
    """Score a round's answers, with every figure disclosure control withholds taken out.
    Raises ScoringInputError listing every unknown item or value."""
    check_answers(questionnaire, respondents)
    per_respondent = [answer_scores(questionnaire, r) for r in respondents]
    partnership = score_group(questionnaire, "all", "Whole partnership", respondents,
                              per_respondent)
    groups = breakdowns(questionnaire, respondents, per_respondent)
    everything = RoundResult(
        questionnaire=questionnaire.ref,
        anonymity_threshold=anonymity_threshold,
        coverage=coverage(questionnaire, respondents, per_respondent, agencies_in_partnership),
        partnership=partnership,
        groups=groups,
        consensus=measure(questionnaire, per_respondent, groups),
        placements=place(questionnaire, respondents),
        comments=comments_by_item(questionnaire, respondents),
    )
    shown = disclosure.plan(disclosure.cells_of((r.agency, r.level) for r in respondents),
                            anonymity_threshold)
    return disclosure.apply(everything, shown)


def comments_by_item(questionnaire: Questionnaire,
                     respondents: Sequence[RespondentAnswers]) -> dict[str, list[str]]:
    """Every comment, by question in the questionnaire's order, each question's sorted by
    text so that their order says nothing about who wrote them or when."""
    found: dict[str, list[str]] = {}
    for respondent in respondents:
        for item_id, text in respondent.comments.items():
            if text and text.strip():
                found.setdefault(item_id, []).append(text.strip())
    return {i.id: sorted(found[i.id], key=lambda c: (c.casefold(), c))
            for i in questionnaire.items if i.id in found}


def coverage(questionnaire: Questionnaire, respondents: Sequence[RespondentAnswers],
             per_respondent: Sequence[dict[str, float | None]],
             agencies_in_partnership: int | None) -> Coverage:
    required = [i for i in questionnaire.items
                if not questionnaire.section(i.section_id).optional]
    # A roster item's copy about a respondent's own agency is never asked of them.
    cells = sum(1 for r in respondents for i in required if i.agency_name != r.agency)
    answered = sum(1 for r in respondents for i in required if i.id in r.answers)
    dont_know = sum(1 for s in per_respondent for i in required
                    if i.id in s and s[i.id] is None)
    agencies = {r.agency for r in respondents}
    by_level: dict[str, int | None] = {}
    by_agency: dict[str, int | None] = {}
    for r in respondents:
        by_level[r.level or "not given"] = by_level.get(r.level or "not given", 0) + 1
        by_agency[r.agency] = by_agency.get(r.agency, 0) + 1
    answered_share = answered / cells if cells else 0.0
    notes = []
    confidence = "adequate"
    if len(respondents) < t.MIN_RESPONDENTS:
        confidence = "insufficient"
        notes.append(f"{len(respondents)} response(s); at least {t.MIN_RESPONDENTS} are needed "
                     "before MAPS places the partnership on any model.")
    else:
        if len(agencies) < t.MIN_AGENCIES:
            notes.append(f"Only {len(agencies)} agency answered: the results show one "
                         "agency's view of the partnership.")
        if agencies_in_partnership and len(agencies) / agencies_in_partnership < \
                t.MIN_AGENCY_SHARE:
            notes.append(f"{len(agencies)} of the partnership's {agencies_in_partnership} "
                         "agencies answered.")
        if answered_share < t.MIN_ANSWERED_SHARE:
            notes.append(f"Only {answered_share:.0%} of questions were answered.")
        if notes:
            confidence = "low"
    return Coverage(
        respondents=len(respondents), agencies_responding=len(agencies),
        agencies_in_partnership=agencies_in_partnership, items=len(questionnaire.items),
        answered_share=answered_share,
        dont_know_share=dont_know / answered if answered else 0.0,
        by_level=by_level, by_agency=dict(sorted(by_agency.items())),
        confidence=confidence, notes=notes,
    )
