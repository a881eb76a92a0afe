"""Demo-like rounds without a database, for the report's tests, its benchmark and trying
`maps report`: the demo generator's answers (app/demo.py) for one of its partnerships."""

import random
from dataclasses import dataclass

from app.questionnaires.schema import Questionnaire
from app.scoring import RespondentAnswers


@dataclass
class SampleRound:
    partnership_name: str
    agencies: list[str]
    respondents: list[RespondentAnswers]
    invited: int


def sample_round(questionnaire: Questionnaire, *, profile: int = 0, seed: int = 20070701,
                 respondents: int = 14, round_number: int = 1) -> SampleRound:
    """One round of the demo partnership PROFILES[profile], answered as `maps demo` would."""
    from app.demo import PROFILES, TOWNSLEY, _answer

    chosen = PROFILES[profile]
    rng = random.Random(seed)
    townsley, gaster, quality = chosen.townsley, chosen.gaster, chosen.quality
    for number in range(round_number - 1):  # later rounds grow as the demo's do
        quality = min(4.6, quality + chosen.growth)
        if number == 0 and chosen.growth > 0.3:
            townsley = TOWNSLEY[min(2, TOWNSLEY.index(townsley) + 1)]
        gaster = min(5, gaster + (1 if chosen.growth > 0.3 else 0))
    agencies = [name for name, _sector in chosen.agencies]
    biases = {name: rng.gauss(0, 0.35) for name in agencies}
    people = []
    for n in range(respondents):
        agency = agencies[n % len(agencies)]
        level = "strategic" if rng.random() < 0.45 else "operational"
        answers: dict[str, str | None] = {}
        for item in questionnaire.items:
            optional = questionnaire.section(item.section_id).optional
            if rng.random() < (0.4 if optional else 0.03):
                continue
            value = _answer(item, rng, chosen, townsley, gaster, quality, biases[agency])
            option = item.scale.option(value)
            answers[item.id] = None if option is None or option.missing else value
        people.append(RespondentAnswers(agency=agency, level=level, answers=answers))
    return SampleRound(partnership_name=chosen.name, agencies=agencies, respondents=people,
                       invited=respondents + 3)
