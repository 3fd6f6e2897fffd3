"""The committee member's pages (their assigned cases and the vote) and the console's committee page (the pool,
open referrals, meetings). Every view asks the access policy first (docs/access-policy.md)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from earlywarn.accounts.models import Organisation
from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import Action, ActionDenied, CaseNotFound, access_case, actor_for_request, may
from earlywarn.committee import pool
from earlywarn.committee.models import Decision
from earlywarn.committee.selectors import member_summary, pool_context, seats_of
from earlywarn.coordination.actions import action_perform


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """A member's assigned cases (empty for everyone else)."""
    return render(request, "committee/my_cases.html", {"seats": seats_of(actor_for_request(request))})


@login_required
@require_http_methods(["GET", "POST"])
def member_case(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """The summary a seated member judges on, and their vote."""
    actor = actor_for_request(request)
    try:
        case = access_case(actor, case_id, Action.CASE_COMMITTEE_VOTE)
    except CaseNotFound as exc:
        raise Http404 from exc
    except ActionDenied:
        return HttpResponseForbidden(_("You may not do this on this case."))
    seat = seats_of(actor).filter(referral__case=case).first()
    if seat is None:  # seated once, the referral has ended: nothing left to see
        raise Http404
    if request.method == "POST":
        data = {key: request.POST.get(key, "") for key in ("decision", "reasons")}
        try:
            action_perform(actor=actor, case=case, name="committee_vote", data=data)
        except ActionDenied:
            return HttpResponseForbidden(_("You may not do this on this case."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Your decision was recorded."))
        if not seats_of(actor).filter(referral__case=case).exists():  # the last vote decided: the referral ended
            return redirect("committee:mine")
        return redirect("committee:case", case_id=case.id)
    return render(request, "committee/member_case.html",
                  {**member_summary(actor, case, seat), "decisions": Decision.choices})


POOL_OPERATIONS = ("add_member", "deactivate", "activate", "declare_interest", "withdraw_interest")


@login_required
@require_http_methods(["GET", "POST"])
def pool_page(request: HttpRequest) -> HttpResponse:
    """The console's committee page: coordinators read it, administrators manage the pool."""
    actor = actor_for_request(request)
    manage = may(actor, Action.COMMITTEE_MANAGE)
    if not (manage or may(actor, Action.CASE_COORDINATE)):
        raise Http404
    if request.method == "POST":
        if not manage:
            return HttpResponseForbidden(_("You may not do this."))
        op, post = request.POST.get("op", ""), request.POST
        try:
            if op == "add_member":
                pool.member_add(actor=actor, email=post.get("email", ""), note=post.get("note", ""))
            elif op in {"deactivate", "activate"}:
                pool.member_set_active(actor=actor, member=post.get("member", ""), active=op == "activate")
            elif op == "declare_interest":
                pool.interest_declare(actor=actor, member=post.get("member", ""),
                                      organisation=post.get("organisation", ""), note=post.get("note", ""))
            elif op == "withdraw_interest":
                pool.interest_withdraw(actor=actor, interest=post.get("interest", ""))
            else:
                messages.error(request, _("Unknown action."))
                return redirect("committee:pool")
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Done."))
        return redirect("committee:pool")
    organisations = Organisation.objects.only("id", "name")[:1000] if manage else []
    return render(request, "committee/pool.html", {**pool_context(), "manage": manage,
                                                   "organisations": organisations})
