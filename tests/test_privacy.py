"""The anonymity promise, tested as an attacker would break it.

The board of issue 11 (agencies A = 3, B = 3, C = 1; strategic = 5, operational = 2;
threshold 3), with the round closed, is read by each role through every view: the JSON API,
the results page, the PDF, `maps score`, the exports, the round page and the comparison. An
attacker who knows everyone's agency and level solves the linear system of every count shown
(tests/privacy_attack.py) and must not determine the answers of any group smaller than the
threshold. A Hypothesis property checks the disclosure rule on boards it builds and shrinks."""

import csv
import io
import json
import random
import re
from collections import Counter
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.models import Agency, Answer, Role
from app.scoring import RespondentAnswers, score_round
from app.scoring.disclosure import Plan, is_safe, plan
from app.services import comparison
from tests.conftest import CONFIRM, FormClient, sign_in
from tests.factories import make_invite, make_organisation, make_partnership, make_round, make_user
from tests.privacy_attack import exposed, small_sets, solve
from tests.report_helpers import CORE

A, B, C = "Alder Health", "Birch Schools", "Cedar Police"
ST, OP = "strategic", "operational"
# Issue 11's board: A has two strategic members and one operational, B three strategic, C's
# only member is operational.
BOARD = [(A, ST), (A, ST), (A, OP), (B, ST), (B, ST), (B, ST), (C, OP)]
THRESHOLD = 3


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def _answers(core, rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """One board member's answers (some "don't know", some left out) and comments."""
    answers, comments = {}, {}
    for item in core.items:
        roll = rng.random()
        if roll < 0.05:
            continue
        option = rng.choice(item.scale.options)
        answers[item.id] = option.value
        if rng.random() < 0.04:
            comments[item.id] = f"Remark {rng.randint(100, 999)} on {item.id}"
    return answers, comments


@pytest.fixture
def board(app, session, core):
    """Issue 11's board, answered and closed through the coordinator's form; the clients of a
    coordinator, an organisation admin and a site admin; and what each member answered."""
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Riverside Early Help",
                                   agencies=((A, "health"), (B, "education"), (C, "police")))
    agencies = {a.name: a.id for a in session.exec(
        select(Agency).where(Agency.partnership_id == partnership.id))}
    round_ = make_round(session, partnership, anonymity_threshold=THRESHOLD)
    rng = random.Random(11)
    people = []
    for agency, level in BOARD:
        respondent, _ = make_invite(session, round_, agency_id=agencies[agency], level=level)
        answers, comments = _answers(core, rng)
        session.add_all(Answer(respondent_id=respondent.id, item_id=item_id, value=value,
                               comment=comments.get(item_id))
                        for item_id, value in answers.items())
        respondent.submitted_at = respondent.started_at = datetime.now(UTC)
        session.add(respondent)
        people.append(RespondentAnswers(agency=agency, level=level, answers=answers,
                                        comments=comments))
    coordinator = make_user(session, org, coordinates=[partnership])
    admin = make_user(session, org, role=Role.org_admin)
    site_admin = make_user(session, role=Role.site_admin)
    session.commit()
    clients = {}
    for role, user in (("coordinator", coordinator), ("org_admin", admin),
                       ("site_admin", site_admin)):
        clients[role] = FormClient(app, follow_redirects=False).__enter__()
        sign_in(clients[role], user)
    assert clients["coordinator"].post(
        f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
    yield {"round": round_, "people": people, "clients": clients, "partnership": partnership}
    for client in clients.values():
        client.__exit__(None, None, None)


# --- What the attacker knows and solves ------------------------------------------------------

SIZES = Counter(BOARD)
ALL = frozenset(SIZES)


def cells_of(kind: str, name: str) -> frozenset:
    if kind == "all":
        return ALL
    return frozenset(c for c in SIZES if c[0 if kind == "agency" else 1] == name)


def truth(people, item_id: str, value: str, cells: frozenset) -> int:
    dont_know = "dk"
    return sum(1 for p in people if (p.agency, p.level) in cells and item_id in p.answers
               and (p.answers[item_id] or dont_know) == value)


def published_groups(result: dict) -> dict[tuple[str, str], frozenset]:
    """The groups whose figures a result (the JSON shape) shows."""
    shown = {("all", "all"): ALL} if not result["partnership"]["suppressed"] else {}
    for group in result["groups"]:
        if not group["suppressed"]:
            shown[(group["kind"], group["name"])] = cells_of(group["kind"], group["name"])
    return shown


def equations(result: dict) -> dict[tuple[str, str], list]:
    """For each figure (item, option), the equations a result gives: group -> count."""
    found: dict[tuple[str, str], list] = {}
    groups = [("all", "all", result["partnership"])] + [
        (g["kind"], g["name"], g) for g in result["groups"]]
    for kind, name, group in groups:
        if group["suppressed"]:
            assert group["items"] == {} and group["tags"] == {} and group["overall"] is None
            continue
        for item_id, score in group["items"].items():
            for value, count in score["distribution"].items():
                found.setdefault((item_id, value), []).append((cells_of(kind, name), count))
    return found


def assert_nothing_small_is_determined(result: dict, people) -> int:
    """The attacker's work on one result: every equation agrees with what was answered (the
    figures are read right), and no set of fewer than THRESHOLD people has a total any of
    them determines. Returns how many equations were solved."""
    assert exposed(SIZES, published_groups(result).values(), THRESHOLD) == []
    solved = 0
    cells = sorted(SIZES, key=repr)
    for (item_id, value), system in equations(result).items():
        for group, count in system:
            assert truth(people, item_id, value, group) == count
        for small in small_sets(SIZES, THRESHOLD):
            assert solve(system, small, cells) is None, (item_id, value, small)
        solved += len(system)
    return solved


def test_the_attacker_reads_a_small_group_when_only_small_groups_are_hidden(core):
    """The attack works: against what MAPS used to publish (every group of at least three),
    it reads C's one member's answers and the operational member of A's."""
    rng = random.Random(11)
    people = []
    for agency, level in BOARD:
        answers, _ = _answers(core, rng)
        people.append(RespondentAnswers(agency=agency, level=level, answers=answers))
    old = [ALL, cells_of("agency", A), cells_of("agency", B), cells_of("level", ST)]
    assert frozenset({(C, OP)}) in exposed(SIZES, old, THRESHOLD)
    assert frozenset({(A, OP)}) in exposed(SIZES, old, THRESHOLD)
    cells = sorted(SIZES, key=repr)
    read = 0
    for item in core.items:
        for option in item.scale.options:
            system = [(g, truth(people, item.id, option.value, g)) for g in old]
            for person in ((C, OP), (A, OP)):
                found = solve(system, frozenset({person}), cells)
                assert found == truth(people, item.id, option.value, frozenset({person}))
                read += 1
    assert read > 2 * len(core.items)


# --- Every view, every role ------------------------------------------------------------------

def test_the_json_result_gives_no_small_group_away(board):
    result = board["clients"]["coordinator"].get(
        f"/api/rounds/{board['round'].id}/result").json()
    assert set(published_groups(result)) == {("all", "all"), ("agency", B)}
    assert assert_nothing_small_is_determined(result, board["people"]) > 500
    # Sizes are counts too: withheld groups' are withheld.
    assert result["coverage"]["by_agency"] == {A: None, B: 3, C: None}
    assert result["coverage"]["by_level"] == {ST: None, OP: None}
    withheld = [g for g in result["groups"] if g["suppressed"]]
    assert {g["name"] for g in withheld} == {A, C, ST, OP}
    assert all(g["respondents"] is None for g in withheld)
    assert all(gap["high"] not in (A, C) and gap["low"] not in (A, C)
               for gap in result["consensus"]["agency_gaps"])
    assert result["consensus"]["level_gaps"] == []
    # The organisation admin gets the same, and the site admin nothing.
    admin = board["clients"]["org_admin"].get(f"/api/rounds/{board['round'].id}/result")
    assert admin.json() == result
    assert board["clients"]["site_admin"].get(
        f"/api/rounds/{board['round'].id}/result").status_code == 404


def _who_answered(html) -> dict[str, str]:
    rows = {}
    for table in html.select("table.report-counts"):
        for tr in table.select("tbody tr"):
            label, count = (td.get_text(strip=True) for td in tr.select("td"))
            rows[label] = count
    return rows


def test_the_results_page_gives_no_small_group_away(board):
    for role in ("coordinator", "org_admin"):
        response = board["clients"][role].get(f"/rounds/{board['round'].id}/results")
        assert response.status_code == 200
        html = page(response)
        counts = _who_answered(html)
        assert counts == {A: "withheld", B: "3", C: "withheld", "Strategic staff": "withheld",
                          "Operational staff": "withheld"}
        shown = [ALL] + [cells_of("agency", label) for label, n in counts.items()
                         if n.isdigit() and label in (A, B, C)]
        named_in_gaps = {cell.get_text(strip=True).split(":")[0]
                         for cell in html.select(".report-gaps td")}
        assert named_in_gaps <= {B}
        assert exposed(SIZES, shown, THRESHOLD) == []
    assert board["clients"]["site_admin"].get(
        f"/rounds/{board['round'].id}/results").status_code == 404


def test_the_pdf_gives_no_small_group_away_and_prints_the_comments(board):
    response = board["clients"]["coordinator"].get(f"/rounds/{board['round'].id}/report.pdf")
    assert response.headers["content-type"] == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages]
    # "Who answered" is on page 2, after the summary page. Who was invited (not a result)
    # names every agency, wherever the page breaks it.
    invited = re.compile(r"Who was invited, by agency and level.*?than sit on it\.", re.S)
    cover, rest = pages[1], invited.sub("", "\n".join([pages[0], *pages[2:]]))
    flat = re.sub(r"\s+", " ", cover)
    for name in (A, C):
        assert re.search(rf"{name} withheld", flat), name
        # Named where who answered is listed (as withheld), never beside a figure.
        assert name not in rest
    assert re.search(rf"{B} 3", flat)
    comments = [c for p in board["people"] for c in p.comments.values()]
    text = re.sub(r"\s+", " ", rest)
    assert comments and all(c in text for c in comments)


