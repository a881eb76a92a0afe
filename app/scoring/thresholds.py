"""Every number the scoring and placement rules depend on, named, in one place.

docs/method.md explains each one and the passage of the review it rests on. Change a value
here and the method document must change with it."""

# Tags whose values get their own scores (dimension, factor area, factor, impact).
SCORED_TAGS = ("dimension", "area", "factor", "impact_on")

# Items in these parts record facts about structure for typology placement; they are not
# measures of how well the partnership works, so they stay out of every score and band.
MARKER_PARTS = ("structure",)

# The typology models and the tag each one reads.
TYPOLOGY_TAGS = ("townsley", "gaster", "fox_butler_stage", "fox_butler_function",
                 "audit_commission", "atkinson", "watson")

# --- Anonymity -------------------------------------------------------------------------
# No figure is shown for a group of fewer respondents than a round's threshold, nor one that
# would let such a group be worked out by subtraction (app/scoring/disclosure.py). The
# threshold is at least the site's minimum (MAPS_MIN_ANONYMITY_THRESHOLD), which defaults to
# this; the minimum cannot be set below LEAST: in a group of two, either member can subtract
# their own answers from the pair's and read the other's.
DEFAULT_ANONYMITY_THRESHOLD = 3
LEAST_ANONYMITY_THRESHOLD = 3

# --- Consensus -------------------------------------------------------------------------
# Agreement index = 1 - SD / MAX_SD, where MAX_SD is the largest standard deviation that
# scores bounded by 0 and 100 can have (half the respondents at each end).
MAX_SD = 50.0
# An item is contested when at least this share of those answering are on each side:
# favourable (score >= FAVOURABLE) and unfavourable (score <= UNFAVOURABLE).
CONTESTED_SHARE = 0.25
FAVOURABLE = 75.0
UNFAVOURABLE = 25.0
# ... or when the answers are spread this widely (SD on 0-100), whatever their balance.
CONTESTED_SD = 30.0
# Fewer answers than this cannot show a meaningful disagreement.
MIN_ANSWERS_FOR_CONSENSUS = 4
# A gap between two groups' factor scores worth reporting (points on 0-100).
NOTABLE_GAP = 15.0

# --- Typology placement -------------------------------------------------------------------
# A structural fact counts as present ("met") when the mean of the board's answers
# (Yes = 1, Partly = 0.5, No = 0, "don't know" left out) reaches MET, and as partly present
# from PARTLY.
MET = 2 / 3
PARTLY = 1 / 3
# A fact with fewer answers than this (excluding "don't know") is unknown, not absent.
MIN_ANSWERS_PER_CRITERION = 2
# Gaster et al.: a rung is reached when its criteria are, on average, at least this far met
# (a met criterion counts 1, a partly met one 0.5), and every rung below it is reached.
RUNG_REACHED = 0.75
# Townsley et al.: integrated working needs every one of its defining features;
# coordinated working needs at least this share of its coordination mechanisms.
INTEGRATED_SHARE = 1.0
COORDINATED_SHARE = 0.5

# --- Coverage and confidence -----------------------------------------------------------
# Below this many respondents no placement is made at all.
MIN_RESPONDENTS = 3
# Confidence is "low" when fewer than this share of the partnership's agencies answered,
# or fewer than MIN_AGENCIES agencies, or fewer than this share of items were answered.
MIN_AGENCY_SHARE = 0.5
MIN_AGENCIES = 2
MIN_ANSWERED_SHARE = 0.6
