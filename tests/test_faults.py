"""Faults, with real processes and the real database: the app killed in the middle of a load of
autosaves, two app processes sharing one PostgreSQL, the database going away and coming back,
and the migrations run down and up over a database full of demo data.

Each test prints what it measured (run with -s to see it)."""

import random
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, func, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from app.db import alembic_config
from app.models import Answer, AssessmentRound, Role, RoundStatus
from app.upgrade import upgrade
from tests.conftest import POSTGRES_URL, start_response
from tests.factories import (
    PASSWORD,
    make_invite,
    make_organisation,
    make_partnership,
    make_round,
    make_user,
)
from tests.live_app import CSRF_META, SECRET, AppProcess, SaveLog, TcpProxy
from tests.live_app import Respondent as Browser

POSTGRES_ONLY = pytest.mark.skipif(
    not POSTGRES_URL, reason="several app processes share a database only on PostgreSQL "
                             "(README: production runs on PostgreSQL); SQLite is one local file")


def _invites(session, count: int) -> list[tuple[int, str]]:
    round_ = make_round(session)
    invites = [make_invite(session, round_) for _ in range(count)]
    return [(respondent.id, token) for respondent, token in invites]


def _rows(engine, respondent_ids) -> list[Answer]:
    with Session(engine) as session:
        return list(session.exec(select(Answer).where(
            Answer.respondent_id.in_(respondent_ids))))


def _duplicates(engine) -> list:
    with Session(engine) as session:
        return list(session.exec(
            select(Answer.respondent_id, Answer.item_id, func.count())
            .group_by(Answer.respondent_id, Answer.item_id).having(func.count() > 1)))


# --- SIGKILL in the middle of autosaves ------------------------------------------------------

RESPONDENTS = 6
ITEMS_EACH = 4


def _autosave_until(app_url: str, browser: Browser, log: SaveLog, items, rng,
                    stop: threading.Event) -> None:
    """Sequential saves, as one person clicking through answers, until stopped or cut off."""
    while not stop.is_set():
        item = rng.choice(items)
        value = rng.choice(item.scale.options).value
        try:
            response = browser.save(app_url, item.id, value)
        except httpx.TransportError:
            log.sent.append((item.id, value, False))  # in flight when the process died
            return
        log.sent.append((item.id, value, response.status_code == 200))
        if response.status_code != 200:
            log.errors.append(f"{response.status_code}: {response.text[:200]}")


class Load:
    """Every respondent saving at once, each in a thread, until stop() or the app dies."""

    def __init__(self, app: AppProcess, people, logs, items_of, seed: int):
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=_autosave_until, daemon=True, args=(
            app.url, browser, logs[token], items_of[token], random.Random(f"{seed}{token}"),
            self.stopping)) for token, browser in people.items()]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)


def test_acknowledged_autosaves_survive_sigkill(database_url, session, engine, core, tmp_path):
    invites = _invites(session, RESPONDENTS)
    session.close()
    rng = random.Random(7)
    items = list(core.items)
    rng.shuffle(items)
    # Each respondent keeps changing their own few answers, so the value that counts is the last.
    items_of = {token: items[n * ITEMS_EACH:(n + 1) * ITEMS_EACH]
                for n, (_, token) in enumerate(invites)}
    logs = {token: SaveLog() for _, token in invites}
    app = AppProcess(database_url, tmp_path / "data")
    started = time.monotonic()
    app.start()
    people = {}
    try:
        for _, token in invites:
            people[token] = Browser(token)
            people[token].open(app.url, items_of[token][0].section_id)
        load = Load(app, people, logs, items_of, seed=1)
        time.sleep(1.0 + rng.random())  # the kill lands at an arbitrary moment
        app.kill()
        killed_at = time.monotonic()
        load.stop()
        before_kill = sum(log.acknowledged() for log in logs.values())
        in_flight = sum(1 for log in logs.values() if log.sent and not log.sent[-1][2])

        app.start()
        restarted_in = time.monotonic() - killed_at
        # The restarted process takes saves again, from the same pages (same CSRF cookie).
        load = Load(app, people, logs, items_of, seed=2)
        time.sleep(0.5)
        load.stop()
    finally:
        app.stop()
        for browser in people.values():
            browser.close()

    errors = [e for log in logs.values() for e in log.errors]
    assert not errors, errors[:5]
    assert before_kill >= RESPONDENTS, "too few saves before the kill to test anything"
    respondent_ids = [respondent_id for respondent_id, _ in invites]
    assert _duplicates(engine) == []
    rows = _rows(engine, respondent_ids)
    saved = {(row.respondent_id, row.item_id): row.value for row in rows}
    assert len(saved) == len(rows)
    lost = []
    for respondent_id, token in invites:
        log = logs[token]
        sent_items = {item_id for item_id, _, _ in log.sent}
        mine = {item: value for (rid, item), value in saved.items() if rid == respondent_id}
        assert set(mine) <= sent_items, "an answer that was never sent"
        for item_id, allowed in log.allowed_values().items():
            if mine.get(item_id) not in allowed:
                lost.append((token[:6], item_id, mine.get(item_id), allowed))
    assert not lost, lost
    total = sum(log.acknowledged() for log in logs.values())
    print(f"\nSIGKILL: {before_kill} saves acknowledged before the kill, {in_flight} in flight; "
          f"restarted in {restarted_in:.1f} s; {total} acknowledged in all, none lost or "
          f"doubled ({time.monotonic() - started:.1f} s)")


