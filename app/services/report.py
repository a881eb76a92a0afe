"""A closed round's report context: its result with the action plans, for the results page,
the PDF and `maps report`. Kept apart from results.py, which action_plans.py imports."""

import dataclasses

from sqlmodel import Session

from app.models import AssessmentRound
from app.services import action_plans, results


def report_context(session: Session, round_: AssessmentRound, catalogue):
    """Everything the report shows for a round. ResultsNotReady while it is open."""
    # Imported here: the report package draws charts with Plotly, which pages without a
    # report need not load.
    from app.reports.collaboration import build_collaboration
    from app.reports.context import build_context

    scores = results.score(session, round_, catalogue)
    context = build_context(
        partnership_name=scores.partnership.name, round_title=round_.title,
        questionnaire=scores.questionnaire, result=scores.result,
        action_plan=action_plans.plan_rows(session, round_=round_),
        previous_plan=action_plans.previous_plan(session, round_=round_),
        opens=round_.opens_at.date(), closes=round_.closes_at.date(), invited=scores.invited)
    return dataclasses.replace(context, collaboration=build_collaboration(scores.collaboration))
