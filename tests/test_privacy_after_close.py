"""A closed round's disclosure is frozen: renaming its agencies afterwards changes labels only.

Issue 22, finding A: with agencies Alpha (3), Beta (3) and Gamma (1), a round showed Beta and
withheld Alpha and Gamma; renaming Alpha after close moved the tie-break, the next view
showed Alpha and withheld Beta, and the whole minus both gave Gamma's one member. The
attacker here (tests/privacy_attack.py) reads the round before and after the rename, through
the JSON and through two downloads of the answers, and solves every view together."""

import csv
import io
import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from app.models import Agency, Answer, Role, Sector
from app.scoring import RespondentAnswers, score_round
from app.scoring.disclosure import plan
from app.services import comparison
from app.services.comparison_exports import ITEM_COLUMNS
from tests.conftest import CONFIRM, FormClient, sign_in
from tests.factories import make_invite, make_organisation, make_partnership, make_round, make_user
from tests.privacy_attack import exposed, read_across, view_of_result
from tests.report_helpers import CORE

ALPHA, BETA, GAMMA = "Alpha Health", "Beta Schools", "Gamma Police"
ST, OP = "strategic", "operational"
BOARD = [(ALPHA, ST), (ALPHA, ST), (ALPHA, OP), (BETA, ST), (BETA, ST), (BETA, OP), (GAMMA, OP)]
SIZES = Counter(BOARD)
THRESHOLD = 3


