"""The questionnaire definition format as pydantic models: they check a parsed file, rule by
rule, and give the format's JSON Schema (docs/questionnaire.schema.json).

Checks that need another part of the file (an item's scale, its tags against the vocabulary,
duplicate ids, bands against the range of their scale) read what was validated before them
from the validation context: pydantic validates a model's fields in the order they are
declared, so `scales` and `tag_vocabulary` come before `bands` and `sections`. A part that is
itself broken is recorded as unknown, so it is reported once and not again by everything that
refers to it. Use `validate_definition`, which sets the context up."""

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.characters import described, first_refused
from app.recommendations.library import LIBRARIES, library_named
from app.scoring.thresholds import AGAINST_SUFFIX, MARKER_PARTS, SCORED_TAGS, TYPOLOGY_TAGS

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
ITEM_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SECTION_ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
# What each pattern means, for the error message when a value does not match it.
PATTERN_HELP = {
    KEY_PATTERN: "lowercase letters, digits and hyphens",
    ITEM_ID_PATTERN: "lowercase letters, digits and '_', starting with a letter",
    SECTION_ID_PATTERN: "lowercase letters, digits, '-' or '_', starting with a letter",
}
# What a roster item is asked about, one copy per member: the round's partner agencies (the
# partnership's agencies when the round opened), never the respondent's own.
ROSTERS = ("partner_agency",)
AGENCY_FIELD = "{agency}"  # where a roster item's text names the agency it asks about
# A roster item's answers are stored under "<id>@<agency>" (app/questionnaires/schema.py),
# in at most 64 characters (app/models.py): this leaves room for the agency's key.
ROSTER_ID_LENGTH = 48
SCORE_RANGE = (0.0, 100.0)
# Rounds store the version in a 32-bit integer column, as the database stores every number.
MAX_VERSION = 2**31 - 1
# MAPS's own limit on the questions a definition may hold (docs/questionnaires.md): more than
# three times the 137 of the largest built-in instrument, and at the ten seconds a question
# that respondents are told to allow (timing.py), about 85 minutes, longer than any board
# member gives a self-audit. Past it, every page that reads the definition slows for everyone
# (an 18,000-question upload took 11 s, and the questionnaires page 10.6 s after it).
MAX_ITEMS = 500
# Two step sizes closer than this are equal (YAML numbers such as 0.1 are not exact in binary).
SPACING_TOLERANCE = 1e-9


# --- Reporting several problems at once ----------------------------------------------------

def problem(message: str) -> PydanticCustomError:
    """One problem at the place being validated; the message is shown as written (with no
    context to format, pydantic leaves braces such as {agency} alone: escaping them would
    print them doubled)."""
    return PydanticCustomError("maps", message)


def raise_problems(found: list[tuple[tuple, str]]) -> None:
    """Report every (place, message) found, each at its own place below the one validated."""
    if found:
        raise ValidationError.from_exception_data("definition", [
            InitErrorDetails(type=problem(message), loc=loc, input=None)
            for loc, message in found])


def _repeated(values: list) -> list[tuple[int, int]]:
    """(position, position of its first appearance) for each value that appeared before."""
    first: dict = {}
    for index, value in enumerate(values):
        first.setdefault(value, index)
    return [(index, first[value]) for index, value in enumerate(values) if first[value] != index]


# --- Values ----------------------------------------------------------------------------------

