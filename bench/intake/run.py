"""Intake load benchmark: concurrent ``POST /api/v1/reports`` through the production HTTP stack.

Starts gunicorn (``earlywarn.config.wsgi``) as a subprocess on a fresh data directory (SQLite, or a throwaway
PostgreSQL cluster), then drives it with closed-loop clients: stdlib ``http.client`` keep-alive connections, one
thread per client, each request a valid product or website report with a unique ``Idempotency-Key``.

For each database and server configuration it measures, under the same client load:

* a baseline: the same server answering a trivial request (a static file served by WhiteNoise, by default);
* submissions: accepted (201) submissions/s, latency p50/p95/p99/max, errors by status.

Afterwards it reconciles against the database: every tracking id answered with 201 is in ``intake_report``
exactly once and has exactly one ``report_received`` row in ``notify_outboxmessage``; reports in the database
that no client saw a 201 for are counted too.

    .venv/bin/python bench/intake/run.py [--db sqlite|postgres|both] [--clients 50] [--seconds 20]
                                         [--server 2x8 --server 4x4 ...] [--json results.json]

No dependencies beyond the project's own (psycopg for the PostgreSQL reconciliation) and the standard library.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
REPORTS_PATH = "/api/v1/reports"
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0


# --- request bodies ---------------------------------------------------------------------------------------

PRODUCT = {  # tests/factories.py product_submission, plus "kind"
    "kind": "product",
    "title": "Stored XSS in the admin console",
    "description": "The comment field is rendered without escaping.",
    "reproduction": "1. Post <script>alert(1)</script> as a comment.\n2. Open the admin console.",
    "impact": "Session theft of administrators.",
    "exploitation": "unknown",
    "vendor_informed": False,
    "finder_name": "山田 太郎",
    "finder_email": "finder@example.test",
    "finder_organisation": "",
    "credit": "name",
    "credit_name": "",
    "consent_share_identity": False,
    "product_name": "ExampleCMS",
    "vendor_name": "Example Corp",
    "product_version": "4.2",
    "cwe": "CWE-79",
    "self_report": False,
}
WEBSITE = {  # tests/factories.py website_submission, plus "kind"
    **{k: v for k, v in PRODUCT.items() if k not in {"product_name", "vendor_name", "product_version", "cwe",
                                                      "self_report"}},
    "kind": "website",
    "title": "SQL injection in search",
    "url": "https://shop.example.test/search?q=1",
    "website_type": "sql_injection",
    "threat": "data_tampering",
}


def report_body(n: int) -> bytes:
    body = dict(PRODUCT if n % 2 == 0 else WEBSITE)
    body["title"] = f"{body['title']} #{n}"
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# --- small helpers ----------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-p * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    total = sum(fields[:8])
    return total - idle, total


def process_cpu() -> float:
    """CPU seconds (user + system) of this process: the load generator."""
    t = os.times()
    return t.user + t.system


# --- databases --------------------------------------------------------------------------------------------

class Database:
    label = ""

    @contextlib.contextmanager
    def checkpointing(self) -> Iterator[None]:
        yield

    def env(self) -> dict[str, str]:
        return {}

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def describe(self) -> str:
        return self.label

    def close(self) -> None:
        pass


class SqliteDatabase(Database):
    label = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "earlywarn.sqlite3"  # the settings' default without DATABASE_URL

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            return conn.execute(sql).fetchall()

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL, BEGIN IMMEDIATE)"

    @contextlib.contextmanager
    def checkpointing(self) -> Iterator[None]:
        """What `earlywarn worker` does beside the web processes: a PASSIVE WAL checkpoint every second (no task
        worker runs here, so that the outbox rows stay countable; the web processes leave checkpoints to it)."""
        stop = threading.Event()

        def loop() -> None:
            with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as conn:
                while not stop.wait(1.0):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        thread = threading.Thread(target=loop, daemon=True, name="checkpoint")
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=30)


class PostgresDatabase(Database):
    """A throwaway cluster, as dev/_postgres.sh starts it: trust auth on loopback, fsync off."""

    label = "postgres"

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise SystemExit("PostgreSQL is not installed under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="earlywarn-bench-pg."))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._pg(f"{self.bin}/initdb -D {self.dir}/data -U earlywarn --auth=trust -E UTF8 >/dev/null")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c fsync=off "
                   "-c max_connections=200")
        self._pg(f"{self.bin}/pg_ctl -D {self.dir}/data -o '{options}' -l {self.dir}/log -w start >/dev/null")
        self.url = f"postgres://earlywarn@{HOST}:{self.port}/postgres"
        self.version = subprocess.run([f"{self.bin}/postgres", "--version"], capture_output=True, text=True,
                                      check=True).stdout.split()[2]

    def _pg(self, command: str) -> None:
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", command] if os.geteuid() == 0 else ["sh", "-c", command]
        subprocess.run(argv, check=True)

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url}

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]

    def describe(self) -> str:
        return f"PostgreSQL {self.version} (local cluster, fsync=off as in dev/_postgres.sh)"

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg(f"{self.bin}/pg_ctl -D {self.dir}/data -m immediate stop >/dev/null")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the server -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerConfig:
    workers: int
    threads: int

    @classmethod
    def parse(cls, text: str) -> ServerConfig:
        if text.startswith("serve:"):  # the web server exactly as `earlywarn serve --workers W` starts it
            return Serve(int(text.removeprefix("serve:")), 1)
        workers, _, threads = text.partition("x")
        return cls(int(workers), int(threads or 1))

    @property
    def label(self) -> str:
        kind = "gthread" if self.threads > 1 else "sync"
        return f"{self.workers}x{self.threads} ({kind})"

    def argv(self, port: int) -> list[str]:
        return [str(BIN / "gunicorn"), "earlywarn.config.wsgi:application", "--bind", f"{HOST}:{port}",
                "--workers", str(self.workers), "--threads", str(self.threads),
                "--access-logfile", "/dev/null", "--graceful-timeout", "10"]


class Serve(ServerConfig):
    """``earlywarn serve``'s web server (``config.cli.web_argv``: uvicorn, ASGI)."""

    @property
    def label(self) -> str:
        return f"serve:{self.workers} (uvicorn)"

    def argv(self, port: int) -> list[str]:
        from earlywarn.config.cli import web_argv

        return web_argv(HOST, port, workers=self.workers)


