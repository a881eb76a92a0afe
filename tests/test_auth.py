"""Signing in and out, the session cookie, rate limiting, one-time password links and CSRF."""

import smtplib
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from app import demo
from app.config import Settings
from app.main import create_app
from app.models import AuditEvent, PasswordLink, Role, SignInAttempt, User
from tests.conftest import FormClient, sign_in
from tests.factories import PASSWORD, make_invite, make_organisation, make_user

HTMX = {"HX-Request": "true"}


def page(response):
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def user(session):
    return make_user(session, make_organisation(session), role=Role.org_admin)


def test_sign_in_and_out(client, user):
    assert client.get("/dashboard").headers["location"] == "/sign-in?next=/dashboard"
    form = page(client.get("/sign-in"))
    assert form.select_one("input[name=csrftoken]")["value"]
    response = sign_in(client, user)
    assert response.headers["location"] == "/dashboard"
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    nav = [a.text.strip() for a in page(dashboard).select(".govuk-service-navigation__list a")]
    assert nav == ["Dashboard", "Compare partnerships", "People", "Audit log"]
    response = client.post("/sign-out")
    assert response.headers["location"] == "/"
    assert "You have signed out" in client.get("/").text
    assert client.get("/dashboard").status_code == 303


def test_an_expired_session_reloads_the_page_from_htmx(client):
    response = client.get("/rounds/1", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/sign-in?next=/rounds/1"


def test_session_cookie_flags(client, user, settings, database_url):
    cookie = sign_in(client, user).headers["set-cookie"]
    assert "maps_session=" in cookie
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    secure = create_app(settings.model_copy(update={"https": True}))
    with FormClient(secure, base_url="https://testserver", follow_redirects=False) as c:
        cookies = sign_in(c, user).headers.get_list("set-cookie")
        assert all("secure" in cookie.lower() for cookie in cookies)


@pytest.mark.demo
def test_demo_users_sign_in(client, session, catalogue):
    # The demo hashes with other argon2 parameters; they verify all the same.
    response = client.post("/sign-in", data={"email": "Coordinator@Northshire.example ",
                                             "password": demo.DEMO_PASSWORD})
    assert response.status_code == 303
    html = page(client.get("/dashboard"))
    assert len(html.select("main tbody tr")) == 3


def test_wrong_password_and_unknown_email_look_the_same(client, session, user):
    wrong = client.post("/sign-in", data={"email": user.email, "password": "not it at all"})
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": "x"})
    for response in (wrong, unknown):
        assert response.status_code == 400
        summary = page(response).select(".govuk-error-summary a")
        assert [(a["href"], a.text) for a in summary] == [
            ("#email", "Enter a correct email address and password")]
    failures = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).all()
    assert [f.detail["email"] for f in failures] == [user.email, "nobody@example.org"]
    assert failures[0].organisation_id == user.organisation_id


def test_empty_sign_in_form(client):
    response = client.post("/sign-in", data={"email": "", "password": ""})
    assert [a["href"] for a in page(response).select(".govuk-error-summary a")] == [
        "#email", "#password"]


@pytest.mark.parametrize("target, expected", [
    ("/partnerships/7", "/partnerships/7"), ("//evil.example/x", "/dashboard"),
    ("https://evil.example", "/dashboard"), ("/\\evil.example", "/dashboard"),
])
def test_sign_in_returns_only_to_this_site(client, user, target, expected):
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                             "next": target})
    assert response.headers["location"] == expected


def test_failures_are_limited_per_email_and_address(client, session, user, settings):
    # (tests/test_security.py: the owner, from another address, is not locked out.)
    for _ in range(settings.sign_in_max_failures):
        assert client.post("/sign-in", data={"email": user.email,
                                             "password": "wrong"}).status_code == 400
    # Even the right password is not checked now.
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= settings.sign_in_window_minutes * 60
    assert "try again after" in page(response).get_text()
    # Once the failures are older than the window, signing in works again.
    session.exec(update(SignInAttempt).values(
        at=SignInAttempt.at - timedelta(minutes=settings.sign_in_window_minutes + 1)))
    session.commit()
    sign_in(client, user)
    assert session.exec(select(SignInAttempt)).all() == []


