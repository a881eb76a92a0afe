"""The findings of the security review (issue 15), one test each: sessions the server ends,
CSRF bound to the session, no secrets in logs, caching and HSTS headers, error pages for every
failure, trusted proxies, throttling that cannot lock anyone out, passwords, neutral messages,
private data files and closing a round once. Each was seen to fail against the code before the
fix (see the commit that added it)."""

import io
import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func
from sqlmodel import select

from app.main import create_app
from app.models import Agency, AuditEvent, Partnership, Role, RoundStatus
from tests.conftest import CONFIRM, FormClient, sign_in
from tests.factories import (
    PASSWORD,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)
from tests.test_hostile_input import assert_security_headers

ROOT = Path(__file__).resolve().parent.parent


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def page_token(response) -> str:
    """The CSRF token a page gives its scripts (and its forms)."""
    return page(response).select_one("meta[name=csrf-token]")["content"]


@pytest.fixture
def org_world(session):
    """An organisation with a partnership, its coordinator and its admin."""
    org = make_organisation(session)
    partnership = make_partnership(session, org, name="Northfield Early Help")
    coordinator = make_user(session, org, coordinates=[partnership])
    admin = make_user(session, org, role=Role.org_admin)
    return {"org": org, "partnership": partnership, "coordinator": coordinator, "admin": admin}


def partnership_name(session, partnership_id: int) -> str:
    session.expire_all()
    return session.get(Partnership, partnership_id).name


# --- Sessions the server can end -------------------------------------------------------------

def test_a_copied_cookie_stops_working_at_sign_out(app, settings, org_world):
    """Sign-out ends the session on the server, on every app process: a copy of the cookie
    taken before reaches neither the pages nor the JSON API."""
    second_process = create_app(settings)
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, org_world["admin"])
        copied = dict(browser.cookies)
        with TestClient(second_process, cookies=copied, follow_redirects=False) as thief:
            assert thief.get("/dashboard").status_code == 200
            assert browser.post("/sign-out").status_code == 303
            assert thief.get("/dashboard").status_code == 303
            assert thief.get("/api/compare").status_code == 401
        with TestClient(app, cookies=copied, follow_redirects=False) as thief:
            assert thief.get("/dashboard").status_code == 303


def test_setting_a_new_password_ends_every_other_session(app, session, org_world):
    coordinator = org_world["coordinator"]
    with FormClient(app, follow_redirects=False) as old_laptop, \
            FormClient(app, follow_redirects=False) as admin, \
            FormClient(app, follow_redirects=False) as new_laptop:
        sign_in(old_laptop, coordinator)
        sign_in(admin, org_world["admin"])
        response = admin.post(f"/users/{coordinator.id}/password-link")
        link = page(response).select_one(".maps-copy__text").text
        path = link.split("testserver", 1)[1]
        new_password = "a fresh and long passphrase"
        response = new_laptop.post(path, data={"password": new_password,
                                               "confirm": new_password})
        assert response.status_code == 303
        assert new_laptop.get("/dashboard").status_code == 200
        assert old_laptop.get("/dashboard").status_code == 303


def test_an_admin_removing_an_account_ends_its_sessions(app, session, org_world):
    coordinator = org_world["coordinator"]
    with FormClient(app, follow_redirects=False) as theirs, \
            FormClient(app, follow_redirects=False) as admin:
        sign_in(theirs, coordinator)
        sign_in(admin, org_world["admin"])
        confirm = admin.get(f"/users/{coordinator.id}/remove")
        assert confirm.status_code == 200
        assert coordinator.name in confirm.text
        response = admin.post(f"/users/{coordinator.id}/remove", data=CONFIRM)
        assert response.status_code == 303
        assert theirs.get("/dashboard").status_code == 303
        people = admin.get(response.headers["location"])
        assert "no longer has access" in people.text
        assert coordinator.email not in people.text
    with FormClient(app, follow_redirects=False) as again:
        response = again.post("/sign-in", data={"email": coordinator.email,
                                                "password": PASSWORD})
        assert response.status_code == 400
    actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "user_removed" in actions


