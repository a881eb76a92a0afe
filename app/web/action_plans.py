"""A round's action plan: adding actions (from the recommendations or the board's own),
editing, reordering and removing them. Every form works without JavaScript (POST, then 303);
with htmx, saving an action swaps just that action's block."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.models import ActionItem, AssessmentRound, Partnership
from app.services import action_plans as service
from app.services import partnerships as partnership_service
from app.services.errors import Invalid
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


def _plan_page(request: Request, session, user, round_: AssessmentRound,
               partnership: Partnership, *, errors=None, values=None, new_text: str = "",
               status_code: int = 200):
    items = service.items_of(session, round_=round_)
    shown = {item.id: _values(item) for item in items}
    shown.update(values or {})
    recommendations = service.recommendations_for(session, round_=round_,
                                                  catalogue=request.app.state.catalogue)
    previous = service.previous_round(session, round_=round_)
    return render(request, "rounds/plan.html", {
        "round": round_, "partnership": partnership, "items": items, "values": shown,
        "agencies": partnership_service.agencies_of(session, partnership),
        "recommendations": recommendations,
        "planned": {item.strategy_id for item in items if item.strategy_id},
        "previous": previous,
        "previous_plan": service.previous_plan(session, round_=round_) if previous else None,
        "statuses": service.STATUS_LABELS, "can_run": allowed(user, Do.run),
        "errors": errors or {}, "new_text": new_text, "saved": None,
        "anchors": {k: k.removesuffix("-target") + "-target-day"
                    for k in (errors or {}) if k.endswith("-target")},
    }, status_code=status_code)


@router.get("/rounds/{round_id}/plan")
def plan_page(round_id: int, request: Request, user: CurrentUser, session: SessionDep):
    round_, partnership = require_round(session, user, round_id)
    return _plan_page(request, session, user, round_, partnership)


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
    flash(request, "Your action has been added to the plan.")
    return _redirect(f"/rounds/{round_.id}/plan#action-{item.id}")


def _action_fragment(request, session, round_, partnership, item, *, errors=None, values=None,
                     saved=False, status_code=200):
    """One action's block, for htmx."""
    items = service.items_of(session, round_=round_)
    number = next((n for n, other in enumerate(items, start=1) if other.id == item.id), 0)
    return render(request, "rounds/plan.html", {
        "round": round_, "partnership": partnership, "item": item, "number": number,
        "count": len(items), "values": {item.id: values or _values(item)},
        "agencies": partnership_service.agencies_of(session, partnership),
        "statuses": service.STATUS_LABELS, "can_run": True, "errors": errors or {},
        "saved": item.id if saved else None, "fragment": True,
    }, status_code=status_code, block="action")


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
            return _action_fragment(request, session, round_, partnership, item, errors=errors,
                                    values=submitted, status_code=400)
        return _plan_page(request, session, user, round_, partnership, errors=errors,
                          values={item.id: submitted}, status_code=400)
    if is_htmx(request):
        return _action_fragment(request, session, round_, partnership, item, saved=True)
    flash(request, "The action has been saved.")
    return _redirect(f"/rounds/{round_.id}/plan#action-{item.id}")


@router.post("/rounds/{round_id}/plan/actions/{action_id}/move")
def move_action(round_id: int, action_id: int, request: Request, user: CurrentUser,
                session: SessionDep, form: Annotated[MoveForm, Form()]):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_action(session, round_, action_id)
    if form.direction in ("up", "down"):
        service.move(session, item=item, round_=round_, partnership=partnership,
                     up=form.direction == "up", moved_by=user)
    return _redirect(f"/rounds/{round_.id}/plan#action-{item.id}")


@router.post("/rounds/{round_id}/plan/actions/{action_id}/remove")
def remove_action(round_id: int, action_id: int, request: Request, user: CurrentUser,
                  session: SessionDep):
    round_, partnership = require_round(session, user, round_id, do=Do.run)
    item = require_action(session, round_, action_id)
    service.delete(session, item=item, round_=round_, partnership=partnership, deleted_by=user)
    flash(request, "The action has been removed from the plan.")
    return _redirect(f"/rounds/{round_.id}/plan#plan")
