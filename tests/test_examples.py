"""The three example instruments of docs/examples, each scored from fixed answers and every
figure held to a hand computation written here: a factors inventory banded on the mean, a
checklist banded on the total, a roster scale drawing the collaboration map."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app.questionnaires.loader import load_file, parse
from app.reports.context import build_context
from app.reports.pdf import render_html
from app.scoring import RespondentAnswers, score_round
from app.scoring.collaboration import collaboration_map

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
INVENTORY = load_file(EXAMPLES / "collaboration-factors-inventory.yaml")
CHECKLIST = load_file(EXAMPLES / "partnership-checklist.yaml")
ROSTER = load_file(EXAMPLES / "partner-collaboration-levels.yaml")


def board(questionnaire, answers: dict[str, list]) -> list[RespondentAnswers]:
    """Respondents from a table of item id -> each respondent's answer (None: left blank)."""
    count = len(next(iter(answers.values())))
    return [RespondentAnswers(agency="Alpha", answers={
        item: str(values[n]) for item, values in answers.items() if values[n] is not None})
        for n in range(count)]


def report_of(questionnaire, result) -> BeautifulSoup:
    context = build_context(partnership_name="Northvale", round_title="Round 1",
                            questionnaire=questionnaire, result=result)
    return BeautifulSoup(render_html(context, charts=True, appendix=True), "html.parser")


def table(soup: BeautifulSoup, caption: str) -> dict[str, list[str]]:
    found = next(t for t in soup.select("table.report-scores")
                 if t.caption.get_text(strip=True) == caption)
    return {row.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in row("td")]
            for row in found.tbody("tr")}


# --- A factors inventory banded on the mean, every answer pooled -----------------------------

# Four members' answers to the 40 statements (None: left blank). The inventory has no "Don't
# know": a member who cannot answer leaves the statement out.
INVENTORY_ANSWERS = {
    "agencies_worked_together": [5, 4, 4, 5], "joint_habit": [4, 4, 3, None],
    "seen_as_right_body": [4, 4, 4, 4], "backed_by_leaders": [4, 4, 4, 3],
    "political_support": [3, 3, 2, 3], "climate_right": [3, 2, 3, 3],
    "respect_others": [5, 5, 5, 4], "members_trust": [4, 3, 4, 4],
    "stakeholders_represented": [3, 3, 3, 3], "right_organisations": [3, 2, None, None],
    "worthwhile_for_mine": [4, 4, 4, 4], "give_ground": [3, 4, 3, 4],
    "commit_time": [4, 4, 3, 4], "want_success": [5, 5, 5, 5],
    "commitment_high": [4, None, 4, 4],
    "time_to_consult": [2, 3, 2, 3], "backing_of_decision_makers": [3, 3, 3, 2],
    "open_to_ways": [4, 3, 4, 4], "options_discussed": [4, 4, 3, 4],
    "roles_understood": [2, 2, 3, 2], "decision_process": [3, 2, 2, 2],
    "change_plans": [4, 4, 4, 4], "copes_with_change": [4, 4, 4, 4],
    "right_amount": [3, 3, 4, 3], "keeps_up": [3, 4, 3, 3],
    "communicate_openly": [4, 4, 4, 4], "kept_informed": [3, 4, None, 4],
    "leaders_communicate": [4, 4, 4, 4],
    "meetings_and_informally": [4, 5, 4, 4], "get_on_personally": [5, 4, 4, 5],
    "understand_goals": [4, 4, 4, 4], "members_know_goals": [4, 3, 4, 4],
    "goals_realistic": [3, 4, 4, 4],
    "views_match": [4, 4, 3, 4], "believe_it_works": [5, 4, 4, 4],
    "hard_alone": [5, 5, 5, 5], "nobody_else": [4, 4, 5, 4],
    "enough_money": [2, 1, 2, 2], "enough_people": [2, 2, 1, 2],
    "leaders_skilled": [4, 4, 4, 5],
}
# Each factor: (sum of its answers, how many) by hand, the mean printed to two decimals
# (halves up) and its band (4.0 strength, 3.0 borderline, below concern), read on that print.
FACTORS = {
    "history": (18 + 11, 7, "4.14", "strength"),
    "legitimate_leader": (16 + 15, 8, "3.88", "borderline"),  # 3.875: half up, still < 4
    "favourable_climate": (11 + 11, 8, "2.75", "concern"),
    "mutual_respect": (19 + 15, 8, "4.25", "strength"),
    "cross_section": (12 + 5, 6, "2.83", "concern"),
    "self_interest": (16, 4, "4.00", "strength"),
    "compromise": (14, 4, "3.50", "borderline"),
    "shared_stake": (15 + 20 + 12, 11, "4.27", "strength"),
    "multiple_layers": (10 + 11, 8, "2.63", "concern"),  # 2.625: half up
    "flexibility": (15 + 15, 8, "3.75", "borderline"),
    "clear_roles": (9 + 9, 8, "2.25", "concern"),
    "adaptability": (16 + 16, 8, "4.00", "strength"),
    "pace": (13 + 13, 8, "3.25", "borderline"),
    "open_communication": (16 + 11 + 16, 11, "3.91", "borderline"),
    "informal_links": (17 + 18, 8, "4.38", "strength"),  # 4.375
    "concrete_goals": (16 + 15 + 15, 12, "3.83", "borderline"),
    "shared_vision": (15 + 17, 8, "4.00", "strength"),
    "unique_purpose": (20 + 17, 8, "4.63", "strength"),  # 4.625
    "sufficient_resources": (7 + 7, 8, "1.75", "concern"),
    "skilled_leadership": (17, 4, "4.25", "strength"),
}
# The categories pool every answer to their statements; the inventory gives them no bands.
CATEGORIES = {
    "environment": (82, 23, "3.57"), "membership": (81, 22, "3.68"),
    "process_structure": (174, 51, "3.41"), "communication": (78, 19, "4.11"),
    "purpose": (115, 28, "4.11"), "resources": (31, 12, "2.58"),
}
OVERALL = (561, 155, "3.62", "borderline")  # every answer to all 40 statements


