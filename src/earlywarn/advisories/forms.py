"""The public list's filter form: bad values get a translated error and the list is not filtered by them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from earlywarn.advisories.formats import SEVERITY_LABELS
from earlywarn.advisories.selectors import Filters

SEVERITY_CHOICES = [("", _("Any severity")), *SEVERITY_LABELS.items()]
EXPLOITED_CHOICES = [("", _("Either")), ("yes", _("Exploitation observed")), ("no", _("Not reported as exploited"))]


class AdvisoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    developer = forms.CharField(label=_("Developer"), required=False, max_length=200)
    product = forms.CharField(label=_("Product"), required=False, max_length=200)
    published_from = forms.DateField(label=_("Published from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    published_to = forms.DateField(label=_("Published until"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=SEVERITY_CHOICES)
    exploited = forms.ChoiceField(label=_("In the wild"), required=False, choices=EXPLOITED_CHOICES)

    def filters(self) -> Filters:
        """The valid filters (an invalid field is left out; the form shows its error)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        exploited = {"yes": True, "no": False}.get(data.get("exploited") or "")
        return Filters(q=data.get("q") or "", developer=data.get("developer") or "",
                       product=data.get("product") or "", published_from=data.get("published_from"),
                       published_to=data.get("published_to"), severity=data.get("severity") or "",
                       exploited=exploited)
