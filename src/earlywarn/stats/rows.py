"""Plain reads for the statistics: rows as the database driver returns them, and the errors of inconsistent data.

Large reads skip Django's per-value converters (the costliest part of reading 20,000 rows); ids stay as the
database returns them, the same in every query of one run; datetimes go through ``aware``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, overload

from django.db import connections
from django.db.models import QuerySet

FETCH_CHUNK = 5000


class InconsistentData(Exception):
    """The stored data cannot give a consistent report (a broken audit trail, a failed §5.3 reconciliation).

    Pages and the command line show the reason instead of failing (``stats.views``, ``earlywarn stats``)."""


class BrokenTrail(InconsistentData, ValueError):
    """A case has no state-setting event before a cut-off."""


def raw_rows(query: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the database driver returns them, without Django's per-value
    converters (the costliest part of a large read). Datetimes go through ``aware``."""
    sql, params = query.query.sql_with_params()
    yield from sql_rows(sql, params, query.db)


def sql_rows(sql: str, params: Any, using: str = "default") -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` as ``raw_rows`` returns them (plain driver values)."""
    for rows in sql_chunks(sql, params, using):
        yield from rows


def sql_chunks(sql: str, params: Any, using: str = "default") -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` (plain driver values) in lists of up to ``FETCH_CHUNK``, for counting in C."""
    with connections[using].cursor() as cursor:
        if connections[using].vendor == "postgresql":
            _plain_loaders(cursor.cursor)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            yield rows


def _plain_loaders(cursor: Any) -> None:
    """On this cursor only: psycopg's own (C) timestamptz loader instead of Django's per-value Python one (the
    same instant, aware, in the session's UTC), and uuids as text (no ``uuid.UUID`` per row)."""
    from psycopg.types.datetime import TimestamptzLoader
    from psycopg.types.string import TextLoader

    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    cursor.adapters.register_loader("uuid", TextLoader)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A stored datetime as Django reads it: SQLite gives naive UTC, PostgreSQL an aware value."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
