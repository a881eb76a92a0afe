"""Organisations, accounts and partnerships: from a site admin's new organisation to a
coordinator running its partnership, and the audit log each admin may read."""

import re

from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import (
    Agency,
    AuditEvent,
    Organisation,
    Partnership,
    PartnershipCoordinator,
    Role,
    User,
)
from tests.conftest import FormClient, sign_in
from tests.factories import make_organisation, make_partnership, make_user


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def emailed_link(inbox, address: str) -> str:
    """The set-password link in the last email to the address."""
    text = inbox.to(address)[-1].get_content()
    return re.search(r"https?://testserver(/set-password/\S+)", text).group(1)


def test_new_organisation_to_running_partnership(app, client, session, inbox):
    site_admin = make_user(session, role=Role.site_admin)
    sign_in(client, site_admin)
    assert "Organisations" in page(client.get("/dashboard")).select_one("h1").text
    response = client.post("/organisations", data={
        "org_name": "Westshire Council", "name": "Ola Admin", "email": "Ola@Westshire.example"})
    # A site administrator never sees the link: it goes to the new admin only.
    assert response.status_code == 200 and "We have emailed" in response.text
    assert "/set-password/" not in response.text
    setup = emailed_link(inbox, "ola@westshire.example")
    org = session.exec(select(Organisation).where(Organisation.name == "Westshire Council")).one()
    admin = session.exec(select(User).where(User.email == "ola@westshire.example")).one()
    assert (admin.role, admin.organisation_id) == (Role.org_admin, org.id)

    with FormClient(app, follow_redirects=False) as browser:
        assert browser.get(setup).status_code == 200
        response = browser.post(setup, data={"password": "a long new password",
                                             "confirm": "a long new password"})
        assert response.headers["location"] == "/dashboard"
        response = browser.post("/partnerships", data={
            "name": "Westshire Youth Partnership", "client_group": "Young people"})
        assert response.status_code == 303
        partnership = session.exec(select(Partnership).where(
            Partnership.organisation_id == org.id)).one()
        assert response.headers["location"] == f"/partnerships/{partnership.id}"
        response = browser.post(f"/organisations/{org.id}/users", data={
            "name": "Cat Coordinator", "email": "cat@westshire.example", "role": "coordinator"})
        assert "We have emailed" in response.text
        cat_setup = emailed_link(inbox, "cat@westshire.example")
        cat = session.exec(select(User).where(User.email == "cat@westshire.example")).one()
        response = browser.post(f"/partnerships/{partnership.id}/coordinators",
                                data={"coordinator": str(cat.id)})
        assert response.status_code == 303
        # An organisation admin sees the partnership but does not run it.
        response = browser.post(f"/partnerships/{partnership.id}/agencies",
                                data={"agency_name": "Westshire Police", "sector": "police"})
        assert response.status_code == 403

    with FormClient(app, follow_redirects=False) as cat_browser:
        cat_browser.post(cat_setup, data={"password": "cats have long passwords",
                                          "confirm": "cats have long passwords"})
        dashboard = page(cat_browser.get("/dashboard"))
        assert [a.text for a in dashboard.select("main table a")] == [
            "Westshire Youth Partnership"]
        for name, sector in (("Westshire Police", "police"), ("Westshire NHS", "health")):
            response = cat_browser.post(f"/partnerships/{partnership.id}/agencies",
                                        data={"agency_name": name, "sector": sector})
            assert response.status_code == 303
    session.expire_all()
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).all()
    assert sorted(a.name for a in agencies) == ["Westshire NHS", "Westshire Police"]
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.organisation_id == org.id).order_by(AuditEvent.id))]
    assert actions == [
        "organisation_created", "user_created", "password_link_issued", "password_set",
        "partnership_created", "user_created", "password_link_issued",
        "coordinator_appointed", "password_set", "agency_added", "agency_added"]


def test_form_errors_are_summarised_and_linked(client, session):
    org = make_organisation(session)
    admin = make_user(session, org, role=Role.org_admin)
    sign_in(client, admin)
    response = client.post("/partnerships", data={"name": "  "})
    assert response.status_code == 400
    assert [a["href"] for a in page(response).select(".govuk-error-summary a")] == ["#name"]
    assert page(response).select_one("#name-error") is not None
    response = client.post(f"/organisations/{org.id}/users",
                           data={"name": "X", "email": "not-an-email", "role": "coordinator"})
    assert [a["href"] for a in page(response).select(".govuk-error-summary a")] == ["#email"]
    response = client.post(f"/organisations/{org.id}/users",
                           data={"name": "X", "email": admin.email, "role": "coordinator"})
    # The same words whether the account is here or elsewhere (tests/test_security.py).
    assert "cannot be used" in page(response).select_one("#email-error").text


