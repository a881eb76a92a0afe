"""A coordinator, in a real Chromium, signs in, opens a round, invites three board members
from two agencies and copies a link; every page passes an axe-core check."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.clock import UK
from app.models import AssessmentRound, Respondent, RoundStatus
from tests.factories import PASSWORD, make_organisation, make_partnership, make_user
from tests.test_browser_respond import assert_accessible

# One worker runs every browser test, with the one Chromium (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]

READ_CLIPBOARD = """() => Promise.race([
    navigator.clipboard.readText(),
    new Promise((_, fail) => setTimeout(() => fail(new Error("no clipboard after 60 s")), 60000)),
])"""


def test_coordinator_opens_a_round_and_invites_the_board(browser, live_server, session):
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Testshire Early Help",
                                   agencies=(("Testshire Health", "health"),
                                             ("Testshire Schools", "education")))
    coordinator = make_user(session, org, coordinates=[partnership])
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server}/dashboard")
    expect(page).to_have_title(re.compile("^" + "Sign in"))
    assert_accessible(page)
    page.get_by_label("Email address").fill(coordinator.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Your partnerships"
    assert_accessible(page)

    page.get_by_role("link", name="Testshire Early Help").click()
    assert_accessible(page)
    page.get_by_role("button", name="Open a new round").click()
    assert_accessible(page)
    page.get_by_role("button", name="Open round").click()  # no closing date yet
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    closes = datetime.now(UK).date() + timedelta(days=28)
    page.get_by_label("Day").fill(str(closes.day))
    page.get_by_label("Month").fill(str(closes.month))
    page.get_by_label("Year").fill(str(closes.year))
    page.get_by_role("button", name="Open round").click()
    assert page.locator("h1").inner_text() == "Round 1"
    assert_accessible(page)

    people = [("Ann Able", "ann@example.org", "Testshire Health", "Strategic"),
              ("Ben Baker", "ben@example.org", "Testshire Health", "Operational"),
              ("Cal Cole", "cal@example.org", "Testshire Schools", "Strategic")]
    for name, email, agency, level in people:
        page.get_by_label("Full name").fill(name)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Agency", exact=True).select_option(label=agency)
        page.get_by_label(level).check()
        page.get_by_role("button", name="Invite", exact=True).click()
        assert page.locator(".govuk-panel__title").inner_text() == f"{name} has been invited"
        link = page.locator(".maps-links .maps-copy__text").input_value()
        assert "/r/" in link
        if name == "Ann Able":
            assert_accessible(page)
            page.get_by_role("button", name="Copy link").click()
            page.get_by_text("Link copied").wait_for()
            # Reading the clipboard needs a focused page, and its promise never settles
            # otherwise: bring the page to the front, and fail rather than hang.
            page.bring_to_front()
            assert page.evaluate(READ_CLIPBOARD) == link
            copied = link
        page.get_by_role("link", name="Invite another board member").click()

    rows = page.locator("#response-rate tbody tr")
    assert rows.nth(0).inner_text().split()[-3:] == ["2", "0", "0%"]
    assert rows.nth(1).inner_text().split()[-3:] == ["1", "0", "0%"]
    assert errors == []

    session.expire_all()
    round_ = session.exec(select(AssessmentRound)).one()
    assert round_.status == RoundStatus.open
    invited = session.exec(select(Respondent).where(Respondent.round_id == round_.id)).all()
    assert sorted(r.email for r in invited) == ["ann@example.org", "ben@example.org",
                                                "cal@example.org"]
    # The copied link opens Ann's questionnaire, with no account, once she starts.
    board = browser.new_page()
    board.goto(copied)
    assert board.locator("h1").inner_text() != "Sign in to MAPS"
    board.get_by_role("button", name="Start").click()
    assert "/s/" in board.url
    board.close()
    context.close()


def test_inviting_without_javascript_on_a_narrow_screen(browser, live_server, session):
    from tests.factories import make_invite, make_round
    from tests.test_browser_respond import assert_fits_width

    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    for n in range(3):
        make_invite(session, round_, name=f"Long-named Board Member {n}",
                    email=f"a.rather.long.address.{n}@example.org")
    coordinator = make_user(session, org, coordinates=[partnership])
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/rounds/{round_.id}")
    assert_fits_width(page)
    page.locator("#name").fill("Dee Dale")
    page.locator("#email").fill("dee.dale.with.a.long.address@example.org")
    page.locator("#agency").select_option(label="Testshire Schools")
    page.get_by_role("button", name="Invite", exact=True).click()
    assert page.locator(".govuk-panel__title").inner_text() == "Dee Dale has been invited"
    assert_fits_width(page)
    assert not page.locator(".maps-links .maps-copy__button").is_visible()
    assert "/r/" in page.locator(".maps-links .maps-copy__text").input_value()
    context.close()
