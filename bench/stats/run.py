"""Quarterly statistics benchmark: the full quarterly JSON against a hand-written SQL baseline, in the same run.

    .venv/bin/python bench/stats/run.py [--size 19859] [--repeat 5] [--quarter 2025Q4] [--database-url URL]
    bash -c '. dev/_postgres.sh && .venv/bin/python bench/stats/run.py --database-url "$PG_URL"'

Fills a throwaway data directory (SQLite) or the database at ``--database-url`` (use a throwaway one: the second
command starts a throwaway PostgreSQL cluster) through the import path (``earlywarn import-history``'s
``history_import``) with ``--size`` historical reports: copies of the 2025-consistent history of
``tests/stats/history_data.py`` (19,859 reports, IPA's real size, with the published distributions of §5.2) under
fresh tracking ids, imported in files of 50,000 lines, with progress on standard error.

On PostgreSQL the tables are then analysed (``ANALYZE``), as autovacuum does within a minute of an import.
Then, alternately, ``--repeat`` times each: the engine (``quarterly_report``, the full JSON) and the baseline
(``baseline.py``: S1, the S2 series, the S3/S4 partitions at the cut-off, and the S7 and S13 percentages, each
computed directly in SQL). It asserts that both give the same numbers, and prints the medians, their ratio
(engine / baseline; target ≤ 2) and the peak memory of one engine run (tracemalloc's peak of Python allocations,
measured in a separate run, and the process's maximum resident set size). ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
CHUNK = 50_000


def say(line: str) -> None:
    print(f"… {line}", file=sys.stderr, flush=True)


def setup(database_url: str) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "earlywarn.config.settings"
    os.environ.setdefault("EARLYWARN_DATA_DIR", tempfile.mkdtemp(prefix="earlywarn-bench-stats."))
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    return connection.vendor


def fill(size: int, directory: Path) -> None:
    """``size`` reports through the import path: copies of the 2025 history under fresh tracking ids."""
    from tests.stats.history_data import history_lines

    from earlywarn.intake.models import Report
    from earlywarn.stats.history import history_import

    if Report.objects.exists():
        raise SystemExit("bench/stats: the database is not empty; use a throwaway one")
    lines = history_lines()
    written, part = 0, 0
    started = time.perf_counter()
    while written < size:
        part += 1
        path = directory / f"history-{part}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for n in range(written, min(size, written + CHUNK)):
                copy, line = divmod(n, len(lines))
                tracking = lines[line]["tracking_id"] + (f"-{copy}" if copy else "")
                handle.write(json.dumps({**lines[line], "tracking_id": tracking}, ensure_ascii=False) + "\n")
        count = min(size, written + CHUNK) - written
        history_import(path)
        path.unlink()
        written += count
        say(f"imported {written:,}/{size:,} ({time.perf_counter() - started:.0f} s)")


def timed(function: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def peak_memory(function: Any) -> int:
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(args: argparse.Namespace) -> dict[str, Any]:
    vendor = setup(args.database_url)
    import baseline

    from earlywarn.intake.models import Report
    from earlywarn.stats.quarterly import Quarter, quarterly_report

    quarter = Quarter.parse(args.quarter)
    say(f"{vendor}: generating {args.size:,} reports")
    started = time.perf_counter()
    fill(args.size, Path(tempfile.mkdtemp(prefix="earlywarn-bench-lines.")))
    generated = time.perf_counter() - started
    if vendor == "postgresql":  # table statistics, as autovacuum gathers them within a minute of the import
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    say(f"{vendor}: {Report.objects.count():,} reports in {generated:.0f} s; timing {args.repeat}× each")
    engine_times, baseline_times = [], []
    for index in range(args.repeat):
        seconds, report = timed(lambda: quarterly_report(quarter))
        engine_times.append(seconds)
        seconds, figures = timed(lambda: baseline.figures(quarter))
        baseline_times.append(seconds)
        say(f"run {index + 1}/{args.repeat}: engine {engine_times[-1] * 1000:.0f} ms, "
            f"baseline {baseline_times[-1] * 1000:.0f} ms")
    mismatches = baseline.compare(report, figures)
    if mismatches:
        raise SystemExit("bench/stats: the engine and the SQL baseline disagree:\n  " + "\n  ".join(mismatches))
    say("the engine and the SQL baseline agree on every compared figure")
    peak = peak_memory(lambda: quarterly_report(quarter))
    engine, base = statistics.median(engine_times), statistics.median(baseline_times)
    return {"database": vendor, "reports": args.size, "quarter": str(quarter), "repeat": args.repeat,
            "generate_seconds": round(generated, 1),
            "engine_ms": [round(t * 1000) for t in engine_times], "engine_median_ms": round(engine * 1000),
            "baseline_ms": [round(t * 1000) for t in baseline_times], "baseline_median_ms": round(base * 1000),
            "ratio": round(engine / base, 2), "peak_python_mib": round(peak / 2**20, 1),
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=19_859, help="reports to generate (default IPA's 19,859)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quarter", default="2025Q4")
    parser.add_argument("--database-url", default="", help="a throwaway PostgreSQL database (default: SQLite)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
