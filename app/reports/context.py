"""Everything the report shows, as one typed context built from a round's result, so the
HTML page and the PDF read the same data."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from app.meeting import rules as meeting_rules
from app.meeting.record import BoardSection
from app.questionnaires.schema import Bands, Questionnaire
from app.recommendations.labels import group_label, in_words, points
from app.recommendations.library import Library
from app.recommendations.matching import Recommendation, recommend
from app.reports.charts import Chart, build_charts
from app.reports.collaboration import CollaborationSection
from app.scoring import thresholds as scoring
from app.scoring.change import RoundChange
from app.scoring.consensus import Agreement, Gap
from app.scoring.result import RoundResult
from app.scoring.scores import Headline
from app.scoring.typologies import STATUS_WORDS, Criterion, Placement

STATUSES = {"not_started": "Not started", "in_progress": "In progress", "done": "Done",
            "dropped": "Dropped"}
CRITERION_STATUSES = {"in_place": "In place", "partly": "Partly in place",
                      "not_in_place": "Not in place", "unknown": "Not known"}
# The consensus section lists this many contested items, disputed facts and gaps of each
# kind, largest first (the board paper stays short); the appendix has every item.
MAX_CONTESTED_LISTED = 8
# Agencies and levels named in a running header are shortened to this many characters;
# the cover and the title always carry the whole name.
HEADER_CHARS = 70
# The board's comments in the main part of the PDF: each shortened to about this many
# characters, and this many characters of them in all, about a page in two columns, so that
# long comments (up to 4,000 characters each) still leave the board paper at 12 pages; the
# appendix then gives them whole, up to COMMENTS_IN_APPENDIX characters (about 25 pages),
# which bounds the time a PDF takes whatever a board writes. The results page shows every
# comment whole. MAPS's own choices.
COMMENT_SHORTENED_TO = 300
COMMENTS_IN_BRIEF = 4_000
COMMENTS_IN_APPENDIX = 100_000
# The instrument whose dimensions and areas the score section explains from the review.
CORE_KEY = "multi-agency-working"
# The scored tags from the finest to the broadest: the summary's strengths and priorities are
# the finest the instrument scores (an instrument may group its items only into areas).
FINEST_FIRST = ("factor", "area", "dimension")
# What a figure is called, by the basis it is on (app/questionnaires/schema.py, DECIMALS).
FIGURE_NAMES = {"score": "score", "mean": "mean", "total": "total"}
# How the summary names the two ordered models it gives a sentence each (one spelling).
AUTHORS = {"townsley": "Townsley et al.", "gaster": "Gaster et al."}


def figure_heading(rows: Sequence["ScoreRow"]) -> str:
    """A score table's heading for its figures: "Mean (1 to 5)", "Total", "Score"."""
    figure = next((row.headline for row in rows if row.headline), None)
    if figure is None or figure.basis == "score":
        return "Score"
    if figure.basis == "mean":
        return f"Mean ({figure.low:g} to {figure.high:g})"
    return "Total"


def plain(value: float) -> str:
    """A number from a definition as it wrote it: 5, not 5.0."""
    return f"{value:g}"


def long_date(value: date | None) -> str:
    """GOV.UK style: 4 March 2026."""
    return f"{value.day} {value:%B %Y}" if value else ""


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class ActionPlanRow:
    text: str
    owner_agency: str = ""
    lead: str = ""
    target_date: date | None = None
    success_measure: str = ""
    status: str = "not_started"  # not_started, in_progress, done, dropped

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status.replace("_", " ").capitalize())

    @property
    def target_date_text(self) -> str:
        return long_date(self.target_date)


@dataclass(frozen=True)
class PreviousPlan:
    round_title: str
    rows: tuple[ActionPlanRow, ...]


@dataclass(frozen=True)
class ResponseRate:
    invited: int
    submitted: int

    @property
    def share(self) -> float | None:
        return self.submitted / self.invited if self.invited else None


