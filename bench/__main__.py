"""Run every benchmark and print one table; figures also go to bench/results.json.

    make bench                        # SQLite, then PostgreSQL when it can start one
    .venv/bin/python -m bench --quick # shorter loads, for a smoke run
    .venv/bin/python -m bench --only sign-in,pages   # some of them
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from bench import autosave, pages, scoring, sign_in

RESULTS = Path(__file__).resolve().parent / "results.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short loads")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(GROUPS))
    args = parser.parse_args()
    seconds = 3 if args.quick else 10
    chosen = args.only.split(",") if args.only else list(GROUPS)
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    rows: list[dict] = []
    for name in chosen:
        rows += GROUPS[name](seconds)
    print_table(rows)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                   "results": rows}, indent=2))
    print(f"\nFigures written to {RESULTS}")
    return 0


def _autosave(seconds: float) -> list[dict]:
    rows = autosave.run("sqlite", seconds=seconds, workers=1)
    if os.environ.get("MAPS_TEST_DATABASE_URL"):
        rows += autosave.run("postgresql", seconds=seconds, workers=2)
    else:
        print("(PostgreSQL figures skipped: run through scripts/with-postgres.sh)",
              file=sys.stderr)
    return rows


def _optional(module: str):
    def run(_seconds: float) -> list[dict]:
        try:
            extra = __import__(module, fromlist=["run"])
        except ImportError:
            return []
        return extra.run()

    return run


GROUPS = {
    "scoring": lambda _: scoring.run(),
    "pages": lambda _: pages.run(),
    "autosave": _autosave,
    "sign-in": lambda _: sign_in.run(),
    "report": _optional("bench.report"),
    "comparison": _optional("bench.comparison"),
}


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
