"""The advisory editor's forms: texts and flags, vulnerabilities, affected products and references.

Plain Django forms and formsets (``formset_factory``), not model forms: the draft is only ever written by
``services.advisory_update`` (one transaction, one event, version bump), which takes dicts. Each identifier is
checked here with the same ``formats.check_*`` functions the service uses, so a bad CVE ID, CWE, CVSS vector,
purl, CPE or ``vers:`` range gets an error on its own field; the service checks again on save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.advisories import formats
from earlywarn.advisories.models import LANGUAGES, TEXT_FIELDS, Advisory, AdvisoryKind, ProductStatus
from earlywarn.cases.errors import ValidationFailed

TEXT_LABELS = {"title": _("Title"), "overview": _("Overview"), "description": _("Description"),
               "impact": _("Impact"), "solution": _("Solution"), "workarounds": _("Workarounds"),
               "stop_using": _("Stop using the product"), "credits": _("Credits")}
SSVC_DECISIONS = [("", _("No SSVC decision")), ("Track", "Track"), ("Track*", "Track*"), ("Attend", "Attend"),
                  ("Act", "Act")]
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _checked(check: Callable[[str, str], Any], value: str, field: str) -> Any:
    """Run a ``formats`` check; its translated message becomes the field's error."""
    try:
        return check(value, field)
    except ValidationFailed as exc:
        raise forms.ValidationError(str(exc.message)) from exc


