"""An instrument brought from outside, end to end in a real Chromium: an organisation admin
uploads the example inventory (docs/examples), a coordinator opens a round on it, a board
member answers it, the round closes, and the results page and the PDF speak the inventory's
own terms: factor means out of 5, none of MAPS's own sections, citations or "Don't know"."""

from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from app.clock import UK
from app.models import Agency, Answer, AssessmentRound, Role
from app.questionnaires.loader import load_file
from app.questionnaires.paging import pages
from tests.factories import PASSWORD, make_invite, make_organisation, make_partnership, make_user
from tests.test_browser_accessibility import problems_on
from tests.test_examples import EXAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-journeys")]

FILE = EXAMPLES / "collaboration-factors-inventory.yaml"
INVENTORY = load_file(FILE)
# What only MAPS's own instrument brings: its sections, the review's citations and models,
# and the answer this inventory does not offer.
MAPS_ONLY = ("Recommendations", "How the partnership is organised", "Disputed facts",
             "Table 5.1", "Townsley", "Gaster", "Atkinson", "Don’t know", "Don't know",
             "out of 100", "typology")


def sign_in(browser, base: str, user):
    page = browser.new_context(viewport={"width": 1280, "height": 900},
                               accept_downloads=True).new_page()
    page.goto(f"{base}/sign-in")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard")
    return page


def answer(item, n: int) -> str:
    """Member n's answer: the first two agree or strongly agree, the third is neutral."""
    return ("5", "4", "3")[n] if item.id != "enough_money" else "2"


def test_an_uploaded_inventory_runs_end_to_end_in_its_own_terms(browser, live_server, session):
    org = make_organisation(session, name="Northvale Council")
    partnership = make_partnership(session, org, name="Northvale Early Help")
    admin = make_user(session, org, role=Role.org_admin, email="admin@northvale.example")
    coordinator = make_user(session, org, coordinates=[partnership])
    session.commit()

    admin_page = sign_in(browser, live_server, admin)
    admin_page.goto(f"{live_server}/questionnaires")
    admin_page.locator("#definition").set_input_files(str(FILE))
    admin_page.get_by_role("button", name="Check and install").click()
    assert INVENTORY.title in admin_page.locator("h1").inner_text()

    page = sign_in(browser, live_server, coordinator)
    page.goto(f"{live_server}/partnerships/{partnership.id}/rounds/new")
    page.get_by_label(f"{INVENTORY.title} (version 1)").check()
    closes = datetime.now(UK).date() + timedelta(days=14)
    page.get_by_label("Day").fill(str(closes.day))
    page.get_by_label("Month").fill(str(closes.month))
    page.get_by_label("Year").fill(str(closes.year))
    page.get_by_role("button", name="Open round").click()
    round_ = session.get(AssessmentRound, int(page.url.rsplit("/", 1)[1]))
    assert round_.questionnaire_key == INVENTORY.key

    # One member answers in the browser, without JavaScript; two more answered already.
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).all()
    _, token = make_invite(session, round_, agency_id=agencies[0].id, level="strategic")
    for n in (1, 2):
        respondent, _ = make_invite(session, round_, agency_id=agencies[n % 2].id,
                                    level=("strategic", "operational")[n % 2])
        session.add_all(Answer(respondent_id=respondent.id, item_id=item.id,
                               value=answer(item, n)) for item in INVENTORY.items)
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    member = browser.new_context(java_script_enabled=False).new_page()
    member.goto(f"{live_server}/r/{token}")
    assert INVENTORY.description.split(".")[0] in member.locator("main").inner_text()
    member.get_by_role("button", name="Start").click()
    for questions in pages(INVENTORY):
        assert member.locator(".govuk-caption-l").inner_text().startswith(INVENTORY.title)
        assert not any(words in member.locator("main").inner_text() for words in MAPS_ONLY)
        for item in questions.items:
            member.locator(f"input[name={item.id}][value='{answer(item, 0)}']").check()
        member.get_by_role("button", name="Save and continue").click()
    assert not any(words in member.locator("main").inner_text() for words in MAPS_ONLY)
    member.get_by_role("button", name="Submit my answers").click()
    assert member.locator(".govuk-panel__title").inner_text() == "Response submitted"
    member.context.close()

    page.goto(f"{live_server}/rounds/{round_.id}")
    page.get_by_role("link", name="Close the round").click()
    page.get_by_role("button", name="Close the round").click()
    page.get_by_role("link", name="Results").click()
    report = page.locator(".maps-report")
    text = report.inner_text()
    # Pooled means by hand: every statement 5, 4 and 3 (mean 4.00, a strength), but for
    # "enough money", 2 from everyone: sufficient resources (2 + 2 + 2 + 5 + 4 + 3) / 6 = 3.00.
    assert "The overall mean is 3.95 out of 5" in text  # (12 x 39 + 6) / 120 = 3.95
    rows = report.locator("#factor-sufficient_resources td")
    assert rows.nth(0).inner_text() == "3.00" and rows.nth(1).text_content().strip() == "borderline"
    assert report.locator("#factor-shared_vision td").nth(0).inner_text() == "4.00"
    assert [word for word in MAPS_ONLY if word in text] == []
    assert problems_on(page, "an uploaded instrument's results") == []

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the report (PDF)").click()
    reader = PdfReader(info.value.path())
    pdf = " ".join((p.extract_text() or "") for p in reader.pages)
    assert "3.95 out of 5" in " ".join(pdf.split())
    assert [word for word in MAPS_ONLY if word in pdf] == []
    assert "typology" not in (reader.metadata.get("/Subject") or "")
    page.context.close()
    admin_page.context.close()
