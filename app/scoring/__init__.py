"""Scoring, consensus and typology placement: plain Python, no web or database imports."""

from app.scoring.result import RoundResult, score_round
from app.scoring.scores import RespondentAnswers, ScoringInputError

__all__ = ["RespondentAnswers", "RoundResult", "ScoringInputError", "score_round"]
