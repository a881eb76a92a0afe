"""What the report says about placements agrees with itself: the summary and the section give
the same words, the foot of the ladder is called that everywhere, every placement says how firm
it is, and nothing is "reached" that the same page says is not in place. Read from the report's
HTML through a parser (the PDF is rendered from the same partials)."""

from datetime import date

import pytest
from bs4 import BeautifulSoup

from app.reports.context import build_context
from app.reports.pdf import render_web_body
from app.scoring import RespondentAnswers, score_round
from tests.golden import CORE, boards

BOARDS = boards()


def report(respondents):
    result = score_round(CORE, list(respondents))
    context = build_context(partnership_name="Board", round_title="Round 1", questionnaire=CORE,
                            result=result, generated=date(2026, 4, 1))
    return result, context, BeautifulSoup(render_web_body(context), "html.parser")


def words(node) -> str:
    return " ".join(node.get_text(" ").split())


def summary_line(html, start: str) -> str:
    line = next(p for p in html.select("#summary .report-headline p") if words(p).startswith(start))
    return words(line).split(":", 1)[1].strip()


@pytest.mark.parametrize("board", BOARDS, ids=[b.id for b in BOARDS])
def test_summary_and_section_say_the_same_and_every_placement_how_firm(board):
    result, context, html = report(board.respondents)
    # The summary page says each placement in one sentence: the section's headline, then how
    # firm it is.
    for line, placement in (("Integration", context.townsley),
                            ("The ladder of partnership", context.gaster)):
        assert summary_line(html, line) == " ".join(placement.sentence.split())
        assert placement.sentence.lower().startswith(placement.headline.lower())
    assert words(html.select_one("#townsley")).endswith(context.townsley.headline)
    assert words(html.select_one("#gaster")).endswith(context.gaster.headline)
    placements = words(html.select_one("#placements"))
    for placement in result.placements:
        if placement.margin is not None:
            assert " ".join(placement.margin.text.split()) in placements, placement.model
            assert placement.margin.firm or "close to the line" in placement.margin.text.lower()
    assert "Not reached" not in placements and " Reached" not in placements


def test_the_foot_of_the_ladder_is_called_so_in_every_part():
    """A board that says No to everything is at rung 1, whose own criteria are not in place:
    the summary, the heading and the explanation all say so, and none calls rung 1 reached."""
    def worst(item):
        scored = item.scale.scored
        return (scored[-1] if item.reverse else scored[0]).value
    board = [RespondentAnswers(agency=a, level=lv, answers={i.id: worst(i) for i in CORE.items})
             for a, lv in (("Health", "strategic"), ("Police", "operational"),
                           ("Schools", "strategic"), ("Housing", "operational"))]
    result, context, html = report(board)
    gaster = result.placement("gaster")
    assert gaster.level == "1" and gaster.levels[0].status == "not_in_place"
    headline = ("rung 1 of 5, information exchange (the foot of the ladder; its criteria are "
                "not in place)")
    assert context.gaster.headline == headline
    assert summary_line(html, "The ladder of partnership").startswith(
        headline[:1].upper() + headline[1:] + ".")
    assert "the foot of the ladder" in gaster.explanation
    assert "rung 1's own criteria are not in place as a whole" in gaster.explanation
    rung_1 = next(li for li in html.select("#placements .report-ladder li")
                  if "Rung 1:" in words(li))
    assert "This partnership (not in place as a whole)" in words(rung_1)


def test_a_gap_below_is_named_without_pulling_the_rung_down():
    """The Sure Start board: plan, monitoring and coordinator in place, openness about
    decisions only partly. The placement is rung 4 and the partial criterion is a gap to close
    at rung 1, in the explanation and in the list of gaps."""
    board = next(b for b in BOARDS if b.id == "sure_start_programme")
    result, context, html = report(board.respondents)
    gaster = result.placement("gaster")
    assert gaster.level == "4"
    assert "at rung 1, \u201cPartner agencies are open with each other about how they make " \
           "decisions\u201d is only partly in place" in gaster.explanation
    assert ("1", "pr_g1_open_decisions") in [(g.level, g.criterion.item_id)
                                             for g in context.gaster.gaps]
    heading = next(h for h in html.select("#placements h4")
                   if words(h) == "Gaps to close at or below this rung")
    listed = [words(li) for li in heading.find_next_sibling("ul").select("li")]
    assert ("Rung 1, partly in place: Partner agencies are open with each other about how they "
            "make decisions.") in listed
