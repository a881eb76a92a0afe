"""The report PDF as a job in a queue kept in the database: made by one worker of one process,
read by any, under the name <partnership>-<round>-<date>.pdf; waiting in order with its place
shown; claimed by exactly one worker; never left waiting by an error; deleted after the days a
setting keeps it. The progress page works without JavaScript and with it. (Twenty jobs at once
against a running server: tests/test_report_load.py.)"""

import threading
from datetime import timedelta
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from sqlmodel import Session, select

from app.db import make_engine
from app.models import AssessmentRound, Partnership, ReportJob, Role, RoundStatus, User, utcnow
from app.questionnaires.loader import load_catalogue
from app.services import report_jobs
from app.services.report import report_context
from app.services.report_jobs import Status
from tests.conftest import FormClient, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.demo, pytest.mark.xdist_group("report")]


def _closed_rounds(session) -> list[AssessmentRound]:
    return list(session.exec(select(AssessmentRound).where(
        AssessmentRound.status == RoundStatus.closed).order_by(AssessmentRound.id)))


def _queue(session, rounds, user=None, appendix=False) -> list[ReportJob]:
    """A job for each round, in order, asked for by one user."""
    user = user or session.exec(select(User)).first()
    jobs = []
    for round_ in rounds:
        partnership = session.get(Partnership, round_.partnership_id)
        jobs.append(report_jobs.start(session, round_=round_, partnership=partnership,
                                      user=user, appendix=appendix))
    return jobs


def test_a_job_made_in_one_session_is_read_in_another(engine, session):
    catalogue = load_catalogue()
    partnership = session.exec(select(Partnership).where(
        Partnership.name == "Northshire Youth Offending Team")).one()
    rounds = session.exec(select(AssessmentRound).where(
        AssessmentRound.partnership_id == partnership.id)
        .order_by(AssessmentRound.opens_at)).all()
    latest = rounds[-1]
    [job] = _queue(session, [latest])
    assert job.filename == ("northshire-youth-offending-team-round-3-"
                            f"{latest.closed_at.date().isoformat()}.pdf")
    assert report_jobs.claim_next(session) == job.id
    report_jobs.run(engine, job.id, catalogue)  # as a worker does

    with Session(engine) as other:  # another process sees the same row
        done = report_jobs.get(other, job_id=job.id)
        assert done.status == Status.done
        reader = PdfReader(BytesIO(done.pdf))
    assert len(reader.pages) <= 12
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    change = report_context(session, latest, catalogue).change
    assert change is not None and change.previous_title == rounds[-2].title
    way = change.overall.direction
    assert f"overall score {way}" in text or way == "same"
    assert f"What changed since {rounds[-2].title}" in text
    with pytest.raises(report_jobs.JobNotFound):
        report_jobs.get(session, job_id="no-such-job")


def test_jobs_wait_in_order_and_know_their_place(session):
    jobs = _queue(session, _closed_rounds(session)[:4])
    assert [report_jobs.ahead_of(session, job) for job in jobs] == [0, 1, 2, 3]
    assert report_jobs.claim_next(session) == jobs[0].id
    session.expire_all()
    assert report_jobs.ahead_of(session, jobs[0]) == 0  # being made: nothing ahead
    assert [report_jobs.ahead_of(session, job) for job in jobs[1:]] == [0, 1, 2]
    assert [report_jobs.claim_next(session) for _ in range(4)] == \
        [job.id for job in jobs[1:]] + [None]


def test_asking_again_while_it_waits_gives_the_same_job(session):
    round_ = _closed_rounds(session)[0]
    [first] = _queue(session, [round_])
    [again] = _queue(session, [round_])
    [with_appendix] = _queue(session, [round_], appendix=True)
    assert again.id == first.id and with_appendix.id != first.id
    other = make_user(session, role=Role.coordinator)
    assert _queue(session, [round_], user=other)[0].id != first.id
    first.status = Status.done
    session.add(first)
    session.commit()
    assert _queue(session, [round_])[0].id != first.id  # a new PDF once the last is made