def test_maps_score_gives_no_small_group_away(board, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"respondents": [
        {"agency": p.agency, "level": p.level, "answers": p.answers, "comments": p.comments}
        for p in board["people"]]}))
    run = CliRunner().invoke(cli, ["score", str(path)])
    assert run.exit_code == 0, run.output
    result = json.loads(run.output)
    assert set(published_groups(result)) == {("all", "all"), ("agency", B)}
    assert_nothing_small_is_determined(result, board["people"])
    low = CliRunner().invoke(cli, ["score", "--anonymity-threshold", "2", str(path)])
    assert low.exit_code == 2 and "at least 3" in low.output


def _classes(rows) -> Counter:
    """How many people each combination of agency, sector and level a download shows holds."""
    people = {(r[2], r[3], r[4], r[5]) for r in rows}
    return Counter((agency, sector, level) for _, agency, sector, level in people)


def test_the_exports_give_no_small_group_away(board):
    client = board["clients"]["org_admin"]
    rows = list(csv.reader(io.StringIO(client.get("/compare/answers.csv").text)))[1:]
    again = list(csv.reader(io.StringIO(client.get("/compare/answers.csv").text)))[1:]
    book = load_workbook(io.BytesIO(client.get("/compare/partnerships.xlsx").content))
    sheet = [[str(v) for v in row] for row in book["Answers (anonymised)"].iter_rows(
        min_row=2, values_only=True)]
    for download in (rows, sheet):
        assert len({r[2] for r in download}) == len(BOARD)
        classes = _classes(download)
        assert min(classes.values()) >= THRESHOLD, classes
        # The item-level rows of each class, with the result's groups: nothing small.
        released = [cells_of("agency", agency) if agency != comparison.SUPPRESSED else
                    ALL - cells_of("agency", B) for agency, _, _ in classes]
        result = client.get(f"/api/rounds/{board['round'].id}/result").json()
        assert exposed(SIZES, released + list(published_groups(result).values()),
                       THRESHOLD) == []
    # Pseudonyms are drawn afresh for each download: two downloads cannot be joined.
    assert {r[2] for r in rows}.isdisjoint({r[2] for r in again})
    assert {r[2] for r in rows}.isdisjoint({r[2] for r in sheet})
    # Rows are in pseudonym order, not in the order people answered.
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)
    assert board["clients"]["coordinator"].get("/compare/answers.csv").status_code == 403


