"""Background work of publication: the public files of a new build (docs/advisories.md, "Serving")."""

from __future__ import annotations

from django_tasks import task

from earlywarn.advisories import public_files
from earlywarn.config.periodic import PeriodicJob


@task()
def build_public_files() -> int:
    """After an upgrade or a settings change the server finds no files for the new build: write them all once."""
    return public_files.build_if_missing() or 0


PERIODIC_JOBS = [PeriodicJob(name="advisories.build_public_files", every_seconds=900, task=build_public_files)]
