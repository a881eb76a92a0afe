"""The collaboration map in a real Chromium: the results page loads without plotly.js (its
JavaScript stays within 1 MB), and the network chart is drawn, under the page's CSP, when
the coordinator asks for it."""

import pytest
from sqlmodel import select

from app.models import Agency, Sector
from app.services import rounds as rounds_service
from tests.factories import (
    PASSWORD,
    close,
    make_organisation,
    make_partnership,
    make_user,
)
from tests.test_collaboration import _answered, closes_in_a_month

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]
INITIAL_JS_LIMIT = 1_000_000  # bytes: docs/performance.md


def test_the_network_chart_is_drawn_when_shown_and_not_loaded_before(
        browser, live_server, session, catalogue):
    org = make_organisation(session)
    partnership = make_partnership(session, org, agencies=[
        ("Westford Health", Sector.health), ("Westford Schools", Sector.education),
        ("Westford Police", Sector.police)])
    coordinator = make_user(session, org, coordinates=[partnership])
    round_ = rounds_service.open_round(
        session, partnership=partnership, catalogue=catalogue,
        questionnaire="multi-agency-working@2", title="", **closes_in_a_month(),
        threshold="3", min_threshold=3, opened_by=coordinator, collaboration=True)
    health, police, schools = session.exec(select(Agency).where(
        Agency.partnership_id == partnership.id).order_by(Agency.name)).all()
    for _ in range(3):
        _answered(session, round_, health, [(schools, "4"), (police, "1")])
        _answered(session, round_, schools, [(health, "1"), (police, "3")])
        _answered(session, round_, police, [(health, "3"), (schools, "3")])
    session.commit()
    close(session, round_)

    page = browser.new_page(viewport={"width": 1024, "height": 800})
    errors, responses = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # The handler only keeps the response: reading its body there would let the test run on
    # before the body arrives, and see the script as not loaded.
    page.on("response", lambda r: responses.append(r)
            if r.request.resource_type == "script" else None)
    page.goto(f"{live_server}/sign-in")
    page.locator("#email").fill(coordinator.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    responses.clear()
    page.goto(f"{live_server}/rounds/{round_.id}/results")
    page.wait_for_load_state("load")
    button = page.get_by_role("button", name="Show the interactive network chart")
    button.wait_for()  # charts.js shows it: the page has run its scripts
    scripts = {r.url: len(r.body()) for r in responses}
    assert 0 < sum(scripts.values()) <= INITIAL_JS_LIMIT, scripts
    assert not any("plotly" in url for url in scripts)
    assert page.locator("#figure-collaboration svg").is_visible()  # before any script

    with page.expect_response(lambda r: "plotly-basic.min.js" in r.url) as plotly:
        button.click()
    page.locator("#collaboration-chart.maps-chart--drawn").wait_for()
    assert plotly.value.ok
    # One line per pair of agencies (all three pairs rated networking or above), then the
    # agencies; Schools and Health rate each other 4 and 1: the dashed, asymmetric line.
    assert page.locator("#collaboration-chart .scatterlayer .trace").count() == 4
    assert page.locator("#collaboration-chart .textpoint").count() == 3
    assert page.locator("#figure-collaboration").is_hidden()
    assert page.locator("#collaboration-chart").evaluate("e => e === document.activeElement")
    assert errors == []
    page.context.close()
