"""``{% error_summary form formset … %}``: every problem of a long form listed at its top, each a link to its field.

A refused form used to show its errors only beside the fields, often a long scroll below what the reader sees (the
report form, the advisory editor). The summary is the GOV.UK pattern: a focused alert box at the top naming each
field with its first message; the per-field messages stay where they are.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.formsets import DELETION_FIELD_NAME

register = template.Library()


def _problems(form: forms.BaseForm, row: int | None = None) -> list[tuple[str, str]]:
    """(anchor, text) of each problem; ``row``: the form's number in its formset, said after each label."""
    out: list[tuple[str, str]] = [("", str(message)) for message in form.non_field_errors()]
    for field in form:
        if field.errors:
            label = f"{field.label} ({row})" if row is not None else str(field.label)
            out.append((field.id_for_label or "", f"{label}: {field.errors[0]}"))
    return out


@register.inclusion_tag("web/error_summary.html")
def error_summary(*forms_or_formsets: Any) -> dict[str, Any]:
    problems: list[tuple[str, str]] = []
    for item in forms_or_formsets:
        if isinstance(item, forms.BaseFormSet):
            problems += [("", str(message)) for message in item.non_form_errors()]
            for number, form in enumerate(item.forms, start=1):
                if item.can_delete and getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME):
                    continue  # a row being deleted has nothing to correct
                problems += _problems(form, number)
        elif isinstance(item, forms.BaseForm):
            problems += _problems(item)
    return {"problems": problems}
