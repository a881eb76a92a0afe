"""Report PDFs made in the background, one job a row in the database, so a progress page
and the download work whichever app process they reach: the process that started a job
makes the PDF in a thread and writes it to the job's row; every process reads the row."""

import logging
import re
import secrets
import threading
import unicodedata
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import uk_time
from app.models import AssessmentRound, Partnership, ReportJob, User, utcnow

log = logging.getLogger(__name__)

# A job still pending this long after it started lost its process (a restart, a crash):
# it is reported as failed, so its page stops waiting and offers to start again.
STALE_AFTER = timedelta(minutes=5)


class JobNotFound(Exception):
    """No such job."""


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


def start(session: Session, *, round_: AssessmentRound, partnership: Partnership, user: User,
          appendix: bool) -> ReportJob:
    """A new pending job for this round's report; the caller runs it (run_in_thread)."""
    job = ReportJob(id=secrets.token_urlsafe(16)[:22], round_id=round_.id, user_id=user.id,
                    appendix=appendix,
                    filename=report_filename(partnership=partnership, round_=round_))
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def run(engine: Engine, job_id: str, catalogue) -> None:
    """Make the job's PDF and store it, or mark the job failed; never raises."""
    from app.reports.pdf import render_pdf
    from app.services.report import report_context

    with Session(engine) as session:
        job = session.get(ReportJob, job_id)
        if job is None:
            return
        try:
            round_ = session.get(AssessmentRound, job.round_id)
            job.pdf = render_pdf(report_context(session, round_, catalogue),
                                 appendix=job.appendix)
            job.status = "done"
        except Exception:  # the page must say it failed rather than wait for ever
            log.exception("report job %s failed", job_id)
            session.rollback()
            job = session.get(ReportJob, job_id)
            job.status = "failed"
        job.finished_at = utcnow()
        session.add(job)
        session.commit()


def run_in_thread(engine: Engine, job_id: str, catalogue) -> None:
    threading.Thread(target=run, args=(engine, job_id, catalogue), daemon=True,
                     name=f"report-{job_id}").start()


def get(session: Session, *, job_id: str) -> ReportJob:
    """The job, a stale pending one reported as failed; JobNotFound if there is none. Who
    may see it is who may see its round's results (the route checks)."""
    job = session.get(ReportJob, job_id)
    if job is None:
        raise JobNotFound(job_id)
    if job.status == "pending" and utcnow() - job.created_at > STALE_AFTER:
        job.status = "failed"
    return job


def seconds_waited(job: ReportJob) -> int:
    return max(0, int((utcnow() - job.created_at).total_seconds()))
