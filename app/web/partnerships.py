"""A partnership's pages: its details, member agencies, rounds and coordinators."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from app.models import Agency, Organisation, Role, Sector, User
from app.reports.charts import trend_chart
from app.services import partnerships as service
from app.services import report
from app.services import rounds as round_service
from app.services.errors import Invalid
from app.web.access import (
    CurrentUser,
    Do,
    SessionDep,
    allowed,
    get_by_id,
    require_partnership,
    require_role,
)
from app.web.forms import AgencyForm, CoordinatorForm, PartnershipForm
from app.web.render import flash, render

router = APIRouter(prefix="/partnerships")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/new")
def new_partnership(request: Request, user: CurrentUser):
    require_role(user, Role.org_admin)
    return render(request, "partnerships/details.html", {"partnership": None, "errors": {},
                                                         "form": {}})


@router.post("")
def create_partnership(request: Request, user: CurrentUser, session: SessionDep,
                       form: Annotated[PartnershipForm, Form()]):
    require_role(user, Role.org_admin)
    try:
        partnership = service.create_partnership(
            session, organisation=session.get(Organisation, user.organisation_id),
            name=form.name, client_group=form.client_group, description=form.description,
            created_by=user)
    except Invalid as exc:
        return render(request, "partnerships/details.html",
                      {"partnership": None, "errors": exc.errors, "form": form.values()},
                      status_code=400)
    flash(request, f"{partnership.name} has been created. Add its agencies and appoint its "
                   "coordinators.")
    return _redirect(f"/partnerships/{partnership.id}")


def _partnership_page(request, session, user, partnership, *, errors=None, form=None,
                      status_code=200):
    agencies = service.agencies_of(session, partnership)
    rounds = service.rounds_by_partnership(session, [partnership])[partnership.id]
    coordinators = service.coordinators_of(session, partnership)
    candidates = []
    if allowed(user, Do.appoint):
        appointed = {c.id for c in coordinators}
        candidates = [u for u in session.exec(select(User).where(
            User.organisation_id == partnership.organisation_id,
            User.role == Role.coordinator).order_by(User.name)) if u.id not in appointed]
    points = report.trend(session, partnership=partnership)
    return render(request, "partnerships/partnership.html", {
        "partnership": partnership, "agencies": agencies, "rounds": rounds,
        "trend": points, "trend_chart": trend_chart(points) if len(points) > 1 else None,
        "counts": round_service.counts_by_round(session, [r.id for r in rounds]),
        "state_of": round_service.state_of, "coordinators": coordinators,
        "candidates": candidates, "sectors": list(Sector),
        "can_run": allowed(user, Do.run), "can_appoint": allowed(user, Do.appoint),
        "errors": errors or {}, "form": form or {},
    }, status_code=status_code)


@router.get("/{partnership_id}")
def partnership(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep):
    partnership = require_partnership(session, user, partnership_id)
    return _partnership_page(request, session, user, partnership)


@router.get("/{partnership_id}/edit")
def edit_form(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep):
    partnership = require_partnership(session, user, partnership_id, do=Do.edit)
    return render(request, "partnerships/details.html", {
        "partnership": partnership, "errors": {},
        "form": {"name": partnership.name, "client_group": partnership.client_group,
                 "description": partnership.description}})


@router.post("/{partnership_id}/edit")
def edit(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep,
         form: Annotated[PartnershipForm, Form()]):
    partnership = require_partnership(session, user, partnership_id, do=Do.edit)
    try:
        service.edit_partnership(session, partnership=partnership, name=form.name,
                                 client_group=form.client_group, description=form.description,
                                 edited_by=user)
    except Invalid as exc:
        return render(request, "partnerships/details.html",
                      {"partnership": partnership, "errors": exc.errors, "form": form.values()},
                      status_code=400)
    flash(request, "The partnership's details have been saved.")
    return _redirect(f"/partnerships/{partnership.id}")


@router.post("/{partnership_id}/agencies")
def add_agency(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep,
               form: Annotated[AgencyForm, Form()]):
    partnership = require_partnership(session, user, partnership_id, do=Do.run)
    try:
        agency = service.add_agency(session, partnership=partnership, name=form.agency_name,
                                    sector=form.sector, added_by=user)
    except Invalid as exc:
        return _partnership_page(request, session, user, partnership, errors=exc.errors,
                                 form=form.values(), status_code=400)
    flash(request, f"{agency.name} has been added.")
    return _redirect(f"/partnerships/{partnership.id}#agencies")


def _agency(session, partnership, agency_id: int) -> Agency:
    agency = get_by_id(session, Agency, agency_id)
    if agency is None or agency.partnership_id != partnership.id:
        raise HTTPException(404, "This partnership has no such agency.")
    return agency


@router.get("/{partnership_id}/agencies/{agency_id}/edit")
def edit_agency_form(partnership_id: int, agency_id: int, request: Request, user: CurrentUser,
                     session: SessionDep):
    partnership = require_partnership(session, user, partnership_id, do=Do.run)
    agency = _agency(session, partnership, agency_id)
    return render(request, "partnerships/agency.html", {
        "partnership": partnership, "agency": agency, "sectors": list(Sector), "errors": {},
        "form": {"agency_name": agency.name, "sector": agency.sector}})


@router.post("/{partnership_id}/agencies/{agency_id}/edit")
def edit_agency(partnership_id: int, agency_id: int, request: Request, user: CurrentUser,
                session: SessionDep, form: Annotated[AgencyForm, Form()]):
    partnership = require_partnership(session, user, partnership_id, do=Do.run)
    agency = _agency(session, partnership, agency_id)
    try:
        service.edit_agency(session, partnership=partnership, agency=agency,
                            name=form.agency_name, sector=form.sector, edited_by=user)
    except Invalid as exc:
        return render(request, "partnerships/agency.html", {
            "partnership": partnership, "agency": agency, "sectors": list(Sector),
            "errors": exc.errors, "form": form.values()}, status_code=400)
    flash(request, "The agency has been saved.")
    return _redirect(f"/partnerships/{partnership.id}#agencies")


@router.post("/{partnership_id}/coordinators")
def appoint(partnership_id: int, request: Request, user: CurrentUser, session: SessionDep,
            form: Annotated[CoordinatorForm, Form()]):
    partnership = require_partnership(session, user, partnership_id, do=Do.appoint)
    try:
        coordinator = service.appoint_coordinator(session, partnership=partnership,
                                                  user_id=form.coordinator, appointed_by=user)
    except Invalid as exc:
        return _partnership_page(request, session, user, partnership, errors=exc.errors,
                                 form=form.values(), status_code=400)
    flash(request, f"{coordinator.name} now coordinates {partnership.name}.")
    return _redirect(f"/partnerships/{partnership.id}#coordinators")


@router.post("/{partnership_id}/coordinators/{user_id}/remove")
def remove(partnership_id: int, user_id: int, request: Request, user: CurrentUser,
           session: SessionDep):
    partnership = require_partnership(session, user, partnership_id, do=Do.appoint)
    coordinator = get_by_id(session, User, user_id)
    if coordinator is None or not service.is_coordinator(session, coordinator, partnership.id):
        raise HTTPException(404, "This person does not coordinate this partnership.")
    service.remove_coordinator(session, partnership=partnership, user=coordinator,
                               removed_by=user)
    flash(request, f"{coordinator.name} no longer coordinates {partnership.name}.")
    return _redirect(f"/partnerships/{partnership.id}#coordinators")
