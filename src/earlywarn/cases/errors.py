"""Domain errors: each carries a stable code and a translated message; the edges turn them into 4xx."""

from __future__ import annotations

import re

from django.utils.functional import Promise


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


class ConcurrentChange(DomainError):
    code = "concurrent_change"
    status = 409


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422


# NUL (refused by PostgreSQL text columns) and lone surrogates (not encodable as UTF-8: they fail in the database
# or in the response) arrive as JSON escapes ("\u0000", "\ud800") or as %00 in a form.
FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def has_forbidden_characters(value: object) -> bool:
    """Whether any key or string of a decoded JSON value holds a forbidden character."""
    stack = [value]
    while stack:  # iterative: the JSON may be nested as deeply as the parser allowed
        item = stack.pop()
        if isinstance(item, str):
            if FORBIDDEN_CHARACTERS.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def refuse_forbidden_characters(value: str, field: str) -> None:
    from django.utils.translation import gettext as _

    if FORBIDDEN_CHARACTERS.search(value):
        raise ValidationFailed(_("The text contains a character that cannot be stored (NUL or an unpaired "
                                 "surrogate)."), field=field)


def clean_text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    """A text field of a service's input, stripped: required, at most ``limit`` characters and storable, else
    refused."""
    from django.utils.translation import gettext as _

    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > limit:
        raise ValidationFailed(_("The text is too long: use at most %(limit)d characters.") % {"limit": limit},
                               field=field)
    refuse_forbidden_characters(value, field)
    return value
