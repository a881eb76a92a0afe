"""Every number the recommendation matcher uses, in one place.

docs/method.md ("Recommendations") explains each one. Change a value here and the method
document must change with it. The matcher reuses the scoring core's own definitions of a
notable gap and of a contested factor (app/scoring/thresholds.py) rather than new ones."""

from app.scoring import thresholds as scoring

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
# The ordered models whose next rung or level the matcher works towards, in this order
# (the next Gaster rung is the nearer step).
TYPOLOGY_MODELS = ("gaster", "townsley")
MAX_TYPOLOGY_CRITERIA = 3
PER_CRITERION = 1

# --- 4. Cross-cutting -----------------------------------------------------------------
# Each of the review's three cross-cutting themes (time, joint training, joint aims) is
# always represented by at least this many recommendations, taking the last places if
# need be.
PER_THEME = 1