def test_the_round_page_and_comparison_give_no_small_group_away(board):
    client = board["clients"]["coordinator"]
    html = page(client.get(f"/rounds/{board['round'].id}"))
    rows = {}
    for tr in html.select("#response-rate tbody tr"):
        label, *figures = (c.get_text(strip=True) for c in tr.select("th, td"))
        rows[label] = figures
    assert rows[A] == ["3", "withheld", "–"] and rows[C] == ["1", "withheld", "–"]
    assert rows[B] == ["3", "3", "100%"]
    assert rows["All agencies"] == ["7", "7", "100%"]
    shown = [ALL, cells_of("agency", B)]
    assert exposed(SIZES, shown, THRESHOLD) == []
    compared = board["clients"]["org_admin"].get("/api/compare").json()["partnerships"]
    assert [(r["respondents"], r["invited"]) for r in compared] == [(7, 7)]


def test_comments_are_in_the_results_grouped_sorted_and_never_attributed(board, core):
    html = page(board["clients"]["coordinator"].get(f"/rounds/{board['round'].id}/results"))
    section = html.select_one("#comments")
    written = {}
    for person in board["people"]:
        for item_id, text in person.comments.items():
            written.setdefault(item_id, []).append(text)
    groups = section.select(".report-comment-group")
    assert [g.h3.get_text(strip=True) for g in groups] == [
        i.text for i in core.items if i.id in written]
    for group, item in zip(groups, [i for i in core.items if i.id in written], strict=True):
        shown = [li.get_text(strip=True) for li in group.select("li")]
        assert shown == sorted(written[item.id], key=str.casefold)
    text = section.get_text(" ")
    assert not any(name in text for name in (A, B, C, "Strategic", "Operational"))
    result = board["clients"]["coordinator"].get(
        f"/api/rounds/{board['round'].id}/result").json()
    assert result["comments"] == {i: sorted(t, key=str.casefold) for i, t in written.items()}