def test_an_admin_cannot_remove_themselves_or_another_organisations_account(app, session,
                                                                             org_world):
    stranger = make_user(session, make_organisation(session))
    with FormClient(app, follow_redirects=False) as admin:
        sign_in(admin, org_world["admin"])
        assert admin.post(f"/users/{org_world['admin'].id}/remove", data=CONFIRM).status_code == 403
        assert admin.post(f"/users/{stranger.id}/remove", data=CONFIRM).status_code == 404
    with FormClient(app, follow_redirects=False) as coordinator:
        sign_in(coordinator, org_world["coordinator"])
        assert coordinator.post(
            f"/users/{org_world['admin'].id}/remove", data=CONFIRM).status_code == 403


# --- CSRF bound to the session ---------------------------------------------------------------

def assert_refused(response):
    assert response.status_code == 403, response.status_code
    assert "could not be sent" in response.text


def test_a_token_from_another_visit_is_refused_even_planted_as_a_cookie(app, session,
                                                                        org_world):
    """A page on another port of the same host can set cookies for this one. A token from
    the attacker's own visit, planted in the victim's browser, must not work for the victim."""
    partnership = org_world["partnership"]
    with TestClient(app) as attacker:
        planted = page_token(attacker.get("/"))
    with FormClient(app, follow_redirects=False) as victim:
        sign_in(victim, org_world["admin"])
        # The victim's own session cookie, and beside it the planted token cookie.
        cookies = {**{k: v for k, v in victim.cookies.items() if "session" in k},
                   "csrftoken": planted}
        with TestClient(app, cookies=cookies, follow_redirects=False) as forged:
            assert_refused(forged.post(f"/partnerships/{partnership.id}/edit", data={
                "csrftoken": planted, "name": "Renamed by an attacker"}))
            assert_refused(forged.post(f"/partnerships/{partnership.id}/edit",
                                       headers={"X-CSRFToken": planted},
                                       data={"name": "Renamed by an attacker"}))
    assert partnership_name(session, partnership.id) == "Northfield Early Help"


def test_the_token_changes_when_a_session_begins_and_ends(app, org_world):
    with FormClient(app, follow_redirects=False) as browser:
        anonymous = page_token(browser.get("/sign-in"))
        sign_in(browser, org_world["admin"])
        signed_in = page_token(browser.get("/dashboard"))
        browser.post("/sign-out")
        after = page_token(browser.get("/"))
    assert len({anonymous, signed_in, after}) == 3


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver:8001"},  # another port of the same host
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_a_post_from_another_origin_is_refused_even_with_the_token(app, session, org_world,
                                                                   headers):
    partnership = org_world["partnership"]
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, org_world["admin"])
        assert_refused(browser.post(f"/partnerships/{partnership.id}/edit", headers=headers,
                                    data={"name": "Renamed from elsewhere"}))
        # The same form from this site's own page goes through.
        same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        response = browser.post(f"/partnerships/{partnership.id}/edit", headers=same,
                                data={"name": "Renamed here"})
        assert response.status_code == 303
    assert partnership_name(session, partnership.id) == "Renamed here"


def test_a_bearer_header_does_not_skip_the_check_for_a_cookie_session(app, session,
                                                                      org_world):
    partnership = org_world["partnership"]
    bearer = {"Authorization": "Bearer anything"}
    with FormClient(app, follow_redirects=False) as browser:
        sign_in(browser, org_world["admin"])
        with TestClient(app, cookies=browser.cookies, follow_redirects=False) as forged:
            assert_refused(forged.post(f"/partnerships/{partnership.id}/edit", headers=bearer,
                                       data={"name": "Renamed with a bearer header"}))
            response = forged.post("/api/compare", headers=bearer)
            assert response.status_code == 403
            assert "CSRF" in response.json()["detail"]
    with TestClient(app, follow_redirects=False) as no_cookies:
        # Outside /api/, a bearer header never skips it.
        assert_refused(no_cookies.post("/sign-in", headers=bearer,
                                       data={"email": "a@example.org", "password": "x"}))
    with TestClient(app, follow_redirects=False) as no_cookies:
        # Under /api/ without cookies it does (no route takes a POST there yet).
        assert no_cookies.post("/api/compare", headers=bearer).status_code == 405
    assert partnership_name(session, partnership.id) == "Northfield Early Help"


