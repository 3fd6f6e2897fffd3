"""Django's SQLite backend, with write transactions queued on an OS file lock instead of SQLite's busy handler.

SQLite lets one writer in at a time. A connection that finds the write lock taken waits in SQLite's busy
handler, which sleeps in growing steps (1, 2, 5 … up to 100 ms) and polls: under concurrent writes from several
web processes a writer often sleeps tens of milliseconds after the lock came free. That idle time was the SQLite
intake's long tail and its 10-20 % idle CPU (docs/benchmarks.md, "Report intake").

Here every write transaction (``atomic``, which starts with ``BEGIN IMMEDIATE``) first takes an exclusive
``flock`` on ``<database>-writer.lock`` beside the database, and gives it back at ``COMMIT``/``ROLLBACK`` or when
the connection closes; the kernel releases it if the process dies. A waiting writer polls the lock every
0.2-2 ms, so it goes in within about a millisecond of the previous ``COMMIT``. SQLite's own lock and busy handler
stay in force underneath for writes outside ``atomic`` and for other programs. A writer that cannot get the lock
within the connection's ``timeout`` fails with ``database is locked``, exactly as SQLite would.

Why our own code (docs/decisions/0010-sqlite-writer-lock.md): Python's ``sqlite3`` cannot install a busy
handler, and the only library that can (APSW) would replace Django's driver.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_FIRST_WAIT = 0.0002
_LONGEST_WAIT = 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock: int | None = None

    def _writer_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}-writer.lock"

    def _writer_lock_acquire(self) -> None:
        path = self._writer_lock_path()
        if path is None or self._writer_lock is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        wait = _FIRST_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise OperationalError("database is locked") from None
                time.sleep(wait)
                wait = min(wait * 2, _LONGEST_WAIT)
        self._writer_lock = fd

    def _writer_lock_release(self) -> None:
        fd, self._writer_lock = self._writer_lock, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases its flock

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._writer_lock_release()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._writer_lock_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_lock_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._writer_lock_release()
