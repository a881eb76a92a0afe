"""The shape of a questionnaire definition: scales, bands, sections and items, as frozen data."""

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

DONT_KNOW = "dk"
AGENCY = "{agency}"  # where a roster item's text names the agency it asks about
ROSTER_MARK = "@"  # between a roster item's id and the agency its copy asks about


def roster_item_id(template: str, agency_key: str) -> str:
    """Where a roster item's answer about one agency is stored. Item ids have no "@"
    (app/questionnaires/format.py), so this never meets another item's id."""
    return f"{template}{ROSTER_MARK}{agency_key}"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    missing: bool = False  # "don't know" / "not applicable": excluded from scores
    description: str = ""  # what the option means, for a roster item's key to its levels

    @property
    def number(self) -> float | None:
        return None if self.missing else float(self.value)


@dataclass(frozen=True)
class Scale:
    id: str
    options: tuple[Option, ...]

    @cached_property
    def scored(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if not o.missing)

    @cached_property
    def low(self) -> float:
        return min(o.number for o in self.scored)

    @cached_property
    def high(self) -> float:
        return max(o.number for o in self.scored)

    @cached_property
    def dont_know(self) -> Option | None:
        """The scale's "Don't know" option, if it offers one (a missing option valued dk)."""
        return next((o for o in self.options if o.missing and o.value == DONT_KNOW), None)

    @cached_property
    def _by_value(self) -> dict[str, Option]:
        return {o.value: o for o in self.options}

    def option(self, value: str) -> Option | None:
        return self._by_value.get(value)

    def score(self, value: str, *, reverse: bool = False) -> float | None:
        """An answer on 0-100, where 100 is always the best; None for missing options."""
        option = self.option(value)
        if option is None or option.missing:
            return None
        fraction = (option.number - self.low) / (self.high - self.low)
        return 100.0 * (1.0 - fraction if reverse else fraction)

    def from_score(self, score: float) -> float:
        """A 0-100 score expressed back on this scale's own numbers (for bands like "4.0+")."""
        return self.low + score / 100.0 * (self.high - self.low)


# How many decimals each kind of figure is printed with: a 0-100 score in whole points, a
# mean on a scale's own numbers to two decimals (3.99 is not 4.00), a total to one (a prorated
# 126.6 is not 127). Bands are read on the figure as printed, so a figure and its band never
# disagree (docs/method.md section 4).
DECIMALS = {"score": 0, "mean": 2, "total": 1}


def rounded(value: float, decimals: int) -> float:
    """The one rounding rule: to `decimals` places, halves up (59.5 is 60, 3.995 is 4.00).
    The rounding to six decimals first absorbs float error (3.995 is 3.99499999... in
    binary)."""
    scale = 10 ** decimals
    return math.floor(round(value * scale, 6) + 0.5) / scale


def whole_points(score: float) -> int:
    """A 0-100 score as every output prints it: the nearest whole number, halves up (59.72
    is 60)."""
    return int(rounded(score, 0))


@dataclass(frozen=True)
class Band:
    label: str
    min: float


