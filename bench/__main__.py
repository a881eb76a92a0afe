"""Run the benchmarks and print one table, each figure beside a baseline measured in the same
run; the figures also go to bench/results.json.

    make bench                                   # everything, SQLite and PostgreSQL
    .venv/bin/python -m bench --quick            # shorter loads, for a smoke run
    .venv/bin/python -m bench --only autosave,report

PostgreSQL figures need a server: run through scripts/with-postgres.sh (as `make bench` does).
"""

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

from bench import autosave, comparison, demo, pages, report, scoring, sign_in

RESULTS = Path(__file__).resolve().parent / "results.json"


def _postgres(run: Callable[[], list[dict]]) -> Callable[[], list[dict]]:
    def guarded() -> list[dict]:
        if not os.environ.get("MAPS_TEST_DATABASE_URL"):
            print("(PostgreSQL figures skipped: run through scripts/with-postgres.sh)",
                  file=sys.stderr)
            return []
        return run()
    return guarded


def benchmarks(quick: bool) -> dict[str, Callable[[], list[dict]]]:
    """Every benchmark by the name --only takes, in the order `make bench` runs them."""
    seconds = 3 if quick else 10
    return {
        "scoring": scoring.run,
        "pages": pages.run,
        "autosave": lambda: autosave.run("sqlite", seconds=seconds, workers=1),
        "autosave-postgres": _postgres(
            lambda: autosave.run("postgresql", seconds=seconds, workers=2)),
        "report": lambda: report.run(quick=quick),
        "comparison": comparison.run,
        "demo": demo.run,
        "sign-in": sign_in.run,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short loads")
    parser.add_argument("--only", default="", metavar="NAME[,NAME]",
                        help="run only these benchmarks")
    args = parser.parse_args()
    available = benchmarks(args.quick)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(available)
    unknown = [n for n in chosen if n not in available]
    if unknown:
        parser.error(f"no benchmark called {', '.join(unknown)}; "
                     f"choose from {', '.join(available)}")
    rows: list[dict] = []
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        rows += available[name]()
    print_table(rows)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                   "load_average": os.getloadavg(), "quick": args.quick,
                                   "results": rows}, indent=2))
    print(f"\nFigures written to {RESULTS}")
    return 0


def ratio(row: dict) -> float:
    return row["value"] / row["baseline"] if row.get("baseline") else float("nan")


def print_table(rows: list[dict]) -> None:
    header = (f"{'benchmark':<58} {'figure':>14} {'baseline':>14} {'ratio':>6} {'goal':>7}"
              "  baseline is")
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        unit = row.get("unit", "")
        goal = row.get("goal", "")
        print(f"{row['name']:<58} {row['value']:>10.1f} {unit:<3} "
              f"{row.get('baseline', float('nan')):>10.1f} {unit:<3} {ratio(row):>6.2f} "
              f"{goal:>7}  {row.get('baseline_name', '')}")


if __name__ == "__main__":
    sys.exit(main())