# --- The rule on boards Hypothesis builds ----------------------------------------------------

AGENCY_NAMES = ["P", "Q", "R", "T"]
LEVELS = [ST, OP, None]
boards = st.dictionaries(
    keys=st.tuples(st.sampled_from(AGENCY_NAMES), st.sampled_from(LEVELS)),
    values=st.integers(min_value=1, max_value=6), min_size=1, max_size=9)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=boards, threshold=st.integers(min_value=2, max_value=6))
def test_no_combination_of_what_is_shown_isolates_a_small_group(cells, threshold):
    shown = plan(cells, threshold)
    assert is_safe(shown, cells, threshold)  # the check a kept plan is held to later
    total = sum(cells.values())
    assert shown.whole == (total >= threshold)
    groups = [frozenset(cells)] if shown.whole else []
    for agency in shown.agencies:
        members = frozenset(c for c in cells if c[0] == agency)
        assert sum(cells[c] for c in members) >= threshold  # primary suppression
        groups.append(members)
    for level in shown.levels:
        assert level is not None
        members = frozenset(c for c in cells if c[1] == level)
        assert sum(cells[c] for c in members) >= threshold
        groups.append(members)
    assert exposed(cells, groups, threshold) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=boards, threshold=st.integers(min_value=2, max_value=5), seed=st.integers(0, 99))
def test_a_scored_round_shows_only_what_the_rule_allows(cells, threshold, seed):
    """Through score_round and its JSON: the groups shown are the plan's, and what they show
    determines no small group's answers."""
    core = CORE
    rng = random.Random(seed)
    people = [RespondentAnswers(agency=a, level=lv, answers={
        i.id: rng.choice(i.scale.options).value for i in core.items[:12]},
        comments={core.items[rng.randrange(12)].id: f"Comment {rng.random()}"})
        for (a, lv), n in cells.items() for _ in range(n)]
    result = json.loads(json.dumps(score_round(core, people,
                                               anonymity_threshold=threshold).to_dict()))
    shown = plan(cells, threshold)
    assert {(g["kind"], g["name"]) for g in result["groups"] if not g["suppressed"]} == {
        ("agency", a) for a in shown.agencies} | {("level", lv) for lv in shown.levels}
    published = ([frozenset(cells)] if not result["partnership"]["suppressed"] else []) + [
        frozenset(c for c in cells if c[0 if g["kind"] == "agency" else 1] == g["name"])
        for g in result["groups"] if not g["suppressed"]]
    assert exposed(cells, published, threshold) == []
    # Comments are withheld whenever the whole round is below its threshold, and only then.
    assert bool(result["comments"]) == shown.whole
    if not shown.whole:
        assert result["partnership"]["items"] == {}
        assert all(p["level"] is None for p in result["placements"])
    cells_sorted = sorted(cells, key=repr)
    item = core.items[0]
    for option in item.scale.options:
        system = []
        for kind, name, group in [("all", "", result["partnership"])] + [
                (g["kind"], g["name"], g) for g in result["groups"]]:
            if group["suppressed"]:
                continue
            members = (frozenset(cells) if kind == "all" else frozenset(
                c for c in cells if c[0 if kind == "agency" else 1] == name))
            system.append((members, Fraction(group["items"][item.id]["distribution"][
                option.value])))
        for small in small_sets(cells, threshold):
            assert solve(system, small, cells_sorted) is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=boards, threshold=st.integers(min_value=2, max_value=6), data=st.data())
def test_the_check_a_kept_plan_is_held_to_agrees_with_the_attacker(cells, threshold, data):
    """Any choice of groups to show passes `is_safe` exactly when the attacker can isolate
    nobody from them: a round keeps its plan only while that holds."""
    agencies = sorted({a for a, _ in cells})
    levels = sorted({lv for _, lv in cells if lv is not None})
    shown = Plan(threshold, whole=True,
                 agencies=frozenset(data.draw(st.sets(st.sampled_from(agencies)))),
                 levels=frozenset(data.draw(st.sets(st.sampled_from(levels))) if levels
                                  else ()))
    groups = [frozenset(cells)]
    groups += [frozenset(c for c in cells if c[0] == a) for a in shown.agencies]
    groups += [frozenset(c for c in cells if c[1] == lv) for lv in shown.levels]
    assert is_safe(shown, cells, threshold) == (exposed(cells, groups, threshold) == [])
