"""The collaboration map: how the respondents of each agency rate their agency's work with
each other agency, from a roster item tagged `map: collaboration` (the Levels of
Collaboration Scale), with the anonymity rule applied.

The rule (docs/privacy.md, rule 7): a rating of one agency by another is shown only as the
mean of at least `threshold` respondents' ratings; a cell with fewer, none included, reads
"withheld". An agency with fewer respondents than the threshold is not shown as a rater: its
respondents' ratings are merged with those of every other such agency into one row, whose
cells follow the same rule. Which agencies have rows depends only on how many responded from
each, never on what they answered. No total over raters is published, so no shown figure can
be subtracted from another to leave a smaller group; asymmetric pairs, isolated agencies and
the network chart are read from the shown cells only. The ratings are never scored
(result.score_round leaves roster items out), so nothing else can be combined with them."""

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from app.questionnaires.schema import Item, Questionnaire
from app.scoring import thresholds as t
from app.scoring.scores import RespondentAnswers, normalise

MAP_TAG, MAP_VALUE = "map", "collaboration"
MERGED = "Agencies with fewer respondents (merged)"


@dataclass(frozen=True)
class Level:
    value: float
    label: str
    description: str


@dataclass(frozen=True)
class Cell:
    rater: str  # an agency's name, or MERGED
    target: str
    mean: float | None  # on the scale's numbers; None when withheld
    n: int | None  # ratings in the mean; None when withheld
    withheld: bool = False

    @property
    def shown(self) -> bool:
        return self.mean is not None


@dataclass(frozen=True)
class Pair:
    """Two agencies whose ratings of each other are ASYMMETRIC_LEVELS or more apart."""

    first: str
    second: str
    first_rates_second: float
    second_rates_first: float

    @property
    def gap(self) -> float:
        return abs(self.first_rates_second - self.second_rates_first)


@dataclass(frozen=True)
class CollaborationMap:
    item: str  # the roster item's id, as written
    question: str
    levels: tuple[Level, ...]
    agencies: tuple[str, ...]  # the round's roster, in order: the columns
    raters: tuple[str, ...]  # the rows: agencies shown as raters, then MERGED if any
    merged: tuple[str, ...]  # the agencies whose ratings are in the MERGED row
    cells: tuple[Cell, ...]
    asymmetric: tuple[Pair, ...]
    isolated: tuple[str, ...]
    threshold: int

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        for cell in data["cells"]:
            if cell["mean"] is not None:
                cell["mean"] = round(cell["mean"], 4)
        for pair in data["asymmetric"]:
            for key in ("first_rates_second", "second_rates_first"):
                pair[key] = round(pair[key], 4)
        return data

    def cell(self, rater: str, target: str) -> Cell | None:
        return next((c for c in self.cells if c.rater == rater and c.target == target), None)

    def level_label(self, value: float | None) -> str:
        """The level a mean is nearest to."""
        if value is None or not self.levels:
            return ""
        return min(self.levels, key=lambda lv: (abs(lv.value - value), -lv.value)).label

    def ties(self) -> list[tuple[str, str, list[Cell]]]:
        """Each pair of agencies with a shown rating either way, with those ratings."""
        found = []
        for i, first in enumerate(self.agencies):
            for second in self.agencies[i + 1:]:
                shown = [c for c in (self.cell(first, second), self.cell(second, first))
                         if c is not None and c.shown]
                if shown:
                    found.append((first, second, shown))
        return found


def map_items(questionnaire: Questionnaire) -> list[Item]:
    """The copies, one per agency, of the first roster item tagged map: collaboration."""
    tagged = [i for i in questionnaire.items
              if i.template is not None and i.has_tag(MAP_TAG, MAP_VALUE)]
    return [i for i in tagged if i.template == tagged[0].template] if tagged else []


