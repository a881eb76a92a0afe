"""Reading questionnaire definitions: each file checked against the format (app/questionnaires/
format.py), every error reported with its file and line, and the catalogue of instruments."""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from app.questionnaires import format as spec
from app.questionnaires.schema import (
    Band,
    Bands,
    Item,
    Links,
    Option,
    Questionnaire,
    Scale,
    Scoring,
    Section,
)
from app.questionnaires.yaml_reader import Document, read_yaml

HERE = Path(__file__).resolve().parent
CORE_KEY = "multi-agency-working"  # the default choice when a round is opened
# The Levels of Collaboration Scale, which a core-instrument round may ask as an optional part.
COLLABORATION_KEY = "levels-of-collaboration"
MAX_FILE_BYTES = 2_000_000
BUILT_IN = "built in"  # the origin of the instruments shipped in this directory
TOO_LARGE = (f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB, the most MAPS reads "
             "for one definition (the largest built in is under 100 KB). Check "
             "that it is the definition itself, as YAML text, not a document or a spreadsheet "
             "holding it")


@dataclass(frozen=True)
class DefinitionError:
    file: str
    line: int | None
    item: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: " + (f"item {self.item}: " if self.item else "") + self.message


class InvalidQuestionnaire(Exception):
    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def parse(text: str, file: str = "<string>") -> Questionnaire:
    """Build a questionnaire from YAML text, or raise InvalidQuestionnaire listing every error.

    The same text gives the same questionnaire, a frozen value, so one parse serves every
    request that reads it (a round's kept definition is read for each of its pages, and the
    catalogue for each app): the YAML reader is pure Python, a tenth of a second for the core
    instrument. Errors are not kept: a bad file is reported afresh each time."""
    return _parse(text, file)


