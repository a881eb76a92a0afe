"""A round's action plan: adding actions (from the recommendations or the board's own),
editing, reordering and removing them. Every form works without JavaScript (POST, then 303);
with htmx, saving an action swaps just that action's block."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from app.models import ActionItem, AssessmentRound, Partnership
from app.services import action_plans as service
from app.services import partnerships as partnership_service
from app.services.errors import Invalid
from app.services.inputs import parse_id
from app.web.access import CurrentUser, Do, SessionDep, allowed, require_action, require_round
from app.web.forms import ActionForm, MoveForm, NewActionForm, StrategyForm
from app.web.render import flash, is_htmx, render
from app.web.rounds import _redirect

router = APIRouter()


def _values(item: ActionItem) -> dict[str, str]:
    """An action as its edit form shows it."""
    target = item.target_date
    return {"text": item.text, "owner": str(item.owner_agency_id or ""), "lead": item.lead,
            "target-day": str(target.day) if target else "",
            "target-month": str(target.month) if target else "",
            "target-year": str(target.year) if target else "",
            "measure": item.success_measure, "status": str(item.status)}


def _field_errors(item: ActionItem, errors: dict[str, str]) -> dict[str, str]:
    # Field ids are unique on the page: "action-7-text", the date's first box for its link.
    return {f"action-{item.id}-{field}": message for field, message in errors.items()}


def _plan_context(request: Request, session, user, round_: AssessmentRound,
                  partnership: Partnership, **extra) -> dict:
    """What the whole plan page, or its `plan_body` block, shows."""
    items = service.items_of(session, round_=round_)
    shown = {item.id: _values(item) for item in items}
    shown.update(extra.pop("values", None) or {})
    previous = service.previous_round(session, round_=round_)
    context = {
        "round": round_, "partnership": partnership, "items": items, "values": shown,
        "agencies": partnership_service.agencies_of(session, partnership),
        "recommendations": service.recommendations_for(session, round_=round_,
                                                       catalogue=request.app.state.catalogue),
        # Each recommendation already in the plan links to its action, by number.
        "planned": {item.strategy_id: {"id": item.id, "number": number}
                    for number, item in enumerate(items, start=1) if item.strategy_id},
        "previous": previous,
        "previous_plan": service.previous_plan(session, round_=round_) if previous else None,
        "statuses": service.STATUS_LABELS, "can_run": allowed(user, Do.run),
        "errors": {}, "new_text": "", "saved": None, "editing": None,
        "fragment": is_htmx(request),
    }
    context.update(extra)
    errors = context["errors"]
    context["anchors"] = {k: k.removesuffix("-target") + "-target-day"
                          for k in errors if k.endswith("-target")}
    return context


def _plan_page(request: Request, session, user, round_: AssessmentRound,
               partnership: Partnership, *, status_code: int = 200, **extra):
    """The whole page; with htmx, only the plan's block (after an add or a removal)."""
    context = _plan_context(request, session, user, round_, partnership, **extra)
    return render(request, "rounds/plan.html", context, status_code=status_code,
                  block="plan_body")


def _number_of(items: list[ActionItem], item: ActionItem) -> int:
    return next((n for n, other in enumerate(items, start=1) if other.id == item.id), 0)


@router.get("/rounds/{round_id}/plan")
def plan_page(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
              edit: Annotated[str, Query(max_length=20)] = "",
              saved: Annotated[str, Query(max_length=20)] = ""):
    """`?edit=7` opens action 7's row for editing, `?saved=7` says it was saved: the links
    and redirects of the page without JavaScript."""
    round_, partnership = require_round(session, user, round_id)
    # Not an error when malformed or stale: the page just opens no row.
    return render(request, "rounds/plan.html", _plan_context(
        request, session, user, round_, partnership, editing=parse_id(edit),
        saved=parse_id(saved), fragment=False))


