"""Getting back in (issue 25): a claimed link opened elsewhere says what state its member is
in; while they are answering it offers their resume code and, where MAPS knows their address
and has a mail server (a real one on loopback here), a one-time, short-lived emailed link that
moves the claim with every answer kept; the coordinator sees how far each member is and can
let one start again in a new browser, the answers kept but shown to nobody. Every such action
is audit-logged, and none shows anyone's answers to anyone else."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Agency, Answer, AuditEvent, Respondent, RoundStatus
from app.questionnaires.paging import pages
from tests.conftest import CONFIRM, FormClient, sign_in, start_response
from tests.factories import (
    CORE,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)

HTMX = {"HX-Request": "true"}
FIRST_PAGE = pages(CORE)[0]
ITEMS = [item for p in pages(CORE) for item in p.items]  # in the order asked
LINK = re.compile(r"http://testserver/r/[A-Za-z0-9_-]+/carry-on/[A-Za-z0-9_-]+")


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def text(response) -> str:
    return " ".join(page(response).get_text().split())


@pytest.fixture
def world(session):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    coordinator = make_user(session, org, coordinates=[partnership])
    round_ = make_round(session, partnership)
    respondent, token = make_invite(session, round_, name="Ann Able", email="ann@example.org")
    return {"round": round_, "respondent": respondent, "token": token,
            "coordinator": coordinator}


@pytest.fixture
def first(client, session, world):
    """The browser Ann started in, with her agency and level given and two answers saved,
    the first with a comment."""
    token, respondent = world["token"], world["respondent"]
    start_response(client, token)
    agency = session.exec(select(Agency)).first()
    client.post(f"/r/{token}/about", data={"agency": agency.id, "level": "strategic"})
    one, two = ITEMS[:2]
    client.post(f"/r/{token}/answer", data={one.id: "2", f"comment__{one.id}": "Only on paper"},
                headers=HTMX)
    client.post(f"/r/{token}/answer", data={two.id: "dk"}, headers=HTMX)
    session.refresh(respondent)
    return client


@pytest.fixture
def second(app):
    """Another browser: only the link, no cookies."""
    with FormClient(app, follow_redirects=False) as other:
        yield other


def events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- A claimed link opened elsewhere ---------------------------------------------------------

def test_while_answering_the_other_browser_is_offered_the_code_only_without_mail(
        first, second, world):
    token = world["token"]
    assert second.get(f"/r/{token}").headers["location"] == f"/r/{token}/resume"
    resume = second.get(f"/r/{token}/resume")
    assert page(resume).select_one("h1").get_text() == "Carry on in this browser"
    assert page(resume).select_one("input#code") is not None
    # No mail server: nothing offers to email, and the page does not pretend it could.
    assert "Email me a link" not in resume.text
    assert "in use in another browser" not in resume.text


def test_after_submitting_the_other_browser_is_told_when_and_asked_for_no_code(
        first, second, session, world):
    token = world["token"]
    assert first.post(f"/r/{token}/submit").status_code == 303
    resume = second.get(f"/r/{token}/resume")
    submitted = world["respondent"]
    session.refresh(submitted)
    day = submitted.submitted_at.astimezone(UTC)
    assert page(resume).select_one("h1").get_text().startswith(
        "You submitted your answers on ")
    assert f"{day.day} " in page(resume).select_one("h1").get_text()
    assert page(resume).select_one("input#code") is None
    assert "reopen" in text(resume)


def test_after_closing_the_other_browser_is_told_it_closed_and_asked_for_no_code(
        first, second, session, world):
    token, round_ = world["token"], world["round"]
    round_.status, round_.closed_at = RoundStatus.closed, datetime.now(UTC)
    session.add(round_)
    session.commit()
    resume = second.get(f"/r/{token}/resume")
    assert page(resume).select_one("h1").get_text() == "This assessment round has closed"
    assert "not submitted are not counted" in text(resume)
    assert page(resume).select_one("input#code") is None


# --- The emailed link ------------------------------------------------------------------------

def ask_for_link(second, token) -> str:
    asked = second.post(f"/r/{token}/resume/email")
    assert asked.status_code == 303, asked.text
    assert "We have emailed a link to ann@example.org" in text(second.get(f"/r/{token}/resume"))
    return asked


def test_an_emailed_link_moves_the_claim_and_keeps_every_answer(first, second, session, world,
                                                               inbox):
    token, respondent = world["token"], world["respondent"]
    resume = second.get(f"/r/{token}/resume")
    assert "ann@example.org" in text(resume)
    assert page(resume).select_one("form[action$='/resume/email'] button") is not None
    ask_for_link(second, token)
    [email] = inbox.to("ann@example.org")
    body = email.get_body(preferencelist=("plain",)).get_content()
    [link] = LINK.findall(body)
    # The email holds no answer and no comment.
    assert "Only on paper" not in body and "Don't know" not in body
    path = link.removeprefix("http://testserver")

    # Opening the link changes nothing (a mail scanner may open it).
    opened = second.get(path)
    assert opened.status_code == 200 and "Carry on here" in opened.text
    assert first.get(f"/r/{token}/review").status_code == 200
    assert second.get(f"/r/{token}/review").status_code == 303

    moved = second.post(path)
    assert moved.status_code == 303 and moved.headers["location"] == f"/r/{token}?started=1"
    review = second.get(f"/r/{token}/review")
    assert review.status_code == 200
    assert "Only on paper" in review.text  # every answer and comment is kept, and shown here
    assert "2 of" in text(review)
    # The browser used before no longer opens them; the link works once.
    assert first.get(f"/r/{token}/review").headers["location"] == f"/r/{token}/resume"
    again = second.post(path)
    assert again.status_code == 410 and "no longer works" in again.text
    assert [e.detail["email"] for e in events(session, "carry_on_link_sent")] == \
        ["ann@example.org"]
    assert [e.detail["respondent"] for e in events(session, "claim_moved")] == [respondent.id]
    for event in events(session, "carry_on_link_sent") + events(session, "claim_moved"):
        assert "Only on paper" not in str(event.detail)


def test_a_link_expires_and_cannot_be_asked_for_again_at_once(first, second, session, world,
                                                              inbox):
    token, respondent = world["token"], world["respondent"]
    ask_for_link(second, token)
    too_soon = second.post(f"/r/{token}/resume/email")
    assert too_soon.status_code == 429
    assert "You can ask for another from" in text(too_soon)
    assert len(inbox.to("ann@example.org")) == 1
    [link] = LINK.findall(inbox.messages[0].get_body(preferencelist=("plain",)).get_content())
    session.refresh(respondent)
    respondent.carry_on_sent_at -= timedelta(minutes=31)
    session.add(respondent)
    session.commit()
    path = link.removeprefix("http://testserver")
    expired = second.post(path)
    assert expired.status_code == 410 and "worked for 30 minutes" in expired.text
    assert first.get(f"/r/{token}/review").status_code == 200  # nothing moved
    # Long enough after, another may be asked for, and the old one stays spent.
    assert second.post(f"/r/{token}/resume/email").status_code == 303
    assert second.post(path).status_code == 410


def test_a_mail_server_down_sends_nothing_and_says_so(first, second, session, world,
                                                     mail_settings):
    token = world["token"]  # mail is set up, but no server listens on its port
    failed = second.post(f"/r/{token}/resume/email")
    assert failed.status_code == 503
    assert "could not send the email" in text(failed)
    [event] = events(session, "carry_on_link_sent")
    assert event.detail["sent"] is False
    session.refresh(world["respondent"])
    assert world["respondent"].carry_on_hash is None  # and asking again is not refused


def test_no_link_is_offered_without_an_address(client, second, session, mail_settings):
    respondent, token = make_invite(session)
    start_response(client, token)
    assert "Email me a link" not in second.get(f"/r/{token}/resume").text
    assert second.post(f"/r/{token}/resume/email").headers["location"] == f"/r/{token}/resume"


def test_the_welcome_page_says_where_links_to_carry_on_go(client, world, mail_settings):
    welcome = client.get(f"/r/{world['token']}/welcome")
    assert "sends such links only to ann@example.org" in text(welcome)


# --- The coordinator: how far each member is, and starting again -----------------------------

def statuses(coordinator, round_) -> dict[str, str]:
    html = page(coordinator.get(f"/rounds/{round_.id}"))
    return {row.select("td")[0].get_text(" ", strip=True).split(" ")[0]:
            row.select_one(".govuk-tag").get_text(strip=True)
            for row in html.select("#invites ~ .maps-table-region tbody tr")}


def test_the_round_page_says_opened_in_progress_and_submitted(app, client, session, world):
    round_ = world["round"]
    _, ben_token = make_invite(session, round_, name="Ben Baker")
    make_invite(session, round_, name="Cal Cole")
    start_response(client, world["token"])  # Ann
    with FormClient(app, follow_redirects=False) as ben, \
            FormClient(app, follow_redirects=False) as coordinator:
        start_response(ben, ben_token)
        sign_in(coordinator, world["coordinator"])
        assert statuses(coordinator, round_) == {"Ann": "Opened", "Ben": "Opened",
                                                 "Cal": "Not started"}
        client.post(f"/r/{world['token']}/answer", data={ITEMS[0].id: "1"}, headers=HTMX)
        assert statuses(coordinator, round_)["Ann"] == f"In progress (1 of {len(ITEMS)})"
        client.post(f"/r/{world['token']}/submit")
        assert statuses(coordinator, round_)["Ann"] == "Submitted"


def test_starting_again_keeps_the_answers_and_shows_them_to_nobody(app, first, second, session,
                                                                   world):
    token, round_, respondent = world["token"], world["round"], world["respondent"]
    one, two, three = ITEMS[:3]
    with FormClient(app, follow_redirects=False) as coordinator:
        sign_in(coordinator, world["coordinator"])
        url = f"/rounds/{round_.id}/invites/{respondent.id}/release"
        asked = coordinator.post(url)
        assert asked.status_code == 200 and "start again in a new browser" in asked.text
        assert coordinator.post(url, data=CONFIRM).status_code == 303
    [event] = events(session, "claim_released")
    assert event.detail == {"email": "ann@example.org", "respondent": respondent.id}
    # The old browser no longer opens the response; the next to start with the link does.
    assert first.get(f"/r/{token}/review").headers["location"] == f"/r/{token}/welcome"
    start_response(second, token)
    first_page = second.get(f"/r/{token}/{FIRST_PAGE.path}")
    html = page(first_page)
    # Nothing chosen, no comment shown, but the answers kept and counted.
    assert html.select(f"input[name={one.id}][checked]") == []
    assert "Only on paper" not in first_page.text
    assert "Answered in an earlier browser" in html.select_one(f"#q-{one.id}").get_text()
    assert "2 of" in html.select_one("#progress-count").get_text()
    review = second.get(f"/r/{token}/review")
    assert "Only on paper" not in review.text and "Don't know" not in \
        page(review).select_one(".maps-review").get_text()
    # The page's form, posted as it stands (every comment box empty), changes nothing sealed.
    form = {f"comment__{i.id}": "" for i in FIRST_PAGE.items}
    second.post(f"/r/{token}/{FIRST_PAGE.path}", data=form)
    assert saved(session, respondent) == {one.id: ("2", "Only on paper"), two.id: ("dk", None)}
    # Answering a sealed question again replaces its answer and its comment, whole.
    second.post(f"/r/{token}/answer", data={one.id: "1", f"comment__{one.id}": ""},
                headers=HTMX)
    second.post(f"/r/{token}/answer", data={three.id: "2"}, headers=HTMX)
    assert saved(session, respondent) == {one.id: ("1", None), two.id: ("dk", None),
                                          three.id: ("2", None)}
    shown = page(second.get(f"/r/{token}/review"))
    assert "3 of" in shown.get_text()


def saved(session, respondent) -> dict[str, tuple[str | None, str | None]]:
    """Each item's answer and comment, where either is kept."""
    session.expire_all()
    return {a.item_id: (a.value, a.comment) for a in session.exec(
        select(Answer).where(Answer.respondent_id == respondent.id)) if a.value or a.comment}


