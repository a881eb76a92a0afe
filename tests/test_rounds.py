"""A coordinator runs a round: opens it, invites the board one by one or from CSV files (good
and bad), hands out links, reissues, withdraws, reopens, reminds and closes."""

import csv
import io
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.clock import UK
from app.models import AssessmentRound, AuditEvent, Respondent, Role, RoundStatus
from tests.conftest import CONFIRM, FormClient, sign_in, start_response
from tests.factories import make_invite, make_organisation, make_partnership, make_round, make_user

HTMX = {"HX-Request": "true"}


def page(response):
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def world(session):
    org = make_organisation(session)
    partnership = make_partnership(session, org)
    coordinator = make_user(session, org, coordinates=[partnership])
    return partnership, coordinator


@pytest.fixture
def coordinator_client(client, world):
    sign_in(client, world[1])
    return client


@pytest.fixture
def board_member(app):
    """The browser of a board member, who opens the link they were sent."""
    with FormClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def open_round(session, world):
    round_ = make_round(session, world[0])
    session.commit()
    return round_


def closing_date(days: int = 30) -> dict:
    day = datetime.now(UK).date() + timedelta(days=days)
    return {"closes-day": str(day.day), "closes-month": str(day.month),
            "closes-year": str(day.year)}


def links_on(response) -> list[str]:
    return [i.text.split("testserver", 1)[1] for i in page(response).select(
        ".maps-copy__text") if "testserver" in i.text]


def audit_actions(session) -> list[str]:
    session.expire_all()
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


# --- Opening and closing ---------------------------------------------------------------------

def test_open_a_round(coordinator_client, session, world, settings):
    partnership, _ = world
    form = page(coordinator_client.get(f"/partnerships/{partnership.id}/rounds/new"))
    assert form.select_one("input[name=questionnaire][checked]")["value"] == \
        "multi-agency-working@2"  # the latest version comes first
    assert form.select_one("#threshold")["value"] == str(settings.anonymity_threshold)
    response = coordinator_client.post(f"/partnerships/{partnership.id}/rounds", data={
        "questionnaire": "multi-agency-working@1", "title": "", "threshold": "4",
        **closing_date(30)})
    assert response.status_code == 303
    round_ = session.exec(select(AssessmentRound)).one()
    assert response.headers["location"] == f"/rounds/{round_.id}"
    assert (round_.title, round_.status, round_.anonymity_threshold) == ("Round 1", "open", 4)
    closes = round_.closes_at.astimezone(UK)
    assert (closes.date() - datetime.now(UK).date()).days == 30
    assert (closes.hour, closes.minute) == (23, 59)
    assert audit_actions(session)[-1] == "round_opened"
    round_page = page(coordinator_client.get(f"/rounds/{round_.id}"))
    # No results while it is open, so no link to them.
    assert round_page.select_one(f"a[href='/rounds/{round_.id}/results']") is None


@pytest.mark.parametrize("fields, field, message", [
    ({"closes-day": "", "closes-month": "", "closes-year": ""}, "closes", "Enter the closing"),
    ({"closes-day": "31", "closes-month": "2", "closes-year": "2030"}, "closes", "real date"),
    ({"closes-day": "1", "closes-month": "1", "closes-year": "2020"}, "closes", "future"),
    ({"closes-day": "1", "closes-month": "", "closes-year": "2030"}, "closes", "month"),
    ({"threshold": "0"}, "threshold", "whole number"),
    ({"questionnaire": "made-up@9"}, "questionnaire", "Select the questionnaire"),
])
def test_open_round_errors(coordinator_client, world, session, fields, field, message):
    partnership, _ = world
    data = {"questionnaire": "multi-agency-working@1", "threshold": "3", **closing_date(),
            **fields}
    response = coordinator_client.post(f"/partnerships/{partnership.id}/rounds", data=data)
    assert response.status_code == 400
    summary = page(response).select(".govuk-error-summary a")
    anchor = "#closes-day" if field == "closes" else f"#{field}"
    assert [a["href"] for a in summary] == [anchor]
    assert message in summary[0].text
    assert page(response).select_one(anchor) is not None
    assert session.exec(select(AssessmentRound)).first() is None


def test_only_one_open_round_at_a_time(coordinator_client, world, open_round):
    response = coordinator_client.post(f"/partnerships/{world[0].id}/rounds", data={
        "questionnaire": "multi-agency-working@1", "threshold": "3", **closing_date()})
    assert response.status_code == 400
    assert "still open" in page(response).select_one(".govuk-error-summary").text


