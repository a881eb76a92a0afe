"""PDF reports: the first PDF a freshly started app serves, and a batch of 50, with their
charts, against WeasyPrint alone on the same HTML (charts and all), measured in the same run.

    .venv/bin/python -m bench --only report [--quick]   # --quick: a batch of 5
"""

import tempfile
import time
from io import BytesIO
from pathlib import Path
from statistics import median

import httpx
from pypdf import PdfReader
from sqlmodel import Session, select

from app.db import make_engine, migrate
from app.models import AssessmentRound, Partnership, RoundStatus
from app.questionnaires.loader import load_catalogue
from app.reports.context import ReportContext, build_context
from app.reports.pdf import html_to_pdf, render_html, render_pdf
from app.reports.sample import sample_round
from app.scoring import score_round
from app.services.report import report_context
from bench.server import serve, sign_in

BATCH = 50
PROFILES = 9  # the demo's partnerships, in turn
BASELINE = "WeasyPrint alone, same HTML"


def contexts(count: int) -> list[ReportContext]:
    """Demo-like rounds of every demo partnership, 6 to 20 respondents each."""
    questionnaire = load_catalogue().get("multi-agency-working")
    built = []
    for n in range(count):
        sample = sample_round(questionnaire, profile=n % PROFILES, seed=n,
                              respondents=6 + n % 15)
        result = score_round(questionnaire, sample.respondents,
                             agencies_in_partnership=len(sample.agencies))
        built.append(build_context(partnership_name=sample.partnership_name,
                                   round_title=f"Round {1 + n // PROFILES}",
                                   questionnaire=questionnaire, result=result,
                                   invited=sample.invited))
    return built


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def first_pdf(trials: int) -> dict[str, float]:
    """Seconds for the first report.pdf a just-started app serves (the demo's Early Help
    round), and for the same PDF again, against WeasyPrint alone on that report's HTML.
    Each trial times WeasyPrint alone and then a freshly started app, one after the other,
    so both meet the machine as it is; the figures are the trials' medians."""
    from app import demo

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'report.db'}"
        migrate(url)
        engine = make_engine(url)
        catalogue = load_catalogue()
        with Session(engine) as session:
            demo.load(session, catalogue, hash_rounds=1)
            round_ = session.exec(
                select(AssessmentRound).join(Partnership)
                .where(Partnership.name == demo.PROFILES[0].name,
                       AssessmentRound.status == RoundStatus.closed)
                .order_by(AssessmentRound.closes_at.desc())).first()
            plain = render_html(report_context(session, round_, catalogue))
        engine.dispose()
        html_to_pdf(plain)  # the baseline is WeasyPrint already imported and warm
        env = {"MAPS_DATABASE_URL": url, "MAPS_DATA_DIR": tmp,
               "MAPS_SECRET_KEY": "bench-secret-key"}
        alone, firsts, seconds, responses = [], [], [], []
        for _ in range(trials):
            alone.append(_timed(lambda: html_to_pdf(plain)))
            with serve("app.main:create_app", env, 1) as (app_url, _), \
                    httpx.Client(base_url=app_url, timeout=120) as client:
                sign_in(client, "coordinator@northshire.example", demo.DEMO_PASSWORD)
                for times in (firsts, seconds):
                    times.append(_timed(lambda: responses.append(
                        client.get(f"/rounds/{round_.id}/report.pdf"))))
    for response in responses:
        response.raise_for_status()
    pages = len(PdfReader(BytesIO(responses[0].content)).pages)
    return {"first_s": median(firsts), "second_s": median(seconds),
            "weasyprint_s": median(alone), "pages": pages}


def batch(count: int) -> dict[str, float]:
    reports = contexts(count)
    with_charts = _timed(lambda: [render_pdf(c) for c in reports])
    plain = [render_html(c) for c in reports]
    alone = _timed(lambda: [html_to_pdf(h) for h in plain])
    return {"batch": count, "batch_s": with_charts, "batch_weasyprint_s": alone}


def run(*, quick: bool = False) -> list[dict]:
    first = first_pdf(trials=1 if quick else 5)
    many = batch(5 if quick else BATCH)
    return [
        {"name": f"report: first PDF from a freshly started app ({first['pages']} pages)",
         "value": first["first_s"], "unit": "s", "baseline": first["weasyprint_s"],
         "baseline_name": BASELINE, "goal": "<=1.5"},
        {"name": "report: the same PDF again", "value": first["second_s"], "unit": "s",
         "baseline": first["weasyprint_s"], "baseline_name": BASELINE},
        {"name": f"report: batch of {many['batch']} PDFs", "value": many["batch_s"],
         "unit": "s", "baseline": many["batch_weasyprint_s"], "baseline_name": BASELINE,
         "goal": "<=1.2"},
    ]
