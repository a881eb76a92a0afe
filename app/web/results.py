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
from app.web.errors import error_response
from app.web.render import is_htmx, render
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
    """The PDF in one request (for scripts), when one of this process's report slots is free;
    else a 503 at once, rather than a request that holds a database turn while it waits. The
    page's download goes through the queue, which waits its turn instead."""
    from app.reports.pdf import render_pdf

    round_, partnership = require_round(session, user, round_id)
    slots = request.app.state.report_workers.slots
    if not slots.acquire(blocking=False):
        return error_response(
            request, 503, heading="Sorry, MAPS is busy making reports",
            message="MAPS is making as many reports as it can at once just now.",
            advice="Try again in a minute, or download the report from the round's results "
                   "page, where it waits its turn.", headers={"Retry-After": "60"})
    try:
        context = report.report_context(session, round_, request.app.state.catalogue)
        # A sync route runs in the threadpool: laying out the PDF blocks no other request.
        pdf = render_pdf(context, appendix=appendix)
    finally:
        slots.release()
    return _pdf_response(pdf, report_jobs.report_filename(partnership=partnership,
                                                          round_=round_))


@router.post("/rounds/{round_id}/report")
def start_report(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                 appendix: Annotated[bool, Form()] = False):
    """Put the PDF in the queue and go to its progress page (a plain form: no JavaScript)."""
    round_, partnership = require_round(session, user, round_id)
    if round_.status != RoundStatus.closed:
        raise results.ResultsNotReady(round_)
    job = report_jobs.start(session, round_=round_, partnership=partnership, user=user,
                            appendix=appendix)
    request.app.state.report_workers.wake()
    return RedirectResponse(f"/reports/{job.id}", status_code=303)


HEADINGS = {report_jobs.Status.pending: "Your report is waiting",
            report_jobs.Status.running: "Making your report",
            report_jobs.Status.done: "Your report is ready"}


def _job(request: Request, session, user, job_id: str):
    """The job, for someone who may see its round's results; 404 for anyone else."""
    try:
        job = report_jobs.get(session, job_id=job_id)
    except report_jobs.JobNotFound:
        days = request.app.state.settings.report_keep_days
        raise HTTPException(404, f"There is no such report download. MAPS keeps a report for "
                                 f"{days} days after making it: ask for a new one from the "
                                 "round's results.") from None
    require_round(session, user, job.round_id)
    return job


@router.get("/reports/{job_id}")
def report_progress(job_id: str, request: Request, user: CurrentUser, session: SessionDep,
                    seen: str = ""):
    """Where the PDF stands: its place in the queue, being made, ready or failed. htmx asks
    for the block again every 2 seconds, naming the state it shows (`seen`): while that is
    still the state, 204, so the live region reads out only what changed."""
    job = _job(request, session, user, job_id)
    ahead = report_jobs.ahead_of(session, job)
    state = f"{job.status}-{ahead}"
    if is_htmx(request) and seen == state:
        return Response(status_code=204)
    return render(request, "results/report_job.html", {
        "job": job, "round": session.get(AssessmentRound, job.round_id), "ahead": ahead,
        "heading": HEADINGS.get(job.status, "The report could not be made"),
        "state": state, "fragment": is_htmx(request),
        "keep_days": request.app.state.settings.report_keep_days}, block="progress")


@router.get("/reports/{job_id}/file")
def report_file(job_id: str, request: Request, user: CurrentUser, session: SessionDep):
    job = _job(request, session, user, job_id)
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
