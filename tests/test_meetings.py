"""The board discussion through its pages: starting it, changing the agenda, recording what the
board agreed (an action straight into the plan), the live vote from phones, and the record on
the results page, in the report, in the next round and on the officer's comparison page."""

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.meeting import rules
from app.models import (
    ActionItem,
    Agency,
    AgendaItem,
    Answer,
    AuditEvent,
    LiveVote,
    Role,
    VoteBallot,
)
from app.recommendations.labels import in_words
from app.reports.pdf import render_html
from app.services import report
from tests.conftest import CONFIRM, FormClient, sign_in
from tests.factories import make_organisation, make_partnership, make_round, make_user
from tests.meeting_helpers import MEETING_DATE, agenda_of, divided_round


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text(response) -> str:
    return " ".join(page(response).get_text(" ").split())


@pytest.fixture
def board(session, core):
    """A closed round of six who disagree on every opinion, its coordinator and admin."""
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = divided_round(session, make_round(session, partnership), core)
    coordinator = make_user(session, org, coordinates=[partnership])
    admin = make_user(session, org, role=Role.org_admin)
    return round_, partnership, coordinator, admin


@pytest.fixture
def started(client, session, board):
    round_, _, coordinator, _ = board
    sign_in(client, coordinator)
    assert client.post(f"/rounds/{round_.id}/board", data=MEETING_DATE).status_code == 303
    return round_


def test_the_coordinator_starts_the_discussion_with_the_agenda_mapss_suggests(client, session,
                                                                              board, started):
    round_ = started
    items = agenda_of(session, round_)
    kinds = [i.kind for i in items]
    assert kinds[:rules.MAX_DISAGREEMENTS] == ["question"] * rules.MAX_DISAGREEMENTS
    assert kinds.index("factor") < kinds.index("placement") < kinds.index("recommendation")
    shown = page(client.get(f"/rounds/{round_.id}/board"))
    assert [h.get_text(strip=True) for h in shown.select(".maps-agenda__title")] == [
        page(client.get(f"/rounds/{round_.id}/board/present/{n}")).h1.get_text(strip=True)
        for n in range(1, len(items) + 1)]
    assert "14 May 2027" in shown.get_text()
    # Posting the date again moves the meeting; the agenda stays as it was.
    client.post(f"/rounds/{round_.id}/board",
                data={"held-on-day": "2", "held-on-month": "6", "held-on-year": "2027"})
    assert [i.id for i in agenda_of(session, round_)] == [i.id for i in items]
    shown = text(client.get(f"/rounds/{round_.id}/board"))
    assert "2 June 2027" in shown
    assert "Board discussion started" in shown and "date changed" in shown  # its own trail
    events = session.exec(select(AuditEvent.action).where(AuditEvent.round_id == round_.id))
    assert set(events) >= {"board_meeting_started", "board_meeting_edited"}


def test_a_meeting_date_that_is_no_date_is_refused_and_nothing_starts(client, session, board):
    round_, _, coordinator, _ = board
    sign_in(client, coordinator)
    response = client.post(f"/rounds/{round_.id}/board", data={
        "held-on-day": "31", "held-on-month": "2", "held-on-year": "2027"})
    assert response.status_code == 400
    assert "The date of the meeting must be a real date" in text(response)
    assert page(response).select_one(".govuk-error-summary a")["href"] == "#held-on-day"
    assert session.exec(select(AgendaItem)).all() == []


def test_an_open_round_has_no_discussion_yet(client, session, core):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    sign_in(client, make_user(session, org, coordinates=[partnership]))
    assert client.get(f"/rounds/{round_.id}/board").status_code == 409
    assert client.post(f"/rounds/{round_.id}/board", data=MEETING_DATE).status_code == 409


def test_a_round_too_small_to_show_has_nothing_to_discuss(client, session, core):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = divided_round(session, make_round(session, partnership), core, people=2)
    sign_in(client, make_user(session, org, coordinates=[partnership]))
    assert "nothing from it for the board to discuss" in text(
        client.get(f"/rounds/{round_.id}/board"))
    response = client.post(f"/rounds/{round_.id}/board", data=MEETING_DATE)
    assert response.status_code == 409
    assert session.exec(select(AgendaItem)).all() == []


