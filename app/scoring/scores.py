"""Item, factor, area and dimension scores on 0-100, for the partnership and its groups."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from app.questionnaires.schema import DECIMALS, Bands, Item, Questionnaire, rounded, whole_points
from app.scoring import thresholds as t


@dataclass(frozen=True)
class RespondentAnswers:
    """One board member's answers: item id -> option value, None meaning "don't know".
    Items left out were not answered."""

    agency: str  # the agency's name: a label, which may change after the round closes
    answers: Mapping[str, str | None]
    level: str | None = None
    sector: str | None = None
    comments: Mapping[str, str] = field(default_factory=dict)  # item id -> comment
    # The agency's stable key (its id in the database); None: its name is its key (answers
    # read from a file). Groups, disclosure and the collaboration map go by this key.
    agency_id: str | None = None

    @property
    def agency_key(self) -> str:
        return self.agency if self.agency_id is None else self.agency_id


class ScoringInputError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def respondents_from_json(data: Any) -> list[RespondentAnswers]:
    """Read {"respondents": [{"agency", "sector", "level", "answers": {...},
    "comments": {...}}]} ("comments" optional), the format of `maps score` and `maps report`,
    saying exactly what is wrong and where."""
    if not isinstance(data, dict) or not isinstance(data.get("respondents"), list):
        raise ScoringInputError(['the file must be an object with a "respondents" list'])
    problems, respondents = [], []
    for n, raw in enumerate(data["respondents"], start=1):
        if not isinstance(raw, dict):
            problems.append(f"respondent {n}: must be an object")
            continue
        agency, answers = raw.get("agency"), raw.get("answers")
        if not isinstance(agency, str) or not agency.strip():
            problems.append(f'respondent {n}: "agency" must be a non-empty string')
        if not isinstance(answers, dict):
            problems.append(f'respondent {n}: "answers" must be an object of item id: value')
            continue
        bad = [k for k, v in answers.items()
               if v is not None and (isinstance(v, bool) or not isinstance(v, str | int | float))]
        for key in bad:
            problems.append(f"respondent {n}: answer to '{key}' must be a value or null")
        comments = raw.get("comments", {})
        if not isinstance(comments, dict) or not all(isinstance(v, str)
                                                     for v in comments.values()):
            problems.append(f'respondent {n}: "comments" must be an object of item id: text')
            comments = {}
        if not problems:
            respondents.append(RespondentAnswers(
                agency=agency.strip(), level=raw.get("level"), sector=raw.get("sector"),
                answers={k: normalise(v) for k, v in answers.items()}, comments=comments))
    if problems:
        raise ScoringInputError(problems)
    return respondents


def check_answers(questionnaire: Questionnaire, respondents: Sequence[RespondentAnswers]) -> None:
    problems = []
    for n, respondent in enumerate(respondents, start=1):
        if respondent.level not in (None, "strategic", "operational"):
            problems.append(f"respondent {n}: level must be 'strategic' or 'operational', "
                            f"not {respondent.level!r}")
        for item_id, value in respondent.answers.items():
            item = questionnaire.item(item_id)
            if item is None:
                problems.append(f"respondent {n}: '{item_id}' is not an item of "
                                f"{questionnaire.ref}")
            elif value is not None and item.scale.option(str(value)) is None:
                allowed = ", ".join(o.value for o in item.scale.options)
                problems.append(f"respondent {n}: {value!r} is not on the scale of "
                                f"'{item_id}' (allowed: {allowed}, or null for don't know)")
        for item_id in respondent.comments:
            if questionnaire.item(item_id) is None:
                problems.append(f"respondent {n}: comment on '{item_id}', which is not an "
                                f"item of {questionnaire.ref}")
    if problems:
        raise ScoringInputError(problems)


def normalise(value: str | int | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def is_marker(questionnaire: Questionnaire, item: Item) -> bool:
    return any(item.has_tag("part", part) for part in t.MARKER_PARTS)


def scored_items(questionnaire: Questionnaire) -> list[Item]:
    return [i for i in questionnaire.items if not is_marker(questionnaire, i)]


@dataclass(frozen=True)
class Headline:
    """A score in the instrument's own terms, as every output prints it: a 0-100 score
    ("64 out of 100"), a mean on the bands' scale ("3.99 out of 5") or a total ("127 of
    175"); `value` is rounded by the one rule (schema.DECIMALS) and the band is read on it."""

    basis: str  # score, mean or total
    value: float
    low: float  # the lowest and highest the figure can be
    high: float
    # With a total: how many of the group's respondents have one, and of those how many
    # were prorated from the items they answered; None otherwise.
    respondents: int | None = None
    of: int | None = None
    prorated: int | None = None

    @property
    def number(self) -> str:
        """The figure alone, as a table prints it: 64, 3.99, 126.6."""
        if self.basis == "mean":
            return f"{self.value:.{DECIMALS['mean']}f}"
        return f"{self.value:g}"

    @property
    def text(self) -> str:
        """The figure with its range: "3.99 out of 5", "127 of 175"."""
        return f"{self.number} {'of' if self.basis == 'total' else 'out of'} {self.high:g}"

    @property
    def who(self) -> str:
        """For a total, whose totals it is the mean of: "6 of 7 respondents, 1 prorated"."""
        if self.respondents is None:
            return ""
        return (f"{self.respondents} of {self.of} respondent{'s' if self.of != 1 else ''}"
                + (f", {self.prorated} prorated" if self.prorated else ""))

    @property
    def fraction(self) -> float:
        """Where the figure lies between its lowest and highest, 0 to 1 (for charts)."""
        return (self.value - self.low) / (self.high - self.low) if self.high > self.low else 0.0


