"""Every author–year citation MAPS prints matches an entry in the review's reference list.

The reference list is parsed from `tests/data/review-references.txt` (a verbatim copy of the
review's own list). A citation matches when its authors (one surname, two joined by "and", or
the first followed by "et al.") and its year, with the letter where the list has one, name an
entry. A source the review knows only through another ("Audit Commission (1998), cited in
Percy-Smith (2005)") matches through that other source, which must itself be an entry.
Where the review's own text cites a source that is not in its list, MAPS prints the list's
form; docs/method.md, "Corrections to the review's citations", records each change.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from app.questionnaires.loader import HERE as QUESTIONNAIRES
from app.recommendations.library import STRATEGIES_FILE
from app.scoring.typologies import MODELS

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = Path(__file__).parent / "data" / "review-references.txt"
TEMPLATES = ROOT / "app" / "templates"
METHOD = ROOT / "docs" / "method.md"

# The review itself is not in its own reference list.
THE_REVIEW = "Atkinson, Jones and Lamont (2007)"

NAME = r"[A-Z][A-Za-z'’\-]+(?: [A-Z][A-Za-z'’\-]+)*"
YEAR = r"\d{4}[a-z]?(?![\w])"
YEARS = rf"{YEAR}(?:;\s*{YEAR})*"
CITATION = re.compile(
    rf"(?P<authors>{NAME}(?: et al\.?| and {NAME})?)"
    rf"(?:,?\s+(?P<bare>{YEARS})|\s*\((?P<paren>{YEARS})(?:[:,][^)]*)?\))")
# "A cited in B", "A reviewed by B", "A in B": B is where the review found A.
VIA = re.compile(r",?\s*(?:cited in|reviewed by|in:?)\s*")
ET_AL = "et al."


@dataclass(frozen=True)
class Entry:
    authors: tuple[str, str | None]  # (first surname, second surname, "et al." or None)
    year: str
    host: tuple[tuple[str, str | None], str] | None  # the entry it is cited "In:"
    text: str

    @property
    def cited_as(self) -> str:
        first, second = self.authors
        names = first if second is None else (
            f"{first} {ET_AL}" if second == ET_AL else f"{first} and {second}")
        return f"{names} ({self.year})"


@dataclass(frozen=True)
class Citation:
    authors: tuple[str, str | None]
    years: tuple[str, ...]
    text: str
    host: "Citation | None" = None


def _surname(author: str) -> str:
    return re.match(r"[A-Z][\w'’-]*(?:[ -][A-Z][a-z][\w'’-]*)*", author.strip()).group()


def _entry_authors(authors: str) -> tuple[str, str | None]:
    """'Abbott, D., Townsley, R. and Watson, D.' -> ('Abbott', 'et al.')."""
    if "et al" in authors:
        return _surname(authors), ET_AL
    head, _, tail = authors.partition(" and ")
    names = [_surname(a) for a in re.split(r"(?<=\.),\s+", head.strip())]
    names += [_surname(tail)] if tail else []
    if len(names) == 1:
        return names[0], None
    return names[0], names[1] if len(names) == 2 else ET_AL


ENTRY_HEAD = re.compile(r"(?P<authors>[A-Z][^()]*?)\s*\((?P<year>\d{4}[a-z]?)(?: onwards)?\)")


def _entry(text: str) -> Entry:
    head = ENTRY_HEAD.match(text)
    host = None
    if (inside := re.search(r"\bIn: (.*)", text[head.end():])) and (
            hosted := ENTRY_HEAD.match(inside.group(1))):
        host = (_entry_authors(hosted["authors"]), hosted["year"])
    return Entry(_entry_authors(head["authors"]), head["year"], host, text)


def parse_reference_list(text: str) -> list[Entry]:
    """One entry per paragraph or "- " line; a paragraph that does not open with authors and
    a year continues the entry before (the list breaks one entry across a page)."""
    chunks: list[str] = []
    fresh = True
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            fresh = True
        elif fresh or line.startswith("- "):
            chunks.append(line.removeprefix("- "))
            fresh = False
        else:
            chunks[-1] += " " + line
    entries: list[str] = []
    for chunk in (" ".join(c.split()) for c in chunks):
        if ENTRY_HEAD.match(chunk) or not entries:
            entries.append(chunk)
        else:
            entries[-1] += " " + chunk
    return [_entry(e) for e in entries]


ENTRIES = parse_reference_list(REFERENCES.read_text(encoding="utf-8"))
# The sources of the other instruments MAPS ships, which only their own files may cite.
OTHER_ENTRIES = parse_reference_list(
    (REFERENCES.parent / "other-references.txt").read_text(encoding="utf-8"))
CORE_FILES = ("multi-agency-working",)


def _authors(authors: str) -> tuple[str, str | None]:
    if authors.endswith(("et al.", "et al")):
        return authors.rsplit(" et al", 1)[0], ET_AL
    first, _, second = authors.partition(" and ")
    return first, second or None


def citations_in(text: str) -> list[Citation]:
    """Every author–year citation in a piece of text, each joined to the one it is cited in."""
    text = text.replace(THE_REVIEW, "")
    found = list(CITATION.finditer(text))
    hosts: dict[int, Citation] = {}
    out: list[Citation] = []
    for i in range(len(found) - 1, -1, -1):
        match = found[i]
        years = tuple(re.findall(YEAR, match["bare"] or match["paren"]))
        host = None
        if i + 1 < len(found) and VIA.fullmatch(text[match.end():found[i + 1].start()]):
            host = hosts[i + 1]
        hosts[i] = Citation(_authors(match["authors"]), years, match.group(), host)
        out.append(hosts[i])
    return out[::-1]


def problems_with(citation: Citation, entries: list[Entry] = ENTRIES) -> list[str]:
    """What is wrong with one citation against the reference list; [] when it matches."""
    problems = []
    host = citation.host
    if host is not None:
        problems += problems_with(host, entries)
    for year in citation.years:
        same = [e for e in entries if e.authors == citation.authors and e.year == year]
        lettered = [e for e in entries if e.authors == citation.authors
                    and re.fullmatch(rf"{year}[a-z]", e.year)]
        if same:
            hosted = [e for e in same if e.host]
            if host is not None and hosted and all(
                    e.host != (host.authors, host.years[0]) for e in hosted):
                problems.append(f"'{citation.text}': the list has it in "
                                f"{hosted[0].text.split('In: ', 1)[1][:40]}…, not in '{host.text}'")
        elif lettered:
            problems.append(f"'{citation.text}': the list has " + " and ".join(
                e.cited_as for e in lettered) + "; say which")
        elif host is None:  # a source known only through its host need not be listed
            near = [e.cited_as for e in entries if e.authors[0] == citation.authors[0]]
            problems.append(f"'{citation.text}' ({year}) matches no entry in the reference list"
                            + (f" (the list has {', '.join(near)})" if near else ""))
    return problems


# --- What MAPS prints ------------------------------------------------------------------------

def _sources(node, where: str):
    """Every `source` value in a questionnaire definition, with the id of what it is on."""
    if isinstance(node, dict):
        where = f"{where}/{node['id']}" if "id" in node else where
        for key, value in node.items():
            if key == "source" and isinstance(value, str):
                yield where, value
            else:
                yield from _sources(value, where)
    elif isinstance(node, list):
        for value in node:
            yield from _sources(value, where)


def questionnaire_sources() -> list[tuple[str, str]]:
    files = sorted(QUESTIONNAIRES.glob("*.yaml")) + sorted((ROOT / "tests/data").glob("*.yaml"))
    return [pair for f in files
            for pair in _sources(yaml.safe_load(f.read_text(encoding="utf-8")),
                                 str(f.relative_to(ROOT)))]


def strategy_sources() -> list[tuple[str, str]]:
    data = yaml.safe_load(STRATEGIES_FILE.read_text(encoding="utf-8"))
    return [(f"strategies.yaml/{s['id']}", source)
            for area in data["practice_areas"] for s in area["strategies"]
            for source in s.get("sources") or []]


def printed_sources() -> list[tuple[str, str]]:
    return (questionnaire_sources() + strategy_sources()
            + [(f"typologies.py/{m.key}", m.source) for m in MODELS]
            + [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
               for p in sorted(TEMPLATES.rglob("*.html"))])


# --- The parser itself -----------------------------------------------------------------------

def test_the_reference_list_parses_into_its_entries():
    cited = {e.cited_as for e in ENTRIES}
    assert len(ENTRIES) == 40
    assert {"Abbott et al. (2005a)", "Hamill and Boyd (2001)", "Healey (2004)",
            "Johnson et al. (2003)", "Moran et al. (2006)", "Tomlinson (2003)",
            "Salmon and Rapport (2005)", "DfES (2003)", "Allnock et al. (2006)",
            "Lessard et al. (2006)", "Robinson and Cottrell (2005)"} <= cited
    griffith = next(e for e in ENTRIES if e.authors == ("Griffith", None))
    assert griffith.host == (("Fox", "Butler"), "2004")
    lessard = next(e for e in ENTRIES if e.authors[0] == "Lessard")
    assert lessard.text.endswith("28, 511–534.")  # the entry broken across a page


@pytest.mark.parametrize("text, expected", [
    ("Section 4.2 (e.g. Frost and Lloyd, 2006; Lessard et al., 2006)",
     [(("Frost", "Lloyd"), ("2006",)), (("Lessard", ET_AL), ("2006",))]),
    ("Section 2.3, Townsley et al. (2004a: p. 27)", [(("Townsley", ET_AL), ("2004a",))]),
    ("Watson et al. (2000; 2002), cited in Sloper (2004): transdisciplinary working",
     [(("Watson", ET_AL), ("2000", "2002")), (("Sloper", None), ("2004",))]),
    ("Darlington et al., 2004a; 2004b", [(("Darlington", ET_AL), ("2004a", "2004b"))]),
    (f"come from {THE_REVIEW}, Table 5.1", []),
    ("Section 2.4, Dimension one: Organisation (shared staff)", []),
])
def test_citations_are_found_in_free_text(text, expected):
    assert [(c.authors, c.years) for c in citations_in(text)] == expected


@pytest.mark.parametrize("text, complaint", [
    ("Frost and Lloyd, 2003", "matches no entry"),
    ("Moran et al., 2007", "matches no entry"),
    ("Tomlinson et al., 2003", "the list has Tomlinson (2003)"),
    ("Townesley et al., 2004b", "matches no entry"),
    ("Townsley et al., 2004", "the list has Townsley et al. (2004a) and Townsley et al. "
                              "(2004b); say which"),
    ("Healey et al. (2004)", "the list has Healey (2004)"),
    ("Robinson and Cotterell, 2005", "matches no entry"),
    ("Gaster et al. (1999), cited in Sloper (2004)", "not in 'Sloper (2004)'"),
    ("Audit Commission (1998), cited in Percy-Smith (2007)", "'Percy-Smith (2007)'"),
])
def test_a_citation_that_is_not_in_the_list_is_caught(text, complaint):
    problems = [p for c in citations_in(text) for p in problems_with(c)]
    assert problems and complaint in " ".join(problems)


@pytest.mark.parametrize("text", [
    "Townsley et al. (2004a)", "Gaster et al. (1999), cited in Percy-Smith (2005: p. 9)",
    "Audit Commission (1998), cited in Percy-Smith (2005)", "Healey (2004)",
    "Griffith (2002) cited in Fox and Butler (2004: p. 39)",
    "Lyne et al., 2001 cited in Sloper, 2004",
    "Watson et al. (2000; 2002) reviewed by Sloper (2004)", "DfES (2003)",
])
def test_a_citation_in_the_list_passes(text):
    found = citations_in(text)
    assert found and [p for c in found for p in problems_with(c)] == []


# --- MAPS's own text ---------------------------------------------------------------------------

# Where another instrument MAPS ships is presented: its own file, and the collaboration map.
OTHER_INSTRUMENTS_PAGES = ("app/templates/report/_collaboration.html",
                           "app/templates/results/_collaboration.html")
# Pages that cite no research: the accessibility statement names the law and its own dates.
NOT_RESEARCH = ("app/templates/accessibility.html",)


def _entries_for(where: str) -> list[Entry]:
    """The review's list for everything MAPS prints; another instrument's file (and the map it
    feeds) may also cite that instrument's published source."""
    own_instrument = where.startswith(OTHER_INSTRUMENTS_PAGES) or (
        where.startswith("app/questionnaires/") and not any(
            where.startswith(f"app/questionnaires/{core}") for core in CORE_FILES))
    return ENTRIES + OTHER_ENTRIES if own_instrument else ENTRIES


