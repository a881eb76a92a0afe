"""Nobody but the board member sees or changes their answers: the coordinator plays the
attacker with every link they hold or can make (the one they sent, a reissued one, one after
reopening or withdrawing). Also: comments saved on their own, the round's lifecycle (no
results while open; closing fixes who counts), and the site's minimum threshold."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from pydantic import ValidationError
from sqlmodel import select

from app.config import Settings
from app.models import Agency, Answer, AuditEvent, Respondent, RoundStatus
from app.services import results
from tests.conftest import CONFIRM, FormClient, sign_in, start_response
from tests.factories import (
    close,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)

HTMX = {"HX-Request": "true"}
SECRET_ANSWER_COMMENT = "Our agency hides its referrals from the others"


def page(response):
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def world(app, session):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    coordinator = make_user(session, org, coordinates=[partnership])
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    respondent, token = make_invite(session, round_, name="Nadia Named",
                                    email="nadia@example.org", agency_id=agency.id,
                                    level="strategic")
    with FormClient(app, follow_redirects=False) as member, \
            FormClient(app, follow_redirects=False) as attacker:
        sign_in(attacker, coordinator)
        yield {"round": round_, "respondent": respondent, "token": token, "member": member,
               "coordinator": attacker, "agency": agency}


def answer_something(world, core):
    """The named board member starts, answers the first page and comments on a question."""
    token, member = world["token"], world["member"]
    start_response(member, token)
    first = core.sections[0]
    values = {i.id: i.scale.scored[-1].value for i in first.items}
    response = member.post(f"/r/{token}/s/{first.id}",
                           data={**values, f"comment__{first.items[0].id}":
                                 SECRET_ANSWER_COMMENT})
    assert response.status_code == 303
    return first, values


def saved(session, respondent) -> dict:
    session.expire_all()
    return {a.item_id: (a.value, a.comment) for a in session.exec(
        select(Answer).where(Answer.respondent_id == respondent.id))}


def assert_sees_nothing(client, link: str, section, values) -> None:
    """Every page and save of the response, tried with this link: sent to the resume page,
    nothing of the answers shown, nothing changed."""
    for path in ("", "/about", f"/s/{section.id}", "/review", "/done", "/welcome"):
        response = client.get(f"{link}{path}")
        assert response.status_code == 303, (path, response.status_code)
        assert response.headers["location"] == f"{link}/resume", path
    resume = client.get(f"{link}/resume")
    assert resume.status_code == 200
    assert SECRET_ANSWER_COMMENT not in resume.text
    assert not page(resume).select("input[type=radio]")
    item = section.items[0]
    other = next(o.value for o in item.scale.options if o.value != values[item.id])
    assert client.post(f"{link}/answer", data={item.id: other}, headers=HTMX).status_code == 403
    for path, data in ((f"/s/{section.id}", {item.id: other}), ("/submit", {}),
                       ("/about", {"level": "operational"}), ("/start", {})):
        response = client.post(f"{link}{path}", data=data)
        assert response.status_code == 303 and response.headers["location"] == \
            f"{link}/resume", path


def test_the_link_the_coordinator_sent_opens_nothing_once_started(world, session, core):
    section, values = answer_something(world, core)
    before = saved(session, world["respondent"])
    assert_sees_nothing(world["coordinator"], f"/r/{world['token']}", section, values)
    assert saved(session, world["respondent"]) == before
    # The board member's own browser still has it all.
    html = page(world["member"].get(f"/r/{world['token']}/s/{section.id}"))
    assert SECRET_ANSWER_COMMENT in html.text
    assert {i["name"] for i in html.select("input[type=radio][checked]")} == set(values)


def test_a_reissued_link_opens_nothing_for_the_coordinator(world, session, core):
    section, values = answer_something(world, core)
    links = world["coordinator"].post(
        f"/rounds/{world['round'].id}/invites/{world['respondent'].id}/reissue", data=CONFIRM)
    new = page(links).select_one(".maps-copy__text").text.split("testserver")[1]
    assert_sees_nothing(world["coordinator"], new, section, values)
    # The old link is dead for everyone; the new one works in the member's browser.
    assert world["member"].get(f"/r/{world['token']}").status_code == 404
    html = page(world["member"].get(f"{new}/s/{section.id}"))
    assert SECRET_ANSWER_COMMENT in html.text


def test_reopening_a_response_gives_the_coordinator_nothing(world, session, core):
    section, values = answer_something(world, core)
    token, member, coordinator = world["token"], world["member"], world["coordinator"]
    assert member.post(f"/r/{token}/submit").status_code == 303
    assert coordinator.post(f"/rounds/{world['round'].id}/invites/"
                            f"{world['respondent'].id}/reopen", data=CONFIRM).status_code == 303
    assert_sees_nothing(coordinator, f"/r/{token}", section, values)
    links = coordinator.post(
        f"/rounds/{world['round'].id}/invites/{world['respondent'].id}/reissue", data=CONFIRM)
    new = page(links).select_one(".maps-copy__text").text.split("testserver")[1]
    assert_sees_nothing(coordinator, new, section, values)
    # The member, in their browser, can change their answers again.
    item = section.items[1]
    assert member.post(f"{new}/answer", data={item.id: "dk"}, headers=HTMX).status_code == 200


def test_withdrawing_and_restoring_gives_the_coordinator_nothing(world, session, core):
    section, values = answer_something(world, core)
    round_id, respondent_id = world["round"].id, world["respondent"].id
    coordinator = world["coordinator"]
    assert coordinator.post(
        f"/rounds/{round_id}/invites/{respondent_id}/revoke", data=CONFIRM).status_code == 303
    assert coordinator.get(f"/r/{world['token']}").status_code == 410
    links = coordinator.post(f"/rounds/{round_id}/invites/{respondent_id}/reissue", data=CONFIRM)
    new = page(links).select_one(".maps-copy__text").text.split("testserver")[1]
    assert_sees_nothing(coordinator, new, section, values)


def test_a_forwarded_link_and_a_guessed_code_open_nothing(app, world, session, core):
    section, values = answer_something(world, core)
    with FormClient(app, follow_redirects=False) as forwarded_to:
        assert_sees_nothing(forwarded_to, f"/r/{world['token']}", section, values)
        for guess in ("", "0000-0000-0000-0000", "x" * 5000, "' OR 1=1 --"):
            response = forwarded_to.post(f"/r/{world['token']}/resume", data={"code": guess})
            assert response.status_code == 400
            assert SECRET_ANSWER_COMMENT not in response.text
        assert_sees_nothing(forwarded_to, f"/r/{world['token']}", section, values)


def test_the_first_browser_to_start_holds_the_link(app, world, session):
    """Whoever starts first claims the link; a second Start claims nothing. Opening the link
    (as a mail scanner does) claims nothing."""
    token = world["token"]
    with FormClient(app, follow_redirects=False) as scanner:
        assert scanner.get(f"/r/{token}").headers["location"] == f"/r/{token}/welcome"
        assert scanner.get(f"/r/{token}/welcome").status_code == 200
    session.refresh(world["respondent"])
    assert world["respondent"].claimed_at is None
    start_response(world["member"], token)
    assert world["coordinator"].post(f"/r/{token}/start").headers["location"] == \
        f"/r/{token}/resume"
    session.refresh(world["respondent"])
    assert world["respondent"].resume_hash is not None
    # Only a hash of the code is kept.
    code = next(v for k, v in world["member"].cookies.items() if k.startswith("maps_resume_"))
    assert code not in (world["respondent"].resume_hash, world["respondent"].token_hash)


def test_a_response_started_before_links_were_claimed_opens_for_nobody(app, world, session,
                                                                       core):
    """What migration 0005 does to a response already started: claimed, with no code."""
    respondent = world["respondent"]
    item = core.items[0]
    session.add(Answer(respondent_id=respondent.id, item_id=item.id, value="2",
                       comment=SECRET_ANSWER_COMMENT))
    respondent.started_at = respondent.claimed_at = datetime.now(UTC)
    session.add(respondent)
    session.commit()
    section = core.section(item.section_id)
    assert_sees_nothing(world["member"], f"/r/{world['token']}", section, {item.id: "2"})


def test_the_pages_say_who_sees_what_and_the_code(world, session, core):
    token, member = world["token"], world["member"]
    welcome = page(member.get(f"/r/{token}/welcome"))
    assert "Who sees your answers" in welcome.text
    assert "fewer than 3 people" in welcome.select_one("#who-sees-what").find_next("ul").text
    start = member.post(f"/r/{token}/start")
    assert start.headers["location"] == f"/r/{token}?started=1"
    cookie = start.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/r/" in cookie and "samesite=lax" in cookie.lower()
    # Agency and level were given with the invitation: straight to the questions, which
    # show the code this once.
    first = f"/r/{token}/s/{core.sections[0].id}"
    assert member.get(start.headers["location"]).headers["location"] == f"{first}?started=1"
    code = page(member.get(f"{first}?started=1")).select_one(
        "#resume-code .maps-code").get_text()
    assert len(code) == 19 and code.count("-") == 3
    assert member.get(f"/r/{token}/about").headers["cache-control"] == "no-store"
    html = page(member.get(first))
    assert html.select_one("#resume-code") is None
    assert html.select_one("#resume-code-details .maps-code").get_text() == code
    hint = html.select_one(f"#comment__{core.sections[0].items[0].id}-hint").get_text()
    assert "coordinator reads comments" in hint and "without your name, agency or level" in hint


# --- Comments saved on their own ------------------------------------------------------------

def test_a_comment_typed_before_its_answer_is_kept(world, session, core):
    token, member = world["token"], world["member"]
    start_response(member, token)
    item = core.sections[0].items[0]
    response = member.post(f"/r/{token}/answer",
                           data={f"comment__{item.id}": "Not sure yet"}, headers=HTMX)
    assert response.status_code == 200
    # "Saved" is said only for what the server stored; the comment is not an answer.
    assert page(response).select_one(".maps-saved").get_text().startswith("Comment saved at ")
    assert "0 of" in response.text
    assert saved(session, world["respondent"]) == {item.id: (None, "Not sure yet")}
    html = page(member.get(f"/r/{token}/s/{item.section_id}"))
    assert html.select_one(f"#comment__{item.id}").get_text() == "Not sure yet"
    assert html.select("input[type=radio][checked]") == []
    assert "0 of" in html.select_one("#progress-count").text
    review = page(member.get(f"/r/{token}/review"))
    row = " ".join(review.select(".govuk-summary-list__row")[0].get_text().split())
    assert item.text in row and "Not answered" in row  # still unanswered, comment kept
    assert "Your comment: Not sure yet" in row
    # Then the answer: both kept in the one row.
    value = item.scale.scored[-1].value
    response = member.post(f"/r/{token}/answer",
                           data={item.id: value, f"comment__{item.id}": "Not sure yet"},
                           headers=HTMX)
    assert page(response).select_one(".maps-saved").get_text().startswith(
        "Answer and comment saved at ")
    assert saved(session, world["respondent"]) == {item.id: (value, "Not sure yet")}


def test_a_comment_alone_is_kept_without_javascript_too(world, session, core):
    token, member = world["token"], world["member"]
    start_response(member, token)
    section = core.sections[1]
    item = section.items[2]
    response = member.post(f"/r/{token}/s/{section.id}",
                           data={f"comment__{item.id}": "Varies by team"})
    assert response.status_code == 303
    assert saved(session, world["respondent"]) == {item.id: (None, "Varies by team")}


def test_a_comment_alone_counts_as_no_answer_in_the_results(session, catalogue, core):
    round_ = make_round(session, anonymity_threshold=3)
    agency = session.exec(select(Agency)).first()
    item = core.items[0]
    for n in range(3):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        session.add(Answer(respondent_id=respondent.id, item_id=item.id,
                           value=None if n == 0 else item.scale.scored[0].value,
                           comment=f"Comment {n}"))
        respondent.submitted_at = datetime.now(UTC)
        session.add(respondent)
    session.commit()
    close(session, round_)
    result = results.score(session, round_, catalogue).result
    assert result.partnership.items[item.id].n + result.partnership.items[item.id].dont_know \
        == 2
    assert result.partnership.items[item.id].unanswered == 1
    assert result.comments == {item.id: ["Comment 0", "Comment 1", "Comment 2"]}


# --- The round's lifecycle -------------------------------------------------------------------

def _submitted(session, round_, agency, n: int, **overrides) -> list[Respondent]:
    people = []
    for _ in range(n):
        respondent, _ = make_invite(session, round_, agency_id=agency.id, level="strategic")
        respondent.submitted_at = overrides.get("submitted_at", datetime.now(UTC))
        session.add(respondent)
        people.append(respondent)
    session.commit()
    return people


def test_no_results_anywhere_while_the_round_is_open(world, session, catalogue):
    round_, coordinator = world["round"], world["coordinator"]
    _submitted(session, round_, world["agency"], 4)
    html = page(coordinator.get(f"/rounds/{round_.id}/results"))
    assert html.h1.get_text(strip=True) == "Results appear when the round closes"
    assert html.select_one("#comments") is None and html.select_one("#scores") is None
    assert html.select("table tbody tr")  # the response rate by agency
    api = coordinator.get(f"/api/rounds/{round_.id}/result")
    assert api.status_code == 409 and "still open" in api.json()["detail"]
    assert coordinator.get(f"/rounds/{round_.id}/report.pdf").status_code == 409
    with pytest.raises(results.ResultsNotReady):
        results.score(session, round_, catalogue)


def test_closing_fixes_who_counts_and_invitations_stop_changing(world, session, catalogue):
    round_, coordinator, agency = world["round"], world["coordinator"], world["agency"]
    people = _submitted(session, round_, agency, 4)
    assert coordinator.post(f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
    session.refresh(round_)
    assert round_.closed_at is not None
    before = results.score(session, round_, catalogue).result.to_dict()
    for action in ("revoke", "reissue", "reopen"):
        response = coordinator.post(
            f"/rounds/{round_.id}/invites/{people[0].id}/{action}")
        assert response.status_code == 409, action
    # Even a row changed behind MAPS's back after the close changes nothing counted.
    late = _submitted(session, round_, agency, 1)[0]
    late.submitted_at = round_.closed_at + timedelta(minutes=5)
    people[1].revoked_at = round_.closed_at + timedelta(minutes=5)
    session.add_all([late, people[1]])
    session.commit()
    assert results.score(session, round_, catalogue).result.to_dict() == before
    assert before["coverage"]["respondents"] == 4  # Nadia never submitted


# --- The site's minimum threshold ------------------------------------------------------------

def test_the_site_minimum_cannot_be_set_below_three_nor_undercut(tmp_path):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, min_anonymity_threshold=2)
    with pytest.raises(ValidationError, match="below MAPS_MIN_ANONYMITY_THRESHOLD"):
        Settings(data_dir=tmp_path, min_anonymity_threshold=5, anonymity_threshold=4)
    assert Settings(data_dir=tmp_path).min_anonymity_threshold == 3


def test_coordinators_may_raise_the_threshold_never_lower_it(app, world, session, core):
    app.state.settings.min_anonymity_threshold = 5
    app.state.settings.anonymity_threshold = 5
    coordinator, partnership_id = world["coordinator"], world["round"].partnership_id
    close(session, world["round"])
    day = datetime.now(UTC).date() + timedelta(days=20)
    form = {"questionnaire": "multi-agency-working@1", "closes-day": str(day.day),
            "closes-month": str(day.month), "closes-year": str(day.year)}
    refused = coordinator.post(f"/partnerships/{partnership_id}/rounds",
                               data={**form, "threshold": "3"})
    assert refused.status_code == 400
    assert "from 5 to 50" in page(refused).select_one("#threshold-error").text
    opened = coordinator.post(f"/partnerships/{partnership_id}/rounds",
                              data={**form, "threshold": "6"})
    assert opened.status_code == 303


def test_a_round_gets_the_minimum_raised_since_it_opened(app, world, session, core):
    """Respondents are told the threshold that will apply; closing fixes it."""
    round_, token, member = world["round"], world["token"], world["member"]
    assert round_.anonymity_threshold == 3
    app.state.settings.min_anonymity_threshold = 4
    welcome = page(member.get(f"/r/{token}/welcome"))
    assert "fewer than 4 people" in welcome.text and "fewer than 3" not in welcome.text
    assert world["coordinator"].post(f"/rounds/{round_.id}/close", data=CONFIRM).status_code == 303
    session.refresh(round_)
    assert round_.anonymity_threshold == 4
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "round_closed")).all()
    assert len(events) == 1
    assert round_.status == RoundStatus.closed