def test_close_round_makes_links_stop_working(coordinator_client, session, open_round):
    _, token = make_invite(session, open_round)
    assert "Close" in page(coordinator_client.get(f"/rounds/{open_round.id}/close")).h1.text
    response = coordinator_client.post(f"/rounds/{open_round.id}/close", data=CONFIRM)
    assert response.status_code == 303
    session.refresh(open_round)
    assert open_round.status == RoundStatus.closed
    assert coordinator_client.get(f"/r/{token}/welcome").status_code == 409
    assert coordinator_client.post(
        f"/rounds/{open_round.id}/close", data=CONFIRM).status_code == 409
    response = coordinator_client.post(f"/rounds/{open_round.id}/invites", data={
        "name": "Late Person", "email": "late@example.org", "agency": "1"})
    assert response.status_code == 409
    assert audit_actions(session)[-1] == "round_closed"


# --- Inviting one by one ---------------------------------------------------------------------

def agency_ids(session, round_) -> dict[str, int]:
    from app.models import Agency
    return {a.name: a.id for a in session.exec(select(Agency).where(
        Agency.partnership_id == round_.partnership_id))}


def test_invite_one_board_member(coordinator_client, board_member, session, open_round):
    agencies = agency_ids(session, open_round)
    response = coordinator_client.post(f"/rounds/{open_round.id}/invites", data={
        "name": "Priya Shah", "email": "Priya@Example.org",
        "agency": agencies["Testshire Health"], "level": "strategic"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    [link] = links_on(response)
    respondent = session.exec(select(Respondent)).one()
    assert (respondent.name, respondent.email, respondent.level) == (
        "Priya Shah", "priya@example.org", "strategic")
    # The coordinator holding the link is sent to start, not to the questions.
    assert coordinator_client.get(link).headers["location"] == f"{link}/welcome"
    # Agency and level known: the board member goes straight to the questions.
    start_response(board_member, link.removeprefix("/r/"))
    assert board_member.get(link).headers["location"].startswith(f"{link}/s/")
    response = coordinator_client.post(f"/rounds/{open_round.id}/invites", data={
        "name": "Priya Again", "email": "priya@example.org",
        "agency": agencies["Testshire Health"]})
    assert response.status_code == 400
    assert "already invited" in page(response).select_one("#email-error").text


def test_invite_form_errors(coordinator_client, session, open_round):
    response = coordinator_client.post(f"/rounds/{open_round.id}/invites", data={
        "name": "", "email": "nope", "agency": "99999", "level": "sideways"})
    assert response.status_code == 400
    hrefs = [a["href"] for a in page(response).select(".govuk-error-summary a")]
    assert hrefs == ["#name", "#email", "#agency", "#level"]
    assert session.exec(select(Respondent)).first() is None


# --- CSV upload ------------------------------------------------------------------------------

def upload(client, round_, content: bytes, filename="board.csv"):
    return client.post(f"/rounds/{round_.id}/invites/upload",
                       files={"file": (filename, content, "text/csv")})


GOOD = (b"name,email,agency,level\r\n"
        b"Ann Able,ann@example.org,Testshire Health,strategic\r\n"
        b"Ben Baker,ben@example.org,testshire  schools,Operational\r\n"
        b"Cal Cole,cal@example.org,Testshire Schools,\r\n")


def test_good_csv_invites_everyone_and_links_download(coordinator_client, session, open_round):
    response = upload(coordinator_client, open_round, GOOD)
    assert response.status_code == 200, response.text
    links = links_on(response)
    assert len(links) == 3
    session.expire_all()
    rows = {r.email: r for r in session.exec(select(Respondent))}
    ids = agency_ids(session, open_round)
    assert rows["ben@example.org"].agency_id == ids["Testshire Schools"]
    assert rows["ben@example.org"].level == "operational"
    assert rows["cal@example.org"].level is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "invites_uploaded")).one()
    assert event.detail["count"] == 3
    # The download holds exactly the links shown, and nothing from another round.
    other = make_round(session, make_partnership(session, name="Elsewhere"))
    _, stranger = make_invite(session, other)
    tokens = [i["value"] for i in page(response).select("input[name=token]")]
    download = coordinator_client.post(f"/rounds/{open_round.id}/invite-links.csv",
                                       data={"token": tokens + [stranger, "junk"]})
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["email"] for r in table] == ["ann@example.org", "ben@example.org",
                                           "cal@example.org"]
    assert [r["link"].split("testserver", 1)[1] for r in table] == links


