"""Questionnaire definitions in the database: uploads for one organisation or the whole site,
the texts rounds keep, and the one way to get a round's questionnaire."""

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.models import (
    AssessmentRound,
    DefinitionText,
    Organisation,
    Partnership,
    UploadedQuestionnaire,
    User,
)
from app.questionnaires.format import MAX_VERSION
from app.questionnaires.loader import (
    BUILT_IN,
    Catalogue,
    Instrument,
    InvalidQuestionnaire,
    display_order,
    parse,
)
from app.questionnaires.schema import Questionnaire
from app.services import audit
from app.services.errors import Invalid
from app.services.inputs import parse_whole_number
from app.services.responses import ResponseError

# Parsed texts by hash: a text never changes under its hash, so parsing it once is enough.
_PARSED: OrderedDict[str, Questionnaire] = OrderedDict()
PARSED_KEPT = 64


class QuestionnaireUnavailable(ResponseError):
    """A round whose definition is neither kept nor installed (it opened before rounds kept
    their definition, and its file has since been removed)."""

    def __init__(self, round_: AssessmentRound):
        super().__init__(500, "This round's questionnaire is not available",
                         f"Version {round_.questionnaire_version} of the questionnaire "
                         f"‘{round_.questionnaire_key}’ is no longer installed, and this round "
                         "opened before MAPS kept a copy of each round's questionnaire. Ask "
                         "the site's administrator to install that version again.")


def _parsed(sha256: str, text: str, origin: str) -> Questionnaire:
    questionnaire = _PARSED.get(sha256)
    if questionnaire is None:
        questionnaire = parse(text, origin)
        _PARSED[sha256] = questionnaire
        while len(_PARSED) > PARSED_KEPT:
            _PARSED.popitem(last=False)
    return questionnaire


def _stored(session: Session, sha256: str, origin: str) -> Instrument | None:
    row = session.get(DefinitionText, sha256)
    if row is None:
        return None
    return Instrument(_parsed(sha256, row.text, origin), row.text, origin)


# --- A round's questionnaire -----------------------------------------------------------------

def keep_text(session: Session, *, instrument: Instrument) -> str:
    """Store the instrument's text (once per distinct text) and return its hash, for a round
    to keep; the caller commits."""
    sha256 = instrument.sha256
    if session.get(DefinitionText, sha256) is None:
        session.add(DefinitionText(sha256=sha256, text=instrument.text))
        session.flush()
    return sha256


def find_round_questionnaire(session: Session, *, round_: AssessmentRound,
                             catalogue: Catalogue) -> Questionnaire | None:
    """The round's questionnaire: the text it kept when it opened; for a round from before
    rounds kept one, the installed version with its key and version. None if neither."""
    return _kept_or_installed(session, round_.questionnaire_sha256, round_.questionnaire_key,
                              round_.questionnaire_version, catalogue, round_.id)


def find_part(session: Session, *, round_: AssessmentRound,
              catalogue: Catalogue) -> Questionnaire | None:
    """The round's optional part (kept like its questionnaire), or None if it has none."""
    if round_.part_key is None:
        return None
    return _kept_or_installed(session, round_.part_sha256, round_.part_key,
                              round_.part_version, catalogue, round_.id)


def _kept_or_installed(session: Session, sha256: str | None, key: str, version: int | None,
                       catalogue: Catalogue, round_id: int | None) -> Questionnaire | None:
    if sha256:
        known = catalogue.by_sha256(sha256)
        if known is not None:
            return known.questionnaire
        try:
            kept = _stored(session, sha256, f"the copy kept by round {round_id}")
        except InvalidQuestionnaire:
            kept = None  # a text the loader no longer accepts: fall back on the installed one
        if kept is not None:
            return kept.questionnaire
    return catalogue.get(key, version)


def roster_of(round_: AssessmentRound, names: Mapping[int, str] | None = None
              ) -> list[tuple[str, str]]:
    """The partner agencies the round's roster items ask about: (agency id, name) pairs,
    named as when the round opened, or by `names` (agency id -> its name now)."""
    names = names or {}
    return [(str(agency_id), names.get(agency_id, name))
            for agency_id, name in round_.roster or []]


def as_asked(questionnaire: Questionnaire, *, round_: AssessmentRound,
             part: Questionnaire | None = None, own_agency_id: int | None = None,
             names: Mapping[int, str] | None = None) -> Questionnaire:
    """What a respondent of the round answers: the questionnaire, then its optional part,
    each roster item asked once for every partner agency but their own. With no respondent
    (own_agency_id None), every agency: the items the round's results read, whose agencies
    the results name by `names` (agency id -> its name now)."""
    own = None if own_agency_id is None else str(own_agency_id)
    return questionnaire.with_part(part).for_roster(roster_of(round_, names), own=own)


def round_questionnaire(session: Session, *, round_: AssessmentRound,
                        catalogue: Catalogue) -> Questionnaire:
    """The round's questionnaire, or QuestionnaireUnavailable saying why it cannot be shown."""
    questionnaire = find_round_questionnaire(session, round_=round_, catalogue=catalogue)
    if questionnaire is None:
        raise QuestionnaireUnavailable(round_)
    return questionnaire


# --- What an organisation may choose for a new round -----------------------------------------

def _visible(organisation_id: int | None):
    """Uploads offered to an organisation: site-wide ones and its own."""
    site_wide = col(UploadedQuestionnaire.organisation_id).is_(None)
    if organisation_id is None:
        return site_wide
    return or_(site_wide, UploadedQuestionnaire.organisation_id == organisation_id)


