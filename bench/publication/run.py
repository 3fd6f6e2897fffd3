"""Publication benchmark: publish through the real service, then serve advisories by id against nginx.

    .venv/bin/python bench/publication/run.py [--advisories 100000] [--publish 1000] [--clients 50]
                                              [--seconds 10] [--server 2x1] [--json out.json]

1. A fresh data directory (SQLite) with ``--advisories`` advisories: all but ``--publish`` of them bulk-inserted
   (seed.py says how), then ``--publish`` drafts published one by one through ``services.advisory_publish`` with an
   OpenPGP signing key (content snapshot, CSAF build, schema and mandatory tests, VEX, signature, audit event).
   Reports the batch time and the per-advisory times (and a profile of the first ``--profile`` publications).
2. The production web server as ``earlywarn serve`` starts it (``config.cli.web_argv``: uvicorn, production
   settings, ``--server WxT``, default 2 workers; ``T`` > 1: gunicorn's threaded WSGI workers) and nginx (2 worker
   processes) serving the same bytes from disk: for ``--sample`` random advisories, the HTML page
   (``Accept-Language: ja``, as gunicorn answered it) and the stored CSAF document, at the same paths. The public
   files of the sampled advisories are written first (``public_files.rebuild``, timed): the bulk-inserted ones
   were not published through the service, which writes them after each publication.
   Closed-loop clients (bench/intake/run.py's ``run_phase``) measure, in the same run: nginx and gunicorn on the
   pages, nginx and gunicorn on the CSAF documents, and gunicorn answering conditional GETs (``If-None-Match``
   → 304). Before that it checks ETag / Last-Modified / 304 on one page and one document.
3. The list (random pages) and search (words and names from the generated texts): one client, one request after
   the other (the service time, not queueing), after one unmeasured pass over the same URLs, within
   ``--latency-seconds``; p95 against 50 ms.

nginx must be installed (``apt-get install -y nginx-light``); nothing in dev/ or the tests needs it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench.intake import run as intake  # noqa: E402

from earlywarn.config.cli import web_argv  # noqa: E402

HOST = intake.HOST
LIST_P95_MS = 50.0
NGINX_CONF = """daemon off;
user root;
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {{
        listen {host}:{port};
        root {dir}/www;
        index index.html;
    }}
}}
"""


def log(message: str) -> None:
    intake.log(message)


class Production(intake.ServerConfig):
    """bench/intake's server, started as ``earlywarn serve`` starts the web server."""

    @property
    def label(self) -> str:
        kind = "gunicorn gthread, WSGI" if self.threads > 1 else "uvicorn, ASGI"
        return f"{self.workers}x{self.threads} ({kind})"

    def argv(self, port: int) -> list[str]:
        return web_argv(HOST, port, workers=self.workers, threads=self.threads)