def test_org_admin_edits_partnership_and_appoints_only_own_coordinators(client, session):
    org, other = make_organisation(session), make_organisation(session)
    partnership = make_partnership(session, org)
    admin = make_user(session, org, role=Role.org_admin)
    theirs = make_user(session, other, role=Role.coordinator)
    ours = make_user(session, org, role=Role.coordinator)
    sign_in(client, admin)
    response = client.post(f"/partnerships/{partnership.id}/coordinators",
                           data={"coordinator": str(theirs.id)})
    assert response.status_code == 400
    options = page(client.get(f"/partnerships/{partnership.id}")).select("#coordinator option")
    assert [o.get("value") for o in options] == ["", str(ours.id)]
    client.post(f"/partnerships/{partnership.id}/coordinators", data={"coordinator": ours.id})
    assert session.get(PartnershipCoordinator, (ours.id, partnership.id)) is not None
    response = client.post(f"/partnerships/{partnership.id}/edit", data={
        "name": "Renamed Partnership", "client_group": "", "description": "New text"})
    assert response.status_code == 303
    event = session.exec(select(AuditEvent).where(
        AuditEvent.action == "partnership_edited")).one()
    assert event.detail["name"] == {"from": "Testshire Early Help", "to": "Renamed Partnership"}
    response = client.post(f"/partnerships/{partnership.id}/coordinators/{ours.id}/remove")
    assert response.status_code == 303
    session.expire_all()
    assert session.get(PartnershipCoordinator, (ours.id, partnership.id)) is None


def test_audit_log_readers(app, client, session):
    org_a, org_b = make_organisation(session), make_organisation(session)
    p_a = make_partnership(session, org_a, name="Alpha Partnership")
    p_b = make_partnership(session, org_b, name="Beta Partnership")
    admin_a = make_user(session, org_a, role=Role.org_admin)
    coord_a = make_user(session, org_a, coordinates=[p_a])
    coord_b = make_user(session, org_b, coordinates=[p_b])
    site_admin = make_user(session, role=Role.site_admin)
    for coordinator, partnership, agency in ((coord_a, p_a, "Alpha Police"),
                                             (coord_b, p_b, "Beta Police")):
        with FormClient(app, follow_redirects=False) as c:
            sign_in(c, coordinator)
            c.post(f"/partnerships/{partnership.id}/agencies",
                   data={"agency_name": agency, "sector": "police"})
    sign_in(client, admin_a)
    log = page(client.get("/audit")).select_one("main table").text
    assert "Alpha Police" in log and "Beta" not in log
    assert coord_a.email in log and coord_b.email not in log
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, site_admin)
        log = page(c.get("/audit")).select_one("main table").text
        assert "Alpha Police" in log and "Beta Police" in log
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, coord_a)
        assert c.get("/audit").status_code == 403


def test_audit_log_pages(client, session):
    from app.services import audit

    org = make_organisation(session)
    admin = make_user(session, org, role=Role.org_admin)
    for n in range(audit.PAGE_SIZE + 5):
        audit.record(session, action="agency_added", organisation_id=org.id,
                     detail={"agency": f"Agency {n}"})
    session.commit()
    sign_in(client, admin)
    first = page(client.get("/audit"))
    assert len(first.select("main tbody tr")) == audit.PAGE_SIZE
    last = page(client.get("/audit?page=2"))
    assert len(last.select("main tbody tr")) == 5 + 1  # and the sign-in
    assert client.get("/audit?page=0").status_code == 422


