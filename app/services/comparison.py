"""An organisation's partnerships side by side, built from the score summaries kept for
closed rounds, in a fixed number of queries however many partnerships there are."""

import csv
import hashlib
import hmac
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from statistics import fmean

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Partnership,
    Respondent,
    RoundStatus,
    RoundSummary,
)

DIMENSIONS = ("organisation", "joint_investment", "integration")
AREAS = ("working_relationships", "multi_agency_processes", "resources",
         "management_governance")
TOWNSLEY = ("autonomous", "coordinated", "integrated")
GASTER = ("1", "2", "3", "4", "5")


@dataclass
class RoundPoint:
    round_id: int
    title: str
    closes_at: datetime
    respondents: int
    invited: int
    townsley: str | None
    gaster: str | None
    overall: float | None
    scores: dict[str, dict[str, float | None]]

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.invited if self.invited else None

    def score(self, tag: str, value: str) -> float | None:
        return self.scores.get(tag, {}).get(value)


@dataclass
class PartnershipRow:
    partnership_id: int
    name: str
    client_group: str
    rounds: list[RoundPoint] = field(default_factory=list)

    @property
    def latest(self) -> RoundPoint | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def previous(self) -> RoundPoint | None:
        return self.rounds[-2] if len(self.rounds) > 1 else None

    def movement(self) -> dict[str, int | None]:
        """Steps moved on each ladder since the previous round (+ up, - down)."""
        latest, previous = self.latest, self.previous
        if not latest or not previous:
            return {"townsley": None, "gaster": None}
        return {"townsley": _step(TOWNSLEY, previous.townsley, latest.townsley),
                "gaster": _step(GASTER, previous.gaster, latest.gaster)}

    def factor_changes(self, limit: int = 3) -> list[tuple[str, float]]:
        """The factors that changed most since the previous round, largest first."""
        latest, previous = self.latest, self.previous
        if not latest or not previous:
            return []
        changes = []
        for factor, now in latest.scores.get("factor", {}).items():
            before = previous.score("factor", factor)
            if now is not None and before is not None:
                changes.append((factor, now - before))
        return sorted(changes, key=lambda c: (-abs(c[1]), c[0]))[:limit]


def _step(order, before, after) -> int | None:
    if before not in order or after not in order:
        return None
    return order.index(after) - order.index(before)


@dataclass
class Comparison:
    rows: list[PartnershipRow]
    factors: list[str]

    @property
    def assessed(self) -> list[PartnershipRow]:
        return [r for r in self.rows if r.latest]

    def placement_counts(self, model: str) -> dict[str, int]:
        order = TOWNSLEY if model == "townsley" else GASTER
        counts = Counter(getattr(r.latest, model) for r in self.assessed)
        return {level: counts.get(level, 0) for level in order} | (
            {"not placed": counts[None]} if counts.get(None) else {})

    def factor_means(self) -> list[tuple[str, float]]:
        """Each factor's mean over the partnerships' latest rounds, strongest first."""
        values: dict[str, list[float]] = {factor: [] for factor in self.factors}
        for row in self.assessed:  # one pass over the rows: there may be thousands
            for factor, score in row.latest.scores.get("factor", {}).items():
                if score is not None and factor in values:
                    values[factor].append(score)
        means = [(factor, fmean(scores)) for factor, scores in values.items() if scores]
        return sorted(means, key=lambda m: (-m[1], m[0]))

    def impacts_by_townsley(self) -> dict[str, dict[str, float]]:
        """Mean reported impacts for partnerships at each Townsley level (where answered)."""
        grouped: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for row in self.assessed:
            for impact, score in row.latest.scores.get("impact_on", {}).items():
                if score is not None and row.latest.townsley:
                    grouped[row.latest.townsley][impact].append(score)
        return {level: {impact: fmean(v) for impact, v in grouped[level].items()}
                for level in TOWNSLEY if level in grouped}


def compare(session: Session, organisation_id: int) -> Comparison:
    """Two queries: the organisation's partnerships, then all their closed rounds' summaries."""
    partnerships = session.exec(
        select(Partnership).where(Partnership.organisation_id == organisation_id)
        .order_by(Partnership.name)).all()
    rows = {p.id: PartnershipRow(p.id, p.name, p.client_group) for p in partnerships}
    summaries = session.exec(
        select(AssessmentRound.id, AssessmentRound.partnership_id, AssessmentRound.title,
               AssessmentRound.closes_at, RoundSummary.respondents, RoundSummary.invited,
               RoundSummary.townsley, RoundSummary.gaster, RoundSummary.overall,
               RoundSummary.scores)
        .join(RoundSummary, RoundSummary.round_id == AssessmentRound.id)
        .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
        .where(Partnership.organisation_id == organisation_id,
               AssessmentRound.status == RoundStatus.closed)
        .order_by(AssessmentRound.closes_at, AssessmentRound.id)).all()
    factors: dict[str, None] = {}
    for (round_id, partnership_id, title, closes_at, respondents, invited, townsley, gaster,
         overall, scores) in summaries:
        scores = scores or {}
        factors.update(dict.fromkeys(scores.get("factor", {})))
        rows[partnership_id].rounds.append(RoundPoint(
            round_id=round_id, title=title, closes_at=closes_at, respondents=respondents,
            invited=invited, townsley=townsley, gaster=gaster, overall=overall, scores=scores))
    return Comparison(rows=list(rows.values()), factors=list(factors))


