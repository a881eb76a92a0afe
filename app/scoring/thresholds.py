"""Every number and rule the scoring and placement depend on, named, in one place, each
marked as taken from the review or as MAPS's own choice.

RULES says which, with the passage for the review's and the reason, and what it was checked
against, for MAPS's own. docs/method.md lists every one of them (a test checks both ways).
Change a value here and the method document must change with it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FromReview:
    """A rule taken from Atkinson, Jones and Lamont (2007)."""

    passage: str


@dataclass(frozen=True)
class OwnChoice:
    """A rule the review does not give: MAPS's own, with why and what it was tried on."""

    reason: str
    checked: str


_GOLDEN = "the golden boards (tests/data/golden, docs/method.md section 10)"

# Tags whose values get their own scores (dimension, factor area, factor, impact).
SCORED_TAGS = ("dimension", "area", "factor", "impact_on")

# Items in these parts record facts about structure for typology placement; they are not
# measures of how well the partnership works, so they stay out of every score and band.
MARKER_PARTS = ("structure",)

# The typology models and the tag each one reads; a tag `<model>_against` marks a fact that
# counts against a level of that model.
TYPOLOGY_TAGS = ("townsley", "gaster", "fox_butler_stage", "fox_butler_function",
                 "audit_commission", "atkinson", "watson")
AGAINST_SUFFIX = "_against"

# --- Anonymity -------------------------------------------------------------------------
# No figure is shown for a group of fewer respondents than a round's threshold, nor one that
# would let such a group be worked out by subtraction (app/scoring/disclosure.py). The
# threshold is at least the site's minimum (MAPS_MIN_ANONYMITY_THRESHOLD), which defaults to
# this; the minimum cannot be set below LEAST: in a group of two, either member can subtract
# their own answers from the pair's and read the other's.
DEFAULT_ANONYMITY_THRESHOLD = 3
LEAST_ANONYMITY_THRESHOLD = 3

# --- The collaboration map (app/scoring/collaboration.py) --------------------------------
# A pair of agencies is asymmetric when one rates the other at least this many levels away
# from the other's rating of it (both ratings shown).
ASYMMETRIC_LEVELS = 2
# An agency is isolated when every rating shown of it, and by it, is below this level (on
# the Levels of Collaboration Scale, 1 is networking: below it, no interaction).
ISOLATED_BELOW = 1.0

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

# --- Typology placement ------------------------------------------------------------------
# A fact's support is the mean of the board's answers, Yes = 1, Partly = 1/2, No = 0 (the
# scale's own numbers; "don't know" and "not applicable" left out), in every model alike.
# A fact, or a level's evidence taken as a whole, is "in place" from IN_PLACE and "not in
# place" up to NOT_IN_PLACE; in between it is partly in place.
IN_PLACE = 0.75
NOT_IN_PLACE = 0.25
# A fact fewer members than this answered Yes, Partly or No to is unknown, not absent.
MIN_ANSWERS_PER_CRITERION = 3
# A level of an ordered model needs at least this many known facts (or all it has).
MIN_KNOWN_PER_LEVEL = 2
# Ordered models (Townsley, Gaster, the stages) are climbed from the bottom. On the cumulative
# ones a level counts only as far as every level below it does; on the inclusive one a higher
# level includes the lower, so a level counts at least as far as any level above it.
ORDERED_MODELS = ("townsley", "gaster", "fox_butler_stage")
INCLUSIVE_MODELS = ("townsley",)
# The level every partnership starts from, which has no criteria of its own: its facts are
# the evidence against the level above it.
FLOOR_LEVELS = {"townsley": "autonomous", "fox_butler_stage": "networking"}
# Unordered models describe kinds, not rungs. A kind is described when at least this share
# of its evidence is consistent with it; two kinds whose shares are closer than NEAR_TIE are
# reported together ("features of both").
DESCRIBED = IN_PLACE
NEAR_TIE = 0.1

# --- Margins -----------------------------------------------------------------------------
# A placement that this many single-step answer changes (or fewer) would move is "close to
# the line"; otherwise "firm".
CLOSE_MARGIN = 3
# The questions a placement hinges on: at most this many are named.
MAX_HINGES = 3

