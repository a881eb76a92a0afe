"""Invitations by email against a real SMTP server on loopback (aiosmtpd): what each carries,
in plain text and HTML; failures per person, kept and sent again; reminders the same way; the
coordinator's own wording, previewed and checked; several people on one page; confirmation
before every destructive action; and the date a round actually closed."""

import csv
import io
import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.clock import UK
from app.models import Agency, AssessmentRound, Respondent, Role, RoundStatus, User
from app.questionnaires.timing import estimated_minutes
from tests import smtp
from tests.conftest import CONFIRM, FormClient, sign_in, start_response
from tests.factories import (
    CORE,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)


def page(response):
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def world(session):
    org = make_organisation(session, name="Testshire Council")
    partnership = make_partnership(session, org)
    coordinator = make_user(session, org, coordinates=[partnership], name="Cora Ordinator")
    round_ = make_round(session, partnership)
    session.commit()
    agencies = {a.name: a.id for a in session.exec(
        select(Agency).where(Agency.partnership_id == partnership.id))}
    return {"org": org, "partnership": partnership, "coordinator": coordinator,
            "round": round_, "agencies": agencies}


@pytest.fixture
def coordinator(client, world):
    sign_in(client, world["coordinator"])
    return client


def rows(world, *people) -> dict:
    """The several-people form, as posted: (name, email, agency name, level) per row."""
    data = {"rows": str(len(people)), "action": "invite"}
    for n, (name, email, agency, level) in enumerate(people, start=1):
        data |= {f"name-{n}": name, f"email-{n}": email, f"level-{n}": level,
                 f"agency-{n}": str(world["agencies"].get(agency, agency))}
    return data


def respondents(session, round_) -> dict[str, Respondent]:
    session.expire_all()
    return {r.email: r for r in session.exec(select(Respondent).where(
        Respondent.round_id == round_.id))}


LINK = re.compile(r"http://testserver/r/[A-Za-z0-9_-]+")


# --- Emailed invitations ---------------------------------------------------------------------

def test_each_invitation_carries_everything_in_both_parts(coordinator, session, world, inbox,
                                                          app):
    round_ = world["round"]
    response = coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(
        world, ("Ann Able", "ann@example.org", "Testshire Health", "strategic"),
        ("", "", "", ""),  # a blank row is ignored
        ("Ben Baker", "ben@example.org", "Testshire Schools", "")))
    assert response.status_code == 200
    assert [t.text for t in page(response).select(".govuk-tag")] == ["Sent", "Sent"]
    assert not page(response).select(".maps-copy__text")  # emailed links are not shown
    assert sorted(m["To"] for m in inbox.messages) == ["ann@example.org", "ben@example.org"]

    message = inbox.to("ann@example.org")[0]
    text, html = smtp.parts(message)
    closes = round_.closes_at.astimezone(UK).strftime("%A %-d %B %Y")
    minutes = estimated_minutes(CORE)
    threshold = max(round_.anonymity_threshold, app.state.settings.min_anonymity_threshold)
    assert message["Subject"] == f"Testshire Early Help: please answer “{CORE.title}” " \
                                 f"by {closes}"
    assert message["Reply-To"] == world["coordinator"].email
    for part in (text, BeautifulSoup(html, "html.parser").get_text(" ")):
        flat = " ".join(part.split())
        assert "Dear Ann Able" in flat
        assert "Testshire Early Help" in flat
        assert f"Cora Ordinator ({world['coordinator'].email}), Testshire Council" in flat
        assert f"Closing date: {closes}" in flat.replace("Closing date ", "Closing date: ")
        assert f"About {minutes} minutes" in flat
        assert f"never for a group of fewer than {threshold} people" in flat
        assert "Nobody sees your own answers in MAPS" in flat
    [link] = LINK.findall(text)
    assert BeautifulSoup(html, "html.parser").find("a", href=link) is not None
    # The link is the board member's own, and it works.
    with FormClient(app, follow_redirects=False) as member:
        assert member.get(link.removeprefix("http://testserver"),
                          follow_redirects=True).status_code == 200
    assert LINK.findall(smtp.parts(inbox.to("ben@example.org")[0])[0]) != [link]
    people = respondents(session, round_)
    assert all(p.invite_sent_at and p.invite_error is None for p in people.values())
    round_page = page(coordinator.get(f"/rounds/{round_.id}"))
    assert round_page.text.count("Invitation: Sent") == 2