# --- Two app processes, one PostgreSQL -------------------------------------------------------

@POSTGRES_ONLY
def test_two_processes_alternating_saves_keep_one_answer_per_item(database_url, session, engine,
                                                                  core, tmp_path):
    [(respondent_id, token)] = _invites(session, 1)
    session.close()
    section = core.sections[0]
    items = list(section.items)
    rng = random.Random(3)
    first, second = (AppProcess(database_url, tmp_path / "data"),
                     AppProcess(database_url, tmp_path / "data"))
    first.spawn(), second.spawn()
    browser = Browser(token)
    last: dict[str, str] = {}
    saves = 0
    try:
        first.wait_ready(), second.wait_ready()
        # One browser: its cookie (signed with the shared key) works on either process.
        browser.open(first.url, section.id)
        for round_number in range(3):
            for n, item in enumerate(items):
                app = (first, second)[(n + round_number) % 2]
                value = rng.choice(item.scale.options).value
                response = browser.save(app.url, item.id, value)
                assert response.status_code == 200, response.text
                last[item.id] = value
                saves += 1

        # Two tabs at once, one on each process, saving the same items.
        refused = []

        def tab(app, seed):
            tab_rng = random.Random(seed)
            other = Browser(token)
            other.headers = browser.headers
            other.client.cookies = browser.client.cookies
            try:
                for _ in range(15):
                    item = tab_rng.choice(items)
                    response = other.save(app.url, item.id,
                                          tab_rng.choice(item.scale.options).value)
                    if response.status_code != 200:
                        refused.append(response.status_code)
            finally:
                other.close()

        tabs = [threading.Thread(target=tab, args=(app, seed))
                for seed, app in enumerate((first, second, first, second))]
        for thread in tabs:
            thread.start()
        for thread in tabs:
            thread.join(timeout=30)
        assert refused == []
        with Session(engine) as check:
            assert len(check.exec(select(Answer).where(
                Answer.respondent_id == respondent_id)).all()) == len(items)

        # Then the last word, alternating again: that is what must be kept.
        for n, item in enumerate(items):
            value = rng.choice(item.scale.options).value
            response = browser.save((second, first)[n % 2].url, item.id, value)
            assert response.status_code == 200
            last[item.id] = value
            saves += 1
    finally:
        browser.close()
        first.stop(), second.stop()
    rows = _rows(engine, [respondent_id])
    assert sorted(row.item_id for row in rows) == sorted(last)
    assert {row.item_id: row.value for row in rows} == last
    print(f"\ntwo processes: {saves} alternating saves and 60 concurrent ones over "
          f"{len(items)} items; one row per item, the last value")


# --- The database unreachable ----------------------------------------------------------------

def _sign_in(client: httpx.Client, base_url: str, email: str) -> None:
    form = client.get(f"{base_url}/sign-in")
    response = client.post(f"{base_url}/sign-in", data={
        "csrftoken": CSRF_META.search(form.text).group(1), "email": email,
        "password": PASSWORD})
    assert response.status_code == 303, response.text


def _probe(client: httpx.Client, base_url: str, browser: Browser, token: str,
           item_id: str, value: str) -> dict[str, httpx.Response]:
    """One request of each kind: pages, the health check, the JSON API and an autosave."""
    return {
        "home": client.get(f"{base_url}/"),
        "dashboard": client.get(f"{base_url}/dashboard"),
        "healthz": client.get(f"{base_url}/healthz"),
        "api": client.get(f"{base_url}/api/compare"),
        "invite page": browser.client.get(f"{base_url}/r/{token}"),
        "autosave": browser.save(base_url, item_id, value),
    }


JSON_PROBES = {"healthz", "api"}