def test_csrf_is_ours_not_a_patched_library():
    source = (ROOT / "app/web/csrf.py").read_text()
    assert "asgi_csrf" not in source
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "asgi-csrf" not in pyproject


# --- Headers ---------------------------------------------------------------------------------

def test_private_pages_and_answers_are_never_stored(app, session, org_world, core):
    round_ = make_round(session, org_world["partnership"], status=RoundStatus.closed)
    _, token = make_invite(session, make_round(session, org_world["partnership"]))
    with FormClient(app, follow_redirects=False) as admin, \
            FormClient(app, follow_redirects=False) as anonymous:
        sign_in(admin, org_world["admin"])
        link = page(admin.post(f"/users/{org_world['coordinator'].id}/password-link"))
        password_path = link.select_one(".maps-copy__text").text.split("testserver")[1]
        for client, url in [
            (admin, "/dashboard"), (admin, f"/rounds/{round_.id}"),
            (admin, f"/rounds/{round_.id}/results"), (admin, "/audit"),
            (admin, "/api/compare"), (admin, f"/api/rounds/{round_.id}/result"),
            (admin, f"/organisations/{org_world['org'].id}"), (admin, "/no-such-page"),
            (anonymous, f"/r/{token}"), (anonymous, f"/r/{token}/about"),
            (anonymous, password_path), (anonymous, "/sign-in"), (anonymous, "/"),
        ]:
            response = client.get(url)
            assert response.status_code < 500, url
            assert "no-store" in response.headers.get("cache-control", ""), url
        # Static files are the same for everyone and may be cached.
        assert "no-store" not in anonymous.get("/static/maps.css").headers.get(
            "cache-control", "")


def test_hsts_only_when_served_over_https(app, settings):
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/").headers
    secure = create_app(settings.model_copy(update={"https": True}))
    with TestClient(secure, base_url="https://testserver") as https:
        for url in ("/", "/no-such-page", "/static/maps.css"):
            hsts = https.get(url).headers.get("strict-transport-security", "")
            assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts), url
            assert int(hsts.split("=")[1].split(";")[0]) >= 31_536_000


def test_the_session_cookie_is_a_host_cookie_over_https(settings, session, org_world):
    secure = create_app(settings.model_copy(update={"https": True}))
    with FormClient(secure, base_url="https://testserver", follow_redirects=False) as c:
        cookie = sign_in(c, org_world["admin"]).headers["set-cookie"]
        assert cookie.startswith("__Host-maps_session=")
        assert "secure" in cookie.lower() and "path=/" in cookie.lower()
        assert "domain" not in cookie.lower()
        assert c.get("/dashboard").status_code == 200


def test_api_docs_are_off_unless_enabled(app, settings, session, org_world):
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/docs").status_code == 404
    enabled = create_app(settings.model_copy(update={"api_docs": True}))
    with FormClient(enabled, follow_redirects=False) as admin:
        assert admin.get("/api/docs").status_code == 401  # sign in first
        sign_in(admin, org_world["admin"])
        response = admin.get("/api/docs")
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        # Its one inline script is allowed by its hash, nothing else inline.
        import base64
        import hashlib

        inline = [s.string for s in page(response).find_all("script") if not s.get("src")]
        assert inline
        for script in inline:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


# --- Every error path: a page or JSON, with the headers --------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}


def error_page(response, status: int, where: str) -> BeautifulSoup:
    assert response.status_code == status, (where, response.status_code, response.text[:300])
    assert_security_headers(response, where)
    html = page(response)
    assert html.select_one("h1"), where
    assert "Traceback" not in response.text, where
    return html


def test_a_form_that_is_not_utf8_gets_a_page(app):
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        token = page_token(c.get("/sign-in")).encode()
        response = c.post("/sign-in", headers=FORM, content=b"csrftoken=" + token
                          + b"&email=\xff\xfe@example.org&password=\xc3\x28")
        error_page(response, 400, "not UTF-8")


