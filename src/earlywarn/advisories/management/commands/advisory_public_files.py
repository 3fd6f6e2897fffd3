"""``earlywarn manage advisory_public_files``: (re)write the files the production server answers published
advisories from (advisories/public_files.py; docs/advisories.md "Serving")."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from earlywarn.advisories import public_files


class Command(BaseCommand):
    help = ("Write the public files of every published advisory (or of the given ids) for the current build, and "
            "delete the files of older builds. Until it has run, Django answers those URLs itself.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="advisory addresses (e.g. EW12345678); default: all published")

    def handle(self, *args: Any, **options: Any) -> None:
        root = public_files.public_root()
        if root is None:
            raise CommandError("EARLYWARN_PUBLIC_DIR is off: there are no public files to write.")
        started = time.monotonic()
        step = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or now - step[0] >= 2:
                step[0] = now
                print(f"… {done:,} of {total:,} advisories", file=sys.stderr, flush=True)

        try:
            written = public_files.rebuild(slugs=options["slugs"] or None, progress=progress)
        except public_files.BuildRunning:
            raise CommandError("Another process is writing every advisory's public files right now (the worker "
                               "after an upgrade, or this command): wait for it to finish.") from None
        self.stdout.write(f"{written:,} files written to {root} in {time.monotonic() - started:.1f} s")