def setup_django(data_dir: Path, port: int) -> dict[str, str]:
    env = {"EARLYWARN_DATA_DIR": str(data_dir), "EARLYWARN_BASE_URL": f"http://{HOST}:{port}",
           "EARLYWARN_ALLOWED_HOSTS": f"{HOST},localhost", "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings",
           "EARLYWARN_LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    os.environ.pop("EARLYWARN_DEBUG", None)
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return {**os.environ, **env}


def fill_and_publish(args: argparse.Namespace) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Returns the publication figures and (slug, csaf_path) of every advisory."""
    import seed

    from earlywarn.advisories.models import Advisory

    existing = args.advisories - args.publish
    t0 = time.perf_counter()
    seed.insert_drafts(args.advisories)
    slugs = list(Advisory.objects.order_by("created_at").values_list("slug", flat=True))
    rng = random.Random(2)
    to_publish = set(rng.sample(slugs, args.publish))
    seed.insert_revisions([s for s in slugs if s not in to_publish])
    fill_seconds = time.perf_counter() - t0
    log(f"bulk insert of {args.advisories:,} drafts and {existing:,} revisions: {fill_seconds:.0f} s")
    actor = seed.publisher()
    result = seed.publish(sorted(to_publish), actor, profile=args.profile)
    times = sorted(result.pop("times"))
    result.update({
        "bulk_insert_seconds": round(fill_seconds, 1), "existing": existing,
        "per_advisory_ms": {"mean": round(statistics.fmean(times) * 1000, 1),
                            "p50": round(intake.percentile(times, 50) * 1000, 1),
                            "p95": round(intake.percentile(times, 95) * 1000, 1),
                            "max": round(times[-1] * 1000, 1)},
        "extrapolated_10000_seconds": round(result["seconds"] / args.publish * 10_000, 1),
    })
    pairs = current_pairs()
    subprocess.run(["gpgconf", "--homedir", str(args.data_dir / "openpgp"), "--kill", "gpg-agent"], check=False)
    return result, pairs


def current_pairs() -> list[tuple[str, str]]:
    """(slug, csaf_path) of every published advisory; closes the connection (gunicorn takes over)."""
    from django.db import connections

    from earlywarn.advisories.models import AdvisoryRevision

    pairs = list(AdvisoryRevision.objects.filter(is_current=True).values_list("slug", "csaf_path"))
    connections.close_all()
    return pairs


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.request("GET", path, headers={"Accept-Language": "ja", **(headers or {})})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def export(port: int, urls: list[str], www: Path) -> dict[str, str]:
    """Save what gunicorn answers for each url below ``www`` (as nginx will serve it); returns the ETags."""
    etags = {}
    for url in urls:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.request("GET", url, headers={"Accept-Language": "ja"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        if response.status != 200:
            raise SystemExit(f"GET {url} answered {response.status}")
        target = www / url.lstrip("/")
        if url.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        etags[url] = response.getheader("ETag") or ""
    return etags


def conditional_checks(port: int, url: str) -> dict[str, Any]:
    first = fetch(port, url)
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    by_etag = fetch(port, url, {"If-None-Match": etag or ""}).status
    by_date = fetch(port, url, {"If-Modified-Since": modified or ""}).status
    stale = fetch(port, url, {"If-None-Match": '"stale"'}).status
    return {"url": url, "etag": etag, "last_modified": modified, "cache_control": first.getheader("Cache-Control"),
            "if_none_match": by_etag, "if_modified_since": by_date, "other_etag": stale,
            "ok": bool(etag and modified and by_etag == 304 and by_date == 304 and stale == 200)}


def cycling(urls: list[str], etags: dict[str, str] | None = None) -> intake.RequestFn:
    def send(conn: http.client.HTTPConnection, n: int) -> tuple[int, bytes]:
        url = urls[n % len(urls)]
        headers = {"Accept-Language": "ja"}
        if etags is not None:
            headers["If-None-Match"] = etags[url]
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    return send


def sequential(port: int, urls: list[str], budget: float) -> dict[str, Any]:
    """One client, one request after the other over ``urls`` (at most ``budget`` seconds): the service time."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    deadline = time.perf_counter() + budget
    for url in urls:
        if time.perf_counter() > deadline:
            break
        t0 = time.perf_counter()
        conn.request("GET", url, headers={"Accept-Language": "ja"})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t0)
        statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
    conn.close()
    lat = sorted(latencies)
    p95 = intake.percentile(lat, 95) * 1000
    return {"requests": len(lat), "of": len(urls), "statuses": statuses,
            "p50_ms": round(intake.percentile(lat, 50) * 1000, 1), "p95_ms": round(p95, 1),
            "max_ms": round(lat[-1] * 1000, 1) if lat else 0.0,
            "target_met": bool(lat) and p95 < LIST_P95_MS and set(statuses) == {"200"}}


@contextlib.contextmanager
def nginx(data_dir: Path, port: int) -> Iterator[None]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("nginx is not installed: apt-get install -y nginx-light")
    conf = data_dir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=data_dir, host=HOST, port=port))
    with open(data_dir / "nginx.log", "ab") as out:
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(data_dir)], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                fetch(port, "/")
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nginx did not start; see {data_dir}/nginx-error.log")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def write_public_files(slugs: list[str]) -> dict[str, Any]:
    from django.db import connections

    from earlywarn.advisories import public_files

    t0 = time.perf_counter()
    written = public_files.rebuild(slugs=slugs)
    seconds = time.perf_counter() - t0
    connections.close_all()
    return {"advisories": len(slugs), "files": written, "seconds": round(seconds, 1),
            "ms_per_advisory": round(seconds / max(1, len(slugs)) * 1000, 1)}