@contextlib.contextmanager
def server(config: ServerConfig, env: dict[str, str], port: int, log_path: Path) -> Iterator[None]:
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(config.argv(port), env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s; see {log_path}")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- load generation --------------------------------------------------------------------------------------

@dataclass
class PhaseResult:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of the measured successes, in seconds
    statuses: Counter[str] = field(default_factory=Counter)  # every measured answer, "201", "500", "ConnectionError"…
    tracking_ids: list[str] = field(default_factory=list)  # every 201, warm-up included (for reconciliation)
    client_cpu: float = 0.0
    machine_busy: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.statuses.items()) if k not in {"200", "201"}}

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        return {
            "phase": self.name, "seconds": round(self.seconds, 2), "ok": self.ok, "rate": round(self.rate, 1),
            "p50_ms": round(percentile(lat, 50) * 1000, 1), "p95_ms": round(percentile(lat, 95) * 1000, 1),
            "p99_ms": round(percentile(lat, 99) * 1000, 1), "max_ms": round((lat[-1] if lat else 0) * 1000, 1),
            "errors": self.errors, "client_cpu_share": round(self.client_cpu, 2),
            "machine_busy": round(self.machine_busy, 2),
        }


RequestFn = Callable[[http.client.HTTPConnection, int], tuple[int, bytes]]


def get_request(path: str) -> RequestFn:
    def send(conn: http.client.HTTPConnection, _n: int) -> tuple[int, bytes]:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()

    return send


# The API's SessionAuth checks CSRF even on requests without a session cookie, so an anonymous POST without a
# CSRF cookie is refused with 403 (see docs/benchmarks.md). The clients therefore send what a browser would: a
# CSRF cookie and the same secret in X-CSRFToken. ``preflight`` records whether the plain request is accepted.
CSRF_SECRET = uuid.uuid4().hex  # 32 characters of Django's CSRF alphabet
CSRF_HEADERS = {"Cookie": f"earlywarn_csrf={CSRF_SECRET}", "X-CSRFToken": CSRF_SECRET}


