"""Run every benchmark and print one table; figures also go to bench/results.json.

    make bench                        # SQLite, then PostgreSQL when it can start one
    .venv/bin/python -m bench --quick # shorter loads, for a smoke run
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from bench import autosave, pages, scoring

RESULTS = Path(__file__).resolve().parent / "results.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short loads")
    args = parser.parse_args()
    seconds = 3 if args.quick else 10
    rows: list[dict] = []
    rows += scoring.run()
    rows += pages.run()
    rows += autosave.run("sqlite", seconds=seconds, workers=1)
    if os.environ.get("MAPS_TEST_DATABASE_URL"):
        rows += autosave.run("postgresql", seconds=seconds, workers=2)
    else:
        print("(PostgreSQL figures skipped: run through scripts/with-postgres.sh)",
              file=sys.stderr)
    for module in ("bench.report", "bench.comparison"):
        try:
            extra = __import__(module, fromlist=["run"])
        except ImportError:
            continue
        rows += extra.run()
    print_table(rows)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                   "results": rows}, indent=2))
    print(f"\nFigures written to {RESULTS}")
    return 0


def print_table(rows: list[dict]) -> None:
    header = f"{'benchmark':<44} {'figure':>14} {'baseline':>14} {'ratio':>7}  baseline is"
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        ratio = row["value"] / row["baseline"] if row.get("baseline") else float("nan")
        unit = row.get("unit", "")
        print(f"{row['name']:<44} {row['value']:>10.1f} {unit:<3} "
              f"{row.get('baseline', float('nan')):>10.1f} {unit:<3} {ratio:>7.2f}  "
              f"{row.get('baseline_name', '')}")


if __name__ == "__main__":
    sys.exit(main())
