"""Issue 25's proof, in Chromium at 375 px: Start in the first screen, the task list and Submit
within the first two (JavaScript on and off); a link opened in a second browser after
submitting and after closing; carrying on through an emailed link (a real SMTP server) with
every answer kept; with the network cut, "Not saved" and the retry landing once it is back;
a server error in plain words; leaving with an unsaved answer warns; axe on each new page."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.models import Answer, AssessmentRound, RoundStatus
from app.questionnaires.paging import pages
from tests.factories import CORE
from tests.test_browser_respond import assert_accessible, assert_fits_width
from tests.test_browser_respond_reach import ready_to_answer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]

PHONE = {"width": 375, "height": 667}  # a small phone's screen, in CSS pixels
FIRST = pages(CORE)[0]


def check_accessible(page, javascript: bool, **options):
    """axe, where the page runs scripts: axe-core is one (its run waits on the page's event
    loop, which never turns with JavaScript off). The same HTML is checked with it on."""
    if javascript:
        assert_accessible(page, **options)


def screens_to(page, selector: str) -> float:
    """How many screens down the page the element's foot is: 1.0 is the foot of the first."""
    bottom = page.locator(selector).first.evaluate(
        "e => e.getBoundingClientRect().bottom + window.scrollY")
    return bottom / PHONE["height"]


def start(page, base: str, token: str):
    page.goto(f"{base}/r/{token}")
    page.get_by_role("button", name="Start now").click()
    page.wait_for_url(f"**/{FIRST.path}?started=1")


def answer(page, item, option: int = 0):
    page.locator(f"input[name={item.id}]").nth(option).check()


def saved(session, respondent) -> dict[str, str]:
    session.expire_all()
    return {a.item_id: a.value for a in session.exec(
        select(Answer).where(Answer.respondent_id == respondent.id)) if a.value}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_start_the_task_list_and_submit_fit_the_first_screens_of_a_phone(
        browser, live_server, session, javascript):
    _, token = ready_to_answer(session)
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server}/r/{token}")
    assert screens_to(page, "button.govuk-button--start") <= 1
    start(page, live_server, token)
    assert screens_to(page, "a.maps-parts-link") <= 1
    assert_fits_width(page, PHONE["width"])
    page.locator("a.maps-parts-link").click()
    expect(page.locator("h1")).to_have_text("Your self-assessment")
    assert_fits_width(page, PHONE["width"])
    check_accessible(page, javascript)
    page.get_by_role("link", name="Check your answers and submit").click()
    assert screens_to(page, "form[action$='/submit'] button") <= 2
    assert screens_to(page, "a.maps-parts-link") <= 1
    assert_fits_width(page, PHONE["width"])
    # A part opens to its answers with a link to change each (a <details>: no script needed).
    page.locator("#part-1 summary").click()
    expect(page.locator("#part-1 .govuk-summary-list__row").first).to_be_visible()
    check_accessible(page, javascript,
                     context={"exclude": [["details.maps-review-part:nth-of-type(n+2)"]]})
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_second_browser_is_told_the_state_after_submitting_and_after_closing(
        browser, live_server, session, javascript):
    respondent, token = ready_to_answer(session)
    first = browser.new_context(viewport=PHONE, java_script_enabled=javascript).new_page()
    start(first, live_server, token)
    answer(first, FIRST.items[0])
    first.get_by_role("link", name="All parts and your progress").click()
    first.get_by_role("link", name="Check your answers and submit").click()
    first.get_by_role("button", name="Submit my answers").click()
    expect(first.locator(".govuk-panel__title")).to_have_text("Response submitted")
    check_accessible(first, javascript)

    second = browser.new_context(viewport=PHONE, java_script_enabled=javascript).new_page()
    second.goto(f"{live_server}/r/{token}")
    heading = second.locator("h1")
    expect(heading).to_have_text(re.compile(r"^You submitted your answers on \d+ \w+$"))
    assert second.locator("input#code").count() == 0
    assert_fits_width(second, PHONE["width"])
    check_accessible(second, javascript)

    session.expire_all()
    round_ = session.get(AssessmentRound, respondent.round_id)
    round_.status, round_.closed_at = RoundStatus.closed, datetime.now(UTC)
    session.add(round_)
    session.commit()
    second.reload()
    expect(heading).to_have_text("This assessment round has closed")
    assert "were submitted on" in second.locator("main").inner_text()
    assert second.locator("input#code").count() == 0
    check_accessible(second, javascript)
    first.context.close()
    second.context.close()