def test_semicolons_and_windows_encoding_are_read(coordinator_client, session, open_round):
    content = "name;email;agency;level\nZoë Dupré;zoe@example.org;Testshire Health;\n"
    response = upload(coordinator_client, open_round, content.encode("cp1252"))
    assert response.status_code == 200
    assert session.exec(select(Respondent)).one().name == "Zoë Dupré"


def problems(response) -> list[tuple[str, str, str]]:
    rows = page(response).select("#problems + .maps-table-region table tbody tr")
    return [tuple(td.get_text(strip=True) for td in tr.select("td"))[:3] for tr in rows]


@pytest.mark.parametrize("content, expected", [
    (b"name,email,level\nAnn,ann@example.org,strategic\n",
     [("1", "agency", "The column ‘agency’ is missing")]),
    (b"name,email,agency,level\nAnn,ann@example.org,Testshire Fire,\n",
     [("2", "agency", "‘Testshire Fire’ is not one of this partnership's agencies")]),
    (b"name,email,agency,level\nAnn,ann@example.org,Testshire Health,boss\n",
     [("2", "level", "‘boss’ is not a level")]),
    (b"name,email,agency,level\nAnn,ann.example.org,Testshire Health,\n,,,\n"
     b"Bo,bo@example.org,,\n",
     [("2", "email", "‘ann.example.org’ is not an email address"),
      ("4", "agency", "The agency is empty")]),
    (b"name,email,agency,level\nAnn,ann@example.org,Testshire Health,\n"
     b"Ann,ann@example.org,Testshire Health,\n",
     [("3", "email", "ann@example.org is also on row 2")]),
    (b"", [("Whole file", "\u2013", "The file is empty")]),
    (b"name,email,agency,level\n", [("Whole file", "\u2013", "The file has a header row but "
                                                             "no board members")]),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", [("Whole file", "\u2013",
                                                     "The file is not a CSV file (it is not "
                                                     "text)")]),
    (b"PK\x03\x04\x14\x00\x06\x00", [("Whole file", "\u2013", "The file is an Excel workbook or "
                                                             "other zipped file, not a CSV "
                                                             "file")]),
], ids=["missing-column", "unknown-agency", "bad-level", "bad-email-and-empty-agency",
        "duplicate-row", "empty", "header-only", "binary", "xlsx"])
def test_bad_csv_is_reported_row_by_row_and_nothing_saved(coordinator_client, session,
                                                          open_round, content, expected):
    response = upload(coordinator_client, open_round, content)
    assert response.status_code == 400
    assert problems(response) == expected
    fixes = [tr.select("td")[3].get_text(strip=True)
             for tr in page(response).select("#problems + .maps-table-region table tbody tr")]
    assert all(fixes)
    summary = page(response).select_one(".govuk-error-summary")
    assert "Nobody has been invited" in summary.text
    assert summary.select_one("a")["href"] == "#problems"
    assert session.exec(select(Respondent)).first() is None


def test_one_bad_row_among_good_saves_nothing(coordinator_client, session, open_round):
    response = upload(coordinator_client, open_round,
                      GOOD + b"Dan Dunn,dan@example.org,Nowhere Agency,\r\n")
    assert problems(response) == [("5", "agency",
                                   "‘Nowhere Agency’ is not one of this partnership's agencies")]
    assert session.exec(select(Respondent)).first() is None


def test_already_invited_in_this_round(coordinator_client, session, open_round):
    make_invite(session, open_round, email="ann@example.org")
    response = upload(coordinator_client, open_round, GOOD)
    assert problems(response) == [("2", "email", "ann@example.org is already invited to this "
                                                 "round")]


