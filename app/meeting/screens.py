"""What the presenter's screen shows for one agenda entry. Built from the round's result after
disclosure control, so a screen shows what the results page may show for that entry and
nothing more: a question's spread, its split by level where the result shows the levels, its
comments (anonymised there), and the review's words."""

from dataclasses import dataclass

from app.meeting.advice import Advice, Proposal
from app.meeting.agenda import FACTOR, PLACEMENT, QUESTION, WHY, Entry
from app.meeting.agreement import Spread, spread_of
from app.questionnaires.schema import Questionnaire
from app.recommendations.labels import LEVELS, group_label
from app.scoring.result import RoundResult
from app.scoring.typologies import model


@dataclass(frozen=True)
class Column:
    """A group the question's spread is shown for: all members, or a level shown."""

    label: str
    spread: Spread


@dataclass(frozen=True)
class QuestionScreen:
    item_id: str
    text: str
    section: str
    source: str  # where in the review the question comes from, in the review's words
    reason: str  # why it is contested ("" when it was added to the agenda)
    options: tuple[tuple[str, str], ...]  # (value, label), the scale's own order
    columns: tuple[Column, ...]  # all members first
    comments: tuple[str, ...]

    @property
    def before(self) -> Spread:
        return self.columns[0].spread


@dataclass(frozen=True)
class ScoreLine:
    label: str
    score: float | None
    band: str | None


@dataclass(frozen=True)
class FactorScreen:
    factor: str
    label: str
    whole: ScoreLine
    levels: tuple[ScoreLine, ...]  # the levels the result shows
    questions: tuple[ScoreLine, ...]  # its questions' scores, all members
    reasons: tuple[str, ...]  # why the recommendations count it among the weakest


@dataclass(frozen=True)
class PlacementScreen:
    model: str
    title: str
    source: str
    level: str
    label: str  # the placement, as the report names it
    explanation: str
    margin: str
    levels: tuple[tuple[str, str], ...]  # (level, label) of the model, for "fits better"


@dataclass(frozen=True)
class Screen:
    entry: Entry
    title: str
    body: QuestionScreen | FactorScreen | PlacementScreen | Proposal | None  # None: gone

    @property
    def why(self) -> str:
        return WHY[self.entry.why]


def screen(entry: Entry, result: RoundResult, questionnaire: Questionnaire,
           advice: Advice, fallback: Proposal | None = None) -> Screen:
    """The screen for an entry; its body None when the result no longer has it (a question
    of another version, a placement no longer made). `fallback` stands in for a
    recommendation the advice no longer gives."""
    build = {QUESTION: _question, FACTOR: _factor, PLACEMENT: _placement}.get(entry.kind)
    if build is not None:
        return build(entry, result, questionnaire, advice)
    proposal = advice.proposal(entry.key) or fallback
    return Screen(entry, proposal.action if proposal else entry.key, proposal)


def _levels_shown(result: RoundResult) -> list:
    """The level groups the result shows, strategic staff first."""
    order = list(LEVELS)
    shown = [g for g in result.groups if g.kind == "level" and not g.suppressed]
    return sorted(shown, key=lambda g: order.index(g.name) if g.name in order else len(order))


def _question(entry: Entry, result: RoundResult, questionnaire: Questionnaire,
              advice: Advice) -> Screen:
    item = questionnaire.item(entry.key)
    scores = result.partnership.items.get(entry.key) if item else None
    if item is None or scores is None or result.partnership.suppressed:
        return Screen(entry, item.text if item else entry.key, None)
    columns = [Column("All members", spread_of(item, scores.distribution))]
    columns += [Column(group_label("level", g.name), spread_of(item, g.items[item.id].distribution))
                for g in _levels_shown(result) if item.id in g.items]
    agreement = result.consensus.items.get(item.id)
    body = QuestionScreen(
        item_id=item.id, text=item.text, section=questionnaire.section(item.section_id).title,
        source=item.source, reason=agreement.reason if agreement and agreement.contested else "",
        options=tuple((o.value, o.label) for o in item.scale.options), columns=tuple(columns),
        comments=tuple(result.comments.get(item.id, ())))
    return Screen(entry, item.text, body)


def _factor(entry: Entry, result: RoundResult, questionnaire: Questionnaire,
            advice: Advice) -> Screen:
    label = questionnaire.tag_label("factor", entry.key)
    score = result.partnership.tags.get("factor", {}).get(entry.key)
    if score is None or result.partnership.suppressed:
        return Screen(entry, label, None)
    levels = tuple(ScoreLine(group_label("level", g.name), s.score, s.band)
                   for g in _levels_shown(result)
                   if (s := g.tags.get("factor", {}).get(entry.key)))
    questions = tuple(ScoreLine(item.text, s.score, s.band)
                      for item in questionnaire.tagged("factor", entry.key)
                      if (s := result.partnership.items.get(item.id)))
    finding = advice.finding(entry.key)
    body = FactorScreen(factor=entry.key, label=label,
                        whole=ScoreLine("All members", score.score, score.band), levels=levels,
                        questions=questions, reasons=finding.reasons if finding else ())
    return Screen(entry, label, body)


def _placement(entry: Entry, result: RoundResult, questionnaire: Questionnaire,
               advice: Advice) -> Screen:
    placement = next((p for p in result.placements if p.model == entry.key), None)
    m = model(entry.key)
    if placement is None or placement.status != "placed":
        return Screen(entry, m.title, None)
    label = (f"Rung {placement.level}: {placement.label}" if m.key == "gaster"
             else placement.label or "")
    body = PlacementScreen(model=m.key, title=m.title, source=m.source,
                           level=placement.level or "", label=label,
                           explanation=placement.explanation,
                           margin=placement.margin.text if placement.margin else "",
                           levels=m.levels)
    return Screen(entry, m.title, body)