@pytest.mark.parametrize("processes", [1, 2])
def test_each_job_is_claimed_by_exactly_one_worker(database_url, session, processes):
    """Eight workers at once, in one process or spread over two (an engine each, as two app
    processes have), each claiming until the queue is empty."""
    rounds = _closed_rounds(session)
    ids = [job.id for job in _queue(session, rounds) + _queue(session, rounds, appendix=True)]
    session.close()
    engines = [make_engine(database_url) for _ in range(processes)]
    claimed: list[str] = []
    start = threading.Barrier(8)

    def worker(engine):
        with Session(engine) as own:
            start.wait(timeout=60)
            while (job_id := report_jobs.claim_next(own)) is not None:
                claimed.append(job_id)

    threads = [threading.Thread(target=worker, args=(engines[n % processes],))
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert sorted(claimed) == sorted(ids)  # each once, none left
    assert {session.get(ReportJob, i).status for i in ids} == {Status.running}


def test_a_job_that_cannot_be_made_fails_with_its_reason_and_never_waits(engine, session):
    round_ = _closed_rounds(session)[0]
    [job] = _queue(session, [round_])
    round_.questionnaire_key, round_.questionnaire_sha256 = "retired-instrument", None
    session.add(round_)
    session.commit()
    assert report_jobs.claim_next(session) == job.id
    report_jobs.run(engine, job.id, load_catalogue())
    session.expire_all()
    assert report_jobs.get(session, job_id=job.id).status == Status.failed
    assert report_jobs.claim_next(session) is None


def test_a_job_whose_process_ended_is_reported_stopped(session):
    jobs = _queue(session, _closed_rounds(session)[:2])
    for job in jobs:
        assert report_jobs.claim_next(session) == job.id
    lost = session.get(ReportJob, jobs[0].id)
    lost.started_at -= report_jobs.STALE_AFTER + timedelta(seconds=1)
    session.add(lost)
    session.commit()
    assert report_jobs.get(session, job_id=lost.id).status == Status.stopped
    session.expire_all()
    report_jobs.tidy(session, keep_days=7)
    session.expire_all()
    assert [session.get(ReportJob, job.id).status for job in jobs] == \
        [Status.stopped, Status.running]


def test_finished_jobs_are_deleted_after_the_days_kept(session):
    jobs = _queue(session, _closed_rounds(session)[:4])
    now = utcnow()
    ages = [timedelta(days=7, seconds=1), timedelta(days=7, seconds=-1), None, None]
    for job, age in zip(jobs[:2], ages, strict=False):
        job.status, job.finished_at = Status.done, now - age
        session.add(job)
    session.commit()
    ids = [job.id for job in jobs]
    report_jobs.tidy(session, keep_days=7, now=now)
    session.expunge_all()
    kept = set(session.exec(select(ReportJob.id)))
    assert [i for i in ids if i in kept] == ids[1:]  # waiting jobs are never deleted


# --- The pages -------------------------------------------------------------------------------

def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture
def coordinator(app, session):
    """A client signed in as the coordinator of the demo's partnerships, and the round of the
    first closed one."""
    user = session.exec(select(User).where(User.email == "coordinator@northshire.example")).one()
    with FormClient(app, follow_redirects=False) as client:
        sign_in(client, user, password="demo-maps-2026")
        yield client


def _coordinated_rounds(session) -> list[AssessmentRound]:
    from app.models import PartnershipCoordinator
    user = session.exec(select(User).where(User.email == "coordinator@northshire.example")).one()
    mine = {c.partnership_id for c in session.exec(select(PartnershipCoordinator).where(
        PartnershipCoordinator.user_id == user.id))}
    return [r for r in _closed_rounds(session) if r.partnership_id in mine]


def test_the_progress_page_shows_the_queue_without_refreshing_itself(app, session,
                                                                     coordinator):
    rounds = _coordinated_rounds(session)
    app.state.report_workers.stop()  # nothing is made while the page is read
    ahead_jobs = _queue(session, [rounds[1], rounds[2]])
    response = coordinator.post(f"/rounds/{rounds[0].id}/report", data={"appendix": "true"})
    assert response.status_code == 303
    url = response.headers["location"]
    html = page(coordinator.get(url))
    assert not html.select('meta[http-equiv="refresh" i]')
    assert html.select_one("h1").get_text(strip=True) == "Your report is waiting"
    region = html.select_one("#report-progress")
    assert region["role"] == "status" and region["aria-live"] == "polite"
    assert "2 reports are waiting ahead of yours in the queue" in region.get_text(" ")
    assert "with the appendix" in region.get_text(" ")
    check = html.select_one("form.maps-if-no-js")
    assert check["method"] == "get" and check["action"] == url
    assert check.select_one("button").get_text(strip=True) == "Check again"
    poll = region.select_one("[hx-trigger]")
    assert poll["hx-trigger"] == "every 2s" and poll["hx-target"] == "#report-progress"

    htmx = {"HX-Request": "true"}
    unchanged = coordinator.get(poll["hx-get"], headers=htmx)
    assert unchanged.status_code == 204  # nothing new to read out
    report_jobs.claim_next(session)  # the first job ahead is started
    moved = coordinator.get(poll["hx-get"], headers=htmx)
    assert moved.status_code == 200
    fragment = page(moved)
    assert "1 report is waiting ahead of yours" in fragment.get_text(" ")
    assert not fragment.select("html, main")  # the block alone, for the live region
    assert fragment.select_one("h1#report-heading[hx-swap-oob]")
    assert fragment.select_one("[hx-get]")["hx-get"] != poll["hx-get"]
    assert ahead_jobs


def test_the_progress_page_for_each_state(app, session, coordinator):
    rounds = _coordinated_rounds(session)
    app.state.report_workers.stop()
    jobs = _queue(session, rounds[:4],
                  user=session.exec(select(User).where(
                      User.email == "coordinator@northshire.example")).one())
    states = {Status.running: "Making your report", Status.done: "Your report is ready",
              Status.failed: "The report could not be made",
              Status.stopped: "The report could not be made"}
    for job, status in zip(jobs, states, strict=True):
        job.status, job.started_at, job.pdf = status, utcnow(), b"%PDF-1.7 made"
        job.finished_at = None if status == Status.running else utcnow()
        session.add(job)
    session.commit()
    for job, (status, heading) in zip(jobs, states.items(), strict=True):
        html = page(coordinator.get(f"/reports/{job.id}"))
        assert html.select_one("h1").get_text(strip=True) == heading, status
        words = " ".join(html.select_one("#report-progress").get_text(" ").split())
        waiting = status == Status.running
        assert bool(html.select("form.maps-if-no-js")) == waiting, status
        assert bool(html.select("#report-progress [hx-trigger]")) == waiting, status
        if status == Status.done:
            link = html.select_one("#report-file")
            assert link.get_text(strip=True) == f"Download {job.filename}"
            assert not link.has_attr("data-download-now")  # no script starts it
            assert "MAPS keeps it for 7 days." in words
            assert coordinator.get(link["href"]).content == b"%PDF-1.7 made"
            ready = page(coordinator.get(f"/reports/{job.id}?seen=running-0",
                                         headers={"HX-Request": "true"}))
            assert ready.select_one("#report-file").has_attr("data-download-now")
        if status == Status.stopped:
            assert "MAPS stopped while it was making the PDF" in words
    report_jobs.tidy(session, keep_days=7, now=utcnow() + timedelta(days=8))
    gone = coordinator.get(f"/reports/{jobs[1].id}")
    assert gone.status_code == 404
    assert "MAPS keeps a report for 7 days after making it" in page(gone).get_text(" ")


def test_the_one_request_pdf_waits_for_no_slot(app, session, coordinator):
    """With every report slot of the process taken, /report.pdf answers 503 at once."""
    round_ = _coordinated_rounds(session)[0]
    slots = app.state.report_workers.slots
    app.state.report_workers.stop()
    taken = [slots.acquire(blocking=False) for _ in range(app.state.settings.report_workers)]
    try:
        assert all(taken)
        response = coordinator.get(f"/rounds/{round_.id}/report.pdf")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "60"
        assert "making as many reports as it can at once" in response.text
    finally:
        for _ in taken:
            slots.release()


@pytest.mark.parametrize("name, title, slug", [
    ("Ynys Môn Partneriaeth", "Ynys Môn Partneriaeth: Gwanwyn 2026",
     "ynys-mon-partneriaeth-gwanwyn-2026"),
    ('A/B "Quoted" Board', "Round 1", "a-b-quoted-board-round-1"),
])
def test_filenames_are_ascii_and_the_header_is_safe(name, title, slug):
    from datetime import UTC, datetime

    round_ = AssessmentRound(partnership_id=1, title=title, questionnaire_key="k",
                             questionnaire_version=1, opens_at=datetime(2026, 1, 1, tzinfo=UTC),
                             closes_at=datetime(2026, 2, 1, tzinfo=UTC),
                             closed_at=datetime(2026, 1, 20, tzinfo=UTC))
    filename = report_jobs.report_filename(partnership=Partnership(name=name, organisation_id=1),
                                           round_=round_)
    assert filename == f"{slug}-2026-01-20.pdf"
    header = report_jobs.content_disposition(filename)
    assert header.isascii() and header.startswith(f'attachment; filename="{filename}"')
