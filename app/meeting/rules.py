"""The board meeting's numbers, each MAPS's own choice (docs/method.md, section 11 lists them,
and a test holds the two together)."""

from app.scoring.thresholds import OwnChoice

# The agenda MAPS suggests lists at most this many of each kind: a board meeting gives a
# self-assessment an hour or two, not a day.
MAX_DISAGREEMENTS = 5
MAX_WEAKEST = 3
MAX_TO_ADOPT = 3
# The ordered models whose placements the agenda asks about ("Does this describe us?"): the
# two the report draws as a scale and a ladder, and the comparison page counts.
PLACEMENT_MODELS = ("townsley", "gaster")
# Members agree more (or less) on an item when its agreement index (1 - SD / MAX_SD,
# app/scoring/consensus.py) has risen (or fallen) by at least this much: between the round
# and a live vote in the room, or between the round and the next.
AGREEMENT_CHANGE = 0.1

RULES: dict[str, OwnChoice] = {
    "MAX_DISAGREEMENTS": OwnChoice(
        "five questions that divide the board are as many as one meeting can talk through "
        "beside the rest of its agenda", "tests/test_meeting.py"),
    "MAX_WEAKEST": OwnChoice(
        "the same three weakest factors the report's summary leads with",
        "tests/test_meeting.py"),
    "MAX_TO_ADOPT": OwnChoice(
        "the report's three priorities: the recommendations a board is asked to start with",
        "tests/test_meeting.py"),
    "PLACEMENT_MODELS": OwnChoice(
        "the two ordered models the report draws as a scale and a ladder; the other models' "
        "placements are one line each in the report", "tests/test_meeting.py"),
    "AGREEMENT_CHANGE": OwnChoice(
        "a tenth of the agreement index is 5 points of spread (the answers' standard "
        "deviation on 0-100), a fifth of a step on a five-point scale: a smaller change is "
        "not worth telling a board about",
        "tests/test_meeting.py"),
}