@dataclass(frozen=True)
class ScoreRow:
    key: str
    label: str
    score: float | None  # 0-100
    band: str | None
    n: int
    headline: Headline | None = None  # the instrument's own figure, which the band is read on

    @property
    def text(self) -> str:
        """The figure a table prints: "3.99", "127", "64"."""
        return self.headline.number if self.headline else "–"

    @property
    def full(self) -> str:
        """The figure with its range: "3.99 out of 5", "127 of 175", "64 out of 100"."""
        return self.headline.text if self.headline else "–"

    @property
    def points(self) -> str:
        """The 0-100 score, where it is shown beside a mean or a total."""
        return points(self.score)

    @property
    def members(self) -> str:
        """Who the figure is from: members answering, or whose totals it is the mean of."""
        if self.headline and self.headline.respondents is not None:
            return self.headline.who.replace(" respondents", "").replace(" respondent", "")
        return str(self.n)

    @property
    def order(self) -> float | None:
        """Where it stands, for ranking rows: the figure's place in its range."""
        return None if self.headline is None else self.headline.fraction


@dataclass(frozen=True)
class Invited:
    """How many board members were invited from one agency, at each level (withdrawn
    invitations left out). Every board member's welcome page and the report show these, so a
    board can see an agency it knows to have one member invited three times."""

    agency: str
    strategic: int = 0
    operational: int = 0
    unchosen: int = 0  # the level left for the board member to give

    @property
    def total(self) -> int:
        return self.strategic + self.operational + self.unchosen

    @property
    def text(self) -> str:
        """"3 (1 strategic, 2 operational)"."""
        levels = [f"{n} {what}" for n, what in ((self.strategic, "strategic"),
                                                (self.operational, "operational"),
                                                (self.unchosen, "level not given yet")) if n]
        return f"{self.total} ({', '.join(levels)})" if levels else "0"


@dataclass(frozen=True)
class GroupCount:
    kind: str  # agency or level
    name: str
    label: str
    respondents: int | None  # None: withheld with the group's figures
    suppressed: bool


@dataclass(frozen=True)
class CommentGroup:
    """One question's comments, in the order of their text: never who wrote them, or when."""

    item_id: str
    text: str
    section: str
    comments: tuple[str, ...]


@dataclass(frozen=True)
class ShownComment:
    text: str
    shortened: bool  # cut at COMMENT_SHORTENED_TO: the rest is in the appendix


@dataclass(frozen=True)
class ShownGroup:
    """One question's comments as a part of the PDF shows them, and how many it leaves out."""

    group: CommentGroup
    comments: tuple[ShownComment, ...]
    more: int


@dataclass(frozen=True)
class CommentSelection:
    """The comments that fit a part of the PDF, `budget` characters of them, in the order of
    the whole list but every question's first comment first, so each question is heard; each
    shortened to `shorten_to` characters, or whole."""

    groups: tuple[ShownGroup, ...]
    left_out: int  # comments that did not fit
    questions_left_out: int  # questions none of whose comments fit
    complete: bool  # every comment is here, whole

    @classmethod
    def of(cls, groups: Sequence[CommentGroup], *, budget: int,
           shorten_to: int | None = None) -> "CommentSelection":
        shown: list[list[ShownComment]] = [[] for _ in groups]
        rank = 0
        while budget > 0 and any(rank < len(g.comments) for g in groups):
            for n, group in enumerate(groups):
                if rank < len(group.comments) and budget > 0:
                    comment = _shortened(group.comments[rank], shorten_to)
                    budget -= len(comment.text)
                    if budget >= 0:
                        shown[n].append(comment)
            rank += 1
        chosen = tuple(ShownGroup(g, tuple(s), len(g.comments) - len(s))
                       for g, s in zip(groups, shown, strict=True) if s)
        left_out = sum(len(g.comments) for g in groups) - sum(len(s) for s in shown)
        cut = any(c.shortened for g in chosen for c in g.comments)
        return cls(chosen, left_out, len(groups) - len(chosen), not left_out and not cut)