def test_audit_log_filters_times_and_words(client, session):
    """Filters by who, what, partnership and UK dates (a GET form, no JavaScript), paging that
    keeps them, times in UK time, the organisation, and details in words, not JSON."""
    from datetime import UTC, datetime


    org = make_organisation(session, name="Westshire Council")
    alpha = make_partnership(session, org, name="Alpha Partnership")
    beta = make_partnership(session, org, name="Beta Partnership")
    admin = make_user(session, org, role=Role.org_admin)
    coord = make_user(session, org, coordinates=[alpha])
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST); 1 December is GMT.
    events = [(datetime(2025, 6, 30, 23, 30, tzinfo=UTC), "agency_added", alpha, coord,
               {"agency": "Alpha Police", "sector": "police"}),
              (datetime(2025, 12, 1, 14, 5, tzinfo=UTC), "partnership_edited", beta, admin,
               {"name": {"from": "Beta", "to": "Beta Partnership"}}),
              (datetime(2025, 12, 2, 9, 0, tzinfo=UTC), "user_created", None, admin,
               {"email": "new@example.org", "role": "coordinator"})]
    for at, action, partnership, user, detail in events:
        session.add(AuditEvent(at=at, action=action, user_id=user.id, organisation_id=org.id,
                               partnership_id=partnership.id if partnership else None,
                               detail=detail))
    session.commit()
    sign_in(client, admin)

    def rows(query=""):
        response = client.get(f"/audit{query}")
        assert response.status_code == 200, response.text
        html = page(response)
        assert html.select_one(".maps-table-region[role=region][tabindex='0'] table") or \
            not html.select("main table")
        return [[td.get_text(" ", strip=True) for td in tr.select("td")]
                for tr in html.select("main tbody tr")]

    everything = rows()
    assert everything[-3:] == [
        ["2 December 2025, 09:00", admin.email, "Account created", "Westshire Council", "–",
         "Email: new@example.org; Role: coordinator"],
        ["1 December 2025, 14:05", admin.email, "Partnership edited", "Westshire Council",
         "Beta Partnership", "Name changed from \u201cBeta\u201d to \u201cBeta Partnership\u201d"],
        ["1 July 2025, 00:30", coord.email, "Agency added", "Westshire Council",
         "Alpha Partnership", "Agency: Alpha Police; Sector: police"],
    ]
    assert [r[2] for r in rows(f"?who={coord.id}")] == ["Agency added"]
    assert [r[2] for r in rows("?what=partnership_edited")] == ["Partnership edited"]
    assert [r[2] for r in rows(f"?partnership={alpha.id}")] == ["Agency added"]
    # UK calendar days, both ends included: 1 July London time holds the 23:30 UTC event.
    assert [r[0] for r in rows("?from-day=1&from-month=7&from-year=2025"
                               "&to-day=1&to-month=12&to-year=2025")] == [
        "1 December 2025, 14:05", "1 July 2025, 00:30"]
    assert rows("?to-day=30&to-month=6&to-year=2025") == []

    # Bad filters: a clear error beside the field, linked from the summary, never a 500.
    for query, field, message in (
            ("?from-day=31&from-month=2&from-year=2025", "from-day",
             "The \u2018from\u2019 date must be a real date"),
            ("?to-day=1&to-month=12", "to-day", "The \u2018to\u2019 date must include a year"),
            ("?from-day=2&from-month=12&from-year=2025&to-day=1&to-month=12&to-year=2025",
             "to-day", "must be the same as or after"),
            ("?who=banana", "who", "Select a person from the list"),
            ("?what=%3Cscript%3E", "what", "Select a kind of event from the list"),
            ("?partnership=-1", "partnership", "Select a partnership from the list")):
        response = client.get(f"/audit{query}")
        assert response.status_code == 400, query
        html = page(response)
        assert message in html.select_one(f".govuk-error-summary a[href='#{field}']").text
        assert html.select_one(f"#{field.removesuffix('-day')}-error")
        assert not html.select("main tbody tr")
        assert html.select_one("title").text.startswith("Error:")


def test_audit_log_paging_keeps_the_filters(client, session):
    from app.services import audit

    org = make_organisation(session)
    admin = make_user(session, org, role=Role.org_admin)
    for n in range(audit.PAGE_SIZE + 5):
        audit.record(session, action="agency_added", organisation_id=org.id,
                     detail={"agency": f"Agency {n}"})
    session.commit()
    sign_in(client, admin)
    first = page(client.get("/audit?what=agency_added"))
    assert "55 events match these filters; page 1 of 2." in first.text
    following = first.select_one(".govuk-pagination__next a")["href"]
    assert following == "/audit?what=agency_added&page=2"
    assert len(page(client.get(following)).select("main tbody tr")) == 5  # no sign-in