def test_a_refused_address_fails_alone_and_is_sent_again(coordinator, session, world, inbox,
                                                        app):
    round_ = world["round"]
    inbox.refuse = {"typo@example.org"}
    response = coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(
        world, ("Ann Able", "ann@example.org", "Testshire Health", ""),
        ("Tia Typo", "typo@example.org", "Testshire Health", "")))
    assert [t.text for t in page(response).select(".govuk-tag")] == ["Sent", "Not sent"]
    assert "refused this email address" in response.text
    people = respondents(session, round_)
    assert people["typo@example.org"].invite_error.startswith("The mail server refused")
    assert people["ann@example.org"].invite_error is None
    round_page = page(coordinator.get(f"/rounds/{round_.id}"))
    assert "Not sent: The mail server refused this email address" in round_page.text
    button = round_page.find("button", string=re.compile("Send the 1 failed invitation again"))
    assert button is not None

    inbox.refuse = set()
    old_hash = people["typo@example.org"].token_hash
    assert coordinator.post(f"/rounds/{round_.id}/invites/resend").status_code == 303
    [again] = inbox.to("typo@example.org")
    [link] = LINK.findall(smtp.parts(again)[0])
    people = respondents(session, round_)
    assert people["typo@example.org"].invite_error is None
    assert people["typo@example.org"].token_hash != old_hash
    assert len(inbox.to("ann@example.org")) == 1  # nobody else is emailed twice
    with FormClient(app, follow_redirects=False) as member:
        assert member.get(link.removeprefix("http://testserver"),
                          follow_redirects=True).status_code == 200


def test_a_mail_server_that_is_down_loses_no_invite(coordinator, session, world,
                                                    mail_settings):
    round_ = world["round"]
    response = coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(
        world, ("Ann Able", "ann@example.org", "Testshire Health", "")))
    assert response.status_code == 200
    assert "could not reach the mail server" in response.text
    person = respondents(session, round_)["ann@example.org"]  # saved all the same
    assert person.invite_sent_at is None and "could not reach" in person.invite_error

    inbox = smtp.Inbox()
    controller = smtp.start(inbox, mail_settings.smtp_port)  # the server is back
    try:
        assert coordinator.post(f"/rounds/{round_.id}/invites/resend").status_code == 303
    finally:
        controller.stop()
    assert [m["To"] for m in inbox.messages] == ["ann@example.org"]
    assert respondents(session, round_)["ann@example.org"].invite_sent_at is not None


def test_reminders_are_kept_per_person_and_resent_to_the_failed(coordinator, session, world,
                                                                inbox):
    round_ = world["round"]
    for name in ("ann", "bob"):
        make_invite(session, round_, name=name.title(), email=f"{name}@example.org")
    inbox.refuse = {"bob@example.org"}
    response = coordinator.post(f"/rounds/{round_.id}/reminders")
    assert response.status_code == 502
    assert "1 of 2 reminders were not sent" in response.text
    assert "Not sent: The mail server refused" in response.text
    people = respondents(session, round_)
    assert people["ann@example.org"].reminder_sent_at is not None
    assert people["bob@example.org"].reminder_error is not None
    inbox.refuse = set()
    response = coordinator.post(f"/rounds/{round_.id}/reminders", data={"only": "failed"})
    assert response.status_code == 303
    assert [m["To"] for m in inbox.messages] == ["ann@example.org", "bob@example.org"]
    assert respondents(session, round_)["bob@example.org"].reminder_error is None


# --- The wording -----------------------------------------------------------------------------

def test_the_coordinator_previews_and_saves_their_own_wording(coordinator, session, world,
                                                             inbox):
    round_ = world["round"]
    url = f"/rounds/{round_.id}/invitation"
    form = page(coordinator.get(url))
    assert "{partnership}" in form.select_one("#subject")["value"]
    response = coordinator.post(url, data={"subject": "Hello {nme}", "message": "Hi {name}",
                                           "action": "preview"})
    assert response.status_code == 400
    summary = page(response).select_one(".govuk-error-summary")
    assert "‘{nme}’ is not a placeholder MAPS knows" in summary.text
    assert page(response).select_one("#subject")["value"] == "Hello {nme}"  # kept as typed
    response = coordinator.post(url, data={"subject": "Board check", "message": "Hi {name"})
    assert "has no partner" in page(response).select_one(".govuk-error-summary").text

    message = "Hello {name} of {agency}: our annual check, due {closing_date}."
    preview = coordinator.post(url, data={"subject": "{partnership} check", "message": message,
                                          "action": "preview"})
    assert preview.status_code == 200
    assert "Hello Alex Example of Testshire Health" in page(preview).select_one("pre").text
    session.refresh(round_)
    assert round_.invitation_message is None  # a preview saves nothing
    assert coordinator.post(url, data={"subject": "{partnership} check", "message": message,
                                       "action": "save"}).status_code == 303
    coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(
        world, ("Ann Able", "ann@example.org", "Testshire Schools", "")))
    [sent] = inbox.messages
    text, _ = smtp.parts(sent)
    assert sent["Subject"] == "Testshire Early Help check"
    assert text.startswith("Hello Ann Able of Testshire Schools: our annual check, due ")
    assert "Your personal link: http://testserver/r/" in text  # whatever the wording