def _assert_unavailable(responses: dict[str, httpx.Response]) -> None:
    for name, response in responses.items():
        assert response.status_code == 503, (name, response.status_code, response.text[:300])
        if name in JSON_PROBES:
            assert response.headers["content-type"] == "application/json"
            assert "cannot reach its database" in response.json()["detail"]
            assert response.headers["retry-after"]
        else:
            assert response.headers["content-type"].startswith("text/html")
            page = BeautifulSoup(response.text, "html.parser")
            assert page.select_one("h1").get_text(strip=True) == \
                "Sorry, the service is unavailable"
            assert "Nothing you saved has been lost" in page.get_text()


def _assert_available(responses: dict[str, httpx.Response]) -> None:
    for name, response in responses.items():
        assert response.status_code in (200, 303), (name, response.status_code,
                                                    response.text[:300])


def _outage_fixture(session, core):
    organisation = make_organisation(session)
    make_partnership(session, organisation)
    admin = make_user(session, organisation, role=Role.org_admin)
    respondent, token = make_invite(session)
    item = core.items[0]
    facts = admin.email, respondent.id, token, item
    session.close()
    return facts


def _until_healthy(base_url: str, timeout: float = 10) -> float:
    start = time.monotonic()
    while httpx.get(f"{base_url}/healthz", timeout=5).status_code != 200:
        assert time.monotonic() - start < timeout, "the app did not recover by itself"
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (the SQLite version is "
                                             "test_sqlite_file_away_then_back)")
def test_postgres_unreachable_gives_503_and_the_app_recovers(database_url, session, engine, core,
                                                             tmp_path):
    email, respondent_id, token, item = _outage_fixture(session, core)
    url = make_url(database_url)
    options = [o.value for o in item.scale.options]
    with TcpProxy(url.host, url.port) as proxy, AppProcess(
            url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
            tmp_path / "data") as app, httpx.Client(timeout=10) as client:
        _sign_in(client, app.url, email)
        browser = Browser(token)
        browser.open(app.url, item.section_id)
        _assert_available(_probe(client, app.url, browser, token, item.id, options[0]))

        proxy.cut()  # the server goes away: pooled connections die, new ones are refused
        cut_at = time.monotonic()
        failures, slowest = 0, 0.0
        while time.monotonic() - cut_at < 3:
            responses = _probe(client, app.url, browser, token, item.id, options[1])
            _assert_unavailable(responses)
            slowest = max([slowest] + [r.elapsed.total_seconds() for r in responses.values()])
            failures += len(responses)
        proxy.restore()
        recovered_in = _until_healthy(app.url)
        _assert_available(_probe(client, app.url, browser, token, item.id, options[2]))

        # The server ends every session (a failover, a restart): pre-ping reconnects unseen.
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            ended = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": url.database}).scalar()
        admin.dispose()
        _assert_available(_probe(client, app.url, browser, token, item.id, options[3]))
        browser.close()
    with Session(engine) as check:
        saved = check.exec(select(Answer).where(Answer.respondent_id == respondent_id)).one()
    assert saved.value == options[3]
    print(f"\nPostgreSQL cut for 3 s: {failures} requests, all a clear 503, slowest "
          f"{slowest * 1000:.0f} ms; healthy again {recovered_in * 1000:.0f} ms after it came "
          f"back; {ended} server sessions ended later, no request noticed")


