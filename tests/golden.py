"""The golden boards of tests/data/golden: partnerships the review describes, each answered by
a board of six to nine members, with the placements the review (or our reading of it) supports."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from app.questionnaires.loader import load_catalogue
from app.scoring import RespondentAnswers

GOLDEN = Path(__file__).parent / "data" / "golden"
CORE = load_catalogue().get("multi-agency-working", 2)
FACT_CODES = {"Y": "2", "P": "1", "N": "0"}
BASES = ("from the review", "our reading")


@dataclass(frozen=True)
class Expected:
    model: str
    status: str  # placed, mixed, unclear, insufficient_evidence
    level: str | None
    also: tuple[str, ...]  # for "mixed": every level reported together
    basis: str
    why: str


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    review: str
    from_the_review: tuple[str, ...]
    our_reading: tuple[str, ...]
    respondents: tuple[RespondentAnswers, ...]
    roles: tuple[str, ...]
    expected: dict[str, Expected]


def _answer(item_id: str, code: str) -> str | None:
    if code == "?":
        return None
    if code == "-":
        return "na"
    item = CORE.item(item_id)
    if item.scale.id.startswith("fact"):
        return FACT_CODES[code]
    return code


def read_board(path: Path) -> Board:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    people = doc["respondents"]
    answers: list[dict[str, str | None]] = [{} for _ in people]
    for item_id, codes in doc["answers"].items():
        if len(codes) != len(people):
            raise ValueError(f"{path.name}: {item_id} has {len(codes)} answers for "
                             f"{len(people)} respondents")
        for person, code in zip(answers, codes, strict=True):
            if code != ".":
                person[item_id] = _answer(item_id, code)
    respondents = tuple(RespondentAnswers(agency=p["agency"], level=p["level"], answers=a)
                        for p, a in zip(people, answers, strict=True))
    expected = {model: Expected(model=model, status=e["status"], level=e.get("level"),
                                also=tuple(e.get("also") or ()), basis=e["basis"], why=e["why"])
                for model, e in doc["expected"].items()}
    return Board(id=path.stem, name=doc["name"], review=doc["review"],
                 from_the_review=tuple(doc["from_the_review"]),
                 our_reading=tuple(doc["our_reading"]), respondents=respondents,
                 roles=tuple(p["role"] for p in people), expected=expected)


@cache
def boards() -> tuple[Board, ...]:
    return tuple(read_board(p) for p in sorted(GOLDEN.glob("*.yaml")))


def obtained(placement) -> tuple[str, str | None, tuple[str, ...]]:
    """A placement as the golden files write it: (status, level, levels reported together)."""
    level = placement.level if placement.status == "placed" else None
    return placement.status, level, tuple(placement.also)


def wanted(expected: Expected) -> tuple[str, str | None, tuple[str, ...]]:
    if expected.status == "mixed":
        return "mixed", None, expected.also
    return expected.status, expected.level, ()
