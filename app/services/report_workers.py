"""The threads of one app process that make report PDFs: MAPS_REPORT_WORKERS of them (2 by
default), each taking the oldest waiting job from the queue in the database
(app/services/report_jobs.py), whichever process added it. The same number of slots bounds
the one-request PDF (/rounds/<id>/report.pdf), so one process never lays out more PDFs at once
than it has workers, however many people ask."""

import logging
import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.services import report_jobs

log = logging.getLogger(__name__)

# How often an idle worker looks for jobs added by other app processes (a job added by its
# own process wakes it at once), and how long it waits after the database could not be read.
POLL_SECONDS = 2.0
# How often a process deletes expired PDFs and marks stopped the jobs of processes that ended.
TIDY_SECONDS = 60.0


class ReportWorkers:
    def __init__(self, engine: Engine, catalogue, *, count: int, keep_days: int):
        self.engine, self.catalogue, self.keep_days = engine, catalogue, keep_days
        self.count = count
        # Taken by a worker for each PDF it makes, and by a one-request PDF.
        self.slots = threading.BoundedSemaphore(count)
        self._wake = threading.Semaphore(0)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._tidied_at = 0.0
        self._tidy_lock = threading.Lock()

    def start(self) -> None:
        self._stopping.clear()
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"report-worker-{n}") for n in range(self.count)]
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """A job was added: one idle worker takes it now rather than at its next look."""
        self._wake.release()

    def stop(self, timeout: float = 30) -> None:
        """Let each worker finish the PDF it is making, then end. A job still waiting stays
        in the queue for the next process to start; one whose PDF is not finished within the
        timeout (the process then ends) is found stopped later (report_jobs.tidy)."""
        self._stopping.set()
        for _ in self._threads:
            self._wake.release()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self) -> None:
        while not self._stopping.is_set():
            with self.slots:
                job_id = self._next_job()
                if job_id is not None:
                    report_jobs.run(self.engine, job_id, self.catalogue)
                    continue
            self._wake.acquire(timeout=POLL_SECONDS)

    def _next_job(self) -> str | None:
        try:
            with Session(self.engine) as session:
                self._tidy(session)
                return report_jobs.claim_next(session)
        except Exception as exc:  # the database away: look again after a pause, never die
            log.warning("report workers could not read the queue: %s", exc)
            time.sleep(POLL_SECONDS)
            return None

    def _tidy(self, session: Session) -> None:
        with self._tidy_lock:
            if time.monotonic() - self._tidied_at < TIDY_SECONDS:
                return
            self._tidied_at = time.monotonic()
        report_jobs.tidy(session, keep_days=self.keep_days)
