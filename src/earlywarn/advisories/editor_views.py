"""The advisory editor in the staff console: the list of drafts and published advisories, a new draft (blank or
from a product case), and the edit page (docs/advisories.md "Editor").

Only staff holding ``advisory:edit`` (coordinators, administrators) reach these pages; everyone else gets the
uniform 404 (``selectors.access_advisory``), anonymous visitors the login page. Every save goes through
``services.advisory_update``; bad input re-renders the page with the errors (422) and saves nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from earlywarn.advisories import editor, selectors, services
from earlywarn.advisories.models import Advisory, AdvisoryKind, AdvisoryRevision
from earlywarn.advisories.views import staff_view
from earlywarn.cases.errors import DomainError
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, actor_for_request, cases_visible_to, staff_actor


def _editor(request: HttpRequest) -> Actor:
    """The actor, when they may edit advisories; anyone else gets the same 404 as a missing advisory."""
    return staff_actor(request, Action.ADVISORY_EDIT)


@login_required
@require_GET
def editor_list(request: HttpRequest) -> HttpResponse:
    actor = _editor(request)
    current = AdvisoryRevision.objects.filter(advisory=OuterRef("pk"), is_current=True)
    unpublished_edit = current.exclude(advisory_version=OuterRef("version"))
    rows = (Advisory.objects.select_related("case__report")
            .annotate(published=Exists(current), edited_since=Exists(unpublished_edit))
            .order_by("-updated_at", "-created_at"))
    visible = [a for a in rows[:500] if actor.staff_may(Action.ADVISORY_EDIT, a.case)]
    return render(request, "advisories/editor/list.html", {
        "drafts": [a for a in visible if not a.published],
        "published": [a for a in visible if a.published]})


def _case_for(actor: Actor, value: str) -> Case | None:
    """A product case the actor may write an advisory for, by tracking number or id; None when there is none."""
    value = value.strip()
    cases = cases_visible_to(actor).filter(flow="product")
    with contextlib.suppress(ValueError):
        return _allowed(actor, cases.filter(pk=uuid.UUID(value)).first())
    return _allowed(actor, cases.filter(report__tracking_id=value).first())


def _allowed(actor: Actor, case: Case | None) -> Case | None:
    return case if case is not None and actor.staff_may(Action.ADVISORY_EDIT, case) else None


def _from_case(actor: Actor, case: Case, kind: str) -> tuple[Advisory, bool]:
    """A draft prefilled from the case, as the minimal record at publication is (``draft_from_case``)."""
    from earlywarn.coordination.models import PublicationSchedule
    from earlywarn.coordination.schedule_advisory import draft_from_case

    schedule = PublicationSchedule.objects.filter(case=case).first()
    return draft_from_case(actor, case, kind, schedule.agreed_at if schedule is not None else None)


@login_required
@require_http_methods(["GET", "POST"])
def editor_new(request: HttpRequest) -> HttpResponseBase:
    actor = _editor(request)
    if request.method == "POST":
        form = editor.NewAdvisoryForm(request.POST)
        if form.is_valid():
            case = None
            if form.cleaned_data["case"]:
                case = _case_for(actor, form.cleaned_data["case"])
                if case is None:
                    form.add_error("case", _("There is no product case with this tracking number that you may "
                                             "write an advisory for."))
                elif (existing := Advisory.objects.filter(case=case).order_by("-created_at").first()) is not None:
                    form.add_error("case", _("This case already has the advisory %(id)s: edit that one.")
                                   % {"id": existing.tracking_id})
        if form.is_valid():
            try:
                if case is None:
                    advisory, complete = services.advisory_create(
                        actor=actor, kind=form.cleaned_data["kind"]), True
                else:
                    advisory, complete = _from_case(actor, case, form.cleaned_data["kind"])
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Draft %(id)s created.") % {"id": advisory.tracking_id})
                if not complete:
                    messages.warning(request, _("The case's product statements could not be taken over as they "
                                                "are; enter the products below."))
                return redirect("advisories:editor_edit", advisory_id=advisory.id)
        return render(request, "advisories/editor/new.html", {"form": form}, status=422)
    initial: dict[str, Any] = {"kind": AdvisoryKind.SINGLE}
    case = _case_for(actor, request.GET.get("case", "")) if request.GET.get("case") else None
    if case is not None:
        initial = {"case": case.tracking_id,
                   "kind": AdvisoryKind.MULTI if case.developer_notices.count() > 1 else AdvisoryKind.SINGLE}
    return render(request, "advisories/editor/new.html", {"form": editor.NewAdvisoryForm(initial=initial)})


def _forms(advisory: Advisory, data: Any = None) -> dict[str, Any]:
    rows = editor.rows_of(advisory)
    return {
        "texts": editor.AdvisoryTextsForm(data, initial=editor.initial_of(advisory)),
        "vulnerabilities": editor.VulnerabilityFormSet(data, initial=rows["vulnerabilities"],
                                                       prefix=editor.PREFIXES["vulnerabilities"]),
        "products": editor.ProductFormSet(data, initial=rows["products"], prefix=editor.PREFIXES["products"]),
        "references": editor.ReferenceFormSet(data, initial=rows["references"],
                                              prefix=editor.PREFIXES["references"]),
    }


def _attach(forms: dict[str, Any], exc: DomainError) -> None:
    """Show a service's refusal on the field it names (``products.1.purl``), else on top of the page."""
    parts = (exc.field or "").split(".")
    message = str(exc.message)
    if len(parts) == 3 and parts[0] in editor.PREFIXES and parts[1].isdigit():
        formset = forms[parts[0]]
        filled = formset.kept_forms()
        # snapshot.content_of numbers products from 1 for versions/purl/cpe; rows are 0-based everywhere else
        one_based = parts[0] == "products" and parts[2] in {"purl", "cpe", "versions"}
        index = int(parts[1]) - (1 if one_based else 0)
        if 0 <= index < len(filled) and parts[2] in filled[index].fields:
            filled[index].add_error(parts[2], message)
            return
    if exc.field and exc.field in forms["texts"].fields:
        forms["texts"].add_error(exc.field, message)
        return
    forms["texts"].add_error(None, message)


