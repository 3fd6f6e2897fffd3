"""``earlywarn manage advisory_openpgp_key``: create (once) the key that signs published CSAF documents."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from earlywarn.advisories import conf, openpgp


class Command(BaseCommand):
    help = "Create the OpenPGP key that signs published CSAF documents (kept if it already exists)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=conf.setting("CSAF_PUBLISHER_NAME"))
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        key = openpgp.create_key(options["name"], options["email"])
        self.stdout.write(key.fingerprint)