def test_failures_are_limited_per_address_across_processes(app, settings, session):
    """Two app instances (as two server processes) share the count through the database."""
    settings.sign_in_max_failures_per_ip = 4
    other = create_app(settings)
    with FormClient(app) as first, FormClient(other) as second:
        for n in range(4):
            client = first if n % 2 else second
            response = client.post("/sign-in", data={"email": f"guess{n}@example.org",
                                                     "password": "wrong"})
            assert response.status_code == 400
        response = first.post("/sign-in", data={"email": "new@example.org", "password": "x"})
        assert response.status_code == 429


# --- Password links --------------------------------------------------------------------------

@pytest.fixture
def admin_client(app, session, user):
    coordinator = make_user(session, organisation_id=user.organisation_id)
    client = FormClient(app, follow_redirects=False)
    with client:
        sign_in(client, user)
        yield client, coordinator


def issue(client, account) -> str:
    response = client.post(f"/users/{account.id}/password-link")
    assert response.status_code == 200
    assert response.headers.get("location") is None
    return page(response).select_one(".maps-copy__text").text.split("testserver")[1]


def test_password_link_is_single_use(app, session, admin_client):
    client, coordinator = admin_client
    link = issue(client, coordinator)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes
    stored = session.exec(select(PasswordLink)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    with FormClient(app, follow_redirects=False) as person:
        response = person.post(link, data={"password": "short", "confirm": "short"})
        assert response.status_code == 400
        assert page(response).select_one(".govuk-error-summary a")["href"] == "#password"
        response = person.post(link, data={"password": "a good long password",
                                           "confirm": "a different one"})
        assert page(response).select_one(".govuk-error-summary a")["href"] == "#confirm"
        response = person.post(link, data={"password": "a good long password",
                                           "confirm": "a good long password"})
        assert response.headers["location"] == "/dashboard"
        assert person.get("/dashboard").status_code == 200
        assert person.get(link).status_code == 410
        response = person.post(link, data={"password": "another long password",
                                           "confirm": "another long password"})
        assert response.status_code == 410
    with FormClient(app, follow_redirects=False) as again:
        sign_in(again, coordinator, "a good long password")


def test_password_link_expires_and_a_new_one_replaces_it(app, session, admin_client):
    client, coordinator = admin_client
    first = issue(client, coordinator)
    second = issue(client, coordinator)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    session.exec(update(PasswordLink).values(expires_at=PasswordLink.created_at))
    session.commit()
    assert client.get(second).status_code == 410


def test_password_link_is_emailed_when_mail_is_set_up(app, admin_client, monkeypatch):
    from tests.test_rounds import FakeSMTP

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    app.state.settings.smtp_host = "mail.example.org"
    client, coordinator = admin_client
    response = client.post(f"/users/{coordinator.id}/password-link")
    assert "We have emailed" in response.text
    assert page(response).select(".maps-copy__text") == []
    [message] = FakeSMTP.sent
    assert message["To"] == coordinator.email
    assert "/set-password/" in message.get_content()


def test_who_may_issue_password_links(app, session, user):
    other_org = make_organisation(session)
    stranger = make_user(session, other_org)
    site_admin = make_user(session, role=Role.site_admin)
    coordinator = make_user(session, organisation_id=user.organisation_id)
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, user)
        assert c.post(f"/users/{stranger.id}/password-link").status_code == 404
        assert c.post(f"/users/{user.id}/password-link").status_code == 403
        assert c.post(f"/users/{site_admin.id}/password-link").status_code == 404
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, coordinator)
        assert c.post(f"/users/{user.id}/password-link").status_code == 403
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, site_admin)
        # Allowed, but only by email: without a mail server it is refused, saying why.
        refused = c.post(f"/users/{stranger.id}/password-link")
        assert refused.status_code == 409 and "maps user password-link" in refused.text
    assert session.exec(select(User).where(User.id == stranger.id)).one()


# --- CSRF ------------------------------------------------------------------------------------

def assert_csrf_refused(response):
    assert response.status_code == 403
    assert "Your form could not be sent" in response.text
    assert "security token" in response.text


def page_token(response) -> str:
    return page(response).select_one("meta[name=csrf-token]")["content"]