def _context(advisory: Advisory, forms: dict[str, Any], actor: Actor) -> dict[str, Any]:
    current = advisory.revisions.filter(is_current=True).first()
    approved = advisory.approved
    return {**forms, "advisory": advisory, "text_rows": forms["texts"].text_rows(),
            "scores": editor.scores_of(advisory), "current": current, "approved": approved,
            "may_publish": actor.staff_may(Action.ADVISORY_PUBLISH, advisory.case if advisory.case_id else None),
            "revisions": advisory.revisions.order_by("number"), "events": advisory.events.order_by("-id")[:10]}


@require_http_methods(["GET", "POST"])
@staff_view
def editor_edit(request: HttpRequest, advisory_id: uuid.UUID) -> HttpResponseBase:
    actor = actor_for_request(request)
    advisory = selectors.access_advisory(actor, advisory_id)
    if request.method != "POST":
        return render(request, "advisories/editor/edit.html", _context(advisory, _forms(advisory), actor))
    forms = _forms(advisory, request.POST)
    checked = [form.is_valid() for form in forms.values()]  # every form, so that every error is shown
    valid = all(checked)
    if request.POST.get("version") != str(advisory.version):
        forms["texts"].add_error(None, _("Someone else changed this advisory meanwhile. Reload it and try again."))
        return render(request, "advisories/editor/edit.html", _context(advisory, forms, actor), status=409)
    if not valid:
        return render(request, "advisories/editor/edit.html", _context(advisory, forms, actor), status=422)
    was_approved = advisory.approved
    try:
        fields = {**forms["texts"].service_fields(), "references": forms["references"].rows()}
        saved = services.advisory_update(actor=actor, advisory=advisory, fields=fields,
                                         vulnerabilities=forms["vulnerabilities"].rows(),
                                         products=forms["products"].rows())
    except DomainError as exc:
        _attach(forms, exc)
        return render(request, "advisories/editor/edit.html", _context(advisory, forms, actor), status=exc.status)
    messages.success(request, _("Saved as draft version %(version)s.") % {"version": saved.version})
    if was_approved:
        messages.warning(request, _("The approval of version %(version)s no longer applies: this version needs "
                                    "a new approval before it can be published early.")
                         % {"version": advisory.version})
    return redirect("advisories:editor_edit", advisory_id=saved.id)
