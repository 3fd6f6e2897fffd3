"""Periodic jobs, declared in code next to their domain (``PERIODIC_JOBS`` in an app's ``tasks`` module).

The scheduler (``earlywarn scheduler``) enqueues each job's task when it is due; the worker runs it. Jobs are
idempotent, so an extra run (two schedulers, a restart) does no harm. See docs/decisions/0004.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    task: Any  # a django_tasks Task taking no arguments


def periodic_jobs() -> list[PeriodicJob]:
    """Every job declared by an installed earlywarn app."""
    jobs: list[PeriodicJob] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("earlywarn."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        jobs.extend(getattr(module, "PERIODIC_JOBS", []))
    return jobs