@pytest.fixture
def closed(app, session, core):
    """The board answered at random and closed through the coordinator's form; the
    coordinator's and the organisation admin's clients."""
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Riverside Early Help", agencies=(
        (ALPHA, Sector.health), (BETA, Sector.education), (GAMMA, Sector.police)))
    agencies = {a.name: a for a in session.exec(
        select(Agency).where(Agency.partnership_id == partnership.id))}
    round_ = make_round(session, partnership, anonymity_threshold=THRESHOLD)
    rng = random.Random(22)
    for agency, level in BOARD:
        respondent, _ = make_invite(session, round_, agency_id=agencies[agency].id, level=level)
        session.add_all(Answer(respondent_id=respondent.id, item_id=item.id,
                               value=rng.choice(item.scale.options).value)
                        for item in core.items if rng.random() > 0.05)
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    coordinator = make_user(session, org, coordinates=[partnership])
    admin = make_user(session, org, role=Role.org_admin)
    session.commit()
    clients = {}
    for role, user in (("coordinator", coordinator), ("org_admin", admin)):
        clients[role] = FormClient(app, follow_redirects=False).__enter__()
        sign_in(clients[role], user)
    assert clients["coordinator"].post(
        f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
    yield {"round": round_, "partnership": partnership, "agencies": agencies, **clients}
    for client in clients.values():
        client.__exit__(None, None, None)


def rename(closed, old: str, new: str) -> None:
    agency = closed["agencies"][old]
    response = closed["coordinator"].post(
        f"/partnerships/{closed['partnership'].id}/agencies/{agency.id}/edit",
        data={"agency_name": new, "sector": agency.sector})
    assert response.status_code == 303, response.text


def cells_named(names: dict[str, str]):
    """Who the attacker knows to be in a group, by the names the agencies have in one view
    (they renamed them, so they know which is which)."""
    def cells_of(kind: str, name: str) -> frozenset:
        if kind == "all":
            return frozenset(SIZES)
        if kind == "agency":
            return frozenset(c for c in SIZES if c[0] == names[name])
        return frozenset(c for c in SIZES if c[1] == name)
    return cells_of


def test_renaming_an_agency_after_close_gives_nobody_away(closed):
    url = f"/api/rounds/{closed['round'].id}/result"
    before = closed["coordinator"].get(url).json()
    rename(closed, ALPHA, "Zeta Health")
    after = closed["coordinator"].get(url).json()
    views = [view_of_result(before, SIZES, cells_named({a: a for a in (ALPHA, BETA, GAMMA)})),
             view_of_result(after, SIZES, cells_named({"Zeta Health": ALPHA, BETA: BETA,
                                                       GAMMA: GAMMA}))]
    assert len(views[0]) > 500  # the attacker has every figure of both views to work with
    assert read_across(views, SIZES, THRESHOLD) == {}


def download_view(rows: list[list[str]]) -> Counter:
    """What a download of the answers counts: for each question and answer, how many rows
    give it, in all and for each agency and level the rows show (by label)."""
    agency, level, item, value = (ITEM_COLUMNS.index(c)
                                  for c in ("agency", "level", "item_id", "value"))
    counted: Counter = Counter()
    for row in rows:
        for group in (("all", "all"), ("agency", row[agency]), ("level", row[level])):
            if group[1] != comparison.SUPPRESSED:
                counted[(row[item], row[value], group)] += 1
    return counted


def as_equations(counted: dict, names: dict[str, str], items: dict) -> dict:
    """A download's counts as the attacker's equations, zero counts included: a question
    and answer no row of a shown group gives is a count of 0 for that group."""
    cells_of = cells_named(names)
    groups = {group for _, _, group in counted}
    view: dict = {}
    for item_id, values in items.items():
        for value in values:
            for kind, name in groups:
                view.setdefault((item_id, value), []).append(
                    (cells_of(kind, name), counted.get((item_id, value, (kind, name)), 0)))
    return view


def answers_csv(client) -> list[list[str]]:
    response = client.get("/compare/answers.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.text)))[1:]


def test_two_downloads_either_side_of_a_rename_give_nobody_away(closed, core):
    items = {i.id: [o.value for o in i.scale.options] for i in core.items}
    first = answers_csv(closed["org_admin"])
    rename(closed, ALPHA, "Zeta Health")
    second = answers_csv(closed["org_admin"])
    same = {a: a for a in (ALPHA, BETA, GAMMA)}
    views = [as_equations(download_view(first), same, items),
             as_equations(download_view(second), {**same, "Zeta Health": ALPHA}, items)]
    assert read_across(views, SIZES, THRESHOLD) == {}


# --- Every output the same, apart from the labels --------------------------------------------

RENAMED = {ALPHA: "Zulu Health", BETA: "Yew Schools", GAMMA: "Xylem Police"}


def relabel(value, names: dict[str, str]):
    """A JSON value with every agency name replaced by its new one."""
    if isinstance(value, dict):
        return {relabel(k, names): relabel(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [relabel(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def comparable(result: dict) -> dict:
    """A result with its groups in a fixed order (they are listed by name)."""
    return {**result, "groups": sorted(result["groups"], key=lambda g: (g["kind"], g["name"]))}


def numbers(pdf: bytes) -> Counter:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return Counter(re.findall(r"\d+(?:\.\d+)?", text))


def outputs(closed) -> dict:
    round_id, admin = closed["round"].id, closed["org_admin"]
    book = load_workbook(io.BytesIO(admin.get("/compare/partnerships.xlsx").content))
    column = ITEM_COLUMNS.index("respondent")
    return {
        "json": closed["coordinator"].get(f"/api/rounds/{round_id}/result").json(),
        "csv": sorted(r[:column] + r[column + 1:] for r in answers_csv(admin)),
        "table": admin.get("/compare/partnerships.csv").text,
        "xlsx": {name: sorted([str(v) for i, v in enumerate(row) if
                               name != "Answers (anonymised)" or i != column]
                              for row in book[name].iter_rows(values_only=True))
                 for name in book.sheetnames},
        "pdf": numbers(closed["coordinator"].get(f"/rounds/{round_id}/report.pdf").content),
    }


def test_every_output_is_the_same_after_every_agency_is_renamed(closed):
    before = outputs(closed)
    for old, new in RENAMED.items():
        rename(closed, old, new)
    after = outputs(closed)
    assert comparable(after["json"]) == comparable(relabel(before["json"], RENAMED))
    assert after["csv"] == sorted(relabel(before["csv"], RENAMED))
    assert after["table"] == before["table"]
    assert after["xlsx"] == {k: sorted(relabel(v, RENAMED)) for k, v in before["xlsx"].items()}
    assert after["pdf"] == before["pdf"]
    shown = {g["name"] for g in after["json"]["groups"] if not g["suppressed"]}
    assert shown & set(RENAMED.values())  # some agency is shown: the labels were compared


# --- Rounds closed before plans were kept, and recomputations ---------------------------------

def test_a_round_closed_before_plans_were_kept_keeps_the_pattern_it_showed(session, catalogue):
    """`maps migrate` keeps, for a round closed before 0011, the pattern MAPS showed until
    then: ties settled on the agencies' names (Alpha before Beta: Alpha withheld), by id; and
    its views show that pattern, though ties on ids would settle the other way."""
    from app.services.results import freeze_missing, score
    from tests.factories import close

    partnership = make_partnership(session, agencies=((BETA, Sector.education),
                                                      (ALPHA, Sector.health),
                                                      (GAMMA, Sector.police)))
    ids = {a.name: str(a.id) for a in session.exec(
        select(Agency).where(Agency.partnership_id == partnership.id))}
    round_ = make_round(session, partnership, anonymity_threshold=THRESHOLD)
    for agency, level in BOARD:
        respondent, _ = make_invite(session, round_, agency_id=int(ids[agency]), level=level)
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    close(session, round_)
    assert round_.disclosure is None
    assert freeze_missing(session) == 1
    session.refresh(round_)
    assert round_.disclosure["agencies"] == [ids[BETA]]
    assert round_.disclosure["whole"] is True
    assert freeze_missing(session) == 0
    by_id = Counter((ids[agency], level) for agency, level in BOARD)
    assert plan(by_id, THRESHOLD).agencies == {ids[ALPHA]}  # ids would show the other
    shown = [g.name for g in score(session, round_, catalogue).result.groups
             if g.kind == "agency" and not g.suppressed]
    assert shown == [BETA]


def test_a_later_rule_shows_nothing_the_kept_plan_withheld(closed, monkeypatch,
                                                                 database_url, tmp_path):
    """A scoring change after close (here, a rule that would show every group) and `maps
    rescore` keep the round to its kept plan, and a stricter rule withholds more: the
    attacker, with every view, reads nothing."""
    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.scoring import disclosure

    url = f"/api/rounds/{closed['round'].id}/result"
    before = closed["coordinator"].get(url).json()

    def everything(cells, threshold):
        return disclosure.Plan(threshold, whole=True, agencies=frozenset(a for a, _ in cells),
                               levels=frozenset(lv for _, lv in cells if lv))

    monkeypatch.setattr(disclosure, "plan", everything)
    monkeypatch.setenv("MAPS_DATABASE_URL", database_url)
    monkeypatch.setenv("MAPS_DATA_DIR", str(tmp_path))
    run = CliRunner().invoke(cli, ["rescore"])
    assert run.exit_code == 0, run.output
    after = closed["coordinator"].get(url).json()
    assert comparable(after) == comparable(before)
    assert not after["partnership"]["suppressed"]
    # A stricter rule, which finds the kept plan unsafe and would show only the whole
    # partnership: the round shows that, never the laxer plan's groups.
    monkeypatch.setattr(disclosure, "is_safe", lambda shown, cells, threshold: False)
    monkeypatch.setattr(disclosure, "plan", lambda cells, threshold: disclosure.Plan(
        threshold, whole=True, agencies=frozenset(), levels=frozenset()))
    stricter = closed["coordinator"].get(url).json()
    assert [g for g in stricter["groups"] if not g["suppressed"]] == []
    names = cells_named({a: a for a in (ALPHA, BETA, GAMMA)})
    assert read_across([view_of_result(v, SIZES, names) for v in (before, after, stricter)],
                       SIZES, THRESHOLD) == {}


# --- The attacker, with renames and merges between views -------------------------------------

KEYS = ["11", "12", "13", "14"]  # agencies' ids
LEVELS = [ST, OP, None]
boards = st.dictionaries(keys=st.tuples(st.sampled_from(KEYS), st.sampled_from(LEVELS)),
                         values=st.integers(min_value=1, max_value=5), min_size=1, max_size=8)
# Between two views the coordinator renames an agency, or gives it another's name (a merge).
operations = st.lists(st.one_of(
    st.tuples(st.just("rename"), st.sampled_from(KEYS), st.sampled_from(["Aa", "Mm", "Zz"])),
    st.tuples(st.just("merge"), st.sampled_from(KEYS), st.sampled_from(KEYS))), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=boards, threshold=st.integers(min_value=2, max_value=4), seed=st.integers(0, 99),
       steps=operations)
def test_no_views_between_renames_and_merges_isolate_a_small_group(cells, threshold, seed,
                                                                   steps):
    """A round scored at close, then viewed again after each rename or merge of its agencies'
    names: every group any view shows, taken together, isolates nobody, and every figure
    the attacker uses is one the answers give (so the attacker reads the views right)."""
    items = CORE.items[:8]
    rng = random.Random(seed)
    answers = [(key, level, {i.id: rng.choice(i.scale.options).value for i in items})
               for (key, level), n in sorted(cells.items(), key=repr) for _ in range(n)]
    names = {key: f"Agency {key}" for key in KEYS}
    kept = plan(cells, threshold)  # at close, by id
    shown, truth = [], Counter()
    for key, level, given_ in answers:
        for item_id, value in given_.items():
            truth[(item_id, value, (key, level))] += 1
    for step in [None, *steps]:
        if step and step[0] == "rename":
            names[step[1]] = step[2]
        elif step:
            names[step[1]] = names[step[2]]
        people = [RespondentAnswers(agency=names[key], agency_id=key, level=level,
                                    answers=given_) for key, level, given_ in answers]
        result = score_round(CORE, people, anonymity_threshold=threshold, kept=kept).to_dict()
        for group in [result["partnership"], *result["groups"]]:
            if group["suppressed"]:
                continue
            members = frozenset(c for c in cells if group["kind"] == "all" or c[
                0 if group["kind"] == "agency" else 1] == group["key"])
            shown.append(members)
            for item_id, score in group["items"].items():
                for value, count in score["distribution"].items():
                    assert sum(truth[(item_id, value, c)] for c in members) == count
    assert exposed(cells, shown, threshold) == []