def collaboration_map(questionnaire: Questionnaire, respondents: Sequence[RespondentAnswers],
                      *, threshold: int) -> CollaborationMap | None:
    """The map of a round's ratings, withheld as the rule says; None when the questionnaire
    has no map item or the roster has fewer than two agencies. Agencies go by their keys
    (ids), and are named only in what it returns."""
    items = map_items(questionnaire)
    names = {i.agency: i.agency_name for i in items}
    agencies = tuple(names)  # the roster, in order: the columns
    if len(agencies) < 2:
        return None
    for r in respondents:
        names.setdefault(r.agency_key, r.agency)

    def by_name(keys):
        return sorted(keys, key=lambda k: (names[k], k))

    # Rows follow who answered, never what they answered: an agency with at least the
    # threshold of respondents has a row of its own, the others share the merged row. So
    # nothing about one member of a small agency (whether they rated at all) moves a row.
    people = Counter(r.agency_key for r in respondents)
    shown = [a for a in agencies if people[a] >= threshold]
    shown += by_name(a for a in people if a not in agencies and people[a] >= threshold)
    merged = tuple(by_name(a for a in people if people[a] < threshold))
    ratings = _ratings(items, respondents)  # rater agency -> target -> values
    rows = {a: ratings.get(a, {}) for a in shown}
    if merged:
        rows[MERGED] = {target: [v for a in merged for v in ratings.get(a, {}).get(target, [])]
                        for target in agencies}
    cells = tuple(_cell(names.get(rater, MERGED), names[target], rows[rater].get(target, []),
                        threshold)
                  for rater in rows for target in agencies
                  # Nobody in the row is asked about the target: a blank, like the diagonal.
                  if target != rater and not (rater == MERGED and merged == (target,)))
    first = items[0]
    result = CollaborationMap(
        item=first.template, question=first.text.replace(first.agency_name, "{agency}"),
        levels=tuple(Level(o.number, o.label, o.description) for o in first.scale.scored),
        agencies=tuple(names[a] for a in agencies),
        raters=tuple(names.get(a, MERGED) for a in rows),
        merged=tuple(names[a] for a in merged), cells=cells,
        asymmetric=(), isolated=(), threshold=threshold)
    return _with_findings(result)


def _rating(item: Item, respondent: RespondentAnswers) -> float | None:
    if item.agency == respondent.agency_key:
        return None  # never asked about their own agency; an old answer is not counted
    value = respondent.answers.get(item.id)
    return None if value is None else item.value(normalise(value))


def _ratings(items: Sequence[Item], respondents: Sequence[RespondentAnswers]
             ) -> dict[str, dict[str, list[float]]]:
    found: dict[str, dict[str, list[float]]] = {}
    for respondent in respondents:
        targets = found.setdefault(respondent.agency_key, {})
        for item in items:
            if (value := _rating(item, respondent)) is not None:
                targets.setdefault(item.agency, []).append(value)
    return found


def _cell(rater: str, target: str, values: list[float], threshold: int) -> Cell:
    """A mean of at least the threshold of ratings, else withheld: none and a few read the
    same, so a cell never says whether one person rated the agency."""
    if len(values) < threshold:
        return Cell(rater, target, mean=None, n=None, withheld=True)
    return Cell(rater, target, mean=fmean(values), n=len(values))


def _with_findings(found: CollaborationMap) -> CollaborationMap:
    """Asymmetric pairs and isolated agencies, read from the shown cells only."""
    pairs = []
    for first, second, shown in found.ties():
        if len(shown) == 2 and abs(shown[0].mean - shown[1].mean) >= t.ASYMMETRIC_LEVELS:
            pairs.append(Pair(first, second, shown[0].mean, shown[1].mean))
    isolated = []
    for agency in found.agencies:
        about = [c for c in found.cells if c.shown and agency in (c.rater, c.target)]
        if about and all(c.mean < t.ISOLATED_BELOW for c in about):
            isolated.append(agency)
    return dataclasses.replace(found, asymmetric=tuple(pairs), isolated=tuple(isolated))
