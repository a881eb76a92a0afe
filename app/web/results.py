"""A round's results: the report as a page, as a PDF, and as JSON, once the round has closed.
While it is open the page shows only the response rate by agency, and the PDF and JSON
answer 409: results that change as people submit would give each person's answers away."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.models import AssessmentRound, RoundStatus
from app.services import partnerships as partnership_service
from app.services import report, report_jobs, results
from app.services import rounds as rounds_service
from app.web import api
from app.web.access import CurrentUser, SessionDep, require_round
from app.web.render import render
from app.web.rounds import rates_of

router = APIRouter()


@router.get("/rounds/{round_id}/results")
def results_page(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id)
    if round_.status != RoundStatus.closed:
        agencies = partnership_service.agencies_of(session, partnership)
        rates, total = rates_of(request, session, round_, agencies)
        return render(request, "results/not_yet.html", {
            "round": round_, "partnership": partnership, "rates": rates, "total": total,
            "threshold": rounds_service.threshold_of(
                round_, request.app.state.settings.min_anonymity_threshold)})
    context = report.report_context(session, round_, request.app.state.catalogue)
    return render(request, "results/results.html", {
        "report": context, "round": round_, "mode": "web", "charts": True,
    })


def _pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": report_jobs.content_disposition(filename),
        "Cache-Control": "no-store"})


@router.get("/rounds/{round_id}/report.pdf")
def report_pdf(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
               appendix: bool = False):
    """The PDF in one request (for scripts); the page's download goes through a job."""
    from app.reports.pdf import render_pdf

    round_, partnership = require_round(session, user, round_id)
    context = report.report_context(session, round_, request.app.state.catalogue)
    # A sync route runs in the threadpool, so laying out the PDF does not block other requests.
    return _pdf_response(render_pdf(context, appendix=appendix),
                         report_jobs.report_filename(partnership=partnership, round_=round_))


@router.post("/rounds/{round_id}/report")
def start_report(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                 appendix: Annotated[bool, Form()] = False):
    """Start making the PDF and go to its progress page (a plain form: no JavaScript)."""
    round_, partnership = require_round(session, user, round_id)
    if round_.status != RoundStatus.closed:
        raise results.ResultsNotReady(round_)
    job = report_jobs.start(session, round_=round_, partnership=partnership, user=user,
                            appendix=appendix)
    report_jobs.run_in_thread(request.app.state.engine, job.id, request.app.state.catalogue)
    return RedirectResponse(f"/reports/{job.id}", status_code=303)


def _job(session, user, job_id: str):
    """The job, for someone who may see its round's results; 404 for anyone else."""
    try:
        job = report_jobs.get(session, job_id=job_id)
    except report_jobs.JobNotFound:
        raise HTTPException(404, "There is no such report download.") from None
    require_round(session, user, job.round_id)
    return job


@router.get("/reports/{job_id}")
def report_progress(job_id: str, request: Request, user: CurrentUser, session: SessionDep):
    """Where the PDF stands. While it is being made the page refreshes itself (a meta
    refresh, so no JavaScript is needed); when it is ready it starts the download."""
    job = _job(session, user, job_id)
    round_ = session.get(AssessmentRound, job.round_id)
    response = render(request, "results/report_job.html", {
        "job": job, "round": round_, "waited": report_jobs.seconds_waited(job)})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/reports/{job_id}/file")
def report_file(job_id: str, user: CurrentUser, session: SessionDep):
    job = _job(session, user, job_id)
    if job.status != "done" or job.pdf is None:
        return RedirectResponse(f"/reports/{job.id}", status_code=303)
    return _pdf_response(job.pdf, job.filename)


@router.get("/api/rounds/{round_id}/result", response_model=None,
            responses={200: {"model": api.RoundResult, "description": "The round's result"},
                       **api.errors(401, 404, 409, 422, 503)})
def result_json(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    """A closed round's result: scores, breakdowns, consensus, placements, coverage and
    comments, with every figure disclosure control withholds taken out. 409 while open."""
    round_, _ = require_round(session, user, round_id)
    try:
        scores = results.score(session, round_, request.app.state.catalogue)
    except results.ResultsNotReady as exc:
        return JSONResponse({"detail": exc.message}, status_code=409)
    collaboration = scores.collaboration
    return JSONResponse({"round_id": round_.id, "status": round_.status,
                         "invited": scores.invited, **scores.result.to_dict(),
                         "collaboration": collaboration and collaboration.to_dict()})
