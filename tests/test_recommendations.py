"""The Table 5.1 strategy library and the matcher that chooses strategies for a round."""

from pathlib import Path

import pytest
import yaml

from app.questionnaires.loader import load_catalogue, load_file
from app.recommendations import thresholds as t
from app.recommendations.criteria import CRITERION_STRATEGIES
from app.recommendations.labels import points
from app.recommendations.library import (
    STRATEGIES_FILE,
    InvalidLibrary,
    default_library,
    load_library,
    parse_library,
)
from app.recommendations.matching import recommend
from app.scoring import score_round
from tests.golden import CORE as V2
from tests.golden import boards as golden_boards
from tests.report_helpers import (
    CORE,
    FACTORS,
    best,
    factor_of,
    is_fact,
    neutral,
    people,
    random_board,
    worst,
)

LIBRARY = default_library()
RAW = yaml.safe_load(STRATEGIES_FILE.read_text(encoding="utf-8"))
THEMES = {"time", "joint_training", "joint_aims"}

# --- The library -------------------------------------------------------------------------

TABLE_5_1_AREAS = [
    "Clarifying roles and responsibilities", "Securing commitment at all levels",
    "Engendering trust and mutual respect", "Fostering understanding between agencies",
    "Ensuring effective communication and information sharing", "Developing a shared purpose",
    "Effective planning and organisation", "Securing adequate and sustained funding",
    "Ensuring continuity of staffing", "Ensuring adequate time", "Ensuring effective leadership",
    "Establishing appropriate governance systems",
    "Establishing performance management systems",
]


def test_every_practice_area_of_table_5_1_is_present_in_order():
    assert [a.title for a in LIBRARY.practice_areas] == TABLE_5_1_AREAS
    assert len(LIBRARY.strategies) == 105
    assert len({s.id for s in LIBRARY.strategies}) == 105


def test_every_factor_of_the_core_questionnaire_has_strategies_and_no_other_factor_is_used():
    load_library(factors=FACTORS)  # raises on a factor outside the vocabulary
    assert set(FACTORS) == LIBRARY.factors
    for factor in FACTORS:
        assert any(s.factor == factor for s in LIBRARY.strategies) or \
            LIBRARY.for_factor(factor), factor


def test_sources_actions_and_texts_come_through_from_the_yaml():
    raw = {s["id"]: s for a in RAW["practice_areas"] for s in a["strategies"]}
    for strategy in LIBRARY.strategies:
        assert strategy.sources == tuple(raw[strategy.id]["sources"])
        assert strategy.text and strategy.action
    with_sources = [s for s in LIBRARY.strategies if s.sources]
    assert len(with_sources) == sum(1 for s in raw.values() if s["sources"]) >= 95


def test_the_three_cross_cutting_themes_are_marked():
    assert set(LIBRARY.themes) == THEMES
    for theme in THEMES:
        assert LIBRARY.for_theme(theme)
    assert all(s.cross_cutting in THEMES | {None} for s in LIBRARY.strategies)


