"""A coordinator of a partnership with two closed rounds sees what changed on the results
page, asks for the PDF, watches its progress page and gets the file under its own name."""

from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from app.questionnaires.loader import load_catalogue
from app.services.results import summarise
from tests.factories import (
    PASSWORD,
    answer_all,
    close,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)
from tests.report_helpers import best, worst

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pages")]


def test_two_rounds_show_the_change_and_the_pdf_arrives_after_progress(
        browser, live_server, session, core):
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Ynys Môn Early Help")
    now = datetime.now(UTC)
    first = make_round(session, partnership, title="Spring 2025",
                       opens_at=now - timedelta(days=400), closes_at=now - timedelta(days=370))
    answer_all(session, first, core, worst)
    close(session, first)
    second = make_round(session, partnership, title="Spring 2026")
    answer_all(session, second, core, best)
    close(session, second)
    catalogue = load_catalogue()
    for round_ in (first, second):  # as closing in MAPS keeps them, for the trend
        summarise(session, round_, catalogue)
    session.commit()
    coordinator = make_user(session, org, coordinates=[partnership])

    context = browser.new_context(viewport={"width": 1024, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/rounds/{second.id}/results")
    change = page.locator("#change")
    assert "What changed since Spring 2025" in change.locator("h2").inner_text()
    assert "up" in page.locator("#summary").inner_text()
    assert change.locator("table.report-changes tbody tr").count() > 0
    # The contents are links that look like links (GOV.UK's colour), and body text is 16px+.
    link = page.locator("#contents a").first
    assert link.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline"
    assert float(page.locator("#about + p").evaluate(
        "p => parseFloat(getComputedStyle(p).fontSize)")) >= 16

    # The partnership page draws the trend across its rounds, with its table.
    page.goto(f"{live_server}/partnerships/{partnership.id}")
    assert page.locator("#chart-trend").count() == 1
    rows = page.locator("#trend ~ .maps-table-region tbody tr")
    assert rows.count() == 2 and "Spring 2025" in rows.first.inner_text()
    page.goto(f"{live_server}/rounds/{second.id}/results")

    page.get_by_label("Add the appendix").check()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the report (PDF)").click()
        page.get_by_role("heading", name="Making your report").wait_for(timeout=30_000)
    download = info.value
    assert download.suggested_filename == "ynys-mon-early-help-spring-2026-" \
        f"{second.closed_at.date().isoformat()}.pdf"
    text = " ".join((p.extract_text() or "") for p in PdfReader(download.path()).pages)
    assert "What changed since Spring 2025" in text
    assert "answers to every question" in text  # the appendix, as asked
    context.close()
