"""The operator's page (no account: a private link) — read the notice, confirm receipt, write to the handler,
bring in the builder, report the fix. Every step goes through the services and the access policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import ActionDenied, attachments_visible_to, messages_visible_to, submission_visible_to
from earlywarn.cases.services import message_post
from earlywarn.config.knobs import knob_int
from earlywarn.websites.actions import action_perform, form_data, website_actions_for
from earlywarn.websites.contacts import site_host
from earlywarn.websites.explain import help_list, plain, type_label
from earlywarn.websites.links import link_resolve
from earlywarn.websites.models import FixKind
from earlywarn.websites.notification import vulnerability_type

PAGE_ACTIONS = frozenset({"acknowledge", "add_builder", "report_fix"})
TECHNICAL_FIELDS = ("url", "title", "description", "reproduction", "impact")


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def _no_store(response: HttpResponse) -> HttpResponse:
    # The link is a secret: no cache keeps the page. Referrer-Policy stays the site's "same-origin" (the link never
    # leaves as a referrer; "no-referrer" would make browsers send "Origin: null" and fail the CSRF check).
    response.headers["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def operator_page(request: HttpRequest, token: str) -> HttpResponse:
    resolved = link_resolve(token)
    if resolved is None:
        raise Http404
    link, actor = resolved
    contact, case = link.contact, link.contact.case
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "message":
                message_post(actor=actor, case=case, body=request.POST.get("body", ""), visibility="organisation")
            elif action in PAGE_ACTIONS:
                action_perform(actor=actor, case=case, name=action, data=form_data(action, request.POST))
            else:
                raise DomainError(_("Unknown action."))
        except ActionDenied:
            error = _("This is no longer possible for this case.")
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Thank you. We received it."))
            return redirect("websites:operator", token=token)
    link.__class__.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    language = _language()
    kind = vulnerability_type(case)
    submission = submission_visible_to(actor, case)
    category = case.published_category
    context = {
        "case": case, "contact": contact, "host": site_host(case), "error": error, "language": language,
        "plain": plain(kind, language), "type_label": type_label(kind, language),
        "status": category.en if language == "en" else category.ja,
        "sub_status": (case.sub_status.en if language == "en" else case.sub_status.ja) if case.sub_status else "",
        "technical": [(field, submission[field]) for field in TECHNICAL_FIELDS if submission.get(field)],
        "thread": messages_visible_to(actor, case), "attachments": attachments_visible_to(actor, case),
        "actions": set(website_actions_for(actor, case)), "acknowledged": case.events.filter(
            tag="case:operator:acknowledged").exists(),
        "fix_reports": case.fix_reports.all(), "fix_kinds": FixKind.choices, "help": help_list(language),
        "ack_days": knob_int("OPERATOR_ACK_DAYS"), "builders": case.website_contacts.filter(role="builder"),
        "today": timezone.localdate().isoformat(),
    }
    return _no_store(render(request, "websites/operator.html", context, status=422 if error else 200))
