"""A board member completes the questionnaire in a real Chromium, with and without
JavaScript; every page passes an axe-core accessibility check and fits a 320px screen."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from app.models import Agency, Answer, Respondent
from app.questionnaires.paging import pages
from tests.factories import make_invite

# One worker runs every browser test, with the one Chromium (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]
axe = Axe()


def assert_accessible(page, context=None):
    results = axe.run(page, context=context)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                           for v in serious]


def assert_fits_width(page, width=320):
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"page is {overflow}px wide on a {width}px screen"


def test_complete_questionnaire_with_autosave(browser, live_server, session, core):
    respondent, token = make_invite(session)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/r/{token}")
    expect(page.locator("#who-sees-what")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_title(re.compile("^" + "About you"))
    expect(page.locator("#resume-code .maps-code")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("input[name=agency]").first.check()
    page.get_by_label("Operational").check()
    page.get_by_role("button", name="Continue").click()

    answered = 0
    for questions in pages(core):
        assert page.locator("h1").inner_text().startswith(questions.section.title)
        if questions.section is core.sections[0] and questions.number == 1:
            # One question page is enough here: every kind of respondent page is checked at
            # three widths by test_browser_respond_reach.py.
            assert_accessible(page)
        for index, item in enumerate(questions.items, start=questions.first_number - 1):
            option = item.scale.options[index % len(item.scale.options)]
            page.locator(f"input[name={item.id}][value='{option.value}']").check()
            answered += 1
            # The counter changes only once the server has stored the answer.
            page.locator("#progress-count").get_by_text(
                f"{answered} of {len(core.items)} questions answered", exact=True).wait_for()
        page.get_by_role("button", name="Save and continue").click()

    assert page.locator("h1").inner_text().startswith("Check your answers")
    assert_accessible(page)
    page.get_by_role("button", name="Submit my answers").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Response submitted"
    assert_accessible(page)
    assert errors == []
    session.expire_all()
    saved = {a.item_id: a.value for a in session.exec(
        select(Answer).where(Answer.respondent_id == respondent.id))}
    expected = {}
    for section in core.sections:
        for index, item in enumerate(section.items):
            expected[item.id] = item.scale.options[index % len(item.scale.options)].value
    assert saved == expected
    assert session.get(Respondent, respondent.id).level == "operational"
    context.close()


def test_keyboard_only_answering_autosaves(browser, live_server, session, core):
    respondent, token = make_invite(session)
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(f"{live_server}/r/{token}/about")
    page.get_by_role("button", name="Start").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/about?started=1")
    expect(page.locator("#resume-code .maps-code")).to_be_visible()
    page.locator("input[name=agency]").first.focus()
    page.keyboard.press("Space")
    page.locator("#level").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/s/{core.sections[0].id}")
    first = core.sections[0].items[0]
    page.locator(f"input[name={first.id}]").first.focus()
    page.keyboard.press("Space")
    page.locator("#autosave-status").get_by_text("Saved").wait_for()
    session.expire_all()
    assert session.exec(select(Answer.value).where(
        Answer.respondent_id == respondent.id, Answer.item_id == first.id)).one() == \
        first.scale.options[0].value
    page.close()


def test_without_javascript_on_a_narrow_screen(browser, live_server, session, core):
    respondent, token = make_invite(session)
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server}/r/{token}")
    assert_fits_width(page)
    page.get_by_role("button", name="Start").click()
    assert_fits_width(page)
    page.locator("input[name=agency]").first.check()
    page.locator("#level").check()
    page.get_by_role("button", name="Continue").click()
    section = core.sections[0]
    assert_fits_width(page)
    for item in section.items:
        page.locator(f"input[name={item.id}]").last.check()
    page.get_by_role("button", name="Save and continue").click()
    assert page.locator("h1").inner_text().startswith(core.sections[1].title)
    assert_fits_width(page)
    session.expire_all()
    saved = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).all()
    assert {a.item_id for a in saved} == {i.id for i in section.items}
    assert {a.item_id: a.value for a in saved} == {  # the last option: don't know, or n/a
        i.id: i.scale.options[-1].value for i in section.items}
    context.close()


def test_a_comment_before_its_answer_says_saved_only_once_stored(browser, live_server, session,
                                                                 core):
    respondent, token = make_invite(session, level="strategic")
    respondent.agency_id = session.exec(select(Agency.id)).first()
    session.add(respondent)
    session.commit()
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(f"{live_server}/r/{token}")
    page.get_by_role("button", name="Start").click()
    item = core.sections[0].items[0]
    page.wait_for_url(f"**/s/{item.section_id}?started=1")
    page.locator(f"#q-{item.id} .govuk-details__summary").click()
    box = page.locator(f"#comment__{item.id}")
    box.fill("Too early to say")
    status = page.locator("#autosave-status")
    # Typed, not yet sent: the status says so, never "Saved".
    assert "Not saved yet" in status.inner_text()
    box.blur()
    status.get_by_text("Comment saved").wait_for()
    session.expire_all()
    row = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).one()
    assert (row.value, row.comment) == (None, "Too early to say")
    page.reload()
    page.locator(f"#q-{item.id} .govuk-details__summary").click()
    assert page.locator(f"#comment__{item.id}").input_value() == "Too early to say"
    page.close()