def _latest_score(tag: str, value: str, row) -> float | None:
    return row.latest.score(tag, value) if row.latest else None


SORT_KEYS = {
    "name": lambda r: r.name.lower(),
    "round": lambda r: r.latest.closes_at.timestamp() if r.latest else None,
    "response_rate": lambda r: r.latest.response_rate if r.latest else None,
    "townsley": lambda r: TOWNSLEY.index(r.latest.townsley)
    if r.latest and r.latest.townsley in TOWNSLEY else None,
    "gaster": lambda r: int(r.latest.gaster) if r.latest and r.latest.gaster else None,
    "overall": lambda r: r.latest.overall if r.latest else None,
    **{d: partial(_latest_score, "dimension", d) for d in DIMENSIONS},
    **{a: partial(_latest_score, "area", a) for a in AREAS},
}


def sort_and_filter(rows: list[PartnershipRow], *, sort: str = "name", descending=False,
                    text: str = "", townsley: str = "", gaster: str = "") -> list[PartnershipRow]:
    key = SORT_KEYS.get(sort, SORT_KEYS["name"])
    needle = text.strip().lower()
    chosen = [r for r in rows
              if (not needle or needle in r.name.lower() or needle in r.client_group.lower())
              and (not townsley or (r.latest and r.latest.townsley == townsley))
              and (not gaster or (r.latest and r.latest.gaster == gaster))]
    keyed = [(key(r), r.name.lower(), r) for r in chosen]  # each key worked out once
    # Rows without a value always sink to the bottom, whichever way the column is sorted.
    present = sorted((k for k in keyed if k[0] is not None), key=lambda k: k[:2],
                     reverse=descending)
    missing = sorted((k for k in keyed if k[0] is None), key=lambda k: k[1])
    return [r for *_, r in present + missing]


TABLE_COLUMNS = (["partnership", "client_group", "latest_round", "closed", "respondents",
                  "invited", "response_rate", "townsley", "gaster", "overall"]
                 + [f"dimension_{d}" for d in DIMENSIONS] + [f"area_{a}" for a in AREAS])


def table_rows(rows: list[PartnershipRow]) -> Iterator[list]:
    for row in rows:
        latest = row.latest
        if latest is None:
            yield [row.name, row.client_group] + [None] * (len(TABLE_COLUMNS) - 2)
            continue
        yield ([row.name, row.client_group, latest.title, latest.closes_at.date().isoformat(),
                latest.respondents, latest.invited,
                None if latest.response_rate is None else round(latest.response_rate, 3),
                latest.townsley, latest.gaster, _round(latest.overall)]
               + [_round(latest.score("dimension", d)) for d in DIMENSIONS]
               + [_round(latest.score("area", a)) for a in AREAS])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


ITEM_COLUMNS = ["partnership", "round", "respondent", "agency", "sector", "level", "item_id",
                "value"]
SUPPRESSED = "(group too small to show)"


def item_rows(session: Session, organisation_id: int, secret: str) -> Iterator[list]:
    """Every submitted answer in the organisation's closed rounds, anonymised: respondent ids
    become keyed hashes, and the agency and level of any group smaller than its round's
    anonymity threshold are withheld."""
    rounds = select(AssessmentRound.id).join(
        Partnership, Partnership.id == AssessmentRound.partnership_id).where(
        Partnership.organisation_id == organisation_id,
        AssessmentRound.status == RoundStatus.closed)
    submitted = (col(Respondent.submitted_at).is_not(None), col(Respondent.revoked_at).is_(None),
                 col(Respondent.round_id).in_(rounds))
    agency_sizes = {(r, a): n for r, a, n in session.exec(
        select(Respondent.round_id, Respondent.agency_id, func.count())
        .where(*submitted).group_by(Respondent.round_id, Respondent.agency_id))}
    level_sizes = {(r, lv): n for r, lv, n in session.exec(
        select(Respondent.round_id, Respondent.level, func.count())
        .where(*submitted).group_by(Respondent.round_id, Respondent.level))}
    answers = session.exec(
        select(Partnership.name, AssessmentRound.title, AssessmentRound.id,
               AssessmentRound.anonymity_threshold, Respondent.id, Agency.id, Agency.name,
               Agency.sector, Respondent.level, Answer.item_id, Answer.value)
        .join(AssessmentRound, AssessmentRound.id == Respondent.round_id)
        .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
        .join(Agency, Agency.id == Respondent.agency_id)
        .join(Answer, Answer.respondent_id == Respondent.id)
        .where(*submitted)
        .order_by(Partnership.name, AssessmentRound.id, Respondent.id, Answer.item_id)
        .execution_options(yield_per=2000))
    for (partnership, title, round_id, threshold, respondent_id, agency_id, agency, sector,
         level, item_id, value) in answers:
        small_agency = agency_sizes.get((round_id, agency_id), 0) < threshold
        small_level = level_sizes.get((round_id, level), 0) < threshold
        yield [partnership, title, pseudonym(secret, respondent_id),
               SUPPRESSED if small_agency else agency, SUPPRESSED if small_agency else sector,
               SUPPRESSED if small_level else level, item_id, value]


def pseudonym(secret: str, respondent_id: int) -> str:
    digest = hmac.new(secret.encode(), f"respondent:{respondent_id}".encode(), hashlib.sha256)
    return "R-" + digest.hexdigest()[:12]


def safe_cell(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote:
    partnership and agency names are typed by users."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(header: list[str], rows) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(sheets: dict[str, tuple[list[str], Iterator[list]]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
