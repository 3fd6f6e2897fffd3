"""Create (or reuse) a staff account non-interactively; optionally print a fresh API token.

    TOKEN=$(earlywarn manage create_staff --email ci@example.test --role handler --token-name ci)

With ``--token-name`` only the raw token is written to stdout, so scripts can capture it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from earlywarn.accounts.management.commands._staff import ensure_membership, ensure_user
from earlywarn.accounts.models import Organisation, OrganisationKind, Role
from earlywarn.accounts.services import token_create

ROLE_KINDS = {
    Role.HANDLER.value: OrganisationKind.RECEIVING,
    Role.COORDINATOR.value: OrganisationKind.COORDINATING,
    Role.ADMINISTRATOR.value: OrganisationKind.RECEIVING,
}
DEFAULT_ORGANISATIONS = {
    OrganisationKind.RECEIVING: ("受付機関", "Receiving organisation"),
    OrganisationKind.COORDINATING: ("調整機関", "Coordinating organisation"),
}


class Command(BaseCommand):
    help = "Create or reuse a staff user (handler, coordinator or administrator) with a verified e-mail address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, help="handler | coordinator | administrator")
        parser.add_argument("--organisation", default="", help="organisation name (created if missing)")
        parser.add_argument("--password", default=None, help="password; without it, an existing one is kept "
                                                             "(a new user gets an unusable password)")
        parser.add_argument("--token-name", default="", help="create an API token and print only its raw value")

    def handle(self, *args: Any, **options: Any) -> None:
        email = (options["email"] or "").strip().lower()
        role = (options["role"] or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Invalid e-mail address: {options['email']!r}") from exc
        if role not in ROLE_KINDS:
            raise CommandError(f"Unknown role {options['role']!r}; choose one of: {', '.join(ROLE_KINDS)}")
        kind = ROLE_KINDS[role]
        org_name = (options["organisation"] or "").strip()
        token_name = (options["token_name"] or "").strip()
        if options["token_name"] is not None and options["token_name"] != "" and not token_name:
            raise CommandError("--token-name must not be blank")
        with transaction.atomic():
            if org_name:
                organisation = Organisation.objects.filter(name=org_name).first()
                if organisation is not None and organisation.kind != kind:
                    raise CommandError(
                        f"Organisation {org_name!r} is a {organisation.kind} organisation; "
                        f"role {role} needs a {kind} organisation"
                    )
                if organisation is None:
                    organisation = Organisation.objects.create(kind=kind, name=org_name, name_en=org_name)
            else:
                name, name_en = DEFAULT_ORGANISATIONS[kind]
                organisation = Organisation.objects.filter(kind=kind).order_by("created_at").first()
                if organisation is None:
                    organisation = Organisation.objects.create(kind=kind, name=name, name_en=name_en)
            user = ensure_user(email, options["password"])
            ensure_membership(user, organisation, role)
            raw = token_create(user=user, name=token_name)[1] if token_name else None
        if raw is not None:
            self.stdout.write(raw)
        else:
            self.stdout.write(f"{user.email}: {role} of {organisation.name}")
