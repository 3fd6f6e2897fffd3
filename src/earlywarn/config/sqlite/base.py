"""Django's SQLite backend, with writers queued on an OS file lock instead of SQLite's busy handler.

SQLite lets one writer in at a time. A connection that finds the write lock taken waits in SQLite's busy
handler, which sleeps in growing steps (1, 2, 5 … up to 100 ms) and polls: under concurrent writes from several
web processes a writer often sleeps tens of milliseconds after the lock came free. That idle time was the SQLite
intake's long tail and its 10-20 % idle CPU (docs/benchmarks.md, "Report intake").

Here every writer first takes an exclusive ``flock`` on ``<database>-writer.lock`` beside the database: a write
transaction (``atomic``, which starts with ``BEGIN IMMEDIATE``) from its start to ``COMMIT``/``ROLLBACK``, and a
single writing statement outside ``atomic`` (an ``UPDATE`` in autocommit) for that statement; reads take nothing.
The kernel gives the lock back if the process dies, and closing the connection gives it back too. A waiting
writer polls the lock every 0.1-0.5 ms, so it goes in within half a millisecond of the previous one. SQLite's
own locking stays in force underneath, for other programs opening the file. A writer that cannot get the lock within
the connection's ``timeout`` fails with ``database is locked``, as SQLite would.

Also: a connection kept between requests (``CONN_MAX_AGE``) is reused only while the database file is still the
one it opened (``is_usable``), so replacing the file (a restore) is picked up within one request.

Why our own code (docs/decisions/0010-sqlite-writer-lock.md): Python's ``sqlite3`` cannot install a busy
handler, and the only library that can (APSW) would replace Django's driver.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_FIRST_WAIT = 0.0001
_LONGEST_WAIT = 0.0005
# Statements that never write on their own: reads, and transaction control (a raw BEGIN through a cursor is not
# ours to hold the lock for; Django's own BEGIN goes through _start_transaction_under_autocommit).
_NOT_A_WRITE = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "END")


class CursorWrapper(base.SQLiteCursorWrapper):
    """Takes the writer lock around a writing statement run outside a transaction (autocommit)."""

    wrapper: DatabaseWrapper

    def _write(self, query: str | None) -> bool:
        if not query or self.wrapper.writer_lock_held:
            return False
        return not str(query).lstrip()[:9].upper().startswith(_NOT_A_WRITE)

    def _run(self, query: str, run: Callable[[], Any]) -> Any:
        if not self._write(query):
            return run()
        self.wrapper.writer_lock_acquire()
        try:
            return run()
        finally:
            self.wrapper.writer_lock_release()

    def execute(self, query: str, params: Any = None) -> Any:
        return self._run(query, lambda: super(CursorWrapper, self).execute(query, params))

    def executemany(self, query: str, param_list: Any) -> Any:
        return self._run(query, lambda: super(CursorWrapper, self).executemany(query, param_list))


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock_fd: int | None = None
        self.writer_lock_held = False
        self._file_identity: tuple[int, int] | None = None

    # --- the writer lock ---

    def _database_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() or not name else name

    def _lock_file(self) -> int | None:
        if self._lock_fd is None:
            path = self._database_path()
            if path is None:
                return None
            try:
                self._lock_fd = _open_lock_file(path)
            except OSError as exc:
                raise OperationalError(f"cannot open the writer lock {path}-writer.lock: {exc}") from exc
        return self._lock_fd

    def writer_lock_acquire(self) -> None:
        fd = self._lock_file()
        if fd is None or self.writer_lock_held:
            return
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        wait = _FIRST_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(wait)
                wait = min(wait * 2, _LONGEST_WAIT)
        self.writer_lock_held = True

    def writer_lock_release(self) -> None:
        if self.writer_lock_held and self._lock_fd is not None:
            self.writer_lock_held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # --- Django's hooks ---

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        self._file_identity = _identity(self._database_path())
        return connection

    def is_usable(self) -> bool:
        """Still the database file this connection opened (not replaced by a restore); checked before reuse."""
        return self._file_identity is None or _identity(self._database_path()) == self._file_identity

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=CursorWrapper)
        cursor.wrapper = self
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        self.writer_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self.writer_lock_release()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self.writer_lock_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self.writer_lock_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self.writer_lock_release()
            fd, self._lock_fd = self._lock_fd, None
            if fd is not None:
                os.close(fd)


def _identity(path: str | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return (0, 0)  # gone: never the identity a connection recorded
    return (stat.st_dev, stat.st_ino)


def _open_lock_file(database: str) -> int:
    """The lock file, created like SQLite creates its -wal and -shm files: the database's mode and, for root, its
    owner, so that whichever user opens it first, the service can use it. Opened read-only: flock needs no more."""
    path = f"{database}-writer.lock"
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        pass
    try:
        stat = os.stat(database)
    except FileNotFoundError:
        mode, owner = 0o600, None
    else:
        mode, owner = stat.st_mode & 0o666, (stat.st_uid, stat.st_gid)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError:  # another process created it meanwhile
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    os.fchmod(fd, mode)  # the umask does not narrow it
    if owner is not None and os.geteuid() == 0:
        os.fchown(fd, *owner)
    return fd
