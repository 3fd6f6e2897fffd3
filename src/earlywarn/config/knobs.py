"""Typed reads of the domain policy settings (``settings.EARLYWARN``; docs/configuration.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _number(name: str) -> float:
    value = settings.EARLYWARN[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ImproperlyConfigured(f"EARLYWARN[{name!r}] must be a number, not {value!r}")
    return value


def knob_int(name: str) -> int:
    return int(_number(name))


def knob_float(name: str) -> float:
    return float(_number(name))


def knob_list(name: str) -> list[str]:
    """A list of names (``env_list``: comma-separated in the environment), blanks dropped."""
    value = settings.EARLYWARN[name]
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ImproperlyConfigured(f"EARLYWARN[{name!r}] must be a list of strings, not {value!r}")
    return [item.strip() for item in value if item.strip()]
