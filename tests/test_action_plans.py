"""Action plans: adding actions from the recommendations and the board's own, editing them with
and without htmx, reordering, removing, refusing bad input, the previous round's plan, the
audit log, and who may see and change a plan."""

from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import ActionItem, Agency, AuditEvent, Role
from app.services import action_plans
from tests.conftest import FormClient, sign_in
from tests.factories import (
    answer_all,
    close,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)
from tests.report_helpers import worst


def page(response):
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def world(session):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    coordinator = make_user(session, org, coordinates=[partnership])
    return org, partnership, round_, coordinator


@pytest.fixture
def coordinator_client(client, world):
    sign_in(client, world[3])
    return client


def add_own(client, round_, text="Hold a joint away day"):
    response = client.post(f"/rounds/{round_.id}/plan/actions", data={"text": text})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("#action-", 1)[1])


def edit_form(**overrides) -> dict:
    return {"text": "Agree a joint budget", "owner": "", "lead": "Sam Lead",
            "target-day": "31", "target-month": "3", "target-year": "2027",
            "measure": "A signed budget", "status": "in_progress", **overrides}


def test_adds_a_recommendation_with_its_action_text(coordinator_client, session, world, core):
    _, _, round_, _ = world
    answer_all(session, round_, core, worst)  # low everywhere: strategies recommended
    # No results, so no recommendations, while the round is open.
    assert action_plans.recommendations_for(
        session, round_=round_, catalogue=coordinator_client.app.state.catalogue) == []
    assert "Recommendations appear when the round closes" in coordinator_client.get(
        f"/rounds/{round_.id}/plan").text
    close(session, round_)
    recommendations = action_plans.recommendations_for(session, round_=round_,
                                                       catalogue=coordinator_client.app
                                                       .state.catalogue)
    assert recommendations
    first = recommendations[0]
    html = page(coordinator_client.get(f"/rounds/{round_.id}/plan"))
    assert html.select_one(f"input[name=strategy][value='{first.strategy.id}']")

    response = coordinator_client.post(f"/rounds/{round_.id}/plan/recommended",
                                       data={"strategy": first.strategy.id})
    assert response.status_code == 303
    item = session.exec(select(ActionItem)).one()
    assert (item.text, item.strategy_id, item.position) == (first.strategy.action,
                                                            first.strategy.id, 1)
    assert response.headers["location"] == f"/rounds/{round_.id}/plan#action-{item.id}"
    # Adding it again keeps the one action; the page now says it is in the plan.
    coordinator_client.post(f"/rounds/{round_.id}/plan/recommended",
                            data={"strategy": first.strategy.id})
    assert len(session.exec(select(ActionItem)).all()) == 1
    html = page(coordinator_client.get(f"/rounds/{round_.id}/plan"))
    assert not html.select_one(f"input[name=strategy][value='{first.strategy.id}']")

    response = coordinator_client.post(f"/rounds/{round_.id}/plan/recommended",
                                       data={"strategy": "no-such-strategy"})
    assert response.status_code == 400


def test_adds_an_own_action_and_refuses_an_empty_one(coordinator_client, session, world):
    round_ = world[2]
    action_id = add_own(coordinator_client, round_, "  Hold a joint away day  ")
    item = session.get(ActionItem, action_id)
    assert (item.text, item.strategy_id, item.status) == ("Hold a joint away day", None,
                                                          "not_started")
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions", data={"text": " "})
    assert response.status_code == 400
    html = page(response)
    assert html.select_one(".govuk-error-summary a[href='#new-text']")
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions",
                                       data={"text": "x" * 1001})
    assert response.status_code == 400
    assert page(response).select_one("#new-text").text == "x" * 1001


