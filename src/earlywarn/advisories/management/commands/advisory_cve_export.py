"""``earlywarn manage advisory_cve_export DIR [--advisory ID]``: write the CVE JSON 5 records of published advisories.

The same records as ``/advisories/{id}/cve/{CVE-ID}.json`` (``advisories/cve.py``), one ``<CVE-ID>.json`` per CVE
ID, for a CNA's batch tooling. Drafts are never exported: only current revisions of published advisories are read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from earlywarn.advisories import cve, selectors


class Command(BaseCommand):
    help = "Write the CVE JSON 5 record of every CVE ID of the published advisories into DIR (<CVE-ID>.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--advisory", default="", help="only this advisory (its id in the URL, e.g. EW12345678)")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if options["advisory"]:
            try:
                revisions = [selectors.published_revision(options["advisory"])]
            except selectors.AdvisoryNotFound as exc:
                raise CommandError(f"no published advisory {options['advisory']}") from exc
        else:  # oldest first: when two advisories list the same CVE ID, the newer one's record is kept
            revisions = list(selectors.published_list(selectors.Filters()).reverse())
        directory.mkdir(parents=True, exist_ok=True)
        written: dict[str, str] = {}
        skipped = 0
        for revision in revisions:
            for cve_id in cve.cve_ids(revision.content):
                try:
                    record = cve.build(revision.content, cve_id, published=revision.initial_published_at,
                                       updated=revision.published_at)
                except cve.NotReady as exc:
                    skipped += 1
                    why = "no English description" if exc.reason == "description" else "no product"
                    self.stderr.write(f"{revision.tracking_id} {cve_id}: {why}, not written")
                    continue
                if cve_id in written:
                    self.stderr.write(f"{cve_id} is in {written[cve_id]} and {revision.tracking_id}: "
                                      f"kept {revision.tracking_id}")
                path = directory / f"{cve_id}.json"
                path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                written[cve_id] = revision.tracking_id
                self.stdout.write(f"{path}")
        self.stdout.write(f"{len(written)} written, {skipped} skipped")
