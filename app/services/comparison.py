"""An organisation's partnerships side by side on one instrument, built from the score
summaries kept for closed rounds: the instruments there are to compare on, each row's rounds,
sorting and filtering. The queries are in comparison_page, the exports in comparison_exports."""

import hashlib
import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from statistics import fmean

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import AssessmentRound, Partnership, RoundStatus, RoundSummary
from app.questionnaires.loader import CORE_KEY, Catalogue
from app.questionnaires.schema import Bands, Questionnaire
from app.services import questionnaires
from app.services.inputs import strip_control_characters

# The tags whose scores the table shows as columns, and the placements it can show, when the
# instrument has them; the factors are the heatmap's columns.
SCORE_TAGS = ("dimension", "area")
PLACEMENTS = ("townsley", "gaster")
HEAT_STEPS = 5  # shades of the heatmap's scale (compare.css: .maps-heat--1 to --5)


@dataclass(frozen=True)
class Instrument:
    """A questionnaire (key and version) that rounds of the organisation were scored on: only
    partnerships on the same one are compared, since scores of different instruments do not
    measure the same thing."""

    key: str
    version: int
    questionnaire: Questionnaire
    partnerships: int  # how many of the organisation's partnerships have a closed round on it

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    @property
    def name(self) -> str:
        return f"{self.questionnaire.title} (version {self.version})"

    def label(self, tag: str, value: str) -> str:
        return self.questionnaire.tag_label(tag, value)

    def values(self, tag: str) -> tuple[str, ...]:
        """A tag's values in the instrument's order (worked out once: a page asks often)."""
        known = self._values.get(tag)
        if known is None:
            known = self._values[tag] = self.questionnaire.tag_values(tag)
        return known

    @cached_property
    def _values(self) -> dict[str, tuple[str, ...]]:
        return {}

    def ordered(self, tag: str, seen) -> list[str]:
        """The values of a tag that have scores, in the instrument's order, then any other."""
        seen = dict.fromkeys(seen)
        known = [v for v in self.values(tag) if v in seen]
        return known + [v for v in seen if v not in known]

    def levels(self, model: str) -> tuple[str, ...]:
        """A placement model's levels in the instrument's order (empty if it has none)."""
        return self.values(model)

    @cached_property
    def bands(self) -> Bands | None:
        """The bands factor scores are read against, if they can be read from a 0-100 score
        (bands on totals need the answers, which the summaries do not keep)."""
        bands = self.questionnaire.bands_for("factor")
        return bands if bands and bands.levels and bands.basis != "total" else None

    @cached_property
    def band_key(self) -> list[tuple[str, str, int, str]]:
        """(label, letter, shade, range) of each band, highest first: the heatmap's key."""
        bands = self.bands
        if bands is None:
            return []
        labels = [b.label for b in bands.levels]
        letters = [label[:1].upper() for label in labels]
        if len(set(letters)) < len(letters):  # bands whose names start alike: numbered
            letters = [str(n) for n in range(len(labels), 0, -1)]
        unit = "" if bands.basis == "score" else " on the scale"
        bounds = [_number(b.min) for b in bands.levels]
        if len(bounds) == 1:
            ranges = ["every score"]
        else:  # band i runs from its minimum to under the minimum of the band above it
            ranges = [f"{bounds[0]} and above{unit}"]
            ranges += [f"{low} to under {high}{unit}"
                       for high, low in zip(bounds[:-2], bounds[1:-1], strict=True)]
            ranges.append(f"under {bounds[-2]}{unit}")
        return list(zip(labels, letters, _shades(len(labels)), ranges, strict=True))

    def band(self, score: float | None) -> tuple[str, str, int] | None:
        """A factor score's band: (label, letter, shade); None without a score or bands."""
        bands = self.bands
        if bands is None or score is None:
            return None
        return self._bands_by_label.get(bands.band(score))

    def heat(self, point: "RoundPoint", factors: list[str]) -> list[tuple]:
        """(score, band) of each of these factors in the round: a row of the heatmap, in one
        call (the page has hundreds of cells, and each call from a template costs)."""
        scores = [point.score("factor", factor) for factor in factors]
        return [(score, self.band(score)) for score in scores]

    @cached_property
    def _bands_by_label(self) -> dict[str, tuple[str, str, int]]:
        return {name: (name, letter, shade) for name, letter, shade, _ in self.band_key}


def _number(value: float) -> str:
    return f"{value:g}"


def _shades(count: int) -> list[int]:
    """The shades of `count` bands, highest first: spread over the scale, darkest highest."""
    if count == 1:
        return [HEAT_STEPS]
    return [HEAT_STEPS - round(i * (HEAT_STEPS - 1) / (count - 1)) for i in range(count)]