def test_the_agenda_is_reordered_shortened_and_added_to(client, session, core, started):
    round_ = started
    first, second, *_ = agenda_of(session, round_)
    client.post(f"/rounds/{round_.id}/board/items/{first.id}/move", data={"direction": "down"})
    assert [i.id for i in agenda_of(session, round_)][:2] == [second.id, first.id]
    client.post(f"/rounds/{round_.id}/board/items/{first.id}/drop", data={})
    assert first.id not in [i.id for i in agenda_of(session, round_)]
    question = core.items[-1]
    response = client.post(f"/rounds/{round_.id}/board/items", data={"question": question.id})
    assert response.status_code == 303
    last = agenda_of(session, round_)[-1]
    assert (last.kind, last.key, last.why) == ("question", question.id, "added")
    response = client.post(f"/rounds/{round_.id}/board/items", data={"question": "nonsense"})
    assert response.status_code == 400
    assert "Select a question of this round's questionnaire" in text(response)


def test_taking_off_an_item_with_a_record_asks_first(client, session, started):
    round_ = started
    item = agenda_of(session, round_)[0]
    client.post(f"/rounds/{round_.id}/board/items/{item.id}", data={"outcome": "not_agreed"})
    asked = client.post(f"/rounds/{round_.id}/board/items/{item.id}/drop", data={})
    assert asked.status_code == 200 and "Take this item off the agenda?" in text(asked)
    assert item.id in [i.id for i in agenda_of(session, round_)]
    client.post(f"/rounds/{round_.id}/board/items/{item.id}/drop", data=CONFIRM)
    assert item.id not in [i.id for i in agenda_of(session, round_)]


def _question(session, round_) -> AgendaItem:
    return next(i for i in agenda_of(session, round_) if i.kind == "question")


