"""Report PDFs made in the background from a queue kept in the database, one job a row: the
download form adds a job; the workers of every app process (app/services/report_workers.py)
take the oldest waiting one, each job claimed by exactly one of them, and write the PDF to
its row; the progress page and the download read the row, whichever process they reach."""

import logging
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.clock import uk_time
from app.models import AssessmentRound, Partnership, ReportJob, User, utcnow

log = logging.getLogger(__name__)


class Status(StrEnum):
    pending = "pending"  # waiting in the queue
    running = "running"  # a worker is making it
    done = "done"
    failed = "failed"  # making it raised an error
    stopped = "stopped"  # its process ended while making it (a restart, a crash)


# A job still running this long after a worker claimed it lost its process: no PDF takes
# nearly as long (a large board's with the appendix takes seconds; the longest seen, its
# comments all of 4,000 characters, under a minute on a busy machine). It is then reported as
# stopped, so its page stops waiting and asks the person to ask again.
STALE_AFTER = timedelta(minutes=5)


class JobNotFound(Exception):
    """No such job (or it was deleted, as every job is after MAPS_REPORT_KEEP_DAYS)."""


def slug(text: str) -> str:
    """ASCII words joined by hyphens, for a filename: "Ynys Môn" is "ynys-mon"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].rstrip("-")


def report_filename(*, partnership: Partnership, round_: AssessmentRound) -> str:
    """<partnership>-<round>-<date>.pdf, the UK date on which answering ended (closing_date)."""
    title = round_.title
    if title.lower().startswith(partnership.name.lower()):
        title = title[len(partnership.name):].lstrip(" :-–")
    closed = uk_time(round_.closing_date)
    parts = [p for p in (slug(partnership.name), slug(title)) if p]
    return "-".join([*parts, closed.date().isoformat()]) + ".pdf"


def content_disposition(filename: str) -> str:
    """An attachment header with an ASCII name and the RFC 6266 UTF-8 form beside it."""
    safe = re.sub(r'[^A-Za-z0-9._-]', "_", filename)
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{safe}"


# --- The queue -------------------------------------------------------------------------------

def start(session: Session, *, round_: AssessmentRound, partnership: Partnership, user: User,
          appendix: bool) -> ReportJob:
    """A job in the queue for this round's report, for this person. Asking again for the same
    report while it waits or is being made gives the same job (a second click, a reload of
    the form), so one person cannot fill the queue with copies."""
    waiting = session.exec(select(ReportJob).where(
        ReportJob.round_id == round_.id, ReportJob.user_id == user.id,
        ReportJob.appendix == appendix,
        col(ReportJob.status).in_([Status.pending, Status.running]))).first()
    if waiting is not None:
        return waiting
    job = ReportJob(id=secrets.token_urlsafe(16)[:22], round_id=round_.id, user_id=user.id,
                    appendix=appendix,
                    filename=report_filename(partnership=partnership, round_=round_))
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def claim_next(session: Session) -> str | None:
    """Claim the oldest waiting job for this worker and return its id, or None when none
    waits. The claim is one UPDATE ... WHERE status = 'pending': of several workers (of any
    app process) reaching for the same job, exactly one changes the row; the others try the
    next job."""
    while True:
        job_id = session.exec(select(ReportJob.id).where(ReportJob.status == Status.pending)
                              .order_by(ReportJob.created_at, ReportJob.id).limit(1)).first()
        if job_id is None:
            session.rollback()
            return None
        claimed = session.exec(update(ReportJob).where(
            col(ReportJob.id) == job_id, col(ReportJob.status) == Status.pending,
        ).values(status=Status.running, started_at=utcnow()))
        session.commit()
        if claimed.rowcount == 1:
            return job_id


def run(engine: Engine, job_id: str, catalogue) -> None:
    """Make a claimed job's PDF and store it, or mark the job failed; never raises. The
    database is read, then given back while WeasyPrint lays the PDF out (seconds of work that
    need no connection)."""
    from app.reports.pdf import render_pdf
    from app.services.report import report_context

    try:
        with Session(engine) as session:
            job = session.get(ReportJob, job_id)
            if job is None:
                return
            appendix = job.appendix
            context = report_context(session, session.get(AssessmentRound, job.round_id),
                                     catalogue)
        pdf = render_pdf(context, appendix=appendix)
    except Exception:  # the page must say it failed rather than wait for ever
        log.exception("report job %s failed", job_id)
        _finish(engine, job_id, status=Status.failed)
        return
    _finish(engine, job_id, status=Status.done, pdf=pdf)


def _finish(engine: Engine, job_id: str, *, status: Status, pdf: bytes | None = None) -> None:
    try:
        with Session(engine) as session:
            session.exec(update(ReportJob).where(col(ReportJob.id) == job_id).values(
                status=status, pdf=pdf, finished_at=utcnow()))
            session.commit()
    except Exception:  # the database away: the job is found stopped later (tidy)
        log.exception("report job %s could not be marked %s", job_id, status)


def tidy(session: Session, *, keep_days: int, now: datetime | None = None) -> None:
    """Delete the jobs finished more than keep_days ago (a new PDF can always be made, and
    each holds a whole PDF), and mark stopped the jobs whose worker's process ended while
    making them."""
    now = now or utcnow()
    session.exec(delete(ReportJob).where(
        col(ReportJob.finished_at) < now - timedelta(days=keep_days)))
    session.exec(update(ReportJob).where(
        col(ReportJob.status) == Status.running,
        col(ReportJob.started_at) < now - STALE_AFTER,
    ).values(status=Status.stopped, finished_at=now))
    session.commit()


def get(session: Session, *, job_id: str) -> ReportJob:
    """The job, one whose process ended reported as stopped; JobNotFound if there is none.
    Who may see it is who may see its round's results (the route checks)."""
    job = session.get(ReportJob, job_id)
    if job is None:
        raise JobNotFound(job_id)
    if job.status == Status.running and utcnow() - job.started_at > STALE_AFTER:
        job.status = Status.stopped
    return job


def ahead_of(session: Session, job: ReportJob) -> int:
    """How many waiting jobs will be started before this one (0 for the next)."""
    if job.status != Status.pending:
        return 0
    earlier = or_(col(ReportJob.created_at) < job.created_at,
                  and_(col(ReportJob.created_at) == job.created_at,
                       col(ReportJob.id) < job.id))
    return session.exec(select(func.count()).select_from(ReportJob).where(
        ReportJob.status == Status.pending, earlier)).one()