class AdvisoryTextsForm(forms.Form):
    """The bilingual texts (``<name>_ja`` / ``<name>_en``), flags, SSVC and the agreed publication time."""

    exploited = forms.BooleanField(label=_("Exploitation observed (in the wild)"), required=False)
    exploitation_agreed = forms.BooleanField(
        label=_("The developer agreed in coordination to publish that exploitation was observed"), required=False)
    agreed_publication_at = forms.DateTimeField(
        label=_("Agreed publication date and time"), required=False, input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT))
    ssvc_decision = forms.ChoiceField(label=_("SSVC decision"), required=False, choices=SSVC_DECISIONS)
    ssvc_vector = forms.CharField(label=_("SSVC vector"), required=False, max_length=200)
    revision_summary_ja = forms.CharField(label=_("What this revision changes (Japanese)"), required=False,
                                          max_length=300)
    revision_summary_en = forms.CharField(label=_("What this revision changes (English)"), required=False,
                                          max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in TEXT_FIELDS:
            for lang in LANGUAGES:
                if name == "title":
                    field: forms.Field = forms.CharField(required=False, max_length=300)
                else:
                    field = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
                field.label = TEXT_LABELS[name]
                field.widget.attrs["lang"] = lang
                self.fields[f"{name}_{lang}"] = field

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("ssvc_vector") and not data.get("ssvc_decision"):
            self.add_error("ssvc_decision", _("Choose the SSVC decision the vector leads to."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields: dict[str, Any] = {f"{name}_{lang}": data[f"{name}_{lang}"].strip()
                                  for name in TEXT_FIELDS for lang in LANGUAGES}
        fields |= {"exploited": data["exploited"], "exploitation_agreed": data["exploitation_agreed"],
                   "agreed_publication_at": data["agreed_publication_at"],
                   "revision_summary_ja": data["revision_summary_ja"].strip(),
                   "revision_summary_en": data["revision_summary_en"].strip(),
                   "ssvc": ({"decision": data["ssvc_decision"], "vector": data["ssvc_vector"].strip()}
                            if data["ssvc_decision"] else {})}
        return fields

    def text_rows(self) -> list[dict[str, Any]]:
        """One row per text: the ja and en fields side by side, each flagged when it is the missing translation."""
        rows = []
        for name in TEXT_FIELDS:
            pair = {lang: self[f"{name}_{lang}"] for lang in LANGUAGES}
            values = {lang: str(bound.value() or "").strip() for lang, bound in pair.items()}
            rows.append({"name": name, "label": TEXT_LABELS[name], "ja": pair["ja"], "en": pair["en"],
                         "missing": {lang for lang in LANGUAGES if not values[lang] and any(values.values())}})
        return rows


class VulnerabilityForm(forms.Form):
    cve = forms.CharField(label=_("CVE ID"), required=False, max_length=32)
    cwe = forms.CharField(label=_("CWE"), required=False, max_length=16)
    title_ja = forms.CharField(label=_("Title (Japanese)"), required=False, max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), required=False, max_length=300)
    cvss_v3 = forms.CharField(label=_("CVSS 3.1 vector"), required=False, max_length=200)
    cvss_v4 = forms.CharField(label=_("CVSS 4.0 vector"), required=False, max_length=300)

    def clean_cve(self) -> str:
        return str(_checked(formats.check_cve, self.cleaned_data["cve"], "cve"))

    def clean_cwe(self) -> str:
        return str(_checked(formats.check_cwe, self.cleaned_data["cwe"], "cwe"))

    def _vector(self, name: str, version: str) -> str:
        value = str(self.cleaned_data[name]).strip()
        if not value:
            return ""
        score = _checked(formats.cvss_score, value, name)
        if score.version != version:
            raise forms.ValidationError(_("Enter a CVSS %(version)s vector here.") % {"version": version})
        return str(score.vector)

    def clean_cvss_v3(self) -> str:
        return self._vector("cvss_v3", "3.1")

    def clean_cvss_v4(self) -> str:
        return self._vector("cvss_v4", "4.0")


class ProductForm(forms.Form):
    developer = forms.ModelChoiceField(label=_("Developer organisation"), required=False,
                                       queryset=Organisation.objects.none())
    developer_name_ja = forms.CharField(label=_("Developer name (Japanese)"), required=False, max_length=200)
    developer_name_en = forms.CharField(label=_("Developer name (English)"), required=False, max_length=200)
    product_name_ja = forms.CharField(label=_("Product name (Japanese)"), max_length=200)
    product_name_en = forms.CharField(label=_("Product name (English)"), required=False, max_length=200)
    versions = forms.CharField(label=_("Versions (vers: range or text)"), required=False, max_length=500)
    status = forms.ChoiceField(label=_("Status"), choices=ProductStatus.choices, initial=ProductStatus.AFFECTED)
    purl = forms.CharField(label=_("Package URL (purl)"), required=False, max_length=500)
    cpe = forms.CharField(label=_("CPE"), required=False, max_length=500)
    statement_ja = forms.CharField(label=_("Developer's statement (Japanese)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2, "lang": "ja"}))
    statement_en = forms.CharField(label=_("Developer's statement (English)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2, "lang": "en"}))
    statement_date = forms.DateField(label=_("Date of the statement"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["developer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.filter(kind=OrganisationKind.DEVELOPER).order_by("name")

    def clean_purl(self) -> str:
        return str(_checked(formats.check_purl, self.cleaned_data["purl"], "purl"))

    def clean_cpe(self) -> str:
        return str(_checked(formats.check_cpe, self.cleaned_data["cpe"], "cpe"))

    def clean_versions(self) -> str:
        return str(_checked(formats.check_versions, self.cleaned_data["versions"], "versions"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        developer = data.get("developer")
        if developer is not None:  # the organisation's names, unless the editor wrote others
            data["developer_name_ja"] = data.get("developer_name_ja") or developer.name
            data["developer_name_en"] = data.get("developer_name_en") or developer.name_en
        if not data.get("developer_name_ja") and "developer_name_ja" not in self.errors:
            self.add_error("developer_name_ja", _("Choose the developer organisation or enter its name."))
        return data


class ReferenceForm(forms.Form):
    url = forms.URLField(label=_("Address (URL)"), max_length=1000, assume_scheme="https")
    summary = forms.CharField(label=_("Summary"), required=False, max_length=300)


class RowFormSet(BaseFormSet):
    """Rows kept in order; blank extra rows and rows marked for deletion are left out."""

    def clean(self) -> None:
        super().clean()
        # A negative row count (no browser sends one) would read as "no rows" and delete every row of the draft.
        if self.is_bound and (self.management_form.cleaned_data.get("TOTAL_FORMS") or 0) < 0:
            raise forms.ValidationError(_("The form was changed on its way: reload the page and try again."))

    def kept_forms(self) -> list[forms.Form]:
        """Existing rows (unless marked for deletion) and the extra rows that were filled in, in order."""
        existing = self.initial_form_count()
        return [form for index, form in enumerate(self.forms)
                if (index < existing or form.has_changed())
                and not (getattr(form, "cleaned_data", None) or {}).get("DELETE")]

    def rows(self) -> list[dict[str, Any]]:
        rows = [{key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
                for form in self.kept_forms()]
        return [row for row in rows if any(row.values())]


VulnerabilityFormSet = formset_factory(VulnerabilityForm, formset=RowFormSet, extra=1, can_delete=True,
                                       max_num=50, validate_max=True)
ProductFormSet = formset_factory(ProductForm, formset=RowFormSet, extra=2, can_delete=True, max_num=200,
                                 validate_max=True)
ReferenceFormSet = formset_factory(ReferenceForm, formset=RowFormSet, extra=1, can_delete=True, max_num=50,
                                   validate_max=True)

PREFIXES = {"vulnerabilities": "vuln", "products": "prod", "references": "ref"}


class NewAdvisoryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of advisory"), choices=AdvisoryKind.choices,
                             initial=AdvisoryKind.SINGLE, widget=forms.RadioSelect)
    case = forms.CharField(label=_("From the product case (tracking number, optional)"), required=False,
                           max_length=64)


def initial_of(advisory: Advisory) -> dict[str, Any]:
    """The texts form's initial data from the draft."""
    data: dict[str, Any] = {f"{name}_{lang}": advisory.text(name, lang) for name in TEXT_FIELDS for lang in LANGUAGES}
    ssvc = advisory.ssvc if isinstance(advisory.ssvc, dict) else {}
    data |= {"exploited": advisory.exploited, "exploitation_agreed": advisory.exploitation_agreed,
             "agreed_publication_at": advisory.agreed_publication_at,
             "revision_summary_ja": advisory.revision_summary_ja, "revision_summary_en": advisory.revision_summary_en,
             "ssvc_decision": ssvc.get("decision", ""), "ssvc_vector": ssvc.get("vector", "")}
    return data


def rows_of(advisory: Advisory) -> dict[str, list[dict[str, Any]]]:
    """The formsets' initial rows from the draft."""
    names = ("cve", "cwe", "title_ja", "title_en", "cvss_v3", "cvss_v4")
    vulnerabilities: list[dict[str, Any]] = [dict(row) for row in advisory.vulnerabilities.values(*names)]
    products = [{"developer": p.developer_id, "developer_name_ja": p.developer_name_ja,
                 "developer_name_en": p.developer_name_en, "product_name_ja": p.product_name_ja,
                 "product_name_en": p.product_name_en, "versions": p.versions, "status": p.status, "purl": p.purl,
                 "cpe": p.cpe, "statement_ja": p.statement_ja, "statement_en": p.statement_en,
                 "statement_date": p.statement_date} for p in advisory.products.all()]
    references = [{"url": str(r.get("url", "")), "summary": str(r.get("summary", ""))}
                  for r in (advisory.references or []) if isinstance(r, dict)]
    return {"vulnerabilities": vulnerabilities, "products": products, "references": references}


def scores_of(advisory: Advisory) -> list[dict[str, Any]]:
    """Each saved vulnerability's computed CVSS base scores and severities (shown after save)."""
    out = []
    for vuln in advisory.vulnerabilities.all():
        scores = []
        for vector in (vuln.cvss_v3, vuln.cvss_v4):
            if vector:
                try:
                    score = formats.cvss_score(vector)
                except ValidationFailed:
                    continue
                scores.append({"version": score.version, "score": score.base_score, "severity": score.severity})
        out.append({"cve": vuln.cve, "title": vuln.title_ja or vuln.title_en, "scores": scores})
    return out

