"""When a live vote's spread may be shown, on top of what the round's results already show
(docs/privacy.md, rule 11).

A live vote asks board members in the room one question again, on their phones. Its spread is
a sum over the voters, so it is held to the round's threshold; and it is one more figure a
reader can subtract from the round's. MAPS cannot know who voted, so it assumes the worst a
reader could: that the voters are members who answered the round, that the reader knows which
of them voted (they were in the room), and that nobody changed their mind. Then the vote is
the sum of the voters' own answers, and beside the round's figures it must isolate nobody.

The round shows the figures of a plan (app/scoring/disclosure.py): the whole partnership and
the groups the plan shows. As there, a combination of the round's figures is a labelling of
the graph whose nodes are the shown agencies and levels (and one node for the rest of each
kind) and whose edges are the respondents; a person's coefficient is the difference of their
two nodes' labels. Adding the vote (scaled to 1) adds 1 to each voter's coefficient. On the
people of an edge whose labels differ by 0, the combination is non-zero on the voters; by -1,
on those who did not vote; otherwise on all of them. Which voters are on which edge the
reader knows and MAPS does not, so MAPS takes every way `votes` voters could be spread: the
spread most in the reader's favour puts voters first on the -1 edges, then on the others,
and last on the 0 edges. The vote may be shown when no labelling leaves fewer than the
threshold of people under a non-zero coefficient, counting none as a risk too (a voter
swapped for a non-voter then leaves two).

Only one spread of a vote is ever shown (when it closes): two spreads of one vote, or two
votes on one question, would differ by the few who voted in between.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product

from app.scoring.disclosure import Cells, Plan

TOO_FEW, ROUND, MORE_THAN_ANSWERED = "too_few", "round", "more_than_answered"
# Level labels tried for each level node: enough to make any two of at most three level
# nodes equal, one apart or further apart (all that decides which edges fall at 0 or -1).
_LEVEL_LABELS = range(4)


@dataclass(frozen=True)
class Verdict:
    shown: bool
    reason: str = ""  # why not: TOO_FEW, ROUND or MORE_THAN_ANSWERED
    safe_at: int | None = None  # the fewest votes, from these up, at which it could be shown


def verdict(cells: Cells, shown: Plan, votes: int) -> Verdict:
    """Whether a vote of `votes` may show its spread beside a round whose respondents are
    `cells` ((agency, level) -> how many) and whose results show what `shown` allows."""
    answered = sum(n for n in cells.values() if n > 0)
    reason = _risk(cells, shown, votes, answered)
    if reason is None:
        return Verdict(True)
    later = next((m for m in range(votes + 1, answered + 1)
                  if _risk(cells, shown, m, answered) is None), None)
    return Verdict(False, reason, later)


def _risk(cells: Cells, shown: Plan, votes: int, answered: int) -> str | None:
    if votes < shown.threshold:
        return TOO_FEW
    if votes > answered:
        # Some voters did not answer the round: the few beyond it would be the difference.
        return None if votes - answered >= shown.threshold else MORE_THAN_ANSWERED
    if not shown.whole or votes == answered:
        # Nothing of the round to subtract; or everyone who answered voted, and the vote is
        # then their answers' total again (or new answers, each one's own).
        return None
    if fewest_isolated(_edges(cells, shown), answered, votes) < shown.threshold:
        return ROUND
    return None


Node = str | None  # a shown group's name; None for the rest of its kind


def _edges(cells: Cells, shown: Plan) -> dict[tuple[Node, Node], int]:
    edges: Counter = Counter()
    for (agency, level), n in cells.items():
        if n > 0:
            edges[(agency if agency in shown.agencies else None,
                   level if level in shown.levels else None)] += n
    return dict(edges)


def fewest_isolated(edges: Mapping[tuple[Node, Node], int], answered: int, votes: int) -> int:
    """The fewest people some combination of the round's figures and a vote of `votes` can be
    non-zero on, over every labelling and every spread of the voters (0 < votes < answered)."""
    levels = sorted({level for _, level in edges}, key=lambda n: (n is not None, n or ""))
    by_agency: dict[Node, list[tuple[Node, int]]] = {}
    for (agency, level), n in edges.items():
        by_agency.setdefault(agency, []).append((level, n))
    fewest = answered
    for labels in product(_LEVEL_LABELS, repeat=len(levels)):
        label = dict(zip(levels, labels, strict=True))
        for at_minus_one, at_zero in _reachable(by_agency, label).items():
            elsewhere = answered - at_minus_one - at_zero
            # Voters fill the -1 edges first, then the others, and the 0 edges last.
            isolated = (at_minus_one - min(votes, at_minus_one) + elsewhere
                        + max(0, votes - at_minus_one - elsewhere))
            fewest = min(fewest, isolated)
    return fewest


def _reachable(by_agency, label: dict) -> dict[int, int]:
    """For level labels `label`, every number of people an agency labelling can put on edges
    at -1, each with the most it can then put on edges at 0 (more at -1 or 0 never helps a
    vote stay hidden, so an agency's label is one that puts some edge there, and the most at
    0 is all that matters)."""
    reach = {0: 0}
    for links in by_agency.values():
        options = set()
        for own in {label[level] - k for level, _ in links for k in (0, 1)}:
            options.add((sum(n for level, n in links if own - label[level] == -1),
                         sum(n for level, n in links if own == label[level])))
        grown: dict[int, int] = {}
        for minus_one, zero in reach.items():
            for more_minus_one, more_zero in options:
                key = minus_one + more_minus_one
                grown[key] = max(grown.get(key, -1), zero + more_zero)
        reach = grown
    return reach