@pytest.mark.parametrize("content_type", [
    'multipart/form-data; boundary=""', "multipart/form-data; boundary=", "multipart/form-data",
])
def test_broken_multipart_gets_a_page(app, session, org_world, content_type):
    round_ = make_round(session, org_world["partnership"])
    session.commit()
    body = b'--\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\nx\r\n----\r\n'
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as anonymous:
        anonymous.get("/sign-in")
        error_page(anonymous.post("/sign-in", content=body,
                                  headers={"content-type": content_type}), 400, content_type)
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        sign_in(c, org_world["coordinator"])
        # Past the CSRF check (the token in the header), the app's own form reader.
        response = c.post(f"/rounds/{round_.id}/invites/upload", content=body,
                          headers={"content-type": content_type,
                                   "X-CSRFToken": page_token(c.get("/dashboard"))})
        error_page(response, 400, f"{content_type}, signed in")


@pytest.fixture
def action(app, session, org_world):
    from app.models import ActionItem

    round_ = make_round(session, org_world["partnership"], status=RoundStatus.closed)
    item = ActionItem(round_id=round_.id, position=1, text="Agree a shared referral form")
    session.add(item)
    session.commit()
    return round_, item


@pytest.mark.parametrize("owner", ["99999999999999999999", "²", "٣", "1e3", "-1", " 0x1F"])
def test_odd_numbers_in_a_form_are_a_field_error(app, session, org_world, action, owner):
    round_, item = action
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        sign_in(c, org_world["coordinator"])
        response = c.post(f"/rounds/{round_.id}/plan/actions/{item.id}", data={
            "text": item.text, "owner": owner, "status": "in_progress"})
        html = error_page(response, 400, owner)
        assert "Select an agency of this partnership" in html.get_text()


@pytest.mark.parametrize("fields", [
    {"closes-day": "²", "closes-month": "1", "closes-year": "2030"},
    {"closes-day": "99999999999999999999", "closes-month": "1", "closes-year": "2030"},
    {"closes-day": "1", "closes-month": "١", "closes-year": "2030"},
])
def test_odd_numbers_in_a_date_are_a_field_error(app, session, org_world, fields):
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        sign_in(c, org_world["coordinator"])
        response = c.post(f"/partnerships/{org_world['partnership'].id}/rounds", data={
            "questionnaire": "multi-agency-working@1", "title": "Spring", "threshold": "3",
            **fields})
        html = error_page(response, 400, str(fields))
        assert "real date" in html.get_text()


def test_odd_numbers_for_a_coordinator_are_a_field_error(app, session, org_world):
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        sign_in(c, org_world["admin"])
        for value in ("99999999999999999999", "²", str(2**31)):
            response = c.post(f"/partnerships/{org_world['partnership'].id}/coordinators",
                              data={"coordinator": value})
            assert "Select a coordinator" in error_page(response, 400, value).get_text()


@pytest.mark.parametrize("character", ["\x0b", "\x00", "\x1b", "\u2028", "\u202e"])
def test_control_characters_are_refused_in_names(app, session, org_world, character):
    partnership = org_world["partnership"]
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as admin, \
            FormClient(app, follow_redirects=False, raise_server_exceptions=False) as coord:
        sign_in(admin, org_world["admin"])
        sign_in(coord, org_world["coordinator"])
        name = f"Bad{character}name"
        for client, url, data, field in [
            (admin, "/partnerships", {"name": name}, "name"),
            (admin, f"/partnerships/{partnership.id}/edit", {"name": name}, "name"),
            (coord, f"/partnerships/{partnership.id}/agencies",
             {"agency_name": name, "sector": "health"}, "agency_name"),
            (admin, f"/organisations/{org_world['org'].id}/users",
             {"name": name, "email": "new@example.org", "role": "coordinator"}, "name"),
        ]:
            html = error_page(client.post(url, data=data), 400, url)
            link = html.select_one(f'.govuk-error-summary a[href="#{field.replace("_", "-")}"]'
                                   ) or html.select_one(f'.govuk-error-summary a[href="#{field}"]')
            assert link is not None and "character" in link.text, (url, html.get_text()[:300])
    assert partnership_name(session, partnership.id) == "Northfield Early Help"