@pytest.mark.parametrize("version", [1, 2])
def test_every_townsley_and_gaster_criterion_maps_to_real_strategies(version):
    """Every fact that counts for or against a level (the floor's own markers included: they
    count against coordinated working) has strategies."""
    questionnaire = load_catalogue().get("multi-agency-working", version)
    criteria = {i.id for i in questionnaire.items
                if i.tag("gaster") or i.tag("townsley") or i.tag("townsley_against")}
    assert criteria <= set(CRITERION_STRATEGIES)
    for strategy_ids in CRITERION_STRATEGIES.values():
        for strategy_id in strategy_ids:
            LIBRARY.strategy(strategy_id)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["practice_areas"][0]["strategies"][0].update(factors=["nonsense"]),
     "unknown factor 'nonsense'"),
    (lambda d: d["practice_areas"][0]["strategies"][1].update(id="roles_clarify_at_start"),
     "duplicate id"),
    (lambda d: d["practice_areas"][0]["strategies"][0].update(cross_cutting="luck"),
     "cross_cutting 'luck'"),
    (lambda d: d["practice_areas"][0]["strategies"][0].update(action=""), "'action'"),
    (lambda d: d["practice_areas"][0].update(area="elsewhere"), "area must be one of"),
])
def test_a_broken_library_is_refused_listing_the_problem(change, message):
    data = yaml.safe_load(STRATEGIES_FILE.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(InvalidLibrary) as caught:
        parse_library(data, factors=FACTORS)
    assert any(message in p for p in caught.value.problems)


# --- Matching ----------------------------------------------------------------------------

def board(overrides=None, facts=best, agencies=(("Health", 3), ("Education", 3))):
    """Every opinion best, except factors in `overrides` answered by the given function."""
    overrides = overrides or {}

    def answer(item, agency, n):
        if is_fact(item):
            return facts(item)
        chosen = overrides.get(factor_of(item), best)
        return chosen(item, agency, n) if chosen.__code__.co_argcount == 3 else chosen(item)
    return people(agencies, answer)


def match(respondents, **kwargs):
    result = score_round(CORE, respondents)
    return result, recommend(result, CORE, **kwargs)


@pytest.mark.parametrize("overrides, expected", [
    # A factor of concern gets two strategies, a borderline one one; weakest first.
    ({"funding": worst, "time": neutral}, ["funding", "funding", "time"]),
    # Equal scores fall back to the questionnaire's order of factors.
    ({"leadership": neutral, "staffing": worst, "communication": worst},
     ["communication", "communication", "staffing", "staffing", "leadership"]),
    # Only the weakest MAX_WEAK_FACTORS factors get strategies of their own.
    ({"funding": worst, "time": worst, "staffing": worst, "leadership": worst},
     ["funding", "funding", "staffing", "staffing", "time", "time"]),
])
def test_weakest_factors_come_first(overrides, expected):
    _, recs = match(board(overrides))
    weak = [r for r in recs if r.basis == "weak"]
    assert [r.target for r in weak] == expected
    assert recs[:len(weak)] == weak
    assert [r.priority for r in recs] == list(range(1, len(recs) + 1))


def test_weak_reasons_give_the_score_band_and_rank():
    result, recs = match(board({"funding": worst, "time": neutral}))
    funding = result.partnership.tags["factor"]["funding"]
    assert recs[0].reasons[0] == (f"Funding scored {points(funding.score)}/100 (concern), "
                                  f"the lowest of the {len(FACTORS)} factors.")
    time = next(r for r in recs if r.target == "time")
    assert time.reasons[0] == "Time scored 50/100 (borderline)."


def split(item, agency, n):
    return best(item) if agency == "Health" else neutral(item)


def test_contested_factors_come_after_weak_ones_and_name_the_agencies():
    result, recs = match(board({"funding": worst, "communication": split}))
    assert result.partnership.tags["factor"]["communication"].band == "strength"  # not weak
    bases = [r.basis for r in recs]
    assert bases.index("contested") > max(i for i, b in enumerate(bases) if b == "weak")
    contested = next(r for r in recs if r.basis == "contested")
    assert contested.target == "communication"
    assert "Health and Education disagree by 50 points on communication (100 against 50)." \
        in contested.reasons
    assert contested.strategy.practice_area in t.BRIDGING_PRACTICE_AREAS


def test_a_gap_between_levels_names_the_levels():
    def by_level(item, agency, n):
        return best(item) if n % 2 == 0 else neutral(item)  # strategic best
    _, recs = match(board({"trust_mutual_respect": by_level},
                          agencies=(("Health", 4), ("Education", 4))))
    contested = next(r for r in recs if r.target == "trust_mutual_respect")
    assert ("Strategic and operational staff disagree by 50 points on trust and mutual "
            "respect (strategic 100, operational 50).") in contested.reasons


def rung_4_missing(item):
    rung = item.tag("gaster")[0] if item.tag("gaster") else None
    if rung in ("4", "5") or (item.tag("townsley") or [None])[0] == "integrated":
        return worst(item)
    return best(item)


def test_what_the_next_gaster_rung_needs_comes_next():
    result, recs = match(board(facts=rung_4_missing))
    assert result.placement("gaster").level == "3"
    typology = [r for r in recs if r.basis == "typology"]
    assert [r.target for r in typology] == [
        "pr_g4_coordination_process", "pr_g4_coordinator_knows", "pr_g4_draws_on_partners"][
        :t.MAX_TYPOLOGY_CRITERIA]
    assert recs[:len(typology)] == typology  # nothing weak or contested comes before
    first = typology[0]
    assert first.strategy.id == CRITERION_STRATEGIES["pr_g4_coordination_process"][0]
    assert first.reasons[0] == (
        "Needed for Gaster rung 4, coordination and co-operation in practice: "
        "\u201cThere is an active process for coordinating the partners' work\u201d; most "
        "members say this is not in place.")


def test_gaps_below_the_placement_come_before_the_next_rung():
    def open_decisions_partly(item):
        if item.id == "pr_g1_open_decisions":
            return "1"
        return rung_4_missing(item)
    result, recs = match(board(facts=open_decisions_partly))
    gaster = result.placement("gaster")
    assert gaster.level == "3"
    assert [g.criterion.item_id for g in gaster.gaps] == ["pr_g1_open_decisions"]
    first = next(r for r in recs if r.basis == "typology")
    assert first.target == "pr_g1_open_decisions"
    assert first.reasons[0] == (
        "A gap to close at Gaster rung 1, information exchange: \u201cPartner agencies are "
        "open with each other about how they make decisions\u201d; members say this is only "
        "partly in place.")


def test_a_strong_partnership_still_gets_each_cross_cutting_theme():
    _, recs = match(board())
    assert [r.basis for r in recs] == ["cross_cutting"] * 3
    assert {r.theme for r in recs} == THEMES
    for rec in recs:
        assert rec.cross_cutting and rec.strategy.cross_cutting == rec.theme
        # Every factor is a strength here: the theme is the reason, never a strength.
        assert rec.reasons == (rec.reasons[-1],)
        assert "strength" not in rec.reasons[0]
        assert "one of the review's three cross-cutting themes" in rec.reasons[-1]


@pytest.mark.parametrize("limit", [1, 3, 4, 7, 12, 30])
def test_the_limit_holds_and_keeps_every_theme_when_there_is_room(limit):
    _, recs = match(board({"funding": worst, "time": worst, "staffing": worst,
                           "communication": split}, facts=rung_4_missing), limit=limit)
    assert len(recs) <= limit
    if limit >= 3:
        assert {r.theme for r in recs if r.cross_cutting} == THEMES
    assert len({r.strategy.id for r in recs}) == len(recs)


def test_matching_is_deterministic_and_ignores_the_order_of_respondents():
    respondents = random_board(7, ["Health", "Police", "Education", "Housing"], 4)
    _, first = match(respondents)
    _, again = match(respondents)
    _, reversed_ = match(list(reversed(respondents)))
    assert first == again
    assert [(r.strategy.id, r.reasons) for r in first] == \
        [(r.strategy.id, r.reasons) for r in reversed_]


def test_small_groups_are_never_named():
    def answers(item, agency, n):
        return {"Health": best, "Education": neutral, "Police": neutral,
                "Tiny Agency": worst}[agency](item)
    # Tiny Agency is below the threshold; Police is withheld with it, or the whole minus the
    # others would give Tiny Agency's answers (docs/privacy.md).
    respondents = board({f: answers for f in FACTORS},
                        agencies=(("Health", 4), ("Education", 4), ("Police", 3),
                                  ("Tiny Agency", 2)))
    _, recs = match(respondents)
    text = " ".join(reason for r in recs for reason in r.reasons)
    assert "Health and Education disagree" in text
    assert "Tiny" not in text and "Police" not in text


def test_recommendations_carry_strategy_area_sources_and_factors():
    _, recs = match(board({"funding": worst}))
    for rec in recs:
        assert rec.practice_area is LIBRARY.practice_area(rec.strategy.practice_area)
        assert rec.sources == rec.strategy.sources and rec.factors == rec.strategy.factors
        assert rec.reasons and all(r.endswith(".") for r in rec.reasons)
    assert recs[0].target in recs[0].factors
    assert V2.tag_label("factor", "funding") in recs[0].reasons[0]


def test_no_factor_scores_means_no_recommendations():
    local = load_file(Path(__file__).parent / "data" / "local-partnership-check.yaml")
    respondents = [type(r)(agency=r.agency, level=r.level, answers={
        i.id: i.scale.scored[0].value for i in local.items}) for r in board()]
    assert recommend(score_round(local, respondents), local) == []


# --- Fitting the partnership: the golden boards -----------------------------------------

GOLDEN = golden_boards()
FACTS = [i for i in V2.items if i.has_tag("part", "structure")]


def share(board, item_id: str, value: str) -> float:
    """The share of the whole board giving this answer."""
    return sum(r.answers.get(item_id) == value for r in board.respondents) / len(board.respondents)


def affirmed_and_denied(board) -> tuple[set[str], set[str]]:
    """Facts at least two-thirds of the board say Yes to, and those two-thirds say No to or
    call not applicable."""
    affirmed = {i.id for i in FACTS if share(board, i.id, "2") >= 2 / 3}
    denied = {i.id for i in FACTS if share(board, i.id, "0") + share(board, i.id, "na") >= 2 / 3}
    return affirmed, denied


@pytest.mark.parametrize("board", GOLDEN, ids=[b.id for b in GOLDEN])
def test_the_top_five_never_contradict_what_the_board_says(board):
    result = score_round(V2, list(board.respondents))
    recs = recommend(result, V2)
    assert len(recs) >= 5
    affirmed, denied = affirmed_and_denied(board)
    for rec in recs[:5]:
        strategy = rec.strategy
        assert not set(strategy.redundant_if) & affirmed, (strategy.id, "exists already")
        asked = {f for f in strategy.presupposes if V2.item(f)}
        assert not asked or not asked <= denied, (strategy.id, "presupposes what is absent")
        assert not any("(strength)" in reason for reason in rec.reasons), strategy.id


@pytest.mark.parametrize("board", GOLDEN, ids=[b.id for b in GOLDEN])
def test_no_recommendation_at_all_misfits_the_partnership(board):
    """The misfits boards met (issue #10), for the whole list: co-location for a board based
    together, coordinator support with no coordinator, a start-up phase for a partnership long
    running, time for new professional identities where roles do not change, work on each
    worker's role for a board without staff, co-locating services for a board that delivers
    none."""
    result = score_round(V2, list(board.respondents))
    chosen = {r.strategy.id for r in recommend(result, V2)}
    affirmed, denied = affirmed_and_denied(board)
    rules = {"st_co_located": ("comms_co_locate", "staff_co_location")}
    unless = {"st_coordinator_post": ("staff_support_leaders_delegate",),
              "st_setting_up": ("time_start_up_phase", "roles_clarify_at_start",
                                "commit_consult_from_start", "plan_assess_collab_history",
                                "underst_secondments_presentations"),
              "pr_roles_blur": ("roles_reflect_on_identity", "time_reflect_on_identities"),
              "st_dedicated_staff": ("roles_clear_role_each_worker",
                                     "commit_include_peripheral_staff"),
              "st_service_delivery": ("comms_co_locate",)}
    for fact, strategies in rules.items():
        if fact in affirmed:
            assert not chosen & set(strategies), (fact, chosen & set(strategies))
    for fact, strategies in unless.items():
        if fact in denied:
            assert not chosen & set(strategies), (fact, chosen & set(strategies))


def test_the_golden_boards_exercise_every_rule():
    """The two tests above would pass vacuously if no board had these facts: they do."""
    seen = [affirmed_and_denied(b) for b in GOLDEN]
    assert any("st_co_located" in a for a, _ in seen)
    for fact in ("st_coordinator_post", "st_setting_up", "pr_roles_blur", "st_dedicated_staff",
                 "st_service_delivery"):
        assert any(fact in d for _, d in seen), fact