def _shortened(text: str, limit: int | None) -> ShownComment:
    """The comment, or its first words up to `limit` characters."""
    if limit is None or len(text) <= limit:
        return ShownComment(text, False)
    cut = text[:limit]
    words = cut.rsplit(None, 1)[0] if " " in cut.strip() else cut
    return ShownComment(words.rstrip(" ,;:.-–") + "…", True)


@dataclass(frozen=True)
class GapRow:
    between: str  # agency or level
    topic: str
    high: str
    high_score: float
    low: str
    low_score: float
    # With bands on a mean: each group's mean, which the row prints instead of its score.
    high_mean: Headline | None = None
    low_mean: Headline | None = None

    @property
    def size(self) -> int:
        """The difference of the two scores (0-100) printed beside it."""
        return int(points(self.high_score)) - int(points(self.low_score))

    @property
    def high_text(self) -> str:
        return self.high_mean.number if self.high_mean else points(self.high_score)

    @property
    def low_text(self) -> str:
        return self.low_mean.number if self.low_mean else points(self.low_score)

    @property
    def size_text(self) -> str:
        """The difference of the two figures printed beside it, in their own terms."""
        if self.high_mean and self.low_mean:
            return f"{self.high_mean.value - self.low_mean.value:.2f}"
        return str(self.size)


@dataclass(frozen=True)
class CriterionRow:
    item_id: str
    text: str
    status: str  # of the fact: in_place, partly, not_in_place, unknown
    status_label: str
    support: float | None  # Yes = 1, Partly = 0.5, No = 0
    n: int
    dont_know: int  # "don't know" and "not applicable" together
    against: bool = False  # the fact's presence counts against the level it is listed under


@dataclass(frozen=True)
class Step:
    level: str
    label: str
    strength: float | None  # share of its evidence that points to it
    status: str  # of its evidence as a whole: in_place, partly, not_in_place, unknown
    reached: bool  # at or below the placement
    current: bool
    criteria: tuple[CriterionRow, ...]

    @property
    def state(self) -> str:
        """Where it stands beside the placement, in words no other part contradicts."""
        own = f"{STATUS_WORDS[self.status]} as a whole" if self.criteria else "the floor"
        if self.current:
            return f"This partnership ({own})"
        return f"{'Below' if self.reached else 'Above'} this partnership ({own})"


@dataclass(frozen=True)
class PlacementGap:
    """A fact at or below an ordered placement that is not yet in place: a gap to close."""

    level: str
    label: str
    criterion: CriterionRow


@dataclass(frozen=True)
class Ladder:
    """An ordered model drawn as a scale or ladder, lowest step first, with the evidence."""

    model: str
    title: str
    source: str
    status: str  # placed, insufficient_evidence, not_assessed
    label: str | None
    level: str | None
    headline: str  # what the summary says: the same words as the section
    explanation: str
    margin: str
    steps: tuple[Step, ...]
    gaps: tuple[PlacementGap, ...]
    missing: tuple[CriterionRow, ...]
    next_level: str | None
    next_label: str | None
    firm: bool | None = None  # None: not placed, so there is nothing to be firm about

    @property
    def author(self) -> str:
        return AUTHORS.get(self.model, self.title)

    @property
    def sentence(self) -> str:
        """Where the partnership stands on this model and how firm that is, in one sentence
        for the summary page."""
        text = f"{self.headline[:1].upper()}{self.headline[1:]}."
        return f"{text} {self.margin}" if self.margin else text


@dataclass(frozen=True)
class PlacementLine:
    model: str
    title: str
    outcome: str  # the level's name, "Features of both ...", "Unclear", or why there is none
    explanation: str
    margin: str


@dataclass(frozen=True)
class ContestedRow:
    item_id: str
    text: str
    section: str
    reason: str
    agreement: float | None

    @property
    def reason_text(self) -> str:
        return self.reason[:1].upper() + self.reason[1:]


