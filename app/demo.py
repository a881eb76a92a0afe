"""Deterministic demo data: a fictional county and its partnerships at different stages."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import insert
from sqlmodel import Session, SQLModel, delete, select, update

from app.clock import end_of_uk_day, uk_time
from app.models import (
    Agency,
    Answer,
    AssessmentRound,
    Organisation,
    Partnership,
    PartnershipCoordinator,
    Respondent,
    Role,
    RoundStatus,
    Sector,
    User,
)
from app.questionnaires.schema import DONT_KNOW, Item
from app.services import questionnaires, results
from app.services.accounts import DEMO_PASSWORD
from app.services.responses import hash_token, invite, new_token

SEED = 20070701
# Comments some demo board members leave, worded to fit any question; drawn from their own
# random stream, so adding them changed no demo answer.
COMMENTS = ("Hard to judge: it varies between teams.", "Better than a year ago.",
            "Discussed at every board meeting, but little changes.",
            "It depends on which agency leads.",
            "I answered for my own service; others may see it differently.",
            "Works well at board level, less so on the front line.")
QUESTIONNAIRE = "multi-agency-working"
TOWNSLEY = ["autonomous", "coordinated", "integrated"]


@dataclass
class Profile:
    """How mature a demo partnership is at its first round, and what kind of body it is."""

    name: str
    client_group: str
    description: str
    agencies: list[tuple[str, Sector]]
    townsley: str
    gaster: int
    quality: float  # mean answer on the 1-5 agreement scale before noise
    function: str
    form: str  # an Audit Commission form, or "network" for none of them
    rounds: int = 2
    weak: list[str] = field(default_factory=list)  # factors this partnership struggles with
    strong: list[str] = field(default_factory=list)
    growth: float = 0.25  # how much quality rises each round


PROFILES = [
    Profile("Northshire Early Help Partnership", "Children and families needing early help",
            "Coordinates early help assessments and team-around-the-family meetings.",
            [("Northshire County Council Children's Services", Sector.social_care),
             ("Northshire Schools Forum", Sector.education),
             ("Northshire Community Health NHS Trust", Sector.health),
             ("Northshire Police", Sector.police),
             ("Family Action Northshire", Sector.voluntary)],
            "coordinated", 3, 3.5, "service_delivery", "co_located", rounds=3,
            weak=["time", "information_exchange"], strong=["commitment"]),
    Profile("Northshire Youth Offending Team", "Young people who offend",
            "A statutory multi-agency team delivering youth justice services.",
            [("Northshire County Council Children's Services", Sector.social_care),
             ("Northshire Police", Sector.police),
             ("National Probation Service (Northshire)", Sector.other),
             ("Northshire Community Health NHS Trust", Sector.health),
             ("Northshire Education Welfare Service", Sector.education)],
            "integrated", 5, 4.1, "service_delivery", "separate_organisation", rounds=3,
            strong=["governance_accountability", "role_demarcation"], weak=["staffing"]),
    Profile("SEND Local Area Partnership", "Children and young people with SEND",
            "Plans and commissions support for special educational needs and disabilities.",
            [("Northshire County Council SEND Service", Sector.education),
             ("Northshire Integrated Care Board", Sector.health),
             ("Northshire Parent Carer Forum", Sector.voluntary),
             ("Northshire Children's Social Care", Sector.social_care)],
            "coordinated", 2, 3.1, "commissioning", "virtual_organisation", rounds=2,
            weak=["funding", "understanding_other_agencies", "clarity_of_purpose"]),
    Profile("Domestic Abuse Partnership Board", "Adults and children affected by domestic abuse",
            "The statutory board for domestic abuse strategy and safe accommodation.",
            [("Northshire Police", Sector.police),
             ("Northshire Women's Aid", Sector.voluntary),
             ("Northshire District Housing", Sector.housing),
             ("Northshire Adult Social Care", Sector.social_care),
             ("Northshire Integrated Care Board", Sector.health)],
            "coordinated", 3, 3.6, "strategic", "steering_group", rounds=2,
            weak=["funding", "information_exchange"], strong=["trust_mutual_respect"]),
    Profile("Homelessness Reduction Forum", "People who are homeless or at risk",
            "A forum of housing, health and voluntary agencies sharing information.",
            [("Northshire District Housing", Sector.housing),
             ("Shelter Northshire", Sector.voluntary),
             ("Northshire Jobcentre Plus", Sector.other),
             ("Northshire Mental Health NHS Trust", Sector.health)],
            "autonomous", 1, 2.6, "strategic", "steering_group", rounds=1,
            weak=["commitment", "leadership", "performance_management", "funding"]),
    Profile("Children's Mental Health Partnership", "Children and young people's mental health",
            "Links schools, primary care and specialist mental health services.",
            [("Northshire CAMHS", Sector.health),
             ("Northshire Schools Forum", Sector.education),
             ("Kooth Northshire", Sector.voluntary),
             ("Northshire Children's Social Care", Sector.social_care)],
            "coordinated", 2, 3.0, "service_delivery", "co_located", rounds=2, growth=0.45,
            weak=["staffing", "time", "communication"]),
    Profile("Northshire Safeguarding Children Partnership", "Safeguarding children",
            "The statutory safeguarding partnership of the council, police and health.",
            [("Northshire County Council", Sector.social_care),
             ("Northshire Police", Sector.police),
             ("Northshire Integrated Care Board", Sector.health),
             ("Northshire Schools Forum", Sector.education),
             ("Northshire Voluntary Action", Sector.voluntary)],
            "coordinated", 4, 3.8, "strategic", "virtual_organisation", rounds=3,
            strong=["governance_accountability", "leadership"], weak=["planning_consultation"]),
    Profile("Westbrook Knotworking Network", "Families with complex needs in Westbrook",
            "A loose network of practitioners who come together around individual families.",
            [("Westbrook GP Practice", Sector.health),
             ("Westbrook Academy", Sector.education),
             ("Westbrook Housing Association", Sector.housing),
             ("Westbrook Family Hub", Sector.voluntary)],
            "autonomous", 2, 3.2, "service_delivery", "network", rounds=1,
            weak=["organisational_aspects", "governance_accountability"],
            strong=["trust_mutual_respect"]),
    Profile("Northshire Integrated Disability Team", "Disabled children and their families",
            "A co-located team with key workers and a pooled budget since 2019.",
            [("Northshire Children's Disability Service", Sector.social_care),
             ("Northshire Community Health NHS Trust", Sector.health),
             ("Northshire SEND Service", Sector.education),
             ("Contact Northshire", Sector.voluntary)],
            "integrated", 5, 4.3, "service_delivery", "co_located", rounds=2,
            weak=["time"], strong=["communication", "role_demarcation", "trust_mutual_respect"]),
]


STAGES = ["networking", "cooperation", "coordination", "integration"]
STAGE_OF = {"autonomous": "cooperation", "coordinated": "coordination",
            "integrated": "integration"}
WATSON_OF = {"autonomous": "multidisciplinary", "coordinated": "interdisciplinary",
             "integrated": "transdisciplinary"}
ATKINSON_OF = {"co_located": "centre_based", "separate_organisation": "operational_team",
               "steering_group": "decision_making_group",
               "virtual_organisation": "coordinated_delivery", "network": None}
# "Not applicable" where a question presupposes what this kind of partnership lacks.
NOT_APPLICABLE = {
    "st_commissioned_performance": lambda p: p.function != "commissioning",
    "st_host_employs_staff": lambda p: p.form in ("steering_group", "network"),
    "st_staff_managed_by_own_agencies": lambda p: p.form in ("steering_group", "network"),
    "wr_status_tension_board": lambda p: p.form == "network",
    "rs_time_limited_funding": lambda p: p.form in ("steering_group", "network"),
}


def _not_applicable(item: Item, profile: Profile) -> bool:
    if not any(o.missing and o.value != DONT_KNOW for o in item.scale.options):
        return False
    rule = NOT_APPLICABLE.get(item.id, lambda p: p.function != "service_delivery")
    return rule(profile)


def _true_for(item: Item, profile: Profile, townsley: str, gaster: int) -> bool | None:
    """Whether a structural fact holds for this profile, from the first model that reads it
    (None when no model does)."""
    def tagged(key):
        return item.tag(key), item.tag(key + "_against")

    level = TOWNSLEY.index(townsley)
    for_, against = tagged("townsley")
    if for_ or against:
        if "autonomous" in for_:
            return townsley == "autonomous"
        if for_:
            return level >= TOWNSLEY.index(for_[0])
        return level < TOWNSLEY.index(against[0])
    if item.tag("gaster"):
        return gaster >= int(item.tag("gaster")[0])
    if item.tag("fox_butler_function"):
        return profile.function in item.tag("fox_butler_function")
    for_, against = tagged("audit_commission")
    if for_ or against:
        return profile.form in for_
    for_, against = tagged("fox_butler_stage")
    if for_ or against:
        stage = STAGES.index(STAGE_OF[townsley])
        return stage >= STAGES.index(for_[0]) if for_ else stage < STAGES.index(against[0])
    for_, against = tagged("watson")
    if for_ or against:
        return WATSON_OF[townsley] in for_
    for_, against = tagged("atkinson")
    if for_ or against:
        return ATKINSON_OF[profile.form] in for_
    return None


def _fact_probability(item: Item, profile: Profile, townsley: str, gaster: int,
                      quality: float) -> float:
    """How likely a board member is to answer Yes to a structural fact for this profile."""
    true = _true_for(item, profile, townsley, gaster)
    if true is not None:
        return 0.9 if true else 0.08
    if item.id == "st_setting_up":  # the demo partnerships are established
        return 0.05
    return min(0.95, max(0.05, (quality - 1.5) / 3.5))


def _answer(item: Item, rng: random.Random, profile: Profile, townsley: str, gaster: int,
            quality: float, agency_bias: float) -> str:
    scored = [o.value for o in item.scale.scored]
    if _not_applicable(item, profile) and rng.random() < 0.9:
        return next(o.value for o in item.scale.options if o.missing and o.value != DONT_KNOW)
    if item.has_tag("part", "structure"):
        if rng.random() < 0.07:
            return DONT_KNOW
        if len(scored) != 3:  # the frequency question: closer teams meet more often
            top = len(scored) - 1
            centre = {"autonomous": 1, "coordinated": 2, "integrated": 3.6}[townsley]
            return scored[max(0, min(top, round(rng.gauss(centre, 0.8))))]
        p = _fact_probability(item, profile, townsley, gaster, quality)
        roll = rng.random()
        # Members mostly agree on facts; a few answer "partly" either way.
        return scored[2] if roll < p else scored[1] if roll < p + 0.08 else scored[0]
    if rng.random() < 0.05:
        return DONT_KNOW
    mean = quality + agency_bias
    factor = item.tag("factor")[0] if item.tag("factor") else None
    if factor in profile.weak:
        mean -= 1.0
    if factor in profile.strong:
        mean += 0.6
    value = rng.gauss(mean, 0.75)
    if item.reverse:
        value = 6 - value
    return scored[max(0, min(len(scored) - 1, round(value) - 1))]


def reset(session: Session) -> None:
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.exec(delete(table))
    session.commit()


def is_empty(session: Session) -> bool:
    return session.exec(select(Organisation)).first() is None


@dataclass
class DemoLinks:
    logins: list[tuple[str, str, str]]  # (role, email, password)
    invites: list[tuple[str, str]]  # (description, path)


def load(session: Session, catalogue, *, today: datetime | None = None,
         hash_rounds: int = 2, password_hash: str | None = None) -> DemoLinks:
    """Fill an empty database. Answers depend only on SEED; invite tokens stay random. The
    `maps` command passes the demo password hashed with the app's own Argon2 parameters, so
    that signing in does not have to hash it again."""
    rng = random.Random(SEED)
    questionnaire = catalogue.get(QUESTIONNAIRE)
    today = today or datetime.now(UTC)
    hasher = PasswordHasher(time_cost=hash_rounds)
    org = Organisation(name="Northshire County Council (demo)")
    other_org = Organisation(name="Eastvale Borough Council (demo)")
    session.add_all([org, other_org])
    session.flush()
    password_hash = password_hash or hasher.hash(DEMO_PASSWORD)
    admin = User(email="admin@northshire.example", name="Asha Patel", role=Role.org_admin,
                 organisation_id=org.id, password_hash=password_hash)
    coordinator = User(email="coordinator@northshire.example", name="Sam Okafor",
                       role=Role.coordinator, organisation_id=org.id,
                       password_hash=password_hash)
    site_admin = User(email="site-admin@maps.example", name="Site administrator",
                      role=Role.site_admin, password_hash=password_hash)
    session.add_all([admin, coordinator, site_admin])
    session.flush()

    invites = []
    commenting = random.Random(SEED + 1)
    for index, profile in enumerate(PROFILES):
        partnership = Partnership(organisation_id=org.id, name=profile.name,
                                  client_group=profile.client_group,
                                  description=profile.description)
        session.add(partnership)
        session.flush()
        agencies = [Agency(partnership_id=partnership.id, name=name, sector=sector)
                    for name, sector in profile.agencies]
        session.add_all(agencies)
        session.flush()
        if index < 3:
            session.add(PartnershipCoordinator(user_id=coordinator.id,
                                               partnership_id=partnership.id))
        townsley, gaster, quality = profile.townsley, profile.gaster, profile.quality
        for number in range(profile.rounds):
            opens = today - timedelta(days=365 * (profile.rounds - number) + 30)
            closes = _closing(opens, days=28)
            round_ = AssessmentRound(
                partnership_id=partnership.id, title=f"{profile.name}: round {number + 1}",
                questionnaire_key=questionnaire.key,
                questionnaire_version=questionnaire.version, opens_at=opens,
                closes_at=closes, status=RoundStatus.closed, closed_at=closes)
            session.add(round_)
            session.flush()
            _respondents(session, rng, round_, agencies, questionnaire, profile,
                         townsley, gaster, quality, submitted_at=opens + timedelta(days=14),
                         commenting=commenting)
            quality = min(4.6, quality + profile.growth)
            if number == 0 and profile.growth > 0.3:
                townsley = TOWNSLEY[min(2, TOWNSLEY.index(townsley) + 1)]
            gaster = min(5, gaster + (1 if profile.growth > 0.3 else 0))
        if index == 0:
            invites = _open_round(session, rng, partnership, agencies, questionnaire, today)
    session.flush()
    # Every demo round keeps its definition, as a round opened in the app does.
    kept = questionnaires.keep_text(session, instrument=catalogue.instrument(QUESTIONNAIRE))
    session.exec(update(AssessmentRound).values(questionnaire_sha256=kept))
    for round_ in session.exec(select(AssessmentRound).where(
            AssessmentRound.status == RoundStatus.closed)):
        results.freeze(session, round_)  # as closing a round in MAPS does
        results.summarise(session, round_, catalogue)
    session.commit()
    return DemoLinks(
        logins=[("Organisation admin", admin.email, DEMO_PASSWORD),
                ("Partnership coordinator", coordinator.email, DEMO_PASSWORD),
                ("Site administrator", site_admin.email, DEMO_PASSWORD)],
        invites=invites,
    )


def _respondents(session, rng, round_, agencies, questionnaire, profile, townsley, gaster,
                 quality, *, submitted_at, commenting):
    count = rng.randint(6, 20)
    biases = {a.id: rng.gauss(0, 0.35) for a in agencies}
    people, given = [], []
    for n in range(count):
        agency = agencies[n % len(agencies)] if n < len(agencies) else rng.choice(agencies)
        level = "strategic" if rng.random() < 0.45 else "operational"
        # Their links are never shown (they have answered), so no token is kept. Answered in
        # a browser long gone: claimed, with no resume code left to open it.
        started = submitted_at - timedelta(days=2)
        people.append(Respondent(round_id=round_.id, agency_id=agency.id, level=level,
                                 token_hash=hash_token(new_token()), started_at=started,
                                 claimed_at=started, submitted_at=submitted_at))
        answers = []
        for item in questionnaire.items:
            optional = questionnaire.section(item.section_id).optional
            if rng.random() < (0.4 if optional else 0.03):
                continue
            value = _answer(item, rng, profile, townsley, gaster, quality, biases[agency.id])
            comment = commenting.choice(COMMENTS) if commenting.random() < 0.02 else None
            answers.append((item.id, value, comment))
        given.append(answers)
    # Written in bulk: the round's respondents in one flush, then all their answers in one
    # statement, rather than an object and a flush for each (the demo took 18 s that way).
    session.add_all(people)
    session.flush()
    session.execute(insert(Answer), [
        {"respondent_id": person.id, "item_id": item_id, "value": value, "comment": comment,
         "updated_at": submitted_at}
        for person, answers in zip(people, given, strict=True)
        for item_id, value, comment in answers])


def _closing(start: datetime, *, days: int) -> datetime:
    """The end of the UK day `days` after `start`, as a round opened in MAPS closes."""
    return end_of_uk_day(uk_time(start).date() + timedelta(days=days))


def _open_round(session, rng, partnership, agencies, questionnaire, today):
    """A round open now, so the respondent journey can be tried from printed links."""
    round_ = AssessmentRound(
        partnership_id=partnership.id, title=f"{partnership.name}: round 4",
        questionnaire_key=questionnaire.key, questionnaire_version=questionnaire.version,
        opens_at=today - timedelta(days=7), closes_at=_closing(today, days=60),
        status=RoundStatus.open)
    session.add(round_)
    session.flush()
    links = []
    people = [("Priya Shah", "priya.shah@example.org"), ("Tom Evans", "tom.evans@example.org"),
              ("Grace Mensah", "grace.mensah@example.org")]
    for name, email in people:
        respondent, token = invite(session, round_=round_, name=name, email=email)
        links.append((f"{name} (board member)", f"/r/{token}"))
    return links
