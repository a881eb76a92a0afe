"""Hostile input: the JSON API fuzzed from its own OpenAPI schema, the questionnaire loader and
the answer endpoints fuzzed with Hypothesis, script and SQL-looking names everywhere a user
can type one (pages and the PDF must show them as text), and the security headers."""

import copy
import json
import random
import re
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest
import schemathesis
import yaml
from bs4 import BeautifulSoup
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlmodel import Session, select

from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Partnership,
    Respondent,
    Role,
    RoundStatus,
)
from app.questionnaires.format import MAX_ITEMS
from app.questionnaires.loader import MAX_FILE_BYTES, InvalidQuestionnaire, load_file, parse
from app.questionnaires.paging import pages
from app.questionnaires.schema import Questionnaire
from app.services.results import summarise
from tests.conftest import CONFIRM, DATA, FormClient, sign_in, start_response
from tests.factories import (
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)

# --- The JSON API, fuzzed from its own OpenAPI schema ----------------------------------------

def _board(session, round_, questionnaire, count: int, rng) -> None:
    """`count` submitted responses with answers, spread over the partnership's agencies."""
    agencies = session.exec(select(Agency).where(
        Agency.partnership_id == round_.partnership_id)).all()
    for n in range(count):
        respondent, _ = make_invite(session, round_, agency_id=agencies[n % len(agencies)].id,
                                    level=("strategic", "operational")[n % 2])
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
        session.add_all(Answer(respondent_id=respondent.id, item_id=item.id,
                               value=rng.choice(item.scale.options).value)
                        for item in questionnaire.items)
    session.commit()


@pytest.fixture
def api_data(app, session, catalogue, core):
    """An organisation admin's cookies, over partnerships with rounds in every state: closed
    with a full board, closed with one response, open, and none at all."""
    rng = random.Random(5)
    organisation = make_organisation(session)
    full = make_partnership(session, organisation, name="Full board")
    thin = make_partnership(session, organisation, name="One response")
    make_partnership(session, organisation, name="No rounds yet")
    rounds = []
    for partnership, status, count in ((full, RoundStatus.closed, 6),
                                       (thin, RoundStatus.closed, 1),
                                       (full, RoundStatus.open, 2)):
        round_ = make_round(session, partnership, status=status, title=f"{status} {count}")
        _board(session, round_, core, count, rng)
        if status == RoundStatus.closed:
            summarise(session, round_, catalogue)
            session.commit()
        rounds.append(round_.id)
    admin = make_user(session, organisation, role=Role.org_admin)
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, admin)
        cookies = dict(browser.cookies)
    return {"cookies": cookies, "rounds": rounds}


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


# The JSON API, by its schema. A new /api/ route fails the first test until it is added here.
JSON_API = ["/api/compare", "/api/rounds/{round_id}/result", "/healthz"]
API_FUZZ = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _is_json_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz"


def test_every_json_route_is_fuzzed(api_schema):
    paths = {op.ok().path for op in api_schema.get_all_operations()}
    assert sorted(p for p in paths if _is_json_api(p)) == JSON_API


def _cases(operation):
    """Valid requests and, where the operation takes parameters or a body, invalid ones."""
    strategy = operation.as_strategy(GenerationMode.POSITIVE)
    if operation.path_parameters or operation.query or operation.body:
        strategy |= operation.as_strategy(GenerationMode.NEGATIVE)
    return strategy


@pytest.mark.parametrize("path", JSON_API)
def test_json_api_answers_as_its_schema_says(api_schema, api_data, path):
    """Signed in as an organisation admin: never a server error, and every answer (status,
    content type, headers, body) one the schema declares."""
    operation = api_schema[path]["GET"]

    @API_FUZZ
    @given(case=_cases(operation))
    def check(case):
        case.call_and_validate(cookies=api_data["cookies"])

    check()


def test_json_api_results_of_real_rounds_match_the_schema(api_schema, api_data):
    """Fuzzed ids rarely hit a real round: every kind of round, checked on purpose."""
    operation = api_schema["/api/rounds/{round_id}/result"]["GET"]
    # Two closed rounds, then an open one: no results until it closes.
    for round_id, status in zip(api_data["rounds"], (200, 200, 409), strict=True):
        case = operation.Case(path_parameters={"round_id": round_id})
        assert case.call_and_validate(cookies=api_data["cookies"]).status_code == status
    compare = api_schema["/api/compare"]["GET"]
    rows = compare.Case().call_and_validate(cookies=api_data["cookies"]).json()["partnerships"]
    assert {r["partnership"] for r in rows} == {"Full board", "One response", "No rounds yet"}
    assert compare.Case().call_and_validate().status_code == 401  # no session, as declared


