"""Who can reach answers they should not (issue 22, findings D and E).

- D: the coordinator holds every link, so they could invite people at addresses of their own
  and answer as them, turning an agency's one member into a group that is shown. Every board
  member and the report see how many were invited from each agency and level, and a claim from
  a browser that already started another invitation of the round, or that is signed in as an
  account of the organisation, is flagged: on the round page, in the audit log, to the
  organisation's administrators by email.
- E: a site administrator who could see a set-password link could sign in as an organisation's
  administrator. Their links go by email only, or are refused; adding an administrator to an
  organisation that has some tells them, and is in the audit log."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Agency, AuditEvent, Organisation, PasswordLink, Role, Sector, User
from tests.conftest import CONFIRM, FormClient, sign_in, start_response
from tests.factories import make_invite, make_organisation, make_partnership, make_round, make_user


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def world(session):
    org = make_organisation(session, name="Northvale Council")
    partnership = make_partnership(session, org, agencies=(
        ("Northvale Health", Sector.health), ("Northvale Police", Sector.police)))
    coordinator = make_user(session, org, coordinates=[partnership])
    admins = [make_user(session, org, role=Role.org_admin) for _ in range(2)]
    round_ = make_round(session, partnership)
    agencies = {a.name: a.id for a in session.exec(
        select(Agency).where(Agency.partnership_id == partnership.id))}
    session.commit()
    return {"org": org, "partnership": partnership, "coordinator": coordinator,
            "admins": admins, "round": round_, "agencies": agencies}


def invite(session, world, agency: str, level: str | None, email: str):
    return make_invite(session, world["round"], agency_id=world["agencies"][agency],
                       level=level, email=email, name=email.split("@")[0])


# --- D: how many were invited, shown to the board ---------------------------------------------

def invited_rows(html) -> dict[str, str]:
    return {tr.th.get_text(strip=True) if tr.th else tr.td.get_text(strip=True):
            tr.select("td")[-1].get_text(strip=True)
            for tr in html.select("#invited tbody tr")}


def test_every_board_member_sees_how_many_were_invited_from_each_agency(app, session, world):
    _, token = invite(session, world, "Northvale Health", "strategic", "h1@example.org")
    invite(session, world, "Northvale Police", "operational", "p1@example.org")
    invite(session, world, "Northvale Police", "operational", "p2@example.org")
    invite(session, world, "Northvale Police", None, "p3@example.org")
    withdrawn, _ = invite(session, world, "Northvale Police", "strategic", "p4@example.org")
    withdrawn.revoked_at = datetime.now(UTC)
    session.add(withdrawn)
    session.commit()
    with FormClient(app, follow_redirects=False) as board_member:
        welcome = page(board_member.get(f"/r/{token}/welcome"))
    assert invited_rows(welcome) == {
        "Northvale Health": "1 (1 strategic)",
        "Northvale Police": "3 (2 operational, 1 level not given yet)"}


def test_the_report_shows_who_was_invited_when_the_round_closed(app, session, world, core):
    for n in range(3):
        invite(session, world, "Northvale Police", "operational", f"p{n}@example.org")
    invite(session, world, "Northvale Health", "strategic", "h@example.org")
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, world["coordinator"])
        assert client.post(f"/rounds/{world['round'].id}/close", data=CONFIRM).status_code == 303
        report = page(client.get(f"/rounds/{world['round'].id}/results"))
    assert invited_rows(report) == {"Northvale Health": "1 (1 strategic)",
                                    "Northvale Police": "3 (3 operational)"}


# --- D: flagged claims ------------------------------------------------------------------------

def flags(session, world) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(
        AuditEvent.round_id == world["round"].id,
        AuditEvent.action.in_(("claim_same_browser", "claim_signed_in")))).all()


def round_page_flags(client, world) -> list[str]:
    html = page(client.get(f"/rounds/{world['round'].id}"))
    return [li.get_text(" ", strip=True) for li in html.select("#flags ~ ul li")]


def test_one_browser_starting_a_second_invitation_is_flagged(app, session, world, inbox):
    _, first = invite(session, world, "Northvale Police", "operational", "real@example.org")
    _, second = invite(session, world, "Northvale Police", "operational", "made-up@example.org")
    other_round = make_round(session, world["partnership"], title="Another round")
    _, elsewhere = make_invite(session, other_round, email="real@example.org",
                               agency_id=world["agencies"]["Northvale Police"], level="strategic")
    with FormClient(app, follow_redirects=False) as browser:
        start_response(browser, first)
        start_response(browser, elsewhere)  # another round's invitation: nothing to flag
        assert flags(session, world) == []
        start_response(browser, second)  # the claim stands
        assert browser.get(f"/r/{second}").status_code == 303
    [flag] = flags(session, world)
    assert flag.action == "claim_same_browser" and flag.user_id is None
    assert flag.detail == {"email": "made-up@example.org", "also": ["real@example.org"]}
    with FormClient(app, follow_redirects=False) as coordinator:
        sign_in(coordinator, world["coordinator"])
        [shown] = round_page_flags(coordinator, world)
    assert "made-up@example.org, in a browser that had already started the invitation of " \
           "real@example.org" in shown
    for admin in world["admins"]:
        [message] = inbox.to(admin.email)
        assert "made-up@example.org" in message.get_content()
    assert inbox.to(world["coordinator"].email) == []


def test_a_claim_signed_in_as_the_coordinator_is_flagged_but_not_their_own(app, session, world,
                                                                          inbox):
    coordinator = world["coordinator"]
    _, made_up = invite(session, world, "Northvale Police", "operational", "alias@example.org")
    _, own = invite(session, world, "Northvale Health", "strategic", coordinator.email)
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, coordinator)
        start_response(browser, own)  # a coordinator who sits on the board answers as ever
        assert flags(session, world) == []
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, coordinator)
        start_response(browser, made_up)
        [flag] = flags(session, world)
        assert (flag.action, flag.user_id) == ("claim_signed_in", coordinator.id)
        [shown] = round_page_flags(browser, world)
    assert f"alias@example.org, in a browser signed in as {coordinator.email}" in shown
    assert all(len(inbox.to(a.email)) == 1 for a in world["admins"])


def test_an_account_of_another_organisation_is_not_named_to_this_one(app, session, world):
    stranger = make_user(session, make_organisation(session), role=Role.org_admin)
    _, token = invite(session, world, "Northvale Police", "operational", "p@example.org")
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, stranger)
        start_response(browser, token)
    assert flags(session, world) == []


# --- E: the site administrator's reach --------------------------------------------------------

@pytest.fixture
def site_admin(app, session):
    user = make_user(session, role=Role.site_admin)
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, user)
        yield client, user


def test_without_mail_a_site_admin_is_refused_any_password_link(session, world, site_admin):
    client, _ = site_admin
    org = world["org"]
    links_before = len(session.exec(select(PasswordLink)).all())
    people = page(client.get(f"/organisations/{org.id}"))
    assert "maps user password-link" in people.select_one("#needs-mail").get_text()
    assert people.select("form[action$='/users']") == []
    assert people.select("form[action$='/password-link']") == []
    refused = client.post(f"/organisations/{org.id}/users", data={
        "name": "Sly Admin", "email": "sly@example.org"})
    assert refused.status_code == 400
    assert [a["href"] for a in page(refused).select(".govuk-error-summary a")] == [
        "#needs-mail"]
    assert client.post(f"/users/{world['admins'][0].id}/password-link").status_code == 409
    new = client.post("/organisations", data={
        "org_name": "Sly Council", "name": "Sly Admin", "email": "sly@example.org"})
    assert new.status_code == 400 and "maps org create" in new.text
    session.expire_all()
    assert session.exec(select(User).where(User.email == "sly@example.org")).first() is None
    assert session.exec(select(Organisation).where(Organisation.name == "Sly Council")
                        ).first() is None
    assert len(session.exec(select(PasswordLink)).all()) == links_before


def test_a_site_admin_adding_an_administrator_tells_the_others(session, world, site_admin,
                                                               inbox):
    client, user = site_admin
    org = world["org"]
    response = client.post(f"/organisations/{org.id}/users", data={
        "name": "Sly Admin", "email": "sly@example.org"})
    assert response.status_code == 200 and "We have emailed" in response.text
    assert "/set-password/" not in response.text  # the link goes to the new admin only
    [link_mail] = inbox.to("sly@example.org")
    assert "/set-password/" in link_mail.get_content()
    for admin in world["admins"]:
        [told] = inbox.to(admin.email)
        assert "sly@example.org" in told["Subject"] and user.email in told.get_content()
        assert f"/organisations/{org.id}" in told.get_content()
    event = session.exec(select(AuditEvent).where(
        AuditEvent.action == "admin_added_by_site_admin")).one()
    assert (event.user_id, event.organisation_id) == (user.id, org.id)
    assert event.detail == {"email": "sly@example.org",
                            "told": sorted(a.email for a in world["admins"])}
    # A new link for an existing admin goes to them, never to the page.
    again = client.post(f"/users/{world['admins'][0].id}/password-link")
    assert again.status_code == 200 and "/set-password/" not in again.text
    assert len(inbox.to(world["admins"][0].email)) == 2


def test_a_site_admins_link_that_could_not_be_sent_is_not_shown(session, world, site_admin,
                                                                inbox):
    client, _ = site_admin
    inbox.refuse.add("sly@example.org")
    response = client.post(f"/organisations/{world['org'].id}/users", data={
        "name": "Sly Admin", "email": "sly@example.org"})
    assert response.status_code == 200
    assert "The email could not be sent" in response.text
    assert "/set-password/" not in response.text
