"""The forms MAPS pages post, as FastAPI form models, and the raw form for pages whose fields
depend on the questionnaire. Routes that take these are plain `def`: FastAPI reads the body on
the event loop, then runs the route (database work, password hashing) in its threadpool."""

from typing import Annotated

from fastapi import Depends, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData


class PostedForm(BaseModel):
    """Every field is text and a missing one is empty, so the services, not a generic 422,
    say what is wrong with each field. Other fields (the CSRF token) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def values(self) -> dict[str, str]:
        """The fields under their form names, for showing the form again."""
        return self.model_dump(by_alias=True)


class SignInForm(PostedForm):
    email: str = ""
    password: str = ""
    next: str = ""


class SetPasswordForm(PostedForm):
    password: str = ""
    confirm: str = ""


class OrganisationForm(PostedForm):
    org_name: str = ""
    name: str = ""
    email: str = ""


class AccountForm(PostedForm):
    name: str = ""
    email: str = ""
    role: str = ""


class PartnershipForm(PostedForm):
    name: str = ""
    client_group: str = ""
    description: str = ""


class AgencyForm(PostedForm):
    agency_name: str = ""
    sector: str = ""


class CoordinatorForm(PostedForm):
    coordinator: str = ""


class OpenRoundForm(PostedForm):
    questionnaire: str = ""
    title: str = ""
    closes_day: str = Field("", alias="closes-day")
    closes_month: str = Field("", alias="closes-month")
    closes_year: str = Field("", alias="closes-year")
    threshold: str = ""
    collaboration: str = ""  # the checkbox: ask the Levels of Collaboration Scale as well


class InviteForm(PostedForm):
    name: str = ""
    email: str = ""
    agency: str = ""
    level: str = ""


class AboutForm(PostedForm):
    agency: str = ""
    level: str = ""


class ResumeForm(PostedForm):
    code: str = ""


class StrategyForm(PostedForm):
    strategy: str = ""


class NewActionForm(PostedForm):
    text: str = ""


class ActionForm(PostedForm):
    text: str = ""
    owner: str = ""
    lead: str = ""
    target_day: str = Field("", alias="target-day")
    target_month: str = Field("", alias="target-month")
    target_year: str = Field("", alias="target-year")
    measure: str = ""
    status: str = ""


class MoveForm(PostedForm):
    direction: str = ""


class QuestionnaireUploadForm(PostedForm):
    definition: UploadFile | None = None


async def _answers_form(request: Request) -> FormData:
    # Answer pages post one field per question (and comment) of the questionnaire version,
    # so their fields cannot be declared ahead; the services check each one.
    return await request.form()


AnswersForm = Annotated[FormData, Depends(_answers_form)]
