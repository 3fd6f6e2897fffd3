"""The SQLite backend queues write transactions on a file lock (earlywarn/config/sqlite/base.py).

Each test opens its own connections to a database file of its own, so it runs the same under either test
database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from earlywarn.config.sqlite.base import DatabaseWrapper


def _wrapper(path: Path, *, timeout: float = 5) -> DatabaseWrapper:
    settings = {
        "NAME": str(path), "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "TEST": {},
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout,
                    "init_command": "PRAGMA journal_mode=WAL;"},
    }
    return DatabaseWrapper(settings, alias=f"lock-test-{id(settings)}")


def _begin(wrapper: DatabaseWrapper) -> None:
    """What ``atomic`` does first on SQLite: take the lock, then ``BEGIN IMMEDIATE``."""
    wrapper.ensure_connection()
    wrapper._start_transaction_under_autocommit()


@pytest.fixture
def database(tmp_path: Path, django_db_blocker: Any) -> Iterator[Path]:
    django_db_blocker.unblock()  # these tests open connections of their own, not the test database's
    path = tmp_path / "db.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER, at REAL)")
    setup.close()
    yield path
    django_db_blocker.restore()


def _held(path: Path) -> bool:
    """Whether some connection holds the writer lock (probed with a second descriptor)."""
    import fcntl
    import os

    fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_second_writer_waits_for_the_first_and_goes_in_after_its_commit(database: Path) -> None:
    first = _wrapper(database)
    _begin(first)
    first.cursor().execute("INSERT INTO t VALUES (1, 0)")
    entered: list[float] = []

    def write() -> None:
        second = _wrapper(database)  # a connection belongs to its thread
        _begin(second)
        entered.append(time.monotonic())
        second.cursor().execute("INSERT INTO t VALUES (2, 0)")
        second._commit()
        second.close()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert entered == []  # still waiting: the first writer holds the lock
    committed = time.monotonic()
    first._commit()
    thread.join(timeout=5)
    assert entered
    assert entered[0] >= committed  # how soon after is measured by bench/intake, not asserted here
    rows = first.cursor().execute("SELECT n FROM t ORDER BY rowid").fetchall()
    assert rows == [(1,), (2,)]
    first.close()
    assert not _held(database)


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_the_lock_is_given_back_on_rollback_and_on_close(database: Path, end: str) -> None:
    writer = _wrapper(database)
    _begin(writer)
    writer.cursor().execute("INSERT INTO t VALUES (1, 0)")
    assert _held(database)
    if end == "rollback":
        writer._rollback()
    else:
        writer.close()
    assert not _held(database)
    other = _wrapper(database, timeout=0.5)
    _begin(other)  # not refused
    assert other.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    other._rollback()
    other.close()
    writer.close()


def test_a_writer_that_cannot_get_the_lock_in_time_fails_as_sqlite_would_and_writes_nothing(database: Path) -> None:
    holder, late = _wrapper(database), _wrapper(database, timeout=0.2)
    _begin(holder)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        _begin(late)
    assert 0.2 <= time.monotonic() - started < 10  # waited its timeout, and then gave up
    assert not late.writer_lock_held  # nothing kept after the refusal
    holder._rollback()
    _begin(late)  # once free, the same connection gets in
    late._rollback()
    for wrapper in (holder, late):
        wrapper.close()
    assert not _held(database)


def test_django_atomic_blocks_take_and_release_the_lock(database: Path) -> None:
    from django.db import connections, transaction

    alias = "writer-lock-test"
    connections.settings[alias] = {**_wrapper(database).settings_dict, "ENGINE": "earlywarn.config.sqlite"}
    try:
        writer = connections[alias]
        assert isinstance(writer, DatabaseWrapper)
        with transaction.atomic(using=alias):
            writer.cursor().execute("INSERT INTO t VALUES (1, 0)")
            with transaction.atomic(using=alias):  # a savepoint: the lock is already held
                writer.cursor().execute("INSERT INTO t VALUES (2, 0)")
            assert _held(database)
        assert not _held(database)
        held_inside: list[bool] = []

        def fail() -> None:
            with transaction.atomic(using=alias):
                writer.cursor().execute("INSERT INTO t VALUES (3, 0)")
                held_inside.append(_held(database))
                raise ZeroDivisionError  # roll back

        with pytest.raises(ZeroDivisionError):
            fail()
        assert held_inside == [True]
        assert not _held(database)
        assert writer.cursor().execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]
        writer.close()
    finally:
        del connections[alias]
        del connections.settings[alias]


def test_a_write_outside_a_transaction_queues_on_the_lock_and_a_read_does_not(database: Path) -> None:
    holder = _wrapper(database)
    _begin(holder)
    holder.cursor().execute("INSERT INTO t VALUES (1, 0)")
    done: dict[str, float] = {}

    def read_then_write() -> None:
        other = _wrapper(database)  # autocommit: no atomic block
        other.cursor().execute("SELECT COUNT(*) FROM t").fetchall()
        done["read"] = time.monotonic()
        other.cursor().execute("UPDATE t SET at = 1")
        done["write"] = time.monotonic()
        assert not other.writer_lock_held
        other.close()

    thread = threading.Thread(target=read_then_write)
    thread.start()
    time.sleep(0.3)
    assert "read" in done  # reads never wait for the writer lock (WAL)
    assert "write" not in done  # the autocommit UPDATE waits behind the transaction
    committed = time.monotonic()
    holder._commit()
    thread.join(timeout=5)
    assert done["write"] >= committed
    assert holder.cursor().execute("SELECT n, at FROM t").fetchall() == [(1, 1.0)]
    holder.close()
    assert not _held(database)


def test_the_lock_file_takes_the_databases_permissions(database: Path) -> None:
    database.chmod(0o640)
    Path(f"{database}-writer.lock").unlink()  # made by the fixture's CREATE TABLE: start without one
    writer = _wrapper(database)
    _begin(writer)
    writer._rollback()
    writer.close()
    assert (Path(f"{database}-writer.lock").stat().st_mode & 0o777) == 0o640


def test_a_kept_connection_is_not_reused_once_the_database_file_was_replaced(database: Path, tmp_path: Path) -> None:
    import shutil

    kept = _wrapper(database)
    kept.ensure_connection()
    assert kept.is_usable()
    restored = tmp_path / "restored.sqlite3"
    shutil.copy(database, restored)
    restored.replace(database)  # a restore: a new file under the same name
    assert not kept.is_usable()
    kept.close()
    kept.ensure_connection()
    assert kept.is_usable()
    kept.close()


@pytest.mark.django_db(transaction=True)
def test_the_worker_copies_the_write_ahead_log_and_requests_leave_it_to_the_worker() -> None:
    """Web processes checkpoint only past 10,000 pages; the worker's checkpoint (PASSIVE) copies the log."""
    from django.db import connection

    from earlywarn.config.worker import wal_checkpoint
    from tests.factories import submit

    for _ in range(3):
        submit("product")
    result = wal_checkpoint()
    if connection.vendor != "sqlite":
        assert result is None  # PostgreSQL manages its own log
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (10000,)
        cursor.execute("PRAGMA journal_size_limit")
        assert cursor.fetchone() == (64 * 1024 * 1024,)
    assert result is not None
    busy, frames, copied = result
    assert busy == 0
    assert frames > 0
    assert copied == frames  # nobody reading: the whole log went into the database
