"""The comparison's downloads, on one instrument each: the table of partnerships (every score
of their latest closed rounds, with the instrument's labels beside its codes) and the
anonymised answers (with each question's text, the answer's label and its score)."""

import csv
import io
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Partnership,
    Respondent,
    RoundStatus,
)
from app.questionnaires.schema import ROSTER_MARK, Questionnaire
from app.scoring import disclosure
from app.services import questionnaires, results, xlsx
from app.services.comparison import (
    SCORE_TAGS,
    SUPPRESSED,
    Comparison,
    Instrument,
    pseudonym,
    safe_cell,
)
from app.services.results import counted

TABLE_FIXED = ["partnership", "client_group", "instrument", "latest_round", "closed",
               "respondents", "invited", "response_rate"]


def table_columns(data: Comparison) -> list[str]:
    """The table's columns: fixed ones, each placement with its label, the overall score, then
    a column per dimension, area and factor that has scores (e.g. factor_funding)."""
    placements = [name for model in data.placements for name in (model, f"{model}_label")]
    scores = [f"{tag}_{value}" for tag in (*SCORE_TAGS, "factor") for value in
              data.columns(tag)]
    return TABLE_FIXED + placements + ["overall", "overall_band"] + scores


def column_labels(data: Comparison) -> list[list[str]]:
    """What each column of the table holds, in words: the XLSX's "Columns" sheet."""
    instrument = data.instrument
    rows = [["partnership", "Partnership"], ["client_group", "Client group"],
            ["instrument", f"Instrument: {instrument.name}, key {instrument.ref}"],
            ["latest_round", "Latest closed round on this instrument"],
            ["closed", "The date that round closed"],
            ["respondents", "Board members counted"], ["invited", "Board members invited"],
            ["response_rate", "Counted of invited (0 to 1)"]]
    for model in data.placements:
        rows += [[model, f"{model.capitalize()} placement (code)"],
                 [f"{model}_label", f"{model.capitalize()} placement"]]
    rows += [["overall", "Overall score, 0 to 100"], ["overall_band", "Overall band"]]
    for tag in (*SCORE_TAGS, "factor"):
        rows += [[f"{tag}_{value}", f"{instrument.label(tag, value)} ({tag} score, 0 to 100)"]
                 for value in data.columns(tag)]
    return rows


def table_rows(data: Comparison) -> Iterator[list]:
    instrument, width = data.instrument, len(table_columns(data))
    score_columns = [(tag, value) for tag in (*SCORE_TAGS, "factor")
                     for value in data.columns(tag)]
    for row in data.rows:
        latest = row.latest
        if latest is None:
            yield [row.name, row.client_group, instrument.ref] + [None] * (width - 3)
            continue
        placements = []
        for model in data.placements:
            level = getattr(latest, model)
            placements += [level, instrument.label(model, level) if level else None]
        band = instrument.band(latest.overall)
        yield ([row.name, row.client_group, instrument.ref, latest.title,
                latest.closed_on.date().isoformat(), latest.respondents, latest.invited,
                None if latest.response_rate is None else round(latest.response_rate, 3)]
               + placements + [_round(latest.overall), band[0] if band else None]
               + [_round(latest.score(tag, value)) for tag, value in score_columns])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


ITEM_COLUMNS = ["partnership", "round", "respondent", "agency", "sector", "level",
                "instrument", "section", "item_id", "question", "value", "answer", "score",
                "factor", "factor_label"]


@dataclass(frozen=True)
class _Released:
    """What a download says about one counted respondent."""

    pseudonym: str
    agency: str
    sector: str
    level: str


def _on(instrument: Instrument):
    return (AssessmentRound.questionnaire_key == instrument.key,
            AssessmentRound.questionnaire_version == instrument.version)


def item_rows(session: Session, *, organisation_id: int, instrument: Instrument,
              catalogue) -> Iterator[list]:
    """Every counted answer in the organisation's closed rounds on the instrument, anonymised
    for one download, each beside its question's text, the answer's label and its score:

    - a round too small to show any figure is left out;
    - a row's agency (with its sector) and level are shown only where the round's results show
      that group (the same disclosure plan); if a combination of the two shown would still hold
      fewer people than the threshold, the round's levels are all withheld, so every
      combination a row carries holds at least the threshold (k-anonymity by global recoding);
    - respondents get pseudonyms from a key made for this download, so no two downloads or
      rounds can be joined on them, and rows are in pseudonym order, not the order people
      answered."""
    released = _released(session, organisation_id, instrument, key=secrets.token_bytes(32))
    answers = session.exec(
        select(Partnership.name, AssessmentRound.title, AssessmentRound.id,
               AssessmentRound.questionnaire_sha256, Respondent.id, Answer.item_id,
               Answer.value)
        .join(AssessmentRound, AssessmentRound.id == Respondent.round_id)
        .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
        .join(Answer, Answer.respondent_id == Respondent.id)
        .where(col(Respondent.id).in_(list(released) or [-1]), col(Answer.value).is_not(None),
               # Not roster answers ("item@agency"): which agency a respondent was not asked
               # about would give their agency away (docs/privacy.md, rule 5).
               col(Answer.item_id).not_like(f"%{ROSTER_MARK}%"))
        .order_by(Partnership.name, AssessmentRound.id)
        .execution_options(yield_per=2000))
    described = _Described(session, instrument, catalogue)
    buffered: list[list] = []
    current = None
    for partnership, title, round_id, sha256, respondent_id, item_id, value in answers:
        if round_id != current and buffered:
            yield from sorted(buffered, key=lambda r: (r[2], r[8]))
            buffered = []
        current = round_id
        person = released[respondent_id]
        buffered.append([partnership, title, person.pseudonym, person.agency, person.sector,
                         person.level, instrument.ref,
                         *described.answer(round_id, sha256, item_id, value)])
    yield from sorted(buffered, key=lambda r: (r[2], r[8]))


