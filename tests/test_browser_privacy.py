"""The pages issue 22 changed, in a real Chromium with the accessibility harness of
tests/test_browser_accessibility.py (axe at 1280 px, 200% zoom and 320 px, no sideways
scrolling): a round page with a flagged invitation, a site administrator's People page
without a mail server, and the results of the Levels of Collaboration Scale asked on its own,
which has only its map to show."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.models import Agency, Answer, Role, User
from app.services import responses
from tests.factories import close, make_invite, make_round
from tests.test_browser_accessibility import demo_world, signed_in, visit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-pages"), pytest.mark.demo]


def test_a_round_page_with_a_flagged_invitation(browser, live_server, session):
    coordinator, _, open_round, _ = demo_world(session)
    first, _ = make_invite(session, open_round, name="Real Member", email="real@example.org")
    second, _ = make_invite(session, open_round, name="Made Up", email="made-up@example.org")
    code = responses.claim(session, first)  # the same browser then starts the second
    responses.flag_claim(session, respondent=second, round_=open_round,
                         codes={first.id: code}, user=None)
    page = signed_in(browser, live_server, coordinator.email)
    found = visit(page, live_server, [("round with a flag", f"/rounds/{open_round.id}")])
    flagged = page.locator("#flags + .govuk-warning-text + ul li").all_inner_texts()
    page.context.close()
    assert found == []
    assert len(flagged) == 1 and "made-up@example.org" in flagged[0]


def test_a_site_admins_people_page_without_mail(browser, live_server, session):
    site_admin = session.exec(select(User).where(User.role == Role.site_admin)).one()
    admin = session.exec(select(User).where(User.role == Role.org_admin)).first()
    page = signed_in(browser, live_server, site_admin.email)
    found = visit(page, live_server, [
        ("people, for a site admin without mail", f"/organisations/{admin.organisation_id}")])
    message = page.locator("#needs-mail").inner_text()
    page.context.close()
    assert found == []
    assert "maps user password-link" in message


def test_the_levels_of_collaboration_scale_on_its_own(browser, live_server, session):
    coordinator, partnership, _, _ = demo_world(session)
    agencies = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)
                            .order_by(Agency.name)).all()
    round_ = make_round(session, partnership, title="Collaboration only",
                        questionnaire_key="levels-of-collaboration", questionnaire_version=1,
                        roster=[[a.id, a.name] for a in agencies])
    for n in range(3 * len(agencies)):
        agency = agencies[n % len(agencies)]
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        session.add_all(Answer(respondent_id=respondent.id, item_id=f"collaboration_level@{a.id}",
                               value=str((n + a.id) % 6)) for a in agencies if a != agency)
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    close(session, round_)
    page = signed_in(browser, live_server, coordinator.email)
    found = visit(page, live_server, [("map-only results", f"/rounds/{round_.id}/results")])
    headings = page.locator("main h2").all_inner_texts()
    summary = page.locator("#summary").inner_text()
    page.context.close()
    assert found == []
    assert "How the agencies work with each other" in headings
    assert "Scores" not in headings and "Where the board agrees and disagrees" not in headings
    assert "MAPS gives those ratings no score" in summary