# --- Without a mail server -------------------------------------------------------------------

def test_without_mail_links_are_shown_whole_with_wording_and_download(coordinator, session,
                                                                      world):
    round_ = world["round"]
    response = coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(
        world, ("Ann Able", "ann@example.org", "Testshire Health", "strategic")))
    links = page(response)
    [box] = links.select(".maps-links textarea.maps-copy__text")
    assert box.has_attr("readonly") and LINK.fullmatch(box.text)
    wording = links.select_one("#suggested-wording").text
    assert "[their name]" in wording and "Your personal link: [their personal link]" in wording
    tokens = [i["value"] for i in links.select("input[name=token]")]
    download = coordinator.post(f"/rounds/{round_.id}/invite-links.csv",
                                data={"token": tokens})
    [row] = list(csv.DictReader(io.StringIO(download.text)))
    assert row == {"name": "Ann Able", "email": "ann@example.org", "agency": "Testshire Health",
                   "level": "strategic", "link": box.text,
                   "closing_date": round_.closes_at.astimezone(UK).strftime("%-d %B %Y")}


# --- Several people on one page --------------------------------------------------------------

def test_add_another_row_without_javascript_keeps_what_was_typed(coordinator, world):
    url = f"/rounds/{world['round'].id}/invites/new"
    assert len(page(coordinator.get(url)).select("input[name^=name-]")) == 3
    data = rows(world, ("Ann Able", "ann@example.org", "Testshire Health", "operational"))
    response = coordinator.post(url, data=data | {"action": "add"})
    form = page(response)
    assert response.status_code == 200 and not form.select(".govuk-error-summary")
    assert [i.get("value", "") for i in form.select("input[name^=name-]")] == ["Ann Able", ""]
    assert form.select_one("#level-1 option[selected]")["value"] == "operational"
    assert form.select_one("#agency-1 option[selected]").text == "Testshire Health"


def test_a_wrong_row_saves_nobody_and_each_error_names_its_row(coordinator, session, world):
    round_ = world["round"]
    make_invite(session, round_, name="Old", email="old@example.org")
    response = coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(
        world, ("Ann Able", "ann@example.org", "Testshire Health", ""),
        ("Ben Baker", "not-an-address", "", ""),
        ("Old Again", "old@example.org", "Testshire Health", "senior"),
        ("Ann Twice", "ANN@example.org", "Testshire Schools", "")))
    assert response.status_code == 400
    form = page(response)
    summary = [(a["href"], a.text) for a in form.select(".govuk-error-summary a")]
    assert [href for href, _ in summary] == ["#email-2", "#agency-2", "#email-3", "#level-3",
                                             "#email-4"]
    assert summary[0][1].startswith("Board member 2: ‘not-an-address’ is not an email address")
    assert "old@example.org is already invited" in summary[2][1]
    assert "ann@example.org is already invited" in summary[4][1]
    assert form.select_one("#email-2")["value"] == "not-an-address"
    assert "govuk-input--error" in form.select_one("#email-2")["class"]
    assert set(respondents(session, round_)) == {"old@example.org"}
    # Nothing typed at all is an error too, not a silent success.
    empty = coordinator.post(f"/rounds/{round_.id}/invites/new", data=rows(world, ("", "", "",
                                                                                   "")))
    assert empty.status_code == 400 and "Enter at least one board member" in empty.text


# --- Confirmation before anything that cannot be taken back ----------------------------------

