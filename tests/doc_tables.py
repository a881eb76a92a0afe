"""The table of golden boards printed in docs/method.md, built from the boards and the code."""

import re
from pathlib import Path

from app.scoring import score_round
from app.scoring.typologies import MODELS, model, step_changes
from tests.golden import CORE, boards, obtained, wanted

EXCERPTS = Path(__file__).parent / "data" / "review-excerpts.txt"

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


# --- The evidence each model reads (version 2) --------------------------------------------

def evidence_table(questionnaire=CORE) -> str:
    """For each model and level, the facts that count for it and against it."""
    from app.scoring.typologies import spec

    rows = ["| Model | Level | Counts for it | Counts against it |", "|---|---|---|---|"]
    for m in MODELS:
        s = spec(questionnaire, m)
        for value, label in m.levels:
            if value == m.floor:
                links = s.links_of(s.groups[0])
                pro = [link.item_id for link in links if link.against]
                con = [link.item_id for link in links if not link.against]
                label += " (the floor: the evidence about the next level, turned round)"
            else:
                pro = [link.item_id for link in s.links_of(value) if not link.against]
                con = [link.item_id for link in s.links_of(value) if link.against]
            rows.append(f"| {SHORT[m.key]} | {label} | "
                        + (", ".join(f"`{i}`" for i in pro) or "–") + " | "
                        + (", ".join(f"`{i}`" for i in con) or "–") + " |")
    return "\n".join(rows)


# --- Every rule and number ------------------------------------------------------------------

def rules_table(module) -> str:
    """Every rule of a thresholds module, its value and its mark."""
    from app.scoring.thresholds import FromReview

    rows = ["| Rule | Value | Basis | Passage, or reason and what it was checked against |",
            "|---|---|---|---|"]
    for name, mark in module.RULES.items():
        value = getattr(module, name)
        if isinstance(value, float):
            shown = f"{value:.4g}"
        elif isinstance(value, dict):
            shown = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, tuple):
            shown = ", ".join(value)
        else:
            shown = str(value)
        if isinstance(mark, FromReview):
            rows.append(f"| `{name}` | {shown} | From the review | {mark.passage} |")
        else:
            rows.append(f"| `{name}` | {shown} | MAPS's own choice | {mark.reason}; checked "
                        f"against {mark.checked} |")
    return "\n".join(rows)


# --- Criteria and the strategies that work towards them ------------------------------------

def criteria_table(questionnaire=CORE) -> str:
    from app.recommendations.criteria import CRITERION_STRATEGIES
    from app.recommendations.library import default_library

    library = default_library()
    rows = ["| Criterion | Model | Strategies, the first tried first |", "|---|---|---|"]
    for item in questionnaire.items:
        if item.id not in CRITERION_STRATEGIES:
            continue
        models = [f"Gaster {item.tag('gaster')[0]}"] if item.tag("gaster") else []
        models += [f"Townsley: {v}" for v in item.tag("townsley")]
        models += [f"Townsley: against {v}" for v in item.tag("townsley_against")]
        strategies = "; ".join(library.strategy(s).text for s in CRITERION_STRATEGIES[item.id])
        rows.append(f"| {item.text} (`{item.id}`) | {', '.join(models)} | {strategies} |")
    return "\n".join(rows)


# --- Gaster et al.'s markers ------------------------------------------------------------------

# The review's words for each rung (section 2.3), split into its markers; the words between
# them ("Involving", "and", "but") and punctuation are all that is left over.
GASTER_MARKERS = {
    "1": ("Information exchange", [
        "mutual learning", "knowledge of what each partner does and could do",
        "openness about decision-making processes", "new methods of access to information"]),
    "2": ("Planning action", [
        "identifying local and service needs where cross boundary working is needed and could "
        "be effective", "Debate of local needs and priorities",
        "agree different partners' contributions", "decide actions and processes",
        "Identify (the need for) new partners"]),
    "3": ("Implementing projects and service plans", [
        "Joint or separately taken action on agreed plan",
        "identify monitoring methods and review processes",
        "mutual feedback on success/failure"]),
    "4": ("Coordination and co-operation in practice", [
        "active coordination process", "coordinator knows what's going on",
        "draws on each (autonomous) partner as appropriate",
        "helps to nurture developmental and co-operative culture",
        "involve and support new partners"]),
    "5": ("Collaboration and full partnership", [
        "separate and distinct roles", "shared values and agenda", "Pooled resources",
        "blurred boundaries", "continuously developing to meet changing needs",
        "Less powerful partners supported to play a full role"]),
}


def rung_text(label: str) -> str:
    excerpts = EXCERPTS.read_text(encoding="utf-8")
    line = next(line for line in excerpts.splitlines() if f"**{label}:**" in line)
    return line.split(f"**{label}:**", 1)[1].strip()


def quoted(source: str) -> list[str]:
    """The review's words an item's source quotes: ('...'), split at '...'."""
    found = re.findall(r"\('(.*?)'\)", source)
    return [p.strip() for q in found for p in q.split("...") if p.strip()]


def covering(rung: str, marker: str) -> list[str]:
    return [i.id for i in CORE.tagged("gaster", rung)
            if quoted(i.source) and all(q.lower() in marker.lower() for q in quoted(i.source))]



def gaster_table() -> str:
    rows = ["| Rung | The review's words (section 2.3) | Items |", "|---|---|---|"]
    for rung, (label, markers) in GASTER_MARKERS.items():
        for marker in markers:
            items = ", ".join(f"`{i}`" for i in covering(rung, marker))
            rows.append(f"| {rung} | {label}: “{marker}” | {items} |")
    return "\n".join(rows)
