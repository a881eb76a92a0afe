"""The autosave baseline: a minimal FastAPI endpoint doing one insert into the same database,
served the same way, so the ratio shows what MAPS's own work costs."""

import os
from datetime import UTC, datetime

from fastapi import FastAPI, Form
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

from app.db import make_engine

metadata = MetaData()
rows = Table("bench_baseline", metadata, Column("id", Integer, primary_key=True),
             Column("item_id", String(64)), Column("value", String(32)),
             Column("updated_at", DateTime(timezone=True)))


def create_app() -> FastAPI:
    engine = make_engine(os.environ["MAPS_DATABASE_URL"])
    metadata.create_all(engine)
    app = FastAPI()

    @app.post("/insert")
    def insert_one(item: str = Form(), value: str = Form()):
        with engine.begin() as conn:
            conn.execute(insert(rows).values(item_id=item, value=value,
                                             updated_at=datetime.now(UTC)))
        return {"ok": True}

    return app
