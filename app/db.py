"""The database engine, request sessions and schema migrations."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
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
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            pool = {}  # an in-memory database is one connection, not a pool
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping lets the app recover by itself after the database has been away.
    return create_engine(url, pool_pre_ping=True, **pool)


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


async def database_turn(request: Request) -> AsyncIterator[None]:
    """Wait, on the event loop, until fewer than CONCURRENT_REQUESTS requests of this process
    hold a database session; hold the turn until this request's session is closed.

    Without it, under load every threadpool thread can be taken by a request that waits for
    a connection while the requests holding the connections wait for a thread to finish on."""
    async with _turns(request.app.state):
        yield


def _turns(state) -> asyncio.Semaphore:
    # One semaphore per event loop: tests start a loop per client on the same app.
    loop = asyncio.get_running_loop()
    turns = getattr(state, "database_turns", None)
    if turns is None or turns[0] is not loop:
        turns = state.database_turns = (loop, asyncio.Semaphore(CONCURRENT_REQUESTS))
    return turns[1]


def get_session(request: Request,
                _turn: Annotated[None, Depends(database_turn)]) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session
