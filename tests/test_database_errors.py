"""Errors stay errors (issue 22, point 5), on SQLite and PostgreSQL: the inputs that gave a 500
get the form's own message as a 400; a clash or a value the database refuses is a 400 page,
never "unavailable"; and the page for a database that went away reads no row."""

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from app.models import Agency, Organisation, Partnership, Role, UploadedQuestionnaire
from tests.conftest import DATA, FormClient, sign_in
from tests.factories import make_organisation, make_partnership, make_user
from tests.test_hostile_input import assert_security_headers

TAKEN = "Équipe Santé Mentale"
# The same name as a person might type it again: exactly (SQLite's lower() folds only ASCII,
# so the old check missed it and the insert failed), in other cases, and with its accents
# typed as a letter and a combining mark.
SAME_NAMES = [TAKEN, "ÉQUIPE SANTÉ MENTALE", "équipe santé mentale",
              "E\u0301quipe  Sante\u0301 Mentale"]


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def error_summary(response) -> dict[str, str]:
    """The error summary's links: field id -> message."""
    return {a["href"].lstrip("#"): a.get_text(strip=True)
            for a in page(response).select(".govuk-error-summary a")}


@pytest.fixture
def world(session, inbox):
    # A mail server: a site administrator adds an organisation only where its first
    # administrator's password link can be emailed (docs/privacy.md, rule 10).
    org = make_organisation(session, name=f"{TAKEN} Council")
    partnership = make_partnership(session, org, name=TAKEN,
                                   agencies=((TAKEN, "health"), ("Police", "police")))
    make_partnership(session, org, name="Another partnership")
    people = {"coordinator": make_user(session, org, coordinates=[partnership]),
              "org_admin": make_user(session, org, role=Role.org_admin),
              "site_admin": make_user(session, role=Role.site_admin)}
    session.commit()
    police = session.exec(select(Agency).where(Agency.name == "Police")).one()
    other = session.exec(select(Partnership).where(
        Partnership.name == "Another partnership")).one()
    return {"org": org, "partnership": partnership, "police": police, "other": other,
            **people}


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


# Each form where a name must be new: who posts it, where, the field, and its message.
def _forms(world, name):
    p = world["partnership"].id
    return [
        ("coordinator", f"/partnerships/{p}/agencies", {"agency_name": name, "sector": "health"},
         "agency_name", "This partnership already has an agency with this name", Agency),
        ("coordinator", f"/partnerships/{p}/agencies/{world['police'].id}/edit",
         {"agency_name": name, "sector": "police"}, "agency_name",
         "This partnership already has an agency with this name", Agency),
        ("org_admin", "/partnerships", {"name": name}, "name",
         "Your organisation already has a partnership with this name", Partnership),
        ("org_admin", f"/partnerships/{world['other'].id}/edit", {"name": name}, "name",
         "Your organisation already has a partnership with this name", Partnership),
        ("site_admin", "/organisations", {"org_name": f"{name} council", "name": "Ann Other",
                                          "email": "ann.other@example.org"},
         "org_name", "There is already an organisation with this name", Organisation),
    ]


@pytest.mark.parametrize("name", SAME_NAMES)
def test_a_name_already_taken_is_the_forms_own_error(app, session, world, name):
    for role, url, data, field, message, model in _forms(world, name):
        before = _count(session, model)
        with FormClient(app, follow_redirects=False) as client:
            sign_in(client, world[role])
            response = client.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code, response.text[:300])
        assert error_summary(response).get(field) == message, (url, error_summary(response))
        assert _count(session, model) == before, url
    session.expire_all()
    assert world["police"].name == "Police" and world["other"].name == "Another partnership"


def test_another_name_is_still_saved(app, session, world):
    """The check refuses the same name only: a name that merely shares words is new."""
    for n in range(len(_forms(world, ""))):
        role, url, data, *_ = _forms(world, f"Équipe Santé {n}")[n]
        with FormClient(app, follow_redirects=False) as client:
            sign_in(client, world[role])
            response = client.post(url, data=data)
        assert response.status_code in (200, 303), (url, response.text[:300])