@dataclass(frozen=True)
class ItemRow:
    item_id: str
    text: str
    reverse: bool
    score: float | None
    band: str | None
    n: int
    unanswered: int
    counts: tuple[int, ...]  # one per option of the table's scale, "don't know" included
    headline: Headline | None = None

    @property
    def score_text(self) -> str:
        """The item's figure: its whole points, or its mean on its scale."""
        return self.headline.number if self.headline else "–"


@dataclass(frozen=True)
class ItemTable:
    section: str
    options: tuple[str, ...]
    rows: tuple[ItemRow, ...]
    facts: bool  # structural facts: no score, only the distribution

    @property
    def heading(self) -> str:
        """What the figure column holds: "Score" (0-100) or "Mean" (on the scale)."""
        basis = next((r.headline.basis for r in self.rows if r.headline), "score")
        return "Mean" if basis == "mean" else "Score"


@dataclass(frozen=True)
class ReportContext:
    partnership_name: str
    round_title: str
    questionnaire: Questionnaire
    result: RoundResult
    recommendations: tuple[Recommendation, ...]
    action_plan: tuple[ActionPlanRow, ...]
    previous_plan: PreviousPlan | None
    opens: date | None
    closes: date | None
    generated: date
    response_rate: ResponseRate | None
    charts: dict[str, Chart]
    by_agency: tuple[GroupCount, ...]
    by_level: tuple[GroupCount, ...]
    overall: ScoreRow
    dimensions: tuple[ScoreRow, ...]
    areas: tuple[ScoreRow, ...]
    factors: tuple[ScoreRow, ...]
    townsley: Ladder | None
    gaster: Ladder | None
    other_placements: tuple[PlacementLine, ...]
    contested: tuple[ContestedRow, ...]
    # How many each capped list has in all (contested, disputed_facts, agency_gaps,
    # level_gaps): a list cut at MAX_CONTESTED_LISTED says "the first N of M".
    totals: dict[str, int]
    disputed_facts: tuple[ContestedRow, ...]
    agency_gaps: tuple[GapRow, ...]
    level_gaps: tuple[GapRow, ...]
    suppressed: tuple[GroupCount, ...]
    compared: dict[str, int]  # agency/level -> how many groups are large enough to compare
    item_tables: tuple[ItemTable, ...]
    comments: tuple[CommentGroup, ...] = ()
    invitations: tuple[Invited, ...] = ()  # by agency; none when the answers came from a file
    thresholds: dict[str, float] = field(default_factory=dict)
    collaboration: "CollaborationSection | None" = None  # app/reports/collaboration.py
    change: RoundChange | None = None
    bands: tuple[tuple[str, str], ...] = ()  # (band, the numbers it covers), highest first
    tag_bands: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # tags' own bands
    has_library: bool = True  # the definition links to a recommendation library
    board: BoardSection | None = None  # app/meeting/record.py: the board's discussion

    @cached_property
    def comments_on_page(self) -> CommentSelection:
        """Every comment whole, as the results page shows them."""
        return CommentSelection.of(self.comments, budget=sum(
            len(c) for g in self.comments for c in g.comments) + 1)

    @cached_property
    def comments_in_brief(self) -> CommentSelection:
        """The comments that fit the PDF's main part."""
        return CommentSelection.of(self.comments, budget=COMMENTS_IN_BRIEF,
                                   shorten_to=COMMENT_SHORTENED_TO)

    @cached_property
    def comments_in_full(self) -> CommentSelection:
        """The comments the PDF's appendix gives whole (report/_comments_in_full.html)."""
        return CommentSelection.of(self.comments, budget=COMMENTS_IN_APPENDIX)

    @property
    def comments_appendix(self) -> bool:
        """Whether the PDF has the appendix of the comments in full: its main part had to cut
        or leave some out."""
        return not self.result.partnership.suppressed and not self.comments_in_brief.complete

    @property
    def is_core(self) -> bool:
        """The instrument MAPS's method is written for (the review's), any version."""
        return self.questionnaire.key == CORE_KEY

    @property
    def map_only(self) -> bool:
        """Only roster items were asked (the Levels of Collaboration Scale on its own): no
        score, only the collaboration map."""
        return self.collaboration is not None and self.result.coverage.items == 0

    @property
    def has_typologies(self) -> bool:
        return bool(self.townsley or self.gaster or self.other_placements)

    @property
    def has_facts(self) -> bool:
        """Whether the definition asks for its structural facts to be reported."""
        return self.questionnaire.links.structural_facts

    def in_terms(self, amount: float) -> str:
        """A difference on the 0-100 scale MAPS's rules are set on, in the instrument's terms
        where its figures are means: 15 points is 0.6 on a scale of 1 to 5."""
        if self.figure != "mean":
            return f"{amount:g} points" + (" on MAPS’s scale of 0 to 100"
                                           if self.figure == "total" else "")
        scale = self.questionnaire.bands.scale
        return f"{amount / 100 * (scale.high - scale.low):g} on the scale of {scale.low:g} to " \
               f"{scale.high:g}"

    @property
    def missing_labels(self) -> tuple[str, ...]:
        """The answers the scales leave out of every figure ("Don't know", "Not
        applicable"), each once."""
        return tuple(dict.fromkeys(o.label for scale in self.questionnaire.scales.values()
                                   for o in scale.options if o.missing))

    @property
    def figure(self) -> str:
        """What the overall figure is: "score", "mean" or "total"."""
        return FIGURE_NAMES[self.questionnaire.bands.basis if self.questionnaire.bands
                            else "score"]

    @property
    def shows_points(self) -> bool:
        """Whether the 0-100 score is printed beside a mean or a total."""
        return self.figure != "score" and self.questionnaire.scoring.points == "shown"

    @property
    def finest(self) -> tuple[str, tuple[ScoreRow, ...]]:
        """The finest tag the instrument scores and its rows: ("factor", factors)."""
        return next(((tag, rows) for tag, rows in (("factor", self.factors),
                                                   ("area", self.areas),
                                                   ("dimension", self.dimensions)) if rows),
                    ("factor", ()))

    @property
    def strengths(self) -> tuple[ScoreRow, ...]:
        """The three highest of the finest scored groups."""
        return _ranked(self.finest[1], highest=True)

    @property
    def weak(self) -> tuple[ScoreRow, ...]:
        """The three lowest of the finest scored groups but the strengths: the summary's
        priorities when there are no recommendations to give them (with many figures tied,
        a group is not called both)."""
        strengths = {row.key for row in self.strengths}
        return _ranked(tuple(r for r in self.finest[1] if r.key not in strengths),
                       highest=False)

    @property
    def title(self) -> str:
        return f"{self.partnership_name}: {self.round_title}"

    @property
    def header_name(self) -> str:
        name = self.partnership_name
        return name if len(name) <= HEADER_CHARS else name[:HEADER_CHARS - 1].rstrip() + "…"

    @property
    def priorities(self) -> tuple[Recommendation, ...]:
        return self.recommendations[:3]

    @property
    def coverage(self):
        return self.result.coverage

    @property
    def dates_text(self) -> str:
        if self.opens and self.closes:
            return f"{long_date(self.opens)} to {long_date(self.closes)}"
        return long_date(self.opens or self.closes)

    # Formatting for templates, so any Jinja environment can render them without filters.
    long_date = staticmethod(long_date)
    figure_heading = staticmethod(figure_heading)
    plain = staticmethod(plain)
    percent = staticmethod(percent)
    points = staticmethod(points)
    in_words = staticmethod(in_words)