# --- After submitting ------------------------------------------------------------------------

def test_a_member_can_print_or_download_their_own_answers_while_the_round_is_open(
        first, second, session, world):
    token, round_ = world["token"], world["round"]
    first.post(f"/r/{token}/answer", headers=HTMX,
               data={ITEMS[2].id: "1", f"comment__{ITEMS[2].id}": '=HYPERLINK("x")'})
    first.post(f"/r/{token}/submit")
    done = first.get(f"/r/{token}/done")
    assert page(done).select_one(f"a[href='/r/{token}/answers']") is not None
    mine = first.get(f"/r/{token}/answers")
    assert mine.status_code == 200 and "Only on paper" in mine.text
    assert mine.headers["cache-control"] == "no-store"
    csv_file = first.get(f"/r/{token}/answers.csv")
    assert csv_file.headers["content-disposition"].startswith("attachment")
    assert "Only on paper" in csv_file.text
    assert "'=HYPERLINK" in csv_file.text  # a comment is never a formula in a spreadsheet
    # Only the browser holding the link's claim; and only while the round is open.
    assert second.get(f"/r/{token}/answers").headers["location"] == f"/r/{token}/resume"
    assert second.get(f"/r/{token}/answers.csv").headers["location"] == f"/r/{token}/resume"
    round_.status, round_.closed_at = RoundStatus.closed, datetime.now(UTC)
    session.add(round_)
    session.commit()
    assert first.get(f"/r/{token}/answers").status_code == 409
    assert first.get(f"/r/{token}/answers.csv").status_code == 409