def test_huge_files_are_refused(coordinator_client, session, open_round):
    row = b"Ann Able,ann@example.org,Testshire Health,strategic\r\n"
    big = b"name,email,agency,level\r\n" + row * (1_100_000 // len(row))
    response = upload(coordinator_client, open_round, big)
    assert response.status_code == 413
    assert problems(response) == [("Whole file", "\u2013", "The file is larger than 1 MB")]
    # Past the limit for any request, the server refuses before reading it all.
    response = upload(coordinator_client, open_round, big * 6)
    assert response.status_code == 413
    assert session.exec(select(Respondent)).first() is None


def test_too_many_rows(coordinator_client, session, open_round):
    rows = b"".join(f"P{n},p{n}@example.org,Testshire Health,\n".encode() for n in range(501))
    response = upload(coordinator_client, open_round, b"name,email,agency,level\n" + rows)
    assert "501 board members" in problems(response)[0][2]


def test_no_file_chosen(coordinator_client, open_round):
    response = coordinator_client.post(f"/rounds/{open_round.id}/invites/upload",
                                       files={"file": ("", b"", "application/octet-stream")})
    assert response.status_code == 400
    assert problems(response)[0][2] == "No file was chosen"


# --- Links: reissue, withdraw, reopen --------------------------------------------------------

def test_reissue_kills_the_old_link_and_keeps_answers(coordinator_client, board_member,
                                                      session, open_round, core):
    respondent, old = make_invite(session, open_round)
    start_response(board_member, old)
    item = core.items[0]
    value = item.scale.scored[-1].value
    response = board_member.post(f"/r/{old}/answer", data={item.id: value}, headers=HTMX)
    assert response.status_code == 200
    response = coordinator_client.post(
        f"/rounds/{open_round.id}/invites/{respondent.id}/reissue", data=CONFIRM)
    assert response.status_code == 200
    [new] = links_on(response)
    assert board_member.get(f"/r/{old}").status_code == 404
    # The new link opens the answers in the board member's browser, and nowhere else.
    response = board_member.get(f"{new}/s/{item.section_id}")
    assert page(response).select_one(f"input[name={item.id}][checked]")["value"] == value
    assert coordinator_client.get(f"{new}/s/{item.section_id}").headers["location"] == \
        f"{new}/resume"
    assert audit_actions(session)[-1] == "invite_reissued"


def test_withdrawn_invite_stops_working_and_can_be_restored(coordinator_client, session,
                                                            open_round):
    respondent, token = make_invite(session, open_round, name="Wanda")
    response = coordinator_client.post(
        f"/rounds/{open_round.id}/invites/{respondent.id}/revoke", data=CONFIRM)
    assert response.status_code == 303
    assert coordinator_client.get(f"/r/{token}").status_code == 410
    rate = page(coordinator_client.get(f"/rounds/{open_round.id}")).select(
        "#response-rate tbody tr")[-1]
    assert [td.text for td in rate.select("td")][:1] == ["0"]  # withdrawn: not counted
    response = coordinator_client.post(
        f"/rounds/{open_round.id}/invites/{respondent.id}/reissue", data=CONFIRM)
    [new] = links_on(response)
    assert coordinator_client.get(new).status_code == 303
    assert audit_actions(session)[-2:] == ["invite_revoked", "invite_reissued"]


def test_reopen_a_submitted_response(coordinator_client, board_member, session, open_round,
                                     core):
    respondent, token = make_invite(session, open_round)
    start_response(board_member, token)
    session.refresh(respondent)
    respondent.submitted_at = datetime.now(UTC)
    session.add(respondent)
    session.commit()
    response = coordinator_client.post(
        f"/rounds/{open_round.id}/invites/{respondent.id}/reopen", data=CONFIRM)
    assert response.status_code == 303
    session.refresh(respondent)
    assert respondent.submitted_at is None
    response = board_member.post(f"/r/{token}/answer", data={core.items[0].id: "2"},
                                 headers=HTMX)
    assert response.status_code == 200
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "response_reopened")).one()
    assert event.detail["respondent"] == respondent.id


def test_invite_of_another_round_is_not_found(coordinator_client, session, world, open_round):
    elsewhere = make_round(session, make_partnership(session, name="Elsewhere"))
    stranger, _ = make_invite(session, elsewhere)
    for action in ("reissue", "revoke", "reopen"):
        response = coordinator_client.post(
            f"/rounds/{open_round.id}/invites/{stranger.id}/{action}")
        assert response.status_code == 404
    session.refresh(stranger)
    assert stranger.revoked_at is None


def test_round_past_its_closing_date_refuses_new_invites(coordinator_client, session, world):
    round_ = make_round(session, world[0], closes_at=datetime.now(UTC) - timedelta(hours=1))
    session.commit()
    response = coordinator_client.post(f"/rounds/{round_.id}/invites", data={
        "name": "Late", "email": "late@example.org", "agency": "1"})
    assert response.status_code == 409
    assert "closing date has passed" in response.text
    assert "Closing date passed" in coordinator_client.get(f"/rounds/{round_.id}").text


