"""Twenty report PDFs asked for at once, against the app served by uvicorn on loopback (issue
22, point 6): every other page keeps answering (no 5xx), the jobs wait in order with their
place shown, and every job finishes or fails with a message. On PostgreSQL two app processes
share the queue. Prints what it measured (run with -s to see it)."""

import statistics
import threading
import time
from datetime import timedelta

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from app.models import AssessmentRound, ReportJob, RoundStatus, utcnow
from app.services.accounts import DEMO_PASSWORD
from app.services.report_jobs import Status
from tests.conftest import POSTGRES_URL
from tests.live_app import CSRF_META, AppProcess

pytestmark = [pytest.mark.demo, pytest.mark.xdist_group("report")]

JOBS = 20
FINISHED = {"Your report is ready", "The report could not be made"}


def _signed_in(base_url: str) -> tuple[httpx.Client, str]:
    """The demo's organisation administrator (who sees every partnership), and a CSRF token."""
    client = httpx.Client(base_url=base_url, timeout=120)
    form = client.get("/sign-in")
    response = client.post("/sign-in", data={
        "csrftoken": CSRF_META.search(form.text).group(1),
        "email": "admin@northshire.example", "password": DEMO_PASSWORD})
    assert response.status_code == 303, response.text[:300]
    return client, CSRF_META.search(client.get("/dashboard").text).group(1)


class PageLoad:
    """Other people using MAPS meanwhile: the dashboard, a results page, a partnership page
    and the health check, one after another in each of two threads, a short pause after each
    round of them (people read pages), every answer kept."""

    def __init__(self, base_url: str, pages: list[str]):
        self.pages = pages
        self.answers: list[tuple[str, int, float, bool]] = []  # page, status, seconds, queued
        self.queued = threading.Event()  # set while any job waits
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._browse, args=(base_url, n), daemon=True)
                        for n in range(2)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=150)

    def _browse(self, base_url: str, n: int) -> None:
        client, _ = _signed_in(base_url)
        try:
            while not self.stopping.is_set():
                for path in self.pages[n:] + self.pages[:n]:
                    queued = self.queued.is_set()
                    started = time.monotonic()
                    status = client.get(path).status_code
                    self.answers.append((path, status, time.monotonic() - started, queued))
                self.stopping.wait(0.2)
        finally:
            client.close()


def _ask(client: httpx.Client, token: str, round_id: int, appendix: bool, urls: list,
         start: threading.Barrier) -> None:
    start.wait(timeout=60)
    response = client.post(f"/rounds/{round_id}/report",
                           data={"csrftoken": token, **({"appendix": "true"} if appendix else {})})
    urls.append((response.status_code, response.headers.get("location")))


def _progress(client: httpx.Client, url: str) -> tuple[str, str]:
    html = BeautifulSoup(client.get(url).text, "html.parser")
    return (html.select_one("h1").get_text(strip=True),
            " ".join(html.select_one("#report-progress").get_text(" ").split()))


def _dashboard_times(base_url: str, count: int) -> list[float]:
    client, _ = _signed_in(base_url)
    times = []
    for _ in range(count):
        started = time.monotonic()
        assert client.get("/dashboard").status_code == 200
        times.append(time.monotonic() - started)
    client.close()
    return times


def _waiting(engine) -> bool:
    with Session(engine) as session:
        return session.exec(select(ReportJob.id).where(
            ReportJob.status == Status.pending)).first() is not None


