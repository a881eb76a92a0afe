"""Disclosure control: which groups' figures a round may show, so that no group smaller than
the anonymity threshold can be seen, or worked out by subtracting figures that are shown.

Every figure MAPS publishes for a group (answer counts, scores, "don't know" counts, the
number of respondents) is a sum over the group's members. So what a reader can work out is
every linear combination of the shown groups' sums. The rule is: no such combination may be
supported on fewer than `threshold` people. docs/privacy.md explains the rule, the practice it
follows (primary and secondary cell suppression, Hundepool et al., *Statistical Disclosure
Control*, 2012, chapters 4 and 5) and where it stops.

For the two breakdowns MAPS has (agency and level) this rule is a statement about a small
graph. Put one node for each shown agency, one for all the agencies not shown, one for each
shown level and one for all the levels not shown (with "level not given"); join an agency
node to a level node with an edge weighing how many respondents are in both. A combination
of shown sums is a labelling of the nodes, and it is non-zero on exactly the respondents
whose edge joins two differently labelled nodes: an edge cut. So the figures are safe when
every non-empty cut of the graph weighs at least the threshold. Primary suppression withholds
each group below the threshold; secondary (complementary) suppression withholds more groups,
each chosen to remove the lightest cut, until no light cut is left. Withholding everything but
the whole partnership is always safe, so the loop ends.

Groups are known by stable keys (an agency's id, a level's value), never by their names, which
may change after a round closes: ties are broken on keys, and a round keeps the plan it
closed with (`Plan.to_dict`). Every later view shows that plan while the rule in force finds
it safe (`is_safe`), else only what both it and the rule's own plan show (`keep`): a subset
of a safe plan is safe, and so is every view of the round taken together, since none shows a
group the kept plan did not.
"""

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.scoring.consensus import Consensus, gaps
from app.scoring.scores import GroupScores
from app.scoring.typologies import Criterion, LevelEvidence, Placement

# (agency key, level) -> how many respondents have both; a level of None means "not given".
Cells = Mapping[tuple[str, str | None], int]

AGENCY, LEVEL = "agency", "level"
NOT_GIVEN = "not given"  # the level of respondents who gave none, in a result's sizes
_REST = None  # the node of every group of a kind that is not shown


@dataclass(frozen=True)
class Plan:
    """What a round may show: the whole partnership's figures, and those of the groups with
    these keys (agencies' ids, levels)."""

    threshold: int
    whole: bool
    agencies: frozenset[str]
    levels: frozenset[str]

    def shows(self, kind: str, key: str | None) -> bool:
        if kind == "all":
            return self.whole
        return key in (self.agencies if kind == AGENCY else self.levels)

    def within(self, kept: "Plan") -> "Plan":
        """What both plans show: a plan narrowed to the one a round kept, so that no view
        ever shows a group the kept plan withheld."""
        return Plan(max(self.threshold, kept.threshold), whole=self.whole and kept.whole,
                    agencies=self.agencies & kept.agencies, levels=self.levels & kept.levels)

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "whole": self.whole,
                "agencies": sorted(self.agencies), "levels": sorted(self.levels)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Plan":
        return cls(threshold=data["threshold"], whole=data["whole"],
                   agencies=frozenset(data["agencies"]), levels=frozenset(data["levels"]))


def cells_of(people: Iterable[tuple[str, str | None]]) -> Counter:
    """The cells of (agency key, level) pairs, one per person."""
    return Counter(people)


def plan(cells: Cells, threshold: int) -> Plan:
    """Primary suppression of every group below the threshold, then secondary suppression
    until no combination of the shown figures isolates fewer than `threshold` people. Equal
    choices are settled by the cells' keys, so give it stable ids, never names."""
    cells = {cell: n for cell, n in cells.items() if n > 0}
    if sum(cells.values()) < threshold:
        return Plan(threshold, whole=False, agencies=frozenset(), levels=frozenset())
    agencies, levels = Counter(), Counter()
    for (agency, level), n in cells.items():
        agencies[agency] += n
        levels[level] += n
    shown = {AGENCY: {a for a, n in agencies.items() if n >= threshold},
             LEVEL: {lv for lv, n in levels.items() if lv is not None and n >= threshold}}
    size = {AGENCY: agencies, LEVEL: levels}
    while True:
        edges = _edges(cells, shown)
        weight, side = _lightest_cut(edges)
        if side is None or weight >= threshold:
            break
        kind, name = _to_withhold(cells, edges, side, shown, size, threshold)
        shown[kind].discard(name)
    return Plan(threshold, whole=True, agencies=frozenset(shown[AGENCY]),
                levels=frozenset(shown[LEVEL]))


