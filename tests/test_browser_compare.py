"""The comparison page in a real Chromium with the demo data: it fits 1280 px and 320 px (and
200% zoom) with its wide tables scrolling inside their regions and the partnership's name
staying in view; sorting marks the column and gives focus back to its heading; a filter is
read out; axe-core finds nothing serious before and after each; sorting works without
JavaScript."""

import pytest
from sqlmodel import select

from app.demo import DEMO_PASSWORD
from app.models import Organisation, User
from tests.test_browser_respond import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pages"), pytest.mark.demo]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def signed_in_page(browser, live_server, email, **options):
    page = browser.new_page(bypass_csp=True, **options)
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    page.goto(f"{live_server}/compare")
    return page


def announced(page) -> str:
    return page.locator("#maps-announcer").text_content()


@pytest.fixture
def admin_email(session):
    org = session.exec(select(Organisation).where(Organisation.name.like("Northshire%"))).one()
    return session.exec(select(User.email).where(User.organisation_id == org.id,
                                                 User.role == "org_admin")).first()


def test_the_comparison_fits_sorts_and_filters_accessibly(browser, live_server, admin_email):
    page = signed_in_page(browser, live_server, admin_email,
                          viewport={"width": 1280, "height": 900})
    assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
    # The heatmap scrolls in its region; the partnership's name stays at its left edge.
    region = page.locator(".maps-compare-region").nth(1)
    assert region.evaluate("r => r.scrollWidth > r.clientWidth")
    region.evaluate("r => { r.scrollLeft = r.scrollWidth; }")
    left = region.evaluate("r => r.getBoundingClientRect().left")
    name = region.locator("tbody th").first
    assert abs(name.evaluate("e => e.getBoundingClientRect().left") - left) < 2
    assert page.evaluate("document.activeElement === document.body")
    assert_accessible(page)

    # Sorting by keyboard: the heading is marked, shows its arrow, and has focus back.
    page.locator("#sort-overall").focus()
    page.keyboard.press("Enter")
    overall = page.locator("th[aria-sort]")
    overall.filter(has=page.locator("#sort-overall")).wait_for()
    assert overall.get_attribute("aria-sort") == "ascending"
    assert overall.inner_text().strip() == "Overall▲"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'sort-overall'")
    page.wait_for_function("document.getElementById('maps-announcer').textContent.length > 0")
    assert announced(page) == "9 partnerships shown, sorted by Overall, ascending."
    scores = [int(t) for t in page.locator("#comparison-table tbody td:nth-child(6)")
              .all_inner_texts()]
    assert scores == sorted(scores)
    assert_accessible(page)

    # A filter: read out, and the table, heatmap and count follow it; the sort is kept.
    page.locator("#townsley").select_option("integrated")
    page.wait_for_function("document.getElementById('maps-announcer').textContent"
                           ".includes('sorted by Overall') && !document.getElementById("
                           "'maps-announcer').textContent.startsWith('9 ')")
    shown = page.locator("#comparison-table tbody tr").count()
    assert announced(page) == (f"{shown} partnership{'s' if shown != 1 else ''} shown, "
                               "sorted by Overall, ascending.")
    assert page.locator(".maps-heatmap tbody tr").count() == shown
    assert page.locator("#comparison-count").inner_text().startswith(f"{shown} of your 9")
    assert "townsley=integrated" in page.url and "sort=overall" in page.url
    assert_accessible(page)
    page.context.close()


@pytest.mark.parametrize("viewport, scale", [({"width": 320, "height": 640}, 1),
                                             ({"width": 640, "height": 450}, 2)],
                         ids=["320px", "200% zoom"])
def test_the_comparison_reflows(browser, live_server, admin_email, viewport, scale):
    page = signed_in_page(browser, live_server, admin_email, viewport=viewport,
                          device_scale_factor=scale)
    assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollWidth")
    assert_accessible(page)
    page.context.close()


def test_sorting_without_javascript(browser, live_server, admin_email):
    page = signed_in_page(browser, live_server, admin_email, java_script_enabled=False,
                          viewport={"width": 1280, "height": 900})
    page.locator("#sort-round").click()
    page.wait_for_url("**sort=round**")
    assert page.locator("th[aria-sort]").inner_text().strip() == "Latest round▲"
    page.locator("#sort-round").click()
    page.wait_for_url("**dir=desc**")
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
    page.context.close()
