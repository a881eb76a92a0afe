"""The live vote's disclosure rule (app/meeting/live_vote.py), checked against an attacker who
combines the vote with the round's results.

The attacker knows every respondent's agency and level, and who voted (they were in the
room), and assumes nobody changed their mind: then the vote's spread is the sum of the
voters' own answers, one more published group beside the round's whole partnership and the
groups its plan shows. People alike in agency, level and whether they voted are alike in
every published sum, so the attacker's unknowns are those classes (tests/privacy_attack.py
solves the system exactly). Whenever the rule shows a vote, no way the voters could be spread
lets the attacker isolate fewer than the threshold; whenever it withholds one for the round's
sake, some spread of the voters would."""

from itertools import product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.meeting.live_vote import ROUND, TOO_FEW, verdict
from app.scoring.disclosure import Plan, plan
from tests.privacy_attack import exposed

ST, OP = "strategic", "operational"
boards = st.dictionaries(
    keys=st.tuples(st.sampled_from(["P", "Q", "R"]), st.sampled_from([ST, OP, None])),
    values=st.integers(min_value=1, max_value=4), min_size=1, max_size=6)


def attack(cells, shown: Plan, voters: dict) -> list:
    """Every set of fewer than the threshold whose answers the round's figures and the vote
    (the sum over `voters`, cell -> how many of it voted) would isolate."""
    sizes = {}
    for cell, n in cells.items():
        sizes[(cell, True)] = voters.get(cell, 0)
        sizes[(cell, False)] = n - voters.get(cell, 0)
    sizes = {c: n for c, n in sizes.items() if n > 0}
    groups = [frozenset(sizes)] if shown.whole else []
    groups += [frozenset(c for c in sizes if c[0][0] == a) for a in shown.agencies]
    groups += [frozenset(c for c in sizes if c[0][1] == lv) for lv in shown.levels]
    groups.append(frozenset(c for c in sizes if c[1]))
    return exposed(sizes, groups, shown.threshold)


def spreads(cells, votes: int):
    """Every way `votes` voters could be spread over the cells."""
    order = sorted(cells, key=repr)
    for counts in product(*(range(cells[c] + 1) for c in order)):
        if sum(counts) == votes:
            yield dict(zip(order, counts, strict=True))


@st.composite
def rooms(draw):
    """A board, its threshold, and some of its members voting."""
    cells = draw(boards)
    threshold = draw(st.integers(min_value=3, max_value=5))
    voters = {c: draw(st.integers(min_value=0, max_value=n)) for c, n in cells.items()}
    return cells, threshold, voters


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(room=rooms())
def test_a_vote_shown_isolates_nobody_whoever_voted(room):
    cells, threshold, voters = room
    shown = plan(cells, threshold)
    votes = sum(voters.values())
    if verdict(cells, shown, votes).shown:
        assert attack(cells, shown, voters) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=boards, threshold=st.integers(min_value=3, max_value=4), data=st.data())
def test_a_vote_withheld_for_the_rounds_sake_could_isolate_someone(cells, threshold, data):
    """The rule is no stricter than it must be: when it withholds a vote because of the
    round's figures, some spread of that many voters would let the attacker isolate someone."""
    shown = plan(cells, threshold)
    answered = sum(cells.values())
    votes = data.draw(st.integers(min_value=0, max_value=answered))
    found = verdict(cells, shown, votes)
    if found.reason == ROUND:
        assert any(attack(cells, shown, voters) for voters in spreads(cells, votes))
    if found.shown:
        assert all(attack(cells, shown, voters) == [] for voters in spreads(cells, votes))


def test_fewer_votes_than_the_threshold_are_never_shown():
    cells = {("P", ST): 5, ("Q", OP): 5}
    shown = plan(cells, 3)
    assert verdict(cells, shown, 2) == verdict(cells, shown, 2)
    assert verdict(cells, shown, 2).reason == TOO_FEW
    assert not verdict(cells, shown, 0).shown


def test_one_member_away_is_withheld_and_everyone_is_shown():
    """Six answered, as one group; five vote: the round minus the vote would be the absent
    member's answer, if nobody changed their mind. Three is far enough; all six is the
    round again."""
    cells = {("P", None): 6}
    shown = plan(cells, 3)
    assert shown.whole and not shown.levels  # agency P is the whole board
    assert [verdict(cells, shown, m).shown for m in range(7)] == [
        False, False, False, True, False, False, True]
    assert verdict(cells, shown, 4).safe_at == 6
    assert verdict(cells, shown, 5).reason == ROUND


def test_a_group_the_round_shows_counts_as_much_as_the_whole():
    """Strategic staff (5) are shown: five or six voters could be the five strategic staff
    and one more, and the vote minus their figures that one's answer."""
    cells = {("P", ST): 3, ("Q", ST): 2, ("P", OP): 2, ("Q", OP): 3}
    shown = plan(cells, 3)
    assert ST in shown.levels
    assert not verdict(cells, shown, 6).shown
    assert attack(cells, shown, {("P", ST): 3, ("Q", ST): 2, ("P", OP): 1})
    assert verdict(cells, shown, 10).shown
