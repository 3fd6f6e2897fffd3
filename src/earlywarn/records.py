"""Records the audit trails rely on: once written they never change and are never deleted.

Every app's event model (case, advisory, committee, organisation directory) inherits ``AppendOnly``; a report and
an advisory revision keep their own rules (``intake.models``, ``advisories.models``). ``ImmutableError`` lives
here so that the base app (accounts) can use it without importing the apps built on it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class ImmutableError(Exception):
    """Raised when code tries to change or delete a record that the audit trail relies on."""


class AppendOnly(models.Model):
    """A model whose rows are inserted once: saving an existing row or deleting one raises ``ImmutableError``."""

    records_name: ClassVar[str] = "records"  # in the error: "<records_name> are append-only"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{self.records_name} are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError(f"{self.records_name} are append-only")