def test_pages_never_answer_fuzzed_parameters_with_a_server_error(api_schema, api_data):
    """The HTML pages are in the schema too (their bodies are HTML, so only this check)."""
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        # (The PDF is laid out by WeasyPrint: tests/test_report_pdf.py covers it.)
        if operation.method != "get" or _is_json_api(operation.path) or \
                operation.path.endswith(".pdf"):
            continue

        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(case=_cases(operation))
        def check(case):
            case.call_and_validate(cookies=api_data["cookies"], checks=[not_a_server_error])

        check()
        checked += 1
    assert checked > 20


# --- The HTML forms, fuzzed from the same schema ----------------------------------------------

@pytest.fixture
def form_world(app, session, core):
    """Real ids for every form's path, and a signed-in client for each role that posts them."""
    organisation = make_organisation(session)
    partnership = make_partnership(session, organisation, name="Fuzzed forms")
    open_round = make_round(session, partnership, title="Open")
    respondent, invite_token = make_invite(session, open_round)
    from app.models import ActionItem
    from app.services.accounts import issue_password_link

    closed = make_round(session, partnership, status=RoundStatus.closed, title="Closed")
    item = ActionItem(round_id=closed.id, position=1, text="An action to edit")
    session.add(item)
    people = {"org_admin": make_user(session, organisation, role=Role.org_admin),
              "coordinator": make_user(session, organisation, coordinates=[partnership]),
              "site_admin": make_user(session, role=Role.site_admin)}
    spare = make_user(session, organisation)
    session.commit()
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    link_token = issue_password_link(session, user=spare, issued_by=people["org_admin"],
                                     settings=app.state.settings)
    ids = {"organisation_id": organisation.id, "partnership_id": partnership.id,
           "agency_id": agency.id, "round_id": open_round.id, "respondent_id": respondent.id,
           "action_id": item.id, "user_id": people["coordinator"].id,
           "account_id": spare.id, "section_id": core.sections[0].id}
    tokens = {"/r/": invite_token, "/set-password/": link_token}
    return {"ids": ids, "tokens": tokens, "closed_id": closed.id, "people": people}


def _poster(path: str) -> str | None:
    """Who posts this form: the role that may (so the fuzzing reaches past the access checks)."""
    if path.startswith(("/r/", "/sign-in", "/set-password/")):
        return None
    if path == "/organisations":
        return "site_admin"
    if path.startswith(("/partnerships/{partnership_id}/agencies", "/rounds/",
                        "/partnerships/{partnership_id}/rounds")):
        return "coordinator"
    return "org_admin"


def _signed_in(app, user) -> tuple[dict, str]:
    """A fresh browser session: its cookies and its CSRF token."""
    with FormClient(app, follow_redirects=False) as browser:
        if user is not None:
            sign_in(browser, user)
        token = browser.csrf_token()
        return dict(browser.cookies), token


def test_html_forms_never_answer_fuzzed_bodies_with_a_server_error(app, api_schema,
                                                                   form_world):
    """Every form route, posted by the role that uses it with real ids (or, half the time,
    fuzzed ones), a fuzzed body and the session's CSRF token: never a 5xx."""
    checked = set()
    operations = [r.ok() for r in api_schema.get_all_operations()]
    posts = [op for op in operations if op.method == "post"]
    # Forms that end what the others rely on go last, the coordinator's appointment last of all.
    posts.sort(key=lambda op: (op.path.endswith("/coordinators/{user_id}/remove"),
                               op.path.endswith(("/remove", "/close"))))
    for operation in posts:
        role = _poster(operation.path)
        cookies, token = _signed_in(app, form_world["people"].get(role))
        real = {name: str(value) for name, value in form_world["ids"].items()}
        for prefix, secret in form_world["tokens"].items():
            if operation.path.startswith(prefix):
                real["token"] = secret
        if operation.path.startswith("/rounds/{round_id}/plan/actions/"):
            real["round_id"] = str(form_world["closed_id"])

        _fuzz_form(operation, real, cookies=cookies, headers={"X-CSRFToken": token})
        checked.add(operation.path)
    assert len(checked) >= 30, sorted(checked)


def _fuzz_form(operation, real_ids: dict, **send) -> None:
    @settings(max_examples=12, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=_cases(operation), use_real_ids=st.booleans())
    def check(case, use_real_ids):
        if use_real_ids and case.path_parameters:
            case.path_parameters = {k: real_ids.get(k, v)
                                    for k, v in case.path_parameters.items()}
        case.call_and_validate(checks=[not_a_server_error], **send)

    check()


# --- The questionnaire loader ----------------------------------------------------------------

BASE_TEXT = (DATA / "local-partnership-check.yaml").read_text()
BASE = yaml.safe_load(BASE_TEXT)
BASE_ITEMS = [item for section in BASE["sections"] for item in section["items"]]


def _with_items(count: int) -> str:
    """The base file with `count` more items in its last section."""
    return BASE_TEXT + "".join(
        f"      - {{id: item_{n}, text: Statement {n}., scale: four_point, source: Local}}\n"
        for n in range(count))


