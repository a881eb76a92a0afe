"""The respondent's pages as issue 16 asks for them: a welcome page that says who asks, how long
it takes and when it closes; pages of at most twelve questions; "Check your answers" with every
answer and a change link to its question; one counter; the time of the last save."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.clock import UK
from app.models import Agency, Answer, Organisation, Partnership, RoundStatus
from app.questionnaires.paging import MAX_QUESTIONS_PER_PAGE, page_of, pages, section_pages
from app.questionnaires.schema import Section
from app.questionnaires.timing import estimated_minutes
from tests.conftest import start_response
from tests.factories import CORE, make_invite, make_round, make_user

HTMX = {"HX-Request": "true"}


def page(response):
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def text_of(node) -> str:
    return " ".join(node.get_text().split())


@pytest.fixture
def answering(session, client):
    """A link started in the client, with the about-you page done."""
    respondent, token = make_invite(session)
    start_response(client, token)
    agency = session.exec(select(Agency)).first()
    assert client.post(f"/r/{token}/about",
                       data={"agency": agency.id, "level": "strategic"}).status_code == 303
    return respondent, token


@pytest.mark.parametrize(("size", "expected"), [
    (0, [0]), (7, [7]), (12, [12]), (13, [7, 6]), (24, [12, 12]), (25, [9, 8, 8]),
])
def test_a_section_is_shared_evenly_over_pages_of_at_most_twelve(size, expected):
    item = CORE.items[0]  # no app or database needed
    section = Section("s", "A part", tuple(item for _ in range(size)))
    split = section_pages(section)
    assert [len(p.items) for p in split] == expected
    assert [p.first_number for p in split] == [1 + sum(expected[:i]) for i in range(len(split))]
    assert [p.path for p in split] == ["s/s"] + [f"s/s/{n}" for n in range(2, len(split) + 1)]


def test_every_page_has_at_most_twelve_questions_under_its_parts_heading(client, core,
                                                                        answering):
    _, token = answering
    seen = []
    long_parts = {s.id for s in core.sections if len(s.items) > MAX_QUESTIONS_PER_PAGE}
    assert long_parts, "the core questionnaire has parts longer than a page"
    for questions in pages(core):
        html = page(client.get(f"/r/{token}/{questions.path}"))
        fieldsets = html.select("form fieldset")
        assert 0 < len(fieldsets) <= MAX_QUESTIONS_PER_PAGE
        assert text_of(html.select_one("h1")).startswith(questions.section.title)
        if questions.of > 1:
            assert f"page {questions.number} of {questions.of}" in text_of(html.select_one(
                ".govuk-caption-l"))
        # Numbering runs on through the whole questionnaire, across parts and pages.
        for fieldset in fieldsets:
            assert text_of(fieldset.select_one("legend")).startswith(f"{len(seen) + 1}. ")
            seen.append(fieldset.select_one("input[type=radio]")["name"])
    assert seen == [i.id for i in core.items]


def test_a_page_posts_only_its_own_questions_and_goes_on_to_the_next(client, session, core,
                                                                    answering):
    respondent, token = answering
    first, second = section_pages(next(s for s in core.sections
                                       if len(s.items) > MAX_QUESTIONS_PER_PAGE))[:2]
    url = f"/r/{token}/{second.path}"
    wrong = client.post(url, data={first.items[0].id: "dk"})
    assert wrong.status_code == 400
    assert "not a question on this page" in text_of(page_of_error(wrong))
    done = client.post(url, data={i.id: "dk" for i in second.items})
    assert done.status_code == 303
    back = client.post(url, data={"_action": "back"})
    assert back.headers["location"] == f"/r/{token}/{first.path}"
    session.expire_all()
    assert set(session.exec(select(Answer.item_id).where(
        Answer.respondent_id == respondent.id)).all()) == {i.id for i in second.items}
    # The link resumes at the first page with a question left.
    assert client.get(f"/r/{token}").headers["location"].endswith(pages(core)[0].path)
    missing = client.get(f"/r/{token}/s/{first.section.id}/9")
    assert missing.status_code == 404
    assert "no page '9'" in text_of(BeautifulSoup(missing.text, "html.parser"))


def page_of_error(response):
    return BeautifulSoup(response.text, "html.parser").select_one(".govuk-error-summary")


def test_check_your_answers_lists_every_answer_with_a_change_link_to_its_question(
        client, core, answering):
    _, token = answering
    answered = {item.id: item.scale.options[0] for item in core.items[:-2]}
    for questions in pages(core):
        data = {i.id: answered[i.id].value for i in questions.items if i.id in answered}
        client.post(f"/r/{token}/{questions.path}", data=data)
    commented = core.items[3]
    client.post(f"/r/{token}/answer", data={commented.id: answered[commented.id].value,
                                            f"comment__{commented.id}": "Not in our area"},
                headers=HTMX)
    html = page(client.get(f"/r/{token}/review"))
    assert html.select_one(".govuk-back-link")["href"] == f"/r/{token}/{pages(core)[-1].path}"
    rows = html.select(".govuk-summary-list__row")
    assert len(rows) == len(core.items)
    for row, item in zip(rows, core.items, strict=True):
        assert item.text in text_of(row.select_one(".govuk-summary-list__key"))
        value = text_of(row.select_one(".govuk-summary-list__value"))
        assert value.startswith(answered[item.id].label if item.id in answered
                                else "Not answered")
        link = row.select_one(".govuk-summary-list__actions a")
        questions = page_of(core, item.id)
        assert link["href"] == f"/r/{token}/{questions.path}#q-{item.id}"
        # Its hidden words say which question it changes.
        assert "question" in text_of(link.select_one(".govuk-visually-hidden"))
    assert "Your comment: Not in our area" in text_of(rows[3])
    # The missing ones are listed above, linked to their questions.
    gaps = [a["href"] for a in html.select("main li a")]
    assert gaps == [f"/r/{token}/{page_of(core, i.id).path}#q-{i.id}" for i in core.items[-2:]]
    # Each change link's target is on the page it names, around the question's legend.
    target = page(client.get(gaps[0].split("#")[0])).select_one(f"#{gaps[0].split('#')[1]}")
    assert core.items[-2].text in text_of(target.select_one("legend"))


def test_welcome_page_says_who_asks_how_long_and_until_when(client, session, core):
    round_ = make_round(session, title="Round 4")
    partnership = session.get(Partnership, round_.partnership_id)
    organisation = session.get(Organisation, partnership.organisation_id)
    make_user(session, organisation, name="Sam Okafor", coordinates=[partnership])
    _, token = make_invite(session, round_)
    html = page(client.get(f"/r/{token}/welcome"))
    heading = text_of(html.select_one("h1"))
    assert partnership.name in heading and "Round" not in heading
    facts = {text_of(row.select_one("dt")): text_of(row.select_one("dd"))
             for row in html.select(".govuk-summary-list__row")}
    assert facts["Who is asking"] == (f"Sam Okafor, your partnership coordinator, for "
                                      f"{organisation.name}")
    assert facts["How long it takes"].startswith(f"About {estimated_minutes(core)} minutes")
    closes = round_.closes_at.astimezone(UK)
    assert facts["Closing date"] == (f"Answer by {closes:%H:%M} on {closes:%A %-d %B %Y} "
                                     "(UK time)")
    assert f"fewer than {round_.anonymity_threshold} people" in text_of(html)
    assert html.select_one("form[action$='/start'] button").get_text(strip=True) == "Start now"


def test_a_round_closed_early_says_when_it_actually_closed(client, session):
    closed = datetime.now(UTC) - timedelta(days=3)
    round_ = make_round(session, status=RoundStatus.closed, closed_at=closed)
    _, token = make_invite(session, round_)
    response = client.get(f"/r/{token}/welcome")
    assert response.status_code == 409
    assert f"closed on {closed.astimezone(UK):%-d %B %Y}" in response.text
    assert f"{round_.closes_at.astimezone(UK):%-d %B %Y}" not in response.text


def test_the_counter_counts_each_question_once_and_a_comment_alone_not_at_all(
        client, core, answering):
    _, token = answering
    first, second = pages(core)[0].items[:2]
    total = len(core.items)

    def count_after(data) -> str:
        response = client.post(f"/r/{token}/answer", data=data, headers=HTMX)
        assert response.status_code == 200, response.text
        return text_of(page(response).select_one("#progress-count"))

    one, two = f"1 of {total} questions answered", f"2 of {total} questions answered"
    assert count_after({first.id: first.scale.options[0].value}) == one
    # The same question again, another answer: still one.
    assert count_after({first.id: first.scale.options[1].value}) == one
    assert count_after({f"comment__{second.id}": "A comment first"}) == one
    assert count_after({second.id: second.scale.options[0].value,
                        f"comment__{second.id}": "A comment first"}) == two


def test_one_counter_and_the_time_of_the_save(client, session, core, answering):
    respondent, token = answering
    first = pages(core)[0]
    html = page(client.get(f"/r/{token}/{first.path}"))
    total = len(core.items)
    assert text_of(html.select_one("#progress-count")) == f"0 of {total} questions answered"
    assert len(html.find_all(string=re.compile(r"\d+ of \d+ questions"))) == 1
    assert text_of(html.select_one("#autosave-status")) == ""
    item = first.items[0]
    saved = page(client.post(f"/r/{token}/answer",
                             data={item.id: item.scale.options[0].value,
                                   f"comment__{item.id}": ""}, headers=HTMX))
    session.expire_all()
    stored = session.exec(select(Answer.updated_at).where(
        Answer.respondent_id == respondent.id)).one()
    clock = (stored if stored.tzinfo else stored.replace(tzinfo=UTC)).astimezone(UK)
    # An empty comment box sent with the radio is not a comment saved.
    assert text_of(saved.select_one(".maps-saved")) == f"Saved at {clock:%H:%M}"
    # The page's one counter is replaced beside the status, so the two never disagree.
    counter = saved.select_one("#progress-count[hx-swap-oob]")
    assert text_of(counter) == f"1 of {len(core.items)} questions answered"
    again = page(client.get(f"/r/{token}/{first.path}"))
    assert text_of(again.select_one("#autosave-status")) == f"Last saved at {clock:%H:%M}"
    # Without JavaScript, the page says answers are saved with the page, not as you go.
    assert "saved when you choose “Save and continue”" in text_of(
        again.select_one(".maps-if-no-js"))
    assert "saved as soon as you choose it" in text_of(again.select_one(".maps-if-js"))


# --- Issue 25: finding one's way on a phone --------------------------------------------------

def test_back_saves_the_page_before_going_back(client, session, core, answering):
    respondent, token = answering
    first, second = pages(core)[:2]
    data = {"_action": "back", **{i.id: "dk" for i in second.items}}
    back = client.post(f"/r/{token}/{second.path}", data=data)
    assert back.status_code == 303 and back.headers["location"] == f"/r/{token}/{first.path}"
    session.expire_all()
    assert set(session.exec(select(Answer.item_id).where(
        Answer.respondent_id == respondent.id)).all()) == {i.id for i in second.items}
    # From the first page, back is to "About you". The page's Back is that button.
    assert client.post(f"/r/{token}/{first.path}",
                       data={"_action": "back"}).headers["location"] == f"/r/{token}/about"
    button = page(client.get(f"/r/{token}/{second.path}")).select_one(".govuk-back-link")
    assert (button.name, button["form"], button["value"]) == ("button", "answers", "back")
    assert page(client.get(f"/r/{token}/{second.path}")).select_one("form#answers") is not None


def test_the_task_list_gives_each_part_its_state_and_the_way_to_its_first_gap(
        client, core, answering):
    _, token = answering
    done, begun = core.sections[0], next(s for s in core.sections[1:]
                                          if len(s.items) > MAX_QUESTIONS_PER_PAGE)
    client.post(f"/r/{token}/answer", data={i.id: "dk" for i in done.items}, headers=HTMX)
    begun_first = section_pages(begun)[0]
    client.post(f"/r/{token}/answer", data={i.id: "dk" for i in begun_first.items},
                headers=HTMX)
    html = page(client.get(f"/r/{token}/parts"))
    tasks = {text_of(li.select_one(".govuk-task-list__name-and-hint a")):
             (text_of(li.select_one(".govuk-task-list__status")),
              li.select_one("a")["href"]) for li in html.select(".govuk-task-list__item")}
    parts = {s.id: n for n, s in enumerate(core.sections, start=1)}
    assert tasks["About you"] == ("Completed", f"/r/{token}/about")
    assert tasks[f"1. {done.title}"] == ("Completed", f"/r/{token}/s/{done.id}")
    # In progress, and its link goes to the part's first page with a question left.
    assert tasks[f"{parts[begun.id]}. {begun.title}"] == (
        "In progress", f"/r/{token}/{section_pages(begun)[1].path}")
    untouched = next(s for s in core.sections if s not in (done, begun))
    assert tasks[f"{parts[untouched.id]}. {untouched.title}"][0] == "Not started"
    assert f"/r/{token}/review" in [href for _, href in tasks.values()]
    # Every question page and "Check your answers" lead to it.
    for url in (f"/r/{token}/{pages(core)[3].path}", f"/r/{token}/review"):
        assert page(client.get(url)).select_one(f"a[href='/r/{token}/parts']") is not None


def test_check_your_answers_collapses_each_part_and_puts_submit_before_them(client, core,
                                                                           answering):
    _, token = answering
    html = page(client.get(f"/r/{token}/review"))
    parts = html.select("details.maps-review-part")
    assert len(parts) == len(core.sections)
    assert all(not part.has_attr("open") for part in parts)
    first = parts[0].select_one("summary")
    assert text_of(first).startswith(f"1. {core.sections[0].title}")
    assert f"{len(core.sections[0].items)} not answered" in text_of(first)
    submit = html.select_one("form[action$='/submit']")
    assert submit.find_next("details", class_="maps-review-part") is parts[0]