def serve(args: argparse.Namespace, env: dict[str, str], port: int, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    rng = random.Random(3)
    sample = rng.sample(pairs, min(args.sample, len(pairs)))
    pages = [f"/advisories/{slug}/" for slug, _ in sample]
    documents = [f"/.well-known/csaf/{path}" for _, path in sample]
    words = ("権限昇格", "ルータ", "firmware", "bypass", "サンプル042", "Sample Corp 117", "Camera5", "CVE-2021-10")
    searches = [f"/advisories/?q={urllib.parse.quote(w)}" for w in words]
    last_page = max(2, args.advisories // 50)
    lists = [f"/advisories/?page={p}" for p in rng.sample(range(1, last_page), min(40, last_page - 1))]
    lists.append("/advisories/")
    nginx_port = intake.free_port()
    www = args.data_dir / "www"
    out: dict[str, Any] = {"sample": len(sample)}
    phase = {"clients": args.clients, "warmup": args.warmup, "seconds": args.seconds, "collect_ids": False}
    out["public_files"] = write_public_files([slug for slug, _ in sample])
    log(f"public files: {out['public_files']}")
    with intake.server(args.server, env, port, args.data_dir / "gunicorn.log"):
        log(f"exporting {len(sample)} pages and CSAF documents for nginx")
        page_etags = export(port, pages, www)
        document_etags = export(port, documents, www)
        out["conditional"] = [conditional_checks(port, pages[0]), conditional_checks(port, documents[0])]
        log(f"conditional GET: {[(c['if_none_match'], c['if_modified_since'], c['ok']) for c in out['conditional']]}")
        with nginx(args.data_dir, nginx_port):
            out["nginx_conditional"] = conditional_checks(nginx_port, documents[0])
            for name, urls in (("html", pages), ("csaf", documents)):
                base = intake.run_phase(f"nginx {name}", cycling(urls), port=nginx_port, expect=200, **phase)
                app = intake.run_phase(f"app {name}", cycling(urls), port=port, expect=200, **phase)
                out[name] = {"nginx": base.summary(), "gunicorn": app.summary(),
                             "ratio": round(app.rate / base.rate, 3) if base.rate else None}
                log(f"{name}: nginx {base.rate:.0f}/s, earlywarn {app.rate:.0f}/s, ratio {out[name]['ratio']}")
        for name, urls, etags in (("html_304", pages, page_etags), ("csaf_304", documents, document_etags)):
            summary = intake.run_phase(f"app {name}", cycling(urls, etags), port=port, expect=304,
                                       **phase).summary()
            summary["errors"].pop("304", None)  # the expected answer here
            out[name] = summary
        for name, urls in (("list", lists), ("search", searches)):
            sequential(port, urls, args.latency_seconds)  # warm-up, as the phases above have theirs: the first
            # request of each query reads its index pages from disk
            out[name] = sequential(port, urls * 3, args.latency_seconds)
            log(f"{name}: {out[name]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--advisories", type=int, default=100_000)
    parser.add_argument("--publish", type=int, default=1000, help="published through the service (the rest bulk)")
    parser.add_argument("--profile", type=int, default=100, help="profile the first N publications (0: none)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--latency-seconds", type=float, default=60.0,
                        help="budget of the list and search phases (one client, sequential requests)")
    parser.add_argument("--reuse", type=Path, help="serve a data directory kept by --keep (no fill, no publication)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--sample", type=int, default=500, help="advisories whose page and CSAF are requested")
    parser.add_argument("--server", type=lambda text: Production(**vars(intake.ServerConfig.parse(text))),
                        default=Production(2, 1))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the data directory (--reuse always keeps it)")
    args = parser.parse_args(argv)
    args.data_dir = args.reuse or Path(tempfile.mkdtemp(prefix="earlywarn-bench-pub."))
    if args.reuse:
        shutil.rmtree(args.data_dir / "www", ignore_errors=True)
    started = datetime.now(UTC)
    load = os.getloadavg()
    port = intake.free_port()
    results: dict[str, Any] = {"started": started.isoformat(), "cpus": os.cpu_count(), "load_before": load,
                               "python": platform.python_version(), "server": args.server.label,
                               "advisories": args.advisories, "clients": args.clients, "seconds": args.seconds}
    try:
        env = setup_django(args.data_dir, port)
        if args.reuse:
            results["publication"], pairs = {"reused": str(args.reuse)}, current_pairs()  # figures: first run
        else:
            results["publication"], pairs = fill_and_publish(args)
            p = results["publication"]
            log(f"published {p['published']} in {p['seconds']} s: {p['per_advisory_ms']} ms per advisory; "
                f"10,000 would take {p['extrapolated_10000_seconds']} s")
        results["serving"] = serve(args, env, port, pairs)
    finally:
        results["load_after"] = os.getloadavg()
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        if args.keep or args.reuse:  # a reused directory is never removed
            log(f"kept {args.data_dir}")
        else:
            shutil.rmtree(args.data_dir, ignore_errors=True)
    print(json.dumps({k: v for k, v in results.items() if k != "publication"} | {
        "publication": {k: v for k, v in results["publication"].items() if k != "profile"}}, indent=2,
        ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
