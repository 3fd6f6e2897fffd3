"""What publishing 10,000 advisories costs at least: the two steps no publication can skip, on every core.

    .venv/bin/python bench/publication/floor.py [--advisories 200] [--target 10000] [--processes 2] [--json out.json]

Publishes ``--advisories`` drafts through ``services.advisory_publish`` (seed.py's data, with a signing key), then
takes their stored documents (the advisory's CSAF and its VEX document) and times, in ``--processes`` worker
processes (default: every core) over ``--target`` advisories' worth of documents (cycling the published ones):

* ``validation``: ``csaf_check.csaf_findings`` of each document, the official schema and mandatory tests that
  every served document must pass before it is stored;
* ``signing``: ``openpgp.sign_detached`` of each document (one ``gpg`` process per signature, as publication runs it);
* ``baseline``: ``json.loads`` + ``json.dumps`` of each document, so the figures can be compared across runs on
  a shared machine as ratios.

Issue 5 asks for 10,000 publications in 60 s on 2 cores. If validation alone takes most of that budget with both
cores busy, the target cannot be met while every document is checked by the official validator; this script
shows by how much (docs/benchmarks.md, "Publication").
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench.intake import run as intake

_documents: list[dict[str, Any]] = []


def _setup(data_dir: Path) -> None:
    os.environ.update({"EARLYWARN_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings",
                       "EARLYWARN_LOG_LEVEL": "WARNING"})
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def published_documents(count: int) -> list[dict[str, Any]]:
    """Publish ``count`` drafts through the service; the advisory and VEX documents it stored."""
    import seed
    from django.core.management import call_command
    from django.db import connections

    from earlywarn.advisories.models import Advisory, AdvisoryRevision

    call_command("migrate", interactive=False, verbosity=0)
    seed.insert_drafts(count)
    seed.publish(list(Advisory.objects.values_list("slug", flat=True)), seed.publisher())
    documents = []
    for csaf, vex_csaf in AdvisoryRevision.objects.values_list("csaf", "vex_csaf"):
        documents += [json.loads(text) for text in (csaf, vex_csaf) if text]
    connections.close_all()  # the workers are forked: none of them may share this connection
    return documents


def _validate(index: int) -> int:
    from earlywarn.advisories.csaf_check import csaf_findings

    return len(csaf_findings(_documents[index % len(_documents)]))


def _sign(index: int) -> int:
    from earlywarn.advisories import openpgp

    return len(openpgp.sign_detached(json.dumps(_documents[index % len(_documents)]).encode()))


def _baseline(index: int) -> int:
    return len(json.dumps(json.loads(json.dumps(_documents[index % len(_documents)]))))


def timed(step: Any, documents: int, processes: int) -> tuple[float, list[int]]:
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(step, range(processes * 4))  # warm-up: imports, schema registry, the GnuPG handle
        t0 = time.perf_counter()
        results = pool.map(step, range(documents), chunksize=max(1, documents // (processes * 20)))
        return time.perf_counter() - t0, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--advisories", type=int, default=200, help="published through the service")
    parser.add_argument("--target", type=int, default=10_000, help="advisories whose documents are processed")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds the issue allows for 10,000 advisories")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="earlywarn-bench-floor."))
    results: dict[str, Any] = {"cpus": os.cpu_count(), "processes": args.processes, "load_before": os.getloadavg()}
    try:
        _setup(data_dir)
        _documents.extend(published_documents(args.advisories))
        per_advisory = len(_documents) / args.advisories
        count = round(args.target * per_advisory)
        results.update({"published": args.advisories, "documents_per_advisory": round(per_advisory, 2),
                        "documents": count})
        for name, step in (("baseline", _baseline), ("validation", _validate), ("signing", _sign)):
            seconds, outcome = timed(step, count, args.processes)
            if name == "validation" and any(outcome):
                raise SystemExit("a published document failed the official tests")
            results[name] = {"seconds": round(seconds, 2), "ms_per_document": round(seconds / count * 1000, 3)}
            intake.log(f"{name}: {count:,} documents in {seconds:.1f} s on {args.processes} processes")
        base = results["baseline"]["seconds"] or 1e-9
        for name in ("validation", "signing"):
            results[name]["ratio_to_baseline"] = round(results[name]["seconds"] / base, 1)
            results[name]["share_of_budget"] = round(results[name]["seconds"] / (args.budget * args.target / 10_000), 2)
    finally:
        results["load_after"] = os.getloadavg()
        subprocess.run(["gpgconf", "--homedir", str(data_dir / "openpgp"), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