@dataclass
class ItemScore:
    item_id: str
    score: float | None
    band: str | None
    n: int  # answers that count towards the score
    dont_know: int
    unanswered: int
    distribution: dict[str, int]  # option value -> how many chose it
    headline: Headline | None = None  # the instrument's own figure (the mean on its scale)


@dataclass
class TagScore:
    tag: str
    value: str
    label: str  # the value's name, from the questionnaire's vocabulary
    score: float | None
    band: str | None
    n: int  # respondents who answered at least one of its items
    items: int
    # With bands on totals: the mean over respondents of their total on the scale's own
    # numbers (the band is read on it, rounded as `headline`); None otherwise.
    total: float | None = None
    headline: Headline | None = None


@dataclass
class GroupScores:
    kind: str  # "all", "agency", "level"
    name: str  # what the group is called: an agency's name, a level
    respondents: int | None  # None when the group's figures are withheld (disclosure.py)
    suppressed: bool = False
    # Which group it is, whatever it is called: an agency's key (RespondentAnswers.agency_key),
    # a level; None for the whole partnership. Disclosure goes by this, never by the name.
    key: str | None = None
    overall: float | None = None
    overall_band: str | None = None
    overall_total: float | None = None  # with bands on totals, as TagScore.total
    overall_headline: Headline | None = None
    items: dict[str, ItemScore] = field(default_factory=dict)
    tags: dict[str, dict[str, TagScore]] = field(default_factory=dict)


def answer_scores(questionnaire: Questionnaire,
                  respondent: RespondentAnswers) -> dict[str, float | None]:
    """Each answered item's 0-100 score for one respondent; None for "don't know"."""
    scores = {}
    for item_id, value in respondent.answers.items():
        item = questionnaire.item(item_id)
        value = normalise(value)
        scores[item_id] = None if value is None else item.score(value)
    return scores


def _weighted_mean(pairs: Sequence[tuple[float, float]]) -> float | None:
    """The mean of (value, weight) pairs, each counting as its weight."""
    weight = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / weight if pairs else None


def composite(scores: Mapping[str, float | None], items: Iterable[Item]) -> float | None:
    """One respondent's mean over the given items they answered (don't know left out), each
    item counting as its weight."""
    return _weighted_mean([(scores[i.id], i.weight) for i in items
                           if scores.get(i.id) is not None])