def test_post_without_token_is_refused(app, session, user):
    with TestClient(app, follow_redirects=False) as c:
        # No session at all (a cross-site post), then a session but no field, then a wrong one.
        assert_csrf_refused(c.post("/sign-in", data={"email": user.email, "password": PASSWORD}))
        token = page_token(c.get("/sign-in"))
        assert_csrf_refused(c.post("/sign-in", data={"email": user.email, "password": PASSWORD}))
        assert_csrf_refused(c.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                     "csrftoken": "forged"}))
        assert_csrf_refused(c.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                     "csrftoken": token[:-1]}))
        response = c.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                            "csrftoken": token})
        assert response.status_code == 303
        # Signed in, every state change still needs the token: the new session's.
        assert_csrf_refused(c.post("/sign-out", headers={"X-CSRFToken": token}))
        assert_csrf_refused(c.post("/partnerships", data={"name": "Forged"}))
        token = page_token(c.get("/dashboard"))
        assert c.post("/sign-out", headers={"X-CSRFToken": token}).status_code == 303


def test_token_made_with_another_key_is_refused(app, settings, user):
    other = create_app(Settings(database_url=settings.database_url, data_dir=settings.data_dir,
                                MAPS_SECRET_KEY="a-different-key"))
    with TestClient(other) as elsewhere:
        foreign = page_token(elsewhere.get("/sign-in"))
        cookies = dict(elsewhere.cookies)
    with TestClient(app, cookies=cookies) as c:
        assert_csrf_refused(c.post("/sign-in", data={"csrftoken": foreign, "email": user.email,
                                                     "password": PASSWORD}))


def test_respondent_journey_needs_the_token(app, session, core):
    respondent, token = make_invite(session)
    with TestClient(app, follow_redirects=False) as c:
        # The welcome page (the link is not claimed yet) carries the session's token.
        csrf = page_token(c.get(f"/r/{token}/welcome"))
        assert_csrf_refused(c.post(f"/r/{token}/start"))
        assert_csrf_refused(c.post(f"/r/{token}/about", data={"level": "strategic"}))
        assert_csrf_refused(c.post(f"/r/{token}/submit"))
        response = c.post(f"/r/{token}/answer", data={core.items[0].id: "dk"}, headers=HTMX)
        assert response.status_code == 403
        assert "<html" not in response.text and "could not be sent" in response.text
        assert c.post(f"/r/{token}/start", data={"csrftoken": csrf}).status_code == 303
        response = c.post(f"/r/{token}/answer", data={core.items[0].id: "dk"},
                          headers={**HTMX, "X-CSRFToken": csrf})
        assert response.status_code == 200


def test_upload_needs_the_token(app, session):
    from tests.factories import make_partnership, make_round

    org = make_organisation(session)
    partnership = make_partnership(session, org)
    round_ = make_round(session, partnership)
    coordinator = make_user(session, org, coordinates=[partnership])
    with FormClient(app, follow_redirects=False) as c:
        sign_in(c, coordinator)
        files = {"file": ("b.csv", b"name,email,agency,level\n", "text/csv")}
        # The same browser's cookies, but a form without the token field or header.
        with TestClient(app, cookies=c.cookies) as raw:
            assert_csrf_refused(raw.post(f"/rounds/{round_.id}/invites/upload", files=files))
            response = raw.post(f"/rounds/{round_.id}/invites/upload",
                                data={"csrftoken": c.csrf_token()}, files=files)
            assert response.status_code == 400  # past the check: the file has no rows


def test_pages_carry_the_token_for_htmx_and_forms(client, user):
    html = page(client.get("/"))
    assert html.select_one("meta[name=csrf-token]")["content"] == client.csrf_token()
    sign_in(client, user)
    html = page(client.get("/dashboard"))
    assert html.select_one("meta[name=csrf-token]")["content"] == client.csrf_token()
    assert html.select_one("form input[name=csrftoken]")["value"] == client.csrf_token()


def test_multipart_token_must_come_before_the_file(app, session):
    with TestClient(app) as c:
        token = page_token(c.get("/")).encode()

        def post(parts: list[bytes], content_type="multipart/form-data; boundary=b"):
            body = b"".join(b"--b\r\n" + p + b"\r\n" for p in parts) + b"--b--\r\n"
            return c.post("/sign-in", content=body, headers={"content-type": content_type})

        field = b'Content-Disposition: form-data; name="csrftoken"\r\n\r\n' + token
        upload = (b'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n'
                  b"Content-Type: text/csv\r\n\r\nname,email\n")
        assert post([field, upload]).status_code == 400  # checked, then the form is wrong
        assert_csrf_refused(post([upload, field]))
        assert_csrf_refused(post([]))
        # No boundary: not a form anyone can read, whoever sent it.
        response = post([field], content_type="multipart/form-data")
        assert response.status_code == 400 and "could not be read" in response.text
