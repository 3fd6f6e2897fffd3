"""Profile one worker's cost of the public advisory reads, serially and in-process (no HTTP, no concurrency).

    .venv/bin/python bench/publication/profile_serve.py DATA_DIR [--requests 200] [--top 25] [--kind csaf]

Uses a data directory kept by ``run.py --keep`` (its SQLite database), sends GETs through Django's WSGI handler
with the test client under the production settings, and prints the mean wall time and the SQL statements per
request and the cProfile entries with the largest cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--kind", choices=["html", "csaf", "osv", "html_304", "list", "search"], default="csaf")
    args = parser.parse_args()
    os.environ.update({"EARLYWARN_DATA_DIR": str(args.data_dir), "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings",
                       "EARLYWARN_ALLOWED_HOSTS": "testserver"})
    os.environ.pop("EARLYWARN_DEBUG", None)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from earlywarn.advisories.models import AdvisoryRevision

    rows = list(AdvisoryRevision.objects.filter(is_current=True).values_list("slug", "csaf_path")[:5000])
    rng = random.Random(4)
    client = Client(headers={"accept-language": "ja"})
    etags: dict[str, str] = {}

    def url(n: int) -> str:
        slug, path = rng.choice(rows)
        query = ("権限昇格", "firmware", "Sample Corp 117")[n % 3]
        return {"html": f"/advisories/{slug}/", "html_304": f"/advisories/{slug}/",
                "osv": f"/advisories/{slug}/osv.json", "csaf": f"/.well-known/csaf/{path}",
                "list": f"/advisories/?page={n % 1900 + 1}", "search": f"/advisories/?q={query}"}[args.kind]

    def get(n: int) -> int:
        target = url(n)
        if args.kind == "html_304":
            if target not in etags:
                etags[target] = client.get(target)["ETag"]
            return client.get(target, headers={"if-none-match": etags[target]}).status_code
        return client.get(target).status_code

    get(0)
    with CaptureQueriesContext(connection) as queries:
        get(1)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    statuses = [get(n) for n in range(args.requests)]
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.kind}: {args.requests} requests, {elapsed / args.requests * 1000:.1f} ms each (under the "
          f"profiler), statuses {sorted(set(statuses))}, {len(queries.captured_queries)} SQL statements:")
    for query in queries.captured_queries:
        print(f"  {query['time']} s  {query['sql'][:200]}")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