def group_score(questionnaire: Questionnaire, items: Sequence[Item],
                per_respondent: Sequence[dict[str, float | None]]) -> tuple[float | None, int]:
    """A group's 0-100 score over these items and how many respondents answered any of them,
    by the definition's group mean rule: the mean of each respondent's own mean, or of every
    answer pooled (docs/method.md section 3)."""
    own = [c for s in per_respondent if (c := composite(s, items)) is not None]
    if questionnaire.scoring.group_mean == "pooled":
        pooled = [(s[i.id], i.weight) for s in per_respondent for i in items
                  if s.get(i.id) is not None]
        return _weighted_mean(pooled), len(own)
    return (fmean(own) if own else None), len(own)


def tag_groups(questionnaire: Questionnaire) -> dict[str, dict[str, list[Item]]]:
    """For each scored tag, its values and their (non-marker) items, in vocabulary order."""
    items = scored_items(questionnaire)
    groups: dict[str, dict[str, list[Item]]] = {}
    for tag in t.SCORED_TAGS:
        values = questionnaire.tag_values(tag)
        found = {v: [i for i in items if i.has_tag(tag, v)] for v in values}
        found = {v: members for v, members in found.items() if members}
        if found:
            groups[tag] = found
    return groups


@dataclass(frozen=True)
class GroupTotal:
    """The mean of the respondents' totals over a group's items, and whose it is."""

    mean: float
    respondents: int  # with a total
    of: int  # in the group
    prorated: int  # with a total scaled up from the items they answered


def group_total(bands: Bands | None, items: Sequence[Item],
                respondents: Sequence[RespondentAnswers]) -> GroupTotal | None:
    """With bands on totals: the mean of the respondents' totals over these items (those
    without a total, by the bands' rule for missing answers, left out); else None."""
    if bands is None or bands.basis != "total" or not on_its_scale(bands, items):
        return None
    totals, prorated = [], 0
    weights = [item.weight for item in items]
    for respondent in respondents:
        answered = [(v, item.weight) for item in items
                    if (answer := respondent.answers.get(item.id)) is not None
                    and (v := item.value(normalise(answer))) is not None]
        if (total := bands.total(answered, weights)) is not None:
            totals.append(total)
            prorated += len(answered) < len(items)
    if not totals:
        return None
    return GroupTotal(mean=fmean(totals), respondents=len(totals), of=len(respondents),
                      prorated=prorated)


def on_its_scale(bands: Bands, items: Sequence[Item]) -> bool:
    """Whether a total can be taken over these items: all answered on the bands' scale (the
    validator holds banded totals to this; a tag whose bands are null may not be)."""
    return bool(items) and all(i.scale.id == bands.scale.id for i in items)


def headline(measure: Bands | None, score: float | None, items: Sequence[Item],
             total: GroupTotal | None) -> Headline | None:
    """A group's figure on its measure's basis: a 0-100 score, the mean on the measure's
    scale, or the total over its items (None when nobody has one, by the rule for missing
    answers)."""
    if measure is None or measure.basis == "score" or (
            measure.basis == "total" and not on_its_scale(measure, items)):
        return None if score is None else Headline("score", whole_points(score), 0, 100)
    scale = measure.scale
    if measure.basis == "mean":
        if score is None:
            return None
        return Headline("mean", measure.shown(scale.from_score(score)), scale.low, scale.high)
    if total is None:
        return None
    weight = sum(i.weight for i in items)
    return Headline("total", measure.shown(total.mean), scale.low * weight,
                    scale.high * weight, respondents=total.respondents, of=total.of,
                    prorated=total.prorated)


def _band(bands: Bands | None, figure: Headline | None) -> str | None:
    """The band of a figure, read on the number printed (items of a total have none)."""
    if bands is None or figure is None or figure.basis != bands.basis:
        return None
    return bands.level(figure.value)


