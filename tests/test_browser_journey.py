"""The whole journey in a real Chromium: an organisation admin creates a partnership and
appoints its coordinator; the coordinator adds agencies, opens a round and invites three
people from two agencies; they answer; the coordinator closes the round; the admin sees the
partnership in the comparison and opens its results."""

from datetime import datetime, timedelta

import pytest

from app.clock import UK
from app.models import Role
from app.questionnaires.paging import pages
from tests.factories import PASSWORD, make_organisation, make_user

# One worker runs every browser test, with the one Chromium (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]


def sign_in(page, base, user):
    page.goto(f"{base}/sign-in")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_from_new_partnership_to_comparison(browser, live_server, session, core):
    org = make_organisation(session, name="Journeyshire Council")
    admin = make_user(session, org, role=Role.org_admin, name="Ada Admin")
    coordinator = make_user(session, org, name="Cy Coordinator")
    session.commit()

    admin_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(admin_page, live_server, admin)
    admin_page.get_by_role("button", name="Create a partnership").click()
    admin_page.get_by_label("Name").fill("Journeyshire Family Hub Board")
    admin_page.get_by_role("button", name="Create partnership").click()
    admin_page.get_by_label("Appoint a coordinator").select_option(
        label=f"{coordinator.name} ({coordinator.email})")
    admin_page.get_by_role("button", name="Appoint").click()
    partnership_url = admin_page.url

    coord_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(coord_page, live_server, coordinator)
    coord_page.goto(partnership_url)
    for name, sector in (("Journeyshire Health", "health"), ("Journeyshire Schools", "education")):
        coord_page.get_by_label("Agency name").fill(name)
        coord_page.get_by_label("Sector").select_option(value=sector)
        coord_page.get_by_role("button", name="Add agency").click()
    coord_page.get_by_role("button", name="Open a new round").click()
    closes = datetime.now(UK).date() + timedelta(days=14)
    coord_page.get_by_label("Day").fill(str(closes.day))
    coord_page.get_by_label("Month").fill(str(closes.month))
    coord_page.get_by_label("Year").fill(str(closes.year))
    coord_page.get_by_role("button", name="Open round").click()
    round_url = coord_page.url

    links = []
    people = [("Ann Able", "Journeyshire Health", "Strategic"),
              ("Ben Baker", "Journeyshire Health", "Operational"),
              ("Cal Cole", "Journeyshire Schools", "Strategic")]
    for n, (name, agency, level) in enumerate(people):
        coord_page.get_by_label("Full name").fill(name)
        coord_page.get_by_label("Email address").fill(f"person{n}@example.org")
        coord_page.get_by_label("Agency", exact=True).select_option(label=agency)
        coord_page.get_by_label(level).check()
        coord_page.get_by_role("button", name="Invite", exact=True).click()
        links.append(coord_page.locator(".maps-links .maps-copy__text").input_value())
        coord_page.get_by_role("link", name="Invite another board member").click()

    # The board answers without JavaScript: one ordinary form per page.
    board = browser.new_context(java_script_enabled=False)
    for n, link in enumerate(links):
        page = board.new_page()
        page.goto(link)
        page.get_by_role("button", name="Start").click()
        for questions in pages(core):  # each part, on pages of at most twelve questions
            assert page.locator("h1").inner_text().startswith(questions.section.title)
            for item in questions.items:
                options = item.scale.scored
                choice = options[-1] if (n < 2) != item.reverse else options[0]
                page.locator(f"input[name={item.id}][value='{choice.value}']").check()
            page.get_by_role("button", name="Save and continue").click()
        page.get_by_role("button", name="Submit my answers").click()
        assert page.locator(".govuk-panel__title").inner_text() == "Response submitted"
        page.close()
    board.close()

    coord_page.goto(round_url)
    assert "3" in coord_page.locator("#response-rate").inner_text()
    coord_page.get_by_role("link", name="Close the round").click()
    coord_page.get_by_role("button", name="Close the round").click()
    assert "closed" in coord_page.locator(".govuk-notification-banner").inner_text()

    admin_page.get_by_role("link", name="Compare partnerships").click()
    admin_page.wait_for_url("**/compare")
    row = admin_page.locator("#comparison-table tbody tr",
                             has_text="Journeyshire Family Hub Board")
    row.first.wait_for()  # count() does not wait for the page to arrive
    assert row.count() == 1
    assert "100%" in row.inner_text()  # three of three invited answered
    row.get_by_role("link", name="Journeyshire Family Hub Board").click()
    assert admin_page.url.endswith("/results")
    assert "Journeyshire Family Hub Board" in admin_page.locator("h1").first.inner_text()
    # axe: the comparison and results pages are checked at three widths by
    # test_browser_accessibility.py and test_browser_compare.py.