def canonical(value: Any) -> str:
    """One spelling per value, so a form posting "4" matches a YAML 4 or 4.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _scalar(*, booleans: bool):
    def check(value: Any) -> str:
        if value is None or isinstance(value, dict | list) or (
                isinstance(value, bool) and not booleans):
            raise problem("needs a value: a number or a word")
        if not isinstance(value, str | int | float):
            raise problem(f"{value!r} is not a number or a word")
        return canonical(value)
    return check


def _kept_characters(value: str) -> str:
    """Text MAPS can show and export: no hidden characters or non-characters, which YAML's
    escapes ("\\uFFFF") can write (app/characters.py); line breaks are fine."""
    if found := first_refused(value, multiline=True):
        # Named by the loader with the field it is in: "'text' contains ...".
        raise PydanticCustomError("maps_field", "contains {what}, which MAPS cannot keep",
                                  {"what": described(found)})
    return value


Kept = AfterValidator(_kept_characters)
# An option's value: a number for scored options, a word (or number) for missing ones.
# Answers are stored as the option's value, in at most 32 characters (app/models.py).
OptionValue = Annotated[str, BeforeValidator(_scalar(booleans=False),
                                             json_schema_input_type=str | int | float),
                        Field(max_length=32), Kept]
# A tag value: any scalar; files have always been free to write `gaster: 3` for "3".
TagValue = Annotated[str, BeforeValidator(_scalar(booleans=True),
                                          json_schema_input_type=str | int | float | bool),
                     Kept]
Text = Annotated[str, Field(min_length=1), Kept]


def _empty_is_blank(value: Any) -> Any:
    return "" if value is None else value


OptionalText = Annotated[str, BeforeValidator(_empty_is_blank,
                                              json_schema_input_type=str | None), Kept]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Weight = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Flag = Annotated[bool, Field(strict=True)]


def _one_or_many(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


TagValues = Annotated[list[TagValue], BeforeValidator(
    _one_or_many, json_schema_input_type=str | int | float | bool | list[str | int | float | bool])]


def _vocabulary_mapping(value: Any) -> Any:
    """The list form `[a, b]` read as the mapping form `{a: "", b: ""}` (no labels given)."""
    if isinstance(value, list):
        if not all(isinstance(v, str | int | float) for v in value):
            raise problem("each value in the list must be a number or a word")
        return {canonical(v): "" for v in value}
    if isinstance(value, dict):
        return {canonical(k) if isinstance(k, str | int | float) else k: v
                for k, v in value.items()}
    raise problem("needs a list of allowed values, or a mapping of value: label")


Vocabulary = Annotated[
    dict[str, OptionalText],
    BeforeValidator(_vocabulary_mapping,
                    json_schema_input_type=Annotated[list[str | int | float | bool],
                                                     Field(min_length=1)]
                    | Annotated[dict[str, str], Field(min_length=1)]),
    Field(min_length=1),
]


class Spec(BaseModel):
    """A part of a definition: unknown fields are errors (a misspelt `revrese` is reported)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              coerce_numbers_to_str=True, frozen=True)
    what: ClassVar[str]  # how error messages name this part


# --- Scales ----------------------------------------------------------------------------------

class OptionSpec(Spec):
    """One answer option. Scored options have numbers; `missing: true` marks "Don't know" or
    "Not applicable", which are left out of every score."""

    what: ClassVar[str] = "an option"
    value: OptionValue
    label: Text
    description: OptionalText = Field("", description=(
        "What the option means, in a sentence: shown once above a roster item's questions"))
    missing: Flag = False

    @model_validator(mode="after")
    def scored_options_are_numbers(self):
        if self.missing:
            return self
        try:
            number = float(self.value)
        except ValueError:
            raise problem(f"option '{self.label}' has value '{self.value}': scored options "
                          "need numbers (mark don't-know options 'missing: true')") from None
        if not math.isfinite(number):
            raise problem(f"option '{self.label}' needs a finite number, not {self.value}")
        return self

    @property
    def number(self) -> float | None:
        return None if self.missing else float(self.value)


