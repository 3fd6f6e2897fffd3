"""The security suite's world: built once per module inside a transaction; every test runs in a savepoint.

Each test module builds the world of ``tests/security/matrix.py`` once (users, organisations, cases, messages,
attachments, tokens, sessions) and every test (marked ``django_db``) rolls back to it, so a cell that accepts a
case or posts a message cannot change what the next cell sees. Plain savepoints: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test.utils import override_settings

from tests.security import matrix

FIGURES: dict[str, int] = {"cells": 0, "cells_failed": 0, "markers_checked": 0, "leaks": 0}


@pytest.fixture(autouse=True)
def _data_dir() -> None:
    """Replaces the suite-wide per-test MEDIA_ROOT: the world's attachment files live as long as the world."""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[matrix.World]:
    media = tmp_path_factory.mktemp("security-files")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield matrix.build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def w(world: matrix.World, db) -> matrix.World:
    """The world, with everything this test changes rolled back afterwards (pytest-django's per-test savepoint
    inside the module's transaction; tests using it need the ``django_db`` mark so the test database exists)."""
    return world


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not FIGURES["cells"] and not FIGURES["markers_checked"]:
        return
    routes = len(matrix.discovered_url_patterns())
    terminalreporter.write_line(
        f"access matrix: {FIGURES['cells']} cells run, {FIGURES['cells_failed']} failing "
        f"(matrix size {len(matrix.CELLS)} = {len({(r.name, r.method) for r in matrix.ROUTES})} route×method "
        f"entries × {len(matrix.PRINCIPAL_LIST)} principals × objects); URL patterns {routes} "
        f"({routes - len(matrix.ALLAUTH_ROUTES)} earlywarn + {len(matrix.ALLAUTH_ROUTES)} allauth, listed); "
        f"canary: {FIGURES['markers_checked']} marker checks, {FIGURES['leaks']} leaks"
    )