def build_context(*, partnership_name: str, round_title: str, questionnaire: Questionnaire,
                  result: RoundResult, recommendations: Sequence[Recommendation] | None = None,
                  action_plan: Sequence[ActionPlanRow] = (),
                  previous_plan: PreviousPlan | None = None, opens: date | None = None,
                  closes: date | None = None, invited: int | None = None,
                  invitations: Sequence[Invited] = (),
                  generated: date | None = None, library: Library | None = None,
                  change: RoundChange | None = None) -> ReportContext:
    """The report's context. Recommendations are matched here unless given; `invited` is
    None when the answers came from a file and no response rate is known."""
    has_library = questionnaire.links.recommendations is not None
    if recommendations is None:
        recommendations = recommend(result, questionnaire, library)
    coverage = result.coverage
    factors = _scores(result, "factor")
    agency_gaps = _gaps(questionnaire, result, result.consensus.agency_gaps)
    level_gaps = _gaps(questionnaire, result, result.consensus.level_gaps)
    return ReportContext(
        partnership_name=partnership_name, round_title=round_title,
        questionnaire=questionnaire, result=result,
        recommendations=tuple(recommendations), action_plan=tuple(action_plan),
        previous_plan=previous_plan, opens=opens, closes=closes,
        generated=generated or date.today(),
        response_rate=(ResponseRate(invited=invited, submitted=coverage.respondents)
                       if invited is not None else None),
        charts=build_charts(result, questionnaire),
        by_agency=_counts(result, "agency", coverage.by_agency),
        by_level=_counts(result, "level", coverage.by_level),
        overall=ScoreRow("overall", "Overall", result.partnership.overall,
                         result.partnership.overall_band, coverage.respondents,
                         result.partnership.overall_headline),
        dimensions=_scores(result, "dimension"), areas=_scores(result, "area"),
        factors=factors,
        townsley=_ladder(result, "townsley"), gaster=_ladder(result, "gaster"),
        other_placements=tuple(_line(p) for p in result.placements
                               if p.model not in ("townsley", "gaster")
                               and p.status != "not_assessed"),
        contested=tuple(_contested(questionnaire, a)
                        for a in result.consensus.contested[:MAX_CONTESTED_LISTED]),
        disputed_facts=tuple(_contested(questionnaire, a) for a in
                             result.consensus.disputed_facts[:MAX_CONTESTED_LISTED]),
        agency_gaps=agency_gaps[:MAX_CONTESTED_LISTED],
        level_gaps=level_gaps[:MAX_CONTESTED_LISTED],
        totals={"contested": len(result.consensus.contested),
                "disputed_facts": len(result.consensus.disputed_facts),
                "agency_gaps": len(agency_gaps), "level_gaps": len(level_gaps)},
        suppressed=tuple(g for g in (*_counts(result, "agency", coverage.by_agency),
                                     *_counts(result, "level", coverage.by_level))
                         if g.suppressed),
        compared={kind: sum(1 for g in result.groups if g.kind == kind and not g.suppressed)
                  for kind in ("agency", "level")},
        item_tables=_item_tables(questionnaire, result),
        comments=_comments(questionnaire, result), invitations=tuple(invitations),
        change=change, bands=band_key(questionnaire.bands), has_library=has_library,
        tag_bands=tag_band_keys(questionnaire, result),
        thresholds={"anonymity": result.anonymity_threshold,
                    "notable_gap": scoring.NOTABLE_GAP, "contested_share": scoring.CONTESTED_SHARE,
                    "contested_sd": scoring.CONTESTED_SD, "in_place": scoring.IN_PLACE,
                    "not_in_place": scoring.NOT_IN_PLACE, "near_tie": scoring.NEAR_TIE,
                    "close_margin": scoring.CLOSE_MARGIN,
                    "min_respondents": scoring.MIN_RESPONDENTS,
                    "notable_change": scoring.NOTABLE_CHANGE, "change_z": scoring.CHANGE_Z,
                    "same_board": scoring.SAME_BOARD_SHARE,
                    "agreement_change": meeting_rules.AGREEMENT_CHANGE},
    )