def parses_or_explains(text: str) -> Questionnaire | None:
    """A questionnaire, or InvalidQuestionnaire listing readable errors; nothing else, and
    never an error message out of proportion to the file."""
    try:
        questionnaire = parse(text, "fuzz.yaml")
    except InvalidQuestionnaire as exc:
        assert exc.errors
        for error in exc.errors:
            assert isinstance(error.message, str) and error.message.strip()
            assert error.line is None or isinstance(error.line, int)
        assert len(str(exc)) <= 20 * len(text) + 10_000
        return None
    assert isinstance(questionnaire, Questionnaire)
    return questionnaire


def _paths(node, prefix=()):
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


PATHS = list(_paths(BASE))

scalars = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=30) | st.binary(max_size=10) | st.dates())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
                      max_leaves=12)


@st.composite
def mutated_definitions(draw) -> dict:
    """The small example definition with one to three things wrong at any level: a value of
    the wrong type, a field removed, an unknown field added."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        if not path:
            doc = draw(values)
            continue
        parent = doc
        for key in path[:-1]:
            if not isinstance(parent, dict | list) or key not in (
                    parent if isinstance(parent, dict) else range(len(parent))):
                break
            parent = parent[key]
        else:
            key = path[-1]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if isinstance(parent, dict):
                if action == "add":
                    parent[draw(st.text(max_size=8))] = draw(values)
                elif key in parent and action == "replace":
                    parent[key] = draw(values)
                elif key in parent:
                    del parent[key]
            elif isinstance(parent, list) and isinstance(key, int):
                if action == "add":
                    parent.insert(key, draw(values))
                elif key < len(parent):
                    if action == "replace":
                        parent[key] = draw(values)
                    else:
                        del parent[key]
    return doc


@settings(max_examples=150, deadline=None)
@given(mutated_definitions())
def test_loader_survives_wrong_types_at_every_level(doc):
    parses_or_explains(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_loader_survives_malformed_yaml(data):
    """The example file with text spliced in, cut out or both: broken YAML, wrong indents."""
    text = BASE_TEXT
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 40)))
        junk = data.draw(st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#%@`,? \n\t\\x0")),
                                 max_size=10))
        text = text[:start] + junk + text[end:]
    parses_or_explains(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
@example("\x00\x01\x02")
@example("\ufeffkey: x")
@example("\ud800")
@example("!!python/object/apply:os.system ['true']")
@example("key: !!binary aGVsbG8=")
def test_loader_survives_any_text(text):
    parses_or_explains(text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=500))
def test_loading_a_file_of_binary_junk_explains(tmp_path_factory, junk):
    path = tmp_path_factory.mktemp("junk") / "junk.yaml"
    path.write_bytes(junk)
    try:
        load_file(path)
    except InvalidQuestionnaire as exc:
        assert exc.errors
    else:
        pytest.fail("junk loaded as a questionnaire")


def _laughs(levels: int = 8) -> str:
    """Anchors and aliases that expand to 10**levels strings (the "billion laughs")."""
    text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for n in range(1, levels):
        text += f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]\n"
    return text


DEEP = 20_000
HOSTILE_FILES = {
    "deep flow lists": "[" * DEEP + "]" * DEEP,
    "deep flow mappings": "{a: " * DEEP + "1" + "}" * DEEP,
    "deep block lists": "".join("  " * n + "-\n" for n in range(2_000)),
    "deep mappings in a field": "key: x\nversion: 1\ntags: " + "{a: " * 3_000 + "1" + "}" * 3_000,
    "alias bomb in version": _laughs() + "version: *l7\n",
    "alias bomb in a scale name": _laughs() + "sections: [{id: s, title: t, items: "
                                              "[{id: i, text: t, source: s, scale: *l7}]}]\n",
    "alias bomb in the tag vocabulary": _laughs() + "tag_vocabulary: {theme: *l7}\n",
    "alias bomb in bands": _laughs() + "bands: {basis: *l7, levels: [{label: a, min: 1}]}\n",
    "an item id that is a list": BASE_TEXT.replace("id: data_dashboard", "id: [1, 2]"),
    "an item id that is a mapping": BASE_TEXT.replace("id: papers_late", "id: {a: 1}"),
    "just over the size limit": "title: " + "x" * MAX_FILE_BYTES,
    "a long title just under the limit": BASE_TEXT.replace(
        "title: Local partnership check", "title: " + "x" * (MAX_FILE_BYTES - 2_000)),
    "as many items as allowed": _with_items(MAX_ITEMS - len(BASE_ITEMS)),
    "one item too many": _with_items(MAX_ITEMS - len(BASE_ITEMS) + 1),
    "a million empty lines": "\n" * 1_000_000,
    "a python tag": "!!python/object/apply:os.system ['echo pwned']\n",
}


# Big, but nothing wrong with them.
VALID_FILES = {"a long title just under the limit", "as many items as allowed"}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_loader_survives_hostile_files(name):
    # No clock here: a wall-clock limit failed on a busy machine (speed goals live in bench/).
    # Inputs are bounded by MAX_FILE_BYTES, and a parser that hung would stop the suite.
    questionnaire = parses_or_explains(HOSTILE_FILES[name])
    assert (questionnaire is not None) == (name in VALID_FILES)


# --- The answer endpoints --------------------------------------------------------------------

ODD = ["", " ", "\x00", "\u202e", "\u200b", "\ufeff", "３", "٣", "1\n", " 2 ", "dk ", "DK", "-1",
       "1e0", "1.0", "Ⅳ", "🙂", "<script>", "'; DROP TABLE answer;--", "\r\n", "\t", "%00",
       "x" * 5000]


@pytest.fixture
def invited(session, client):
    """An invitation the client has started with, so its browser holds the link."""
    respondent, token = make_invite(session)
    start_response(client, token)
    return respondent.id, token


def _state(engine, respondent_id) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        return {a.item_id: (a.value, a.comment) for a in session.exec(
            select(Answer).where(Answer.respondent_id == respondent_id))}


def _expected(before: dict, fields: dict[str, str], questionnaire, on_page=None):
    """What the answer form promises: each known item's valid answer, and each comment of up
    to 4,000 characters (with an answer or on its own), is kept, whatever else was wrong on
    the page; nothing else changes. Returns the answers and whether all was valid."""
    after, comments, valid = dict(before), {}, True
    for name, raw in fields.items():
        if name.startswith("_") or name == "csrftoken":
            continue
        item_id = name.removeprefix("comment__")
        item = questionnaire.item(item_id)
        if item is None or (on_page is not None and item_id not in on_page):
            valid = False
        elif name.startswith("comment__"):
            if len(raw.strip()) > 4000 or "\x00" in raw:
                valid = False
            else:
                comments[item_id] = raw.strip() or None
        elif item.scale.option(raw.strip()) is None:
            valid = False
        else:
            after[item_id] = (raw.strip(), after.get(item_id, (None, None))[1])
    for item_id, comment in comments.items():
        after[item_id] = (after.get(item_id, (None, None))[0], comment)
    return after, valid


def answer_fields(questionnaire):
    items = list(questionnaire.items)
    names = (st.sampled_from([i.id for i in items])
             | st.sampled_from([f"comment__{i.id}" for i in items])
             | st.sampled_from(["", "_action", "comment__", "comment__nope", "csrftoken",
                                "st_strategic_priorities\x00", "ST_STRATEGIC_PRIORITIES",
                                "../../etc/passwd", "items[0]", "🙂"])
             | st.text(max_size=20))
    values = (st.sampled_from(["0", "1", "2", "3", "4", "5", "dk"])
              | st.sampled_from(ODD)
              | st.text(max_size=50)
              | st.text(min_size=3990, max_size=4010, alphabet="ab \n"))
    return st.lists(st.tuples(names, values), max_size=30)


def good_answers(items):
    """Answers that are all valid (with comments), so the fuzz also sees saves succeed."""
    def answer(item):
        return st.tuples(st.just(item.id), st.sampled_from([o.value for o in item.scale.options])
                         .map(lambda v: f" {v} ")) | st.tuples(
            st.just(f"comment__{item.id}"), st.text(max_size=100).filter(lambda t: "\x00" not in t))
    return st.lists(st.sampled_from(items).flatmap(answer), max_size=12)


def _post_form(client, url: str, pairs, htmx: bool):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if htmx:
        headers["HX-Request"] = "true"
    # Not a dict, so FormClient sends the CSRF token as a header and repeated names survive.
    return client.post(url, content=urlencode(pairs), headers=headers)


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_autosave_refuses_what_it_cannot_save_and_saves_the_rest(client, engine, invited, core,
                                                                 data):
    respondent_id, token = invited
    pairs = data.draw(answer_fields(core) | good_answers(core.items))
    htmx = data.draw(st.booleans())
    before = _state(engine, respondent_id)
    response = _post_form(client, f"/r/{token}/answer", pairs, htmx)
    expected, valid = _expected(before, dict(pairs), core)
    assert response.status_code == (200 if valid else 400), response.text[:500]
    assert _state(engine, respondent_id) == expected


@FUZZ
@given(data=st.data())
def test_section_form_refuses_what_it_cannot_save_and_saves_the_rest(client, engine, invited,
                                                                     core, data):
    respondent_id, token = invited
    questions = data.draw(st.sampled_from(pages(core)))  # a page of a part's questions
    pairs = data.draw(answer_fields(core) | good_answers(questions.items))
    before = _state(engine, respondent_id)
    response = _post_form(client, f"/r/{token}/{questions.path}", pairs, htmx=False)
    expected, valid = _expected(before, dict(pairs), core, {i.id for i in questions.items})
    assert response.status_code == (303 if valid else 400), response.text[:500]
    assert _state(engine, respondent_id) == expected


@FUZZ
@given(data=st.data())
def test_about_form_refuses_anything_but_an_agency_of_the_partnership(client, session, invited,
                                                                      data):
    respondent_id, token = invited
    respondent = session.get(Respondent, respondent_id)
    partnership_id = session.get(AssessmentRound, respondent.round_id).partnership_id
    if session.exec(select(Agency).where(Agency.partnership_id != partnership_id)).first() is None:
        make_partnership(session, name="Elsewhere")
        session.commit()
    agencies = {str(a.id): a.partnership_id for a in session.exec(select(Agency))}
    agency = data.draw(st.sampled_from(sorted(agencies)) | st.sampled_from(ODD)
                       | st.text(max_size=12) | st.integers().map(str))
    level = data.draw(st.sampled_from(["strategic", "operational", "Strategic", "strategic "])
                      | st.sampled_from(ODD) | st.text(max_size=12))
    before = (respondent.agency_id, respondent.level)
    response = _post_form(client, f"/r/{token}/about", [("agency", agency), ("level", level)],
                          htmx=False)
    valid = agencies.get(agency) == partnership_id and level in ("strategic", "operational")
    assert response.status_code == (303 if valid else 400), response.text[:500]
    session.expire_all()
    respondent = session.get(Respondent, respondent_id)
    after = (respondent.agency_id, respondent.level)
    assert after == ((int(agency), level) if valid else before)


def test_answer_forms_refuse_files_floods_and_other_bodies(client, engine, invited, core):
    """A file where an answer goes, thousands of fields, a JSON body: a clear 4xx (or a save
    of nothing), never a server error, and nothing saved."""
    respondent_id, token = invited
    item = core.items[0]
    urls = [f"/r/{token}/answer", f"/r/{token}/s/{item.section_id}", f"/r/{token}/about"]
    flood = urlencode([(f"field{n}", "1") for n in range(5_000)] + [(item.id, "1")])
    for url in urls:
        for name in (item.id, f"comment__{item.id}", "agency"):
            response = client.post(url, files={name: ("answer.txt", b"1")})
            # 422 where a form model reads the page's fixed fields (the about page).
            assert response.status_code in (400, 422), (url, name, response.status_code)
        response = client.post(url, content=flood, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 400, (url, response.status_code)
        response = client.post(url, json={item.id: "1"})  # read as an empty form
        assert response.status_code in (200, 303, 400), (url, response.status_code)
    assert _state(engine, respondent_id) == {}


# --- Ids and numbers no row can have ---------------------------------------------------------

# No row can have these: 0, past PostgreSQL's 32-bit ids, past what SQLite can bind.
HUGE_IDS = ["0", str(2**31), str(2**63), str(-10**30)]


def _id_routes(app):
    for context in iter_route_contexts(app.routes):
        if "_id}" in context.path:
            for method in sorted(context.methods or ()):
                if method != "HEAD":
                    yield method, context.path


def test_ids_out_of_range_are_not_found(app, session):
    """Every route with an id in its path, each id in turn one no row can have and the others
    real, for a coordinator and an organisation admin: 404 (or 403 for a role that may not),
    never a server error (SQLite cannot bind a number past 2**63, PostgreSQL refuses one past
    its column)."""
    organisation = make_organisation(session)
    partnership = make_partnership(session, organisation)
    round_ = make_round(session, partnership)
    respondent, token = make_invite(session, round_)
    coordinator = make_user(session, organisation, coordinates=[partnership])
    admin = make_user(session, organisation, role=Role.org_admin)
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    real = {"organisation_id": organisation.id, "partnership_id": partnership.id,
            "agency_id": agency.id, "round_id": round_.id, "respondent_id": respondent.id,
            "user_id": coordinator.id}
    routes = list(_id_routes(app))
    assert len(routes) > 20
    with FormClient(app, follow_redirects=False) as as_admin, \
            FormClient(app, follow_redirects=False) as as_coordinator, \
            FormClient(app, follow_redirects=False) as as_board_member:
        sign_in(as_admin, admin)
        sign_in(as_coordinator, coordinator)
        start_response(as_board_member, token)
        for method, path in routes:
            names = re.findall(r"\{(\w+_id)\}", path)
            for wrong in names:
                for huge in HUGE_IDS:
                    url = path.replace("{token}", token)
                    for name in names:
                        url = url.replace(f"{{{name}}}",
                                          huge if name == wrong else str(real.get(name, 1)))
                    # An invite link's pages are the board member's, who holds it.
                    clients = ((as_board_member,) if path.startswith("/r/")
                               else (as_coordinator, as_admin))
                    for client in clients:
                        status = client.request(method, url).status_code
                        assert status in (403, 404), (method, url, status)


ODD_NUMBERS = ["²", "٣", "９", "1²", str(10**30), "-1", "0x10", "1_0", " 2 ", "\x00", ""]


def test_numbers_in_forms_are_checked_not_trusted(client, session):
    """The forms that take a number or an id, with odd digits and huge numbers: the form again
    with its errors (400), or done if it was a number after all, never a server error."""
    organisation = make_organisation(session)
    partnership = make_partnership(session, organisation)
    admin = make_user(session, organisation, role=Role.org_admin)
    coordinator = make_user(session, organisation, coordinates=[partnership])
    sign_in(client, admin)
    for number in ODD_NUMBERS:
        response = client.post(f"/partnerships/{partnership.id}/coordinators",
                               data={"coordinator": number})
        assert response.status_code in (303, 400), (number, response.status_code)
    client.post("/sign-out")
    sign_in(client, coordinator)
    form = {"questionnaire": "multi-agency-working@1", "title": "Round", "closes-day": "1",
            "closes-month": "1", "closes-year": str(time.gmtime().tm_year + 1), "threshold": "3"}
    for number in ODD_NUMBERS:
        for field in ("questionnaire", "threshold", "closes-day", "closes-month", "closes-year"):
            value = f"multi-agency-working@{number}" if field == "questionnaire" else number
            response = client.post(f"/partnerships/{partnership.id}/rounds",
                                   data={**form, field: value})
            assert response.status_code in (303, 400), (number, field, response.status_code)


# --- Everything a user typed is shown as text ------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
SQL = "Robert'); DROP TABLE answer;--"
HOSTILE = f"{SCRIPT} {BREAKOUT} {SQL}"
SQL_EMAIL = "robert');--@example.org"


def hostile(what: str) -> str:
    """A name with all three in it, and a word saying what it names."""
    return f"{what} {HOSTILE}"


NAMES = {what: hostile(what) for what in (
    "Organisation", "Partnership", "Client group", "Description", "Agency", "Second agency",
    "Admin", "Coordinator", "New coordinator", "Respondent", "Round", "Closed round",
    "Comment")}


def assert_shows_as_text(html: str, expected: list[str], where: str) -> None:
    """Parsed as a browser would: no element or attribute the input could have made, only the
    app's own scripts, and each expected name whole, as text or as a form field's value."""
    page = BeautifulSoup(html, "html.parser")
    scripts = page.find_all("script")
    # Chart data travels in JSON blocks, never run; each must still be whole JSON.
    for block in (s for s in scripts if s.get("type") == "application/json"):
        json.loads(block.string)
    foreign = [s for s in scripts if s.get("type") != "application/json"
               and (not s.get("src", "").startswith("/static/") or s.get_text(strip=True))]
    assert not foreign, (where, foreign)
    assert not page.find_all("img", src="x"), where
    handlers = [(tag.name, name) for tag in page.find_all(True) for name in tag.attrs
                if name.lower().startswith("on")]
    assert not handlers, (where, handlers)
    text = " ".join(page.get_text(" ").split())
    values = {" ".join(str(v).split()) for tag in page.find_all(True)
              for v in tag.attrs.values() if isinstance(v, str)}
    values |= {" ".join(t.get_text().split()) for t in page.find_all("textarea")}
    for name in expected:
        name = " ".join(name.split())
        assert name in text or name in values, (where, name)


@pytest.fixture
def hostile_world(app, session, core, catalogue):
    """An organisation whose every name, title and comment is hostile, made through the forms
    where there is one (so the audit log records them too)."""
    organisation = make_organisation(session, name=NAMES["Organisation"])
    admin = make_user(session, organisation, role=Role.org_admin, name=NAMES["Admin"])
    coordinator = make_user(session, organisation, name=NAMES["Coordinator"],
                            email=SQL_EMAIL)
    site_admin = make_user(session, role=Role.site_admin)
    people = {"admin": admin, "coordinator": coordinator, "site_admin": site_admin,
              "board_member": None}
    with ExitStack() as stack:
        clients = {role: stack.enter_context(FormClient(app, follow_redirects=False))
                   for role in people}
        for role, user in people.items():
            if user is not None:
                sign_in(clients[role], user)
        yield _make_hostile_world(session, core, organisation, coordinator, clients)


def _make_hostile_world(session, core, organisation, coordinator, clients) -> dict:
    as_admin, as_coordinator = clients["admin"], clients["coordinator"]

    response = as_admin.post("/partnerships", data={
        "name": NAMES["Partnership"], "client_group": NAMES["Client group"],
        "description": NAMES["Description"]})
    assert response.status_code == 303, response.text[:300]
    partnership_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert as_admin.post(f"/partnerships/{partnership_id}/coordinators",
                         data={"coordinator": str(coordinator.id)}).status_code == 303
    new_account = as_admin.post(f"/organisations/{organisation.id}/users", data={
        "name": NAMES["New coordinator"], "email": "new-coordinator@example.org",
        "role": "coordinator"})
    assert new_account.status_code == 200, new_account.text[:300]
    for name in ("Agency", "Second agency"):
        assert as_coordinator.post(f"/partnerships/{partnership_id}/agencies", data={
            "agency_name": NAMES[name], "sector": "health"}).status_code == 303
    agencies = session.exec(select(Agency).where(
        Agency.partnership_id == partnership_id).order_by(Agency.id)).all()

    # A closed round with a full board, closed through its form (the summary, the audit).
    partnership = session.get(Partnership, partnership_id)
    closed = make_round(session, partnership, title=NAMES["Closed round"])
    for n in range(6):
        respondent, _ = make_invite(session, closed, name=f"{NAMES['Respondent']} {n}",
                                    agency_id=agencies[n % 2].id,
                                    level=("strategic", "operational")[n // 3])
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
        session.add_all(Answer(respondent_id=respondent.id, item_id=item.id,
                               value=item.scale.scored[(n + len(item.id)) % 2].value,
                               comment=NAMES["Comment"]) for item in core.items)
    session.commit()
    assert as_coordinator.post(f"/rounds/{closed.id}/close", data=CONFIRM).status_code == 303

    # An open round through its form, and a board member invited through its form.
    year = datetime.now(UTC).year + 1
    response = as_coordinator.post(f"/partnerships/{partnership_id}/rounds", data={
        "questionnaire": f"{core.key}@{core.version}", "title": NAMES["Round"],
        "closes-day": "1", "closes-month": "1", "closes-year": str(year), "threshold": "3"})
    assert response.status_code == 303, response.text[:500]
    round_id = int(response.headers["location"].rsplit("/", 1)[1])
    links = as_coordinator.post(f"/rounds/{round_id}/invites", data={
        "name": NAMES["Respondent"], "email": "board@example.org",
        "agency": str(agencies[0].id), "level": "strategic"})
    assert links.status_code == 200, links.text[:500]
    token = re.search(r"/r/([\w-]{20,})", links.text).group(1)
    board_member = clients["board_member"]
    start_response(board_member, token)
    assert board_member.post(f"/r/{token}/about", data={
        "agency": str(agencies[1].id), "level": "operational"}).status_code == 303
    item = core.sections[0].items[0]
    assert board_member.post(f"/r/{token}/answer", headers={"HX-Request": "true"}, data={
        item.id: item.scale.scored[0].value,
        f"comment__{item.id}": NAMES["Comment"]}).status_code == 200
    return {"clients": clients, "partnership_id": partnership_id, "round_id": round_id,
            "closed_id": closed.id, "organisation_id": organisation.id, "token": token,
            "agency_id": agencies[0].id, "section_id": item.section_id,
            "new_account": new_account.text, "links": links.text}


def test_pages_show_hostile_names_as_text(hostile_world):
    world = hostile_world
    p, r, closed, o = (world["partnership_id"], world["round_id"], world["closed_id"],
                       world["organisation_id"])
    partnership = [NAMES["Partnership"]]
    agencies = [NAMES["Agency"], NAMES["Second agency"]]
    pages = {
        "admin": {
            "/dashboard": partnership + [NAMES["Round"]],
            f"/partnerships/{p}": partnership + [NAMES["Client group"], NAMES["Description"],
                                                 NAMES["Coordinator"], NAMES["Closed round"]]
                                  + agencies,
            f"/partnerships/{p}/edit": partnership + [NAMES["Description"]],
            f"/rounds/{r}": [NAMES["Round"], NAMES["Respondent"]] + agencies,
            f"/rounds/{closed}/results": partnership + [NAMES["Closed round"]] + agencies,
            "/compare": partnership + [NAMES["Closed round"]],
            f"/compare?q={quote(SCRIPT)}": [SCRIPT],
            f"/organisations/{o}": [NAMES["Admin"], NAMES["Coordinator"],
                                    NAMES["New coordinator"], SQL_EMAIL],
            "/audit": partnership + [NAMES["Round"], NAMES["Closed round"]] + agencies,
        },
        "coordinator": {
            f"/rounds/{r}": [NAMES["Round"], NAMES["Respondent"]],
            f"/rounds/{r}/reminders": [NAMES["Round"], NAMES["Respondent"]],
            f"/rounds/{r}/close": [NAMES["Round"]],
            f"/partnerships/{p}/agencies/{world['agency_id']}/edit": [NAMES["Agency"]],
            f"/partnerships/{p}/rounds/new": partnership,
        },
        "site_admin": {
            "/dashboard": [NAMES["Organisation"]],
            f"/organisations/{o}": [NAMES["Organisation"], NAMES["Admin"]],
            "/audit": partnership + [NAMES["Round"]],
        },
        "board_member": {
            f"/r/{world['token']}/about": agencies,
            f"/r/{world['token']}/s/{world['section_id']}": [NAMES["Comment"]],
            f"/r/{world['token']}/review": [],
            f"/sign-in?next={quote(BREAKOUT)}": [],
            f"/r/{quote(SCRIPT)}": [],
            f"/no-such-page/{quote(BREAKOUT)}": [],
        },
    }
    checked = 0
    for role, urls in pages.items():
        client = world["clients"][role]
        for url, expected in urls.items():
            response = client.get(url)
            assert response.status_code in (200, 404), (role, url, response.status_code)
            assert_shows_as_text(response.text, expected, f"{role} {url}")
            checked += 1
    # Pages that only answer a form: the new account's password link, the invite links.
    assert_shows_as_text(world["new_account"], [NAMES["New coordinator"]], "password link")
    assert_shows_as_text(world["links"], [NAMES["Respondent"], NAMES["Agency"]], "invite links")
    # And what htmx swaps in: the comparison table, the response rate.
    admin = world["clients"]["admin"]
    for url, expected in ((f"/compare?q={quote(SQL)}", []), (f"/rounds/{r}", [])):
        fragment = admin.get(url, headers={"HX-Request": "true"})
        assert_shows_as_text(fragment.text, expected, f"fragment {url}")
    assert checked == 23


def test_the_report_shows_hostile_names_as_text(hostile_world, session, catalogue):
    # The HTML WeasyPrint lays out; the PDF of awkward names is tests/test_report_pdf.py's.
    from app.reports.pdf import render_html
    from app.services.report import report_context

    round_ = session.get(AssessmentRound, hostile_world["closed_id"])
    context = report_context(session, round_, catalogue)
    assert_shows_as_text(render_html(context), [NAMES["Partnership"], NAMES["Closed round"],
                                                NAMES["Agency"]], "report HTML")


# --- Security headers on every kind of answer ------------------------------------------------

def assert_security_headers(response, where: str) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"], (where, csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert directives.get("object-src") == ["'none'"], (where, csp)
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "same-origin", where
    assert response.headers.get("x-frame-options") == "DENY", where


def test_security_headers_on_pages_errors_fragments_downloads_and_json(app, api_data, session,
                                                                       monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError

    _, token = make_invite(session)
    closed = api_data["rounds"][0]
    signed_in = FormClient(app, follow_redirects=False, cookies=api_data["cookies"])
    anonymous = FormClient(app, follow_redirects=False)
    no_token = TestClient(app, follow_redirects=False)
    htmx = {"HX-Request": "true"}
    requests = {
        "sign-in page": (anonymous.get, "/sign-in", {}, 200),
        "invite page": (anonymous.get, f"/r/{token}/about", {}, 200),
        "dashboard": (signed_in.get, "/dashboard", {}, 200),
        "results page": (signed_in.get, f"/rounds/{closed}/results", {}, 200),
        "audit log": (signed_in.get, "/audit", {}, 200),
        "htmx fragment": (signed_in.get, "/compare?sort=overall", {"headers": htmx}, 200),
        "autosave fragment": (anonymous.post, f"/r/{token}/answer",
                              {"headers": htmx, "data": {"nope": "1"}}, 400),
        "redirect to sign in": (anonymous.get, "/dashboard", {}, 303),
        "not found": (anonymous.get, "/no-such-page", {}, 404),
        "unknown invite": (anonymous.get, "/r/not-a-token", {}, 404),
        "unreadable parameter": (signed_in.get, "/audit?page=x", {}, 422),
        "wrong method": (anonymous.put, "/", {}, 405),
        "not allowed": (signed_in.get, "/organisations/new", {}, 403),
        "no CSRF token": (no_token.post, "/sign-in", {"data": {"email": "a@b.c"}}, 403),
        "no CSRF token, htmx": (no_token.post, f"/r/{token}/answer", {"headers": htmx}, 403),
        "too large": (anonymous.post, f"/r/{token}/answer",
                      {"content": b"x=" + b"y" * 6_000_000,
                       "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 413),
        "CSV download": (signed_in.get, "/compare/partnerships.csv", {}, 200),
        "anonymised answers": (signed_in.get, "/compare/answers.csv", {}, 200),
        "spreadsheet": (signed_in.get, "/compare/partnerships.xlsx", {}, 200),
        "stylesheet": (anonymous.get, "/static/maps.css", {}, 200),
        "script": (anonymous.get, "/static/maps.js", {}, 200),
        "health check": (anonymous.get, "/healthz", {}, 200),
        "JSON API": (signed_in.get, "/api/compare", {}, 200),
        "JSON API, signed out": (anonymous.get, "/api/compare", {}, 401),
        "JSON API, bad id": (signed_in.get, "/api/rounds/x/result", {}, 422),
        "API schema": (anonymous.get, "/api/openapi.json", {}, 200),
    }
    with signed_in, anonymous, no_token:
        assert_security_headers(anonymous.get(f"/r/{token}/welcome"), "welcome page")
        start_response(anonymous, token)
        for where, (send, url, kwargs, status) in requests.items():
            response = send(url, **kwargs)
            assert response.status_code == status, (where, response.status_code)
            assert_security_headers(response, where)
        assert signed_in.get("/compare/partnerships.csv").headers["content-type"].startswith(
            "text/csv")

        def down(*args, **kwargs):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        monkeypatch.setattr(app.state.engine, "connect", down)
        for where, url in (("database down, page", "/dashboard"),
                           ("database down, JSON", "/api/compare")):
            response = signed_in.get(url)
            assert response.status_code == 503, where
            assert_security_headers(response, where)
