"""An organisation's partnerships side by side, built from the score summaries kept for
closed rounds, in a fixed number of queries however many partnerships there are."""

import csv
import hashlib
import hmac
import io
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from statistics import fmean

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
from app.questionnaires.schema import ROSTER_MARK
from app.scoring import disclosure
from app.services.inputs import strip_control_characters
from app.services.results import counted

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
SUPPRESSED = "(withheld)"


@dataclass(frozen=True)
class _Released:
    """What a download says about one counted respondent."""

    pseudonym: str
    agency: str
    sector: str
    level: str


def item_rows(session: Session, organisation_id: int) -> Iterator[list]:
    """Every counted answer in the organisation's closed rounds, anonymised for one download:

    - a round too small to show any figure is left out;
    - a row's agency (with its sector) and level are shown only where the round's results show
      that group (the same disclosure plan); if a combination of the two shown would still hold
      fewer people than the threshold, the round's levels are all withheld, so every
      combination a row carries holds at least the threshold (k-anonymity by global recoding);
    - respondents get pseudonyms from a key made for this download, so no two downloads or
      rounds can be joined on them, and rows are in pseudonym order, not the order people
      answered."""
    released = _released(session, organisation_id, key=secrets.token_bytes(32))
    answers = session.exec(
        select(Partnership.name, AssessmentRound.title, AssessmentRound.id, Respondent.id,
               Answer.item_id, Answer.value)
        .join(AssessmentRound, AssessmentRound.id == Respondent.round_id)
        .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
        .join(Answer, Answer.respondent_id == Respondent.id)
        .where(col(Respondent.id).in_(list(released) or [-1]), col(Answer.value).is_not(None),
               # Not roster answers ("item@agency"): which agency a respondent was not asked
               # about would give their agency away (docs/privacy.md, rule 5).
               col(Answer.item_id).not_like(f"%{ROSTER_MARK}%"))
        .order_by(Partnership.name, AssessmentRound.id)
        .execution_options(yield_per=2000))
    buffered: list[list] = []
    current = None
    for partnership, title, round_id, respondent_id, item_id, value in answers:
        if round_id != current and buffered:
            yield from sorted(buffered, key=lambda r: (r[2], r[6]))
            buffered = []
        current = round_id
        person = released[respondent_id]
        buffered.append([partnership, title, person.pseudonym, person.agency, person.sector,
                         person.level, item_id, value])
    yield from sorted(buffered, key=lambda r: (r[2], r[6]))


def _released(session: Session, organisation_id: int, *, key: bytes) -> dict[int, _Released]:
    """Each counted respondent of the organisation's closed rounds, as a download shows them."""
    people = session.exec(
        select(AssessmentRound.id, AssessmentRound.anonymity_threshold,
               AssessmentRound.closed_at, Respondent.id, Respondent.submitted_at,
               Respondent.revoked_at, Agency.name, Agency.sector, Respondent.level)
        .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
        .join(Respondent, Respondent.round_id == AssessmentRound.id)
        .join(Agency, Agency.id == Respondent.agency_id)
        .where(Partnership.organisation_id == organisation_id,
               AssessmentRound.status == RoundStatus.closed,
               col(Respondent.submitted_at).is_not(None))).all()
    by_round = defaultdict(list)
    for round_id, threshold, closed_at, respondent_id, submitted, revoked, *who in people:
        if counted(submitted, revoked, closed_at):
            by_round[(round_id, threshold)].append((respondent_id, *who))
    released = {}
    for (_, threshold), members in by_round.items():
        shown = disclosure.plan(disclosure.cells_of((a, lv) for _, a, _, lv in members),
                                threshold)
        if not shown.whole:
            continue
        agency = {m[0]: m[1] if shown.shows(disclosure.AGENCY, m[1]) else SUPPRESSED
                  for m in members}
        level = {m[0]: m[3] if shown.shows(disclosure.LEVEL, m[3]) else SUPPRESSED
                 for m in members}
        combinations = Counter((agency[m[0]], level[m[0]]) for m in members)
        if min(combinations.values()) < threshold:
            level = dict.fromkeys(level, SUPPRESSED)
        for respondent_id, _agency, sector, _level in members:
            shown_agency = agency[respondent_id]
            released[respondent_id] = _Released(
                pseudonym=pseudonym(key, respondent_id), agency=shown_agency,
                sector=SUPPRESSED if shown_agency == SUPPRESSED else sector,
                level=level[respondent_id])
    return released


def pseudonym(key: bytes, respondent_id: int) -> str:
    digest = hmac.new(key, f"respondent:{respondent_id}".encode(), hashlib.sha256)
    return "R-" + digest.hexdigest()[:12]


def safe_cell(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote:
    partnership and agency names are typed by users. Control characters (kept from before
    names were checked) are removed: a spreadsheet refuses them."""
    if not isinstance(value, str):
        return value
    value = strip_control_characters(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
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
