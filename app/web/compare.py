"""An organisation admin's view of all their partnerships, and its exports."""

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from app.models import Role
from app.services import comparison
from app.services.comparison import ITEM_COLUMNS, TABLE_COLUMNS
from app.web import api
from app.web.access import CurrentUser, SessionDep, require_role
from app.web.render import render

router = APIRouter()

SORTABLE = [("name", "Partnership"), ("round", "Latest round"),
            ("response_rate", "Response rate"), ("townsley", "Townsley"),
            ("gaster", "Gaster rung"), ("overall", "Overall"),
            *[(d, d.replace("_", " ").capitalize()) for d in comparison.DIMENSIONS],
            *[(a, a.replace("_", " ").capitalize()) for a in comparison.AREAS]]


def _comparison(session, user):
    require_role(user, Role.org_admin)
    return comparison.compare(session, user.organisation_id)


@router.get("/compare")
def compare_page(request: Request, user: CurrentUser, session: SessionDep,
                 sort: str = "name", dir: str = "asc", q: str = "", townsley: str = "",
                 gaster: str = ""):
    data = _comparison(session, user)
    rows = comparison.sort_and_filter(data.rows, sort=sort, descending=dir == "desc", text=q,
                                      townsley=townsley, gaster=gaster)
    means = data.factor_means()
    return render(request, "compare/compare.html", {
        "data": data, "rows": rows, "sortable": SORTABLE,
        "query": {"sort": sort, "dir": dir, "q": q, "townsley": townsley, "gaster": gaster},
        "strongest": means[:3], "weakest": list(reversed(means[-3:])) if means else [],
        "dimensions": comparison.DIMENSIONS, "areas": comparison.AREAS,
    }, block="table")


def _download(body, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "Cache-Control": "no-store"}
    if isinstance(body, bytes):
        return Response(body, media_type=media_type, headers=headers)
    return StreamingResponse(body, media_type=media_type, headers=headers)


@router.get("/compare/partnerships.csv")
def table_csv(user: CurrentUser, session: SessionDep):
    data = _comparison(session, user)
    return _download(comparison.to_csv(TABLE_COLUMNS, comparison.table_rows(data.rows)),
                     "text/csv; charset=utf-8", "partnerships.csv")


@router.get("/compare/answers.csv")
def items_csv(user: CurrentUser, session: SessionDep):
    """Every counted answer of the organisation's closed rounds, anonymised: each download has
    its own pseudonyms, and no row carries a combination of agency and level held by fewer
    people than its round's threshold."""
    require_role(user, Role.org_admin)
    rows = comparison.item_rows(session, user.organisation_id)
    return _download(comparison.to_csv(ITEM_COLUMNS, rows), "text/csv; charset=utf-8",
                     "answers-anonymised.csv")


@router.get("/compare/partnerships.xlsx")
def table_xlsx(user: CurrentUser, session: SessionDep):
    data = _comparison(session, user)
    body = comparison.to_xlsx({
        "Partnerships": (TABLE_COLUMNS, comparison.table_rows(data.rows)),
        "Answers (anonymised)": (ITEM_COLUMNS, comparison.item_rows(
            session, user.organisation_id)),
    })
    return _download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "partnerships.xlsx")


@router.get("/api/compare", response_model=None,
            responses={200: {"model": api.Comparison, "description": "The comparison table"},
                       **api.errors(401, 403, 503)})
def compare_json(user: CurrentUser, session: SessionDep) -> dict:
    """The comparison table as JSON: one object per partnership, latest closed round."""
    data = _comparison(session, user)
    return {"columns": TABLE_COLUMNS,
            "partnerships": [dict(zip(TABLE_COLUMNS, row, strict=True))
                             for row in comparison.table_rows(data.rows)]}