def test_edits_an_action_without_javascript(coordinator_client, session, world):
    _, partnership, round_, _ = world
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    action_id = add_own(coordinator_client, round_)
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                                       data=edit_form(owner=str(agency.id)))
    assert response.status_code == 303
    # Back to the plan, its row saying so (no JavaScript: no live region, no focus to move).
    location = response.headers["location"]
    assert location == f"/rounds/{round_.id}/plan?saved={action_id}#action-{action_id}"
    session.expire_all()
    item = session.get(ActionItem, action_id)
    assert (item.text, item.owner_agency_id, item.lead, item.target_date, item.success_measure,
            item.status) == ("Agree a joint budget", agency.id, "Sam Lead", date(2027, 3, 31),
                             "A signed budget", "in_progress")
    row = page(coordinator_client.get(location)).select_one(f"tr#action-{action_id}")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[:5] == ["Agree a joint budget Success measure: A signed budget", agency.name,
                         "Sam Lead", "31 March 2027", "In progress"]
    assert row.select_one(f"#action-{action_id}-saved").text == "Action 1 saved."
    # The row's Change link opens its form in place: the page with that row open.
    change = row.select_one(f"a#action-{action_id}-change")["href"]
    assert change == f"/rounds/{round_.id}/plan?edit={action_id}#action-{action_id}"
    block = page(coordinator_client.get(change)).select_one(f"#action-{action_id}")
    assert block.select_one(f"#action-{action_id}-text").text == "Agree a joint budget"
    assert block.select_one("option[selected]").text == agency.name
    # Only that row: the others stay closed, and a stale or malformed id opens none.
    for query in ("?edit=999999", "?edit=banana", "?saved=x"):
        response = coordinator_client.get(f"/rounds/{round_.id}/plan{query}")
        assert response.status_code == 200
        assert not page(response).select(f"form[action$='/actions/{action_id}']")


def test_edits_an_action_with_htmx_and_gets_only_its_block(coordinator_client, session, world):
    round_ = world[2]
    action_id = add_own(coordinator_client, round_)
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                                       data=edit_form(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = page(response)
    assert "<html" not in response.text
    # The saved row, read-only again, saying so beside itself and through the live region
    # (data-announce), with focus for its Change link (docs/frontend.md).
    assert [tr["id"] for tr in html.select("tr")] == [f"action-{action_id}"]
    assert not html.select("[role=status]")
    saved = html.select_one(f"#action-{action_id}-saved")
    assert saved.text == saved["data-announce"] == "Action 1 saved."
    assert html.select_one("[data-focus]")["id"] == f"action-{action_id}-change"
    session.expire_all()
    assert session.get(ActionItem, action_id).text == "Agree a joint budget"

    # Opening the row for editing, and cancelling, swap the row alone.
    row_url = f"/rounds/{round_.id}/plan/actions/{action_id}"
    opened = page(coordinator_client.get(f"{row_url}?edit=1", headers={"HX-Request": "true"}))
    assert opened.select_one("[data-focus]")["id"] == f"action-{action_id}-text"
    assert opened.select_one(f"form[hx-post='{row_url}']")
    closed = page(coordinator_client.get(row_url, headers={"HX-Request": "true"}))
    assert closed.select_one("[data-focus]")["id"] == f"action-{action_id}-change"
    assert not closed.select("[data-announce]")
    # Without htmx those addresses lead to the page (with the row open).
    response = coordinator_client.get(f"{row_url}?edit=1")
    assert response.headers["location"] == (f"/rounds/{round_.id}/plan?edit={action_id}"
                                            f"#action-{action_id}")

    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                                       data=edit_form(text="", lead="Kept lead"),
                                       headers={"HX-Request": "true"})
    assert response.status_code == 400
    html = page(response)
    assert "<html" not in response.text
    assert html.select_one(f".govuk-error-summary a[href='#action-{action_id}-text']")
    assert html.select_one(f"#action-{action_id}-lead")["value"] == "Kept lead"
    assert html.select_one(f"#action-{action_id}-text-error")
    assert not html.select("[data-focus]")  # maps.js focuses the error summary


