"""Fixtures: a real, freshly migrated database per test (SQLite file, or PostgreSQL when
MAPS_TEST_DATABASE_URL names a server), the app built on it, and a client.

How the suite stays quick on two busy cores (follow it in new tests):
- Each test's database is a copy of one migrated once per test process. A test marked
  `@pytest.mark.demo` gets a copy of one with the demo data loaded, also made once.
- Tests that share an expensive session fixture run on one worker: mark the module with
  `pytest.mark.xdist_group(NAME)` (the report PDFs; the browser tests in two groups,
  "browser-journeys" and "browser-pages", each sharing one Chromium per worker, so that both
  workers drive a browser).
- Render a PDF only where the PDF itself is under test; elsewhere check the HTML.
- Browser tests wait on events, never sleep; `browser` gives contexts and pages whose waits
  allow BROWSER_WAIT_MS, a limit a loaded machine can meet.
"""

import base64
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import demo
from app.config import Settings
from app.db import make_engine, migrate
from app.main import create_app
from app.questionnaires.loader import load_catalogue
from app.web.csrf import SESSION_KEY, expected_token

POSTGRES_URL = os.environ.get("MAPS_TEST_DATABASE_URL")


def _admin_engine():
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass, run the tests that exercise the database, and only those.

    A test that asks for no database (the scoring core, the PDF's layout, the citations) gives
    the same answer on either backend; it has given it on the SQLite pass. So does a browser
    test (marked `browser`): what it checks is what Chromium shows (layout, focus, axe), and
    every route it drives is also requested against PostgreSQL by the HTTP-level tests. Running
    them again would only spend the CI machine's minutes (about five of them, serial on one
    browser)."""
    if not POSTGRES_URL:
        return
    keep = [item for item in items if "database_url" in getattr(item, "fixturenames", ())
            and item.get_closest_marker("browser") is None]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Iterator[str]:
    """A database migrated once per test process; each test gets a copy of it."""
    if POSTGRES_URL:
        name = f"maps_template_{os.getpid()}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        migrate(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "maps.db"
        migrate(f"sqlite:///{path}")
        yield str(path)


@contextmanager
def _copy_of(template: str, tmp_path: Path) -> Iterator[str]:
    """A new database, a copy of `template` (a PostgreSQL database name, or a SQLite file)."""
    if POSTGRES_URL:
        name = f"maps_test_{uuid.uuid4().hex[:12]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path / f"maps-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def demo_template(template_db, tmp_path_factory) -> Iterator[str]:
    """The migrated database with the demo data loaded, once per test process."""
    with _copy_of(template_db, tmp_path_factory.mktemp("demo")) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            demo.load(session, load_catalogue(), hash_rounds=1)
        engine.dispose()
        yield make_url(url).database


@pytest.fixture
def database_url(request, template_db, tmp_path) -> Iterator[str]:
    """A copy of the migrated database for this test: of the one with the demo data when the
    test is marked `demo`."""
    marked = request.node.get_closest_marker("demo") is not None
    template = request.getfixturevalue("demo_template") if marked else template_db
    with _copy_of(template, tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    # Cheap argon2 parameters keep sign-ins fast; production uses argon2-cffi's defaults.
    return Settings(database_url=database_url, data_dir=tmp_path / "data",
                    MAPS_SECRET_KEY="test-secret-key-not-for-production",
                    password_time_cost=1, password_memory_cost=8192)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def app(settings):
    return create_app(settings)


class FormClient(TestClient):
    """A client that sends the CSRF token the way MAPS pages do: as the `csrftoken` field of a
    posted form, or as the X-CSRFToken header for htmx and other requests. The token is the one
    the page's meta tag would carry, bound to the key in the session cookie (app/web/csrf.py),
    so it follows sign-in and sign-out without another request. Without a session yet, the
    client opens the home page first, as a person would have opened a page before posting.
    Use a plain TestClient to send none."""

    def session_key(self) -> str | None:
        for name in ("maps_session", "__Host-maps_session"):
            if value := self.cookies.get(name):
                # Starlette's cookie: base64 JSON, then its timestamp and signature.
                data = json.loads(base64.b64decode(value.split(".", 1)[0]))
                return data.get(SESSION_KEY)
        return None

    def csrf_token(self) -> str:
        if self.session_key() is None:
            self.get("/")
        return expected_token(self.app.state.settings.secret_key, self.session_key())

    def request(self, method, url, *args, **kwargs):
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            token = self.csrf_token()
            headers = dict(kwargs.get("headers") or {})
            data = kwargs.get("data")
            if isinstance(data, dict) and headers.get("HX-Request") != "true":
                kwargs["data"] = {"csrftoken": token, **data}
            else:
                kwargs["headers"] = {**headers, "X-CSRFToken": token}
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with FormClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def catalogue(app):
    return app.state.catalogue


@pytest.fixture
def core(catalogue):
    return catalogue.get("multi-agency-working")


DATA = Path(__file__).parent / "data"


@pytest.fixture
def live_server(app):
    """The app served by uvicorn on a free loopback port, for the browser tests."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


BROWSER_WAIT_MS = 60_000  # for any one event; the suite shares two cores with other work


class PatientBrowser:
    """The session's Chromium, whose contexts and pages wait up to BROWSER_WAIT_MS for what
    a test waits on (an element, a navigation, a download) before failing."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.set_default_timeout(BROWSER_WAIT_MS)
        context.set_default_navigation_timeout(BROWSER_WAIT_MS)
        return context

    def new_page(self, **options):
        return self.new_context(**options).new_page()

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                             timeout=BROWSER_WAIT_MS)
        yield PatientBrowser(browser)
        browser.close()


@pytest.fixture
def mail_settings(app):
    """The app's settings, pointed at a mail server on a free loopback port."""
    from tests import smtp

    settings = app.state.settings
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp.free_port()
    settings.smtp_starttls = False
    return settings


@pytest.fixture
def inbox(mail_settings):
    """A real SMTP server (tests/smtp.py) on that port, and what it receives."""
    from tests import smtp

    inbox = smtp.Inbox()
    controller = smtp.start(inbox, mail_settings.smtp_port)
    yield inbox
    controller.stop()


# What the confirmation page posts (app/web/confirm.py): without it nothing destructive happens.
CONFIRM = {"confirm": "yes"}


def sign_in(client, user, password: str | None = None):
    """Sign the client in as the user (made by tests.factories.make_user)."""
    from tests.factories import PASSWORD

    response = client.post("/sign-in", data={"email": user.email,
                                             "password": password or PASSWORD})
    assert response.status_code == 303, response.text
    return response


def start_response(client, token: str):
    """Start with an invite link as its board member does (the welcome page, then Start), so
    the client's browser holds the link's resume code. Returns the code."""
    import re

    welcome = client.get(f"/r/{token}/welcome")
    assert welcome.status_code == 200
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', welcome.text).group(1)
    response = client.post(f"/r/{token}/start", data={"csrftoken": csrf},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.cookies[next(n for n in response.cookies if n.startswith("maps_resume_"))]
