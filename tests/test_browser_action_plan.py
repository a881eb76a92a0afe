"""A coordinator, in a real Chromium, adds a recommendation to the action plan, edits it (saved
by htmx, no page load), and downloads the report whose PDF carries the edited action."""


import pytest
from pypdf import PdfReader
from sqlmodel import select

from app.models import ActionItem
from tests.factories import (
    PASSWORD,
    answer_all,
    close,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)
from tests.report_helpers import worst
from tests.test_browser_respond import assert_accessible

# One worker runs every browser test, with the one Chromium (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pages")]


def test_coordinator_edits_the_plan_and_downloads_the_report(browser, live_server, session,
                                                             core):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    answer_all(session, round_, core, worst)  # low everywhere: strategies recommended
    close(session, round_)  # recommendations come from the results, which need the close
    coordinator = make_user(session, org, coordinates=[partnership])
    context = browser.new_context(viewport={"width": 1024, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server}/sign-in")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/rounds/{round_.id}")
    page.get_by_role("link", name="Action plan").click()
    assert page.locator("h1").inner_text() == "Action plan"
    page.locator("#recommendations ~ ol button").first.click()
    page.locator("#plan-rows > tr").wait_for()  # added by htmx, no page load
    item = session.exec(select(ActionItem)).one()
    block = page.locator(f"#action-{item.id}")
    block.wait_for()
    assert_accessible(page)

    # htmx swaps only this action's row: a marker set on the page survives the save.
    page.evaluate("window.notReloaded = true")
    block.get_by_role("link", name="Change action 1").click()
    block.get_by_label("Action", exact=True).fill("Run a joint induction for Ynys Môn staff")
    block.get_by_label("Lead").fill("Siân Jones")
    block.get_by_label("Owning agency").select_option(label="Testshire Health")
    block.get_by_label("Status").select_option(label="In progress")
    block.get_by_label("Day").fill("32")
    block.get_by_label("Month").fill("3")
    block.get_by_label("Year").fill("2027")
    block.get_by_role("button", name="Save action 1").click()
    page.locator(f"#action-{item.id} .govuk-error-summary").wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert page.locator(f"#action-{item.id}-lead").input_value() == "Siân Jones"
    page.locator(f"#action-{item.id}-target-day").fill("31")
    page.locator(f"#action-{item.id}").get_by_role("button", name="Save action 1").click()
    page.locator(f"#action-{item.id}-saved").get_by_text("Action 1 saved.").wait_for()
    assert page.evaluate("window.notReloaded") is True
    session.expire_all()
    assert session.get(ActionItem, item.id).lead == "Siân Jones"
    assert_accessible(page)

    page.goto(f"{live_server}/rounds/{round_.id}/results")
    # WeasyPrint lays out the pages on request: allow what a busy two-core machine needs, not
    # the 30 s default.
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the report (PDF)").click()
    pdf = PdfReader(info.value.path())
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
    assert "Run a joint induction for Ynys Môn staff" in text
    assert "Siân Jones" in text
    assert "In progress" in text
    assert errors == []
    context.close()
