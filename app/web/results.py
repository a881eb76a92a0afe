"""A round's results: the report as a page, as a PDF, and as JSON."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.services import results
from app.web import api
from app.web.access import CurrentUser, SessionDep, require_round
from app.web.render import render

router = APIRouter()


def _scored(request: Request, session, user, round_id: int):
    round_, partnership = require_round(session, user, round_id)
    return results.report_context(session, round_, request.app.state.catalogue), round_


@router.get("/rounds/{round_id}/results")
def results_page(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    context, round_ = _scored(request, session, user, round_id)
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
                       **api.errors(401, 404, 422, 503)})
def result_json(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    """The round's full result: scores, breakdowns, consensus, placements and coverage."""
    round_, _ = require_round(session, user, round_id)
    scores = results.score(session, round_, request.app.state.catalogue)
    return JSONResponse({"round_id": round_.id, "status": round_.status,
                         "invited": scores.invited, **scores.result.to_dict()})
