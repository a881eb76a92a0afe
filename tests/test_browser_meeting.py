"""The board meeting in a real Chromium: a coordinator runs a discussion of five items from the
keyboard and finds what the board agreed on the results page, in the action plan and in the
PDF; three phones vote on one question and the spread appears only at the threshold; the
presenter's screens work without JavaScript. The presenter, vote and record pages have no
serious or critical axe violations at 1280 and 320 px, and do not scroll sideways."""

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from app.models import ActionItem, AgendaItem
from app.services import meetings
from tests.conftest import BROWSER_WAIT_MS
from tests.factories import (
    PASSWORD,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)
from tests.meeting_helpers import agenda_of, divided_round
from tests.test_browser_accessibility import problems_on

# One worker runs every browser test, with the one Chromium (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pages")]


def sign_in_page(browser, live_server, user, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/dashboard")
    return page


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on `selector`, as a keyboard user gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def choose(page, value: str) -> None:
    """Tab into the outcome radios and arrow down to the one with `value` (arrows select)."""
    tab_to(page, "input[name=outcome]")
    page.keyboard.press("Space")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no outcome {value}")


def meeting_of_five(session, core, catalogue):
    """A closed, divided round whose discussion keeps five items: two questions, a factor, a
    placement and a recommendation."""
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = divided_round(session, make_round(session, partnership), core)
    coordinator = make_user(session, org, coordinates=[partnership])
    meetings.start(session, round_=round_, partnership=partnership, day="14", month="5",
                   year="2027", started_by=coordinator, catalogue=catalogue)
    items = agenda_of(session, round_)
    keep = [i for i in items if i.kind == "question"][:2] + [
        next(i for i in items if i.kind == kind) for kind in ("factor", "placement",
                                                                "recommendation")]
    for item in items:
        if item not in keep:
            session.delete(item)
    for position, item in enumerate(keep, start=1):
        item.position = position
        session.add(item)
    session.commit()
    return round_, coordinator, keep


def test_a_coordinator_runs_five_items_from_the_keyboard(browser, live_server, session, core,
                                                         catalogue):
    round_, coordinator, items = meeting_of_five(session, core, catalogue)
    page = sign_in_page(browser, live_server, coordinator, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    screen = f"{live_server}/rounds/{round_.id}/board/present/"
    page.goto(f"{screen}1")
    found = problems_on(page, "presenter, a question")

    def record(number: int, outcome: str, note: str, action: dict | None = None):
        """From item `number`'s screen: Tab to its record link, fill the form, save."""
        expect(page).to_have_url(f"{screen}{number}")
        tab_to(page, f"a[href$='/items/{items[number - 1].id}']")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_be_visible()
        choose(page, outcome)
        tab_to(page, "#note")
        page.keyboard.type(note)
        page.keyboard.press("ArrowLeft")  # in a text box, the arrows stay in the text
        expect(page).to_have_url(f"{live_server}/rounds/{round_.id}/board/items/"
                                 f"{items[number - 1].id}")
        if action:
            tab_to(page, "#action-text")
            page.keyboard.type(action["text"])
            tab_to(page, "#action-owner")
            page.keyboard.press("ArrowDown")  # the first agency
            tab_to(page, "#action-lead")
            page.keyboard.type(action["lead"])
            for box, value in zip(("day", "month", "year"), action["date"], strict=True):
                tab_to(page, f"#action-target-{box}")
                page.keyboard.type(value)
        tab_to(page, "form button")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{screen}{number}?saved=1#record")
        expect(page.locator("#record")).to_contain_text("Saved.")

    record(1, "4", "We agree on this after all.")
    page.keyboard.press("ArrowRight")
    record(2, "not_agreed", "Health and schools see it apart.")
    page.keyboard.press("PageDown")
    record(3, "agreed", "The weakest indeed.",
           {"text": "Run a joint away day on roles", "lead": "Siân Jones",
            "date": ("30", "9", "2027")})
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{screen}4")
    found += problems_on(page, "presenter, a placement")
    record(4, "fits", "It is how we work.")
    page.keyboard.press("ArrowRight")
    record(5, "adopt", "Agreed to start in spring.")
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(f"{screen}4")
    page.keyboard.press("PageUp")
    expect(page).to_have_url(f"{screen}3")

    # The record page with its errors, and at 320 px.
    page.goto(f"{live_server}/rounds/{round_.id}/board/items/{items[0].id}")
    found += problems_on(page, "record page")
    page.locator("#note").fill("x" * 1001)
    page.get_by_role("button", name="Save and go back to item 1").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    found += problems_on(page, "record page with errors")
    page.goto(f"{live_server}/rounds/{round_.id}/board")
    found += problems_on(page, "the discussion's page")

    session.expire_all()
    recorded = {i.id: (i.outcome, i.agreed_value) for i in session.exec(select(AgendaItem))}
    assert [recorded[i.id] for i in items] == [
        ("agreed", "4"), ("not_agreed", None), ("agreed", None), ("fits", None),
        ("adopt", None)]
    action = session.exec(select(ActionItem)).one()
    assert (action.text, action.lead, str(action.target_date)) == (
        "Run a joint away day on roles", "Siân Jones", "2027-09-30")

    page.goto(f"{live_server}/rounds/{round_.id}/plan")
    expect(page.locator("#plan-table")).to_contain_text("Run a joint away day on roles")
    page.goto(f"{live_server}/rounds/{round_.id}/results")
    board = page.locator("#board")
    expect(board).to_contain_text("The board met on 14 May 2027")
    expect(board).to_contain_text("We agree on this after all.")
    expect(board.locator("#board-not-agreed ~ ul").first).to_contain_text(
        "Health and schools see it apart.")
    expect(page.locator("#townsley ~ .report-board-view, #gaster ~ .report-board-view")
           .first).to_contain_text("Yes, this describes us")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the report (PDF)").click()
    pdf = PdfReader(info.value.path())
    pages = [" ".join((p.extract_text() or "").split()) for p in pdf.pages]
    board_page = next(p for p in pages if "From the board meeting" in p
                      and "The board met on" in p)
    assert "14 May 2027" in board_page
    assert "Run a joint away day on roles" in board_page
    assert "Health and schools see it apart." in board_page
    assert errors == []
    page.context.close()
    assert found == []


def test_three_phones_vote_and_the_spread_appears_only_at_the_threshold(
        browser, live_server, session, core, catalogue):
    """Three answered the round (its threshold): the vote closes by itself at the third
    vote, and the presenter's screen, polling, shows the spread then and not before."""
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = divided_round(session, make_round(session, partnership), core, people=3)
    coordinator = make_user(session, org, coordinates=[partnership])
    meeting, _ = meetings.start(session, round_=round_, partnership=partnership, day="14",
                                month="5", year="2027", started_by=coordinator,
                                catalogue=catalogue)
    question = next(i for i in core.items if i.scale.id == "agreement")
    item = meetings.add_question(session, meeting=meeting, item_id=question.id,
                                 questionnaire=core, round_=round_, partnership=partnership,
                                 user=coordinator)
    number = [i.id for i in agenda_of(session, round_)].index(item.id) + 1
    presenter = sign_in_page(browser, live_server, coordinator)
    presenter.goto(f"{live_server}/rounds/{round_.id}/board/present/{number}")
    presenter.get_by_role("button", name="Start a live vote on this question").click()
    code = presenter.locator(".maps-vote-code").inner_text()
    found = problems_on(presenter, "presenter, vote open")

    phones = [browser.new_context(viewport={"width": 320, "height": 640}).new_page()
              for _ in range(3)]
    for n, (phone, answer) in enumerate(zip(phones, ("Agree", "Agree", "Strongly agree"),
                                            strict=True), start=1):
        phone.goto(f"{live_server}/vote")
        if n == 1:
            found += problems_on(phone, "vote: the code")
        phone.get_by_label("Vote in the board meeting").fill(code.lower())
        phone.get_by_role("button", name="Continue").click()
        expect(phone.locator("legend")).to_contain_text(question.text)
        if n == 1:
            found += problems_on(phone, "vote: the question")
        phone.get_by_label(answer, exact=True).check()
        phone.get_by_role("button", name="Send my vote").click()
        expect(phone.locator(".govuk-panel")).to_contain_text("Your vote has been counted")
        if n < 3:
            # The presenter's poll brings the count, and never a spread before the threshold.
            expect(presenter.locator("#votes-cast")).to_have_text(str(n),
                                                                  timeout=BROWSER_WAIT_MS)
            expect(presenter.locator("#before-after")).to_have_count(0)
    found += problems_on(phones[0], "vote: counted")
    after = presenter.locator("#before-after")
    expect(after).to_be_visible(timeout=BROWSER_WAIT_MS)  # swapped in by the poll
    expect(presenter.locator("#maps-announcer")).to_have_text(
        "The vote has closed: its spread is shown.")
    assert presenter.locator("#vote").get_attribute("hx-trigger") is None  # polling stops
    rows = {row.locator("th").inner_text(): row.locator("td").nth(1).inner_text()
            for row in after.locator("tbody tr").all()}
    assert rows["Agree"] == "2" and rows["Strongly agree"] == "1"
    found += problems_on(presenter, "presenter, before and after")
    for phone in phones:
        phone.context.close()
    presenter.context.close()
    assert found == []


def test_the_presenter_works_without_javascript(browser, live_server, session, core,
                                                catalogue):
    round_, coordinator, items = meeting_of_five(session, core, catalogue)
    page = sign_in_page(browser, live_server, coordinator, java_script_enabled=False)
    page.goto(f"{live_server}/rounds/{round_.id}/board")
    page.get_by_role("link", name="Present the agenda").click()
    expect(page.locator(".maps-presenter__keys")).to_be_hidden()  # said only with the script
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".maps-presenter__count")).to_have_text("Item 2 of 5")
    page.get_by_role("link", name="Previous").click()
    expect(page.locator(".maps-presenter__count")).to_have_text("Item 1 of 5")
    page.get_by_role("button", name="Start a live vote on this question").click()
    code = page.locator(".maps-vote-code").inner_text()
    phones = [browser.new_context(java_script_enabled=False).new_page() for _ in range(2)]
    for n, phone in enumerate(phones, start=1):
        phone.goto(f"{live_server}/vote")
        phone.get_by_label("Vote in the board meeting").fill(code)
        phone.get_by_role("button", name="Continue").click()
        phone.locator("input[name=answer]").first.check()
        phone.get_by_role("button", name="Send my vote").click()
        expect(phone.locator(".govuk-panel")).to_be_visible()
        expect(page.locator("#votes-cast")).to_have_text(str(n - 1))  # no script: no poll
        page.get_by_role("link", name="Show the votes").click()  # each time, a fresh count
        expect(page.locator("#votes-cast")).to_have_text(str(n))
    page.get_by_role("button", name="Close the vote").click()
    expect(page.locator("#vote")).to_contain_text("The vote closed with 2 votes. MAPS shows "
                                                  "no spread for it: fewer than 3 voted")
    page.get_by_role("link", name="Record what the board agreed").click()
    page.get_by_label("We could not agree").check()
    page.get_by_role("button", name="Save and go back to item 1").click()
    expect(page.locator("#record")).to_contain_text("We could not agree")
    for phone in phones:
        phone.context.close()
    page.context.close()