def band_key(bands: Bands | None) -> tuple[tuple[str, str], ...]:
    """Each band with the numbers it covers, as the instrument defines them: "70 and above",
    "50 to 69", "below 50" on 0-100; "4.0 and above", "3.0 to under 4.0" on a mean; "127 and
    above" on a total."""
    if not bands or not bands.levels:
        return ()
    whole = bands.basis == "score"  # printed as whole numbers, so a band ends one below
    rows: list[tuple[str, str]] = []
    above, above_value = None, 0.0
    for n, band in enumerate(bands.levels):
        low = f"{band.min:.1f}" if bands.basis == "mean" else f"{band.min:g}"
        if above is None:
            text = f"{low} and above"
        elif n == len(bands.levels) - 1:
            text = f"below {above}"
        else:
            text = f"{low} to {above_value - 1:g}" if whole else f"{low} to under {above}"
        rows.append((band.label, text))
        above, above_value = low, band.min
    return tuple(rows)


def tag_band_keys(questionnaire: Questionnaire,
                  result: RoundResult) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(tag, its band key) for each scored tag with bands of its own (tag_bands)."""
    return tuple((tag, band_key(bands)) for tag, bands in questionnaire.tag_bands.items()
                 if bands is not None and tag in result.partnership.tags)


def _scores(result: RoundResult, tag: str) -> tuple[ScoreRow, ...]:
    return tuple(ScoreRow(s.value, s.label, s.score, s.band, s.n, s.headline)
                 for s in result.partnership.tags.get(tag, {}).values())


def _ranked(rows: tuple[ScoreRow, ...], *, highest: bool) -> tuple[ScoreRow, ...]:
    """The three rows with the highest (or lowest) figure, ties in the instrument's order."""
    order = {row.key: i for i, row in enumerate(rows)}
    shown = [row for row in rows if row.order is not None]
    return tuple(sorted(shown, key=lambda r: ((-1 if highest else 1) * r.order,
                                              order[r.key]))[:3])