def test_control_characters_already_stored_are_stripped_from_exports(app, session, org_world,
                                                                     catalogue):
    """Names saved before input was checked (or by another tool) still export: controls and
    non-characters (XML cannot hold U+FFFE or U+FFFF) are left out."""
    from openpyxl import load_workbook

    from app.services.results import summarise

    partnership = org_world["partnership"]
    # (PostgreSQL cannot store NUL at all, so it is not among them.)
    partnership.name = "Vertical\x0btab\x1band\ufffe escape"
    session.add(partnership)
    session.add(Agency(partnership_id=partnership.id, name="Agency\x1fwith unit separator",
                       sector="health"))
    round_ = make_round(session, partnership, status=RoundStatus.closed, title="Round\x07\uffffone")
    summarise(session, round_, catalogue)
    session.commit()
    with FormClient(app, follow_redirects=False) as admin:
        sign_in(admin, org_world["admin"])
        response = admin.get("/compare/partnerships.xlsx")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        cells = [c for row in book["Partnerships"].iter_rows(values_only=True) for c in row]
        assert "Verticaltaband escape" in cells and "Roundone" in cells
        text = admin.get("/compare/partnerships.csv").text
        assert "Verticaltaband escape" in text and "\x0b" not in text and "\x1b" not in text


def test_pool_timeout_is_a_503_page_with_retry_after(app, settings, session, org_world):
    """Every connection of a (small) pool in use: the request waits its timeout, then gets a
    page saying to try again, with the headers; nothing is shown as a server error."""
    with FormClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        sign_in(c, org_world["admin"])
        app.state.engine = create_engine(settings.db_url, pool_size=1, max_overflow=0,
                                         pool_timeout=0.2)
        held = app.state.engine.connect()
        try:
            for url, json in (("/dashboard", False), ("/api/compare", True)):
                response = c.get(url)
                assert response.status_code == 503, (url, response.text[:200])
                assert int(response.headers["retry-after"]) > 0
                assert_security_headers(response, url)
                if json:
                    assert "try again" in response.json()["detail"]
                else:
                    assert "Try again" in page(response).get_text()
        finally:
            held.close()
            app.state.engine.dispose()


def test_an_unexpected_failure_anywhere_is_a_page_with_the_headers(app, monkeypatch):
    """A failure in a middleware (here, the CSRF check) or a route gets MAPS's error page or
    JSON, with the security headers; the details go to the log only."""
    import app.web.csrf as csrf

    def broken(*args, **kwargs):
        raise RuntimeError("something broke")

    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        token = page_token(c.get("/sign-in"))
        monkeypatch.setattr(csrf, "expected_token", broken)
        html = error_page(c.post("/sign-in", data={"csrftoken": token}), 500, "middleware")
        assert "something broke" not in html.get_text()
        monkeypatch.undo()
        monkeypatch.setattr("app.web.pages.render", broken)
        error_page(c.get("/"), 500, "route")
        monkeypatch.setattr("app.web.pages.text", broken)
        response = c.get("/healthz")
        assert response.status_code == 500
        assert_security_headers(response, "JSON route")
        assert response.json() == {"detail": "Sorry, there is a problem with MAPS. "
                                             "Nothing you saved has been lost."}


# --- Logs ------------------------------------------------------------------------------------

class Served:
    """`maps serve` in its own process, as an operator runs it, its output kept in a file."""

    def __init__(self, database_url: str, data_dir: Path, **env: str):
        from tests.live_app import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"serve-{self.port}.log"
        environ = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"}
        environ.update({"MAPS_DATABASE_URL": database_url, "MAPS_DATA_DIR": str(data_dir),
                        "MAPS_SECRET_KEY": "serve-test-secret-key-not-for-production",
                        "MAPS_PASSWORD_TIME_COST": "1", "MAPS_PASSWORD_MEMORY_COST": "8192",
                        **env})
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from app.cli import main; main()", "serve",
                 "--port", str(self.port)],
                cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("maps serve did not start:\n" + self.output()) from None
                time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=15)


