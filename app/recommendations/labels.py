"""How levels are named and scores written, shared by the recommendations, the report and the
charts. Tag values are named by their questionnaire's vocabulary (Questionnaire.tag_label,
TagScore.label), never here."""

import math

LEVELS = {"strategic": "Strategic staff", "operational": "Operational staff"}


def group_label(kind: str, name: str) -> str:
    """An agency's name as given, or a level as "Strategic staff"."""
    return LEVELS.get(name, name) if kind == "level" else name


def points(score: float | None) -> str:
    """A 0-100 score as a whole number, rounded down so that the number printed never
    crosses a band boundary: 69.9 (borderline) shows as 69, not 70. The same rounding as
    the bands' own (to six decimals) comes first, so 69.9999999 (strength) shows as 70."""
    if score is None:
        return "–"
    return str(math.floor(round(score, 6)))


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def in_words(count: int) -> str:
    """A count as prose writes it: words below ten, numerals from ten (GOV.UK style)."""
    return NUMBER_WORDS[count] if 0 <= count < len(NUMBER_WORDS) else str(count)