def test_carrying_on_through_an_emailed_link_keeps_every_answer(browser, live_server, session,
                                                               inbox):
    respondent, token = ready_to_answer(session, email="ann@example.org")
    laptop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    start(laptop, live_server, token)
    chosen = {item.id: item.scale.options[n % 3].value
              for n, item in enumerate(FIRST.items[:4])}
    for n, item in enumerate(FIRST.items[:4]):
        answer(laptop, item, n % 3)
        laptop.locator("#progress-count").get_by_text(f"{n + 1} of", exact=False).wait_for()
    assert saved(session, respondent) == chosen

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{live_server}/r/{token}")
    expect(phone.locator("h1")).to_have_text("Carry on in this browser")
    assert "ann@example.org" in phone.locator("main").inner_text()
    assert_accessible(phone)
    phone.get_by_role("button", name="Email me a link to carry on").click()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text(
        "We have emailed a link to ann@example.org")
    [message] = inbox.to("ann@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server)}/r/\S+/carry-on/\S+", text).group(0)
    phone.goto(link)
    expect(phone.locator("h1")).to_have_text("Carry on in this browser")
    assert_accessible(phone)
    phone.get_by_role("button", name="Carry on here").click()
    # Every answer kept, shown here with the new resume code; the laptop no longer opens them.
    phone.wait_for_url(f"**/{FIRST.path}?started=1")
    expect(phone.locator("#resume-code .maps-code")).to_be_visible()
    for item_id, value in chosen.items():
        expect(phone.locator(f"input[name={item_id}][value='{value}']")).to_be_checked()
    laptop.reload()
    laptop.wait_for_url("**/resume")
    laptop.goto(link)  # it worked once
    expect(laptop.locator("h1")).to_have_text("This link no longer works")
    assert saved(session, respondent) == chosen
    laptop.context.close()
    phone.context.close()


def test_with_the_network_cut_the_page_says_not_saved_and_the_retry_lands(
        browser, live_server, session):
    respondent, token = ready_to_answer(session)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    start(page, live_server, token)
    status, counter = page.locator("#autosave-status"), page.locator("#progress-count")
    context.set_offline(True)
    answer(page, FIRST.items[0], 1)
    expect(status).to_have_text(re.compile("^Not saved – check your connection"))
    expect(counter).to_have_text(f"0 of {len(CORE.items)} questions answered")
    # Leaving now asks first; staying keeps the page and its unsaved answer.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.locator("a.maps-parts-link").click()
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"{FIRST.path}?started=1")
    context.set_offline(False)
    status.locator(".maps-saved").wait_for()  # the retry, at once or after its backoff
    expect(counter).to_have_text(f"1 of {len(CORE.items)} questions answered")
    item = FIRST.items[0]
    assert saved(session, respondent) == {item.id: item.scale.options[1].value}
    # Saved: leaving asks nothing now.
    page.locator("a.maps-parts-link").click()
    expect(page.locator("h1")).to_have_text("Your self-assessment")
    assert dialogs == ["beforeunload"]
    context.close()


def test_a_server_error_is_said_in_plain_words_and_the_save_tried_again(
        browser, live_server, session):
    respondent, token = ready_to_answer(session)
    page = browser.new_context(viewport=PHONE).new_page()
    start(page, live_server, token)
    failures = []

    def fail_once(route):
        if not failures:
            failures.append(route.request.url)
            route.fulfill(status=500, body="<h1>Internal Server Error</h1><pre>Traceback</pre>",
                          content_type="text/html")
        else:
            route.continue_()

    page.route("**/answer", fail_once)
    status = page.locator("#autosave-status")
    # Every text the status holds, however briefly (a live region reads out what it is given).
    page.evaluate("""() => { window.statusTexts = [];
      new MutationObserver(records => records.forEach(record => record.addedNodes.forEach(
        node => window.statusTexts.push(node.textContent)))).observe(
        document.getElementById("autosave-status"), {childList: true, subtree: true}); }""")
    answer(page, FIRST.items[0], 2)
    expect(status).to_have_text(re.compile("^Not saved – check your connection"))
    status.locator(".maps-saved").wait_for()  # the retry, unaided
    assert re.fullmatch(r"Saved at \d\d:\d\d", status.inner_text().strip())
    assert len(failures) == 1
    shown = page.evaluate("window.statusTexts")
    assert not [t for t in shown if "Traceback" in t or "Internal" in t], shown
    item = FIRST.items[0]
    assert saved(session, respondent) == {item.id: item.scale.options[2].value}
    page.context.close()


def test_the_no_javascript_back_link_saves_the_page(browser, live_server, session):
    respondent, token = ready_to_answer(session)
    page = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    start(page, live_server, token)
    page.get_by_role("button", name="Save and continue").click()
    second = pages(CORE)[1]
    page.wait_for_url(f"**/{second.path}")
    answer(page, second.items[0], 1)
    page.get_by_role("button", name=re.compile("^Back")).click()
    page.wait_for_url(f"**/{FIRST.path}")
    item = second.items[0]
    assert saved(session, respondent) == {item.id: item.scale.options[1].value}
    page.context.close()


def test_a_member_prints_or_downloads_their_own_answers(browser, live_server, session):
    respondent, token = ready_to_answer(session)
    page = browser.new_context(viewport=PHONE, accept_downloads=True).new_page()
    start(page, live_server, token)
    answer(page, FIRST.items[0], 0)
    page.locator("#autosave-status .maps-saved").wait_for()
    page.goto(f"{live_server}/r/{token}/review")
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("link", name="See your answers to print them").click()
    expect(page.locator("h1")).to_have_text("Your answers")
    expect(page.get_by_role("button", name="Print your answers")).to_be_visible()
    assert FIRST.items[0].scale.options[0].label in page.locator(".maps-review").first.inner_text()
    assert_fits_width(page, PHONE["width"])
    assert_accessible(page, context={"exclude": [["dl.maps-review:nth-of-type(n+3)"]]})
    with page.expect_download() as download:
        page.get_by_role("link", name="Download them as a CSV file").click()
    assert FIRST.items[0].text in download.value.path().read_text(encoding="utf-8")
    page.context.close()