def test_submitting_emails_a_confirmation_that_holds_no_answers(first, session, world, inbox):
    token = world["token"]
    submitted = first.post(f"/r/{token}/submit")
    assert submitted.status_code == 303
    assert "We have emailed a confirmation to ann@example.org" in \
        text(first.get(f"/r/{token}/done"))
    [email] = inbox.to("ann@example.org")
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert "received your answers" in body and "holds none of your answers" in body
    assert "Only on paper" not in body and "Don't know" not in body
    assert "/r/" not in body  # nor the link, which would open them
    [event] = events(session, "submission_confirmed")
    assert event.detail["sent"] is True
    # A double click sends nothing more.
    first.post(f"/r/{token}/submit")
    assert len(inbox.to("ann@example.org")) == 1


def test_without_an_address_no_confirmation_is_sent_or_promised(client, session, inbox):
    _, token = make_invite(session)
    start_response(client, token)
    client.post(f"/r/{token}/submit")
    assert "confirmation" not in text(client.get(f"/r/{token}/done"))
    assert inbox.messages == []


def test_a_respondent_row_keeps_no_carry_on_key_in_the_clear(first, second, session, world,
                                                             inbox):
    ask_for_link(second, world["token"])
    [link] = LINK.findall(inbox.messages[0].get_body(preferencelist=("plain",)).get_content())
    key = link.rsplit("/", 1)[1]
    session.expire_all()
    row = session.get(Respondent, world["respondent"].id)
    assert row.carry_on_hash and key not in row.carry_on_hash