def post_report(conn: http.client.HTTPConnection, n: int, *, csrf: bool = True) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Idempotency-Key": f"bench-{uuid.uuid4().hex}", **(CSRF_HEADERS if csrf else {})}
    conn.request("POST", REPORTS_PATH, body=report_body(n), headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def run_phase(name: str, send: RequestFn, *, port: int, clients: int, warmup: float, seconds: float,
              expect: int, collect_ids: bool) -> PhaseResult:
    """Closed loop: each client sends its next request as soon as the previous one is answered."""
    result = PhaseResult(name)
    lock = threading.Lock()
    counter = iter(range(10**12))
    start = time.perf_counter()
    measure_from = start + warmup
    measure_to = measure_from + seconds
    stop = threading.Event()
    done = [0]
    snapshot: dict[str, Any] = {}

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        ids: list[str] = []
        while not stop.is_set():
            with lock:
                n = next(counter)
            t0 = time.perf_counter()
            try:
                status, body = send(conn, n)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, body = -1, type(exc).__name__.encode()
            t1 = time.perf_counter()
            if collect_ids and status == 201:
                ids.append(json.loads(body)["tracking_id"])
            if measure_from <= t0 and t1 <= measure_to:
                statuses[str(status) if status > 0 else body.decode()] += 1
                if status == expect:
                    latencies.append(t1 - t0)
            with lock:
                done[0] += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.tracking_ids.extend(ids)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    last, last_t = 0, start
    while (now := time.perf_counter()) < measure_to:
        time.sleep(min(2.0, max(0.0, measure_to - now)))
        now = time.perf_counter()
        if now >= measure_from and not snapshot:
            snapshot = {"cpu": process_cpu(), "machine": cpu_times(), "t": now}
        with lock:
            total = done[0]
        stage = "warm-up" if now < measure_from else f"{min(now - measure_from, seconds):4.1f}/{seconds:.0f}s"
        log(f"  {name:<11} {stage:>10}  {total:>7} requests  {(total - last) / (now - last_t):7.1f}/s")
        last, last_t = total, now
    end_cpu, end_machine, end = process_cpu(), cpu_times(), time.perf_counter()
    stop.set()
    for t in threads:
        t.join(timeout=90)
    if snapshot:
        elapsed = end - snapshot["t"]
        result.client_cpu = (end_cpu - snapshot["cpu"]) / elapsed / (os.cpu_count() or 1)
        busy = end_machine[0] - snapshot["machine"][0]
        total = end_machine[1] - snapshot["machine"][1]
        result.machine_busy = busy / total if total else 0.0
    result.seconds = seconds
    return result


def preflight(port: int) -> dict[str, Any]:
    """One anonymous POST as a non-browser client sends it (no cookie), one with the CSRF pair."""
    out: dict[str, Any] = {}
    for label, csrf in (("without_csrf_cookie", False), ("with_csrf_cookie", True)):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        status, body = post_report(conn, 0, csrf=csrf)
        conn.close()
        out[label] = {"status": status, "body": body.decode("utf-8", "replace")[:200]}
    return out


# --- reconciliation ---------------------------------------------------------------------------------------

def reconcile(db: Database, tracking_ids: list[str], before_reports: int) -> dict[str, Any]:
    """Every 201 tracking id exactly once in intake_report with exactly one report_received outbox row."""
    answered = Counter(tracking_ids)
    rows = db.query(
        "SELECT r.tracking_id, "
        "  (SELECT COUNT(*) FROM notify_outboxmessage o JOIN cases_case c ON o.case_id = c.id "
        "    WHERE c.report_id = r.id AND o.template = 'report_received') "
        "FROM intake_report r"
    )
    in_db = Counter(row[0] for row in rows)
    acks = {row[0]: row[1] for row in rows}
    missing = [t for t in answered if in_db[t] == 0]
    duplicated_answers = [t for t, n in answered.items() if n > 1]
    duplicated_rows = [t for t in answered if in_db[t] > 1]
    bad_acks = [t for t in answered if in_db[t] and acks[t] != 1]
    unanswered = len(rows) - before_reports - len(answered)
    return {
        "answered_201": len(answered), "reports_in_db": len(rows) - before_reports, "lost": len(missing),
        "duplicate_answers": len(duplicated_answers), "duplicate_rows": len(duplicated_rows),
        "ack_not_exactly_one": len(bad_acks), "in_db_without_201": unanswered,
        "ok": not (missing or duplicated_answers or duplicated_rows or bad_acks),
    }


# --- the run ----------------------------------------------------------------------------------------------

def bench_database(kind: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"earlywarn-bench-{kind}."))
    db: Database = PostgresDatabase() if kind == "postgres" else SqliteDatabase(data_dir)
    rows: list[dict[str, Any]] = []
    try:
        log(f"{kind}: {db.describe()}; data dir {data_dir}")
        port = free_port()
        # Log level ERROR: no log line per 404 of --floor (a submission logs nothing either way).
        env = {**os.environ, **db.env(), "EARLYWARN_DATA_DIR": str(data_dir),
               "EARLYWARN_BASE_URL": f"http://{HOST}:{port}", "EARLYWARN_ALLOWED_HOSTS": f"{HOST},localhost",
               "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings", "EARLYWARN_LOG_LEVEL": "ERROR"}
        env.pop("EARLYWARN_DEBUG", None)
        log(f"{kind}: earlywarn manage migrate")
        subprocess.run([str(BIN / "earlywarn"), "manage", "migrate", "--no-input", "-v", "0"],
                       env=env, cwd=ROOT, check=True)
        for config in args.server:
            log(f"{kind}: gunicorn {config.label} on port {port}, {args.clients} clients")
            with server(config, env, port, data_dir / "gunicorn.log"), db.checkpointing():
                pre = preflight(port)
                log(f"{kind}: preflight: anonymous POST without a CSRF cookie → "
                    f"{pre['without_csrf_cookie']['status']}, with the CSRF cookie and header → "
                    f"{pre['with_csrf_cookie']['status']}")
                before = len(db.query("SELECT id FROM intake_report"))
                baseline = run_phase("baseline", get_request(args.baseline), port=port, clients=args.clients,
                                     warmup=args.warmup, seconds=args.seconds, expect=200, collect_ids=False)
                floor = None
                if args.floor:
                    path, _, status = args.floor.partition("=")
                    floor = run_phase("floor", get_request(path), port=port, clients=args.clients,
                                      warmup=args.warmup, seconds=args.seconds, expect=int(status or 200),
                                      collect_ids=False)
                submit = run_phase("submissions", post_report, port=port, clients=args.clients,
                                   warmup=args.warmup, seconds=args.seconds, expect=201, collect_ids=True)
            check = reconcile(db, submit.tracking_ids, before)
            row = {"db": kind, "server": config.label, "clients": args.clients, "baseline": baseline.summary(),
                   "submissions": submit.summary(),
                   "floor": floor.summary() if floor else None, "ratio": round(submit.rate / baseline.rate, 3)
                   if baseline.rate else None, "reconciliation": check, "preflight": pre}
            s = row["submissions"]
            row["target_met"] = bool(s["rate"] >= TARGET_RATE and s["p99_ms"] < TARGET_P99_MS and check["ok"]
                                     and check["lost"] == 0 and not s["errors"])
            log(f"{kind} {config.label}: {s['rate']}/s accepted, p50 {s['p50_ms']} p95 {s['p95_ms']} "
                f"p99 {s['p99_ms']} ms, errors {s['errors'] or 0}; baseline {row['baseline']['rate']}/s, "
                f"ratio {row['ratio']}; reconciliation {'OK' if check['ok'] else 'FAILED'} {check}")
            if floor:
                f = row["floor"]
                log(f"{kind} {config.label}: floor {args.floor}: {f['rate']}/s, p50 {f['p50_ms']} "
                    f"p99 {f['p99_ms']} ms")
            rows.append(row)
    finally:
        db.close()
        if args.keep:
            log(f"{kind}: kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print("\n| db | server | baseline req/s | accepted/s | ratio | p50 ms | p95 ms | p99 ms | max ms | errors "
          "| lost | ack ≠ 1 | client CPU | machine busy | target |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")
    for row in rows:
        b, s, c = row["baseline"], row["submissions"], row["reconciliation"]
        errors = ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "0"
        print(f"| {row['db']} | {row['server']} | {b['rate']:.0f} | {s['rate']:.0f} | {row['ratio']:.2f} "
              f"| {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['p99_ms']:.0f} | {s['max_ms']:.0f} | {errors} "
              f"| {c['lost']} | {c['ack_not_exactly_one']} | {s['client_cpu_share']:.0%} | {s['machine_busy']:.0%} "
              f"| {'met' if row['target_met'] else 'not met'} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each phase")
    parser.add_argument("--server", type=ServerConfig.parse, action="append",
                        help="gunicorn WORKERSxTHREADS, or serve:WORKERS for `earlywarn serve`'s uvicorn "
                             "(repeatable; default 2x8)")
    parser.add_argument("--baseline", default="/static/earlywarn/site.css", help="GET path of the baseline phase")
    parser.add_argument("--floor", default="", metavar="PATH[=STATUS]",
                        help="also measure GET PATH answered with STATUS (default 200): Django's request path "
                             "without the submission's work, e.g. /api/v1/nope=404")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (gunicorn.log, database)")
    args = parser.parse_args(argv)
    args.server = args.server or [ServerConfig(2, 8)]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    started = datetime.now(UTC)
    rows = [row for kind in kinds for row in bench_database(kind, args)]
    print(f"\nearlywarn intake benchmark, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {args.clients} clients, {args.seconds:.0f} s per phase")
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"started": started.isoformat(), "cpus": os.cpu_count(), "rows": rows},
                                        indent=2, ensure_ascii=False))
    return 0 if all(row["reconciliation"]["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
