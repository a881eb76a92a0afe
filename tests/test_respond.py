"""A board member's journey through the HTML forms, with htmx and without, and every kind of
bad input the journey can meet."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from app.models import Agency, Answer, Respondent, RoundStatus
from app.questionnaires.paging import page_of, pages
from tests.conftest import start_response
from tests.factories import make_invite, make_round

HTMX = {"HX-Request": "true"}


@pytest.fixture
def invited(session, client):
    """An invitation whose link the client has started with (its browser holds the claim)."""
    respondent, token = make_invite(session)
    start_response(client, token)
    return respondent, token


def answers(session, respondent) -> dict[str, str]:
    session.expire_all()
    rows = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).all()
    return {a.item_id: a.value for a in rows}


def confirm_about(client, session, token, respondent):
    agency = session.exec(select(Agency)).first()
    response = client.post(f"/r/{token}/about", data={"agency": agency.id, "level": "strategic"})
    assert response.status_code == 303
    return agency


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def test_first_visit_asks_about_the_respondent(client, invited):
    _, token = invited
    response = client.get(f"/r/{token}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/r/{token}/about"
    about = page(client.get(f"/r/{token}/about"))
    legends = [legend.get_text(strip=True) for legend in about.select("fieldset legend")]
    assert any("agency" in legend for legend in legends)
    assert any("level" in legend for legend in legends)


def test_about_form_errors_are_summarised_and_linked(client, invited):
    _, token = invited
    response = client.post(f"/r/{token}/about", data={"level": "sideways"})
    assert response.status_code == 400
    summary = page(response).select(".govuk-error-summary a")
    assert {a["href"] for a in summary} == {"#agency", "#level"}
    assert page(response).select_one("#agency") is not None


def test_whole_questionnaire_without_javascript(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    location = client.get(f"/r/{token}").headers["location"]
    assert location == f"/r/{token}/s/{core.sections[0].id}"
    url = location
    for questions in pages(core):
        assert url == f"/r/{token}/{questions.path}"
        form = page(client.get(url))
        section = questions.section
        assert form.select_one("h1").get_text(strip=True).startswith(section.title)
        number = core.sections.index(section) + 1
        assert f"part {number} of {len(core.sections)}" in form.get_text()
        data = {item.id: item.scale.scored[-1].value for item in questions.items}
        response = client.post(url, data=data)
        assert response.status_code == 303
        url = response.headers["location"]
    assert url == f"/r/{token}/review"
    saved = answers(session, respondent)
    assert saved == {item.id: item.scale.scored[-1].value for item in core.items}
    review = page(client.get(f"/r/{token}/review"))
    assert "You have answered every question" in review.get_text()
    response = client.post(f"/r/{token}/submit")
    assert response.headers["location"] == f"/r/{token}/done"
    assert "Response submitted" in client.get(f"/r/{token}/done").text
    session.refresh(respondent)
    assert respondent.submitted_at is not None


def test_each_question_is_a_labelled_radio_group(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    section = pages(core)[2]
    html = page(client.get(f"/r/{token}/{section.path}"))
    fieldsets = html.select("form fieldset")
    assert len(fieldsets) == len(section.items)
    for fieldset, item in zip(fieldsets, section.items, strict=True):
        assert item.text in fieldset.select_one("legend").get_text()
        radios = fieldset.select("input[type=radio]")
        assert [r["value"] for r in radios] == [o.value for o in item.scale.options]
        for radio in radios:
            assert html.select_one(f"label[for='{radio['id']}']") is not None
        assert "dk" in [r["value"] for r in radios]


def test_autosave_with_htmx_saves_one_answer_and_returns_a_fragment(client, session, invited,
                                                                     core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    item = core.items[0]
    response = client.post(f"/r/{token}/answer", data={item.id: "2"}, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Saved" in response.text
    assert response.headers["vary"] == "HX-Request"
    assert "1 of" in response.text
    assert answers(session, respondent) == {item.id: "2"}
    response = client.post(f"/r/{token}/answer", data={item.id: "dk"}, headers=HTMX)
    assert answers(session, respondent) == {item.id: "dk"}


def test_comments_are_saved_with_their_answer(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    item = core.items[0]
    client.post(f"/r/{token}/answer", data={item.id: "1", f"comment__{item.id}": "Only in name"},
                headers=HTMX)
    session.expire_all()
    row = session.exec(select(Answer).where(Answer.respondent_id == respondent.id)).one()
    assert (row.value, row.comment) == ("1", "Only in name")
    html = page(client.get(f"/r/{token}/s/{item.section_id}"))
    assert html.select_one(f"#comment__{item.id}").get_text() == "Only in name"


def test_resume_on_another_device_with_the_resume_code(client, app, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    first = core.sections[0]
    client.post(f"/r/{token}/s/{first.id}", data={i.id: "1" for i in first.items})
    code = page(client.get(f"/r/{token}/s/{first.id}")).select_one(".maps-code").get_text()
    # A new device: no cookies, only the link, and the code the first device showed.
    from tests.conftest import FormClient
    with FormClient(app, follow_redirects=False) as other_device:
        assert other_device.get(f"/r/{token}").headers["location"] == f"/r/{token}/resume"
        assert other_device.get(f"/r/{token}/s/{first.id}").headers["location"] == \
            f"/r/{token}/resume"
        wrong = other_device.post(f"/r/{token}/resume", data={"code": "AAAA-BBBB-CCCC-DDDD"})
        assert wrong.status_code == 400
        assert "not the resume code" in page(wrong).select_one("#code-error").get_text()
        # Typed loosely: lower case, spaces, an O for a 0.
        typed = code.lower().replace("-", " ").replace("0", "o")
        assert other_device.post(f"/r/{token}/resume", data={"code": typed}).status_code == 303
        location = other_device.get(f"/r/{token}").headers["location"]
        assert location == f"/r/{token}/s/{core.sections[1].id}"
        html = page(other_device.get(f"/r/{token}/s/{first.id}"))
        checked = {i["name"]: i["value"] for i in html.select("input[type=radio][checked]")}
        assert checked == {i.id: "1" for i in first.items}


def test_review_lists_unanswered_questions_with_links(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    answered = core.items[:-3]
    for questions in pages(core):
        data = {i.id: "dk" for i in questions.items if i in answered}
        client.post(f"/r/{token}/{questions.path}", data=data)
    review = page(client.get(f"/r/{token}/review"))
    links = [a["href"] for a in review.select("main li a")]
    assert links == [f"/r/{token}/{page_of(core, i.id).path}#q-{i.id}" for i in core.items[-3:]]


def test_unknown_link(client):
    response = client.get("/r/not-a-real-token-at-all")
    assert response.status_code == 404
    assert "could not find this invitation" in response.text


def test_revoked_link_keeps_saved_answers(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    client.post(f"/r/{token}/answer", data={core.items[0].id: "1"}, headers=HTMX)
    respondent.revoked_at = datetime.now(UTC)
    session.add(respondent)
    session.commit()
    response = client.get(f"/r/{token}/s/{core.sections[0].id}")
    assert response.status_code == 410
    assert "withdrawn" in response.text
    response = client.post(f"/r/{token}/answer", data={core.items[0].id: "2"}, headers=HTMX)
    assert response.status_code == 410
    assert answers(session, respondent) == {core.items[0].id: "1"}


def test_closed_round_refuses_changes_and_keeps_answers(client, session, core):
    round_ = make_round(session)
    respondent, token = make_invite(session, round_)
    start_response(client, token)
    confirm_about(client, session, token, respondent)
    client.post(f"/r/{token}/answer", data={core.items[0].id: "1"}, headers=HTMX)
    round_.status = RoundStatus.closed
    session.add(round_)
    session.commit()
    response = client.post(f"/r/{token}/s/{core.sections[0].id}", data={core.items[0].id: "2"})
    assert response.status_code == 409
    assert "round is closed" in response.text
    assert answers(session, respondent) == {core.items[0].id: "1"}


def test_round_past_its_closing_date_is_closed(client, session, core):
    round_ = make_round(session, closes_at=datetime.now(UTC) - timedelta(minutes=1))
    _, token = make_invite(session, round_)
    assert client.get(f"/r/{token}/welcome").status_code == 409
    assert client.post(f"/r/{token}/start").status_code == 409


def test_item_not_in_the_rounds_version(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    response = client.post(f"/r/{token}/answer", data={"made_up_item": "3"}, headers=HTMX)
    assert response.status_code == 400
    assert "'made_up_item' is not a question" in page(response).get_text()
    assert answers(session, respondent) == {}


def test_item_from_another_page_is_refused_on_a_section_post(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    other = core.sections[1].items[0]
    response = client.post(f"/r/{token}/s/{core.sections[0].id}", data={other.id: "1"})
    assert response.status_code == 400
    assert answers(session, respondent) == {}


def test_value_outside_the_scale_is_refused_and_good_answers_kept(client, session, invited,
                                                                 core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    # A page of agreement statements, where "4" (agree) is an answer.
    section = next(s for s in core.sections if s.items[0].scale.option("4")
                   and s.items[1].scale.option("4"))
    good, bad = section.items[0], section.items[1]
    response = client.post(f"/r/{token}/s/{section.id}", data={good.id: "4", bad.id: "99"})
    assert response.status_code == 400
    html = page(response)
    summary = html.select(".govuk-error-summary a")
    assert [a["href"] for a in summary] == [f"#{bad.id}"]
    assert "not one of the answers" in html.select_one(f"#{bad.id}-error").get_text()
    assert answers(session, respondent) == {good.id: "4"}


def test_tampered_and_oversized_input(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    item = core.items[0]
    response = client.post(f"/r/{token}/answer",
                           data={item.id: "1", f"comment__{item.id}": "x" * 5000}, headers=HTMX)
    assert response.status_code == 400
    assert "up to 4,000 characters" in response.text
    response = client.post(f"/r/{token}/about", data={"agency": "9999", "level": "strategic"})
    assert response.status_code == 400


def test_agency_from_another_partnership_is_refused(client, session, invited):
    from tests.factories import make_partnership
    other = make_partnership(session, name="Elsewhere", agencies=(("Elsewhere Police", "police"),))
    session.commit()
    agency = session.exec(select(Agency).where(Agency.partnership_id == other.id)).one()
    _, token = invited
    response = client.post(f"/r/{token}/about", data={"agency": agency.id, "level": "strategic"})
    assert response.status_code == 400


def test_double_submit_is_harmless_and_locks_the_response(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    client.post(f"/r/{token}/answer", data={core.items[0].id: "1"}, headers=HTMX)
    assert client.post(f"/r/{token}/submit").status_code == 303
    session.refresh(respondent)
    first = respondent.submitted_at
    assert client.post(f"/r/{token}/submit").headers["location"] == f"/r/{token}/done"
    session.refresh(respondent)
    assert respondent.submitted_at == first
    response = client.post(f"/r/{token}/answer", data={core.items[0].id: "2"}, headers=HTMX)
    assert response.status_code == 409
    assert answers(session, respondent) == {core.items[0].id: "1"}
    assert client.get(f"/r/{token}").headers["location"] == f"/r/{token}/done"


def test_reopened_response_can_be_changed_again(client, session, invited, core):
    respondent, token = invited
    confirm_about(client, session, token, respondent)
    client.post(f"/r/{token}/submit")
    session.refresh(respondent)
    respondent.submitted_at = None
    session.add(respondent)
    session.commit()
    response = client.post(f"/r/{token}/answer", data={core.items[0].id: "2"}, headers=HTMX)
    assert response.status_code == 200


def test_two_tabs_saving_at_once_leave_one_answer_per_item_the_last(app, engine, session,
                                                                    client, invited, core):
    respondent, token = invited
    from tests.conftest import FormClient

    items = [i for i in core.items if i.scale.id == "agreement"][:5]
    errors = []

    def tab(values: list[str]):
        try:
            # Tabs of the browser that started: they share its cookies.
            with FormClient(app, cookies=dict(client.cookies)) as tab_client:
                for value in values:
                    for item in items:
                        r = tab_client.post(f"/r/{token}/answer", data={item.id: value},
                                            headers=HTMX)
                        assert r.status_code == 200, r.text
        except Exception as exc:  # noqa: BLE001 (collected and re-raised below)
            errors.append(exc)

    threads = [threading.Thread(target=tab, args=(["1", "2", "3"] * 3,)),
               threading.Thread(target=tab, args=(["4", "5", "3"] * 3,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as fresh:
        rows = fresh.exec(select(Answer).where(Answer.respondent_id == respondent.id)).all()
    assert sorted(r.item_id for r in rows) == sorted(i.id for i in items)
    # Both tabs' last write for every item was "3".
    assert {r.value for r in rows} == {"3"}


def test_respondent_only_sees_their_own_answers(client, session, core):
    round_ = make_round(session)
    alice, alice_token = make_invite(session, round_)
    bob, bob_token = make_invite(session, round_)
    for r, t in ((alice, alice_token), (bob, bob_token)):
        start_response(client, t)
        confirm_about(client, session, t, r)
    item = core.items[0]
    client.post(f"/r/{alice_token}/answer", data={item.id: "2"}, headers=HTMX)
    html = page(client.get(f"/r/{bob_token}/s/{item.section_id}"))
    assert html.select("input[type=radio][checked]") == []
    session.expire_all()
    assert session.exec(select(Respondent).where(Respondent.id == bob.id)).one().started_at is None