@dataclass(frozen=True)
class Bands:
    """Score bands, highest first. basis "score" reads them on 0-100; basis "mean" on the
    numbers of `scale` (so an instrument can say "4.0 and above: strength"); basis "total" on
    a group's total: the sum of a respondent's answers on `scale` over the group's items,
    averaged over respondents (so "127 to 175: genuine collaboration" on 35 items)."""

    levels: tuple[Band, ...]
    basis: str = "score"
    scale: Scale | None = None
    # basis "total": "prorate" (scale a respondent's sum up from the items they answered,
    # when at most max_missing_share of them are missing) or "complete" (every item needed).
    missing: str | None = None
    max_missing_share: float | None = None

    def band(self, score: float | None) -> str | None:
        """The band of a 0-100 score, read on the figure printed for it (whole points, or
        the mean on the scale to two decimals); None on a total basis, which needs the
        group's total."""
        if score is None or self.basis == "total":
            return None
        return self.level(self.shown(self.scale.from_score(score) if self.basis == "mean"
                                     else score))

    def shown(self, value: float) -> float:
        """A figure on this basis as it is printed (and banded): DECIMALS, halves up."""
        return rounded(value, DECIMALS[self.basis])

    def level(self, value: float | None) -> str | None:
        """The band of a number on this basis's own terms (a score, a mean or a total)."""
        if value is None:
            return None
        for level in self.levels:
            # Rounded so 69.99999 from float arithmetic does not fall below a band of 70.
            if round(value, 6) >= level.min:
                return level.label
        return self.levels[-1].label if self.levels else None

    def total(self, answered: Sequence[tuple[float, float]],
              weights: Sequence[float]) -> float | None:
        """One respondent's total over a group whose items have these `weights`, from the
        (value, weight) of each item they answered: the weighted sum, prorated by weight
        when the bands allow it (with every weight 1, sum x items / answered)."""
        missing = len(weights) - len(answered)
        if not answered or (missing and self.missing != "prorate"):
            return None
        if self.max_missing_share is not None and missing / len(weights) > \
                self.max_missing_share:
            return None
        return sum(v * w for v, w in answered) * sum(weights) / sum(w for _, w in answered)


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    scale: Scale
    section_id: str
    source: str
    help: str = ""
    reverse: bool = False
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # How much the item counts in every mean and total it is part of (docs/questionnaires.md).
    weight: float = 1.0
    # A roster item as written: asked once per member of this roster ("partner_agency").
    for_each: str | None = None
    # A roster item's copy for one agency: the template's id, and the agency's key (its
    # id in the database) and name. Its own id is "<template>@<agency key>".
    template: str | None = None
    agency: str | None = None
    agency_name: str | None = None

    def tag(self, key: str) -> tuple[str, ...]:
        return self.tags.get(key, ())

    def has_tag(self, key: str, value: str) -> bool:
        return value in self.tags.get(key, ())

    def score(self, value: str) -> float | None:
        return self.scale.score(value, reverse=self.reverse)

    def for_agency(self, key: str, name: str) -> "Item":
        """This roster item's copy asking about one agency."""
        return dataclasses.replace(
            self, id=roster_item_id(self.id, key), text=self.text.replace(AGENCY, name),
            help=self.help.replace(AGENCY, name), for_each=None, template=self.id,
            agency=key, agency_name=name)

    def value(self, value: str) -> float | None:
        """An answer on the scale's own numbers, the other way up for a reverse item."""
        option = self.scale.option(value)
        if option is None or option.missing:
            return None
        return self.scale.low + self.scale.high - option.number if self.reverse else option.number


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]
    intro: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Links:
    """MAPS's own content a definition asks for, by name: a recommendation library, the
    typology models its tagged facts place the partnership on, and the section of facts
    about how the partnership is set up. Nothing is linked by a matching id."""

    recommendations: str | None = None  # a library id (app/recommendations/library.py)
    typologies: tuple[str, ...] = ()  # model keys (app/scoring/thresholds.TYPOLOGY_TAGS)
    structural_facts: bool = False


@dataclass(frozen=True)
class Scoring:
    """How a definition's groups are scored and shown (docs/questionnaires.md, "Scoring")."""

    # "respondents": each respondent's own mean over a group's items, then the mean of those
    # (every respondent counts equally); "pooled": the mean of every answer to the group's
    # items (every answer counts equally), as some published inventories score a factor.
    group_mean: str = "respondents"
    # "shown": the 0-100 score beside a mean or total; "hidden": the mean or total alone.
    points: str = "shown"


