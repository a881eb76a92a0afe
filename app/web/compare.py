"""An organisation admin's view of all their partnerships, and its exports."""

from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.models import Role
from app.services import comparison
from app.services.comparison import ITEM_COLUMNS, TABLE_COLUMNS
from app.services.comparison_page import PageQuery, comparison_page
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
                 gaster: str = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    require_role(user, Role.org_admin)
    query = PageQuery(sort=sort, descending=dir == "desc", text=q, townsley=townsley,
                      gaster=gaster, page=page)
    result = comparison_page(session, organisation_id=user.organisation_id, query=query)
    means = result.overview.factor_means()
    shown = {"sort": sort, "dir": dir, "q": q, "townsley": townsley, "gaster": gaster}
    return render(request, "compare/compare.html", {
        "result": result, "data": result.overview, "rows": result.rows, "sortable": SORTABLE,
        "query": shown, "compare_url": partial(_url, shown),
        "pagination": _pagination(result, shown),
        "strongest": means[:3], "weakest": list(reversed(means[-3:])) if means else [],
        "dimensions": comparison.DIMENSIONS, "areas": comparison.AREAS,
    }, block="results")


def _url(shown: dict[str, str], **changes) -> str:
    """This page with other sorting or another page; a new sort starts at the first page."""
    params = {k: v for k, v in {**shown, **changes}.items() if v not in ("", None, 1)}
    return "/compare" + (f"?{urlencode(params)}" if params else "")


def _pagination(result, shown: dict[str, str]) -> dict | None:
    """govukPagination's parameters, or None when everything fits on one page."""
    if result.pages == 1:
        return None
    items = [{"ellipsis": True} if n is None else
             {"number": n, "href": _url(shown, page=n), "current": n == result.page}
             for n in result.page_numbers()]
    return {"items": items, "landmarkLabel": "Pages of partnerships",
            "previous": {"href": _url(shown, page=result.page - 1)} if result.page > 1 else None,
            "next": ({"href": _url(shown, page=result.page + 1)}
                     if result.page < result.pages else None)}


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