class ScaleSpec(Spec):
    """A named answer scale, reused by items: scored options from lowest to highest value,
    evenly spaced, then any missing options."""

    what: ClassVar[str] = "a scale"
    options: list[OptionSpec]

    @model_validator(mode="after")
    def options_make_a_scale(self):
        found = []
        for field, keys in (("value", [o.value for o in self.options]),
                            ("label", [o.label.casefold() for o in self.options])):
            found.extend((("options", index),
                          f"option {field} '{getattr(self.options[index], field)}' is used "
                          f"twice (options {first + 1} and {index + 1})")
                         for index, first in _repeated(keys))
        numbers = [o.number for o in self.options if not o.missing]
        if found:
            pass  # order and spacing mean nothing until each value is there once
        elif len(numbers) < 2:
            found.append(((), "needs at least two scored (not missing) options"))
        elif numbers != sorted(numbers):
            found.append(((), "scored options must be listed from lowest to highest value"))
        else:
            found.extend(((), message) for message in _spacing_problems(numbers))
        raise_problems(found)
        return self

    @property
    def low(self) -> float:
        return min(o.number for o in self.options if not o.missing)

    @property
    def high(self) -> float:
        return max(o.number for o in self.options if not o.missing)


def _spacing_problems(numbers: list[float]) -> list[str]:
    """A scale's scores are read as evenly spaced (docs/method.md section 2): a gap, such as
    1, 2, 4, 5 with no 3, would make 4 count as three quarters of the way up."""
    steps = [b - a for a, b in zip(numbers, numbers[1:], strict=False)]
    step = min(steps)
    if all(abs(s - step) <= SPACING_TOLERANCE * max(1.0, abs(step)) for s in steps):
        return []
    shown = ", ".join(canonical(n) for n in numbers)
    wide = next(i for i, s in enumerate(steps) if s - step > SPACING_TOLERANCE)
    return [f"scored values {shown} are not evenly spaced: there is a gap between "
            f"{canonical(numbers[wide])} and {canonical(numbers[wide + 1])}. Add the missing "
            "option, or number the options 1, 2, 3 ... in order"]


# --- Bands -----------------------------------------------------------------------------------

class LevelSpec(Spec):
    what: ClassVar[str] = "a band level"
    label: Text
    min: Number = Field(description="The lowest score, mean or total in this band")