def test_every_source_maps_prints_matches_the_reference_list():
    problems = [f"{where}: {problem}" for where, text in printed_sources()
                if not where.startswith(NOT_RESEARCH) for citation in citations_in(text)
                for problem in problems_with(citation, _entries_for(where))]
    assert problems == []


def test_the_other_instruments_sources_parse_and_only_their_files_may_cite_them():
    assert [e.cited_as for e in OTHER_ENTRIES] == ["Frey et al. (2006)"]
    frey = citations_in("Frey et al. (2006)")
    lcs = "app/questionnaires/levels-of-collaboration.yaml"
    assert problems_with(frey[0], _entries_for(lcs)) == []
    assert problems_with(frey[0], _entries_for("app/questionnaires/multi-agency-working-v2.yaml"))
    assert problems_with(frey[0], _entries_for("app/templates/report/_summary.html"))


def test_the_sources_checked_are_the_ones_maps_prints():
    # A parser that found nothing would pass the test above: make sure it reads them all.
    pairs = printed_sources()
    assert sum(1 for _, text in pairs for _ in citations_in(text)) > 200
    assert len([w for w, _ in pairs if w.startswith("strategies.yaml")]) > 150
    assert {f"typologies.py/{m.key}" for m in MODELS} <= {w for w, _ in pairs}