def _item_band(questionnaire: Questionnaire, item: Item, figure: Headline | None) -> str | None:
    """An item's band: on a score basis its whole points; on a mean basis its mean, when
    it is on the bands' own scale; never a structural fact's, nor on a total basis."""
    bands = questionnaire.bands
    if is_marker(questionnaire, item) or bands is None or (
            bands.basis == "mean" and item.scale.id != bands.scale.id):
        return None
    return _band(bands, figure)


def item_headline(questionnaire: Questionnaire, item: Item,
                  score: float | None) -> Headline | None:
    """An item's figure: with bands on a mean or a total, its mean on its own scale (the
    other way up for a reverse item); else its 0-100 score."""
    bands = questionnaire.bands
    if score is None:
        return None
    if bands is None or bands.basis == "score":
        return Headline("score", whole_points(score), 0, 100)
    return Headline("mean", rounded(item.scale.from_score(score), DECIMALS["mean"]),
                    item.scale.low, item.scale.high)


def score_group(questionnaire: Questionnaire, kind: str, name: str,
                respondents: Sequence[RespondentAnswers],
                per_respondent: Sequence[dict[str, float | None]]) -> GroupScores:
    group = GroupScores(kind=kind, name=name, respondents=len(respondents))
    for item in questionnaire.items:
        answered = [s for s in per_respondent if item.id in s]
        values = [s[item.id] for s in answered if s[item.id] is not None]
        # A null answer is "don't know": count it under the scale's first missing option.
        dont_know = next((o.value for o in item.scale.options if o.missing), "dk")
        distribution = Counter(normalise(r.answers[item.id]) or dont_know
                               for r in respondents if item.id in r.answers)
        score = fmean(values) if values else None
        figure = item_headline(questionnaire, item, score)
        group.items[item.id] = ItemScore(
            item_id=item.id, score=score, band=_item_band(questionnaire, item, figure),
            n=len(values), dont_know=len(answered) - len(values),
            unanswered=len(respondents) - len(answered),
            distribution={o.value: distribution[o.value] for o in item.scale.options},
            headline=figure)
    for tag, values in tag_groups(questionnaire).items():
        group.tags[tag] = {}
        measure = questionnaire.measure_for(tag)
        for value, items in values.items():
            score, n = group_score(questionnaire, items, per_respondent)
            total = group_total(measure, items, respondents)
            figure = headline(measure, score, items, total)
            group.tags[tag][value] = TagScore(
                tag=tag, value=value, label=questionnaire.tag_label(tag, value), score=score,
                band=_band(questionnaire.bands_for(tag), figure), n=n, items=len(items),
                total=total.mean if total else None, headline=figure)
    scored = scored_items(questionnaire)
    group.overall, _ = group_score(questionnaire, scored, per_respondent)
    total = group_total(questionnaire.bands, scored, respondents)
    group.overall_total = total.mean if total else None
    group.overall_headline = headline(questionnaire.bands, group.overall, scored, total)
    group.overall_band = _band(questionnaire.bands, group.overall_headline)
    return group


def breakdowns(questionnaire: Questionnaire, respondents: Sequence[RespondentAnswers],
               per_respondent: Sequence[dict[str, float | None]]) -> list[GroupScores]:
    """Scores per agency and per level, every group scored, in order of name: app/scoring/
    disclosure.py then withholds those a round may not show."""
    groups = []
    for kind, key, name in (("agency", lambda r: r.agency_key, lambda r: r.agency),
                            ("level", lambda r: r.level, lambda r: r.level)):
        names = {key(r): name(r) for r in respondents if key(r)}
        for found in sorted(names, key=lambda k: (names[k], k)):
            members = [i for i, r in enumerate(respondents) if key(r) == found]
            group = score_group(questionnaire, kind, names[found],
                                [respondents[i] for i in members],
                                [per_respondent[i] for i in members])
            group.key = found
            groups.append(group)
    return groups
