"""An organisation administrator, in a real Chromium, uploads a definition with mistakes, reads
them by line, uploads the corrected file and sees it installed; a coordinator then opens a
round with it. Every page passes an axe-core check."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from app.clock import UK
from app.models import AssessmentRound, Role
from tests.conftest import DATA
from tests.factories import PASSWORD, make_organisation, make_partnership, make_user
from tests.test_browser_respond import assert_accessible

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_uploads_an_instrument_and_a_coordinator_uses_it(browser, live_server,
                                                                  session, tmp_path):
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Testshire Early Help")
    coordinator = make_user(session, org, coordinates=[partnership])
    admin = make_user(session, org, role=Role.org_admin, email="admin@testshire.example")
    good = DATA / "partnership-factors.yaml"
    bad = tmp_path / "factors.yaml"
    bad.write_text(good.read_text().replace("label: Neutral}", "label: Neutral, valeu: 3}"))
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, live_server, admin)
    page.get_by_role("link", name="Questionnaires").click()
    assert page.locator("h1").inner_text() == "Questionnaires"
    assert_accessible(page)
    page.get_by_label("Definition file").set_input_files(bad)
    page.get_by_role("button", name="Check and install").click()
    assert "factors.yaml has 1 problem" in page.locator(".govuk-error-summary").inner_text()
    problem = page.locator("#problems ~ .maps-table-region table tbody tr").first.inner_text()
    assert problem.split("\t")[0] == "15"
    assert "unknown field 'valeu' in an option" in problem
    assert_accessible(page)
    page.get_by_label("Definition file").set_input_files(good)
    page.get_by_role("button", name="Check and install").click()
    assert page.locator("h1").inner_text() == "Partnership factors check"
    assert "is installed" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)

    context.clear_cookies()
    sign_in(page, live_server, coordinator)
    page.goto(f"{live_server}/partnerships/{partnership.id}/rounds/new")
    page.get_by_label("Partnership factors check (version 1)").check()
    closes = datetime.now(UK).date() + timedelta(days=28)
    page.get_by_label("Day").fill(str(closes.day))
    page.get_by_label("Month").fill(str(closes.month))
    page.get_by_label("Year").fill(str(closes.year))
    page.get_by_role("button", name="Open round").click()
    assert page.locator("h1").inner_text() == "Round 1"
    assert "Partnership factors check (version 1)" in page.locator("main").inner_text()
    assert errors == []
    session.expire_all()
    assert session.exec(select(AssessmentRound)).one().questionnaire_key == \
        "partnership-factors"