@lru_cache(maxsize=16)
def _parse(text: str, file: str) -> Questionnaire:
    def fail(message: str, line: int | None = None) -> InvalidQuestionnaire:
        return InvalidQuestionnaire([DefinitionError(file, line, None, message)])

    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise fail(TOO_LARGE)
    try:
        document = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if "'\\t'" in problem and mark is not None:
            raise fail(_tab_problem(text, mark.line, mark.column), mark.line + 1) from None
        raise fail(f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except RecursionError:
        raise fail("not valid YAML: nested too deeply") from None
    if not isinstance(document.data, dict):
        raise fail("the file must be a mapping with key, version, title, scales and sections")
    if (count := _item_count(document.data)) > spec.MAX_ITEMS:
        raise fail(f"the definition has {count:,} questions; a definition may have at most "
                   f"{spec.MAX_ITEMS}. Split it into several instruments")
    errors = [DefinitionError(file, line, None, message)
              for line, message in document.duplicates]
    try:
        validated = spec.validate_definition(document.data)
    except ValidationError as exc:
        errors += [_error(file, document, e) for e in exc.errors(include_url=False)]
        validated = None
    if errors:
        raise InvalidQuestionnaire(sorted(errors, key=lambda e: e.line or 0))
    return _build(validated)


def _tab_problem(text: str, line: int, column: int) -> str:
    """What the YAML reader's "found character '\\t' that cannot start any token" means."""
    before = text.splitlines()[line][:column] if line < len(text.splitlines()) else ""
    where = ("is indented with a tab" if not before.strip()
             else f"has a tab after “{before.strip()[-20:]}”")
    return (f"this line {where}: YAML allows only spaces there. Replace the tab with spaces "
            "(to indent, as many as the lines around it use)")
def _item_count(data: dict) -> int:
    """The items a parsed file lists, counted before the format is checked: a file with far
    too many is refused without spending seconds checking each of them."""
    sections = data.get("sections")
    if not isinstance(sections, list):
        return 0
    return sum(len(section["items"]) for section in sections
               if isinstance(section, dict) and isinstance(section.get("items"), list))


def load_file(path: str | Path) -> Questionnaire:
    return parse(read_text(path), str(path))


def read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidQuestionnaire([DefinitionError(str(path), None, None,
                                                    f"cannot read file: {exc.strerror}")]
                                   ) from None
    return decode(data, str(path))


def decode(data: bytes, file: str) -> str:
    """A definition's bytes as text: UTF-8 (a byte-order mark is dropped), or
    InvalidQuestionnaire saying in plain words where it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidQuestionnaire([DefinitionError(file, line, None, (
            "this line has a character that is not UTF-8 text, the encoding MAPS reads "
            "(often a letter such as é or a curly quote saved by a program using another "
            "encoding, such as Windows-1252). Save the file as UTF-8 (in most editors: Save "
            "As, Encoding: UTF-8) and try again"))]) from None


# --- Errors, in words and with their line ----------------------------------------------------

KINDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number",
         list: "a list", dict: "a mapping", type(None): "empty"}
EXPECTED = {
    "string_type": "text", "bool_type": "true or false", "int_type": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "list_type": "a list",
    "finite_number": "a finite number",
}


NAMED = {"scales": "scale", "tag_vocabulary": "tag_vocabulary", "tag_bands": "tag_bands"}


def _error(file: str, document: Document, error: dict) -> DefinitionError:
    loc = tuple(step for step in error["loc"] if step != "[key]")
    item, prefix = _whereabouts(document, loc)
    name = f"'{loc[-1]}'" if loc and isinstance(loc[-1], str) else "each entry"
    if error["type"] != "maps" and (loc == ("bands",) or (len(loc) == 2 and loc[0] in NAMED)):
        # The error is about the named part itself: "scale 'yn' must be a mapping".
        prefix, name = "", "'bands'" if loc == ("bands",) else f"{NAMED[loc[0]]} '{loc[1]}'"
    return DefinitionError(file, document.line_of(loc), item,
                           prefix + _message(error, loc, name))


def _message(error: dict, loc: tuple, name: str) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "maps":
        return error["msg"]
    if kind == "maps_field":
        return f"{name} {error['msg']}"
    if kind == "missing":
        return f"{name} is missing"
    if kind == "string_too_short" or (kind == "string_type" and given is None):
        return f"{name} is missing or empty"
    if kind == "too_short":
        return f"{name} must not be empty"
    if kind in ("string_too_long", "too_long"):
        unit = "characters long" if isinstance(given, str) else "entries"
        return f"{name} must be at most {ctx.get('max_length')} {unit}"
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = ", ".join(sorted(parent.model_fields)) if parent else ""
        what = parent.what if parent else "this part"
        return f"unknown field {name} in {what} (allowed: {allowed})"
    if kind == "string_pattern_mismatch":
        meaning = spec.PATTERN_HELP.get(ctx.get("pattern"), f"like {ctx.get('pattern')}")
        return f"{name} must be {meaning}, not {_shown(given)}"
    if kind == "literal_error":
        return f"{name} must be {ctx.get('expected')}, not {_shown(given)}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        bound = {"greater_than_equal": "at least", "greater_than": "more than",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        limit = ctx.get("ge", ctx.get("gt", ctx.get("lt", ctx.get("le"))))
        return f"{name} must be {bound} {spec.canonical(limit)}, not {_shown(given)}"
    if kind in EXPECTED or kind.endswith("_parsing"):
        expected = EXPECTED.get(kind) or EXPECTED.get(kind.replace("_parsing", "_type"), "valid")
        return f"{name} must be {expected}, not {_shown(given)}"
    return f"{name}: {error['msg']}"


def _shown(value: Any) -> str:
    """A value as the file wrote it, or the kind of thing it is when it is not a word."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return repr(value) if isinstance(value, str) else str(value)
    return KINDS.get(type(value), type(value).__name__)


def _whereabouts(document: Document, loc: tuple) -> tuple[str | None, str]:
    """The item an error is in (for "item x: ..."), else the part of the file named first."""
    if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "items":
        item = document.at(loc[:4])
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
            return item["id"].strip(), ""
        return None, f"section {loc[1] + 1}, item {loc[3] + 1}: "
    if len(loc) >= 3 and loc[0] == "sections":
        section = document.at(loc[:2])
        section_id = section.get("id") if isinstance(section, dict) else None
        return None, f"section '{section_id}': " if section_id else f"section {loc[1] + 1}: "
    if len(loc) >= 2 and loc[0] in NAMED:
        return None, f"{NAMED[loc[0]]} '{loc[1]}': "
    if loc and loc[0] in ("bands", "links", "scoring"):
        return None, f"{loc[0]}: "
    return None, ""


def _model_at(loc: tuple) -> type[spec.Spec] | None:
    """The part of the format at a place in the file, for naming its allowed fields."""
    current: Any = spec.DefinitionSpec
    for step in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(step) if isinstance(step, str) else None
            current = field.annotation if field else None
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, spec.Spec) else None


def _unwrap(annotation: Any) -> Any:
    """Through Annotated[...] and X | None to the type inside."""
    while get_origin(annotation) is not None and get_origin(annotation) not in (list, dict):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if args else None
    return annotation


# --- From the checked file to the runtime shape ----------------------------------------------