@pytest.fixture
def served(database_url, tmp_path):
    started = []

    def start(**env):
        server = Served(database_url, tmp_path / "data", **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_tokens_never_reach_the_access_log(served, session, org_world):
    _, invite_token = make_invite(session, make_round(session, org_world["partnership"]))
    server = served()
    with httpx.Client(base_url=server.url) as browser:
        browser.get(f"/r/{invite_token}")
        browser.get(f"/r/{invite_token}/about")
        browser.get("/set-password/Zm9yZ2VkLXBhc3N3b3JkLWxpbmstdG9rZW4tdmFsdWU")
        browser.get("/sign-in?next=/dashboard&token=query-secret-value&password=hunter2hunter2")
        browser.get("/healthz")
    server.stop()
    log = server.output()
    assert "GET /healthz" in log  # the access log is on
    for secret in (invite_token, "Zm9yZ2VkLXBhc3N3b3JkLWxpbmstdG9rZW4tdmFsdWU",
                   "query-secret-value", "hunter2hunter2"):
        assert secret not in log
    assert "/r/[redacted]/about" in log and "/set-password/[redacted]" in log
    assert "next=/dashboard" in log  # what is not secret stays readable


def test_the_log_filter_redacts_the_apps_own_lines(caplog):
    import logging

    from app.logs import RedactSecrets

    logger = logging.getLogger("maps.test")
    logger.addFilter(RedactSecrets())
    with caplog.at_level(logging.INFO, logger="maps.test"):
        logger.info("opened %s", "/r/abcDEF123456789012345_-xyz/s/people?token=zz-top&x=1")
        logger.warning("link http://h/set-password/SECRETSECRETSECRETSECRET sent")
        logger.info("POST /r/abcDEF123456789012345_-xyz/carry-on/KEYKEYKEYKEYKEYKEY HTTP/1.1")
    text = caplog.text
    assert "abcDEF123456789012345_-xyz" not in text and "zz-top" not in text
    assert "SECRETSECRETSECRETSECRET" not in text and "KEYKEYKEYKEYKEYKEY" not in text
    assert "/r/[redacted]/carry-on/[redacted]" in text
    assert "/r/[redacted]/s/people?token=[redacted]&x=1" in text


# --- Trusted proxies -------------------------------------------------------------------------

def _failed_sign_in(client: httpx.Client, n: int, forwarded: str | None = None):
    form = client.get("/sign-in")
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/sign-in", headers=headers, data={
        "csrftoken": page_token(form), "email": f"guess{n}@example.org", "password": "wrong"})


def test_forwarded_for_is_ignored_unless_its_proxy_is_named(served):
    limited = {"MAPS_SIGN_IN_MAX_FAILURES_PER_IP": "3"}
    server = served(**limited)
    with httpx.Client(base_url=server.url) as client:
        statuses = [_failed_sign_in(client, n, f"198.51.100.{n}").status_code
                    for n in range(4)]
    server.stop()
    # Loopback is not trusted by default: rotating the header does not escape the limit.
    assert statuses == [400, 400, 400, 429]

    server = served(FORWARDED_ALLOW_IPS="127.0.0.1", **limited)
    with httpx.Client(base_url=server.url) as client:
        statuses = [_failed_sign_in(client, n, f"198.51.100.{n}").status_code
                    for n in range(4)]
    # Behind a named proxy, each client's own address is counted.
    assert statuses == [400, 400, 400, 400]


# --- Throttling that cannot lock anyone out --------------------------------------------------

def test_guessing_from_one_address_does_not_lock_the_owner_out(app, settings, org_world):
    victim = org_world["admin"]
    with FormClient(app, follow_redirects=False, client=("203.0.113.66", 4000)) as attacker:
        for _ in range(settings.sign_in_max_failures):
            response = attacker.post("/sign-in", data={"email": victim.email,
                                                       "password": "a wrong guess"})
            assert response.status_code == 400
        # The attacker's next guesses are not even checked, the right password included.
        response = attacker.post("/sign-in", data={"email": victim.email, "password": PASSWORD})
        assert response.status_code == 429
    with FormClient(app, follow_redirects=False, client=("192.0.2.10", 5000)) as owner:
        sign_in(owner, victim)


def test_one_address_guessing_many_accounts_is_stopped(app, settings):
    with FormClient(app, follow_redirects=False, client=("203.0.113.7", 4000)) as attacker:
        statuses = [attacker.post("/sign-in", data={
            "email": f"person{n}@example.org", "password": "Winter2026!"}).status_code
            for n in range(settings.sign_in_max_failures_per_ip + 1)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}


# --- Passwords and messages ------------------------------------------------------------------