def _counts(result: RoundResult, kind: str, counts: dict[str, int]) -> tuple[GroupCount, ...]:
    rows = []
    for name, n in counts.items():
        group = result.group(kind, name)
        rows.append(GroupCount(kind=kind, name=name, label=group_label(kind, name),
                               respondents=n, suppressed=bool(group and group.suppressed)))
    return tuple(rows)


def _comments(questionnaire: Questionnaire, result: RoundResult) -> tuple[CommentGroup, ...]:
    return tuple(CommentGroup(item_id=item_id, text=questionnaire.item(item_id).text,
                              section=questionnaire.section(
                                  questionnaire.item(item_id).section_id).title,
                              comments=tuple(texts))
                 for item_id, texts in result.comments.items())


def _criterion(c: Criterion) -> CriterionRow:
    return CriterionRow(item_id=c.item_id, text=c.text, status=c.status,
                        status_label=CRITERION_STATUSES.get(c.status, c.status),
                        support=c.support, n=c.n, dont_know=c.dont_know + c.not_applicable,
                        against=c.against)


def _headline(placement: Placement) -> str:
    """The placement in a few words, as the summary and the section heading give it."""
    if placement.status == "insufficient_evidence":
        return "not placed: too little evidence"
    if placement.status == "unclear":
        return "unclear: no form stands out"
    text = placement.label or ""
    if placement.model == "gaster":
        text = f"rung {placement.level} of {len(placement.levels)}, {text.lower()}"
        first = placement.levels[0]
        if placement.level == "1" and first.status != "in_place":
            text += f" (the foot of the ladder; its criteria are {STATUS_WORDS[first.status]})"
    if placement.margin and not placement.margin.firm:
        text += " – close to the line"
    return text


def _ladder(result: RoundResult, model: str) -> Ladder | None:
    placement = next((p for p in result.placements if p.model == model), None)
    if placement is None or placement.status == "not_assessed":
        return None
    placed = placement.status == "placed"
    steps = tuple(Step(level=lv.level, label=lv.label, strength=lv.strength, status=lv.status,
                       reached=placed and lv.reached,
                       current=placed and lv.level == placement.level,
                       criteria=tuple(_criterion(c) for c in lv.criteria))
                  for lv in placement.levels)
    next_label = next((lv.label for lv in placement.levels
                       if lv.level == placement.next_level), None)
    return Ladder(model=model, title=placement.title, source=placement.source,
                  status=placement.status, label=placement.label, level=placement.level,
                  headline=_headline(placement), explanation=placement.explanation,
                  margin=placement.margin.text if placement.margin else "", steps=steps,
                  gaps=tuple(PlacementGap(g.level, g.label, _criterion(g.criterion))
                             for g in placement.gaps),
                  missing=tuple(_criterion(c) for c in placement.missing),
                  next_level=placement.next_level, next_label=next_label,
                  firm=placement.margin.firm if placement.margin else None)


