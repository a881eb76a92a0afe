"""From the coordinator's invitation to a submitted response, in a real Chromium: the
coordinator invites a board member on the several-people page and previews the wording; MAPS
emails the invitation to a real SMTP server on loopback; the board member opens the link in
that email, answers, checks their answers, changes one and submits. axe-core checks every
page of the invitation slice on the way."""

import re

import pytest
from sqlmodel import select

from app.models import Answer, Respondent
from tests import smtp
from tests.factories import PASSWORD, make_organisation, make_partnership, make_round, make_user
from tests.test_browser_respond import assert_accessible, assert_fits_width

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]


def test_from_the_invitation_email_to_a_submitted_response(browser, live_server, session, core,
                                                          inbox):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    coordinator = make_user(session, org, coordinates=[partnership])
    session.commit()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email address").fill(coordinator.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/rounds/{round_.id}")
    page.get_by_role("link", name="Invitation email").click()
    page.get_by_label("Message").fill("Dear {name}, please answer by {closing_date}. {nosuch}")
    page.get_by_role("button", name="Preview").click()
    summary = page.locator(".govuk-error-summary")
    assert "‘{nosuch}’ is not a placeholder" in summary.inner_text()
    assert_accessible(page)
    page.get_by_label("Message").fill("Dear {name}, please answer by {closing_date}.")
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#preview").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save the wording").click()

    page.goto(f"{live_server}/rounds/{round_.id}/invites/new")
    assert_accessible(page)
    page.get_by_role("button", name="Add another board member").click()
    assert page.locator("input[name^=name-]").count() == 4
    page.get_by_label("Full name").first.fill("Ann Able")
    page.get_by_label("Email address").first.fill("ann@example.org")
    page.get_by_label("Agency", exact=True).first.select_option(label="Testshire Health")
    page.get_by_label("Email address").nth(1).fill("no-name@example.org")
    page.get_by_role("button", name="Invite these board members").click()
    assert page.locator(".govuk-error-summary").is_visible()  # row 2 has no name or agency
    assert page.get_by_label("Email address").first.input_value() == "ann@example.org"
    assert_accessible(page)
    page.get_by_label("Email address").nth(1).fill("")
    page.get_by_role("button", name="Invite these board members").click()
    assert page.locator(".govuk-panel__title").inner_text() == "1 board member has been invited"
    assert page.locator(".govuk-tag").inner_text() == "Sent"
    assert_accessible(page)
    page.goto(f"{live_server}/rounds/{round_.id}")
    assert "Invitation: Sent" in page.locator("#invites ~ .maps-table-region").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Withdraw invite")).click()
    assert page.locator("h1").inner_text() == "Withdraw the invitation of Ann Able?"
    assert_accessible(page)
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Reminders").click()
    assert "Last reminder" in page.locator("table").inner_text()
    assert_accessible(page)
    assert errors == []
    context.close()

    [message] = inbox.messages
    text, _ = smtp.parts(message)
    assert text.startswith("Dear Ann Able, please answer by ")
    link = re.search(r"http://127\.0\.0\.1:\d+/r/\S+", text).group(0)
    assert link.startswith(live_server)

    # The board member, on a phone-sized screen, opens the link in the email.
    member = browser.new_context(viewport={"width": 320, "height": 700}).new_page()
    member.on("pageerror", lambda exc: errors.append(str(exc)))
    member.goto(link)
    assert_fits_width(member)
    member.get_by_role("button", name="Start").click()
    member.get_by_label("Testshire Health").check()
    member.get_by_label("Operational").check()
    member.get_by_role("button", name="Continue").click()
    first = core.sections[0]
    for item in first.items:
        member.locator(f"input[name={item.id}]").first.check()
    with member.expect_navigation():
        member.get_by_role("button", name="Save and continue").click()
    review = link.rstrip("/") + "/review"
    member.goto(review)
    assert member.locator("h1").inner_text().startswith("Check your answers")
    assert_fits_width(member)
    # Change one: open its part, follow the link to the question, give it another answer.
    changed = core.sections[1].items[0]
    member.locator("#part-2 summary").click()
    member.locator(f"#part-2 a[href*='/s/{changed.section_id}']").first.click()
    member.locator(f"input[name={changed.id}]").last.check()
    with member.expect_navigation():
        member.get_by_role("button", name="Save and continue").click()
    member.goto(review)
    member.get_by_role("button", name="Submit my answers").click()
    assert member.locator(".govuk-panel__title").inner_text() == "Response submitted"
    assert errors == []

    session.expire_all()
    respondent = session.exec(select(Respondent).where(
        Respondent.email == "ann@example.org")).one()
    assert respondent.submitted_at is not None
    saved = {a.item_id: a.value for a in session.exec(
        select(Answer).where(Answer.respondent_id == respondent.id))}
    assert saved[changed.id] == changed.scale.options[-1].value
    assert all(saved[item.id] == item.scale.options[0].value for item in first.items)