def _build(definition: spec.DefinitionSpec) -> Questionnaire:
    scales = {scale_id: Scale(id=scale_id, options=tuple(
        Option(value=o.value, label=o.label, missing=o.missing, description=o.description)
        for o in body.options))
        for scale_id, body in definition.scales.items()}
    vocabulary = definition.tag_vocabulary or {}
    return Questionnaire(
        key=definition.key, version=definition.version, title=definition.title,
        description=definition.description, source=definition.source, scales=scales,
        bands=_bands(definition.bands, scales),
        tag_bands={tag: _bands(bands, scales)
                   for tag, bands in (definition.tag_bands or {}).items()},
        tag_vocabulary={tag: tuple(values) for tag, values in vocabulary.items()},
        tag_labels={tag: {v: label for v, label in values.items() if label}
                    for tag, values in vocabulary.items()},
        links=Links(recommendations=definition.links.recommendations,
                    typologies=tuple(definition.links.typologies),
                    structural_facts=definition.links.structural_facts),
        scoring=Scoring(group_mean=definition.scoring.group_mean,
                        points=definition.scoring.points),
        sections=tuple(Section(
            id=section.id, title=section.title, intro=section.intro, optional=section.optional,
            items=tuple(Item(id=item.id, text=item.text, scale=scales[item.scale],
                             section_id=section.id, source=item.source, help=item.help,
                             reverse=item.reverse, for_each=item.for_each, weight=item.weight,
                             tags={name: tuple(values) for name, values
                                   in (item.tags or {}).items()})
                        for item in section.items))
            for section in definition.sections),
    )


def _bands(bands: spec.BandsSpec | None, scales: dict[str, Scale]) -> Bands | None:
    if bands is None:
        return None
    return Bands(levels=tuple(Band(label=b.label, min=b.min) for b in bands.levels),
                 basis=bands.basis, scale=scales.get(bands.scale or ""),
                 missing=bands.missing, max_missing_share=bands.max_missing_share)


# --- The catalogue ---------------------------------------------------------------------------

def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Instrument:
    """A questionnaire with the text it was read from (rounds keep that text, by its hash)
    and where it came from ("built in", a file in MAPS_QUESTIONNAIRE_DIRS, an upload)."""

    questionnaire: Questionnaire
    text: str
    origin: str

    @cached_property
    def sha256(self) -> str:
        return sha256_of(self.text)

    @property
    def key(self) -> str:
        return self.questionnaire.key

    @property
    def version(self) -> int:
        return self.questionnaire.version

    @property
    def ref(self) -> str:
        return self.questionnaire.ref


def display_order(instrument: Instrument) -> tuple:
    """The core instrument first (the default choice for a round), then by title; the newest
    version first within each key."""
    return (instrument.key != CORE_KEY, instrument.questionnaire.title.casefold(),
            instrument.key, -instrument.version)


class Catalogue:
    """Every questionnaire version known, looked up by key and version (or text hash)."""

    def __init__(self, instruments: Iterable[Instrument]):
        self._by_ref: dict[tuple[str, int], Instrument] = {}
        for instrument in instruments:
            self._by_ref.setdefault((instrument.key, instrument.version), instrument)
        self._by_sha256 = {i.sha256: i for i in self._by_ref.values()}

    def get(self, key: str, version: int | None = None) -> Questionnaire | None:
        instrument = self.instrument(key, version)
        return instrument.questionnaire if instrument else None

    def instrument(self, key: str, version: int | None = None) -> Instrument | None:
        if version is None:
            versions = [v for (k, v) in self._by_ref if k == key]
            return self._by_ref[(key, max(versions))] if versions else None
        return self._by_ref.get((key, version))

    def by_sha256(self, sha256: str) -> Instrument | None:
        return self._by_sha256.get(sha256)

    def instruments(self) -> list[Instrument]:
        """In display order: the default choice for a new round first."""
        return sorted(self._by_ref.values(), key=display_order)

    def with_instruments(self, more: Iterable[Instrument]) -> "Catalogue":
        """This catalogue and more (which cannot replace a version already here)."""
        return Catalogue([*self._by_ref.values(), *more])

    def __iter__(self) -> Iterator[Questionnaire]:
        return iter(i.questionnaire for i in self.instruments())


def load_catalogue(directories: Iterable[str | Path] = (), *,
                   builtin: bool = True) -> Catalogue:
    """The built-in instruments and every *.yaml in the directories given (in that order);
    any invalid file, missing directory or version defined twice stops with all the errors."""
    instruments, errors, seen = [], [], {}
    folders = [(HERE, BUILT_IN)] if builtin else []
    folders += [(Path(d), None) for d in directories]
    for folder, origin in folders:
        if not folder.is_dir():
            errors.append(DefinitionError(str(folder), None, None,
                                          "not a directory (named in MAPS_QUESTIONNAIRE_DIRS)"))
            continue
        for path in sorted(folder.glob("*.yaml")):
            try:
                text = read_text(path)
                questionnaire = parse(text, str(path))
            except InvalidQuestionnaire as exc:
                errors.extend(exc.errors)
                continue
            ref = (questionnaire.key, questionnaire.version)
            if ref in seen:
                message = f"{questionnaire.ref} is already defined in {seen[ref]}"
                errors.append(DefinitionError(str(path), None, None, message))
                continue
            seen[ref] = path
            instruments.append(Instrument(questionnaire, text, origin or str(path)))
    if errors:
        raise InvalidQuestionnaire(errors)
    return Catalogue(instruments)
