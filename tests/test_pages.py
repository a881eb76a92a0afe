"""The home page, health check, error pages and security headers."""

from bs4 import BeautifulSoup
from sqlalchemy.exc import OperationalError

from app import demo
from tests.factories import make_partnership


def test_home_page_says_what_maps_is(client, session):
    make_partnership(session)
    session.commit()
    response = client.get("/")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert "partnership" in page.select_one("h1").text.lower()
    assert page.select_one("html")["lang"] == "en-GB"
    text = " ".join(page.get_text().split())
    # What it is and how to get in, with no figures about who uses the site (issue 16).
    assert "personal link in your invitation" in text
    assert page.select_one("a[href='/sign-in']").get_text(strip=True) == "Sign in"
    assert not any(ch.isdigit() for ch in page.select_one("main").get_text())
    assert "short" not in text.lower()


def test_healthz_reports_app_and_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "app": "up", "database": "up"}


def test_healthz_is_503_when_the_database_is_down(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(app.state.engine, "connect", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "cannot reach its database" in response.json()["detail"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(client):
    page = BeautifulSoup(client.get("/").text, "html.parser")
    scripts = page.select("script")
    assert scripts and all(s.get("src") for s in scripts)
    assert all(not s.string or not s.string.strip() for s in scripts)


def test_static_assets_are_served_locally(client):
    page = BeautifulSoup(client.get("/").text, "html.parser")
    urls = ([s["src"] for s in page.select("script")]
            + [link["href"] for link in page.select("link[rel=stylesheet]")])
    assert any("htmx.min.js" in u for u in urls)
    for url in urls:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200


def test_demo_data_is_deterministic_and_varied(session, catalogue):
    demo.load(session, catalogue, hash_rounds=1)
    from sqlmodel import select

    from app.models import Answer, AssessmentRound, Partnership, Respondent
    partnerships = session.exec(select(Partnership)).all()
    assert len(partnerships) >= 8
    rounds = session.exec(select(AssessmentRound)).all()
    closed = [r for r in rounds if r.status == "closed"]
    per_partnership = {}
    for r in closed:
        per_partnership.setdefault(r.partnership_id, []).append(r)
    assert all(1 <= len(v) <= 3 for v in per_partnership.values())
    for r in closed:
        count = len(session.exec(select(Respondent).where(Respondent.round_id == r.id)).all())
        assert 6 <= count <= 20
    first = sorted((a.item_id, a.value) for a in session.exec(select(Answer)).all())
    demo.reset(session)
    demo.load(session, catalogue, hash_rounds=1)
    second = sorted((a.item_id, a.value) for a in session.exec(select(Answer)).all())
    assert first == second


def test_accessibility_statement_is_linked_from_every_page_footer(client, session):
    from app.web.pages import KNOWN_PROBLEMS

    for url in ("/", "/sign-in", "/accessibility", "/no-such-page"):
        footer = BeautifulSoup(client.get(url).text, "html.parser").select_one("footer")
        assert footer.select_one("a[href='/accessibility']").text == "Accessibility statement"
    html = BeautifulSoup(client.get("/accessibility").text, "html.parser")
    assert html.select_one("h1").text == "Accessibility statement for MAPS"
    assert "partially compliant" in html.text and "WCAG" in html.text
    # Each known problem is listed in plain words and against its success criteria.
    listed = html.select_one("#non-accessible-content ~ ul").text
    assert all(p.criteria in listed for p in KNOWN_PROBLEMS)
    assert html.select_one("#report-a-problem")
    assert not html.select("a[href^='mailto:']")  # no contact set: coordinator, admin


def test_accessibility_statement_gives_the_contact_when_set(settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    settings.accessibility_contact = "access@westshire.example"
    with TestClient(create_app(settings)) as client:
        html = BeautifulSoup(client.get("/accessibility").text, "html.parser")
    assert html.select_one("a[href='mailto:access@westshire.example']")
