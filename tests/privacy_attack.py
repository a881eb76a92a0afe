"""The attacker the disclosure rule is checked against, written apart from it.

They know every respondent's agency and level (a coordinator does: they invited everyone and
see who submitted), so the unknowns are, for each figure, the totals of its cells: one cell
per agency x level pair with people in it. Each figure a view showed for a group is one
equation: the sum of the group's cells. The attacker solves the system exactly, with
rational arithmetic, and a set of people is exposed if some combination of the equations is
non-zero on that set and nowhere else (`exposed`), or, more plainly, if the set's own total
is determined (`solve`)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import combinations

Cell = tuple[str, str | None]


def _reduce(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form: (pivot column, row) pairs."""
    rows = [list(r) for r in rows]
    pivots: list[tuple[int, list[Fraction]]] = []
    width = len(rows[0]) if rows else 0
    for column in range(width):
        found = next((r for r in rows if r[column] != 0), None)
        if found is None:
            continue
        rows.remove(found)
        found = [v / found[column] for v in found]
        for other in rows:
            if other[column] != 0:
                factor = other[column]
                other[:] = [a - factor * b for a, b in zip(other, found, strict=True)]
        for _, done in pivots:
            if done[column] != 0:
                factor = done[column]
                done[:] = [a - factor * b for a, b in zip(done, found, strict=True)]
        pivots.append((column, found))
    return pivots


def rank(rows: Sequence[Sequence[int | Fraction]]) -> int:
    return len(_reduce([[Fraction(v) for v in row] for row in rows])) if rows else 0


def _matrix(cells: Sequence[Cell], groups: Iterable[frozenset[Cell]]) -> list[list[int]]:
    return [[1 if cell in group else 0 for cell in cells] for group in groups]


def exposed(sizes: Mapping[Cell, int], groups: Iterable[frozenset[Cell]],
            threshold: int) -> list[frozenset[Cell]]:
    """Every set of cells holding fewer than `threshold` people (and at least one) on which
    some combination of the published groups' sums is non-zero, and zero everywhere else."""
    cells = sorted((c for c, n in sizes.items() if n > 0), key=repr)
    rows = _matrix(cells, set(groups))
    full = rank(rows)
    found = []
    for k in range(1, len(cells) + 1):
        for chosen in combinations(range(len(cells)), k):
            people = sum(sizes[cells[i]] for i in chosen)
            if people >= threshold:
                continue
            kept = [[row[i] for i in range(len(cells)) if i not in chosen] for row in rows]
            if rank(kept) < full:
                found.append(frozenset(cells[i] for i in chosen))
    return found


def solve(equations: Sequence[tuple[frozenset[Cell], int | Fraction]],
          target: frozenset[Cell], cells: Sequence[Cell]) -> Fraction | None:
    """The total of `target` if the equations (group, its published total) determine it."""
    width = len(cells)
    augmented = [[Fraction(1 if c in group else 0) for c in cells] + [Fraction(value)]
                 for group, value in equations]
    pivots = _reduce(augmented)
    remainder = [Fraction(1 if c in target else 0) for c in cells]
    value = Fraction(0)
    for column, row in pivots:
        if column >= width:
            return None  # the published figures contradict each other
        factor = remainder[column]
        if factor:
            remainder = [a - factor * b for a, b in zip(remainder, row[:width], strict=True)]
            value += factor * row[width]
    return value if not any(remainder) else None


def small_sets(sizes: Mapping[Cell, int], threshold: int) -> list[frozenset[Cell]]:
    """Every set of cells holding at least one and fewer than `threshold` people."""
    cells = sorted((c for c, n in sizes.items() if n > 0), key=repr)
    return [frozenset(chosen) for k in range(1, len(cells) + 1)
            for chosen in combinations(cells, k)
            if 0 < sum(sizes[c] for c in chosen) < threshold]


# --- Attacks on several views of one round ----------------------------------------------------
# A view is what one reading of a round published: for each figure (an item and one of its
# options, or its "no answer" count), the equations (the cells of a group it was shown for, the
# group's count). The attacker puts views together: two readings of the JSON either side of
# renaming an agency (issue 22, finding A), two downloads of the answers file, the results of
# a roster scale (finding B), and solves them as one system.

Figure = tuple[str, str]
View = Mapping[Figure, Sequence[tuple[frozenset[Cell], int | Fraction]]]


def read_across(views: Iterable[View], sizes: Mapping[Cell, int],
                threshold: int) -> dict[tuple[Figure, frozenset[Cell]], Fraction]:
    """Every total, over a set of fewer than `threshold` people, that the views' equations
    determine when put together: (figure, the set) -> its total. Empty when nothing small can
    be read."""
    cells = sorted((c for c, n in sizes.items() if n > 0), key=repr)
    system: dict[Figure, list] = {}
    for view in views:
        for figure, found in view.items():
            system.setdefault(figure, []).extend(found)
    read = {}
    for figure, found in system.items():
        for small in small_sets(sizes, threshold):
            if (total := solve(found, small, cells)) is not None:
                read[(figure, small)] = total
    return read


def asked_about(group: frozenset[Cell], agency: str) -> frozenset[Cell]:
    """The cells of a group a roster item about `agency` is asked of: nobody is asked about
    their own agency, which the attacker knows, so that agency's cells add nothing to its
    figures (finding B: whole minus a shown group then leaves a withheld member's rating)."""
    return frozenset(c for c in group if c[0] != agency)


def view_of_result(result: Mapping, sizes: Mapping[Cell, int],
                   cells_of: Callable[[str, str], frozenset[Cell]],
                   about: Callable[[str], str | None] = lambda item_id: None) -> View:
    """The equations one result (its JSON) gives: every shown group's count of each option
    of each item, and of "no answer". `cells_of(kind, name)` is who the attacker knows to be
    in the group of that name in this view; `about(item_id)` the agency a roster item's copy
    asks about (None for an ordinary item), whose own members were never asked it."""
    view: dict[Figure, list] = {}
    groups = [("all", "all", result["partnership"])] + [
        (g["kind"], g["name"], g) for g in result["groups"]]
    for kind, name, group in groups:
        if group["suppressed"]:
            continue
        cells = cells_of(kind, name)
        for item_id, score in group["items"].items():
            agency = about(item_id)
            asked = cells if agency is None else asked_about(cells, agency)
            for value, count in score["distribution"].items():
                view.setdefault((item_id, value), []).append((asked, count))
            not_asked = sum(sizes[c] for c in cells - asked)
            view.setdefault((item_id, "no answer"), []).append(
                (asked, score["unanswered"] - not_asked))
    return view
