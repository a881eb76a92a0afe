"""Questionnaires an organisation can open rounds with: the list, uploading a definition (for
the organisation, or site-wide by a site administrator), seeing one, removing an upload."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from app.models import Organisation, Role
from app.questionnaires.format import MAX_ITEMS, json_schema
from app.questionnaires.loader import MAX_FILE_BYTES, InvalidQuestionnaire, decode
from app.scoring.thresholds import MARKER_PARTS, SCORED_TAGS
from app.services import questionnaires as service
from app.services.errors import Invalid
from app.web.access import (
    CurrentUser,
    OptionalUser,
    SessionDep,
    require_role,
    require_upload,
)
from app.web.format_docs import format_doc
from app.web.forms import QuestionnaireUploadForm
from app.web.render import flash, render

router = APIRouter()


def _list_page(request, session, user, *, errors=None, problems=None, filename="",
               status_code=200):
    return render(request, "questionnaires/list.html", {
        "listed": service.listing(session, organisation_id=user.organisation_id,
                                  catalogue=request.app.state.catalogue),
        "organisation": session.get(Organisation, user.organisation_id)
        if user.organisation_id else None,
        "errors": errors or {}, "problems": problems or [], "filename": filename,
        "max_mb": MAX_FILE_BYTES // 1_000_000, "max_items": MAX_ITEMS,
    }, status_code=status_code)


@router.get("/questionnaires")
def questionnaire_list(request: Request, user: CurrentUser, session: SessionDep):
    require_role(user, Role.site_admin, Role.org_admin)
    return _list_page(request, session, user)


@router.post("/questionnaires")
def upload(request: Request, user: CurrentUser, session: SessionDep,
           form: Annotated[QuestionnaireUploadForm, Form()]):
    """Check an uploaded definition and install it; nothing is installed while it has errors,
    which are listed with their lines."""
    require_role(user, Role.site_admin, Role.org_admin)
    file = form.definition
    if file is None or not file.filename:
        return _list_page(request, session, user, status_code=400, errors={
            "definition": "Choose the definition's YAML file"})
    # The threadpool's own read: the upload is already spooled to memory or disk.
    data = file.file.read(MAX_FILE_BYTES + 1)
    organisation = session.get(Organisation, user.organisation_id) \
        if user.role == Role.org_admin else None
    try:
        row = service.upload(session, text=decode(data, file.filename), filename=file.filename,
                             organisation=organisation, uploaded_by=user,
                             catalogue=request.app.state.catalogue)
    except InvalidQuestionnaire as exc:
        count = len(exc.errors)
        return _list_page(request, session, user, status_code=400, filename=file.filename,
                          problems=exc.errors, errors={"definition": (
                              f"{file.filename} has {count} "
                              f"{'problem' if count == 1 else 'problems'}, listed below; "
                              "nothing was installed. Correct the file and upload it again")})
    except Invalid as exc:
        return _list_page(request, session, user, errors=exc.errors, status_code=400,
                          filename=file.filename)
    scope = "every organisation" if organisation is None else organisation.name
    flash(request, f"{row.title} (version {row.version}) is installed: coordinators of "
                   f"{scope} can now choose it when they open a round.")
    return RedirectResponse(f"/questionnaires/{row.id}", status_code=303)


@router.get("/questionnaires/format")
def format_page(request: Request, user: OptionalUser):
    """How to write a definition (docs/questionnaires.md), for anyone: it is MAPS's published
    format, and the upload page and its errors point here."""
    return render(request, "questionnaires/format.html", {"doc": format_doc()})


@router.get("/questionnaires/schema.json")
def format_schema():
    """The format as a JSON Schema, for an editor's YAML language server."""
    return JSONResponse(json_schema())


@router.get("/questionnaires/{upload_id}")
def questionnaire_page(upload_id: int, request: Request, user: CurrentUser,
                       session: SessionDep):
    upload = require_upload(session, user, upload_id)
    # Rounds are counted in the viewer's organisation; a site administrator sees the upload's.
    organisation_id = user.organisation_id if user.role == Role.org_admin \
        else upload.organisation_id
    listed = next(x for x in service.listing(session, organisation_id=organisation_id,
                                             catalogue=request.app.state.catalogue)
                  if x.upload is not None and x.upload.id == upload.id)
    return render(request, "questionnaires/questionnaire.html", {
        "listed": listed, "questionnaire": listed.instrument.questionnaire,
        "can_remove": upload.organisation_id == user.organisation_id,
        "scored_tags": SCORED_TAGS, "marker_parts": MARKER_PARTS,
    })


@router.post("/questionnaires/{upload_id}/remove")
def remove(upload_id: int, request: Request, user: CurrentUser, session: SessionDep):
    upload = require_upload(session, user, upload_id, remove=True)
    title = f"{upload.title} (version {upload.version})"
    service.remove(session, row=upload, removed_by=user)
    flash(request, f"{title} is no longer offered for new rounds. Rounds that used it keep "
                   "their copy of it.")
    return RedirectResponse("/questionnaires", status_code=303)
