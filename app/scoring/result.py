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
    # None when the round is too small for any figure to be shown (disclosure.py), or asked
    # only roster items (their ratings are in the collaboration map alone).
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
                agencies_in_partnership: int | None = None,
                kept: disclosure.Plan | None = None) -> RoundResult:
    """Score a round's answers, with every figure disclosure control withholds taken out:
    under the plan the round `kept` when it closed, or less, never more. Roster items'
    ratings are left out (the collaboration map alone shows them). Raises ScoringInputError
    listing every unknown item or value."""
    check_answers(questionnaire, respondents)
    comments = comments_by_item(questionnaire, respondents)
    questionnaire = questionnaire.without_roster()
    respondents = [_without_roster(questionnaire, r) for r in respondents]
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
        comments=comments,
    )
    shown = disclosure.keep(kept, disclosure.cells_of((r.agency_key, r.level)
                                                      for r in respondents),
                            anonymity_threshold)
    return disclosure.apply(everything, shown)


def _without_roster(questionnaire: Questionnaire, respondent: RespondentAnswers
                    ) -> RespondentAnswers:
    """The respondent with only their answers to the items that are scored."""
    return dataclasses.replace(respondent, answers={
        k: v for k, v in respondent.answers.items() if questionnaire.item(k) is not None})


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
    cells = len(respondents) * len(required)
    answered = sum(1 for r in respondents for i in required if i.id in r.answers)
    dont_know = sum(1 for s in per_respondent for i in required
                    if i.id in s and s[i.id] is None)
    agencies = {r.agency_key for r in respondents}
    by_level: dict[str, int | None] = {}
    for r in respondents:
        by_level[r.level or disclosure.NOT_GIVEN] = by_level.get(
            r.level or disclosure.NOT_GIVEN, 0) + 1
    # None when nothing but roster items was asked: their answers are not counted here.
    answered_share = answered / cells if cells else None
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
        if answered_share is not None and answered_share < t.MIN_ANSWERED_SHARE:
            notes.append(f"Only {answered_share:.0%} of questions were answered.")
        if notes:
            confidence = "low"
    return Coverage(
        respondents=len(respondents), agencies_responding=len(agencies),
        agencies_in_partnership=agencies_in_partnership, items=len(questionnaire.items),
        answered_share=answered_share,
        dont_know_share=dont_know / answered if answered else (None if not cells else 0.0),
        # Each shown agency's and level's size is its group's (disclosure.apply): a name
        # may be two agencies'.
        by_level=by_level, by_agency={},
        confidence=confidence, notes=notes,
    )
