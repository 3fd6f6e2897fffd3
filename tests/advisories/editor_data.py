"""The editor's POST data for a draft as it stands (what a browser submits for an unchanged page), to change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms as django_forms

from earlywarn.advisories import editor
from earlywarn.advisories.editor_views import _forms
from earlywarn.advisories.models import Advisory


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(editor.DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _form_data(form: django_forms.Form, data: dict[str, str]) -> None:
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, django_forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = _value(value)


def post_data(advisory: Advisory, **changes: str) -> dict[str, str]:
    """Every field of the edit page with its current value, then ``changes`` (by HTML name, e.g.
    ``vuln-0-cvss_v3``)."""
    advisory.refresh_from_db()
    forms = _forms(advisory)
    data = {"version": str(advisory.version)}
    _form_data(forms["texts"], data)
    for key in editor.PREFIXES:
        formset = forms[key]
        _form_data(formset.management_form, data)
        for form in formset.forms:
            _form_data(form, data)
    data.update(changes)
    return data
