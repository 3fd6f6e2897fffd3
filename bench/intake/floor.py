"""What one report submission costs at least in-process, step by step, against the whole submission.

    .venv/bin/python bench/intake/floor.py [--requests 300] [--rounds 5] [--json out.json]

Runs the production settings on a fresh SQLite data directory, in one process, serially, and measures the CPU
time (``time.process_time``) per operation of:

* ``static``: ``GET /static/earlywarn/site.css`` through Django's test client (WhiteNoise answers it at the top of
  the middleware stack): the baseline the other figures are divided by;
* ``django_noop``: ``GET /api/v1/nope``, a JSON 404 after every middleware and the URL resolver: Django's request
  path with no work in it;
* ``orm_inserts``: the six rows a submission must write (report, case, vulnerability, event, outbox message,
  delivery task) through the ORM in one transaction, with no validation, rendering or HTTP;
* ``sql_inserts``: six rows of the same size written with one cursor and hand-written SQL, in one transaction;
* ``submission``: ``POST /api/v1/reports`` as the load benchmark sends it (``run.report_body``).

Issue 2's target, 500 accepted submissions/s at p99 < 100 ms with 50 closed-loop clients on 2 cores, leaves about
2.8 ms of machine CPU per request for everything (the HTTP server and the clients included; docs/benchmarks.md).
The script prints how much of that the steps no ORM-based submission can skip already take.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import report_body  # the same bodies as the load benchmark


def measure(fn: Callable[[int], None], *, requests: int, rounds: int) -> dict[str, float]:
    for n in range(min(50, requests)):  # warm caches (templates, URL resolver, connection, statements)
        fn(n)
    per_round = []
    for _ in range(rounds):
        started = time.process_time()
        for n in range(requests):
            fn(n)
        per_round.append((time.process_time() - started) / requests * 1000)
    per_round.sort()
    return {"best_ms": round(per_round[0], 3), "median_ms": round(per_round[len(per_round) // 2], 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="operations per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best and the median are reported")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ["EARLYWARN_DATA_DIR"] = tempfile.mkdtemp(prefix="earlywarn-floor.")
    os.environ["DJANGO_SETTINGS_MODULE"] = "earlywarn.config.settings"
    os.environ["EARLYWARN_LOG_LEVEL"] = "ERROR"  # no log line per 404
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from earlywarn.cases.models import Case, CaseEvent, Vulnerability
    from earlywarn.intake.models import Report
    from earlywarn.notify.models import OutboxMessage

    call_command("migrate", interactive=False, verbosity=0)
    client = Client(HTTP_HOST="127.0.0.1")
    submission = json.loads(report_body(0))

    def static(_n: int) -> None:
        assert client.get("/static/earlywarn/site.css").status_code == 200

    def django_noop(_n: int) -> None:
        assert client.get("/api/v1/nope").status_code == 404

    def orm_inserts(_n: int) -> None:
        with transaction.atomic():
            report = Report.objects.create(
                tracking_id=uuid.uuid4().hex[:20], kind="product", origin="finder", language="ja",
                submission=submission, finder_email="finder@example.test", request_fingerprint=uuid.uuid4().hex,
                status_token_hash=uuid.uuid4().hex)
            case = Case.objects.create(report=report, flow="product", state="received",
                                       state_changed_at=timezone.now(), title=submission["title"],
                                       received_on=timezone.localdate())
            Vulnerability.objects.create(case=case, title=submission["title"], cwe="CWE-79")
            CaseEvent.objects.create(case=case, tag="case:report:received", to_flow="product", to_state="received")
            OutboxMessage.objects.create(message_id=f"<{uuid.uuid4().hex}@bench>", template="report_received",
                                         language="ja", to="finder@example.test", subject="s", body_text="b" * 600,
                                         case=case)
            DBTaskResult.objects.create(args_kwargs={"args": [str(case.id)], "kwargs": {}}, priority=0,
                                        task_path="earlywarn.notify.tasks.deliver_outbox_message",
                                        queue_name="default", backend_name="default", run_after=timezone.now())

    body = json.dumps(submission)

    def sql_inserts(_n: int) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for _ in range(6):
                cursor.execute(
                    "INSERT INTO django_tasks_database_dbtaskresult (id, status, enqueued_at, args_kwargs, priority, "
                    "task_path, queue_name, backend_name, run_after, return_value, exception_class_path, traceback, "
                    "worker_ids) VALUES (%s, 'READY', %s, %s, 0, 'x', 'default', 'default', %s, 'null', '', '', '[]')",
                    [uuid.uuid4().hex, timezone.now(), body, timezone.now()])

    def submit(n: int) -> None:
        response = client.post("/api/v1/reports", data=report_body(n), content_type="application/json",
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 201, response.content

    steps = {"static": static, "django_noop": django_noop, "orm_inserts": orm_inserts, "sql_inserts": sql_inserts,
             "submission": submit}
    results: dict[str, Any] = {}
    for name, fn in steps.items():
        results[name] = measure(fn, requests=args.requests, rounds=args.rounds)
        print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {name:<12} best {results[name]['best_ms']:.2f} ms, median "
              f"{results[name]['median_ms']:.2f} ms", file=sys.stderr, flush=True)
    base = results["static"]["best_ms"]
    print("\n| step | CPU ms per operation (best of rounds) | median | ratio to the static baseline |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['best_ms']:.2f} | {r['median_ms']:.2f} | {r['best_ms'] / base:.1f} |")
    floor = results["django_noop"]["best_ms"] + results["orm_inserts"]["best_ms"]
    print(f"\nDjango's request path + the six ORM inserts: {floor:.2f} ms of one core, before any validation, "
          f"rendering or HTTP; the whole submission: {results['submission']['best_ms']:.2f} ms.")
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
