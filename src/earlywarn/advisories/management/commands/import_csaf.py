"""``earlywarn manage import_csaf PATH...``: import CSAF 2.0 documents (files or directories) as published
advisories, all or nothing (docs/advisories.md, "Importing CSAF")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from earlywarn.accounts.models import User
from earlywarn.advisories import csaf_import
from earlywarn.advisories.models import AdvisoryOrigin
from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import Action, ActionDenied, Actor


def files_of(paths: list[str]) -> list[Path]:
    """The files named, and every ``*.json`` below the directories named, in a stable order."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{name}: no such file or directory")
    return list(dict.fromkeys(found))


class Command(BaseCommand):
    help = ("Import CSAF 2.0 documents (files, or every *.json below a directory) as published advisories. "
            "Every document is validated first; if any fails, nothing is imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--origin", choices=AdvisoryOrigin.values, default=None,
                            help="origin of the advisories (default: domestic for new ones, kept for updates)")
        parser.add_argument("--lang", choices=csaf_import.LANGUAGES, default=None,
                            help="language of documents that do not name theirs (overrides the document)")
        parser.add_argument("--by", metavar="EMAIL", default=None,
                            help="a staff user allowed to publish advisories, named in the audit trail "
                                 "(default: system)")

    def _actor(self, email: str | None) -> Actor:
        if email is None:
            return Actor.system(frozenset({Action.ADVISORY_PUBLISH}))
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        actor = Actor.for_user(user)
        if user is None or not actor.staff_may(Action.ADVISORY_PUBLISH):
            raise CommandError(f"{email}: no active staff user who may publish advisories")
        return actor

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["by"])
        files = files_of(options["paths"])
        if not files:
            raise CommandError("no CSAF documents (*.json) found")
        documents: list[tuple[str, bytes | str | dict[str, Any]]] = []
        for path in files:
            with path.open("rb") as handle:  # never more than one byte over the limit the service refuses
                data = handle.read(csaf_import.MAX_BYTES + 1)
            documents.append((str(path), data))
            self.stdout.write(f"read {path} ({path.stat().st_size:,} bytes)")
        self.stdout.write(f"checking {len(documents)} document(s)…")
        try:
            results = csaf_import.advisory_import_batch(actor=actor, documents=documents, origin=options["origin"],
                                                        lang=options["lang"])
        except csaf_import.ImportRefused as exc:
            for source, problem in exc.problems:
                self.stderr.write(f"{source}: {problem}")
            failed = len({source for source, _problem in exc.problems})
            raise CommandError(f"{failed} of {len(documents)} document(s) failed; nothing was imported") from exc
        except ActionDenied as exc:
            raise CommandError("not allowed to publish advisories; nothing was imported") from exc
        except DomainError as exc:
            raise CommandError(f"{exc.message}; nothing was imported") from exc
        for result in results:
            revision = f" revision {result.revision.number}" if result.revision else ""
            self.stdout.write(f"{result.outcome} {result.advisory.tracking_id}{revision} ({result.source})")
            for warning in result.warnings:
                self.stdout.write(f"  warning: {warning}")
        counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("created", "updated",
                                                                                       "unchanged")}
        self.stdout.write(self.style.SUCCESS(
            f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"))