def test_the_inventory_gives_each_factor_its_pooled_mean_and_band_on_the_mean_printed():
    result = score_round(INVENTORY, board(INVENTORY, INVENTORY_ANSWERS))
    factors = result.partnership.tags["factor"]
    assert list(factors) == list(FACTORS)  # every factor, in the inventory's order
    for factor, (total, count, printed, band) in FACTORS.items():
        score = factors[factor]
        assert score.headline.basis == "mean", factor
        assert score.headline.value == pytest.approx(float(printed)), factor
        assert score.headline.number == printed, factor
        assert score.headline.text == f"{printed} out of 5", factor
        assert score.band == band, factor
        # The 0-100 score (not shown for this inventory) is the same mean, unrounded.
        assert score.score == pytest.approx((total / count - 1) / 4 * 100), factor
    areas = result.partnership.tags["area"]
    for area, (total, count, printed) in CATEGORIES.items():
        assert areas[area].headline.number == printed, area
        assert areas[area].score == pytest.approx((total / count - 1) / 4 * 100), area
        assert areas[area].band is None, area
    total, count, printed, band = OVERALL
    overall = result.partnership
    assert (overall.overall_headline.number, overall.overall_band) == (printed, band)
    assert overall.overall == pytest.approx((total / count - 1) / 4 * 100)
    # 3.52 against 3.5625 in the issue: each member's own mean first gives another figure.
    # Open communication by member: (4+3+4)/3, (4+4+4)/3, (4+4)/2, (4+4+4)/3 -> 3.92.
    own = parse((EXAMPLES / "collaboration-factors-inventory.yaml").read_text().replace(
        "group_mean: pooled", "group_mean: respondents"))
    mean = (11 / 3 + 4 + 4 + 4) / 4
    kept = score_round(own, board(own, INVENTORY_ANSWERS)).partnership.tags["factor"]
    assert kept["open_communication"].headline.number == f"{mean:.2f}" == "3.92"


def test_the_inventory_report_prints_means_without_scores_out_of_100():
    result = score_round(INVENTORY, board(INVENTORY, INVENTORY_ANSWERS))
    soup = report_of(INVENTORY, result)
    rows = table(soup, "Factor scores")
    labels = {value: INVENTORY.tag_label("factor", value) for value in FACTORS}
    assert {labels[f]: row[:2] for f, row in zip(FACTORS, rows.values(), strict=True)} == {
        labels[f]: [printed, band] for f, (_, _, printed, band) in FACTORS.items()}
    heading = [th.get_text(strip=True) for th in soup.select("table.report-scores thead th")]
    assert "Mean (1 to 5)" in heading and "Score (0 to 100)" not in heading
    summary = soup.select_one("#summary").get_text(" ", strip=True)
    assert "The overall mean is 3.62 out of 5 borderline" in summary
    assert "out of 100" not in soup.get_text()
    # Strengths and priorities: the highest and lowest factor means, as printed.
    strengths = [li.get_text(" ", strip=True) for li in soup.select("#strengths ~ ol li")]
    assert strengths == ["Unique purpose : 4.63 out of 5 strength",
                         "Established informal relationships and communication links : "
                         "4.38 out of 5 strength",
                         "Members share a stake in both process and outcome : 4.27 out of 5 "
                         "strength"]
    # No recommendation, placement, structural fact or citation of MAPS's own is added.
    for absent in ("#recommendations", "#placements", "#disputed-facts"):
        assert soup.select_one(absent) is None, absent
    for words in ("Table 5.1", "Townsley", "Gaster", "Atkinson", "Don’t know", "Don't know"):
        assert words not in soup.get_text(), words


# --- A checklist banded on the total ---------------------------------------------------------

PARTS = ("need", "partners", "working", "planning", "action", "barriers", "reflecting")
# Each member's answer to every statement of each part; the blanks below are left out.
PER_PART = [
    [5, 4, 4, 4, 4, 3, 4],  # totals 25 20 20 20 20 15 20 = 140
    [4, 4, 4, 3, 4, 3, 4],  # 20 20 20 15 20 15 20 = 130
    [4, 4, 3, 3, 3, 3, 3],  # 20 20 15 15 15 15 15 = 115
    [3, 3, 3, 3, 3, 2, 3],  # 15 15 15 15 15 10 15 = 100
    [5, 5, 5, 4, 4, 4, 4],  # 25 25 25 20 20 20 20 = 155
    [4, 3, 4, 4, 4, 4, 4],  # working_3 blank: 4 x 4 = 16, prorated to 20; 131 of 34 answers
    [4, 4, 4, 4, 4, 4, 4],  # barriers_1-3 and all of reflecting blank: 8 of 35 (more than
]                           # a fifth), so no overall total; no barriers or reflecting total
BLANK = {5: {"working_3"},
         6: {"barriers_1", "barriers_2", "barriers_3", *(f"reflecting_{i}" for i in range(1, 6))}}


def checklist_board() -> list[RespondentAnswers]:
    return [RespondentAnswers(agency="Alpha", answers={
        f"{part}_{i}": str(values[p]) for p, part in enumerate(PARTS) for i in range(1, 6)
        if f"{part}_{i}" not in BLANK.get(n, ())})
        for n, values in enumerate(PER_PART)]


# Each part's total by hand: the members with one, their totals, and how many were prorated.
PART_TOTALS = {
    "need": ([25, 20, 20, 15, 25, 20, 20], 0),
    "partners": ([20, 20, 20, 15, 25, 15, 20], 0),
    "working": ([20, 20, 15, 15, 25, 16 * 5 / 4, 20], 1),
    "planning": ([20, 15, 15, 15, 20, 20, 20], 0),
    "action": ([20, 20, 15, 15, 20, 20, 20], 0),
    "barriers": ([15, 15, 15, 10, 20, 20], 0),
    "reflecting": ([20, 20, 15, 15, 20, 20], 0),
}
PART_PRINTED = {"need": "20.7", "partners": "19.3", "working": "19.3", "planning": "17.9",
                "action": "18.6", "barriers": "15.8", "reflecting": "18.3"}
OVERALL_TOTALS = [140, 130, 115, 100, 155, 131 * 35 / 34]  # the seventh has none


def test_the_checklist_gives_each_total_and_whose_it_is():
    result = score_round(CHECKLIST, checklist_board())
    parts = result.partnership.tags["area"]
    for part, (totals, prorated) in PART_TOTALS.items():
        figure = parts[part].headline
        assert figure.basis == "total", part
        assert parts[part].total == pytest.approx(sum(totals) / len(totals)), part
        assert figure.number == PART_PRINTED[part], part
        assert figure.text == f"{PART_PRINTED[part]} of 25", part
        assert (figure.respondents, figure.of, figure.prorated) == (len(totals), 7, prorated)
        assert parts[part].band is None, part  # the tool gives the parts no cut points
    overall = result.partnership
    assert overall.overall_total == pytest.approx(sum(OVERALL_TOTALS) / 6)  # 129.142...
    figure = overall.overall_headline
    assert (figure.text, figure.who) == ("129.1 of 175", "6 of 7 respondents, 1 prorated")
    assert overall.overall_band == "genuine collaboration"  # from 127
    # The 0-100 score beside it: each member's mean over the statements they answered, on
    # 0-100, then their mean: 75, 67.857, 57.143, 46.429, 85.714, 71.324 (131/34), 75.
    means = [140 / 35, 130 / 35, 115 / 35, 100 / 35, 155 / 35, 131 / 34, 4]
    assert overall.overall == pytest.approx(sum((m - 1) / 4 * 100 for m in means) / 7)
    data = result.to_dict()["partnership"]
    assert data["overall_headline"]["text"] == "129.1 of 175"
    assert data["overall_headline"]["who"] == "6 of 7 respondents, 1 prorated"
    assert data["tags"]["area"]["working"]["headline"]["prorated"] == 1


def test_the_checklist_report_leads_with_the_total_and_keeps_the_score_beside_it():
    soup = report_of(CHECKLIST, score_round(CHECKLIST, checklist_board()))
    summary = soup.select_one("#summary").get_text(" ", strip=True)
    assert ("The overall total is 129.1 of 175 genuine collaboration (6 of 7 respondents, 1 "
            "prorated); 68 on MAPS’s scale of 0 to 100.") in summary
    rows = table(soup, "Area scores")
    # Working: on 0-100, 75 75 50 50 100 75 (16 of 4 answers) 75, whose mean is 71.43.
    assert rows[CHECKLIST.tag_label("area", "working")] == ["19.3", "71", "",
                                                            "7 of 7, 1 prorated"]
    assert rows[CHECKLIST.tag_label("area", "barriers")][0] == "15.8"
    assert rows[CHECKLIST.tag_label("area", "barriers")][3] == "6 of 7"
    assert "“Members” says whose totals it is the mean of" in soup.select_one("#scores").text


# --- A roster scale: the collaboration map ---------------------------------------------------

AGENCIES = [("1", "Alpha"), ("2", "Beta"), ("3", "Gamma")]
# Three members of each agency rate the other two (0 no interaction ... 5 collaboration).
RATINGS = {
    "Alpha": {"Beta": [4, 4, 3], "Gamma": [0, 1, 0]},
    "Beta": {"Alpha": [1, 2, 1], "Gamma": [0, 0, 0]},
    "Gamma": {"Alpha": [0, 1, 0], "Beta": [0, 0, 1]},
}


def roster_board() -> list[RespondentAnswers]:
    keys = dict((name, key) for key, name in AGENCIES)
    return [RespondentAnswers(agency=rater, agency_id=keys[rater], answers={
        f"level_with_partner@{keys[target]}": str(values[n])
        for target, values in targets.items()})
        for rater, targets in RATINGS.items() for n in range(3)]


def test_the_roster_scale_draws_the_map_each_cell_the_mean_of_its_raters():
    found = collaboration_map(ROSTER.for_roster(AGENCIES), roster_board(), threshold=3)
    assert found.agencies == ("Alpha", "Beta", "Gamma")
    assert found.raters == ("Alpha", "Beta", "Gamma") and found.merged == ()
    cells = {(c.rater, c.target): (round(c.mean, 4), c.n) for c in found.cells}
    assert cells == {("Alpha", "Beta"): (round(11 / 3, 4), 3), ("Alpha", "Gamma"): (0.3333, 3),
                     ("Beta", "Alpha"): (round(4 / 3, 4), 3), ("Beta", "Gamma"): (0.0, 3),
                     ("Gamma", "Alpha"): (0.3333, 3), ("Gamma", "Beta"): (0.3333, 3)}
    # Alpha rates Beta 3.67 (coalition), Beta rates Alpha 1.33 (networking): 2.33 apart.
    assert [(p.first, p.second, round(p.gap, 4)) for p in found.asymmetric] == [
        ("Alpha", "Beta", round(11 / 3 - 4 / 3, 4))]
    assert found.level_label(11 / 3) == "Coalition" and found.level_label(4 / 3) == "Networking"
    # Every rating of Gamma and by Gamma is below networking (1): 0.33, 0, 0.33, 0.33.
    assert found.isolated == ("Gamma",)