# --- Coverage and confidence -----------------------------------------------------------
# Below this many respondents no placement is made at all.
MIN_RESPONDENTS = 3
# Confidence is "low" when fewer than this share of the partnership's agencies answered,
# or fewer than MIN_AGENCIES agencies, or fewer than this share of items were answered.
MIN_AGENCY_SHARE = 0.5
MIN_AGENCIES = 2
MIN_ANSWERED_SHARE = 0.6

# --- Change since the previous round (app/scoring/change.py) -----------------------------
# A score's change is notable when it is at least NOTABLE_CHANGE points and at least CHANGE_Z
# standard errors of the difference between the two rounds' means of members' own scores
# (each round's spread and number answering), so few or divided answers need a larger move.
# Where a round gives no spread (the overall score), ASSUMED_SD stands in for it.
NOTABLE_CHANGE = 10.0
CHANGE_Z = 2.0
ASSUMED_SD = 20.0
# At most this many moved factors are listed, largest first.
MAX_CHANGES_LISTED = 5
# When fewer than this share of this round's agencies also answered the previous round, the
# change is read with the warning that a different board answered.
SAME_BOARD_SHARE = 0.5


RULES: dict[str, FromReview | OwnChoice] = {
    "SCORED_TAGS": FromReview(
        "Section 2.4 (the three dimensions), Table 4.1 and chapter 4 (the factors and their "
        "four areas), Table 3.1 (impacts on professionals, service users and agencies)"),
    "MARKER_PARTS": OwnChoice(
        "a fact about how a partnership is set up says what kind it is, not how well it "
        "works, so it places the partnership and is never averaged into a score",
        "the review's caution that models are not linked to outcomes (chapter 2, key points)"),
    "TYPOLOGY_TAGS": FromReview(
        "Section 2.3: Townsley et al. (2004a), Gaster et al. (1999), Griffith (2002) and "
        "Fox and Butler (2004), the Audit Commission (1998), Atkinson et al. (2002), "
        "Watson et al. (2000; 2002)"),
    "AGAINST_SUFFIX": FromReview(
        "Section 2.3 describes levels by what they lack as well as what they have: "
        "autonomous working's 'funding of service delivery remain single agency' against "
        "integrated working's 'funding is multi-agency'; a steering group 'without "
        "dedicated staff or budget'"),
    "DEFAULT_ANONYMITY_THRESHOLD": OwnChoice(
        "with three or more in a group no single member's answers can be read off its scores",
        "the privacy suite (tests/test_privacy.py) and the anonymity tests of "
        "tests/test_scoring.py and tests/test_recommendations.py"),
    "LEAST_ANONYMITY_THRESHOLD": OwnChoice(
        "in a group of two either member can subtract their own answers from the pair's and "
        "read the other's, so no setting may go below three",
        "the privacy suite's subtraction attack (tests/test_privacy.py)"),
    "ASYMMETRIC_LEVELS": OwnChoice(
        "two levels apart is more than a difference of one step in judgement: one side "
        "sees, say, coordination where the other sees only networking",
        "the collaboration map tests (tests/test_collaboration.py)"),
    "ISOLATED_BELOW": OwnChoice(
        "below networking, the scale's lowest level of contact, the agencies say they have "
        "no dealings with each other", "the collaboration map tests"),
    "MAX_SD": OwnChoice(
        "arithmetic: the largest standard deviation values between 0 and 100 can have",
        "the consensus tests"),
    "CONTESTED_SHARE": OwnChoice(
        "a quarter of the board on each side is more than one or two outliers on a board of "
        "six to twenty", "the demo data and the golden boards"),
    "FAVOURABLE": OwnChoice("'agree' or better on a five-point scale", "the scale's values"),
    "UNFAVOURABLE": OwnChoice("'disagree' or worse on a five-point scale", "the scale's values"),
    "CONTESTED_SD": OwnChoice(
        "about 1.2 points on a five-point scale: answers spread across most of it",
        "the demo data and the golden boards"),
    "MIN_ANSWERS_FOR_CONSENSUS": OwnChoice(
        "fewer answers cannot show a split of a quarter on each side", "the consensus tests"),
    "NOTABLE_GAP": OwnChoice(
        "15 points is more than half a step on a five-point scale", "the demo data"),
    "IN_PLACE": OwnChoice(
        "three-quarters of the way from No to Yes (three members in four say Yes and one No, "
        "or half say Yes and half Partly); symmetric with NOT_IN_PLACE around the midpoint "
        "where the evidence for and against balances", _GOLDEN),
    "NOT_IN_PLACE": OwnChoice("the mirror of IN_PLACE: most members say No", _GOLDEN),
    "MIN_ANSWERS_PER_CRITERION": OwnChoice(
        "with three answers one member's change of answer moves a fact by at most a sixth, "
        "so no single answer can move a Townsley level or a Gaster rung by more than one",
        "the property tests (tests/test_placement_properties.py)"),
    "MIN_KNOWN_PER_LEVEL": OwnChoice(
        "a level judged on one fact would turn on one question; with two, one answer cannot "
        "move a placement by more than one level", "the property tests"),
    "ORDERED_MODELS": FromReview(
        "Section 2.3: models of the extent of multi-agency working are 'a hierarchical "
        "typology, often presented as a progression or journey'; Griffith's are 'stages, or "
        "levels of engagement'"),
    "INCLUSIVE_MODELS": FromReview(
        "Section 2.3, Townsley et al. (2004a): in integrated working 'Services are synthesised "
        "(and coordinated)', so evidence of integration is evidence of coordination; Gaster's "
        "ladder and Griffith's stages are presented as a progression, each rung on the last"),
    "FLOOR_LEVELS": FromReview(
        "Section 2.3: Townsley et al.'s first level is autonomous working, where 'services "
        "are still separate'; Griffith's typology began with networking, which 'should "
        "precede any partnership'"),
    "DESCRIBED": OwnChoice(
        "the same three-quarters as IN_PLACE: a kind is described when its facts are, as a "
        "whole, in place", _GOLDEN),
    "NEAR_TIE": OwnChoice(
        "a tenth of the evidence is less than one fact's worth for any kind of the core "
        "instrument, so closer kinds are not told apart", _GOLDEN),
    "CLOSE_MARGIN": OwnChoice(
        "three single-step changes are what two or three members reconsidering one answer "
        "would make: a placement that turns on that is close to the line", _GOLDEN),
    "MAX_HINGES": OwnChoice("more questions than three stop being readable in one sentence",
                            "the report's wording"),
    "MIN_RESPONDENTS": OwnChoice(
        "fewer than three people cannot describe a partnership of several agencies",
        "the coverage tests"),
    "MIN_AGENCY_SHARE": OwnChoice(
        "a result from under half the agencies is mostly some agencies' view",
        "the coverage tests"),
    "MIN_AGENCIES": OwnChoice("one agency's answers are one agency's view", "the coverage tests"),
    "MIN_ANSWERED_SHARE": OwnChoice(
        "below 60% answered, most scores rest on a minority of the questions",
        "the coverage tests"),
    "NOTABLE_CHANGE": OwnChoice(
        "ten points is two-fifths of a step on a five-point scale: less is within what "
        "members re-reading the same questions would move", "the demo data's round-on-round "
        "changes (app/demo.py) and tests/test_change.py"),
    "CHANGE_Z": OwnChoice(
        "two standard errors is the usual line for a difference unlikely to be noise; it "
        "weighs how many answered and how far they differed in each round",
        "tests/test_change.py"),
    "ASSUMED_SD": OwnChoice(
        "about the spread of members' own averages on the demo boards and the golden boards, "
        "for a score whose round gives no spread of its own (the overall score)",
        "the demo data and the golden boards"),
    "MAX_CHANGES_LISTED": OwnChoice("five moved factors fit the summary page",
                                    "the report's page count (tests/test_report_pdf.py)"),
    "SAME_BOARD_SHARE": OwnChoice(
        "when most agencies answering are new, a change may say who answered rather than "
        "how the partnership works", "tests/test_change.py"),
}