def _line(placement: Placement) -> PlacementLine:
    outcome = {"unclear": "Unclear",
               "insufficient_evidence": "Not placed: too little evidence"}.get(
                   placement.status, placement.label or "")
    return PlacementLine(model=placement.model, title=placement.title, outcome=outcome,
                         explanation=placement.explanation,
                         margin=placement.margin.text if placement.margin else "")


def _contested(questionnaire: Questionnaire, agreement: Agreement) -> ContestedRow:
    item = questionnaire.item(agreement.key)
    section = questionnaire.section(item.section_id)
    reason = agreement.reason
    bands = questionnaire.bands
    if bands and bands.basis != "score" and agreement.sd is not None and \
            reason.startswith("answers are widely spread"):
        # The spread on the question's own scale, as the instrument's figures are given.
        scale = item.scale
        spread = agreement.sd / 100 * (scale.high - scale.low)
        reason = (f"answers are widely spread (SD {spread:.1f} on the scale of {scale.low:g} "
                  f"to {scale.high:g})")
    return ContestedRow(item_id=item.id, text=item.text, section=section.title,
                        reason=reason, agreement=agreement.agreement)


def _gaps(questionnaire: Questionnaire, result: RoundResult,
          gaps: Sequence[Gap]) -> tuple[GapRow, ...]:
    """Notable gaps only (scoring already left out groups too small to show), each side's
    figure its mean where the instrument's figures are means."""
    def mean(kind: str, name: str, tag: str, value: str) -> Headline | None:
        group = result.group(kind, name)
        score = group.tags.get(tag, {}).get(value) if group else None
        figure = score.headline if score else None
        return figure if figure and figure.basis == "mean" else None

    return tuple(GapRow(between=g.between, topic=questionnaire.tag_label(g.tag, g.value),
                        high=group_label(g.between, g.high), high_score=g.high_score,
                        low=group_label(g.between, g.low), low_score=g.low_score,
                        high_mean=mean(g.between, g.high, g.tag, g.value),
                        low_mean=mean(g.between, g.low, g.tag, g.value))
                 for g in gaps if g.size >= scoring.NOTABLE_GAP - 1e-9)


def _item_tables(questionnaire: Questionnaire, result: RoundResult) -> tuple[ItemTable, ...]:
    """Per section, consecutive items on the same scale share a table of option counts. Not
    roster items: their ratings are in the collaboration map only."""
    tables = []
    for section in questionnaire.without_roster().sections:
        run: list = []
        for item in section.items:
            if run and run[-1].scale.id != item.scale.id:
                tables.append(_table(questionnaire, result, section.title, run))
                run = []
            run.append(item)
        if run:
            tables.append(_table(questionnaire, result, section.title, run))
    return tuple(tables)


def _table(questionnaire, result, title, items) -> ItemTable:
    scale = items[0].scale
    facts = all(i.has_tag("part", "structure") for i in items)
    rows = []
    for item in items:
        scores = result.partnership.items.get(item.id)
        if scores is None:
            continue
        rows.append(ItemRow(item_id=item.id, text=item.text, reverse=item.reverse,
                            score=None if facts else scores.score,
                            band=None if facts else scores.band, n=scores.n,
                            unanswered=scores.unanswered,
                            counts=tuple(scores.distribution.get(o.value, 0)
                                         for o in scale.options),
                            headline=None if facts else scores.headline))
    return ItemTable(section=title, options=tuple(o.label for o in scale.options),
                     rows=tuple(rows), facts=facts)
