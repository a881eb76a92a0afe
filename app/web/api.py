"""The shapes of the JSON API's answers, for its OpenAPI schema (/api/openapi.json): each route's
result, and the error bodies every route may answer with (see the handlers in app/web/errors.py)."""

from typing import Literal

from pydantic import BaseModel

from app.models import RoundStatus
from app.scoring.collaboration import CollaborationMap
from app.scoring.consensus import Consensus
from app.scoring.result import Coverage
from app.scoring.scores import GroupScores
from app.scoring.typologies import Placement


class Problem(BaseModel):
    detail: str


class Problems(BaseModel):
    """A request whose parameters could not be read: one line per problem."""

    detail: list[str]


def errors(*statuses: int) -> dict[int | str, dict]:
    """The error answers of a route, for its `responses=`."""
    described = {
        400: (Problem, "A value the database could not store"),
        401: (Problem, "Not signed in"),
        403: (Problem, "Signed in, but this role may not see it"),
        404: (Problem, "No such thing, or it belongs to another organisation"),
        409: (Problem, "Not yet: the round is still open, and results exist once it closes"),
        422: (Problems, "A parameter could not be read"),
        503: (Problem, "The database cannot be reached just now; try again"),
    }
    return {status: {"model": described[status][0], "description": described[status][1]}
            for status in statuses}


class Health(BaseModel):
    status: Literal["ok"]
    app: Literal["up"]
    database: Literal["up"]


class RoundResult(BaseModel):
    """A closed round's result (app.scoring.result.RoundResult) with the round's id, status and
    the number invited. Each group has its name and its key (an agency's id, a level), which
    stays the same when an agency is renamed. Groups whose figures are withheld (too small,
    or able to reveal a smaller group by subtraction, under the plan the round kept when it
    closed) have "suppressed": true, "respondents": null and nothing else; their sizes in
    coverage are null. Comments are by item id, sorted by text. Ratings of partner agencies
    are in "collaboration" only, never in the scores."""

    round_id: int
    status: RoundStatus
    invited: int
    questionnaire: str
    anonymity_threshold: int
    coverage: Coverage
    partnership: GroupScores
    groups: list[GroupScores]
    consensus: Consensus
    placements: list[Placement]
    comments: dict[str, list[str]]
    # When the round asked how the agencies work with each other: every rating shown is the
    # mean of at least the threshold's respondents (app/scoring/collaboration.py).
    collaboration: CollaborationMap | None = None


class ComparedInstrument(BaseModel):
    key: str
    version: int
    title: str


class Comparison(BaseModel):
    """Every partnership of the organisation with its latest closed round on one instrument
    (nulls when none). The columns depend on the instrument: the fixed ones, its placements
    (code and label), the overall score and band, then one per dimension, area and factor
    that has scores, named tag_value (e.g. factor_funding)."""

    instrument: ComparedInstrument
    columns: list[str]
    partnerships: list[dict[str, str | int | float | None]]