def _cookies_from_an_earlier_process(database_url, data_dir, email, token, section_id):
    """Sign in and open the invite link on the app in this process (with the same secret key),
    as the person did before the outage: their cookies and CSRF token, for the new process."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    settings = Settings(database_url=database_url, data_dir=data_dir, MAPS_SECRET_KEY=SECRET)
    app = create_app(settings)
    with TestClient(app) as admin, TestClient(app) as respondent:
        form = admin.get("/sign-in")
        assert admin.post("/sign-in", data={"csrftoken": CSRF_META.search(form.text).group(1),
                                            "email": email, "password": PASSWORD},
                          follow_redirects=False).status_code == 303
        start_response(respondent, token)
        page = respondent.get(f"/r/{token}/s/{section_id}")
        csrf = CSRF_META.search(page.text).group(1)
        signed_in, invited = dict(admin.cookies), dict(respondent.cookies)
    app.state.engine.dispose()
    return signed_in, invited, csrf


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only (PostgreSQL: "
                                               "test_postgres_unreachable_gives_503_...)")
def test_sqlite_file_away_then_back(database_url, session, engine, core, tmp_path):
    """SQLite has no server to lose. Its equivalent is the file not being there to open (a
    volume not mounted yet, a restore in progress) when the app (re)starts: here the path is a
    directory for a while. (An open connection keeps its file even when the file is moved, so
    the app is started during the outage, as a supervisor would restart it.)"""
    email, respondent_id, token, item = _outage_fixture(session, core)
    signed_in, invited, csrf = _cookies_from_an_earlier_process(
        database_url, tmp_path / "data", email, token, item.section_id)
    engine.dispose()
    path = Path(make_url(database_url).database)
    away = path.with_name(path.name + ".away")
    options = [o.value for o in item.scale.options]
    path.rename(away)
    path.mkdir()  # nothing can open it, root included (chmod would not stop root)
    browser = Browser(token)
    browser.client.cookies = invited
    browser.headers["X-CSRFToken"] = csrf
    try:
        with AppProcess(database_url, tmp_path / "data") as app, \
                httpx.Client(timeout=10, cookies=signed_in) as client:
            failures = 0
            for _ in range(3):
                responses = _probe(client, app.url, browser, token, item.id, options[1])
                _assert_unavailable(responses)
                failures += len(responses)
            path.rmdir()
            away.rename(path)
            recovered_in = _until_healthy(app.url)
            _assert_available(_probe(client, app.url, browser, token, item.id, options[2]))
    finally:
        if away.exists():
            shutil.rmtree(path, ignore_errors=True)
            away.rename(path)
        browser.close()
    with Session(engine) as check:
        saved = check.exec(select(Answer).where(Answer.respondent_id == respondent_id)).one()
    assert saved.value == options[2]
    print(f"\nSQLite file away: {failures} requests, all a clear 503; healthy again "
          f"{recovered_in * 1000:.0f} ms after it came back, without a restart")


# --- Migrations over a database full of demo data --------------------------------------------

def _dump(engine) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table (but Alembic's own): its columns and all its rows."""
    tables = {}
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table != "alembic_version":
                result = conn.execute(text(f'SELECT * FROM "{table}"'))
                tables[table] = (list(result.keys()), [tuple(row) for row in result])
    return tables


def _projected(dump, table: str, columns: list[str]) -> list[tuple]:
    names, rows = dump[table]
    index = [names.index(c) for c in columns]
    return sorted((tuple(row[i] for i in index) for row in rows), key=repr)


def _unchanged(before, after, table: str, *, ignore=()) -> bool:
    """The same rows, compared on the columns both have (a revision may add or drop one)."""
    shared = [c for c in before[table][0] if c in after[table][0] and c not in ignore]
    return _projected(before, table, shared) == _projected(after, table, shared)


def _revisions(url: str) -> list[str]:
    """Every revision from the first to head, in order."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.mark.demo
def test_migrations_down_and_up_over_demo_data_lose_nothing(database_url, session, engine,
                                                            catalogue):
    session.close()
    before = _dump(engine)
    assert len(before["answer"][1]) > 1000
    revisions = _revisions(database_url)
    config = alembic_config(database_url)
    # Down one revision at a time to the first: every table that exists on both sides of a
    # step keeps every row. (A table a revision created is dropped with it: that is what a
    # downgrade means.)
    kept_throughout = set(before)
    for revision in reversed(revisions[:-1]):
        engine.dispose()
        command.downgrade(config, revision)
        after = _dump(engine)
        for table in set(after) & set(before):
            assert _unchanged(before, after, table), f"{table} changed going down to {revision}"
        kept_throughout &= set(after)
    # And up again to head, the way `maps migrate` does it.
    engine.dispose()
    upgrade(database_url)
    again = _dump(engine)
    assert set(again) == set(before)
    for table in kept_throughout:
        # A round's disclosure plan is dropped going down; the way up keeps again the pattern
        # the code it went down to showed (tie-broken on names: results.freeze_missing).
        ignore = {"disclosure"} if table == "assessmentround" else set()
        assert _unchanged(before, again, table, ignore=ignore), \
            f"{table} changed on the way back up"
    assert {"answer", "respondent", "assessmentround", "partnership"} <= kept_throughout
    # Round summaries are derived data, dropped going down: migrating up rebuilds them, so the
    # comparison of partnerships shows what it showed before.
    assert _unchanged(before, again, "roundsummary", ignore={"computed_at"})
    closed = session.exec(select(AssessmentRound).where(
        AssessmentRound.status == RoundStatus.closed)).all()
    assert len(again["roundsummary"][1]) == len(closed) > 0
    assert all(r.disclosure is not None for r in closed)
    print(f"\nmigrations {' '.join(revisions)} down to {revisions[0]} and up again over "
          f"{sum(len(rows) for _, rows in before.values())} rows of demo data: "
          f"{len(kept_throughout)} tables kept every row, round summaries rebuilt")
