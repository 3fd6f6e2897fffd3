"""Report forms: the one validation used by the public pages and by ``POST /api/v1/reports``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from earlywarn.cases.categories import (
    CREDIT_CHOICES,
    EXPLOITATION_CHOICES,
    WEBSITE_THREATS,
    WEBSITE_VULNERABILITY_TYPES,
    choices,
)

CWE_RE = re.compile(r"^CWE-[1-9][0-9]{0,4}$")


def _lang() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        limit = settings.EARLYWARN_MAX_ATTACHMENTS
        if len(files) > limit:
            raise forms.ValidationError(_("At most %(limit)d files can be attached.") % {"limit": limit})
        max_bytes = settings.EARLYWARN_MAX_ATTACHMENT_BYTES
        for upload in files:
            if upload.size is not None and upload.size > max_bytes:
                raise forms.ValidationError(
                    _("“%(name)s” is too large (at most %(mb)s MB).")
                    % {"name": upload.name, "mb": f"{max_bytes / 1024 / 1024:g}"}
                )
        return list(files)


class ReportForm(forms.Form):
    """Fields every report has."""

    title = forms.CharField(label=_("Summary"), max_length=200)
    description = forms.CharField(label=_("Description of the vulnerability"), max_length=20_000,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    reproduction = forms.CharField(label=_("Steps to reproduce"), max_length=20_000,
                                   widget=forms.Textarea(attrs={"rows": 6}))
    impact = forms.CharField(label=_("Impact"), max_length=10_000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    exploitation = forms.ChoiceField(label=_("Have you seen it exploited?"), initial="unknown",
                                     choices=lambda: choices(EXPLOITATION_CHOICES, _lang()))
    vendor_informed = forms.BooleanField(label=_("I have already told the developer or operator"), required=False)
    finder_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    finder_email = forms.EmailField(label=_("Your e-mail address"), required=False,
                                    help_text=_("We send the acknowledgement and status updates here."))
    finder_organisation = forms.CharField(label=_("Your organisation"), max_length=200, required=False)
    credit = forms.ChoiceField(label=_("Credit in the advisory"), initial="none",
                               choices=lambda: choices(CREDIT_CHOICES, _lang()))
    credit_name = forms.CharField(label=_("Name or handle to credit"), max_length=200, required=False)
    consent_share_identity = forms.BooleanField(
        label=_("The developer or operator may see my name and contact details"), required=False
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("credit") in {"name", "handle"} and not (data.get("credit_name") or data.get("finder_name")):
            self.add_error("credit_name", _("Tell us the name or handle to credit."))
        return data

    def submission(self) -> dict[str, Any]:
        """The validated fields as stored in the immutable report (attachments are stored separately)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "attachments"}


class ProductReportForm(ReportForm):
    product_name = forms.CharField(label=_("Product name"), max_length=200)
    vendor_name = forms.CharField(label=_("Developer (vendor)"), max_length=200)
    product_version = forms.CharField(label=_("Affected version(s)"), max_length=200, required=False)
    cwe = forms.CharField(label=_("CWE (if known)"), max_length=16, required=False,
                          help_text=_("For example CWE-79"))
    self_report = forms.BooleanField(label=_("I report on behalf of the product's developer (self-report)"),
                                     required=False)

    field_order = ["product_name", "vendor_name", "product_version", "cwe", "title", "description",
                   "reproduction", "impact"]

    def clean_cwe(self) -> str:
        value = (self.cleaned_data.get("cwe") or "").strip().upper()
        if value and not CWE_RE.match(value):
            raise forms.ValidationError(_("Write a CWE identifier such as CWE-79."))
        return value


def _choose(options: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The finder picks: a first option meaning "not chosen" (refused as required), never a silent default that
    would file a SQL injection as the first type in the list (§5.2's statistics count these types)."""
    return [("", str(_("Choose…"))), *options]


class WebsiteReportForm(ReportForm):
    url = forms.URLField(label=_("URL of the affected page"), max_length=2000, assume_scheme="https")
    website_type = forms.ChoiceField(label=_("Type of vulnerability"),
                                     choices=lambda: _choose(choices(WEBSITE_VULNERABILITY_TYPES, _lang())))
    threat = forms.ChoiceField(label=_("Threat"), choices=lambda: _choose(choices(WEBSITE_THREATS, _lang())))

    field_order = ["url", "website_type", "threat", "title", "description", "reproduction", "impact"]

    def clean_url(self) -> str:
        value: str = self.cleaned_data["url"]
        if urlsplit(value).scheme not in {"http", "https"}:
            raise forms.ValidationError(_("Enter an http:// or https:// address."))
        return value


FORMS: dict[str, type[ReportForm]] = {"product": ProductReportForm, "website": WebsiteReportForm}


def labelled_submission(kind: str, submission: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of each field of a stored submission, as the form asked it, in the current language: the
    form's labels, a choice's label, yes/no for a checkbox; a field the form no longer has keeps its name."""
    fields = FORMS[kind].base_fields if kind in FORMS else {}
    order = {name: i for i, name in enumerate(fields)}
    rows: list[tuple[int, str, str]] = []
    for key, value in submission.items():
        field = fields.get(key)
        label = str(field.label) if field is not None and field.label else key
        if isinstance(value, bool):
            shown = str(_("Yes") if value else _("No"))
        elif isinstance(field, forms.ChoiceField):
            options = cast("Iterable[tuple[Any, Any]]", field.choices)  # flat (code, label) pairs here
            shown = next((str(text) for code, text in options if code == value), str(value))
        else:
            shown = "" if value is None else str(value)
        rows.append((order.get(key, len(order)), label, shown))
    return [(label, shown) for _position, label, shown in sorted(rows, key=lambda row: row[0])]
