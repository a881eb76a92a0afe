"""The database engine, request sessions and schema migrations."""

import asyncio
import os
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from alembic import command
from alembic.config import Config
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Requests of one process that may use the database at once; the pool keeps as many
# connections (and a few spare for anything outside a request). Past it, requests wait their
# turn on the event loop (see database_turn), not in the pool, where they would hold a thread
# and give up after the pool's 30 s timeout.
CONCURRENT_REQUESTS = 10
SPARE_CONNECTIONS = 5


def make_engine(url: str) -> Engine:
    pool = {"pool_size": CONCURRENT_REQUESTS, "max_overflow": SPARE_CONNECTIONS}
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        if database and database != ":memory:":
            _private_file(Path(database))
        else:
            pool = {}  # an in-memory database is one connection, not a pool
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_SECONDS}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        _queue_writers(engine)
        return engine
    # pre_ping lets the app recover by itself after the database has been away.
    return create_engine(url, pool_pre_ping=True, **pool)


SQLITE_BUSY_SECONDS = 30
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _queue_writers(engine: Engine) -> None:
    """SQLite lets one connection write at a time. Another writer waits by sleeping and
    trying again (steps of up to 100 ms, to the busy timeout), so under load a save could
    wait many times longer than the writes before it took. The writers of one process queue
    on a lock instead, from their first write to their commit or rollback, and each starts as
    soon as the one before has finished. (Other processes still meet SQLite's busy wait.)"""
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def take_turn(conn, cursor, statement, parameters, context, executemany) -> None:
        if "write_turn" not in conn.info and _WRITES.match(statement):
            # A writer that cannot have the lock in time goes on to SQLite's own wait.
            conn.info["write_turn"] = lock.acquire(timeout=SQLITE_BUSY_SECONDS)

    def end_turn(info: dict) -> None:
        if info.pop("write_turn", False):
            lock.release()

    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda conn: end_turn(conn.info))
    # A connection given back or dropped without either still ends its turn.
    for name in ("checkin", "invalidate", "close"):
        event.listen(engine.pool, name, lambda _dbapi, record, *_: end_turn(record.info))


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite does (its WAL and
    shared-memory files then take the same mode); tighten one an older MAPS left readable."""
    try:
        if not path.parent.exists():
            # As app.config.make_data_dir does: for MAPS's own user only.
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # not there to open (a volume not mounted yet): SQLite will say so
        return
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists() and extra.stat().st_mode & 0o077:
            extra.chmod(0o600)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers carry on while one writer saves; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """The schema only; app/upgrade.py also makes the data SQL cannot (round summaries)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _turns(state) -> asyncio.Semaphore:
    # One semaphore per event loop: tests start a loop per client on the same app.
    loop = asyncio.get_running_loop()
    turns = getattr(state, "database_turns", None)
    if turns is None or turns[0] is not loop:
        turns = state.database_turns = (loop, asyncio.Semaphore(CONCURRENT_REQUESTS))
    return turns[1]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's database session, once fewer than CONCURRENT_REQUESTS requests of this
    process hold one: until then the request waits its turn on the event loop. Without the
    turn, under load every threadpool thread can be taken by a request that waits for a
    connection while the requests holding the connections wait for a thread to finish on.

    One dependency for both (not a turn and a session): each generator dependency costs a
    context manager, an exit stack entry and a cancel scope on every request."""
    async with _turns(request.app.state):
        # Made on the event loop (a session connects only when first used) rather than in a
        # thread of its own: that hand-over to the threadpool and back was a cost on every
        # request. Closing one that still holds a connection gives it back with a rollback,
        # which is database work, so that happens in the threadpool.
        session = Session(request.app.state.engine)
        try:
            yield session
        finally:
            if session.in_transaction():
                with anyio.CancelScope(shield=True):  # a client gone away still gets it closed
                    await run_in_threadpool(session.close)
            else:
                session.close()