class _Described:
    """Each answer's section, question, label, score and factor, from the questionnaire its
    round kept (the same version's text may have been edited between rounds): worked out
    once per question and answer."""

    def __init__(self, session: Session, instrument: Instrument, catalogue):
        self.session, self.instrument, self.catalogue = session, instrument, catalogue
        self.questionnaires: dict[str | None, Questionnaire] = {}
        self.answers: dict[tuple, list] = {}

    def questionnaire(self, round_id: int, sha256: str | None) -> Questionnaire:
        if sha256 not in self.questionnaires:
            found = questionnaires.find_round_questionnaire(
                self.session, round_=AssessmentRound(
                    id=round_id, questionnaire_key=self.instrument.key,
                    questionnaire_version=self.instrument.version,
                    questionnaire_sha256=sha256), catalogue=self.catalogue)
            self.questionnaires[sha256] = found or self.instrument.questionnaire
        return self.questionnaires[sha256]

    def answer(self, round_id: int, sha256: str | None, item_id: str, value: str) -> list:
        described = self.answers.get((sha256, item_id, value))
        if described is None:
            questionnaire = self.questionnaire(round_id, sha256)
            item = questionnaire.item(item_id)
            if item is None:  # an answer edited in by hand: shown as it is
                described = [None, item_id, None, value, None, None, None, None]
            else:
                option = item.scale.option(value)
                score = item.scale.score(value, reverse=item.reverse)
                factors = item.tag("factor")
                section = questionnaire.section(item.section_id)
                described = [section.title if section else None, item_id, item.text, value,
                             option.label if option else None,
                             None if score is None else round(score, 1),
                             "; ".join(factors) or None,
                             "; ".join(questionnaire.tag_label("factor", f) for f in factors)
                             or None]
            self.answers[(sha256, item_id, value)] = described
        return described


def _released(session: Session, organisation_id: int, instrument: Instrument, *,
              key: bytes) -> dict[int, _Released]:
    """Each counted respondent of the organisation's closed rounds on the instrument, as a
    download shows them."""
    people = session.exec(
        select(AssessmentRound, Respondent.id, Respondent.submitted_at,
               Respondent.revoked_at, Agency.id, Agency.name, Agency.sector, Respondent.level)
        .join(Partnership, Partnership.id == AssessmentRound.partnership_id)
        .join(Respondent, Respondent.round_id == AssessmentRound.id)
        .join(Agency, Agency.id == Respondent.agency_id)
        .where(Partnership.organisation_id == organisation_id,
               AssessmentRound.status == RoundStatus.closed, *_on(instrument),
               col(Respondent.submitted_at).is_not(None))).all()
    by_round = defaultdict(list)
    rounds = {}
    for round_, respondent_id, submitted, revoked, *who in people:
        if counted(submitted, revoked, round_.closed_at):
            rounds[round_.id] = round_
            by_round[round_.id].append((respondent_id, *who))
    released = {}
    for round_id, members in by_round.items():
        round_ = rounds[round_id]
        threshold = round_.anonymity_threshold
        shown = results.shown_groups(round_, disclosure.cells_of(
            (str(agency_id), lv) for _, agency_id, _, _, lv in members), threshold)
        if not shown.whole:
            continue
        agency = {m[0]: m[2] if shown.shows(disclosure.AGENCY, str(m[1])) else SUPPRESSED
                  for m in members}
        level = {m[0]: m[4] if shown.shows(disclosure.LEVEL, m[4]) else SUPPRESSED
                 for m in members}
        combinations = Counter((agency[m[0]], level[m[0]]) for m in members)
        if min(combinations.values()) < threshold:
            level = dict.fromkeys(level, SUPPRESSED)
        for respondent_id, _id, _agency, sector, _level in members:
            shown_agency = agency[respondent_id]
            released[respondent_id] = _Released(
                pseudonym=pseudonym(key, respondent_id), agency=shown_agency,
                sector=SUPPRESSED if shown_agency == SUPPRESSED else sector,
                level=level[respondent_id])
    return released


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
    return xlsx.workbook(sheets, clean=safe_cell)