def test_adds_and_removes_with_htmx_and_says_where_focus_goes(coordinator_client, session,
                                                               world, core):
    round_ = world[2]
    answer_all(session, round_, core, worst)  # low everywhere: strategies recommended
    close(session, round_)
    first, second = (add_own(coordinator_client, round_, text) for text in "AB")
    htmx = {"HX-Request": "true"}
    strategy = action_plans.recommendations_for(
        session, round_=round_, catalogue=coordinator_client.app.state.catalogue)[0].strategy
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/recommended",
                                       data={"strategy": strategy.id}, headers=htmx)
    assert response.status_code == 200
    html = page(response)
    assert "<html" not in response.text and html.select_one("#plan-body")
    assert len(html.select("#plan-rows > tr")) == 3
    added = html.select_one("[data-focus]")
    assert added["id"] == f"rec-{strategy.id}-planned"
    assert added["data-announce"] == "Added to the plan as action 3."
    third = session.exec(select(ActionItem).where(ActionItem.strategy_id == strategy.id)).one()
    assert added["href"] == f"#action-{third.id}"

    # Moving: said, and focus stays on the button used, or goes to the action's Change link
    # when the move took that button away (at the top).
    url = f"/rounds/{round_.id}/plan/actions"
    html = page(coordinator_client.post(f"{url}/{second}/move", data={"direction": "up"},
                                        headers=htmx))
    assert html.select_one("[data-announce]")["data-announce"] == "Action moved up: now action 1."
    assert html.select_one("[data-focus]")["id"] == f"action-{second}-change"
    html = page(coordinator_client.post(f"{url}/{second}/move", data={"direction": "down"},
                                        headers=htmx))
    assert "now action 2." in html.select_one("[data-announce]")["data-announce"]
    assert not html.select("[data-focus]") and html.select_one(f"#action-{second}-down")

    # Removing the middle action: focus to the one now in its place, and it is said.
    html = page(coordinator_client.post(f"{url}/{second}/remove", headers=htmx))
    assert html.select_one("[data-announce]")["data-announce"] == "Action 2 removed."
    assert html.select_one("[data-focus]")["id"] == f"action-{third.id}-change"
    # The last: to the one before. The only one left: to the heading.
    html = page(coordinator_client.post(f"{url}/{third.id}/remove", headers=htmx))
    assert html.select_one("[data-focus]")["id"] == f"action-{first}-change"
    html = page(coordinator_client.post(f"{url}/{first}/remove", headers=htmx))
    assert html.select_one("[data-focus]")["id"] == "plan"
    assert "No actions yet." in html.text
    # The recommendation can be added again, its button back.
    assert html.select_one(f"#rec-{strategy.id}-add")


@pytest.mark.parametrize(("field", "changes"), [
    ("text", {"text": ""}),
    ("text", {"text": "x" * 1001}),
    ("lead", {"lead": "x" * 201}),
    ("target", {"target-day": "31", "target-month": "2", "target-year": "2027"}),
    ("target", {"target-day": "", "target-month": "3", "target-year": "2027"}),
    ("target", {"target-day": "1", "target-month": "3", "target-year": "27"}),
    ("measure", {"measure": "x" * 501}),
    ("status", {"status": "finished"}),
    ("owner", {"owner": "banana"}),
    ("owner", {"owner": "999999"}),
])
def test_refuses_each_bad_field_and_keeps_what_was_typed(coordinator_client, session, world,
                                                        field, changes):
    round_ = world[2]
    action_id = add_own(coordinator_client, round_, "Original wording")
    form = edit_form(**{"text": "New wording", **changes})
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}", data=form)
    assert response.status_code == 400
    html = page(response)
    anchor = f"action-{action_id}-{field}" + ("-day" if field == "target" else "")
    assert html.select_one(f".govuk-error-summary a[href='#{anchor}']")
    assert html.select_one(f"#action-{action_id}-{field}-error")
    assert html.select_one(f"#action-{action_id}-lead")["value"] == form["lead"]
    assert html.select_one(f"#action-{action_id}-text").text == form["text"]
    session.expire_all()
    assert session.get(ActionItem, action_id).text == "Original wording"


def test_refuses_another_partnerships_agency(coordinator_client, session, world):
    org, _, round_, _ = world
    elsewhere = make_partnership(session, org, name="Other Board",
                                 agencies=(("Other Police", "police"),))
    session.commit()
    other_agency = session.exec(select(Agency).where(
        Agency.partnership_id == elsewhere.id)).one()
    action_id = add_own(coordinator_client, round_)
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                                       data=edit_form(owner=str(other_agency.id)))
    assert response.status_code == 400
    assert "Select an agency of this partnership" in response.text
    session.expire_all()
    assert session.get(ActionItem, action_id).owner_agency_id is None


def test_moves_actions_up_and_down_and_removes_one(coordinator_client, session, world):
    round_ = world[2]
    first, second, third = (add_own(coordinator_client, round_, t) for t in "ABC")

    def order():
        session.expire_all()
        return [i.text for i in action_plans.items_of(session, round_=round_)]

    url = f"/rounds/{round_.id}/plan/actions"
    assert coordinator_client.post(f"{url}/{third}/move",
                                   data={"direction": "up"}).status_code == 303
    assert order() == ["A", "C", "B"]
    coordinator_client.post(f"{url}/{first}/move", data={"direction": "down"})
    assert order() == ["C", "A", "B"]
    coordinator_client.post(f"{url}/{third}/move", data={"direction": "up"})  # already first
    assert order() == ["C", "A", "B"]
    response = coordinator_client.post(f"{url}/{first}/remove")
    assert response.status_code == 303
    assert order() == ["C", "B"]
    html = page(coordinator_client.get(f"/rounds/{round_.id}/plan"))
    assert [th.text for th in html.select("#plan-rows th[scope=row]")] == ["1", "2"]
    assert coordinator_client.post(f"{url}/{first}/remove").status_code == 404


