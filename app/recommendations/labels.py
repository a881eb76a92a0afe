"""The one way scores and counts are written, shared by the recommendations, the report and
the charts. Tag labels are not here: they come from the instrument
(`Questionnaire.tag_label`, `TagScore.label`)."""

from app.questionnaires.schema import whole_points

LEVELS = {"strategic": "Strategic staff", "operational": "Operational staff"}


def group_label(kind: str, name: str) -> str:
    """An agency's name as given, or a level as "Strategic staff"."""
    return LEVELS.get(name, name) if kind == "level" else name


def points(score: float | None) -> str:
    """A 0-100 score as text, by the one rounding rule (`whole_points`)."""
    return "–" if score is None else str(whole_points(score))


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def in_words(count: int) -> str:
    """A count as prose writes it: words below ten, numerals from ten (GOV.UK style)."""
    return NUMBER_WORDS[count] if 0 <= count < len(NUMBER_WORDS) else str(count)
