"""Partnerships: their details, member agencies and coordinators."""

from sqlmodel import Session, col, select

from app.models import (
    Agency,
    AssessmentRound,
    Organisation,
    Partnership,
    PartnershipCoordinator,
    Role,
    Sector,
    User,
)
from app.services import audit
from app.services.errors import Invalid, unless_taken
from app.services.inputs import control_character_problem, name_problem, name_taken, parse_id

PARTNERSHIP_TAKEN = "Your organisation already has a partnership with this name"
AGENCY_TAKEN = "This partnership already has an agency with this name"


def _details(name: str, client_group: str, description: str) -> tuple[str, str, str]:
    name, client_group, description = name.strip(), client_group.strip(), description.strip()
    errors = {}
    if not name:
        errors["name"] = "Enter the partnership's name"
    elif problem := name_problem(name):
        errors["name"] = problem
    if len(client_group) > 200:
        errors["client_group"] = "Enter a client group of at most 200 characters"
    elif problem := control_character_problem(client_group):
        errors["client_group"] = f"The client group {problem}"
    if len(description) > 4000:
        errors["description"] = "Enter a description of at most 4,000 characters"
    elif problem := control_character_problem(description, multiline=True):
        errors["description"] = f"The description {problem}"
    if errors:
        raise Invalid(errors)
    return name, client_group, description


def _partnership_name_free(session: Session, organisation_id: int, name: str,
                           partnership_id: int | None = None) -> None:
    others = session.exec(select(Partnership.name).where(
        Partnership.organisation_id == organisation_id,
        Partnership.id != (partnership_id or 0))).all()
    if name_taken(others, name):
        raise Invalid({"name": PARTNERSHIP_TAKEN})


def create_partnership(session: Session, *, organisation: Organisation, name: str,
                       client_group: str, description: str, created_by: User) -> Partnership:
    name, client_group, description = _details(name, client_group, description)
    _partnership_name_free(session, organisation.id, name)
    partnership = Partnership(organisation_id=organisation.id, name=name,
                              client_group=client_group, description=description)
    session.add(partnership)
    session.flush()
    audit.record(session, action="partnership_created", user=created_by, partnership=partnership,
                 detail={"name": name})
    session.commit()
    return partnership


def edit_partnership(session: Session, *, partnership: Partnership, name: str,
                     client_group: str, description: str, edited_by: User) -> None:
    name, client_group, description = _details(name, client_group, description)
    before = {"name": partnership.name, "client_group": partnership.client_group,
              "description": partnership.description}
    after = {"name": name, "client_group": client_group, "description": description}
    changed = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if not changed:
        return
    if "name" in changed:
        _partnership_name_free(session, partnership.organisation_id, name, partnership.id)
    partnership.name, partnership.client_group, partnership.description = (
        name, client_group, description)
    session.add(partnership)
    audit.record(session, action="partnership_edited", user=edited_by, partnership=partnership,
                 detail=changed)
    session.commit()


def agencies_of(session: Session, partnership: Partnership) -> list[Agency]:
    return list(session.exec(select(Agency).where(Agency.partnership_id == partnership.id)
                             .order_by(Agency.name)))


def _agency_fields(session: Session, partnership: Partnership, name: str, sector: str,
                   agency_id: int | None = None) -> tuple[str, Sector]:
    name = name.strip()
    errors = {}
    if not name:
        errors["agency_name"] = "Enter the agency's name"
    elif problem := name_problem(name):
        errors["agency_name"] = problem
    elif name_taken(session.exec(select(Agency.name).where(
            Agency.partnership_id == partnership.id, Agency.id != (agency_id or 0))), name):
        errors["agency_name"] = AGENCY_TAKEN
    if sector not in {s.value for s in Sector}:
        errors["sector"] = "Select the agency's sector"
    if errors:
        raise Invalid(errors)
    return name, Sector(sector)


