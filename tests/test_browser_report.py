"""A coordinator of a partnership with two closed rounds sees what changed on the results
page, asks for the PDF, watches its progress page and gets the file under its own name."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
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


def signed_in(context, base: str, user):
    """A page of the browser context, signed in as the user."""
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard")
    return page


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
    page = signed_in(context, live_server, coordinator)
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
        page.locator("#report-progress").wait_for(timeout=30_000)
    download = info.value
    assert download.suggested_filename == "ynys-mon-early-help-spring-2026-" \
        f"{second.closed_at.date().isoformat()}.pdf"
    text = " ".join((p.extract_text() or "") for p in PdfReader(download.path()).pages)
    assert "What changed since Spring 2025" in text
    assert "answers to every question" in text  # the appendix, as asked
    context.close()


def test_the_progress_page_reads_out_its_place_then_the_download(browser, live_server, app,
                                                                  session, core):
    """With JavaScript: the place in the queue in a polite live region, updated as it moves,
    then the ready report downloaded; no refresh of the page, axe content. Without: a Check
    again button that brings the same news."""
    from app.services import report_jobs
    from tests.test_browser_accessibility import problems_on

    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Queue Partnership")
    rounds = []
    for n in range(3):
        round_ = make_round(session, partnership, title=f"Round {n + 1}")
        answer_all(session, round_, core, best)
        rounds.append(close(session, round_))
    coordinator = make_user(session, org, coordinates=[partnership])
    app.state.report_workers.stop()  # the queue waits until the test lets it move
    ahead = [report_jobs.start(session, round_=r, partnership=partnership, user=coordinator,
                               appendix=True) for r in rounds[1:]]

    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = signed_in(context, live_server, coordinator)
    page.goto(f"{live_server}/rounds/{rounds[0].id}/results")
    page.get_by_role("button", name="Download the report (PDF)").click()
    page.get_by_role("heading", name="Your report is waiting").wait_for()
    region = page.locator("#report-progress")
    expect(region).to_contain_text("2 reports are waiting ahead of yours in the queue")
    assert page.locator('meta[http-equiv="refresh" i]').count() == 0
    assert region.get_attribute("role") == "status"
    assert region.get_attribute("aria-live") == "polite"
    assert not page.get_by_role("button", name="Check again").is_visible()
    assert problems_on(page, "report progress, waiting") == []
    region.evaluate("node => { window.regionBefore = node; }")

    report_jobs.claim_next(session)  # the first ahead is being made
    expect(region).to_contain_text("1 report is waiting ahead of yours in the queue")
    assert region.evaluate("node => node === window.regionBefore")  # read out where it was
    with page.expect_download(timeout=120_000) as info:
        app.state.report_workers.start()
        report_jobs.run(app.state.engine, ahead[0].id, app.state.catalogue)
        expect(page.get_by_role("heading", name="Your report is ready")).to_be_visible(
            timeout=120_000)
    assert info.value.suggested_filename.startswith("queue-partnership-round-1-")
    expect(region).to_contain_text("Your browser should download it now")
    assert problems_on(page, "report progress, ready") == []
    context.close()

    # Without JavaScript: the same page, and a button to look again.
    app.state.report_workers.stop()
    plain = browser.new_context(viewport={"width": 320, "height": 800},
                                java_script_enabled=False)
    page = signed_in(plain, live_server, coordinator)
    page.goto(f"{live_server}/rounds/{rounds[1].id}/results")
    page.get_by_role("button", name="Download the report (PDF)").click()
    expect(page.locator("#report-progress")).to_contain_text("Yours is next in the queue")
    check = page.get_by_role("button", name="Check again")
    expect(check).to_be_visible()
    app.state.report_workers.start()
    for _ in range(120):  # as a person would, pressing it until the report is ready
        check.click()
        page.wait_for_load_state()
        if page.get_by_role("heading", name="Your report is ready").count():
            break
    expect(page.locator("#report-file")).to_have_text(
        f"Download queue-partnership-round-2-{rounds[1].closed_at.date().isoformat()}.pdf")
    plain.close()