def test_twenty_reports_at_once_keep_every_page_answering(database_url, engine, session,
                                                          tmp_path):
    rounds = session.exec(select(AssessmentRound).where(
        AssessmentRound.status == RoundStatus.closed).order_by(AssessmentRound.id)).all()
    asked = [(r.id, n >= len(rounds)) for n, r in enumerate((rounds * 2)[:JOBS])]
    session.close()
    processes = [AppProcess(database_url, tmp_path / "data", MAPS_REPORT_WORKERS="2")
                 for _ in range(2 if POSTGRES_URL else 1)]
    for app in processes:
        app.spawn()
    try:
        for app in processes:
            app.wait_ready(timeout=60)
        base = processes[0].url
        quiet = _dashboard_times(base, 20)
        pages = ["/dashboard", f"/rounds/{rounds[0].id}/results",
                 f"/partnerships/{rounds[0].partnership_id}", "/healthz"]
        with PageLoad(base, pages) as load:
            clients = [_signed_in(app.url) for app in processes]
            load.queued.set()
            began = time.monotonic()
            urls: list = []
            start = threading.Barrier(JOBS)
            askers = [threading.Thread(target=_ask, args=(
                *clients[n % len(clients)], round_id, appendix, urls, start))
                for n, (round_id, appendix) in enumerate(asked)]
            for thread in askers:
                thread.start()
            for thread in askers:
                thread.join(timeout=120)
            assert sorted(status for status, _ in urls) == [303] * JOBS, urls
            viewer = clients[0][0]
            places = [_progress(viewer, url)[1] for _, url in urls]
            waiting = [text for text in places if "waiting ahead of yours" in text]
            assert waiting, places  # most wait, each told how many are ahead of it
            deadline = time.monotonic() + 600
            states = {}
            while len(states) < JOBS:
                assert time.monotonic() < deadline, f"{JOBS - len(states)} never finished"
                for _, url in urls:
                    if url not in states and (progress := _progress(viewer, url))[0] in FINISHED:
                        states[url] = progress
                if not _waiting(engine):
                    load.queued.clear()
                time.sleep(1)  # look again, as the page does: the workers are making PDFs
            took = time.monotonic() - began
            files = [viewer.get(f"{url}/file") for url, (heading, _) in states.items()
                     if heading == "Your report is ready"]
        for client, _ in clients:
            client.close()
    finally:
        for app in processes:
            app.stop()

    failed = [(url, words) for url, (heading, words) in states.items()
              if heading != "Your report is ready"]
    assert all("nothing you saved is lost" in words for _, words in failed), failed
    assert all(f.status_code == 200 and f.content.startswith(b"%PDF") for f in files)
    dashboard = [seconds for path, _, seconds, queued in load.answers
                 if path == "/dashboard" and queued]
    assert dashboard, "no page was asked for while the jobs waited"
    errors = sorted({(path, status) for path, status, _, _ in load.answers if status >= 500})
    assert errors == [], errors
    assert {status for _, status, _, _ in load.answers} <= {200}
    session.expire_all()
    assert set(session.exec(select(ReportJob.status))) <= {Status.done, Status.failed}
    print(f"\n{JOBS} report jobs at once in {took:.0f} s, {len(processes)} app process(es) "
          f"of 2 workers: {len(files)} made, {len(failed)} failed; {len(load.answers)} page "
          f"requests meanwhile, {len(errors)} distinct 5xx; the dashboard with jobs queued: "
          f"{len(dashboard)} requests, median {statistics.median(dashboard) * 1000:.0f} ms, "
          f"slowest {max(dashboard) * 1000:.0f} ms (with none: median "
          f"{statistics.median(quiet) * 1000:.0f} ms, slowest {max(quiet) * 1000:.0f} ms); "
          f"first places shown: {waiting[:2]}")


def test_waiting_jobs_outlive_a_killed_process(database_url, engine, session, tmp_path):
    """SIGKILL while the queue is full: the jobs that waited are made by the process started
    after it; the one being made when it died is reported stopped once STALE_AFTER has
    passed, and its page asks the person to ask again."""
    from app.services import report_jobs

    rounds = session.exec(select(AssessmentRound).where(
        AssessmentRound.status == RoundStatus.closed).order_by(AssessmentRound.id)).all()[:4]
    session.close()
    first = AppProcess(database_url, tmp_path / "data", MAPS_REPORT_WORKERS="1")
    with first:
        client, token = _signed_in(first.url)
        urls = [client.post(f"/rounds/{r.id}/report", data={"csrftoken": token})
                .headers["location"] for r in rounds]
        deadline = time.monotonic() + 120
        while _progress(client, urls[0])[0] != "Making your report":
            assert time.monotonic() < deadline, "the first job never started"
            time.sleep(0.1)
        first.kill()
        client.close()
    with Session(engine) as check:
        states = [check.get(ReportJob, url.rsplit("/", 1)[1]).status for url in urls]
    assert states[0] == Status.running and Status.pending in states[1:]

    second = AppProcess(database_url, tmp_path / "data", MAPS_REPORT_WORKERS="2")
    with second:
        client, _ = _signed_in(second.url)
        deadline = time.monotonic() + 600
        while {_progress(client, url)[0] for url in urls[1:]} != {"Your report is ready"}:
            assert time.monotonic() < deadline, "the waiting jobs were not made"
            time.sleep(1)
        assert _progress(client, urls[0])[0] == "Making your report"  # not yet known lost
        with Session(engine) as later:
            report_jobs.tidy(later, keep_days=7,
                             now=utcnow() + report_jobs.STALE_AFTER + timedelta(seconds=1))
        heading, words = _progress(client, urls[0])
        client.close()
    assert heading == "The report could not be made"
    assert "MAPS stopped while it was making the PDF" in words