def catalogue_for(session: Session, *, organisation_id: int | None,
                  catalogue: Catalogue) -> Catalogue:
    """The installed instruments, then those published site-wide, then the organisation's."""
    rows = session.exec(select(UploadedQuestionnaire).where(_visible(organisation_id))
                        .order_by(col(UploadedQuestionnaire.organisation_id).is_not(None),
                                  UploadedQuestionnaire.id)).all()
    uploads = [_stored(session, row.sha256, _origin(row)) for row in rows]
    return catalogue.with_instruments(u for u in uploads if u is not None)


def choices(session: Session, *, organisation_id: int | None,
            catalogue: Catalogue) -> list[Questionnaire]:
    """Every version an organisation may open a round with; the default (the core
    instrument's latest version) first."""
    return list(catalogue_for(session, organisation_id=organisation_id, catalogue=catalogue))


def choose(session: Session, *, organisation_id: int | None, catalogue: Catalogue,
           ref: str) -> Instrument | None:
    """The instrument "key@version" if the organisation may open a round with it."""
    key, _, version = ref.partition("@")
    number = parse_whole_number(version, low=1, high=MAX_VERSION)
    if not key or number is None:
        return None
    return catalogue_for(session, organisation_id=organisation_id,
                         catalogue=catalogue).instrument(key, number)


def _origin(row: UploadedQuestionnaire) -> str:
    who = "site-wide" if row.organisation_id is None else "for one organisation"
    return f"uploaded {who} ({row.filename or 'no file name'})"


# --- Uploads ---------------------------------------------------------------------------------

def upload(session: Session, *, text: str, filename: str, organisation: Organisation | None,
           uploaded_by: User, catalogue: Catalogue) -> UploadedQuestionnaire:
    """Check and install a definition for one organisation (or site-wide when organisation is
    None). Raises InvalidQuestionnaire with every error and its line, or Invalid when the
    version is already taken; nothing is stored then."""
    filename = filename.strip()[:200] or "upload.yaml"
    questionnaire = parse(text, filename)
    organisation_id = organisation.id if organisation else None
    taken = catalogue_for(session, organisation_id=organisation_id, catalogue=catalogue)
    clash = taken.instrument(questionnaire.key, questionnaire.version)
    if clash is not None:
        raise Invalid({"definition": f"{questionnaire.ref} is already installed ({clash.origin}). "
                                     "Give the new definition the next version number, or "
                                     "its own key."})
    if organisation_id is None:
        elsewhere = session.exec(select(func.count()).select_from(UploadedQuestionnaire).where(
            UploadedQuestionnaire.key == questionnaire.key,
            UploadedQuestionnaire.version == questionnaire.version)).one()
        if elsewhere:
            raise Invalid({"definition": f"{questionnaire.ref} is already installed by "
                                         f"{elsewhere} organisation(s) for their own rounds. "
                                         "Publish it site-wide under another version or key."})
    instrument = Instrument(questionnaire, text, filename)
    row = UploadedQuestionnaire(
        organisation_id=organisation_id, key=questionnaire.key, version=questionnaire.version,
        title=questionnaire.title[:200], sha256=keep_text(session, instrument=instrument),
        filename=filename, uploaded_by_id=uploaded_by.id)
    session.add(row)
    session.flush()
    audit.record(session, action="questionnaire_uploaded", user=uploaded_by,
                 organisation_id=organisation_id,
                 detail={"questionnaire": questionnaire.ref, "file": filename,
                         "site_wide": organisation_id is None})
    session.commit()
    return row


@dataclass
class Listed:
    """An instrument as an organisation sees it, with where it came from."""

    instrument: Instrument
    upload: UploadedQuestionnaire | None  # None: installed on the server
    organisation: str | None  # the organisation an upload is for; None: every organisation
    rounds: int  # rounds opened with this text (the organisation's, or all for the site)

    @property
    def source(self) -> str:
        if self.upload is None:
            return "Built in" if self.instrument.origin == BUILT_IN else "Installed on the server"
        return f"Uploaded for {self.organisation}" if self.organisation else "Published site-wide"


def listing(session: Session, *, organisation_id: int | None, catalogue: Catalogue,
            every_organisation: bool = False) -> list[Listed]:
    """What an organisation may open rounds with (the site-wide choice for None; with
    every_organisation, every organisation's uploads too), the default first."""
    query = select(UploadedQuestionnaire)
    if not every_organisation:
        query = query.where(_visible(organisation_id))
    rows = session.exec(query.order_by(UploadedQuestionnaire.id)).all()
    names = dict(session.exec(select(Organisation.id, Organisation.name)).all())
    counted = select(AssessmentRound.questionnaire_sha256, func.count()).group_by(
        AssessmentRound.questionnaire_sha256)
    if organisation_id is not None:
        counted = counted.join(Partnership, Partnership.id == AssessmentRound.partnership_id) \
            .where(Partnership.organisation_id == organisation_id)
    used = dict(session.exec(counted).all())
    listed = [Listed(i, None, None, used.get(i.sha256, 0)) for i in catalogue.instruments()]
    for row in rows:
        instrument = _stored(session, row.sha256, _origin(row))
        if instrument is not None:
            listed.append(Listed(instrument, row, names.get(row.organisation_id),
                                 used.get(row.sha256, 0)))
    return sorted(listed, key=lambda listed: display_order(listed.instrument))


def remove(session: Session, *, row: UploadedQuestionnaire, removed_by: User) -> None:
    """Stop offering an upload for new rounds. Rounds opened with it keep its text."""
    session.delete(row)
    audit.record(session, action="questionnaire_removed", user=removed_by,
                 organisation_id=row.organisation_id,
                 detail={"questionnaire": f"{row.key}@{row.version}", "file": row.filename,
                         "site_wide": row.organisation_id is None})
    session.commit()