# --- Watching the round ----------------------------------------------------------------------

def test_response_rate_by_agency(coordinator_client, session, open_round):
    ids = agency_ids(session, open_round)
    now = datetime.now(UTC)
    for agency, started, submitted in (("Testshire Health", None, None),
                                       ("Testshire Health", now, None),
                                       ("Testshire Health", now, now),
                                       ("Testshire Schools", now, now)):
        respondent, _ = make_invite(session, open_round, agency_id=ids[agency])
        respondent.started_at, respondent.submitted_at = started, submitted
        session.add(respondent)
    make_invite(session, open_round)  # agency not chosen yet
    session.commit()
    response = coordinator_client.get(f"/rounds/{open_round.id}")
    rows = [[c.get_text(strip=True) for c in tr.select("th, td")]
            for tr in page(response).select("#response-rate tbody tr")]
    # One submitted from each agency: fewer than the threshold of 3, so withheld.
    assert rows == [["Testshire Health", "3", "withheld", "–"],
                    ["Testshire Schools", "1", "withheld", "–"],
                    ["Agency not chosen yet", "1", "0", "0%"],
                    ["All agencies", "5", "2", "40%"]]
    for agency in ("Testshire Health", "Testshire Health", "Testshire Schools",
                   "Testshire Schools"):
        respondent, _ = make_invite(session, open_round, agency_id=ids[agency],
                                    level="strategic")
        respondent.started_at = respondent.submitted_at = now
        session.add(respondent)
    session.commit()
    rows = [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in page(
        coordinator_client.get(f"/rounds/{open_round.id}")).select("#response-rate tbody tr")]
    assert rows[:2] == [["Testshire Health", "5", "3", "60%"],
                        ["Testshire Schools", "3", "3", "100%"]]
    # htmx polls the same URL for just the table.
    fragment = coordinator_client.get(f"/rounds/{open_round.id}", headers=HTMX)
    assert "<html" not in fragment.text
    assert page(fragment).select_one("#response-rate")["hx-trigger"] == "every 30s"


def test_reminders_without_mail_list_who_has_not_finished(coordinator_client, session,
                                                          open_round):
    done, _ = make_invite(session, open_round, name="Done", email="done@example.org")
    done.submitted_at = datetime.now(UTC)
    session.add(done)
    make_invite(session, open_round, name="Waiting", email="waiting@example.org")
    session.commit()
    response = coordinator_client.get(f"/rounds/{open_round.id}/reminders")
    names = [tr.select_one("td").text for tr in page(response).select("main tbody tr")]
    assert names == ["Waiting"]
    assert "waiting@example.org" in page(response).select_one(".govuk-inset-text").text
    assert coordinator_client.post(f"/rounds/{open_round.id}/reminders").status_code == 409


class FakeSMTP:
    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_reminders_by_email(app, coordinator_client, session, open_round, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    app.state.settings.smtp_host = "mail.example.org"
    done, _ = make_invite(session, open_round, name="Done", email="done@example.org")
    done.submitted_at = datetime.now(UTC)
    session.add(done)
    make_invite(session, open_round, name="Waiting", email="waiting@example.org")
    make_invite(session, open_round, name="Started", email="started@example.org")
    session.commit()
    response = coordinator_client.post(f"/rounds/{open_round.id}/reminders")
    assert response.status_code == 303
    assert sorted(m["To"] for m in FakeSMTP.sent) == ["started@example.org",
                                                      "waiting@example.org"]
    assert "/r/" not in FakeSMTP.sent[0].get_content()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "reminders_sent")).one()
    assert event.detail == {"count": 2, "failed": 0}


def test_org_admin_watches_but_does_not_run_rounds(app, session, world, open_round):
    from tests.conftest import FormClient

    respondent, _ = make_invite(session, open_round)
    admin = make_user(session, role=Role.org_admin, organisation_id=world[0].organisation_id)
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, admin)
        html = page(c.get(f"/rounds/{open_round.id}"))
        assert html.select_one("#response-rate") is not None
        assert html.select("form[action*='/invites']") == []
        assert c.post(
            f"/rounds/{open_round.id}/invites/{respondent.id}/revoke", data=CONFIRM).status_code \
            == 403
        assert c.post(f"/rounds/{open_round.id}/close", data=CONFIRM).status_code == 403
