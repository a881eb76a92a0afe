"""The effective-practice strategies of Table 5.1 of the review, loaded from strategies.yaml
into frozen data and checked as they load."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

STRATEGIES_FILE = Path(__file__).resolve().parent / "strategies.yaml"
# The libraries a questionnaire definition may link to by name (`links: recommendations:`),
# each with its file: the only way an instrument gets recommendations.
LIBRARY_FILES = {"review-table-5.1": STRATEGIES_FILE}
LIBRARIES = tuple(LIBRARY_FILES)
AREAS = ("working_relationships", "multi_agency_processes", "resources",
         "management_governance")


@dataclass(frozen=True)
class Strategy:
    id: str
    text: str  # the Table 5.1 bullet, verbatim
    action: str  # what a board could do about it, in plain English
    factors: tuple[str, ...]  # the factors it addresses, the main one first
    sources: tuple[str, ...]  # author/year as chapter 5 gives them; may be empty
    cross_cutting: str | None  # time, joint_training or joint_aims; None for most
    practice_area: str  # id of its PracticeArea
    order: int  # position in Table 5.1, for stable tie-breaks
    # Structural facts (item ids): any one affirmed makes the strategy redundant; all of those a
    # round asks about denied leave it without what it presupposes.
    redundant_if: tuple[str, ...] = ()
    presupposes: tuple[str, ...] = ()

    @property
    def factor(self) -> str:
        return self.factors[0]


@dataclass(frozen=True)
class PracticeArea:
    id: str
    title: str
    area: str  # one of the four areas of chapter 5
    strategies: tuple[Strategy, ...]


@dataclass(frozen=True)
class Library:
    source: str
    themes: Mapping[str, str]  # cross-cutting theme -> label ("time": "Allow sufficient time")
    themes_passage: str
    practice_areas: tuple[PracticeArea, ...]
    _by_id: Mapping[str, Strategy] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def strategies(self) -> tuple[Strategy, ...]:
        return tuple(s for area in self.practice_areas for s in area.strategies)

    def strategy(self, strategy_id: str) -> Strategy:
        return self._by_id[strategy_id]

    def practice_area(self, area_id: str) -> PracticeArea:
        return next(a for a in self.practice_areas if a.id == area_id)

    def for_factor(self, factor: str) -> tuple[Strategy, ...]:
        return tuple(s for s in self.strategies if factor in s.factors)

    def for_theme(self, theme: str) -> tuple[Strategy, ...]:
        return tuple(s for s in self.strategies if s.cross_cutting == theme)

    @cached_property
    def factors(self) -> frozenset[str]:
        return frozenset(f for s in self.strategies for f in s.factors)


class InvalidLibrary(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_library(data: Any, *, factors: Iterable[str] | None = None) -> Library:
    """Build a Library from the YAML's data, listing every problem found. With `factors`
    (a questionnaire's factor vocabulary), each strategy's factors must come from it."""
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("practice_areas"), list):
        raise InvalidLibrary(["the file must be a mapping with a 'practice_areas' list"])
    raw_themes = (data.get("cross_cutting") or {}).get("themes") or {}
    themes = {str(k): str(v) for k, v in raw_themes.items()}
    known = set(factors) if factors is not None else None
    seen: set[str] = set()
    areas, order = [], 0
    for n, raw_area in enumerate(data["practice_areas"], start=1):
        where = f"practice area {n} ({raw_area.get('id', '?')})"
        missing = [k for k in ("id", "title", "area", "strategies") if not raw_area.get(k)]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if raw_area["area"] not in AREAS:
            problems.append(f"{where}: area must be one of {', '.join(AREAS)}")
        strategies = []
        for raw in raw_area["strategies"]:
            order += 1
            strategy = _strategy(raw, raw_area["id"], order, themes, known, seen, problems)
            if strategy:
                strategies.append(strategy)
        areas.append(PracticeArea(id=raw_area["id"], title=raw_area["title"],
                                  area=raw_area["area"], strategies=tuple(strategies)))
    if problems:
        raise InvalidLibrary(problems)
    by_id = {s.id: s for a in areas for s in a.strategies}
    passage = str((data.get("cross_cutting") or {}).get("passage", ""))
    return Library(source=str(data.get("source", "")), themes=themes, themes_passage=passage,
                   practice_areas=tuple(areas), _by_id=by_id)


def _strategy(raw: Any, area_id: str, order: int, themes: Mapping[str, str],
              known: set[str] | None, seen: set[str], problems: list[str]) -> Strategy | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        problems.append(f"{area_id}: strategy {order} has no id")
        return None
    sid = raw["id"]
    for key in ("text", "action"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{sid}: '{key}' must be non-empty text")
    factor_list = raw.get("factors")
    if not isinstance(factor_list, list) or not factor_list:
        problems.append(f"{sid}: 'factors' must list at least one factor")
        factor_list = []
    elif known is not None:
        problems += [f"{sid}: unknown factor '{f}'" for f in factor_list if f not in known]
    sources = raw.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
        problems.append(f"{sid}: 'sources' must be a list of citations (may be empty)")
        sources = []
    facts = {}
    for key in ("redundant_if", "presupposes"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(f, str) and f for f in value):
            problems.append(f"{sid}: '{key}' must be a list of item ids (may be left out)")
            value = []
        facts[key] = tuple(value)
    theme = raw.get("cross_cutting")
    if theme is not None and theme not in themes:
        problems.append(f"{sid}: cross_cutting '{theme}' is not one of {', '.join(themes)}")
    if sid in seen:
        problems.append(f"{sid}: duplicate id")
    seen.add(sid)
    return Strategy(id=sid, text=str(raw.get("text", "")).strip(),
                    action=str(raw.get("action", "")).strip(),
                    factors=tuple(str(f) for f in factor_list), sources=tuple(sources),
                    cross_cutting=theme, practice_area=area_id, order=order, **facts)


def load_library(path: Path = STRATEGIES_FILE, *,
                 factors: Iterable[str] | None = None) -> Library:
    # MAPS's own file, not a user's upload: libyaml's loader (ten times the pure-Python one)
    # is safe on it. Uploads keep the pure-Python loader (app/questionnaires/yaml_reader.py).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return parse_library(yaml.load(handle, Loader=loader), factors=factors)


@cache
def default_library() -> Library:
    """The installed strategies.yaml, loaded once per process."""
    return load_library()


def library_named(library_id: str) -> Library:
    """A library a definition links to, by its id in LIBRARY_FILES."""
    path = LIBRARY_FILES[library_id]
    return default_library() if path == STRATEGIES_FILE else load_library(path)
