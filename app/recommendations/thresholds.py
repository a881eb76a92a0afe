"""Every number the recommendation matcher uses, in one place, each marked as the review's or
as MAPS's own choice (RULES, in the same form as app/scoring/thresholds.py).

docs/method.md ("Recommendations") explains each one; a test checks that every number here is
marked and listed there. The matcher reuses the scoring core's own definitions of a notable gap
and of a contested factor (app/scoring/thresholds.py) rather than new ones."""

from app.scoring import thresholds as scoring
from app.scoring.thresholds import FromReview, OwnChoice

# How many recommendations a round gets at most (the report prints them all).
DEFAULT_LIMIT = 12

# --- 1. Weakest factors --------------------------------------------------------------
# A factor is weak when its band is below the questionnaire's top band (for the core
# instrument: "concern" or "borderline"). Without bands, below this score.
WEAK_SCORE = 70.0
# The weakest this many factors get recommendations of their own...
MAX_WEAK_FACTORS = 3
# ... this many each when in the questionnaire's lowest band ("concern"), else this many.
PER_LOWEST_BAND_FACTOR = 2
PER_WEAK_FACTOR = 1

# --- 2. Contested factors ------------------------------------------------------------
# A factor is contested when two agencies (or the strategic and operational levels) differ
# on it by at least NOTABLE_GAP points, or when the scoring core marks its spread of
# respondent composites as contested (CONTESTED_SHARE on each side, or SD >= CONTESTED_SD).
NOTABLE_GAP = scoring.NOTABLE_GAP
MAX_CONTESTED_FACTORS = 3
PER_CONTESTED_FACTOR = 1
# When a factor is contested, strategies from these practice areas (about shared
# understanding) rank first among those addressing it: disagreement is what they tackle.
BRIDGING_PRACTICE_AREAS = ("fostering_understanding", "shared_purpose",
                           "communication_information_sharing")

# --- 3. What the typologies say is missing ---------------------------------------------
# The ordered models whose gaps and next rung or level the matcher works towards, in this
# order (the next Gaster rung is the nearer step).
TYPOLOGY_MODELS = ("gaster", "townsley")
MAX_TYPOLOGY_CRITERIA = 3
PER_CRITERION = 1

# --- 4. Cross-cutting -----------------------------------------------------------------
# Each of the review's three cross-cutting themes (time, joint training, joint aims) is
# always represented by at least this many recommendations, taking the last places if
# need be.
PER_THEME = 1

# --- Fitting the partnership ----------------------------------------------------------
# A fact is affirmed when its support (Yes 1, Partly 1/2, No 0) reaches AFFIRMED, and denied
# up to DENIED: two-thirds of the board saying Yes (or No) always does.
AFFIRMED = 2 / 3
DENIED = 1 / 3

RULES: dict[str, FromReview | OwnChoice] = {
    "DEFAULT_LIMIT": OwnChoice("a board can act on about a dozen things in a year",
                               "the demo data and the golden boards"),
    "WEAK_SCORE": OwnChoice("the core instrument's own top band starts at 70",
                            "the bands of the core instrument"),
    "MAX_WEAK_FACTORS": OwnChoice("a short list stays actionable", "the golden boards"),
    "PER_LOWEST_BAND_FACTOR": OwnChoice("a factor of concern deserves more than one way in",
                                        "the golden boards"),
    "PER_WEAK_FACTOR": OwnChoice("one strategy each for borderline factors", "the golden boards"),
    "NOTABLE_GAP": OwnChoice("the scoring core's notable gap, not a second definition",
                             "app/scoring/thresholds.py"),
    "MAX_CONTESTED_FACTORS": OwnChoice("a short list stays actionable", "the golden boards"),
    "PER_CONTESTED_FACTOR": OwnChoice("a contested factor needs a conversation first",
                                      "the golden boards"),
    "BRIDGING_PRACTICE_AREAS": OwnChoice(
        "of Table 5.1's practice areas, these three are about building shared understanding",
        "Table 5.1"),
    "TYPOLOGY_MODELS": OwnChoice(
        "the two ordered models with a next step to work towards; the nearer one first",
        "the golden boards"),
    "MAX_TYPOLOGY_CRITERIA": OwnChoice("a placement describes, it does not rate (chapter 2, "
                                       "key points): a few steps at most", "the golden boards"),
    "PER_CRITERION": OwnChoice("one strategy per missing fact", "the golden boards"),
    "PER_THEME": FromReview(
        "Chapter 5, key points: 'three aspects of good practice emerged ... as particularly "
        "important' (time, joint training, joint aims); that one of each is always shown is "
        "MAPS's choice"),
    "AFFIRMED": OwnChoice(
        "two-thirds of the board saying a fact is so: the rule the golden boards are held to",
        "the golden boards (tests/test_recommendations.py)"),
    "DENIED": OwnChoice("the mirror of AFFIRMED", "the golden boards"),
}