def is_safe(shown: Plan, cells: Cells, threshold: int) -> bool:
    """Whether a plan passes the rule over these cells: no combination of the figures it shows
    holds fewer than the threshold (no light cut: a group too small to show is one, and so is
    a whole partnership too small, which every cut weighs at most)."""
    cells = {cell: n for cell, n in cells.items() if n > 0}
    if not shown.whole:
        return not shown.agencies and not shown.levels
    weight, side = _lightest_cut(_edges(cells, {AGENCY: set(shown.agencies),
                                                LEVEL: set(shown.levels)}))
    return side is None or weight >= threshold


def keep(kept: Plan | None, cells: Cells, threshold: int) -> Plan:
    """What a round shows: the plan it kept when it closed, while the rule finds it safe
    (a name never changes it); if a stricter rule does not, only what both that plan and the
    rule's own show. A round with no kept plan (still open) shows the rule's."""
    if kept is not None and is_safe(kept, cells, threshold):
        return kept
    found = plan(cells, threshold)
    return found if kept is None else found.within(kept)


Node = tuple[str, str | None]


def _edges(cells: Cells, shown: dict[str, set]) -> dict[tuple[Node, Node], int]:
    edges: Counter = Counter()
    for (agency, level), n in cells.items():
        a = (AGENCY, agency if agency in shown[AGENCY] else _REST)
        b = (LEVEL, level if level in shown[LEVEL] else _REST)
        edges[(a, b)] += n
    return dict(edges)


def _lightest_cut(edges: Mapping[tuple[Node, Node], int]) -> tuple[int, set[Node] | None]:
    """The lightest non-empty edge cut (its weight and one side), over each connected part of
    the graph (Stoer and Wagner, 1997); (0, None) when no edge can be cut."""
    best: tuple[int, set[Node] | None] = (0, None)
    for part in _components(edges):
        if len(part) < 2:
            continue
        weight, side = _stoer_wagner(part, edges)
        if best[1] is None or weight < best[0]:
            best = (weight, side)
    return best


