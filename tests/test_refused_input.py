"""Bounded input (issue 22, point 7): names and labels refuse Unicode's non-characters, email
addresses refuse hidden characters, passwords refuse the words an attacker tries first here,
and a definition may have at most MAX_ITEMS items. (Long comments in the PDF:
tests/test_report_pdf.py.)"""

import re

import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from app.characters import first_refused
from app.models import Respondent, Role, User
from app.questionnaires.format import MAX_ITEMS
from app.services.accounts import DEMO_PASSWORD, issue_password_link
from tests.conftest import DATA, FormClient, sign_in
from tests.factories import make_organisation, make_partnership, make_round, make_user

ROOT = DATA.parent.parent
# U+FFFE and U+FFFF broke the XLSX export; the rest are the other kinds of non-character.
NON_CHARACTERS = ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff"]
# Each makes one address look like another: a bell, a right-to-left override, the isolate
# marks, zero-width space, joiner and non-joiner, a byte-order mark, a soft hyphen.
HIDDEN_IN_EMAILS = ["\x07", "\u202e", "\u2066", "\u200b", "\u200d", "\u200c", "\ufeff",
                    "\u00ad"]


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def summary(response) -> str:
    return " ".join(page(response).select_one(".govuk-error-summary").get_text(" ").split())


@pytest.fixture
def world(session, inbox):
    # A mail server: a site administrator adds an organisation only where its first
    # administrator's password link can be emailed (docs/privacy.md, rule 10).
    org = make_organisation(session, name="Northshire County Council")
    partnership = make_partnership(session, org, name="Northshire Early Help")
    round_ = make_round(session, partnership)
    session.commit()
    return {"org": org, "partnership": partnership, "round": round_,
            "coordinator": make_user(session, org, coordinates=[partnership]),
            "org_admin": make_user(session, org, role=Role.org_admin),
            "site_admin": make_user(session, role=Role.site_admin)}


def test_every_non_character_is_refused_and_every_letter_kept():
    for character in NON_CHARACTERS:
        assert first_refused(f"Team{character}name") == character
    for kept in ("Équipe", "Ynys Môn", "Łódź", "北京", "Zoë-Ann O'Neil", "emoji 🙂"):
        assert first_refused(kept) is None, kept
    assert first_refused("two\nlines", multiline=True) is None
    assert first_refused("two\nlines") == "\n"


@pytest.mark.parametrize("character", NON_CHARACTERS)
def test_names_refuse_non_characters(app, session, world, character):
    name = f"Bad{character}name"
    p, r = world["partnership"].id, world["round"].id
    forms = [
        ("org_admin", "/partnerships", {"name": name}, "name"),
        ("org_admin", f"/partnerships/{p}/edit", {"name": name}, "name"),
        ("coordinator", f"/partnerships/{p}/agencies", {"agency_name": name,
                                                        "sector": "health"}, "agency_name"),
        ("org_admin", f"/organisations/{world['org'].id}/users",
         {"name": name, "email": "new@example.org", "role": "coordinator"}, "name"),
        ("site_admin", "/organisations", {"org_name": name, "name": "Ann Other",
                                          "email": "ann@example.org"}, "org_name"),
        ("coordinator", f"/rounds/{r}/invites", {"name": name, "email": "b@example.org",
                                                 "agency": "", "level": ""}, None),
    ]
    for role, url, data, field in forms:
        with FormClient(app, follow_redirects=False) as client:
            sign_in(client, world[role])
            response = client.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code)
        words = summary(response)
        assert f"U+{ord(character):04X}" in words and "not a character" in words, (url, words)
        if field:
            assert page(response).select_one(f'.govuk-error-summary a[href="#{field}"]'), url


def test_a_definition_refuses_a_non_character_in_a_label(app, world):
    text = (DATA / "local-partnership-check.yaml").read_text().replace(
        "{value: 1, label: Not at all}", '{value: 1, label: "Not at all\\uFFFF"}')
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["org_admin"])
        response = client.post("/questionnaires", files={
            "definition": ("local.yaml", text.encode(), "application/yaml")})
    assert response.status_code == 400
    words = " ".join(page(response).get_text(" ").split())
    assert "scale 'four_point': 'label' contains a code point that is not a character " \
           "(U+FFFF), which MAPS cannot keep" in words


# --- Email addresses -------------------------------------------------------------------------

