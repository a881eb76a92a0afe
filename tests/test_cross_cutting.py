"""The review names three cross-cutting themes but assigns no strategies to them: MAPS groups
Table 5.1's bullets under them by one written rule, and every mark in strategies.yaml follows it."""

import re
from pathlib import Path

import pytest

from app.recommendations.library import STRATEGIES_FILE, default_library

LIBRARY = default_library()
METHOD = Path(__file__).resolve().parents[1] / "docs" / "method.md"

TIME = re.compile(r"(?<!part-)(?<!over )\btime\b", re.I)
JOINT_TRAINING = re.compile(r"\bjoint training\b", re.I)
AIMS = re.compile(r"\b(?:aims?|objectives?|goals?|targets?|visions?)\b", re.I)
HELD_IN_COMMON = re.compile(r"\b(?:shared|sharing|joint|jointly|agreed)\b", re.I)


def themes_by_the_rule(area_title: str, bullet: str) -> set[str]:
    """The rule of strategies.yaml's header and docs/method.md, from the bullet's words."""
    themes = set()
    if area_title == "Ensuring adequate time" or TIME.search(bullet):
        themes.add("time")
    if JOINT_TRAINING.search(bullet):
        themes.add("joint_training")
    if AIMS.search(bullet) and HELD_IN_COMMON.search(bullet):
        themes.add("joint_aims")
    return themes


AREA_TITLES = {area.id: area.title for area in LIBRARY.practice_areas}


def test_every_cross_cutting_mark_follows_the_rule():
    wrong = [f"{s.id}: marked {s.cross_cutting}, the rule says "
             f"{sorted(themes_by_the_rule(AREA_TITLES[s.practice_area], s.text)) or None}"
             for s in LIBRARY.strategies
             if {s.cross_cutting} - {None} != themes_by_the_rule(AREA_TITLES[s.practice_area],
                                                                  s.text)]
    assert wrong == []


def test_no_bullet_meets_two_themes_and_each_theme_has_strategies():
    for strategy in LIBRARY.strategies:
        assert len(themes_by_the_rule(AREA_TITLES[strategy.practice_area], strategy.text)) <= 1
    for theme in LIBRARY.themes:
        assert LIBRARY.for_theme(theme), theme


@pytest.mark.parametrize("bullet, themes", [
    ("Partnerships needs sustained input from leadership and leaders need time and resources "
     "for their role", {"time"}),
    ("Reorganise work to ensure that managers can get time to get involved", {"time"}),
    ("Ensure that part-time, peripheral or seconded staff feel included", set()),
    ("Consider capacity issues to ensure continuity of representation over time", set()),
    ("Provide training to those inexperienced in multi-agency work", set()),
    ("Clearly articulate goals and outcomes", set()),
    ("Ensure targets and objectives are relevant and shared across agencies.", {"joint_aims"}),
])
def test_the_rule_on_the_bullets_it_was_written_for(bullet, themes):
    # The twins the issue found marked differently now fall on the same side.
    assert themes_by_the_rule("Ensuring effective leadership", bullet) == themes


def test_the_sustained_input_twin_is_grouped_under_time():
    by_id = {s.id: s for s in LIBRARY.strategies}
    assert by_id["lead_sustained_input"].cross_cutting == "time"
    assert by_id["lead_time_for_managers"].cross_cutting == "time"


def test_the_rule_is_written_where_the_marks_are_and_in_the_method():
    header = "".join(line for line in STRATEGIES_FILE.read_text(encoding="utf-8").splitlines(True)
                     if line.startswith("#"))
    method = METHOD.read_text(encoding="utf-8")
    section = method[method.index("## Cross-cutting themes"):]
    section = section[:section.find("\n## ", 1)]
    for text in (" ".join(header.replace("#", " ").split()), " ".join(section.split())):
        assert '"Ensuring adequate time"' in text
        assert '(not "part-time" or "over time")' in text
        assert 'every bullet that says "joint training"' in text
        assert '"shared", "sharing", "joint", "jointly" or "agreed"' in text
    assert "It assigns none of Table 5.1's bullets to them" in " ".join(section.split())