def test_an_agreed_answer_and_its_action_go_on_record_and_into_the_plan(client, session, core,
                                                                        board, started):
    round_ = started
    _, partnership, _, _ = board
    item = _question(session, round_)
    partnership_agency = session.exec(select(Agency).where(
        Agency.partnership_id == partnership.id)).first()
    response = client.post(f"/rounds/{round_.id}/board/items/{item.id}", data={
        "outcome": "4", "note": "We will test it again next year.",
        "text": "Agree a shared referral form", "owner": str(partnership_agency.id),
        "lead": "Siân Jones", "target-day": "30", "target-month": "9", "target-year": "2027",
        "measure": "One form in use by every agency"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("?saved=1#record")
    session.expire_all()
    saved = session.get(AgendaItem, item.id)
    assert (saved.outcome, saved.agreed_value) == ("agreed", "4")
    action = session.get(ActionItem, saved.action_id)
    assert (action.text, action.lead, action.target_date, action.owner_agency_id,
            action.success_measure) == ("Agree a shared referral form", "Siân Jones",
                                        date(2027, 9, 30), partnership_agency.id,
                                        "One form in use by every agency")
    # One action per item: its record page links to it, and a second post adds no other.
    again = page(client.get(f"/rounds/{round_.id}/board/items/{item.id}"))
    assert again.select_one("#action-text") is None
    assert "This item added action 1 to the action plan" in again.get_text()
    client.post(f"/rounds/{round_.id}/board/items/{item.id}",
                data={"outcome": "4", "note": "We will test it again next year.",
                      "text": "Another action"})
    assert [a.text for a in session.exec(select(ActionItem))] == [
        "Agree a shared referral form"]
    screen = text(client.get(response.headers["location"]))
    assert "What the board agreed Saved. Agree" in screen
    assert "Action 1 in the plan: Agree a shared referral form" in screen
    assert "Agree a shared referral form" in text(client.get(f"/rounds/{round_.id}/plan"))
    # The results page: the board's answer beside the members' own answers, which stand.
    results = page(client.get(f"/rounds/{round_.id}/results"))
    section = results.select_one("#board")
    assert "From the board meeting" in section.get_text()
    row = next(tr for tr in section.select("tbody tr")
               if core.item(item.key).text in tr.get_text())
    cells = [" ".join(td.get_text().split()) for td in row.select("td")]
    assert cells[1] == "Strongly disagree 3; Strongly agree 3"
    assert cells[2] == "Agree. We will test it again next year."
    assert "Action 1: Agree a shared referral form (owner: " in section.get_text()
    answers = session.exec(select(Answer.value).where(Answer.item_id == item.key)).all()
    assert sorted(answers) == ["1", "1", "1", "5", "5", "5"]


def test_a_record_with_mistakes_changes_nothing_and_says_what_is_wrong(client, session,
                                                                       started):
    round_ = started
    item = _question(session, round_)
    client.post(f"/rounds/{round_.id}/board/items/{item.id}",
                data={"outcome": "not_agreed", "note": "First view"})
    response = client.post(f"/rounds/{round_.id}/board/items/{item.id}", data={
        "outcome": "9", "note": "x" * 1001, "text": "An action", "target-day": "31",
        "target-month": "2", "target-year": "2027", "lead": "a\u202eb"})
    assert response.status_code == 400
    links = {a["href"]: a.get_text(strip=True)
             for a in page(response).select(".govuk-error-summary a")}
    assert links["#outcome"].startswith("Select the answer the board agreed")
    assert links["#note"] == "Enter a note of at most 1000 characters"
    assert links["#action-target-day"] == "The target date must be a real date, like 31 3 2027"
    assert "#action-lead" in links
    # What was typed is shown again; what was saved before is still saved.
    assert page(response).select_one("#action-text").get_text() .strip() == "An action"
    session.expire_all()
    kept = session.get(AgendaItem, item.id)
    assert (kept.outcome, kept.note, kept.action_id) == ("not_agreed", "First view", None)
    assert session.exec(select(ActionItem)).all() == []


def test_a_placement_the_board_rejects_needs_the_level_that_fits_better(client, session,
                                                                       started):
    round_ = started
    item = next(i for i in agenda_of(session, round_) if i.kind == "placement")
    response = client.post(f"/rounds/{round_.id}/board/items/{item.id}",
                           data={"outcome": "does_not_fit", "note": "We plan, we do not act"})
    assert response.status_code == 400
    assert "Select the level the board thinks describes it better" in text(response)
    levels = [o["value"] for o in page(response).select("#better option") if o["value"]]
    client.post(f"/rounds/{round_.id}/board/items/{item.id}",
                data={"outcome": "does_not_fit", "better": levels[0],
                      "note": "We plan, we do not act"})
    session.expire_all()
    assert session.get(AgendaItem, item.id).better_level == levels[0]
    placements = text(client.get(f"/rounds/{round_.id}/results"))
    assert "The board’s view, 14 May 2027: No, it does not describe us;" in placements
    assert "describes it better. We plan, we do not act" in placements


def test_the_presenter_pages_through_the_agenda_by_plain_links(client, session, started):
    round_ = started
    count = len(agenda_of(session, round_))
    first = page(client.get(f"/rounds/{round_.id}/board/present/1"))
    assert first.select_one('a[rel="next"]')["href"] == f"/rounds/{round_.id}/board/present/2"
    assert first.select_one('a[rel="prev"]') is None
    last = page(client.get(f"/rounds/{round_.id}/board/present/{count}"))
    assert last.select_one('a[rel="prev"]')["href"].endswith(f"/present/{count - 1}")
    assert last.select_one('a[rel="next"]') is None
    assert client.get(f"/rounds/{round_.id}/board/present/{count + 1}").status_code == 404
    assert client.get(f"/rounds/{round_.id}/board/present/0").status_code == 404


def test_the_organisation_admin_reads_the_discussion_but_changes_nothing(app, session, board,
                                                                          started):
    round_, _, _, admin = board
    with FormClient(app, follow_redirects=False) as reader:
        sign_in(reader, admin)
        assert reader.get(f"/rounds/{round_.id}/board/present/1").status_code == 200
        shown = page(reader.get(f"/rounds/{round_.id}/board"))
        assert not shown.select("form[action$='/move']")
        item = agenda_of(session, round_)[0]
        assert reader.post(f"/rounds/{round_.id}/board/items/{item.id}",
                           data={"outcome": "not_agreed"}).status_code == 403


# --- The live vote ----------------------------------------------------------------------------

def _phone(app):
    return FormClient(app, follow_redirects=False).__enter__()


def _vote(phone, code: str, answer: str):
    assert phone.post("/vote", data={"code": code.lower()}).headers["location"] == f"/vote/{code}"
    return phone.post(f"/vote/{code}", data={"answer": answer})


@pytest.fixture
def whole_only(session, core):
    """Six who answered, in three agencies of two and no level given: the round shows the
    whole partnership only, so three votes (three away from six) may show their spread."""
    org = make_organisation(session)
    partnership = make_partnership(session, org, agencies=(
        ("Ash Health", "health"), ("Beech Schools", "education"), ("Cherry Police", "police")))
    round_ = divided_round(session, make_round(session, partnership), core,
                           levels=[None] * 6)
    return round_, make_user(session, org, coordinates=[partnership])


def _open_vote(client, session, round_) -> tuple[AgendaItem, LiveVote]:
    item = _question(session, round_)
    assert client.post(f"/rounds/{round_.id}/board/items/{item.id}/vote").status_code == 303
    return item, session.exec(select(LiveVote).where(LiveVote.item_id == item.key)).one()


def test_one_vote_per_phone_and_the_spread_only_when_closed_at_a_safe_count(
        app, client, session, whole_only):
    round_, coordinator = whole_only
    sign_in(client, coordinator)
    client.post(f"/rounds/{round_.id}/board", data=MEETING_DATE)
    item, vote = _open_vote(client, session, round_)
    answers_before = session.exec(select(Answer.respondent_id, Answer.item_id,
                                         Answer.value)).all()
    screen_url = f"/rounds/{round_.id}/board/present/1"
    phones = [_phone(app) for _ in range(4)]
    assert _vote(phones[0], vote.code, "4").status_code == 303
    assert _vote(phones[0], vote.code, "1").status_code == 303  # the same phone again
    assert "Your vote has been counted" in text(phones[0].get(f"/vote/{vote.code}"))
    assert _vote(phones[1], vote.code, "4").status_code == 303
    shown = text(client.get(screen_url))
    assert "2 of 6 voted" in shown
    assert "Closed now, the vote would show no spread: fewer than 3 have voted" in shown
    assert _vote(phones[2], vote.code, "5").status_code == 303
    shown = text(client.get(screen_url))
    assert "3 of 6 voted" in shown and "Closed now, the vote would show its spread" in shown
    assert page(client.get(screen_url)).select_one("#before-after") is None  # not while open
    client.post(f"/rounds/{round_.id}/board/items/{item.id}/vote/close")
    table = page(client.get(screen_url)).select_one("#before-after")
    rows = {r.th.get_text(strip=True): [td.get_text(" ", strip=True).split()[0]
                                        for td in r.select("td")] for r in table.tbody.select("tr")}
    assert rows["Agree"][1] == "2" and rows["Strongly agree"][1] == "1"
    assert rows["Strongly disagree"][1] == "0"
    # A vote after the close is not counted, and nothing of the questionnaire moved.
    refused = _vote(phones[3], vote.code, "1")
    assert refused.status_code == 409 and "Your vote was not counted" in text(refused)
    session.expire_all()
    assert session.get(LiveVote, vote.id).votes_cast == 3
    assert len(session.exec(select(VoteBallot)).all()) == 3
    assert session.exec(select(Answer.respondent_id, Answer.item_id,
                               Answer.value)).all() == answers_before
    for phone in phones:
        phone.__exit__(None, None, None)


def test_a_vote_closed_one_short_of_the_round_shows_no_spread(app, client, session, board):
    """Six answered (agencies shown); five votes beside the round's figures could be the
    sixth member's answer subtracted out, if nobody changed their mind."""
    round_, _, coordinator, _ = board
    sign_in(client, coordinator)
    client.post(f"/rounds/{round_.id}/board", data=MEETING_DATE)
    item, vote = _open_vote(client, session, round_)
    phones = [_phone(app) for _ in range(5)]
    for phone in phones:
        _vote(phone, vote.code, "4")
    screen_url = f"/rounds/{round_.id}/board/present/1"
    assert "It can show its spread from 6 votes" in text(client.get(screen_url))
    client.post(f"/rounds/{round_.id}/board/items/{item.id}/vote/close")
    shown = text(client.get(screen_url))
    assert "The vote closed with 5 votes. MAPS shows no spread for it" in shown
    assert page(client.get(screen_url)).select_one("#before-after") is None
    session.expire_all()
    assert session.get(LiveVote, vote.id).shown is False
    for phone in phones:
        phone.__exit__(None, None, None)


def test_the_vote_closes_by_itself_when_everyone_who_answered_has_voted(app, client, session,
                                                                       board):
    round_, _, coordinator, _ = board
    sign_in(client, coordinator)
    client.post(f"/rounds/{round_.id}/board", data=MEETING_DATE)
    item, vote = _open_vote(client, session, round_)
    phones = [_phone(app) for _ in range(7)]
    for n, phone in enumerate(phones[:6]):
        assert _vote(phone, vote.code, "4" if n % 2 else "5").status_code == 303
    assert _vote(phones[6], vote.code, "4").status_code == 409
    session.expire_all()
    closed = session.get(LiveVote, vote.id)
    assert closed.closed_at is not None and closed.shown and closed.votes_cast == 6
    shown = text(client.get(f"/rounds/{round_.id}/board/present/1"))
    assert "6 voted. Agreement 0% before and 75% after: members agree more" in shown
    # A vote's spread is shown once: it cannot be opened again for more votes.
    client.post(f"/rounds/{round_.id}/board/items/{item.id}/vote")
    assert len(session.exec(select(LiveVote)).all()) == 1
    for phone in phones:
        phone.__exit__(None, None, None)


def test_a_wrong_code_or_no_answer_is_said_plainly(app, client, session, started):
    round_ = started
    _, vote = _open_vote(client, session, round_)
    phone = _phone(app)
    response = phone.post("/vote", data={"code": "ZZZZZZ"})
    assert response.status_code == 400
    assert "There is no vote with that code: check the code on the screen" in text(response)
    assert phone.post("/vote", data={"code": ""}).status_code == 400
    assert phone.get("/vote/NOSUCH").status_code == 404
    response = phone.post(f"/vote/{vote.code}", data={"answer": "banana"})
    assert response.status_code == 400 and "Select an answer" in text(response)
    # Codes are read as people type them: lower case, spaces, an O for a 0.
    spaced = f"{vote.code[:3].lower()} {vote.code[3:]}".replace("0", "o")
    assert phone.post("/vote", data={"code": spaced}).headers["location"] == \
        f"/vote/{vote.code}"
    phone.__exit__(None, None, None)


# --- The record afterwards ----------------------------------------------------------------

def test_the_report_carries_a_dated_page_from_the_board_meeting(client, session, core, app,
                                                                 started):
    round_ = started
    items = agenda_of(session, round_)
    client.post(f"/rounds/{round_.id}/board/items/{items[0].id}",
                data={"outcome": "not_agreed", "note": "Health and schools see it apart"})
    factor = next(i for i in items if i.kind == "factor")
    client.post(f"/rounds/{round_.id}/board/items/{factor.id}",
                data={"outcome": "agreed", "text": "Hold a joint away day"})
    session.expire_all()  # the app saved them through its own sessions
    html = render_html(report.report_context(session, round_, app.state.catalogue))
    body = BeautifulSoup(html, "html.parser")
    section = body.select_one("#board")
    words = " ".join(section.get_text(" ").split())
    assert words.startswith("From the board meeting The board met on 14 May 2027")
    assert "Where the board could not agree" in words
    assert "Health and schools see it apart" in words
    assert "Action 1: Hold a joint away day" in words
    undecided = in_words(len(items) - 2)
    assert f"{undecided[:1].upper()}{undecided[1:]} items on its agenda have nothing recorded" \
        in words
    # At the end of the main part: after the action plan, before the method.
    order = [s["id"] for s in body.select("section.report-section, nav.report-section")]
    assert order.index("board") == order.index("action-plan") + 1
    assert body.select_one('#contents a[href="#board"]').get_text() == "From the board meeting"


def test_the_next_round_says_whether_members_now_agree_more(client, session, core, board,
                                                            started):
    first = started
    _, partnership, _, _ = board
    item = _question(session, first)
    client.post(f"/rounds/{first.id}/board/items/{item.id}", data={"outcome": "4"})
    # The next round: everyone agrees (a step apart at most).
    second = divided_round(session, make_round(session, partnership, title="Round 2"), core,
                           opinion=lambda question, n: "4" if question.id == item.key else
                           "3" if question.scale.option("3") else question.scale.scored[0].value)
    shown = page(client.get(f"/rounds/{second.id}/results")).select_one("#board")
    words = " ".join(shown.get_text(" ").split())
    assert words.startswith("Since the last board meeting Do members now agree more?")
    assert "The board discussed these on 14 May 2027, after Round 1." in words
    row = next(tr for tr in shown.select("tbody tr") if core.item(item.key).text in tr.get_text())
    assert [td.get_text(strip=True) for td in row.select("td")][1:] == [
        "0%", "100%", "Members agree more"]


def test_the_officer_sees_how_often_boards_say_their_placement_fits_never_their_notes(
        app, client, session, board, started):
    round_, _, _, admin = board
    for item in agenda_of(session, round_):
        if item.kind == "placement":
            client.post(f"/rounds/{round_.id}/board/items/{item.id}",
                        data={"outcome": "fits", "note": "Secret musing of the board"})
    with FormClient(app, follow_redirects=False) as officer:
        sign_in(officer, admin)
        response = officer.get("/compare")
    assert response.status_code == 200
    section = page(response).select_one("#board-views").find_parent("div")
    words = " ".join(section.get_text(" ").split())
    assert "Do boards say their placement describes them?" in text(response)
    assert "Secret musing" not in response.text
    counts = {tr.th.get_text(strip=True): tr.td.get_text(strip=True)
              for tr in page(response).select("#board-views ~ .govuk-grid-row tr")}
    assert counts["Yes, this describes us"] == "1"
    assert counts["No, it does not describe us"] == "0"
    assert "1 board record" in words