def instruments(session: Session, *, organisation_id: int,
                catalogue: Catalogue) -> list[Instrument]:
    """The instruments the organisation's closed, summarised rounds were on (the default one
    if none): the core instrument first, newest version first. One query; each
    questionnaire is the one the latest round on it kept."""
    used = (select(AssessmentRound.questionnaire_key.label("key"),
                   AssessmentRound.questionnaire_version.label("version"),
                   func.max(AssessmentRound.id).label("newest"),
                   func.count(func.distinct(AssessmentRound.partnership_id)).label("count"))
            .join(RoundSummary, RoundSummary.round_id == AssessmentRound.id)
            .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
            .where(Partnership.organisation_id == organisation_id,
                   AssessmentRound.status == RoundStatus.closed)
            .group_by(AssessmentRound.questionnaire_key,
                      AssessmentRound.questionnaire_version)).subquery()
    # With the text each latest round kept: a version's file may have been edited since.
    rows = session.exec(select(used.c.key, used.c.version, used.c.newest, used.c.count,
                               AssessmentRound.questionnaire_sha256)
                        .join(AssessmentRound, AssessmentRound.id == used.c.newest)).all()
    found = []
    for key, version, newest, partnerships, sha256 in rows:
        kept = questionnaires.find_round_questionnaire(session, round_=AssessmentRound(
            id=newest, questionnaire_key=key, questionnaire_version=version,
            questionnaire_sha256=sha256), catalogue=catalogue)
        # A definition no longer kept or installed: its scores still compare, by their ids.
        kept = kept or Questionnaire(key=key, version=version, title=key, scales={},
                                     sections=())
        found.append(Instrument(key, version, kept, partnerships))
    if not found:  # nothing closed yet: the partnerships are listed on the default instrument
        default = catalogue.instruments()[0]
        found.append(Instrument(default.key, default.version, default.questionnaire, 0))
    return sorted(found, key=lambda i: (i.key != CORE_KEY, i.questionnaire.title.casefold(),
                                        i.key, -i.version))


def choose(found: list[Instrument], ref: str) -> Instrument | None:
    """The instrument "key@version" among those found; the first (the default) for ""."""
    return next((i for i in found if i.ref == ref), None) if ref else found[0]


@dataclass
class RoundPoint:
    round_id: int
    title: str
    closed_on: datetime  # when the round closed: early, or at its planned date
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

    def scores_in(self, columns: list[tuple[str, str]]) -> list[float | None]:
        """The score of each (tag, value) column, for a table row in one call."""
        return [self.scores.get(tag, {}).get(value) for tag, value in columns]


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

    def movement(self, instrument: Instrument) -> dict[str, int | None]:
        """Steps moved on each ladder since the previous round (+ up, - down)."""
        latest, previous = self.latest, self.previous
        if not latest or not previous:
            return dict.fromkeys(PLACEMENTS)
        return {model: _step(instrument.levels(model), getattr(previous, model),
                             getattr(latest, model)) for model in PLACEMENTS}

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
    """Partnerships on one instrument, each with its closed rounds on it (or only the
    latest), and the summaries over them."""

    instrument: Instrument
    rows: list[PartnershipRow]

    @cached_property
    def assessed(self) -> list[PartnershipRow]:
        """The rows with a closed round (worked out once: there may be thousands)."""
        return [r for r in self.rows if r.rounds]

    @cached_property
    def _scored(self) -> dict[str, dict]:
        """Each tag's values that any latest round has a score for, in one pass."""
        scored: dict[str, dict] = defaultdict(dict)
        for row in self.assessed:
            for tag, values in row.rounds[-1].scores.items():
                scored[tag].update(values)  # only the keys are used
        return scored

    def columns(self, tag: str) -> list[str]:
        """The values of a tag that any latest round has a score for, in the instrument's
        order: the columns shown, so a heading's count is the count of its columns."""
        return self.instrument.ordered(tag, self._scored.get(tag, {}))

    @property
    def factors(self) -> list[str]:
        return self.columns("factor")

    @property
    def placements(self) -> list[str]:
        """The placement models the instrument has (the table's columns and filters)."""
        return [model for model in PLACEMENTS if self.instrument.levels(model)]

    def placement_counts(self, model: str) -> dict[str, int]:
        counts = Counter(getattr(r.latest, model) for r in self.assessed)
        return {level: counts.get(level, 0) for level in self.instrument.levels(model)} | (
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
                for level in self.instrument.levels("townsley") if level in grouped}


def _latest_score(tag: str, value: str, row) -> float | None:
    return row.latest.score(tag, value) if row.latest else None


def _placement_key(instrument: Instrument, model: str, row) -> int | None:
    levels = instrument.levels(model)
    level = getattr(row.latest, model) if row.latest else None
    return levels.index(level) if level in levels else None


FIXED_SORTS = {
    "name": lambda r: r.name.lower(),
    "round": lambda r: r.latest.closed_on.timestamp() if r.latest else None,
    "response_rate": lambda r: r.latest.response_rate if r.latest else None,
    "overall": lambda r: r.latest.overall if r.latest else None,
}


def sort_key(instrument: Instrument, sort: str):
    """The key of a column: a fixed one, a placement, or a score tag's value."""
    if sort in FIXED_SORTS:
        return FIXED_SORTS[sort]
    if sort in PLACEMENTS:
        return lambda row: _placement_key(instrument, sort, row)
    for tag in SCORE_TAGS:
        if sort in instrument.values(tag):
            return lambda row: _latest_score(tag, sort, row)
    return FIXED_SORTS["name"]


def sort_and_filter(rows: list[PartnershipRow], instrument: Instrument, *, sort: str = "name",
                    descending=False, text: str = "", townsley: str = "",
                    gaster: str = "") -> list[PartnershipRow]:
    key = sort_key(instrument, sort)
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


SUPPRESSED = "(withheld)"


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