def test_every_change_is_audited(coordinator_client, session, world):
    round_, coordinator = world[2], world[3]
    action_id = add_own(coordinator_client, round_, "A")
    add_own(coordinator_client, round_, "B")
    url = f"/rounds/{round_.id}/plan/actions/{action_id}"
    coordinator_client.post(url, data=edit_form())
    coordinator_client.post(f"{url}/move", data={"direction": "down"})
    coordinator_client.post(f"{url}/remove")
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "action_plan_edited")
                          .order_by(AuditEvent.id)).all()
    assert [e.detail["change"] for e in events] == ["added", "added", "edited", "moved down",
                                                   "removed"]
    assert {(e.user_id, e.round_id, e.partnership_id) for e in events} == {
        (coordinator.id, round_.id, round_.partnership_id)}
    assert events[2].detail["text"] == "Agree a joint budget"


def test_the_plan_is_in_the_results_and_the_next_round_shows_it(coordinator_client, session,
                                                               world):
    _, partnership, round_, _ = world
    action_id = add_own(coordinator_client, round_, "Map every referral route")
    coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                            data=edit_form(text="Map every referral route", status="done"))
    close(session, round_)
    results = page(coordinator_client.get(f"/rounds/{round_.id}/results"))
    plan = results.select_one("#action-plan")
    assert "Map every referral route" in plan.text and "Done" in plan.text
    assert results.select_one(f"a[href='/rounds/{round_.id}/plan']")

    later = make_round(session, partnership, title="Round 2",
                       opens_at=datetime.now(UTC) + timedelta(days=1))
    empty_between = make_round(session, partnership, title="Round 1b",
                               opens_at=datetime.now(UTC) + timedelta(hours=1))
    session.commit()
    assert action_plans.previous_round(session, round_=later).id == round_.id
    assert action_plans.previous_round(session, round_=empty_between).id == round_.id
    assert action_plans.previous_round(session, round_=round_) is None

    html = page(coordinator_client.get(f"/rounds/{later.id}/plan"))
    previous = html.select_one("#previous-plan").find_parent("div")
    assert "Map every referral route" in previous.text
    assert previous.select_one(".govuk-tag").text == "Done"
    close(session, later)
    next_results = page(coordinator_client.get(f"/rounds/{later.id}/results"))
    assert "The previous plan: Round 1" in next_results.select_one("#previous-plan").text
    # A closed round's plan can still be updated: the board works through it afterwards.
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                                       data=edit_form(status="in_progress"))
    assert response.status_code == 303


def test_an_org_admin_views_but_cannot_edit(app, session, world):
    org, _, round_, _ = world
    admin = make_user(session, org, role=Role.org_admin)
    with FormClient(app, follow_redirects=False) as coordinator:
        sign_in(coordinator, world[3])
        action_id = add_own(coordinator, round_, "Visible to the admin")
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, admin)
        response = client.get(f"/rounds/{round_.id}/plan")
        assert response.status_code == 200
        html = page(response)
        assert "Visible to the admin" in html.select_one(f"#action-{action_id}").text
        assert not html.select("form[action*='/plan/']")
        for url, data in ((f"/rounds/{round_.id}/plan/actions/{action_id}", edit_form()),
                          (f"/rounds/{round_.id}/plan/actions", {"text": "Mine"}),
                          (f"/rounds/{round_.id}/plan/actions/{action_id}/remove", {})):
            assert client.post(url, data=data).status_code == 403
    assert session.get(ActionItem, action_id).text == "Visible to the admin"


def test_another_partnerships_coordinator_gets_404(app, session, world):
    org, _, round_, _ = world
    other = make_user(session, org, coordinates=[make_partnership(session, org, agencies=())])
    with FormClient(app, follow_redirects=False) as coordinator:
        sign_in(coordinator, world[3])
        action_id = add_own(coordinator, round_)
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, other)
        assert client.get(f"/rounds/{round_.id}/plan").status_code == 404
        assert client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                           data=edit_form()).status_code == 404


def test_an_action_of_another_round_is_not_found(coordinator_client, session, world):
    _, partnership, round_, _ = world
    other_round = make_round(session, partnership, title="Round 2")
    session.commit()
    action_id = add_own(coordinator_client, other_round)
    response = coordinator_client.post(f"/rounds/{round_.id}/plan/actions/{action_id}",
                                       data=edit_form())
    assert response.status_code == 404
