"""The report PDF as a job kept in the database: made by one process, read by any, under the
name <partnership>-<round>-<date>.pdf; and the demo's round with a previous round, read from
its PDF bytes, says which way it moved."""

from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from app.models import AssessmentRound, Partnership, ReportJob, User
from app.questionnaires.loader import load_catalogue
from app.services import report_jobs
from app.services.report import report_context

pytestmark = [pytest.mark.demo, pytest.mark.xdist_group("report")]


def test_a_job_made_in_one_session_is_read_in_another(engine, session):
    catalogue = load_catalogue()
    partnership = session.exec(select(Partnership).where(
        Partnership.name == "Northshire Youth Offending Team")).one()
    rounds = session.exec(select(AssessmentRound).where(
        AssessmentRound.partnership_id == partnership.id)
        .order_by(AssessmentRound.opens_at)).all()
    latest = rounds[-1]
    user = session.exec(select(User)).first()
    job = report_jobs.start(session, round_=latest, partnership=partnership, user=user,
                            appendix=False)
    assert job.filename == ("northshire-youth-offending-team-round-3-"
                            f"{latest.closed_at.date().isoformat()}.pdf")
    report_jobs.run(engine, job.id, catalogue)  # as the thread does

    with Session(engine) as other:  # another process sees the same row
        done = report_jobs.get(other, job_id=job.id)
        assert done.status == "done"
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


def test_a_job_whose_process_died_is_reported_failed(session):
    partnership = session.exec(select(Partnership)).first()
    round_ = session.exec(select(AssessmentRound).where(
        AssessmentRound.partnership_id == partnership.id)).first()
    user = session.exec(select(User)).first()
    job = report_jobs.start(session, round_=round_, partnership=partnership, user=user,
                            appendix=False)
    job.created_at -= report_jobs.STALE_AFTER + timedelta(seconds=1)
    session.add(job)
    session.commit()
    assert report_jobs.get(session, job_id=job.id).status == "failed"
    assert session.get(ReportJob, job.id) is not None


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
