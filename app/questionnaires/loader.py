"""Reading questionnaire YAML files, checking every rule and reporting each error with its place."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.questionnaires.schema import Band, Bands, Item, Option, Questionnaire, Scale, Section

HERE = Path(__file__).resolve().parent
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SECTION_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
MAX_FILE_BYTES = 2_000_000

TOP_FIELDS = {"key", "version", "title", "description", "source", "scales", "bands",
              "tag_vocabulary", "sections"}
SECTION_FIELDS = {"id", "title", "intro", "optional", "items"}
ITEM_FIELDS = {"id", "text", "help", "scale", "reverse", "tags", "source"}
OPTION_FIELDS = {"value", "label", "missing"}


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


class _Mapping(dict):
    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """Keeps the line each mapping starts on, so errors can point into the file."""

    def compose_node(self, parent, index):
        # An alias re-uses a value by reference, so a few lines of them can stand for billions
        # of values (the "billion laughs"); a definition has no need of them.
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed: write each value out",
                self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line(value: Any) -> int | None:
    return getattr(value, "line", None)


class _Checker:
    def __init__(self, file: str):
        self.file = file
        self.errors: list[DefinitionError] = []

    def error(self, message: str, *, at: Any = None, item: str | None = None) -> None:
        self.errors.append(DefinitionError(self.file, _line(at), item, message))

    def text(self, mapping: dict, name: str, *, required: bool = True, item: str | None = None,
             what: str = "") -> str:
        value = mapping.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(f"{what}'{name}' is missing or empty", at=mapping, item=item)
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.error(f"{what}'{name}' must be text, not {type(value).__name__}",
                       at=mapping, item=item)
            return ""
        return str(value).strip()

    def unknown_fields(self, mapping: dict, allowed: set[str], what: str,
                       item: str | None = None) -> None:
        for name in mapping:
            if name not in allowed:
                self.error(f"unknown field '{name}' in {what} (allowed: "
                           f"{', '.join(sorted(allowed))})", at=mapping, item=item)


def parse(text: str, file: str = "<string>") -> Questionnaire:
    """Build a questionnaire from YAML text, or raise InvalidQuestionnaire listing every error."""
    check = _Checker(file)
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        check.error(f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
        raise InvalidQuestionnaire(check.errors)
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        check.errors.append(DefinitionError(file, line, None, f"not valid YAML: {problem}"))
        raise InvalidQuestionnaire(check.errors) from None
    except RecursionError:
        check.error("not valid YAML: nested too deeply")
        raise InvalidQuestionnaire(check.errors) from None
    if not isinstance(doc, dict):
        check.error("the file must be a mapping with key, version, title, scales and sections")
        raise InvalidQuestionnaire(check.errors)
    questionnaire = _build(doc, check)
    if check.errors:
        raise InvalidQuestionnaire(check.errors)
    return questionnaire


def load_file(path: str | Path) -> Questionnaire:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidQuestionnaire([DefinitionError(str(path), None, None,
                                                    f"cannot read file: {exc}")]) from None
    return parse(text, str(path))


def _build(doc: dict, check: _Checker) -> Questionnaire:
    check.unknown_fields(doc, TOP_FIELDS, "the definition")
    key = check.text(doc, "key")
    if key and not KEY_RE.match(key):
        check.error(f"key '{key}' must be lowercase letters, digits and hyphens", at=doc)
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        check.error(f"'version' must be a whole number from 1 up, not {version!r}", at=doc)
        version = 0
    title = check.text(doc, "title")
    scales = _scales(doc.get("scales"), doc, check)
    bands = _bands(doc.get("bands"), scales, check)
    vocabulary = _vocabulary(doc.get("tag_vocabulary"), check)
    sections = _sections(doc.get("sections"), doc, scales, vocabulary, check)
    return Questionnaire(
        key=key, version=version, title=title, scales=scales, sections=sections,
        description=check.text(doc, "description", required=False),
        source=check.text(doc, "source", required=False),
        bands=bands, tag_vocabulary=vocabulary,
    )


def _scales(raw: Any, doc: dict, check: _Checker) -> dict[str, Scale]:
    if not isinstance(raw, dict) or not raw:
        check.error("'scales' must be a mapping of scale names to their options", at=doc)
        return {}
    scales = {}
    for scale_id, body in raw.items():
        where = f"scale '{scale_id}': "
        options_raw = body.get("options") if isinstance(body, dict) else None
        if not isinstance(options_raw, list):
            check.error(where + "needs a list of 'options'", at=body if body else raw)
            continue
        if isinstance(body, dict):
            check.unknown_fields(body, {"options"}, f"scale '{scale_id}'")
        options, ok = [], True
        for raw_option in options_raw:
            if not isinstance(raw_option, dict):
                check.error(where + "each option needs a value and a label", at=raw)
                ok = False
                continue
            check.unknown_fields(raw_option, OPTION_FIELDS, f"an option of scale '{scale_id}'")
            value = raw_option.get("value")
            label = check.text(raw_option, "label", what=where + "option ")
            missing = raw_option.get("missing", False) is True
            if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
                check.error(where + f"option '{label}' needs a value (a number, or text for a "
                            "'missing: true' option)", at=raw_option)
                ok = False
                continue
            if not missing and isinstance(value, str):
                try:
                    float(value)
                except ValueError:
                    check.error(where + f"option '{label}' has value {value!r}: scored options "
                                "need numbers (mark don't-know options 'missing: true')",
                                at=raw_option)
                    ok = False
                    continue
            options.append(Option(value=_canonical(value), label=label, missing=missing))
        values = [o.value for o in options]
        for dup in sorted({v for v in values if values.count(v) > 1}):
            check.error(where + f"option value {dup!r} is used twice", at=body)
            ok = False
        numbers = [o.number for o in options if not o.missing]
        if len(numbers) < 2:
            check.error(where + "needs at least two scored (not missing) options", at=body)
            ok = False
        elif numbers != sorted(numbers):
            check.error(where + "scored options must be listed from lowest to highest value",
                        at=body)
            ok = False
        if ok:
            scales[str(scale_id)] = Scale(id=str(scale_id), options=tuple(options))
    return scales


def _canonical(value: str | int | float) -> str:
    """One spelling per value, so a form posting "4" matches a YAML 4 or 4.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _bands(raw: Any, scales: dict[str, Scale], check: _Checker) -> Bands | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("levels"), list) or not raw["levels"]:
        check.error("'bands' needs a list of 'levels', each with a label and a min", at=raw)
        return None
    check.unknown_fields(raw, {"basis", "scale", "levels"}, "bands")
    basis = raw.get("basis", "score")
    scale = None
    if basis not in ("score", "mean"):
        check.error(f"bands: basis must be 'score' (0-100) or 'mean' (on a scale), not {basis!r}",
                    at=raw)
    if basis == "mean":
        scale = scales.get(str(raw.get("scale")))
        if scale is None:
            check.error(f"bands: basis 'mean' needs the 'scale' its numbers are on; "
                        f"unknown scale {raw.get('scale')!r}", at=raw)
    levels = []
    for level in raw["levels"]:
        minimum = level.get("min") if isinstance(level, dict) else None
        label = check.text(level, "label", what="bands: level ") if isinstance(level, dict) else ""
        if not isinstance(minimum, int | float) or isinstance(minimum, bool):
            check.error(f"bands: level '{label}' needs a numeric 'min'", at=level)
            continue
        levels.append(Band(label=label, min=float(minimum)))
    if [b.min for b in levels] != sorted((b.min for b in levels), reverse=True):
        check.error("bands: levels must be listed from the highest min to the lowest", at=raw)
    return Bands(levels=tuple(levels), basis=basis, scale=scale)