class BandsSpec(Spec):
    """Score bands, highest first. `basis` says what their numbers are read on: `score`
    (0-100, the default), `mean` (a group's mean on `scale`) or `total` (the sum of a
    respondent's answers on `scale` over a group's items, averaged over respondents)."""

    what: ClassVar[str] = "bands"
    basis: Literal["score", "mean", "total"] = "score"
    scale: str | None = Field(None, description="The scale a mean or total is on")
    missing: Literal["prorate", "complete"] | None = Field(None, description=(
        "basis total only, and required there: how a respondent who left items of a group "
        "unanswered (or answered don't know) gets a total. 'prorate': the sum of their "
        "answers times items / answered; 'complete': no total unless every item is answered"))
    max_missing_share: Annotated[float, Field(ge=0, lt=1, strict=True)] | None = Field(
        None, description=("basis total with missing: prorate: the largest share of a "
                           "group's items a respondent may leave out and still get a total"))
    levels: Annotated[list[LevelSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def levels_and_basis_agree(self):
        found = []
        mins = [level.min for level in self.levels]
        if mins != sorted(mins, reverse=True):
            found.append(((), "levels must be listed from the highest min to the lowest"))
        for field in ("min", "label"):
            values = [getattr(level, field) for level in self.levels]
            found.extend((("levels", index), f"two levels have the {field} {values[index]}")
                         for index, _ in _repeated(values))
        if self.basis in ("mean", "total") and self.scale is None:
            found.append(((), f"basis '{self.basis}' needs the 'scale' its numbers are on"))
        if self.basis == "total" and self.missing is None:
            found.append(((), "basis 'total' needs 'missing': 'prorate' (a respondent's total "
                              "is scaled up from the items they answered) or 'complete' (only "
                              "respondents who answered every item get a total)"))
        if self.basis != "total" and self.missing is not None:
            found.append((("missing",), "'missing' is only for basis 'total'"))
        if self.max_missing_share is not None and self.missing != "prorate":
            found.append((("max_missing_share",), "'max_missing_share' is only for basis "
                                                  "'total' with missing: prorate"))
        raise_problems(found)
        return self


def _range_problems(levels: list[LevelSpec], low: float, high: float,
                    what: str) -> list[tuple[tuple, str]]:
    """Every level must be reachable: a min above the range can never be met, and a level
    whose min is at or below the bottom of the range leaves the levels after it empty."""
    found = []
    for index, level in enumerate(levels):
        if round(level.min, 6) > high:
            found.append((("levels", index),
                          f"level '{level.label}' has min {canonical(level.min)}, above the "
                          f"highest possible {what} ({canonical(high)})"))
        elif index < len(levels) - 1 and round(level.min, 6) <= low:
            found.append((("levels", index),
                          f"level '{level.label}' has min {canonical(level.min)}, at or below "
                          f"the lowest possible {what} ({canonical(low)}), so the levels after "
                          "it can never be reached"))
    return found


# --- Sections and items ----------------------------------------------------------------------

def _context(info: ValidationInfo) -> dict:
    return info.context if isinstance(info.context, dict) else {}


class ItemSpec(Spec):
    """One question: a statement answered on a scale. Its id is stable across versions and
    wording; answers are stored under it."""

    what: ClassVar[str] = "an item"
    id: Annotated[str, Field(pattern=ITEM_ID_PATTERN, max_length=64)]  # as answers store it
    text: Text
    help: OptionalText = ""
    scale: Text
    reverse: Flag = Field(False, description="A challenge statement: agreeing is unfavourable")
    tags: dict[str, TagValues] | None = None
    source: Text = Field(description="Where the item comes from")
    weight: Weight = Field(1.0, description=(
        "How much the item counts in every mean and total it is part of (default 1): an item "
        "of weight 2 counts as two answers, 0.5 as half of one"))
    for_each: Literal[ROSTERS] | None = Field(None, description=(
        "A roster item: asked once for each partner agency of the round (never the "
        "respondent's own), its text naming the agency as {agency}"))

    @model_validator(mode="after")
    def roster_names_its_agency(self):
        found = []
        if self.for_each and AGENCY_FIELD not in self.text:
            found.append((("text",), f"a roster item (for_each: {self.for_each}) names the "
                                     f"agency it asks about in its text as {AGENCY_FIELD}"))
        if not self.for_each and AGENCY_FIELD in self.text + self.help:
            found.append((("for_each",), f"the text names {AGENCY_FIELD}, which only a roster "
                                         "item has: add 'for_each: partner_agency'"))
        if self.for_each and len(self.id) > ROSTER_ID_LENGTH:
            found.append((("id",), f"a roster item's id must be at most {ROSTER_ID_LENGTH} "
                                   "characters (its answers are stored under the id and the "
                                   "agency)"))
        raise_problems(found)
        return self

    @field_validator("id")
    @classmethod
    def id_is_unique(cls, value: str, info: ValidationInfo) -> str:
        seen = _context(info).setdefault("item_ids", set())
        if value in seen:
            raise problem("duplicate item id")
        seen.add(value)
        return value

    @field_validator("scale")
    @classmethod
    def scale_is_defined(cls, value: str, info: ValidationInfo) -> str:
        scales = _context(info).get("scales")
        if scales is not None and value not in scales:
            raise problem(f"unknown scale '{value}' (defined: {', '.join(scales) or 'none'})")
        return value

    @field_validator("tags")
    @classmethod
    def tags_are_declared(cls, tags: dict[str, list[str]] | None, info: ValidationInfo):
        vocabulary = _context(info).get("vocabulary")
        if not tags or not vocabulary:
            return tags
        found = []
        for name, values in tags.items():
            if name not in vocabulary:
                found.append(((name,), f"unknown tag '{name}' (declared: "
                                       f"{', '.join(vocabulary)})"))
                continue
            for value in values:
                if vocabulary[name] is not None and value not in vocabulary[name]:
                    found.append(((name,), f"unknown value '{value}' for tag '{name}' "
                                           f"(allowed: {', '.join(vocabulary[name])})"))
        raise_problems(found)
        return tags


class SectionSpec(Spec):
    """A page of items for respondents."""

    what: ClassVar[str] = "a section"
    id: Annotated[str, Field(pattern=SECTION_ID_PATTERN)]
    title: Text
    intro: OptionalText = ""
    optional: Flag = Field(False, description="Not counted as unanswered at review")
    items: Annotated[list[ItemSpec], Field(min_length=1)]

    @field_validator("id")
    @classmethod
    def id_is_unique(cls, value: str, info: ValidationInfo) -> str:
        seen = _context(info).setdefault("section_ids", set())
        if value in seen:
            raise problem(f"duplicate section id '{value}'")
        seen.add(value)
        return value


# --- How groups are scored, and MAPS's own content a definition asks for ----------------------

class ScoringSpec(Spec):
    """How a definition's groups (factors, areas, the whole) are scored and shown."""

    what: ClassVar[str] = "scoring"
    group_mean: Literal["respondents", "pooled"] = Field("respondents", description=(
        "'respondents' (the default): each respondent's own mean over a group's items, then "
        "the mean of those, so every respondent counts equally; 'pooled': the mean of every "
        "answer to the group's items, so every answer counts equally"))
    points: Literal["shown", "hidden"] = Field("shown", description=(
        "With bands on a mean or a total, which is then the headline figure: 'shown' (the "
        "default) gives the 0-100 score beside it, 'hidden' leaves it out"))


class LinksSpec(Spec):
    """MAPS's own content this definition asks for, each by name: none is added because an
    item's tag happens to match it."""

    what: ClassVar[str] = "links"
    recommendations: Literal[LIBRARIES] | None = Field(None, description=(
        "A recommendation library whose strategies are matched to this definition's factor "
        "scores (its factor ids must be the library's)"))
    typologies: list[Literal[TYPOLOGY_TAGS]] = Field(default_factory=list, description=(
        "Typology models the partnership is placed on, from the items tagged with each"))
    structural_facts: Flag = Field(False, description=(
        "Report the facts about how the partnership is set up (items tagged part: structure) "
        "on which members disagree"))

    @field_validator("typologies")
    @classmethod
    def each_model_once(cls, models: list[str]) -> list[str]:
        raise_problems([((index,), f"typology '{models[index]}' is listed twice")
                        for index, _ in _repeated(models)])
        return models


# --- The whole definition --------------------------------------------------------------------

class DefinitionSpec(Spec):
    """A MAPS questionnaire definition (an instrument): its scales, bands, tags and the
    sections of items respondents answer. `maps questionnaire validate FILE` checks one."""

    model_config = ConfigDict(title="MAPS questionnaire definition")
    what: ClassVar[str] = "the definition"
    key: Annotated[str, Field(pattern=KEY_PATTERN, max_length=100, description=(
        "Names the instrument in every version; rounds keep the key and version they used"))]
    version: Annotated[int, Field(strict=True, ge=1, le=MAX_VERSION)]
    title: Text
    description: OptionalText = Field("", description="Shown to respondents")
    source: OptionalText = Field("", description="Where the instrument comes from")
    scales: Annotated[dict[str, ScaleSpec], Field(min_length=1)]
    tag_vocabulary: dict[str, Vocabulary] | None = Field(None, description=(
        "The tags items may carry and their values: a list of values, or a mapping of "
        "value: label. When present, every tag an item uses must be declared here"))
    bands: BandsSpec | None = Field(None, description=(
        "Bands for item, tag and overall scores (basis total: for tag and overall totals)"))
    tag_bands: dict[str, BandsSpec | None] | None = Field(None, description=(
        "Bands for the values of one tag in place of `bands`; null: no bands for that tag"))
    sections: Annotated[list[SectionSpec], Field(min_length=1)]
    scoring: ScoringSpec = Field(default_factory=ScoringSpec, description=(
        "How groups are scored: the group mean rule and whether the 0-100 score is shown"))
    links: LinksSpec = Field(default_factory=LinksSpec, description=(
        "MAPS's own content the report adds for this definition: a recommendation library, "
        "typology placements, the section of disputed structural facts"))

    @field_validator("scales", mode="wrap")
    @classmethod
    def keep_scales(cls, value: Any, handler, info: ValidationInfo):
        return _keep_for_later("scales", ScaleSpec, value, handler, info)

    @field_validator("tag_vocabulary", mode="wrap")
    @classmethod
    def keep_vocabulary(cls, value: Any, handler, info: ValidationInfo):
        return _keep_for_later("vocabulary", Vocabulary, value, handler, info, shape=list)

    @field_validator("bands")
    @classmethod
    def bands_fit_their_scale(cls, bands: BandsSpec | None, info: ValidationInfo):
        raise_problems(_scale_problems(bands, _context(info).get("scales")))
        return bands

    @field_validator("tag_bands")
    @classmethod
    def tag_bands_fit_their_scale(cls, tag_bands: dict | None, info: ValidationInfo):
        context = _context(info)
        vocabulary = context.get("vocabulary")
        found = []
        for tag, bands in (tag_bands or {}).items():
            if tag not in SCORED_TAGS:
                found.append(((tag,), f"tag '{tag}' gets no scores, so it has no bands "
                                      f"(scored tags: {', '.join(SCORED_TAGS)})"))
            elif vocabulary and tag not in vocabulary:
                found.append(((tag,), f"tag '{tag}' is not in tag_vocabulary"))
            found.extend(((tag, *loc), message)
                         for loc, message in _scale_problems(bands, context.get("scales")))
        raise_problems(found)
        return tag_bands

    @model_validator(mode="after")
    def totals_fit_their_groups(self):
        """Bands on totals are checked against each group they band, once every item is
        known: the range of a total depends on how many items the group has (and their
        weights)."""
        found = []
        scored = [i for s in self.sections for i in s.items
                  if not any(part in _tag(i, "part") for part in MARKER_PARTS)]
        if self.bands is not None and self.bands.basis == "total":
            found.extend((("bands", *loc), message) for loc, message
                         in _total_problems(self.bands, self.scales, {"the overall": scored}))
        for tag in SCORED_TAGS:
            bands = (self.tag_bands or {}).get(tag, self.bands)
            if bands is None or bands.basis != "total":
                continue
            groups = {}
            for item in scored:
                for value in _tag(item, tag):
                    groups.setdefault(f"{tag} '{value}'", []).append(item)
            if tag in (self.tag_bands or {}):
                found.extend((("tag_bands", tag, *loc), message) for loc, message
                             in _total_problems(bands, self.scales, groups))
            elif unfit := {name: problems for name, items in groups.items()
                           if (problems := _total_problems(bands, self.scales,
                                                           {name: items}))}:
                found.append((("bands",), _without_tag_bands(tag, len(groups), unfit)))
        raise_problems(found)
        return self

    @model_validator(mode="after")
    def links_have_what_they_read(self):
        """Each link names content this definition can feed: a library addressing some of
        its factors, a model some item is tagged with, structural facts to report."""
        found = []
        items = [i for s in self.sections for i in s.items]
        library = self.links.recommendations
        factors = {v for i in items for v in _tag(i, "factor")}
        if library and not factors & library_named(library).factors:
            found.append((("links", "recommendations"), (
                f"library '{library}' has strategies only for its own factors "
                f"({', '.join(sorted(library_named(library).factors))}), and no item is "
                "tagged with any of them: tag the items with those factor ids, or leave the "
                "library out")))
        for index, model in enumerate(self.links.typologies):
            if not any(_tag(i, model) or _tag(i, model + AGAINST_SUFFIX) for i in items):
                found.append((("links", "typologies", index), (
                    f"typology '{model}' is linked, but no item is tagged '{model}' (or "
                    f"'{model}{AGAINST_SUFFIX}'): tag the facts that place the partnership "
                    "on it, or leave it out")))
        if self.links.structural_facts and not any("structure" in _tag(i, "part")
                                                   for i in items):
            found.append((("links", "structural_facts"), (
                "structural_facts is true, but no item is tagged 'part: structure': tag the "
                "facts about how the partnership is set up, or leave it out")))
        if self.scoring.points == "hidden" and (self.bands is None or
                                                self.bands.basis == "score"):
            found.append((("scoring", "points"), (
                "points: hidden leaves nothing to show: without bands on a mean or a total, "
                "the 0-100 score is the only figure")))
        raise_problems(found)
        return self


def _without_tag_bands(tag: str, values: int, unfit: dict[str, list]) -> str:
    """One message for a tag whose values the definition's bands on the overall total
    cannot band (each value's total has a smaller range), rather than one per value."""
    first = next(iter(unfit.values()))[0][1]
    how_many = f"all {values}" if len(unfit) == values else f"{len(unfit)} of the {values}"
    return (f"these bands are read on the total of each {tag} too, and {how_many} {tag} "
            f"values cannot be banded on them (for one, {first}). Give '{tag}' bands of its "
            f"own under tag_bands, on the range of its totals, or write '{tag}: null' under "
            "tag_bands for no bands")


def _keep_for_later(name: str, kind: Any, value: Any, handler, info: ValidationInfo, *,
                    shape=lambda part: part):
    """Validate a mapping of parts (scales, tags) and keep them in the context for the checks
    that refer to them. A part that is declared but broken is kept as None: its own errors say
    what is wrong, and what refers to it stays quiet."""
    context = _context(info)
    try:
        validated = handler(value)
    except ValidationError:
        if isinstance(value, dict):
            context[name] = {str(key): None if (part := _valid_or_none(kind, raw)) is None
                             else shape(part) for key, raw in value.items()}
        raise
    context[name] = {key: shape(part) for key, part in (validated or {}).items()}
    return validated


def _tag(item: ItemSpec, name: str) -> list[str]:
    return (item.tags or {}).get(name, [])


def _valid_or_none(kind: Any, value: Any) -> Any:
    try:
        return TypeAdapter(kind).validate_python(value, context={})
    except ValidationError:
        return None


def _scale_problems(bands: BandsSpec | None,
                    scales: dict[str, ScaleSpec | None] | None) -> list[tuple[tuple, str]]:
    if bands is None:
        return []
    if bands.basis == "score":
        return _range_problems(bands.levels, *SCORE_RANGE, "score")
    if scales is None or bands.scale is None:
        return []  # no scales to check against: their own errors are reported
    if bands.scale not in scales:
        return [(("scale",), f"unknown scale '{bands.scale}' (defined: {', '.join(scales)})")]
    scale = scales[bands.scale]
    if scale is None or bands.basis != "mean":
        return []  # a broken scale is reported once; totals are checked per group
    return _range_problems(bands.levels, scale.low, scale.high, f"mean on '{bands.scale}'")


def _total_problems(bands: BandsSpec, scales: dict[str, ScaleSpec],
                    groups: dict[str, list[ItemSpec]]) -> list[tuple[tuple, str]]:
    scale = scales.get(bands.scale or "")
    if scale is None:
        return []  # reported as an unknown scale
    found = []
    for name, items in groups.items():
        others = sorted({i.scale for i in items if i.scale != bands.scale})
        if others:
            found.append(((), f"{name} has items on scale {', '.join(others)}: a total is "
                              f"a sum of answers on one scale ('{bands.scale}')"))
            continue
        weight = sum(i.weight for i in items)
        counted = f"{len(items)} items" + ("" if weight == len(items)
                                           else f" weighing {canonical(weight)}")
        found.extend(_range_problems(bands.levels, scale.low * weight, scale.high * weight,
                                     f"total of {name} ({counted})"))
    return found


def validate_definition(document: Any) -> DefinitionSpec:
    """Check a parsed definition; raises pydantic's ValidationError listing every problem."""
    return DefinitionSpec.model_validate(document, context={})


def json_schema() -> dict:
    """The format as a JSON Schema, for editors and for docs/questionnaire.schema.json. It
    checks the shape of a file; `maps questionnaire validate` also checks what refers to what
    (an item's scale, tags against the vocabulary, bands against their scale)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **DefinitionSpec.model_json_schema()}
