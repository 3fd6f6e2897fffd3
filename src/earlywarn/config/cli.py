"""The ``earlywarn`` command: serve, worker, scheduler, manage (architecture.md, public contract).

``serve`` is the embedded default: it migrates, optionally loads the demo data, and runs the web server
(uvicorn, or gunicorn with ``--threads``; ``web_argv``), one task worker and the scheduler as child processes,
stopping them all together.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlywarn.config.settings")
    import django

    django.setup()


def _manage(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlywarn.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["earlywarn manage", *argv])
    return 0


def web_argv(host: str, port: int, *, workers: int, threads: int = 1, access_log: bool = False) -> list[str]:
    """The production web server: uvicorn (httptools, uvloop), which keeps connections alive and answers published
    advisories from their files on the event loop, Django for the rest (config/asgi.py, docs/advisories.md
    "Serving"). With ``threads`` > 1: gunicorn's threaded worker and the WSGI application (same fast path)."""
    # X-Forwarded-* are believed only with EARLYWARN_BEHIND_PROXY (as Django's SECURE_PROXY_SSL_HEADER), and then
    # from the proxy's addresses (FORWARDED_ALLOW_IPS, default 127.0.0.1): otherwise any local process could make a
    # request look like https or like another client to the rate limits.
    from earlywarn.config.env import env_bool

    proxied = env_bool("EARLYWARN_BEHIND_PROXY", default=False)
    if threads > 1:
        return [sys.executable, "-m", "gunicorn", "earlywarn.config.wsgi:application", "--worker-class", "gthread",
                "--threads", str(threads), "--bind", f"{host}:{port}", "--workers", str(workers),
                "--access-logfile", "-" if access_log else "/dev/null", "--graceful-timeout", "10",
                *([] if proxied else ["--forwarded-allow-ips", ""])]
    return [sys.executable, "-m", "uvicorn", "earlywarn.config.asgi:application", "--host", host, "--port", str(port),
            "--workers", str(workers), "--lifespan", "on", "--timeout-graceful-shutdown", "10",
            "--access-log" if access_log else "--no-access-log",
            "--proxy-headers" if proxied else "--no-proxy-headers"]


def _hint_public_files() -> None:
    """Say so when published advisories have no public files for this version and settings (after an upgrade)."""
    from earlywarn.advisories import public_files
    from earlywarn.advisories.models import AdvisoryRevision

    root = public_files.public_root()
    if root is not None and not root.exists() and AdvisoryRevision.objects.filter(is_current=True).exists():
        print("earlywarn: published advisories are answered by Django until their files are written for this "
              "version; the worker writes them now in the background (docs/advisories.md, Serving)", flush=True)