def _vocabulary(raw: Any, check: _Checker) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.error("'tag_vocabulary' must map each tag name to its allowed values", at=raw)
        return {}
    vocabulary = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not values:
            check.error(f"tag_vocabulary: '{name}' needs a list of allowed values", at=raw)
            continue
        vocabulary[str(name)] = tuple(_canonical(v) for v in values)
    return vocabulary


def _sections(raw: Any, doc: dict, scales: dict[str, Scale],
              vocabulary: dict[str, tuple[str, ...]], check: _Checker) -> tuple[Section, ...]:
    if not isinstance(raw, list) or not raw:
        check.error("'sections' must be a non-empty list", at=doc)
        return ()
    sections, section_ids, item_ids = [], set(), set()
    for body in raw:
        if not isinstance(body, dict):
            check.error("each section must be a mapping with id, title and items", at=doc)
            continue
        check.unknown_fields(body, SECTION_FIELDS, "a section")
        section_id = check.text(body, "id", what="section ")
        if section_id and not SECTION_RE.match(section_id):
            check.error(f"section id '{section_id}' must be lowercase letters, digits, '-' or '_'",
                        at=body)
        if section_id in section_ids:
            check.error(f"duplicate section id '{section_id}'", at=body)
        section_ids.add(section_id)
        items_raw = body.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            check.error(f"section '{section_id}' needs a non-empty list of items", at=body)
            items_raw = []
        items = []
        for item_raw in items_raw:
            raw_id = item_raw.get("id") if isinstance(item_raw, dict) else None
            if not isinstance(raw_id, str | int):
                raw_id = None  # not an id: _item says what is wrong with it
            if raw_id is not None and raw_id in item_ids:
                check.error("duplicate item id", at=item_raw, item=str(raw_id))
            item_ids.add(raw_id)
            item = _item(item_raw, section_id, scales, vocabulary, check, body)
            if item is not None:
                items.append(item)
        sections.append(Section(
            id=section_id, title=check.text(body, "title", what=f"section '{section_id}': "),
            intro=check.text(body, "intro", required=False), items=tuple(items),
            optional=body.get("optional", False) is True,
        ))
    return tuple(sections)