@pytest.fixture
def password_link(app, session, org_world):
    with FormClient(app, follow_redirects=False) as admin:
        sign_in(admin, org_world["admin"])
        response = admin.post(f"/users/{org_world['coordinator'].id}/password-link")
    return page(response).select_one(".maps-copy__text").text.split("testserver")[1]


@pytest.mark.parametrize("password, why", [
    ("aaaaaaaaaaaa", "Repeats"),
    ("password1234", "common password"),
    ("qwertyuiop12", "commonly used password"),
    ("short", "at least 12 characters"),
])
def test_weak_passwords_are_refused_with_a_reason(app, password_link, password, why):
    with FormClient(app, follow_redirects=False) as person:
        response = person.post(password_link, data={"password": password, "confirm": password})
        assert response.status_code == 400
        message = page(response).select_one(".govuk-error-summary a").text
        assert why in message, message
        assert person.get(password_link).status_code == 200  # the link still works


def test_an_email_of_another_organisation_is_not_confirmed(app, session, org_world):
    elsewhere = make_user(session, make_organisation(session), email="someone@elsewhere.example")
    ours = org_world["coordinator"]
    with FormClient(app, follow_redirects=False) as admin:
        sign_in(admin, org_world["admin"])
        url = f"/organisations/{org_world['org'].id}/users"
        theirs = admin.post(url, data={"name": "X", "email": elsewhere.email,
                                       "role": "coordinator"})
        assert theirs.status_code == 400
        message = page(theirs).select_one(".govuk-error-summary a").text
        assert "There is already an account" not in message and "exists" not in message
        assert "cannot be used" in message
        mine = admin.post(url, data={"name": "X", "email": ours.email, "role": "coordinator"})
        assert page(mine).select_one(".govuk-error-summary a").text == message


# --- Data files ------------------------------------------------------------------------------

def test_data_files_are_readable_by_their_owner_only(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.cli import write_private
    from app.config import Settings

    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        monkeypatch.setenv("MAPS_DATA_DIR", str(data))
        monkeypatch.delenv("MAPS_DATABASE_URL", raising=False)
        assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0
        Settings().secret_key  # noqa: B018  (generates the key file)
        write_private(data / "demo-links.txt", "links\n")
        files = [p for p in data.iterdir() if p.is_file()]
        assert {p.name for p in files} >= {"maps.db", "secret_key", "demo-links.txt"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert stat.S_IMODE(data.stat().st_mode) & 0o077 == 0
        # A database left readable by an older version is made private at start.
        (data / "maps.db").chmod(0o644)
        from app.db import make_engine

        make_engine(f"sqlite:///{data / 'maps.db'}").dispose()
        assert stat.S_IMODE((data / "maps.db").stat().st_mode) == 0o600
    finally:
        os.umask(old)


# --- Closing a round -------------------------------------------------------------------------

def test_ten_concurrent_closes_write_one_audit_entry(live_server, session, org_world):
    round_ = make_round(session, org_world["partnership"])
    session.commit()
    with httpx.Client(base_url=live_server) as browser:
        form = browser.get("/sign-in")
        assert browser.post("/sign-in", data={
            "csrftoken": page_token(form), "email": org_world["coordinator"].email,
            "password": PASSWORD}).status_code == 303
        token = page_token(browser.get("/dashboard"))
        cookies = dict(browser.cookies)
    start = threading.Barrier(10)
    statuses = []

    def close():
        with httpx.Client(base_url=live_server, cookies=cookies, timeout=30) as c:
            start.wait(timeout=30)
            statuses.append(c.post(f"/rounds/{round_.id}/close", data=CONFIRM,
                                   headers={"X-CSRFToken": token}).status_code)

    threads = [threading.Thread(target=close) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303] + [409] * 9
    session.expire_all()
    closes = session.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "round_closed", AuditEvent.round_id == round_.id)).one()
    assert closes == 1


def test_every_setting_is_in_the_readme():
    from app.config import Settings

    readme = (ROOT / "README.md").read_text()
    names = [field.alias or f"MAPS_{name.upper()}" for name, field in
             Settings.model_fields.items()]
    assert [n for n in names + ["FORWARDED_ALLOW_IPS"] if f"`{n}`" not in readme] == []