@pytest.mark.parametrize("character", HIDDEN_IN_EMAILS)
def test_email_addresses_refuse_hidden_characters(app, session, world, character):
    email = f"coordinator{character}@northshire.example"
    r = world["round"].id
    agency = world["partnership"].id  # any: the email is refused whatever the agency
    with FormClient(app, follow_redirects=False) as admin, \
            FormClient(app, follow_redirects=False) as coordinator:
        sign_in(admin, world["org_admin"])
        sign_in(coordinator, world["coordinator"])
        account = admin.post(f"/organisations/{world['org'].id}/users", data={
            "name": "Cora Ordinator", "email": email, "role": "coordinator"})
        invite = coordinator.post(f"/rounds/{r}/invites", data={
            "name": "Bo Ardmember", "email": email, "agency": str(agency), "level": ""})
        csv = coordinator.post(f"/rounds/{r}/invites/upload", files={"file": (
            "board.csv", f"name,email,agency,level\nBo,{email},Testshire Health,\n".encode(),
            "text/csv")})
    for response in (account, invite, csv):
        assert response.status_code == 400, response.text[:300]
        words = " ".join(page(response).select_one("main").get_text(" ").split())
        assert f"The email address contains a hidden control character " \
               f"(U+{ord(character):04X})" in words, words
    session.expire_all()
    assert session.exec(select(func.count()).select_from(User).where(
        User.email.contains("northshire.example"))).one() == 0
    assert session.exec(select(func.count()).select_from(Respondent)).one() == 0


def test_an_address_with_letters_beyond_ascii_is_still_an_address(app, session, world):
    with FormClient(app, follow_redirects=False) as admin:
        sign_in(admin, world["org_admin"])
        response = admin.post(f"/organisations/{world['org'].id}/users", data={
            "name": "Zoë Ñúñez", "email": "zoë.ñúñez@northshire.example",
            "role": "coordinator"})
    assert response.status_code == 200, response.text[:300]


# --- Passwords -------------------------------------------------------------------------------

@pytest.fixture
def wendy_link(app, session, world):
    wendy = make_user(session, world["org"], name="Wendy Weak",
                      email="wendy.weak@northshire.example")
    return "/set-password/" + issue_password_link(session, user=wendy, issued_by=None,
                                                  settings=app.state.settings)


@pytest.mark.parametrize("password, built_on", [
    ("WendyWeak2026", "your name"),
    ("northshire2026", "your email address"),  # the domain, and the organisation's name
    ("Northshire County Council 2026", "your organisation's name"),
    ("Self-assessment 2026", "the site's name"),
    (DEMO_PASSWORD, "the demo's password"),
    (DEMO_PASSWORD.upper(), "the demo's password"),
])
def test_passwords_built_on_what_an_attacker_tries_first_are_refused(app, wendy_link,
                                                                     password, built_on):
    with FormClient(app, follow_redirects=False) as person:
        response = person.post(wendy_link, data={"password": password, "confirm": password})
        assert response.status_code == 400, password
        assert f"It is built on {built_on}" in summary(response), summary(response)
        assert person.get(wendy_link).status_code == 200  # the link still works


def test_a_strong_password_is_still_accepted(app, wendy_link):
    password = "purple tiger walks slowly"
    with FormClient(app, follow_redirects=False) as person:
        response = person.post(wendy_link, data={"password": password, "confirm": password})
    assert response.status_code == 303


def test_the_readme_publishes_the_demo_password_the_forms_refuse():
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"password `{re.escape(DEMO_PASSWORD)}` for all", readme)


# --- How big a definition may be -------------------------------------------------------------

def _definition_with(items: int) -> str:
    head = (DATA / "local-partnership-check.yaml").read_text().split("sections:")[0]
    return head + "sections:\n  - id: all\n    title: Everything\n    items:\n" + "".join(
        f"      - {{id: q{n}, text: Statement {n}., scale: four_point, source: Local}}\n"
        for n in range(items))


@pytest.mark.parametrize("items, status", [(MAX_ITEMS, 303), (MAX_ITEMS + 1, 400)])
def test_a_definition_may_have_at_most_max_items(app, world, items, status):
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["org_admin"])
        response = client.post("/questionnaires", files={"definition": (
            "big.yaml", _definition_with(items).encode(), "application/yaml")})
    assert response.status_code == status, response.text[:300]
    if status == 400:
        assert f"the definition has {items} questions; a definition may have at most " \
               f"{MAX_ITEMS}" in " ".join(page(response).get_text(" ").split())
