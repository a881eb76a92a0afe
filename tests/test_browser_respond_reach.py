"""The respondent's pages in a real Chromium at 1280 px, 320 px and 200% zoom (issue 17): axe
finds nothing serious, nothing scrolls sideways, no sticky element covers the control that has
focus, focus stays on the radio just answered, and a change link lands on its question."""

import re

import pytest
from sqlmodel import select

from app.models import Agency
from app.questionnaires.paging import MAX_QUESTIONS_PER_PAGE, page_of
from tests.factories import make_invite
from tests.test_browser_respond import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pages")]

# 200% zoom of a 1280 x 800 window lays the page out as a 640 x 400 one: CSS pixels are what
# reflow, media queries and axe see (the device pixel ratio only changes the rasterising).
SIZES = {"1280 px": (1280, 800), "320 px": (320, 640), "200% zoom": (640, 400)}
# tests/test_browser_respond.py runs axe on each of these pages at 1280 px already.
AXE_DONE_ELSEWHERE = {"1280 px"}

# The focused element, whether its centre is inside the window, whether what lies at its
# centre is the element (or inside it), not something drawn over it, and whether any sticky or
# fixed element overlaps it (a radio's own input sits above its drawn circle, so the centre
# alone could miss a bar over the circle).
FOCUS_CHECK = """() => {
  const el = document.activeElement;
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  const over = [...document.querySelectorAll("body *")].filter(other => {
    const position = getComputedStyle(other).position;
    if ((position !== "sticky" && position !== "fixed") || other.contains(el)) return false;
    const o = other.getBoundingClientRect();
    return o.width > 0 && o.height > 0 && o.left < r.right && r.left < o.right
      && o.top < r.bottom && r.top < o.bottom;
  });
  return {tag: el.tagName, type: el.type || "", id: el.id, text: el.textContent.trim().slice(0, 40),
          inView: y >= 0 && y <= window.innerHeight && x >= 0 && x <= window.innerWidth,
          clear: !!hit && (hit === el || el.contains(hit)) && over.length === 0,
          hit: hit ? hit.outerHTML.slice(0, 100) : null,
          over: over.map(o => o.id || o.className)};
}"""


def check_at_every_size(page, name, skip: str | None = None):
    """No sideways scrolling and no serious axe violation at each size; axe leaves out what
    `skip` selects."""
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide}px wide at {label}"
        if label not in AXE_DONE_ELSEWHERE or name == "the resume page":
            assert_accessible(page, context={"exclude": [[skip]]} if skip else None)
    page.set_viewport_size({"width": 1280, "height": 800})


def ready_to_answer(session, **overrides):
    respondent, token = make_invite(session, level="strategic", **overrides)
    respondent.agency_id = session.exec(select(Agency.id)).first()
    session.add(respondent)
    session.commit()
    return respondent, token


def test_every_respondent_page_reflows_and_passes_axe(browser, live_server, session, core):
    _, token = make_invite(session)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/r/{token}")
    check_at_every_size(page, "the welcome page")
    page.get_by_role("button", name="Start now").click()
    page.wait_for_url("**/about?started=1")
    check_at_every_size(page, "about you")
    page.locator("input[name=agency]").first.check()
    page.locator("#level").check()
    page.get_by_role("button", name="Continue").click()
    first = core.sections[0].items[0]
    page.locator(f"input[name={first.id}]").first.check()
    page.locator("#autosave-status .maps-saved").wait_for()
    # With JavaScript, the page says answers are saved as they are chosen.
    assert page.locator(".maps-if-js").first.is_visible()
    assert not page.locator(".maps-if-no-js").first.is_visible()
    check_at_every_size(page, "a page of questions")

    long_part = next(s for s in core.sections if len(s.items) > MAX_QUESTIONS_PER_PAGE)
    later = long_part.items[-1]  # on the part's second page
    page.goto(f"{live_server}/r/{token}/review")
    # Fifteen parts, each a summary list from one macro: axe reads the first two opened (on a
    # loaded machine each whole page of 137 rows took it ten seconds); the reflow check
    # covers them all, opened.
    part = f"#part-{core.sections.index(long_part) + 1}"
    for opened in dict.fromkeys(("#part-1", "#part-2", part)):
        page.locator(f"{opened} summary").click()
    check_at_every_size(page, "check your answers",
                        skip="details.maps-review-part:nth-of-type(n+3)")
    # A change link lands with its question's legend in view, on a narrow screen too.
    page.set_viewport_size({"width": 320, "height": 640})
    page.locator(f"{part} a[href$='#q-{later.id}']").click()
    page.wait_for_url(f"**/{page_of(core, later.id).path}#q-{later.id}")
    box = page.locator(f"#q-{later.id} legend").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640, box
    page.set_viewport_size({"width": 1280, "height": 800})

    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.goto(f"{live_server}/r/{token}")
    other.wait_for_url("**/resume")
    check_at_every_size(other, "the resume page")
    other.context.close()

    page.goto(f"{live_server}/r/{token}/review")
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url("**/done")
    check_at_every_size(page, "the done page")
    context.close()


def tab_through_questions(page) -> list[dict]:
    """Tab from the top of the page's form to its button, checking each stop."""
    page.locator("form input[type=radio]").first.focus()
    stops = []
    for _ in range(100):
        stop = page.evaluate(FOCUS_CHECK)
        if stop["tag"] == "BUTTON":
            return stops
        stops.append(stop)
        page.keyboard.press("Tab")
    raise AssertionError(f"never reached the page's button: {stops[-3:]}")


def test_focus_is_never_covered_and_stays_on_the_answered_radio(browser, live_server,
                                                                session, core):
    _, token = ready_to_answer(session)
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(f"{live_server}/r/{token}")
    page.get_by_role("button", name="Start now").click()
    questions = page_of(core, core.items[0].id)
    page.wait_for_url(f"**/{questions.path}?started=1")

    # Answer the second question by keyboard: the status says when it was saved, the one
    # counter follows, and focus stays on the radio that was chosen.
    item = questions.items[1]
    page.locator(f"input[name={item.id}]").first.focus()
    page.keyboard.press("ArrowDown")  # moves to, and chooses, the second answer
    status = page.locator("#autosave-status .maps-saved")
    status.wait_for()
    assert re.fullmatch(r"Saved at \d\d:\d\d", status.inner_text()), status.inner_text()
    assert page.locator("#progress-count").inner_text() == \
        f"1 of {len(core.items)} questions answered"
    chosen = item.scale.options[1].value
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == \
        [item.id, chosen]

    for width, height in ((320, 640), (1280, 600)):
        # At 1280 the status bar is sticky at the foot of the window, and not empty now.
        page.set_viewport_size({"width": width, "height": height})
        stops = tab_through_questions(page)
        kinds = {(s["tag"], s["type"]) for s in stops}
        assert ("INPUT", "radio") in kinds and ("SUMMARY", "") in kinds, kinds
        assert sum(s["text"].startswith("Add a comment") for s in stops) == len(questions.items)
        hidden = [s for s in stops if not (s["inView"] and s["clear"])]
        assert hidden == [], f"covered or out of view at {width}px: {hidden[:3]}"
    page.close()
