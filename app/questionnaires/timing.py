"""How long a questionnaire takes to answer, as told to respondents (invitation, welcome page).

MAPS's own estimate, not a finding: about ten seconds to read and answer a rating question, as
seen when the demo boards' questionnaires were answered by hand, rounded up to the next five
minutes so that the figure promised is rarely beaten by the questionnaire itself."""

from math import ceil

from app.questionnaires.schema import Questionnaire

SECONDS_PER_QUESTION = 10
ROUND_UP_TO_MINUTES = 5


def estimated_minutes(questionnaire: Questionnaire) -> int:
    """Minutes a respondent should set aside for every question of the questionnaire."""
    seconds = len(questionnaire.items) * SECONDS_PER_QUESTION
    return max(1, ceil(seconds / 60 / ROUND_UP_TO_MINUTES)) * ROUND_UP_TO_MINUTES
