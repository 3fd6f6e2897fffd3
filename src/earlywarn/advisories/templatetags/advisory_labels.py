"""Template filters of the advisory pages."""

from __future__ import annotations

from django import template

from earlywarn.advisories.formats import SEVERITY_LABELS

register = template.Library()


@register.filter
def severity_label(code: str) -> str:
    """A CVSS severity (``medium``) named in the current language (警告 / Medium)."""
    label = SEVERITY_LABELS.get(str(code))
    return str(label) if label is not None else str(code)
