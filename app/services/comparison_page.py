"""The comparison page: one page of an organisation's partnerships on one instrument, sorted and
filtered on the server, beside summaries of all that match, in a few queries however many
there are. Only the
score summaries the page uses are read: every partnership's latest round (for sorting by score
and for the summaries), and the rounds before it only for the page's rows; and each is parsed
once, until it is computed again."""

import json
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, case, cast, func
from sqlmodel import Session, col, select

from app.models import AssessmentRound, Partnership, RoundStatus, RoundSummary
from app.services.comparison import (
    Comparison,
    Instrument,
    PartnershipRow,
    RoundPoint,
    sort_and_filter,
)

PER_PAGE = 25


@dataclass(frozen=True)
class PageQuery:
    sort: str = "name"
    descending: bool = False
    text: str = ""
    townsley: str = ""
    gaster: str = ""
    page: int = 1


@dataclass
class ComparisonPage:
    query: PageQuery
    rows: list[PartnershipRow]  # this page's, with every closed round of theirs
    matching: int  # partnerships the filter keeps
    page: int  # the page shown: the one asked for, or the last there is
    pages: int
    per_page: int
    # The matching partnerships with their latest closed round only, for the summaries.
    overview: Comparison
    total: int  # the organisation's partnerships, matching or not

    @property
    def first(self) -> int:
        """The position of the page's first row among the matching ones, from 1."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    def page_numbers(self) -> list[int | None]:
        """The pages to link to: the first, the last, and two either side of this one, with
        None for each gap."""
        near = {1, self.pages, *range(self.page - 2, self.page + 3)}
        shown = sorted(n for n in near if 1 <= n <= self.pages)
        numbers: list[int | None] = []
        for n in shown:
            if numbers and n - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(n)
        return numbers


def comparison_page(session: Session, *, organisation_id: int, instrument: Instrument,
                    query: PageQuery, per_page: int = PER_PAGE) -> ComparisonPage:
    everyone = latest_rounds(session, organisation_id=organisation_id, instrument=instrument)
    chosen = sort_and_filter(everyone.rows, instrument, sort=query.sort,
                             descending=query.descending, text=query.text,
                             townsley=query.townsley, gaster=query.gaster)
    pages = max(1, math.ceil(len(chosen) / per_page))
    page = min(max(query.page, 1), pages)
    rows = chosen[(page - 1) * per_page:page * per_page]
    _all_rounds(session, organisation_id, instrument, [row for row in rows if row.latest])
    return ComparisonPage(query=query, rows=rows, matching=len(chosen), page=page,
                          pages=pages, per_page=per_page, total=len(everyone.rows),
                          overview=Comparison(instrument=instrument, rows=chosen))


def _closed_on():
    # AssessmentRound.closing_date in SQL, so rounds sort on it: closed early, or at the planned
    # date (a round closed after its date stopped taking answers at the date).
    return case((AssessmentRound.closed_at < AssessmentRound.closes_at, AssessmentRound.closed_at),
                else_=AssessmentRound.closes_at)


def _on(organisation_id: int, instrument: Instrument) -> tuple:
    """The organisation's closed rounds on the instrument (key and version)."""
    return (Partnership.organisation_id == organisation_id,
            AssessmentRound.status == RoundStatus.closed,
            AssessmentRound.questionnaire_key == instrument.key,
            AssessmentRound.questionnaire_version == instrument.version)


def _rounds_of(organisation_id: int, instrument: Instrument):
    """The organisation's closed rounds on the instrument that have summaries, with what the
    page shows (_points reads the columns in this order)."""
    return (select(AssessmentRound.partnership_id, AssessmentRound.id, AssessmentRound.title,
                   _closed_on().label("closed_on"), RoundSummary.respondents,
                   RoundSummary.invited,
                   RoundSummary.townsley, RoundSummary.gaster, RoundSummary.overall,
                   RoundSummary.computed_at)
            .join(RoundSummary, RoundSummary.round_id == AssessmentRound.id)
            .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
            .where(*_on(organisation_id, instrument)))