def test_destructive_posts_without_confirmation_change_nothing(coordinator, session, world,
                                                               app):
    round_ = world["round"]
    person, token = make_invite(session, round_, name="Ann", email="ann@example.org")
    person.submitted_at = datetime.now(UTC)
    session.add(person)
    session.commit()
    base = f"/rounds/{round_.id}/invites/{person.id}"
    asked = {f"{base}/reissue": "Reissue the link for Ann?", f"{base}/revoke":
             "Withdraw the invitation of Ann?", f"{base}/reopen": "Reopen the response of Ann?",
             f"/rounds/{round_.id}/close": f"Close {round_.title}?"}
    before = (person.token_hash, person.revoked_at, person.submitted_at)
    for url, question in asked.items():
        response = coordinator.post(url)
        assert response.status_code == 200, url
        confirm = page(response)
        assert confirm.h1.text == question
        form = confirm.select_one(f"form[action='{url}']")
        assert form.select_one("input[name=confirm]")["value"] == "yes"
        session.expire_all()
        person = session.get(Respondent, person.id)
        assert (person.token_hash, person.revoked_at, person.submitted_at) == before, url
        assert session.get(AssessmentRound, round_.id).status == RoundStatus.open, url
    reissue = page(coordinator.post(f"{base}/reissue"))
    assert "Their old link stops working at once." in reissue.text
    # Confirmed, each does what it says.
    assert coordinator.post(f"{base}/reissue", data=CONFIRM).status_code == 200
    session.expire_all()
    assert session.get(Respondent, person.id).token_hash != before[0]

    admin = make_user(session, world["org"], role=Role.org_admin)
    victim = make_user(session, world["org"])
    with FormClient(app, follow_redirects=False) as as_admin:
        sign_in(as_admin, admin)
        response = as_admin.post(f"/users/{victim.id}/remove")
        assert response.status_code == 200
        assert page(response).h1.text == f"Remove {victim.name}’s access?"
        session.expire_all()
        assert session.get(User, victim.id).removed_at is None
        assert as_admin.post(f"/users/{victim.id}/remove", data=CONFIRM).status_code == 303
        session.expire_all()
        assert session.get(User, victim.id).removed_at is not None


# --- When a round actually closed ------------------------------------------------------------

def test_a_round_closed_early_shows_when_it_closed(coordinator, session, world, app):
    round_ = world["round"]
    _, token = make_invite(session, round_, name="Ann", email="ann@example.org")
    with FormClient(app, follow_redirects=False) as member:
        start_response(member, token)
        assert coordinator.post(f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
        session.refresh(round_)
        assert round_.closing_date == round_.closed_at < round_.closes_at
        today = round_.closed_at.astimezone(UK).strftime("%-d %B %Y")
        planned = round_.closes_at.astimezone(UK).strftime("%-d %B %Y")
        summary = page(coordinator.get(f"/rounds/{round_.id}")).select_one(".govuk-summary-list")
        assert f"Closed {today}" in " ".join(summary.text.split())
        assert f"(planned: {planned})" in summary.text
        partnership = page(coordinator.get(f"/partnerships/{world['partnership'].id}"))
        rounds = partnership.select_one("#rounds ~ .maps-table-region table tbody").text
        assert today in rounds and planned not in rounds
        closed = member.get(f"/r/{token}", follow_redirects=True)
        assert f"The round closed on {today}" in closed.text


def test_the_closing_date_is_the_earlier_of_planned_and_closed():
    planned = datetime(2027, 3, 1, tzinfo=UTC)
    round_ = AssessmentRound(partnership_id=1, title="R", questionnaire_key="k",
                             questionnaire_version=1, opens_at=planned - timedelta(days=30),
                             closes_at=planned)
    assert round_.closing_date == planned  # still open
    round_.closed_at = planned - timedelta(days=3)
    assert round_.closing_date == planned - timedelta(days=3)  # closed early
    round_.closed_at = planned + timedelta(days=3)
    assert round_.closing_date == planned  # closed after its date: answers stopped then


@pytest.fixture
def server_in_new_york():
    """The server's own clock five hours behind UTC (time.tzset: the whole process)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_closing_dates_are_on_the_uk_clock_whatever_the_server_zone(
        coordinator, session, world, inbox, server_in_new_york):
    round_ = world["round"]
    round_.closes_at = datetime(2030, 12, 10, 23, 59, 59, tzinfo=UTC)  # UK winter: UTC
    session.add(round_)
    make_invite(session, round_, name="Ann", email="ann@example.org")
    session.commit()
    round_page = page(coordinator.get(f"/rounds/{round_.id}"))
    assert "10 December 2030 at 23:59" in round_page.select_one(".govuk-summary-list").text
    assert coordinator.post(f"/rounds/{round_.id}/reminders").status_code == 303
    text = inbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "10 December 2030" in text and "11 December 2030" not in text
