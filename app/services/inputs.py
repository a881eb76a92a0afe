"""Reading what people type, the same way on every form: ids, dates and names.

Python's int() reads far more than a person types: "²" and "٣" are digits to it, and it has no
upper bound, while ids are 32-bit integers in the database (SQLite cannot bind a number past
2**63, PostgreSQL refuses one past 2**31). Names must hold no control characters: they are
invisible, PostgreSQL cannot store NUL, and a spreadsheet refuses most of them.
"""

import re
import unicodedata
from datetime import date

MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
# Unicode's "Cc" (C0 and C1 controls, NUL, vertical tab...), "Cf" formats that can reorder or
# hide text (right-to-left override, zero-width characters), and the line/paragraph
# separators. Tab, newline and carriage return are allowed only in longer text.
_TEXT_WHITESPACE = {"\t", "\n", "\r"}


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


def _is_control(character: str, *, multiline: bool) -> bool:
    if multiline and character in _TEXT_WHITESPACE:
        return False
    return unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with a name (or, multiline, a longer text) that holds a control
    character, or None."""
    found = next((c for c in text if _is_control(c, multiline=multiline)), None)
    if found is None:
        return None
    return (f"contains a hidden control character (U+{ord(found):04X}), which MAPS cannot "
            "keep: type it again rather than pasting it")


def strip_control_characters(text: str) -> str:
    """Text for an export: control characters removed (kept data from before input was
    checked, or written by another tool), tab and line breaks kept."""
    if text.isprintable():
        return text
    return "".join(c for c in text if not _is_control(c, multiline=True))


def name_problem(name: str, what: str = "name") -> str | None:
    """What is wrong with a person's or a thing's name (or title), as an instruction, or
    None."""
    if len(name) > 200:
        return f"Enter a {what} of at most 200 characters"
    if problem := control_character_problem(name):
        return f"The {what} {problem}"
    return None