def test_each_strategy_source_is_exactly_one_citation():
    for where, source in strategy_sources():
        found = citations_in(source)
        assert found, f"{where}: '{source}' is not an author–year citation"
        rest = source
        for citation in found:
            rest = rest.replace(citation.text, "", 1)
        assert VIA.sub("", rest).strip() == "", f"{where}: '{source}' has more than citations"
        assert sum(1 for c in found if not any(o.host is c for o in found)) == 1, where


def test_names_are_spelt_as_the_reference_list_spells_them():
    # Townsley, Cottrell, Noaks, Abbott, Healey: the review's text misspells each somewhere.
    misspelt = re.compile(r"Townesley|Townsend|Cotterell|Noakes|Abbot\b|Healy\b")
    files = [p for p in [*ROOT.glob("app/**/*"), *ROOT.glob("docs/*.md"), ROOT / "README.md"]
             if p.is_file() and p.suffix in {".py", ".html", ".yaml", ".md"}]
    corrections = _corrections_section()
    found = [f"{p.relative_to(ROOT)}: {m.group()}" for p in files
             for m in misspelt.finditer(p.read_text(encoding="utf-8").replace(corrections, ""))]
    assert found == []


def _corrections_section() -> str:
    text = METHOD.read_text(encoding="utf-8")
    match = re.search(r"^## [^\n]*Corrections to the review's citations.*?(?=^## |\Z)", text,
                      re.M | re.S)
    return match.group() if match else ""


def test_every_correction_is_recorded_in_the_method():
    section = _corrections_section()
    assert section, "docs/method.md needs a section 'Corrections to the review's citations'"
    rows = [row for row in re.findall(r"^\| (.+?) \| (.+?) \| (.+?) \|$", section, re.M)
            if row[0] != "The review's text"]
    assert len(rows) >= 12
    for review_form, printed, why in rows:
        # The left column quotes the review's slip, the middle the list's form MAPS prints.
        assert any(problems_with(c) for c in citations_in(review_form)), review_form
        fixed = citations_in(printed)
        assert fixed and all(problems_with(c) == [] for c in fixed), printed
        assert why.strip(), review_form
