"""Answer autosave under load: 50 respondents saving at once through uvicorn on loopback,
against a minimal FastAPI endpoint doing one insert into the same database."""

import asyncio
import random
import re
import tempfile
import time
from pathlib import Path
from statistics import quantiles

import httpx
from sqlmodel import Session

from app.db import make_engine, migrate
from app.questionnaires.loader import load_catalogue
from bench.scoring import seed_round
from bench.server import database, peak_memory_mb, serve

CONCURRENCY = 50
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


async def _respondent(url: str, token: str, items: list, until: float, latencies: list,
                      failures: list) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        headers = {"HX-Request": "true"}
        # Start with the link, as a board member does: this client then holds it.
        welcome = await client.get(f"/r/{token}/welcome")
        await client.post(f"/r/{token}/start",
                          headers={"X-CSRFToken": CSRF_META.search(welcome.text).group(1)})
        page = await client.get(f"/r/{token}/s/{items[0].section_id}")
        match = CSRF_META.search(page.text)
        if match:
            headers["X-CSRFToken"] = match.group(1)
        rng = random.Random(token)
        while time.monotonic() < until:
            item = rng.choice(items)
            start = time.perf_counter()
            response = await client.post(f"/r/{token}/answer", headers=headers,
                                         data={item.id: rng.choice(item.scale.options).value})
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                failures.append(response.status_code)


async def _baseline(url: str, n: int, until: float, latencies: list, failures: list) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while time.monotonic() < until:
            start = time.perf_counter()
            response = await client.post("/insert", data={"item": f"i{n}", "value": "3"})
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                failures.append(response.status_code)


def _load(coroutines_for, seconds: float) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    failures: list[int] = []

    async def main():
        until = time.monotonic() + seconds
        await asyncio.gather(*coroutines_for(until, latencies, failures))

    start = time.perf_counter()
    asyncio.run(main())
    return latencies, failures, time.perf_counter() - start


def _figures(latencies, elapsed):
    cuts = quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000


def run(backend: str, *, seconds: float, workers: int) -> list[dict]:
    questionnaire = load_catalogue().get("multi-agency-working")
    items = [i for i in questionnaire.items]
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            _, tokens = seed_round(session, questionnaire, CONCURRENCY, random.Random(2),
                                   submitted=False)
        engine.dispose()
        env = {"MAPS_DATABASE_URL": url, "MAPS_DATA_DIR": tmp,
               "MAPS_SECRET_KEY": "bench-secret-key"}
        with serve("app.main:create_app", env, workers) as (app_url, process):
            maps, maps_failures, maps_elapsed = _load(
                lambda until, lat, fail: [_respondent(app_url, t, items, until, lat, fail)
                                          for t in tokens], seconds)
            memory = peak_memory_mb(process.pid)
        with serve("bench.baseline_app:create_app", env, workers) as (base_url, _):
            base, base_failures, base_elapsed = _load(
                lambda until, lat, fail: [_baseline(base_url, n, until, lat, fail)
                                          for n in range(CONCURRENCY)], seconds)
    if maps_failures or base_failures:
        raise RuntimeError(f"failed requests: MAPS {len(maps_failures)} "
                           f"{sorted(set(maps_failures))}, baseline {len(base_failures)}")
    rps, p50, p99 = _figures(maps, maps_elapsed)
    base_rps, base_p50, base_p99 = _figures(base, base_elapsed)
    label = f"autosave, {CONCURRENCY} respondents, {backend}, {workers} worker(s)"
    baseline = "one-insert FastAPI endpoint"
    return [
        {"name": f"{label}: requests/s", "value": rps, "unit": "/s", "baseline": base_rps,
         "baseline_name": baseline},
        {"name": f"{label}: p50", "value": p50, "unit": "ms", "baseline": base_p50,
         "baseline_name": baseline},
        {"name": f"{label}: p99", "value": p99, "unit": "ms", "baseline": base_p99,
         "baseline_name": baseline},
        {"name": f"app peak memory ({backend}, {workers} worker(s))", "value": memory,
         "unit": "MB"},
    ]