def _components(edges: Mapping[tuple[Node, Node], int]) -> list[set[Node]]:
    neighbours: dict[Node, set[Node]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    parts, seen = [], set()
    for start in sorted(neighbours, key=_order):
        if start in seen:
            continue
        part, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in part:
                part.add(node)
                todo.extend(neighbours[node] - part)
        seen |= part
        parts.append(part)
    return parts


def _stoer_wagner(nodes: set[Node], edges: Mapping[tuple[Node, Node], int]
                  ) -> tuple[int, set[Node]]:
    weight: dict[Node, Counter] = {n: Counter() for n in nodes}
    for (a, b), w in edges.items():
        if a in nodes:
            weight[a][b] += w
            weight[b][a] += w
    members = {n: {n} for n in nodes}  # each merged node stands for these
    best: tuple[int, set[Node]] | None = None
    while len(weight) > 1:
        order = sorted(weight, key=_order)
        added, links = [order[0]], Counter(weight[order[0]])
        rest = set(order[1:])
        while rest:
            nxt = max(sorted(rest, key=_order), key=lambda n: links[n])
            rest.discard(nxt)
            added.append(nxt)
            for other, w in weight[nxt].items():
                links[other] += w
        last, before = added[-1], added[-2]
        cut = sum(weight[last].values())
        if best is None or cut < best[0]:
            best = (cut, set(members[last]))
        # Merge the last node into the one before it.
        for other, w in weight.pop(last).items():
            weight[other].pop(last)
            if other != before:
                weight[before][other] += w
                weight[other][before] += w
        members[before] |= members.pop(last)
    return best


def _order(node: Node) -> tuple:
    kind, name = node
    return (kind, name is not None, name or "")


def _to_withhold(cells: Cells, edges, side: set[Node], shown: dict[str, set],
                 size: dict[str, Counter], threshold: int) -> Node:
    """The group to withhold next against a light cut. Candidates are the shown groups that
    join the rest of their kind across the cut (withholding one removes the cut), or when there
    are none, the shown groups on the cut (their kind then gets a rest node). Of these, the
    one that leaves no light cut, else the heaviest lightest cut, losing the fewest people,
    a level before an agency."""
    nodes = {n for edge in edges for n in edge}

    def across(kind):
        rest = (kind, _REST)
        if rest not in nodes:
            return []
        return [n for n in nodes if n[0] == kind and n[1] is not _REST
                and (n in side) != (rest in side)]

    candidates = across(AGENCY) + across(LEVEL) or sorted(
        {n for a, b in edges if (a in side) != (b in side) for n in (a, b)
         if n[1] is not _REST}, key=_order)

    def outcome(node: Node) -> tuple:
        kind, name = node
        after = {k: v - {name} if k == kind else v for k, v in shown.items()}
        weight, cut = _lightest_cut(_edges(cells, after))
        safe = cut is None or weight >= threshold
        # Equal otherwise, a level goes before an agency: comparing agencies is what a
        # multi-agency board most needs to see.
        return (not safe, -weight if not safe else 0, size[kind][name], kind == AGENCY,
                _order(node))

    return min(candidates, key=outcome)


# --- Applying a plan to a result ------------------------------------------------------------

def withheld_group(group: GroupScores) -> GroupScores:
    return GroupScores(kind=group.kind, name=group.name, respondents=None, suppressed=True,
                       key=group.key)


def sizes(groups: Iterable[GroupScores], kind: str) -> dict[str, int | None]:
    """Group sizes as a result shows them, by name: None for a group whose figures are
    withheld."""
    return {g.name: g.respondents for g in groups if g.kind == kind}


def withheld_placement(placement: Placement, threshold: int) -> Placement:
    """A placement with its evidence taken out, for a round too small to show any figure."""
    assessed = placement.status != "not_assessed"
    return Placement(
        model=placement.model, title=placement.title, source=placement.source,
        status="insufficient_evidence" if assessed else "not_assessed",
        level=None, label=None, rank=None,
        explanation=(f"Fewer than {threshold} board members answered, so MAPS shows no "
                     "placement." if assessed else placement.explanation),
        levels=[LevelEvidence(level=lv.level, label=lv.label, strength=None, reached=False,
                              criteria=[Criterion(item_id=c.item_id, text=c.text, support=None,
                                                  n=0, dont_know=0, status="unknown")
                                        for c in lv.criteria])
                for lv in placement.levels])


def apply(result, shown: Plan):
    """The result with every figure the plan withholds taken out: withheld groups keep only
    their name, their sizes are withheld, gaps are between shown groups only; when even the
    whole partnership is too small, no score, agreement, placement or comment is left."""
    groups = [g if shown.shows(g.kind, g.key) else withheld_group(g) for g in result.groups]
    # "Not given" is never shown as a group.
    not_given = {NOT_GIVEN: None} if NOT_GIVEN in result.coverage.by_level else {}
    coverage = dataclasses.replace(result.coverage, by_agency=sizes(groups, AGENCY),
                                   by_level={**sizes(groups, LEVEL), **not_given})
    if not shown.whole:
        n = result.coverage.respondents
        coverage = dataclasses.replace(
            coverage, answered_share=None, dont_know_share=None, confidence="insufficient",
            notes=[f"{n} response{'s' if n != 1 else ''}: MAPS shows results only when at "
                   f"least {shown.threshold} board members have answered."])
        return dataclasses.replace(
            result, coverage=coverage, groups=groups, consensus=Consensus(), comments={},
            partnership=GroupScores(kind="all", name=result.partnership.name,
                                    respondents=result.partnership.respondents,
                                    suppressed=True),
            placements=[withheld_placement(p, shown.threshold) for p in result.placements])
    consensus = dataclasses.replace(result.consensus, agency_gaps=gaps(groups, AGENCY),
                                    level_gaps=gaps(groups, LEVEL))
    return dataclasses.replace(result, coverage=coverage, groups=groups, consensus=consensus)