@router.post("/rounds/{round_id}/plan/recommended")
def add_recommended(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
                    form: Annotated[StrategyForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    try:
        item = service.add_recommended(session, round_=round_, partnership=partnership,
                                       strategy_id=form.strategy, added_by=user)
    except Invalid as exc:
        return _plan_page(request, session, user, round_, partnership, errors=exc.errors,
                          status_code=400)
    if is_htmx(request):
        return _plan_page(request, session, user, round_, partnership, added=item.id)
    flash(request, "The recommendation has been added to the plan.")
    return _redirect(f"/rounds/{round_.id}/plan#action-{item.id}")


@router.post("/rounds/{round_id}/plan/actions")
def add_own(round_id: int, request: Request, user: CurrentUser, session: SessionDep,
            form: Annotated[NewActionForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    try:
        item = service.add_own(session, round_=round_, partnership=partnership, text=form.text,
                               added_by=user)
    except Invalid as exc:
        return _plan_page(request, session, user, round_, partnership,
                          errors={"new-text": exc.errors["text"]}, new_text=form.text,
                          status_code=400)
    if is_htmx(request):
        number = len(service.items_of(session, round_=round_))
        return _plan_page(request, session, user, round_, partnership,
                          added_own=f"Your action has been added to the plan as action {number}.")
    flash(request, "Your action has been added to the plan.")
    return _redirect(f"/rounds/{round_.id}/plan#action-{item.id}")


def _row(request, session, round_, partnership, item, *, status_code=200, **extra):
    """One action's row of the plan's table, for htmx: read, or open for editing."""
    items = service.items_of(session, round_=round_)
    context = {
        "round": round_, "partnership": partnership, "item": item,
        "number": _number_of(items, item), "count": len(items),
        "values": {item.id: _values(item)},
        "agencies": partnership_service.agencies_of(session, partnership),
        "statuses": service.STATUS_LABELS, "can_run": True, "errors": {},
        "saved": None, "editing": None, "focus_row": None, "fragment": True,
    }
    context.update(extra)
    return render(request, "rounds/plan.html", context, status_code=status_code, block="action")


@router.get("/rounds/{round_id}/plan/actions/{action_id}")
def action_row(round_id: int, action_id: int, request: Request, user: CurrentUser,
               session: SessionDep, edit: Annotated[str, Query(max_length=20)] = ""):
    """The row htmx swaps in to open an action for editing (`?edit=1`) or to cancel; without
    htmx, the plan page with that row open or closed."""
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_action(session, round_, action_id)
    if not is_htmx(request):
        query = f"?edit={item.id}" if edit else ""
        return _redirect(f"/rounds/{round_.id}/plan{query}#action-{item.id}")
    if edit:
        return _row(request, session, round_, partnership, item, editing=item.id)
    return _row(request, session, round_, partnership, item, focus_row=item.id)


@router.post("/rounds/{round_id}/plan/actions/{action_id}")
def edit_action(round_id: int, action_id: int, request: Request, user: CurrentUser,
                session: SessionDep, form: Annotated[ActionForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_action(session, round_, action_id)
    try:
        service.update(session, item=item, round_=round_, partnership=partnership,
                       text=form.text, owner=form.owner, lead=form.lead, day=form.target_day,
                       month=form.target_month, year=form.target_year, measure=form.measure,
                       status=form.status, edited_by=user)
    except Invalid as exc:
        submitted = form.values()
        errors = _field_errors(item, exc.errors)
        if is_htmx(request):
            return _row(request, session, round_, partnership, item, errors=errors,
                        values={item.id: submitted}, editing=item.id, status_code=400)
        return _plan_page(request, session, user, round_, partnership, errors=errors,
                          values={item.id: submitted}, editing=item.id, status_code=400)
    if is_htmx(request):
        return _row(request, session, round_, partnership, item, saved=item.id,
                    focus_row=item.id)
    return _redirect(f"/rounds/{round_.id}/plan?saved={item.id}#action-{item.id}")


@router.post("/rounds/{round_id}/plan/actions/{action_id}/move")
def move_action(round_id: int, action_id: int, request: Request, user: CurrentUser,
                session: SessionDep, form: Annotated[MoveForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_action(session, round_, action_id)
    up = form.direction == "up"
    if form.direction in ("up", "down"):
        service.move(session, item=item, round_=round_, partnership=partnership, up=up,
                     moved_by=user)
    if is_htmx(request):
        items = service.items_of(session, round_=round_)
        number = _number_of(items, item)
        # Focus stays on the button used (its id comes back) unless the move took it away,
        # at the top or the bottom: then the action's Change link.
        gone = (up and number == 1) or (not up and number == len(items))
        return _plan_page(request, session, user, round_, partnership,
                          announce=f"Action moved {'up' if up else 'down'}: now action {number}.",
                          focus_row=item.id if gone else None)
    return _redirect(f"/rounds/{round_.id}/plan#action-{item.id}")


@router.post("/rounds/{round_id}/plan/actions/{action_id}/remove")
def remove_action(round_id: int, action_id: int, request: Request, user: CurrentUser,
                  session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_action(session, round_, action_id)
    items = service.items_of(session, round_=round_)
    number = _number_of(items, item)
    service.delete(session, item=item, round_=round_, partnership=partnership, deleted_by=user)
    if is_htmx(request):
        # Focus goes to the action now in its place, else the one before, else the heading.
        rest = [other for other in items if other.id != item.id]
        neighbour = rest[min(number, len(rest)) - 1] if rest else None
        return _plan_page(request, session, user, round_, partnership,
                          announce=f"Action {number} removed.",
                          focus_row=neighbour.id if neighbour else None,
                          focus_heading=neighbour is None)
    flash(request, "The action has been removed from the plan.")
    return _redirect(f"/rounds/{round_.id}/plan#plan")
