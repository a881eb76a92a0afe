"""Answer autosave under load through uvicorn on loopback: 50 respondents saving as fast as
they can, against a minimal FastAPI endpoint doing one insert into the same database, served
the same way; then 200 respondents at once, where no request may fail with a server error.

Each respondent opens their questionnaire page (for the CSRF token) before the clock starts,
so the figures are saves alone. MAPS and the baseline take turns, five each, so a change in
the machine's speed (it is shared, and moves by half from one minute to the next) falls on
both; the requests per second are the medians of the turns', the latencies are over all."""

import asyncio
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import median, quantiles

import httpx
from sqlmodel import Session

from app.db import make_engine, migrate
from app.questionnaires.loader import load_catalogue
from bench.scoring import seed_round
from bench.server import csrf_token, database, peak_memory_mb, serve

CONCURRENCY = 50
CROWD = 200  # respondents at once for the no-server-error check
TIMEOUT = 60  # seconds; a request queued longer than this counts as failed
TURNS = 5  # MAPS and the baseline each load the server this many times, alternately


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int | str] = Counter()
        self.turns: list[float] = []  # requests per second in each turn

    def add_turn(self, requests: int, seconds: float) -> None:
        self.turns.append(requests / seconds)

    async def timed(self, request) -> None:
        """Await the request (a coroutine not yet started), keeping its time and status."""
        start = time.perf_counter()
        try:
            response = await request
            self.statuses[response.status_code] += 1
        except httpx.HTTPError as error:
            self.statuses[type(error).__name__] += 1
        self.latencies.append(time.perf_counter() - start)

    @property
    def failures(self) -> dict:
        return {k: n for k, n in self.statuses.items() if k != 200}

    def figures(self) -> tuple[float, float, float]:
        """Requests per second (the median turn's), p50 and p99 in milliseconds."""
        if len(self.latencies) < 2:
            return 0.0, float("nan"), float("nan")
        cuts = quantiles(self.latencies, n=100)
        return median(self.turns), cuts[49] * 1000, cuts[98] * 1000


async def _open(client: httpx.AsyncClient, token: str, section_id: str,
                tally: "Tally", started: bool) -> dict[str, str] | None:
    """The headers htmx sends from this respondent's page, or None when it would not open
    (counted as a failure: that respondent saves nothing)."""
    try:
        if not started:
            # Start with the link, as a board member does: this client then holds it.
            welcome = await client.get(f"/r/{token}/welcome")
            await client.post(f"/r/{token}/start",
                              headers={"X-CSRFToken": csrf_token(welcome.text)})
        page = await client.get(f"/r/{token}/s/{section_id}")
    except httpx.HTTPError as error:
        tally.statuses[f"page: {type(error).__name__}"] += 1
        return None
    if page.status_code != 200:
        tally.statuses[f"page: {page.status_code}"] += 1
        return None
    return {"HX-Request": "true", "X-CSRFToken": csrf_token(page.text)}


