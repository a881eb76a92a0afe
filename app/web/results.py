"""A round's results: the report as a page, as a PDF, and as JSON, once the round has closed.
While it is open the page shows only the response rate by agency, and the PDF and JSON
answer 409: results that change as people submit would give each person's answers away."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.models import RoundStatus
from app.services import partnerships as partnership_service
from app.services import report, results
from app.services import rounds as rounds_service
from app.web import api
from app.web.access import CurrentUser, SessionDep, require_round
from app.web.render import render
from app.web.rounds import rates_of

router = APIRouter()


def _scored(request: Request, session, user, round_id: int):
    round_, partnership = require_round(session, user, round_id)
    return report.report_context(session, round_, request.app.state.catalogue), round_


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


@router.get("/rounds/{round_id}/report.pdf")
def report_pdf(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    from app.reports.pdf import render_pdf

    context, round_ = _scored(request, session, user, round_id)
    # A sync route runs in the threadpool, so laying out the PDF does not block other requests.
    pdf = render_pdf(context)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="maps-round-{round_.id}.pdf"',
        "Cache-Control": "no-store"})


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