def add_agency(session: Session, *, partnership: Partnership, name: str, sector: str,
               added_by: User) -> Agency:
    name, sector_ = _agency_fields(session, partnership, name, sector)
    agency = Agency(partnership_id=partnership.id, name=name, sector=sector_)
    with unless_taken(session, {"agency_name": AGENCY_TAKEN}):
        session.add(agency)
    audit.record(session, action="agency_added", user=added_by, partnership=partnership,
                 detail={"agency": name, "sector": sector_})
    session.commit()
    return agency


def edit_agency(session: Session, *, partnership: Partnership, agency: Agency, name: str,
                sector: str, edited_by: User) -> None:
    name, sector_ = _agency_fields(session, partnership, name, sector, agency.id)
    if (name, sector_) == (agency.name, agency.sector):
        return
    detail = {"agency": agency.name, "name": name, "sector": sector_}
    with unless_taken(session, {"agency_name": AGENCY_TAKEN}):
        agency.name, agency.sector = name, sector_
        session.add(agency)
    audit.record(session, action="agency_edited", user=edited_by, partnership=partnership,
                 detail=detail)
    session.commit()


def coordinators_of(session: Session, partnership: Partnership) -> list[User]:
    return list(session.exec(
        select(User).join(PartnershipCoordinator, col(PartnershipCoordinator.user_id) == User.id)
        .where(PartnershipCoordinator.partnership_id == partnership.id).order_by(User.name)))


def is_coordinator(session: Session, user: User, partnership_id: int) -> bool:
    return session.get(PartnershipCoordinator, (user.id, partnership_id)) is not None


def appoint_coordinator(session: Session, *, partnership: Partnership, user_id: str | None,
                        appointed_by: User) -> User:
    """Appoint one of the organisation's coordinator accounts to the partnership."""
    coordinator_id = parse_id(user_id)
    user = session.get(User, coordinator_id) if coordinator_id else None
    if (user is None or user.role != Role.coordinator
            or user.organisation_id != partnership.organisation_id):
        raise Invalid({"coordinator": "Select a coordinator from your organisation"})
    if is_coordinator(session, user, partnership.id):
        raise Invalid({"coordinator": f"{user.name} already coordinates this partnership"})
    session.add(PartnershipCoordinator(user_id=user.id, partnership_id=partnership.id))
    audit.record(session, action="coordinator_appointed", user=appointed_by,
                 partnership=partnership, detail={"coordinator": user.email})
    session.commit()
    return user


def remove_coordinator(session: Session, *, partnership: Partnership, user: User,
                       removed_by: User) -> None:
    link = session.get(PartnershipCoordinator, (user.id, partnership.id))
    if link is None:
        return
    session.delete(link)
    audit.record(session, action="coordinator_removed", user=removed_by,
                 partnership=partnership, detail={"coordinator": user.email})
    session.commit()


def partnerships_for(session: Session, user: User) -> list[Partnership]:
    """What the user may see: an organisation admin every partnership of their organisation, a
    coordinator the ones they coordinate, a site admin none."""
    query = select(Partnership).order_by(Partnership.name)
    if user.role == Role.org_admin:
        query = query.where(Partnership.organisation_id == user.organisation_id)
    elif user.role == Role.coordinator:
        query = query.join(PartnershipCoordinator,
                           col(PartnershipCoordinator.partnership_id) == Partnership.id).where(
            PartnershipCoordinator.user_id == user.id,
            Partnership.organisation_id == user.organisation_id)
    else:
        return []
    return list(session.exec(query))


def rounds_by_partnership(session: Session,
                          partnerships: list[Partnership]) -> dict[int, list[AssessmentRound]]:
    """Each partnership's rounds, newest first, in one query."""
    ids = [p.id for p in partnerships]
    result: dict[int, list[AssessmentRound]] = {i: [] for i in ids}
    if ids:
        for round_ in session.exec(select(AssessmentRound).where(
                col(AssessmentRound.partnership_id).in_(ids))
                .order_by(col(AssessmentRound.opens_at).desc())):
            result[round_.partnership_id].append(round_)
    return result
