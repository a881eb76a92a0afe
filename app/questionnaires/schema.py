"""The shape of a questionnaire definition: scales, bands, sections and items, as frozen data."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

DONT_KNOW = "dk"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    missing: bool = False  # "don't know" / "not applicable": excluded from scores

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


@dataclass(frozen=True)
class Band:
    label: str
    min: float


@dataclass(frozen=True)
class Bands:
    """Score bands, highest first. basis "score" reads them on 0-100; basis "mean" on the
    numbers of `scale` (so an instrument can say "4.0 and above: strength")."""

    levels: tuple[Band, ...]
    basis: str = "score"
    scale: Scale | None = None

    def band(self, score: float | None) -> str | None:
        if score is None:
            return None
        value = self.scale.from_score(score) if self.basis == "mean" and self.scale else score
        for level in self.levels:
            # Rounded so 69.99999 from float arithmetic does not fall below a band of 70.
            if round(value, 6) >= level.min:
                return level.label
        return self.levels[-1].label if self.levels else None


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

    def tag(self, key: str) -> tuple[str, ...]:
        return self.tags.get(key, ())

    def has_tag(self, key: str, value: str) -> bool:
        return value in self.tags.get(key, ())

    def score(self, value: str) -> float | None:
        return self.scale.score(value, reverse=self.reverse)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]
    intro: str = ""
    optional: bool = False


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

    def tagged(self, key: str, value: str | None = None) -> Iterator[Item]:
        for item in self.items:
            if key in item.tags and (value is None or value in item.tags[key]):
                yield item

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
                    {"value": o.value, "label": o.label, "missing": o.missing} for o in s.options
                ]
                for s in self.scales.values()
            },
            "bands": None
            if self.bands is None
            else {
                "basis": self.bands.basis,
                "scale": self.bands.scale.id if self.bands.scale else None,
                "levels": [{"label": b.label, "min": b.min} for b in self.bands.levels],
            },
            "tag_vocabulary": {k: list(v) for k, v in self.tag_vocabulary.items()},
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
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }
