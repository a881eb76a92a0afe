"""The method is written down truly: every rule and number is marked as the review's or MAPS's
own and listed in docs/method.md, and every marker of Gaster's ladder in section 2.3 has
version 2 items, tabled in docs/method.md beside the review's words."""

import re
from pathlib import Path

import pytest

from app.questionnaires.loader import load_catalogue
from app.recommendations import thresholds as recommending
from app.scoring import RespondentAnswers, score_round
from app.scoring import thresholds as scoring
from app.scoring.thresholds import FromReview, OwnChoice
from tests.doc_tables import GASTER_MARKERS, covering, rung_text

ROOT = Path(__file__).resolve().parents[1]
METHOD = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
EXCERPTS = (ROOT / "tests" / "data" / "review-excerpts.txt").read_text(encoding="utf-8")
V2 = load_catalogue().get("multi-agency-working", 2)


def constants(module) -> set[str]:
    return {name for name in vars(module) if name.isupper() and not name.startswith("_")}


@pytest.mark.parametrize("module", [scoring, recommending], ids=["scoring", "recommendations"])
def test_every_rule_is_marked_as_the_reviews_or_maps_own(module):
    names = constants(module) - {"RULES"}
    assert names == set(module.RULES), names ^ set(module.RULES)
    for name, mark in module.RULES.items():
        assert isinstance(mark, FromReview | OwnChoice), name
        if isinstance(mark, FromReview):
            assert re.search(r"(Section|Chapter|Table) \d", mark.passage), name
        else:
            assert mark.reason and mark.checked, name


@pytest.mark.parametrize("module", [scoring, recommending], ids=["scoring", "recommendations"])
def test_every_rule_is_listed_in_the_method_document_with_its_mark(module):
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Z_]+)` \|.*$", METHOD, re.M)}
    for name, mark in module.RULES.items():
        assert name in rows, f"docs/method.md has no row for {name}"
        word = "From the review" if isinstance(mark, FromReview) else "MAPS's own choice"
        assert word in rows[name], f"{name} is not marked '{word}' in docs/method.md"


# --- Gaster et al.'s ladder: every marker has its items -----------------------------------

@pytest.mark.parametrize("rung", sorted(GASTER_MARKERS))
def test_the_markers_are_the_reviews_words_and_all_of_them(rung):
    label, markers = GASTER_MARKERS[rung]
    text = rung_text(label)
    rest = text
    for marker in markers:
        assert marker in text, marker
        rest = rest.replace(marker, " ")
    assert re.sub(r"\b(Involving|and|but)\b|[.,;:]", " ", rest).split() == []


@pytest.mark.parametrize("rung", sorted(GASTER_MARKERS))
def test_every_marker_has_items_and_every_item_a_marker(rung):
    label, markers = GASTER_MARKERS[rung]
    for marker in markers:
        assert covering(rung, marker), f"rung {rung}: no item for '{marker}'"
    covered = {i for marker in markers for i in covering(rung, marker)}
    assert covered == {i.id for i in V2.tagged("gaster", rung)}


def test_the_method_document_tables_every_marker_beside_its_items():
    for rung, (_, markers) in GASTER_MARKERS.items():
        for marker in markers:
            row = next((line for line in METHOD.splitlines()
                        if line.startswith(f"| {rung} |") and marker in line), None)
            assert row, f"docs/method.md: no row for rung {rung}, '{marker}'"
            for item_id in covering(rung, marker):
                assert f"`{item_id}`" in row, (marker, item_id)


def test_evidence_that_balances_places_the_level_close_to_the_line_with_its_gaps():
    """docs/method.md, section 6: a height halfway between two levels goes to the higher one,
    and says it is close to the line. A board saying there is no panel and no joint goal
    setting, but that agencies neither keep to their own remit nor lack coordination, has as
    much evidence for coordinated working as against it."""
    answers = {"pr_multi_agency_panel": "0", "pr_meet_set_goals": "0",
               "pr_single_agency_focus": "0", "pr_little_coordination": "0",
               "st_single_agency_funding": "2", "pr_own_services": "2"}
    answers |= {i: "0" for i in ("st_pooled_budget", "st_operational_team", "st_key_workers",
                                 "pr_services_synthesised", "pr_user_focus", "pr_roles_blur")}
    board = [RespondentAnswers(agency=agency, level=level, answers=answers)
             for agency, level in (("Health", "strategic"), ("Police", "operational"),
                                   ("Schools", "strategic"), ("Housing", "operational"))]
    townsley = score_round(V2, board).placement("townsley")
    assert (townsley.level, townsley.position) == ("coordinated", 0.5)
    assert townsley.margin.steps == 1 and not townsley.margin.firm
    assert "would make it autonomous working" in townsley.margin.text
    assert {g.criterion.item_id for g in townsley.gaps} == {"pr_multi_agency_panel",
                                                            "pr_meet_set_goals"}
