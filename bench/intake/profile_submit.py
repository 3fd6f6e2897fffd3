"""Profile one worker's cost of ``POST /api/v1/reports``, serially and in-process (no HTTP, no concurrency).

    .venv/bin/python bench/intake/profile_submit.py [--requests 500] [--database-url postgres://…] [--top 30]

Runs the production settings against a fresh SQLite data directory (or DATABASE_URL), sends the requests through
Django's WSGI handler with the test client, prints the mean wall time per request and the cProfile entries with
the largest cumulative time, and counts the SQL statements of one submission.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import report_body  # the same bodies as the load benchmark


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--without", choices=["dispatch", "acknowledgement"], action="append", default=[],
                        help="what-if: replace the task enqueue of the outbox / the whole acknowledgement with a no-op")
    parser.add_argument("--callers", default="", help="also print the callers of functions matching this")
    parser.add_argument("--match", default="", help="restrict the listing to functions matching this")
    args = parser.parse_args()
    os.environ["EARLYWARN_DATA_DIR"] = tempfile.mkdtemp(prefix="earlywarn-profile.")
    os.environ["DJANGO_SETTINGS_MODULE"] = "earlywarn.config.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", interactive=False, verbosity=0)
    if "dispatch" in args.without:
        import earlywarn.notify.dispatch

        earlywarn.notify.dispatch.outbox_dispatch = lambda message: None
    if "acknowledgement" in args.without:
        import earlywarn.intake.services

        earlywarn.intake.services.acknowledgement = lambda report, case: None
    client = Client(HTTP_HOST="127.0.0.1")

    def post(n: int) -> None:
        response = client.post("/api/v1/reports", data=report_body(n), content_type="application/json",
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 201, response.content

    for n in range(20):  # warm caches (templates, URL resolver, connection)
        post(n)
    with CaptureQueriesContext(connection) as queries:
        post(1)
        post(2)
    print(f"SQL statements for a product + a website submission: {len(queries.captured_queries)}")
    for q in queries.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:140]}")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for n in range(args.requests):
        post(n)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"\n{args.requests} submissions in {elapsed:.2f} s: {elapsed / args.requests * 1000:.2f} ms each "
          f"(profiled; cProfile adds overhead)")
    batches = []  # unprofiled, in five batches: the best one is the least disturbed by a noisy machine
    for _ in range(5):
        started = time.process_time()  # CPU time of this process: less disturbed by neighbours than wall time
        for n in range(args.requests // 5):
            post(n)
        batches.append((time.process_time() - started) / (args.requests // 5) * 1000)
    print(json.dumps({"unprofiled_cpu_ms_per_request": {"best": round(min(batches), 2),
                                                    "median": round(sorted(batches)[2], 2)}}))
    stats = pstats.Stats(profiler).sort_stats(args.sort)
    stats.print_stats(*([args.match] if args.match else []), args.top)
    if args.callers:
        stats.print_callers(args.callers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