@dataclass(frozen=True)
class Questionnaire:
    key: str
    version: int
    title: str
    scales: Mapping[str, Scale]
    sections: tuple[Section, ...]
    description: str = ""
    source: str = ""
    bands: Bands | None = None
    tag_vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # tag -> value -> label, for values the vocabulary gives a label (the mapping form)
    tag_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # tag -> the bands of its values in place of `bands` (None: its values have no bands)
    tag_bands: Mapping[str, Bands | None] = field(default_factory=dict)
    links: Links = Links()
    scoring: Scoring = Scoring()

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def item(self, item_id: str) -> Item | None:
        return self._items_by_id.get(item_id)

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    @cached_property
    def has_roster(self) -> bool:
        return any(item.for_each for item in self.items)

    @cached_property
    def asks_about_agencies(self) -> bool:
        """Whether it holds roster items' copies, each asking about one partner agency."""
        return any(item.agency is not None for item in self.items)

    def for_roster(self, roster: Sequence[tuple[str, str]], *,
                   own: str | None = None) -> "Questionnaire":
        """The questionnaire as asked in a round: each roster item replaced by its copies for
        the roster's agencies ((key, name) pairs, in order), leaving out the agency `own`
        (the respondent's), which is never asked about itself."""
        if not self.has_roster:
            return self
        return dataclasses.replace(self, sections=tuple(
            dataclasses.replace(section, items=tuple(
                copy for item in section.items
                for copy in ([item] if not item.for_each else
                             [item.for_agency(key, name) for key, name in roster
                              if key != own])))
            for section in self.sections))

    def without_roster(self) -> "Questionnaire":
        """The questionnaire without its roster items (as written or as copies): their
        ratings of each agency are published only in the collaboration map, never scored
        (docs/privacy.md, rule 7)."""
        if not any(i.for_each or i.template for i in self.items):
            return self
        return dataclasses.replace(self, sections=tuple(
            kept for section in self.sections
            if (kept := dataclasses.replace(section, items=tuple(
                i for i in section.items if not (i.for_each or i.template)))).items))

    def with_part(self, part: "Questionnaire | None") -> "Questionnaire":
        """This questionnaire with another's sections after its own, as a respondent answers
        a round with an optional part (the scores read each questionnaire on its own)."""
        if part is None:
            return self
        return dataclasses.replace(self, sections=self.sections + part.sections,
                                   scales={**part.scales, **self.scales})

    def tagged(self, key: str, value: str | None = None) -> Iterator[Item]:
        for item in self.items:
            if key in item.tags and (value is None or value in item.tags[key]):
                yield item

    def tag_label(self, key: str, value: str) -> str:
        """A tag value's label from the vocabulary, else its id made readable."""
        label = self.tag_labels.get(key, {}).get(value)
        return label or value.replace("_", " ").strip().capitalize()

    def bands_for(self, tag: str) -> Bands | None:
        """The bands a tag's values are read against."""
        return self.tag_bands.get(tag, self.bands)

    def measure_for(self, tag: str) -> Bands | None:
        """The bands whose basis a tag's figures are given on: its own, else the
        definition's (a tag with `null` bands is still a mean or a total, without a band);
        None: a 0-100 score."""
        return self.tag_bands.get(tag) or self.bands

    def tag_values(self, key: str) -> tuple[str, ...]:
        """The values of a tag in vocabulary order, else in order of first use."""
        used = dict.fromkeys(v for item in self.tagged(key) for v in item.tag(key))
        declared = [v for v in self.tag_vocabulary.get(key, ()) if v in used]
        return tuple(declared + [v for v in used if v not in declared])

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "scales": {
                s.id: [
                    {"value": o.value, "label": o.label, "missing": o.missing,
                     "description": o.description} for o in s.options
                ]
                for s in self.scales.values()
            },
            "bands": _bands_dict(self.bands),
            "tag_bands": {tag: _bands_dict(b) for tag, b in self.tag_bands.items()},
            "tag_vocabulary": {tag: {v: self.tag_label(tag, v) for v in values}
                               for tag, values in self.tag_vocabulary.items()},
            "scoring": dataclasses.asdict(self.scoring),
            "links": {**dataclasses.asdict(self.links),
                      "typologies": list(self.links.typologies)},
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "intro": s.intro,
                    "optional": s.optional,
                    "items": [
                        {
                            "id": i.id,
                            "text": i.text,
                            "help": i.help,
                            "scale": i.scale.id,
                            "reverse": i.reverse,
                            "tags": {k: list(v) for k, v in i.tags.items()},
                            "source": i.source,
                            "for_each": i.for_each,
                            "weight": i.weight,
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }


def _bands_dict(bands: Bands | None) -> dict[str, Any] | None:
    if bands is None:
        return None
    return {"basis": bands.basis, "scale": bands.scale.id if bands.scale else None,
            "missing": bands.missing, "max_missing_share": bands.max_missing_share,
            "levels": [{"label": b.label, "min": b.min} for b in bands.levels]}