def _latest_ids(organisation_id: int, instrument: Instrument):
    """The id of each partnership's latest closed round on the instrument with a summary.
    (Ranked on the ids alone: ranking whole rows would carry every round's scores through the
    sort.)"""
    newest_first = func.row_number().over(
        partition_by=AssessmentRound.partnership_id,
        order_by=(_closed_on().desc(), col(AssessmentRound.id).desc()))
    ranked = (select(AssessmentRound.id, newest_first.label("newest_first"))
              .join(RoundSummary, RoundSummary.round_id == AssessmentRound.id)
              .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
              .where(*_on(organisation_id, instrument))).subquery()
    return select(ranked.c.id).where(ranked.c.newest_first == 1)


# Parsed scores by round id, with the time they were computed: a summary changes only when
# it is computed again, so most pages parse none (parsing them was most of the page's work).
_PARSED: dict[int, tuple[datetime, dict]] = {}
_PARSED_LIMIT = 100_000  # rounds (a few kilobytes each); past it, start again


def _points(connection, rows) -> list[tuple[int, RoundPoint]]:
    """(partnership id, round) for these rows, their scores from _PARSED or the database."""
    # The rows unpacked as tuples, in _rounds_of's order: reading a thousand rows' columns
    # by name cost a third of the page's data.
    found = [(partnership_id, computed_at,
              RoundPoint(round_id, title, closed_on, respondents, invited, townsley, gaster,
                         overall, scores={}))
             for (partnership_id, round_id, title, closed_on, respondents, invited, townsley,
                  gaster, overall, computed_at) in rows]
    missing = [point.round_id for _, computed_at, point in found
               if _PARSED.get(point.round_id, (None,))[0] != computed_at]
    if len(_PARSED) + len(missing) > _PARSED_LIMIT:
        _PARSED.clear()
    for start in range(0, len(missing), 5000):  # within every database's parameter limit
        for round_id, computed_at, text in connection.execute(
                select(RoundSummary.round_id, RoundSummary.computed_at,
                       # As text, parsed here (PostgreSQL's driver would parse it first).
                       cast(RoundSummary.scores, Text))
                .where(col(RoundSummary.round_id).in_(missing[start:start + 5000]))):
            _PARSED[round_id] = (computed_at, (json.loads(text) if text else None) or {})
    for _, _, point in found:
        point.scores = _PARSED.get(point.round_id, (None, {}))[1]
    return [(partnership_id, point) for partnership_id, _, point in found]


def latest_rounds(session: Session, *, organisation_id: int,
                  instrument: Instrument) -> Comparison:
    """Every partnership of the organisation, each with its latest closed round on the
    instrument only (none if it has none on it): what the summaries and the exports use."""
    connection = session.connection()
    partnerships = connection.execute(
        select(Partnership.id, Partnership.name, Partnership.client_group)
        .where(Partnership.organisation_id == organisation_id).order_by(Partnership.name))
    rows = {id_: PartnershipRow(id_, name, client_group)
            for id_, name, client_group in partnerships}
    latest = _rounds_of(organisation_id, instrument).where(
        col(AssessmentRound.id).in_(_latest_ids(organisation_id, instrument))
    ).order_by(AssessmentRound.id)
    for partnership_id, point in _points(connection, connection.execute(latest)):
        rows[partnership_id].rounds = [point]
    return Comparison(instrument=instrument, rows=list(rows.values()))


def _all_rounds(session: Session, organisation_id: int, instrument: Instrument,
                rows: list[PartnershipRow]) -> None:
    """Give these partnerships every closed round on the instrument, oldest first, each with
    its scores."""
    if not rows:
        return
    by_id = {row.partnership_id: row for row in rows}
    ranked = _rounds_of(organisation_id, instrument).where(
        col(AssessmentRound.partnership_id).in_(by_id))
    for row in rows:
        row.rounds = []
    connection = session.connection()
    for partnership_id, point in _points(connection, connection.execute(
            ranked.order_by(_closed_on(), AssessmentRound.id))):
        by_id[partnership_id].rounds.append(point)
