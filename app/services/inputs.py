"""Reading what people type, the same way on every form: ids, numbers, dates, names and email
addresses.

Python's int() reads far more than a person types: "²" and "٣" are digits to it, and it has no
upper bound, while ids are 32-bit integers in the database (SQLite cannot bind a number past
2**63, PostgreSQL refuses one past 2**31). Names must hold no hidden characters
(app/characters.py): they are invisible, PostgreSQL cannot store NUL, and a spreadsheet
refuses most of them. Two names that differ only in case, or in how an accent is encoded, are
the same name (name_key).
"""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from app.characters import described, first_refused, without_refused

MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(text: str | None) -> int | None:
    """The id a form field holds, or None when it holds no id any row could have."""
    text = (text or "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_whole_number(text: str | None, *, low: int, high: int) -> int | None:
    """A whole number typed in ASCII digits within [low, high], or None."""
    text = (text or "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


class BadDate(ValueError):
    """Why a GOV.UK date input's three boxes do not make a date (a sentence ending)."""


def parse_date(day: str, month: str, year: str) -> date | None:
    """A GOV.UK date input's three boxes: None when all are empty, else a real date typed in
    ASCII digits with a four-digit year, or BadDate saying what is wrong."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [name for name, value in parts.items() if not value]
    if len(missing) == 3:
        return None
    if missing:
        raise BadDate(f"must include a {' and '.join(missing)}")
    if not all(_ASCII_DIGITS.fullmatch(v) for v in parts.values()) or len(parts["year"]) != 4:
        raise BadDate("must be a real date, like 31 3 2027")
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:  # 31 February, month 13
        raise BadDate("must be a real date, like 31 3 2027") from None


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with a name (or, multiline, a longer text) that holds a character MAPS
    does not keep, or None."""
    found = first_refused(text, multiline=multiline)
    if found is None:
        return None
    return (f"contains {described(found)}, which MAPS cannot keep: type it again rather "
            "than pasting it")


def strip_control_characters(text: str) -> str:
    """Text for an export: refused characters removed (kept data from before input was
    checked, or written by another tool), tab and line breaks kept."""
    return without_refused(text)


def name_problem(name: str, what: str = "name") -> str | None:
    """What is wrong with a person's or a thing's name (or title), as an instruction, or
    None."""
    if len(name) > 200:
        return f"Enter a {what} of at most 200 characters"
    if problem := control_character_problem(name):
        return f"The {what} {problem}"
    return None


def name_key(name: str) -> str:
    """What makes two names the same name: compared in Python, so on every database alike
    (SQLite's lower() folds only ASCII letters, so "Équipe" and "ÉQUIPE" differed there).
    Case-folded ("ß" is "ss"), composed the one Unicode way (an "é" typed as e and an accent
    is "é"), and spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_taken(names: Iterable[str], name: str) -> bool:
    """Whether `name` is the same name as one of `names`."""
    key = name_key(name)
    return any(name_key(other) == key for other in names)


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 320


def is_email(text: str) -> bool:
    """Whether the text is shaped like an email address. (Check it for hidden characters
    first, as names are: a right-to-left override or a zero-width space would make one
    address look like another person's.)"""
    return bool(EMAIL_RE.match(text)) and len(text) <= MAX_EMAIL
