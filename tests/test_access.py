"""Every route, walked by every role (and anonymously, and by a board member holding an invite
link), against its own organisation's data and another organisation's: allowed pages answer,
the rest are 403 or 404 (or send an anonymous visitor to sign in), and no page ever shows
another organisation's data."""

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import select

from app.models import ActionItem, Agency, AgendaItem, BoardMeeting, LiveVote, ReportJob, Role
from tests.conftest import FormClient, sign_in
from tests.factories import (
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_upload,
    make_user,
)

EVERYONE = "everyone"  # no account needed
ANY_USER = {"site_admin", "org_admin", "coordinator", "other_coordinator"}
ADMINS = {"site_admin", "org_admin"}
COORDINATOR = {"coordinator"}
OVERSEERS = {"org_admin", "coordinator"}

# Who may use each route on their own organisation's data. "coordinator" coordinates the
# partnership concerned; "other_coordinator" is a coordinator of the same organisation who
# does not. A new route fails this test until it is added here.
ALLOWED = {
    ("GET", "/"): EVERYONE,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/accessibility"): EVERYONE,
    ("GET", "/sign-in"): EVERYONE,
    ("POST", "/sign-in"): EVERYONE,
    ("POST", "/sign-out"): EVERYONE,
    ("GET", "/set-password/{token}"): EVERYONE,
    ("POST", "/set-password/{token}"): EVERYONE,
    ("GET", "/r/{token}"): EVERYONE,
    ("GET", "/r/{token}/welcome"): EVERYONE,
    ("POST", "/r/{token}/start"): EVERYONE,
    ("GET", "/r/{token}/resume"): EVERYONE,
    ("POST", "/r/{token}/resume"): EVERYONE,
    ("GET", "/r/{token}/about"): EVERYONE,
    ("POST", "/r/{token}/about"): EVERYONE,
    ("GET", "/r/{token}/s/{section_id}"): EVERYONE,
    ("POST", "/r/{token}/s/{section_id}"): EVERYONE,
    ("GET", "/r/{token}/s/{section_id}/{number}"): EVERYONE,
    ("POST", "/r/{token}/s/{section_id}/{number}"): EVERYONE,
    ("POST", "/r/{token}/answer"): EVERYONE,
    ("GET", "/r/{token}/review"): EVERYONE,
    ("POST", "/r/{token}/submit"): EVERYONE,
    ("GET", "/r/{token}/done"): EVERYONE,
    ("GET", "/r/{token}/parts"): EVERYONE,
    ("GET", "/r/{token}/answers"): EVERYONE,
    ("GET", "/r/{token}/answers.csv"): EVERYONE,
    ("POST", "/r/{token}/resume/email"): EVERYONE,
    ("GET", "/r/{token}/carry-on/{key}"): EVERYONE,
    ("POST", "/r/{token}/carry-on/{key}"): EVERYONE,
    ("GET", "/dashboard"): ANY_USER,
    ("GET", "/organisations/new"): {"site_admin"},
    ("POST", "/organisations"): {"site_admin"},
    ("GET", "/organisations/{organisation_id}"): ADMINS,
    ("POST", "/organisations/{organisation_id}/users"): ADMINS,
    ("POST", "/users/{user_id}/password-link"): ADMINS,
    ("GET", "/users/{account_id}/remove"): ADMINS,
    ("POST", "/users/{account_id}/remove"): ADMINS,
    ("GET", "/audit"): ADMINS,
    ("GET", "/partnerships/new"): {"org_admin"},
    ("POST", "/partnerships"): {"org_admin"},
    ("GET", "/partnerships/{partnership_id}"): OVERSEERS,
    ("GET", "/partnerships/{partnership_id}/edit"): OVERSEERS,
    ("POST", "/partnerships/{partnership_id}/edit"): OVERSEERS,
    ("POST", "/partnerships/{partnership_id}/agencies"): COORDINATOR,
    ("GET", "/partnerships/{partnership_id}/agencies/{agency_id}/edit"): COORDINATOR,
    ("POST", "/partnerships/{partnership_id}/agencies/{agency_id}/edit"): COORDINATOR,
    ("POST", "/partnerships/{partnership_id}/coordinators"): {"org_admin"},
    ("POST", "/partnerships/{partnership_id}/coordinators/{user_id}/remove"): {"org_admin"},
    ("GET", "/partnerships/{partnership_id}/rounds/new"): COORDINATOR,
    ("POST", "/partnerships/{partnership_id}/rounds"): COORDINATOR,
    ("GET", "/rounds/{round_id}"): OVERSEERS,
    ("POST", "/rounds/{round_id}/invites"): COORDINATOR,
    ("GET", "/rounds/{round_id}/invites/new"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/new"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/resend"): COORDINATOR,
    ("GET", "/rounds/{round_id}/invitation"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invitation"): COORDINATOR,
    ("GET", "/rounds/{round_id}/invites/upload"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/upload"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invite-links.csv"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/{respondent_id}/reissue"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/{respondent_id}/revoke"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/{respondent_id}/reopen"): COORDINATOR,
    ("POST", "/rounds/{round_id}/invites/{respondent_id}/release"): COORDINATOR,
    ("GET", "/rounds/{round_id}/reminders"): COORDINATOR,
    ("POST", "/rounds/{round_id}/reminders"): COORDINATOR,
    ("GET", "/rounds/{round_id}/close"): COORDINATOR,
    ("POST", "/rounds/{round_id}/close"): COORDINATOR,
    ("GET", "/rounds/{round_id}/results"): OVERSEERS,
    ("GET", "/rounds/{round_id}/report.pdf"): OVERSEERS,
    ("POST", "/rounds/{round_id}/report"): OVERSEERS,
    ("GET", "/reports/{job_id}"): OVERSEERS,
    ("GET", "/reports/{job_id}/file"): OVERSEERS,
    ("GET", "/api/rounds/{round_id}/result"): OVERSEERS,
    ("GET", "/rounds/{round_id}/plan"): OVERSEERS,
    ("POST", "/rounds/{round_id}/plan/recommended"): COORDINATOR,
    ("POST", "/rounds/{round_id}/plan/actions"): COORDINATOR,
    ("GET", "/rounds/{round_id}/plan/actions/{action_id}"): COORDINATOR,
    ("POST", "/rounds/{round_id}/plan/actions/{action_id}"): COORDINATOR,
    ("POST", "/rounds/{round_id}/plan/actions/{action_id}/move"): COORDINATOR,
    ("POST", "/rounds/{round_id}/plan/actions/{action_id}/remove"): COORDINATOR,
    ("GET", "/rounds/{round_id}/board"): OVERSEERS,
    ("POST", "/rounds/{round_id}/board"): COORDINATOR,
    ("POST", "/rounds/{round_id}/board/items"): COORDINATOR,
    ("POST", "/rounds/{round_id}/board/items/{agenda_id}/move"): COORDINATOR,
    ("POST", "/rounds/{round_id}/board/items/{agenda_id}/drop"): COORDINATOR,
    ("GET", "/rounds/{round_id}/board/present/{number}"): OVERSEERS,
    ("GET", "/rounds/{round_id}/board/items/{agenda_id}"): COORDINATOR,
    ("POST", "/rounds/{round_id}/board/items/{agenda_id}"): COORDINATOR,
    ("POST", "/rounds/{round_id}/board/items/{agenda_id}/vote"): COORDINATOR,
    ("POST", "/rounds/{round_id}/board/items/{agenda_id}/vote/close"): COORDINATOR,
    # A board member in the meeting votes from a phone, with the code on the screen.
    ("GET", "/vote"): EVERYONE,
    ("POST", "/vote"): EVERYONE,
    ("GET", "/vote/{code}"): EVERYONE,
    ("POST", "/vote/{code}"): EVERYONE,
    ("GET", "/compare"): {"org_admin"},
    ("GET", "/compare/partnerships.csv"): {"org_admin"},
    ("GET", "/compare/partnerships.xlsx"): {"org_admin"},
    ("GET", "/compare/answers.csv"): {"org_admin"},
    ("GET", "/api/compare"): {"org_admin"},
    ("GET", "/questionnaires"): ADMINS,
    ("POST", "/questionnaires"): ADMINS,
    ("GET", "/questionnaires/{upload_id}"): ADMINS,
    ("GET", "/questionnaires/format"): EVERYONE,
    ("GET", "/questionnaires/schema.json"): EVERYONE,
    # A site admin removes only what is published site-wide, not an organisation's own.
    ("POST", "/questionnaires/{upload_id}/remove"): {"org_admin"},
}
# Run last, in this order: they change what the other checks rely on.
LAST = ["/rounds/{round_id}/plan/actions/{action_id}/remove",
        "/rounds/{round_id}/board/items/{agenda_id}/drop",
        "/questionnaires/{upload_id}/remove",
        "/rounds/{round_id}/invites/{respondent_id}/reissue",
        "/rounds/{round_id}/invites/{respondent_id}/revoke",
        "/rounds/{round_id}/invites/{respondent_id}/reopen",
        "/rounds/{round_id}/close",
        "/partnerships/{partnership_id}/coordinators/{user_id}/remove",
        "/users/{account_id}/remove",
        "/sign-out"]
# Framework pages, not MAPS routes.
IGNORED = {"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/static"}


@dataclass
class Org:
    """One organisation's data, and the words that must never appear to another's staff."""

    ids: dict
    secrets: list[str]


def build_org(session, core, prefix: str, org_name: str) -> tuple[Org, dict]:
    org = make_organisation(session, name=org_name)
    partnership = make_partnership(session, org, name=f"{prefix} Safeguarding Board",
                                   agencies=((f"{prefix} Police Service", "police"),
                                             (f"{prefix} Health Trust", "health")))
    second = make_partnership(session, org, name=f"{prefix} Youth Forum", agencies=())
    round_ = make_round(session, partnership, title=f"{prefix} Spring Round")
    respondent, token = make_invite(session, round_, name=f"{prefix} Boardmember",
                                    email=f"board@{prefix.lower()}.example")
    admin = make_user(session, org, role=Role.org_admin, email=f"admin@{prefix.lower()}.example")
    coordinator = make_user(session, org, coordinates=[partnership],
                            email=f"coordinator@{prefix.lower()}.example")
    other = make_user(session, org, coordinates=[second],
                      email=f"other@{prefix.lower()}.example")
    # The account the admins remove (no actor signs in as it).
    leaver = make_user(session, org, email=f"leaver@{prefix.lower()}.example")
    agency = session.exec(select(Agency).where(Agency.partnership_id == partnership.id)).first()
    action = ActionItem(round_id=round_.id, position=1, text=f"{prefix} Secret Action")
    session.add(action)
    session.flush()
    upload = make_upload(session, org, admin, title=f"{prefix} Secret Questionnaire")
    meeting = BoardMeeting(round_id=round_.id, held_on=date(2027, 5, 1))
    session.add(meeting)
    session.flush()
    question = core.items[0].id
    agenda_item = AgendaItem(meeting_id=meeting.id, position=1, kind="question", key=question,
                             why="added", outcome="not_agreed", note=f"{prefix} Secret Note")
    vote = LiveVote(round_id=round_.id, item_id=question, code=f"{prefix[0]}K7M2Q", answered=5)
    session.add_all([agenda_item, vote])
    session.flush()
    job = ReportJob(id=f"{prefix.lower()}-job", round_id=round_.id, user_id=coordinator.id,
                    status="done", filename="r.pdf", pdf=b"%PDF")
    session.add(job)
    ids = {"organisation_id": org.id, "partnership_id": partnership.id, "agency_id": agency.id,
           "round_id": round_.id, "respondent_id": respondent.id, "user_id": coordinator.id,
           "token": token, "section_id": core.sections[0].id, "number": 1, "action_id": action.id,
           "account_id": leaver.id, "upload_id": upload.id, "job_id": job.id,
           "agenda_id": agenda_item.id, "code": vote.code, "key": "not-a-real-key"}
    secrets = [org_name, partnership.name, second.name, agency.name, round_.title,
               respondent.name, respondent.email, admin.email, coordinator.email, other.email,
               leaver.email, action.text, upload.title, agenda_item.note]
    users = {"org_admin": admin, "coordinator": coordinator, "other_coordinator": other}
    return Org(ids, secrets), users


def route_table(app) -> list[tuple[str, str]]:
    routes = set()
    for context in iter_route_contexts(app.routes):
        if context.path in IGNORED:
            continue
        for method in context.methods or ():
            if method != "HEAD":
                routes.add((method, context.path))
    return sorted(routes, key=lambda r: (
        LAST.index(r[1]) + 10 if r[1] in LAST else (0 if r[1].startswith("/r/") else 1),
        r[0] != "GET", r[1]))


def test_every_route_is_in_the_access_table(app):
    assert set(route_table(app)) == set(ALLOWED)


def test_every_role_sees_exactly_what_it_may(app, session, core, monkeypatch):
    # The report's route answers with the HTML it would lay out as a PDF: the access checks
    # are the same, the leak check below can read it, and no PDF is laid out here
    # (tests/test_report_pdf.py tests the PDF itself).
    monkeypatch.setattr("app.reports.pdf.html_to_pdf", lambda html: html.encode())
    org_a, users_a = build_org(session, core, "Alpha", "Alphashire County Council")
    org_b, users_b = build_org(session, core, "Beta", "Betaford Borough Council")
    site_admin = make_user(session, role=Role.site_admin, email="root@maps.example")
    session.commit()
    orgs = {"A": org_a, "B": org_b}

    # (name, client, organisation, role towards A's data, role towards B's data)
    actors = []
    for key, users in (("A", users_a), ("B", users_b)):
        for role, user in users.items():
            client = FormClient(app, follow_redirects=False).__enter__()
            sign_in(client, user)
            actors.append((f"{role}-{key}", client, key, role))
    admin_client = FormClient(app, follow_redirects=False).__enter__()
    sign_in(admin_client, site_admin)
    actors.append(("site_admin", admin_client, None, "site_admin"))
    actors.append(("anonymous", FormClient(app, follow_redirects=False).__enter__(), None, None))
    board = FormClient(app, follow_redirects=False).__enter__()
    assert board.get(f"/r/{org_a.ids['token']}").status_code == 303
    actors.append(("board-member-A", board, None, None))

    failures, checked = [], 0
    for method, path in route_table(app):
        allowed = ALLOWED[(method, path)]
        for target_key, target in orgs.items():
            url = path.format(**{k: v for k, v in target.ids.items()})
            if path.startswith("/set-password/"):
                url = "/set-password/not-a-real-link"
            scoped = "{" in path and not path.startswith(("/r/", "/set-password/"))
            for name, client, org_key, role in actors:
                response = client.request(method, url, data={})
                status, location = response.status_code, response.headers.get("location", "")
                if allowed == EVERYONE:
                    expected = "allowed"
                elif role is None:
                    expected = "sign-in"
                elif scoped and role != "site_admin" and org_key != target_key:
                    expected = "not-found"
                else:
                    expected = "allowed" if role in allowed else "denied"
                ok = {
                    "allowed": status < 500 and status not in (401, 403, 404)
                    and not location.startswith("/sign-in"),
                    # The JSON API answers 401 rather than redirecting to a page.
                    "sign-in": status == 401 if url.startswith("/api/") else (
                        status == 303 and location == (
                            f"/sign-in?next={url}" if method == "GET" else "/sign-in")),
                    "not-found": status == 404,
                    "denied": status in (403, 404),
                }[expected]
                if not ok:
                    failures.append(f"{name} {method} {url}: {status} {location}, "
                                    f"expected {expected}")
                # An invite link shows its own round to whoever holds it; nothing else may.
                data_org = org_key or ("A" if name == "board-member-A" else None)
                holds_link = path.startswith("/r/") and target_key != data_org
                if status == 200 and data_org is not None and not holds_link:
                    other = orgs["B" if data_org == "A" else "A"]
                    leaked = [s for s in other.secrets if s in response.text]
                    if leaked:
                        failures.append(f"{name} {method} {url} shows {leaked}")
                checked += 1
    for _, client, _, _ in actors:
        client.__exit__(None, None, None)
    assert failures == [], "\n".join(failures)
    assert checked == len(ALLOWED) * 2 * len(actors)


@pytest.mark.parametrize("path", ["/rounds/{round_id}", "/partnerships/{partnership_id}",
                                  "/rounds/{round_id}/invites/{respondent_id}/reissue"])
def test_an_invite_link_opens_nothing_else(app, session, core, path):
    """A board member holding a link, even with its page open, is anonymous everywhere else."""
    org, _ = build_org(session, core, "Gamma", "Gammaton Council")
    session.commit()
    with FormClient(app, follow_redirects=False) as board:
        board.get(f"/r/{org.ids['token']}/about")
        url = path.format(**org.ids)
        method = "POST" if path.endswith("reissue") else "GET"
        response = board.request(method, url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")
