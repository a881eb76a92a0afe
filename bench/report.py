"""PDF reports: one report and a batch of 50, with their charts, against WeasyPrint alone
on the same HTML without charts, measured in the same run.

    .venv/bin/python -m bench.report [--quick]   # --quick: a batch of 5
"""

import sys
import time
from io import BytesIO

from pypdf import PdfReader

from app.questionnaires.loader import load_catalogue
from app.reports.charts import svg_renderer, to_svg
from app.reports.context import ReportContext, build_context
from app.reports.pdf import chart_images, html_to_pdf, render_html, render_pdf
from app.reports.sample import sample_round
from app.scoring import score_round

BATCH = 50
PROFILES = 9  # the demo's partnerships, in turn


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


def measure(batch: int = BATCH, repeat: int = 3) -> dict[str, float]:
    """Seconds: Chromium start-up, one report (best of `repeat`), charts alone, a batch."""
    reports = contexts(batch)
    first = reports[0]
    with svg_renderer():
        # The first chart starts Chromium; a batch pays that once.
        startup = _timed(lambda: to_svg(next(iter(first.charts.values()))))
        single = min(_timed(lambda: render_pdf(first)) for _ in range(repeat))
        charts = min(_timed(lambda: chart_images(first)) for _ in range(repeat))
        batch_total = _timed(lambda: [render_pdf(c) for c in reports])
    plain = [render_html(c) for c in reports]
    single_plain = min(_timed(lambda: html_to_pdf(plain[0])) for _ in range(repeat))
    batch_plain = _timed(lambda: [html_to_pdf(h) for h in plain])
    pages = len(PdfReader(BytesIO(html_to_pdf(plain[0]))).pages)
    return {"batch": batch, "chromium_start_s": startup, "report_s": single,
            "report_without_charts_s": single_plain, "charts_per_report_s": charts,
            "batch_s": batch_total, "batch_without_charts_s": batch_plain,
            "pages": pages}


def rows(figures: dict[str, float]) -> list[dict]:
    """In the format of `python -m bench`'s table."""
    baseline = "WeasyPrint, same HTML, no charts"
    return [
        {"name": "report: one PDF with charts", "value": figures["report_s"] * 1000,
         "unit": "ms", "baseline": figures["report_without_charts_s"] * 1000,
         "baseline_name": baseline},
        {"name": f"report: batch of {figures['batch']} PDFs", "value": figures["batch_s"],
         "unit": "s", "baseline": figures["batch_without_charts_s"],
         "baseline_name": baseline},
        {"name": "report: its 3 charts as SVG (kaleido)",
         "value": figures["charts_per_report_s"] * 1000, "unit": "ms",
         "baseline": figures["chromium_start_s"] * 1000,
         "baseline_name": "starting Chromium once"},
    ]


def print_table(figures: dict[str, float]) -> None:
    batch = figures["batch"]
    print(f"{'':34} {'with charts':>12} {'WeasyPrint only':>16} {'ratio':>6}")
    for label, key in (("one report", "report_s"), (f"batch of {batch}", "batch_s")):
        with_charts, plain = figures[key], figures[key.replace("_s", "_without_charts_s")]
        print(f"{label:34} {with_charts:>10.2f} s {plain:>14.2f} s {with_charts / plain:>6.2f}")
    print(f"{'per report in the batch':34} {figures['batch_s'] / batch:>10.2f} s "
          f"{figures['batch_without_charts_s'] / batch:>14.2f} s")
    print(f"Chromium start-up (once per batch): {figures['chromium_start_s']:.2f} s; "
          f"3 charts as SVG: {figures['charts_per_report_s']:.2f} s per report; "
          f"{figures['pages']} pages in the first report")


def run(batch: int | None = None) -> list[dict]:
    """For `python -m bench`: prints this benchmark's table, returns its rows."""
    quick = "--quick" in sys.argv
    figures = measure(batch or (5 if quick else BATCH), repeat=1 if quick else 3)
    print("\n== PDF reports")
    print_table(figures)
    return rows(figures)


if __name__ == "__main__":
    run()
