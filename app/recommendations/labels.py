"""Plain-English names for the tag values scores are kept under, and the one way scores are
written, shared by the recommendations, the report and the charts."""

import math

# Names as the review writes them (Table 4.1, section 2.4, chapter 5).
FACTORS = {
    "role_demarcation": "Role demarcation",
    "commitment": "Commitment",
    "trust_mutual_respect": "Trust and mutual respect",
    "understanding_other_agencies": "Understanding other agencies",
    "communication": "Communication",
    "clarity_of_purpose": "Clarity of purpose",
    "planning_consultation": "Planning and consultation",
    "organisational_aspects": "Organisational aspects",
    "information_exchange": "Information exchange",
    "funding": "Funding",
    "staffing": "Staffing",
    "time": "Time",
    "leadership": "Leadership",
    "governance_accountability": "Governance and accountability",
    "performance_management": "Performance management",
    "joint_training": "Joint training and team building",
    "history_of_collaboration": "History of collaboration",
}
AREAS = {
    "working_relationships": "Working relationships",
    "multi_agency_processes": "Multi-agency processes",
    "resources": "Resources",
    "management_governance": "Management and governance",
}
DIMENSIONS = {
    "organisation": "Organisation",
    "joint_investment": "Joint investment",
    "integration": "Integration",
}
IMPACTS = {
    "professionals": "Professionals",
    "service_users": "Service users",
    "agencies": "Agencies",
}
LEVELS = {"strategic": "Strategic staff", "operational": "Operational staff"}
BY_TAG = {"factor": FACTORS, "area": AREAS, "dimension": DIMENSIONS, "impact_on": IMPACTS}


def label(tag: str, value: str) -> str:
    """The name of a tag value; unknown values (another instrument's) are tidied up."""
    known = BY_TAG.get(tag, {})
    return known.get(value) or value.replace("_", " ").strip().capitalize()


def factor_label(value: str) -> str:
    return label("factor", value)


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