async def _respondents(url: str, tokens: list[str], items: list, seconds: float,
                       tally: Tally, jars: dict[str, httpx.Cookies]) -> None:
    """Each respondent opens a page and saves answers until time is up. `jars` keeps each
    link's cookies from one turn to the next: only the browser that started a link may use
    it, so a later turn comes back as that browser."""
    limits = httpx.Limits(max_connections=1)
    openers = [httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits,
                                 cookies=jars.get(t)) for t in tokens]
    try:
        headers = await asyncio.gather(*(_open(c, t, items[0].section_id, tally, t in jars)
                                         for c, t in zip(openers, tokens, strict=True)))
    finally:
        await asyncio.gather(*(c.aclose() for c in openers))
    jars.update(zip(tokens, (opener.cookies for opener in openers), strict=True))
    # Fresh connections for the saves: the first to open its page may have waited longer
    # than the server keeps an idle connection, and a browser would simply reconnect.
    clients = [httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits,
                                 cookies=opener.cookies) for opener in openers]
    try:

        async def respondent(client, token, header):
            if header is None:
                return
            rng = random.Random(token)
            while time.monotonic() < until:
                item = rng.choice(items)
                value = rng.choice(item.scale.options).value
                await tally.timed(client.post(f"/r/{token}/answer", headers=header,
                                              data={item.id: value}))

        done = len(tally.latencies)
        start, until = time.perf_counter(), time.monotonic() + seconds
        await asyncio.gather(*(respondent(c, t, h)
                               for c, t, h in zip(clients, tokens, headers, strict=True)))
        tally.add_turn(len(tally.latencies) - done, time.perf_counter() - start)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def _baseline(url: str, count: int, seconds: float, tally: Tally) -> None:
    limits = httpx.Limits(max_connections=1)
    clients = [httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits)
               for _ in range(count)]

    async def one(n, client):
        while time.monotonic() < until:
            await tally.timed(client.post("/insert", data={"item": f"i{n}", "value": "3"}))

    try:
        done = len(tally.latencies)
        start, until = time.perf_counter(), time.monotonic() + seconds
        await asyncio.gather(*(one(n, c) for n, c in enumerate(clients)))
        tally.add_turn(len(tally.latencies) - done, time.perf_counter() - start)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def run(backend: str, *, seconds: float, workers: int) -> list[dict]:
    questionnaire = load_catalogue().get("multi-agency-working")
    items = list(questionnaire.items)
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            _, tokens = seed_round(session, questionnaire, CROWD, random.Random(2),
                                   submitted=False)
        engine.dispose()
        env = {"MAPS_DATABASE_URL": url, "MAPS_DATA_DIR": tmp,
               "MAPS_SECRET_KEY": "bench-secret-key"}
        maps, base, crowd = Tally(), Tally(), Tally()
        with serve("app.main:create_app", env, workers) as (app_url, process), \
                serve("bench.baseline_app:create_app", env, workers) as (base_url, _):
            # In turns, so that both see the same machine: it is shared, and its load moves.
            jars: dict[str, httpx.Cookies] = {}
            for _ in range(TURNS):
                asyncio.run(_respondents(app_url, tokens[:CONCURRENCY], items,
                                         seconds / TURNS, maps, jars))
                asyncio.run(_baseline(base_url, CONCURRENCY, seconds / TURNS, base))
            asyncio.run(_respondents(app_url, tokens, items, seconds, crowd, jars))
            memory = peak_memory_mb(process.pid)
    for name, tally in (("MAPS", maps), ("baseline", base), (f"MAPS, {CROWD}", crowd)):
        if tally.failures:
            print(f"autosave on {backend}: {name} had failed requests: {tally.failures}")
    rps, p50, p99 = maps.figures()
    base_rps, base_p50, base_p99 = base.figures()
    crowd_rps, _, crowd_p99 = crowd.figures()
    server_errors = sum(n for k, n in crowd.statuses.items()
                        if isinstance(k, str) or k >= 500)
    label = f"autosave, {CONCURRENCY} respondents, {backend}, {workers} worker(s)"
    crowd_label = f"autosave, {CROWD} respondents, {backend}, {workers} worker(s)"
    baseline = "one-insert FastAPI endpoint, 50 clients"
    return [
        {"name": f"{label}: requests/s", "value": rps, "unit": "/s", "baseline": base_rps,
         "baseline_name": baseline, "goal": ">=0.6"},
        {"name": f"{label}: p50", "value": p50, "unit": "ms", "baseline": base_p50,
         "baseline_name": baseline},
        {"name": f"{label}: p99", "value": p99, "unit": "ms", "baseline": base_p99,
         "baseline_name": baseline, "goal": "<=1.5" if backend == "sqlite" else ""},
        {"name": f"{crowd_label}: requests/s", "value": crowd_rps, "unit": "/s",
         "baseline": base_rps, "baseline_name": baseline},
        {"name": f"{crowd_label}: p99", "value": crowd_p99, "unit": "ms",
         "baseline": base_p99, "baseline_name": baseline},
        {"name": f"{crowd_label}: 5xx or failed", "value": server_errors, "unit": "",
         "goal": "0"},
        {"name": f"app peak memory ({backend}, {workers} worker(s))", "value": memory,
         "unit": "MB"},
    ]
