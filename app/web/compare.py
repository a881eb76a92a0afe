"""An organisation admin's view of all their partnerships on one instrument, and its exports."""

from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.models import Role
from app.services import comparison, comparison_exports, meeting_records
from app.services.comparison_page import PageQuery, comparison_page, latest_rounds
from app.web import api
from app.web.access import CurrentUser, SessionDep, require_role
from app.web.render import render

router = APIRouter()

InstrumentRef = Annotated[str, Query(max_length=120, description=(
    "The instrument to compare on, as key@version; the default is the core instrument"))]


def _instrument(request: Request, session, user, ref: str) -> tuple[list, comparison.Instrument]:
    """The instruments there are to compare on, and the one asked for (or the default)."""
    require_role(user, Role.org_admin)
    found = comparison.instruments(session, organisation_id=user.organisation_id,
                                   catalogue=request.app.state.catalogue)
    chosen = comparison.choose(found, ref)
    if chosen is None:
        names = "; ".join(f"{i.name}: {i.ref}" for i in found)
        # A page, or JSON under /api/ (app/web/errors.py).
        raise HTTPException(404, f"None of your partnerships has a closed round on ‘{ref}’. "
                                 f"Compare on one of these instead: {names}.")
    return found, chosen


def _columns(instrument: comparison.Instrument, data: comparison.Comparison) -> list[dict]:
    """The table's sortable columns: key (the `sort` parameter), heading, and the tag it
    shows the score of (None for the fixed columns)."""
    placements = {"townsley": "Townsley level", "gaster": "Gaster rung"}
    fixed = [("name", "Partnership", None), ("round", "Latest round", None),
             ("response_rate", "Response rate", None),
             *[(model, placements[model], None) for model in data.placements],
             ("overall", "Overall", None)]
    scored = [(value, instrument.label(tag, value), tag) for tag in comparison.SCORE_TAGS
              for value in data.columns(tag)]
    return [{"key": key, "title": title, "tag": tag} for key, title, tag in fixed + scored]


@router.get("/compare")
def compare_page(request: Request, user: CurrentUser, session: SessionDep,
                 instrument: InstrumentRef = "", sort: str = "name", dir: str = "asc",
                 q: str = "", townsley: str = "", gaster: str = "",
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    found, chosen = _instrument(request, session, user, instrument)
    query = PageQuery(sort=sort, descending=dir == "desc", text=q, townsley=townsley,
                      gaster=gaster, page=page)
    result = comparison_page(session, organisation_id=user.organisation_id,
                             instrument=chosen, query=query)
    data = result.overview
    means = data.factor_means()
    shown = {"instrument": instrument, "sort": sort, "dir": dir, "q": q,
             "townsley": townsley, "gaster": gaster}
    columns = _columns(chosen, data)
    return render(request, "compare/compare.html", {
        "result": result, "data": data, "rows": result.rows, "columns": columns,
        "instrument": chosen, "instruments": found, "query": shown,
        # (tag, value) of each score column, for the rows' cells.
        "scored": [(c["tag"], c["key"]) for c in columns if c["tag"]],
        "compare_url": partial(_url, shown), "pagination": _pagination(result, shown),
        "announcement": _announcement(result, columns, shown),
        "exports": urlencode({"instrument": chosen.ref}),
        "strongest": means[:3], "weakest": list(reversed(means[-3:])) if means else [],
        "board_views": meeting_records.placement_views(
            session, organisation_id=user.organisation_id, key=chosen.key,
            version=chosen.version, partnership_ids=[row.partnership_id for row in data.rows]),
    }, block="results")


def _announcement(result, columns: list[dict], shown: dict[str, str]) -> str:
    """What a screen reader hears after a filter or a sort: how many match, and the order."""
    count = f"{result.matching} partnership{'s' if result.matching != 1 else ''} shown"
    if result.pages > 1:
        count += f", {result.first} to {result.last} on this page"
    title = next((c["title"] for c in columns if c["key"] == shown["sort"]), "Partnership")
    order = "descending" if shown["dir"] == "desc" else "ascending"
    return f"{count}, sorted by {title}, {order}."


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


def _latest(request: Request, session, user, ref: str) -> comparison.Comparison:
    _, chosen = _instrument(request, session, user, ref)
    return latest_rounds(session, organisation_id=user.organisation_id, instrument=chosen)


def _answers(request: Request, session, user, data: comparison.Comparison):
    return comparison_exports.item_rows(session, organisation_id=user.organisation_id,
                                        instrument=data.instrument,
                                        catalogue=request.app.state.catalogue)


def _filename(data: comparison.Comparison, name: str, extension: str) -> str:
    return f"{name}-{data.instrument.key}-v{data.instrument.version}.{extension}"


@router.get("/compare/partnerships.csv")
def table_csv(request: Request, user: CurrentUser, session: SessionDep,
              instrument: InstrumentRef = ""):
    data = _latest(request, session, user, instrument)
    body = comparison_exports.to_csv(comparison_exports.table_columns(data),
                                     comparison_exports.table_rows(data))
    return _download(body, "text/csv; charset=utf-8", _filename(data, "partnerships", "csv"))


@router.get("/compare/answers.csv")
def items_csv(request: Request, user: CurrentUser, session: SessionDep,
              instrument: InstrumentRef = ""):
    """Every counted answer of the organisation's closed rounds on the instrument, anonymised:
    each download has its own pseudonyms, and no row carries a combination of agency and level
    held by fewer people than its round's threshold."""
    data = _latest(request, session, user, instrument)
    body = comparison_exports.to_csv(comparison_exports.ITEM_COLUMNS,
                                     _answers(request, session, user, data))
    return _download(body, "text/csv; charset=utf-8",
                     _filename(data, "answers-anonymised", "csv"))


@router.get("/compare/partnerships.xlsx")
def table_xlsx(request: Request, user: CurrentUser, session: SessionDep,
               instrument: InstrumentRef = ""):
    data = _latest(request, session, user, instrument)
    body = comparison_exports.to_xlsx({
        "Partnerships": (comparison_exports.table_columns(data),
                         comparison_exports.table_rows(data)),
        "Answers (anonymised)": (comparison_exports.ITEM_COLUMNS,
                                 _answers(request, session, user, data)),
        "Columns": (["column", "what it holds"], comparison_exports.column_labels(data)),
    })
    return _download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     _filename(data, "partnerships", "xlsx"))


@router.get("/api/compare", response_model=None,
            responses={200: {"model": api.Comparison, "description": "The comparison table"},
                       **api.errors(401, 403, 404, 422, 503)})
def compare_json(request: Request, user: CurrentUser, session: SessionDep,
                 instrument: InstrumentRef = "") -> dict:
    """The comparison table as JSON on one instrument: one object per partnership, with its
    latest closed round on that instrument (nulls when none)."""
    data = _latest(request, session, user, instrument)
    columns = comparison_exports.table_columns(data)
    return {"instrument": {"key": data.instrument.key, "version": data.instrument.version,
                           "title": data.instrument.questionnaire.title},
            "columns": columns,
            "partnerships": [dict(zip(columns, row, strict=True))
                             for row in comparison_exports.table_rows(data)]}
