"""The table of golden boards printed in docs/method.md, built from the boards and the code."""

from app.scoring import score_round
from app.scoring.typologies import MODELS, model, step_changes
from tests.golden import CORE, boards, obtained, wanted

SHORT = {"townsley": "Townsley", "gaster": "Gaster", "fox_butler_stage": "Stage",
         "fox_butler_function": "Function", "audit_commission": "Audit Commission",
         "atkinson": "Atkinson", "watson": "Watson"}


def _words(model_key: str, status: str, level: str | None, also: tuple[str, ...]) -> str:
    m = model(model_key)
    if status == "insufficient_evidence":
        return "not placed"
    if status == "unclear":
        return "unclear"
    if status == "mixed":
        return "both: " + " + ".join(m.label(v).lower() for v in also)
    return f"rung {level}" if model_key == "gaster" else m.label(level).lower()


def golden_table() -> str:
    head = ["Board", *(SHORT[m.key] for m in MODELS), "“Always coordinated”",
            "Single-step changes that move a placement"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    matched = placements = coordinated = moving_all = total_all = 0
    for board in boards():
        respondents = list(board.respondents)
        result = score_round(CORE, respondents)
        cells = [board.name]
        for m in MODELS:
            expected = board.expected[m.key]
            got = obtained(result.placement(m.key))
            want = wanted(expected)
            basis = "R" if expected.basis == "from the review" else "O"
            cell = f"{_words(m.key, *want)} ({basis})"
            if got == want:
                matched += 1
                cell += " ✓"
            else:
                cell += f" ✗ MAPS: {_words(m.key, *got)}"
            placements += 1
            cells.append(cell)
        hit = board.expected["townsley"].level == "coordinated"
        coordinated += hit
        cells.append("✓" if hit else "✗")
        changes = step_changes(CORE, respondents)
        total = sum(c.answers for c in changes)
        moving = sum(c.answers for c in changes if c.moved)
        moving_all += moving
        total_all += total
        cells.append(f"{moving} of {total} ({moving / total:.1%})")
        rows.append("| " + " | ".join(cells) + " |")
    n = len(boards())
    townsley = sum(obtained(score_round(CORE, list(b.respondents)).placement("townsley"))
                   == wanted(b.expected["townsley"]) for b in boards())
    rows += ["", f"MAPS places {matched} of the {placements} expected placements as expected; on "
             f"Townsley et al.'s scale, {townsley} of {n} boards, where “always coordinated” "
             f"would be right for {coordinated} of {n}. Over all {n} boards, {moving_all} of "
             f"{total_all} single-step changes ({moving_all / total_all:.2%}) would move any "
             "placement."]
    return "\n".join(rows)