def _item(raw: Any, section_id: str, scales: dict[str, Scale],
          vocabulary: dict[str, tuple[str, ...]], check: _Checker, parent: Any) -> Item | None:
    if not isinstance(raw, dict):
        check.error(f"section '{section_id}': each item must be a mapping", at=parent)
        return None
    item_id = check.text(raw, "id", what="item ")
    label = item_id or None
    if item_id and not ID_RE.match(item_id):
        check.error("id must be lowercase letters, digits and '_', starting with a letter",
                    at=raw, item=label)
    check.unknown_fields(raw, ITEM_FIELDS, "an item", item=label)
    text = check.text(raw, "text", item=label)
    source = check.text(raw, "source", item=label)
    scale_id = str(raw.get("scale", ""))
    scale = scales.get(scale_id)
    if scale is None:
        check.error(f"unknown scale '{scale_id}' (defined: {', '.join(scales) or 'none'})",
                    at=raw, item=label)
    reverse = raw.get("reverse", False)
    if not isinstance(reverse, bool):
        check.error(f"'reverse' must be true or false, not {reverse!r}", at=raw, item=label)
    tags = _tags(raw.get("tags"), vocabulary, check, raw, label)
    if not item_id or scale is None:
        return None
    return Item(id=item_id, text=text, scale=scale, section_id=section_id, source=source,
                help=check.text(raw, "help", required=False), reverse=reverse is True, tags=tags)


def _tags(raw: Any, vocabulary: dict[str, tuple[str, ...]], check: _Checker, at: Any,
          item: str | None) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.error("'tags' must be a mapping of tag names to values", at=at, item=item)
        return {}
    tags = {}
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if any(v is None or isinstance(v, dict | list) for v in values):
            check.error(f"tag '{name}' needs a value or a list of values", at=at, item=item)
            continue
        canonical = tuple(_canonical(v) for v in values)
        if vocabulary:
            if name not in vocabulary:
                check.error(f"unknown tag '{name}' (declared: {', '.join(vocabulary)})",
                            at=at, item=item)
                continue
            for v in canonical:
                if v not in vocabulary[name]:
                    check.error(f"unknown value '{v}' for tag '{name}' (allowed: "
                                f"{', '.join(vocabulary[name])})", at=at, item=item)
        tags[str(name)] = canonical
    return tags


class Catalogue:
    """Every questionnaire version known to the app, looked up by key and version."""

    def __init__(self, questionnaires: list[Questionnaire]):
        self._by_ref = {(q.key, q.version): q for q in questionnaires}

    def get(self, key: str, version: int | None = None) -> Questionnaire | None:
        if version is None:
            versions = [v for (k, v) in self._by_ref if k == key]
            return self._by_ref[(key, max(versions))] if versions else None
        return self._by_ref.get((key, version))

    def latest(self) -> list[Questionnaire]:
        keys = sorted({k for k, _ in self._by_ref})
        return [self.get(k) for k in keys]

    def __iter__(self):
        return iter(self._by_ref.values())


def load_catalogue(directory: Path = HERE) -> Catalogue:
    """Load every *.yaml in the directory; any invalid file stops start-up with all its errors."""
    questionnaires, errors, seen = [], [], {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            q = load_file(path)
        except InvalidQuestionnaire as exc:
            errors.extend(exc.errors)
            continue
        if (q.key, q.version) in seen:
            first = seen[q.key, q.version]
            errors.append(DefinitionError(str(path), None, None,
                                          f"{q.ref} is already defined in {first}"))
            continue
        seen[q.key, q.version] = path.name
        questionnaires.append(q)
    if errors:
        raise InvalidQuestionnaire(errors)
    return Catalogue(questionnaires)