def default_base_url(host: str, port: int) -> str:
    """The address links in pages and mail point to when ``EARLYWARN_BASE_URL`` is not set: where ``serve`` listens
    (an all-interfaces bind is reached as 127.0.0.1 from this machine)."""
    if host in {"", "0.0.0.0", "::", "[::]"}:  # noqa: S104 # nosec B104 - recognising the bind, not binding
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _serve(args: argparse.Namespace) -> int:
    # Before the settings are read, and inherited by the web server, worker and scheduler: without it every link
    # (status links, mail, CSAF, feeds) pointed to port 8000 whatever --port said.
    os.environ.setdefault("EARLYWARN_BASE_URL", default_base_url(args.host, args.port))
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if args.demo:
        call_command("load_demo")
    _hint_public_files()
    web = web_argv(args.host, args.port, workers=args.workers, threads=args.threads, access_log=args.access_log)
    me = [sys.executable, "-m", "earlywarn.config.cli"]
    children = [
        subprocess.Popen(web),  # noqa: S603 - fixed argv, no shell
        subprocess.Popen([*me, "worker"]),  # noqa: S603
        subprocess.Popen([*me, "scheduler"]),  # noqa: S603
    ]
    print(f"earlywarn is running at http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)

    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(f"earlywarn: a child process exited with {child.returncode}; stopping", file=sys.stderr)
                stopping = True
                exit_code = 1
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return exit_code


def _stats(args: argparse.Namespace) -> int:
    from earlywarn.stats.quarter import reportable_quarter
    from earlywarn.stats.quarterly import InconsistentData, quarterly_report
    from earlywarn.stats.render import render_as

    try:
        quarter = reportable_quarter(args.quarter)  # a future quarter has no statistics
    except ValueError as exc:
        print(f"earlywarn stats: {exc}", file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        print(f"… {line}", file=sys.stderr, flush=True)

    try:
        report = quarterly_report(quarter, progress=progress)
    except InconsistentData as exc:  # a broken trail or a failed §5.3 reconciliation: no figures, the reason
        logging.getLogger("earlywarn.stats").error("statistics for %s are unavailable: %s", quarter, exc)
        print(f"earlywarn stats: the data do not reconcile, no report for {quarter}: {exc}", file=sys.stderr)
        return 2
    body = render_as(report, args.format, args.language, progress=progress)
    if args.output:
        with open(args.output, "wb") as handle:
            handle.write(body)
        print(f"earlywarn stats: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    return 0


def _import_history(args: argparse.Namespace) -> int:
    from earlywarn.stats.history import HistoryImportError, history_import

    try:
        summary = history_import(args.file, progress=lambda line: print(f"… {line}", file=sys.stderr, flush=True))
    except HistoryImportError as exc:
        print(f"earlywarn import-history: {exc}", file=sys.stderr)
        print("earlywarn import-history: nothing was imported", file=sys.stderr)
        return 2
    print(f"earlywarn import-history: {summary.imported:,} imported, {summary.skipped:,} already present "
          f"(of {summary.lines:,} lines), {summary.events:,} events", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earlywarn", description="Coordinated vulnerability disclosure platform")
    sub = parser.add_subparsers(dest="verb", required=True)

    serve = sub.add_parser("serve", help="migrate and run web, worker and scheduler on the embedded default")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo organisations, accounts and reports")
    # One request at a time per process measured best on 2 cores (docs/benchmarks.md): threads make SQLite's write
    # lock wait longer. The default (uvicorn) runs Django in one thread per process (config/asgi.py, a2wsgi).
    serve.add_argument("--workers", type=int, default=4, help="web server processes")
    serve.add_argument("--threads", type=int, default=1,
                       help="threads per web server process (more than 1: gunicorn's threaded WSGI worker)")
    serve.add_argument("--access-log", action="store_true")

    worker = sub.add_parser("worker", help="run one task worker (mail delivery and other background work)")
    worker.add_argument("--batch", action="store_true", help="run every task that is due, then exit")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls of an empty queue")
    scheduler = sub.add_parser("scheduler", help="run the periodic-job scheduler")
    scheduler.add_argument("--once", action="store_true", help="enqueue every job once, then exit")
    stats = sub.add_parser("stats", help="statistics")
    stats_sub = stats.add_subparsers(dest="report", required=True)
    quarterly = stats_sub.add_parser("quarterly", help="the quarterly report, as it stood at the quarter's end")
    quarterly.add_argument("quarter", help="e.g. 2025Q4")
    quarterly.add_argument("--format", choices=["json", "html", "pdf", "csv"], default="json")
    quarterly.add_argument("--language", choices=["ja", "en"], default="ja",
                           help="language of the html and pdf documents (default ja)")
    quarterly.add_argument("--output", help="write here instead of standard output")
    import_history = sub.add_parser("import-history", help="import historical reports from JSON Lines "
                                    "(docs/import-format.md); all or nothing")
    import_history.add_argument("file", help="the JSON Lines file")
    manage = sub.add_parser("manage", help="any Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        return _manage(argv[1:])
    args = build_parser().parse_args(argv)
    if args.verb == "serve":
        return _serve(args)
    _setup_django()
    from earlywarn.config.worker import run_scheduler, run_worker

    if args.verb == "stats":
        return _stats(args)
    if args.verb == "import-history":
        return _import_history(args)
    if args.verb == "worker":
        run_worker(batch=args.batch, interval=args.interval)
    elif args.verb == "scheduler":
        run_scheduler(once=args.once)
    return 0


if __name__ == "__main__":
    sys.exit(main())