def test_a_duplicate_the_check_missed_still_gets_the_forms_message(app, session, world,
                                                                   monkeypatch):
    """Two people adding the same agency at the same moment both pass the check; the
    database refuses the second, and its person sees the form's message, not a 500."""
    monkeypatch.setattr("app.services.partnerships.name_taken", lambda names, name: False)
    before = _count(session, Agency)
    p = world["partnership"].id
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["coordinator"])
        added = client.post(f"/partnerships/{p}/agencies",
                            data={"agency_name": TAKEN, "sector": "health"})
        renamed = client.post(f"/partnerships/{p}/agencies/{world['police'].id}/edit",
                              data={"agency_name": TAKEN, "sector": "police"})
    for response in (added, renamed):
        assert response.status_code == 400, response.text[:300]
        assert error_summary(response) == {
            "agency_name": "This partnership already has an agency with this name"}
    assert _count(session, Agency) == before


def _upload(client, version: str):
    text = (DATA / "local-partnership-check.yaml").read_text()
    text = text.replace("version: 1\n", f"version: {version}\n", 1)
    return client.post("/questionnaires", files={
        "definition": ("local.yaml", text.encode(), "application/yaml")})


@pytest.mark.parametrize("version", ["18446744073709551616", "2147483648"])
def test_a_version_past_what_the_database_stores_is_refused_with_its_line(app, session, world,
                                                                          version):
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["org_admin"])
        response = _upload(client, version)
    assert response.status_code == 400, response.text[:300]
    problems = page(response).get_text(" ")
    assert f"'version' must be at most 2147483647, not {version}" in " ".join(problems.split())
    assert _count(session, UploadedQuestionnaire) == 0


def test_the_largest_version_the_database_stores_is_installed(app, session, world):
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["org_admin"])
        response = _upload(client, "2147483647")
        assert response.status_code == 303, response.text[:300]
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["coordinator"])
        # And it can be chosen for a round (the choice once stopped at 10,000).
        choice = client.get(f"/partnerships/{world['partnership'].id}/rounds/new")
    assert "local-partnership-check@2147483647" in choice.text
    assert _count(session, UploadedQuestionnaire) == 1


# --- The last line: what the forms did not check -----------------------------------------------

def _failing_create(insert):
    """A partnership form whose service meets the database's refusal of `insert(session)`."""
    def create(session, **_):
        insert(session)
        session.flush()
    return create


@pytest.mark.parametrize("insert, message", [
    (lambda session: session.add(Organisation(name=f"{TAKEN} Council")),
     "it clashes with something saved just before"),
    (lambda session: session.add(UploadedQuestionnaire(
        key="k", version=2**64, title="t", sha256="0" * 64)),
     "a number or a length that MAPS cannot keep"),
], ids=["clash", "number"])
def test_a_refusal_no_form_foresaw_is_a_400_page(app, session, world, monkeypatch, insert,
                                                  message):
    monkeypatch.setattr("app.web.partnerships.service.create_partnership",
                        _failing_create(insert))
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        sign_in(client, world["org_admin"])
        response = client.post("/partnerships", data={"name": "New"})
    assert response.status_code == 400, response.text[:300]
    assert_security_headers(response, "refused")
    html = page(response)
    assert html.select_one("h1").get_text(strip=True) == "What you sent could not be saved"
    assert message in html.get_text(" ")
    # Still signed in: the layout names who, from what it copied before the failure.
    assert world["org_admin"].email in html.select_one("header").get_text(" ")


def test_the_unavailable_page_reads_no_row(app, session, world, monkeypatch):
    """The database goes away in the middle of a request, after the request saved something
    (a commit leaves its rows to be read again) and its connection dropped (the rows
    detached). The page says so, as a 503, and still shows who is signed in, from what it
    copied: reading the user's row again would fail."""
    def gone(session, *args, **kwargs):
        session.commit()
        session.close()
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr("app.web.partnerships.service.agencies_of", gone)
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        sign_in(client, world["coordinator"])
        response = client.get(f"/partnerships/{world['partnership'].id}")
    assert response.status_code == 503, response.text[:300]
    html = page(response)
    assert html.select_one("h1").get_text(strip=True) == "Sorry, the service is unavailable"
    assert world["coordinator"].email in html.select_one("header").get_text(" ")


def test_an_overflow_of_maps_own_is_not_blamed_on_what_was_sent(app, world, monkeypatch):
    def overflow(session, **_):
        raise OverflowError("math range error")

    monkeypatch.setattr("app.web.partnerships.service.create_partnership", overflow)
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        sign_in(client, world["org_admin"])
        response = client.post("/partnerships", data={"name": "New"})
    assert response.status_code == 500
    assert "Sorry, there is a problem with MAPS" in page(response).get_text(" ")
