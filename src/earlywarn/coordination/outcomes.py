"""Ways a product case ends without the normal publication (docs/coordination.md): end-of-life products (§4.8,
cases A–E), individual handling (個別対応, §4.11) and known vulnerabilities (§4.15).

Each service checks the policy and the state first (``require_product``), then validates everything, then writes
its rows and its ``CaseEvent`` in one transaction — through ``case_transition()`` when the case changes state.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed, clean_text
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor
from earlywarn.cases.services import case_transition, event_record
from earlywarn.coordination.models import DeveloperProduct, EolAssessment, EolCase, IndividualHandlingRequest
from earlywarn.coordination.services import ACTIVE, _notice, own_notice, require_product

COORDINATING = frozenset({"coordinating"})
STOP_USING_CASES = frozenset({EolCase.C, EolCase.D, EolCase.E})  # §4.8: a 利用中止 (stop using) publication
COMMITTEE_CASES = frozenset({EolCase.D, EolCase.E})  # §4.8: judged by the committee
INDIVIDUAL_RULES = ("notify_all", "limited_users")
YES_NO = {"yes": True, "no": False}


def _date(value: str, field: str) -> date:
    parsed = None
    try:
        parsed = parse_date((value or "").strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), field=field)
    return parsed


def _yes_no(value: str, field: str) -> bool:
    answer = YES_NO.get((value or "").strip().lower())
    if answer is None:
        raise ValidationFailed(_("Answer yes or no."), field=field)
    return answer


# --------------------------------------------------------------------------------------------------------------
# End-of-life products (§4.8)
# --------------------------------------------------------------------------------------------------------------


def eol_assess(*, actor: Actor, case: Case, organisation: str = "", product: str = "", support_ended_on: str = "",
               eol_notice_url: str = "", eol_case: str = "", reason: str = "") -> EolAssessment:
    """Record that the product is past its end of support and which of the cases A–E applies (re-assessable)."""
    require_product(actor, case, Action.CASE_COORDINATE, ACTIVE)
    notice = _notice(case, organisation)
    name = clean_text(product, "product", 200, required=True)
    ended = _date(support_ended_on, "support_ended_on")
    if ended > timezone.localdate():
        raise ValidationFailed(_("Support has not ended yet: an EOL case needs a past end of support."),
                               field="support_ended_on")
    url = clean_text(eol_notice_url, "eol_notice_url", 500)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise ValidationFailed(_("Enter a valid URL."), field="eol_notice_url") from exc
    choice = (eol_case or "").strip().upper()
    if choice not in EolCase.values:
        raise ValidationFailed(_("Choose a value from the list."), field="eol_case")
    why = clean_text(reason, "reason", 5_000, required=True)
    with transaction.atomic():
        row, _created = DeveloperProduct.objects.get_or_create(organisation=notice.organisation, name=name)
        row.support_ended_on, row.eol_notice_url = ended, url or row.eol_notice_url
        row.save(update_fields=["support_ended_on", "eol_notice_url"])
        previous = EolAssessment.objects.filter(case=case).values_list("eol_case", flat=True).first() or ""
        assessment, _created = EolAssessment.objects.update_or_create(case=case, defaults={
            "product": row, "eol_case": choice, "stop_using": choice in STOP_USING_CASES, "reason": why,
            "assessed_at": timezone.now(), "assessed_by": actor.label})
        event_record(case=case, actor=actor, tag="case:eol:assessed", reason=why,
                     data={"organisation": str(notice.organisation_id), "product": name, "eol_case": choice,
                           "previous": previous, "support_ended_on": ended.isoformat()})
    return assessment


def eol_close_small_impact(*, actor: Actor, case: Case, reason: str = "") -> Case:
    """EOL case A: the developer was notified and the impact is small — closed (取扱い終了（通常取扱い）)."""
    require_product(actor, case, Action.CASE_COORDINATE, COORDINATING)
    assessment = EolAssessment.objects.filter(case=case).first()
    if assessment is None or assessment.eol_case != EolCase.A:
        raise ValidationFailed(_("Only a case assessed as EOL case A closes this way."), field="eol_case")
    if not case.developer_notices.exists():
        raise ValidationFailed(_("Notify the developer first: case A requires it."), field="eol_case")
    return case_transition(actor=actor, case=case, action="close_eol_a", reason=reason,
                           data={"eol_case": "A", "product": assessment.product.name})


def eol_state(case: Case) -> EolAssessment | None:
    return EolAssessment.objects.filter(case=case).select_related("product").first()


# --------------------------------------------------------------------------------------------------------------
# Individual handling (個別対応, §4.11)
# --------------------------------------------------------------------------------------------------------------


def individual_rule() -> str:
    rule = settings.EARLYWARN["INDIVIDUAL_HANDLING_RULE"]
    if rule not in INDIVIDUAL_RULES:
        raise ImproperlyConfigured(f"EARLYWARN_INDIVIDUAL_HANDLING_RULE must be one of {INDIVIDUAL_RULES}, "
                                   f"not {rule!r}")
    return rule


def individual_request(*, actor: Actor, case: Case, organisation: str = "",
                       users_description: str = "") -> IndividualHandlingRequest:
    """The developer asks to close without publication because it can notify every user of the product."""
    require_product(actor, case, Action.CASE_DEVELOPER_RESPOND, COORDINATING)
    org = own_notice(actor, case, organisation).organisation
    description = clean_text(users_description, "users_description", 5_000, required=True)
    with transaction.atomic():
        if case.individual_requests.filter(organisation=org, decision=IndividualHandlingRequest.Decision.PENDING
                                           ).exists():
            raise ValidationFailed(_("A request of yours is already waiting for a decision."),
                                   field="users_description")
        row = IndividualHandlingRequest.objects.create(case=case, organisation=org, users_description=description)
        event_record(case=case, actor=actor, tag="case:individual:requested", data={"organisation": str(org.pk)})
    return row


def _rule_allows(general_purpose: bool, many_users: bool, all_notified: bool) -> bool:
    if not all_notified:
        return False
    return individual_rule() == "notify_all" or not (general_purpose and many_users)


def individual_decide(*, actor: Actor, case: Case, decision: str = "", general_purpose: str = "",
                      many_or_unspecified_users: str = "", all_users_notified: str = "", reasons: str = "") -> Case:
    """The coordinator records the §4.11 criteria and decides the pending request; approval closes the case."""
    require_product(actor, case, Action.CASE_COORDINATE, COORDINATING)
    request = case.individual_requests.filter(decision=IndividualHandlingRequest.Decision.PENDING).first()
    if request is None:
        raise ValidationFailed(_("No request for individual handling is waiting for a decision."), field="decision")
    if decision not in {"approve", "refuse"}:
        raise ValidationFailed(_("Choose a value from the list."), field="decision")
    general = _yes_no(general_purpose, "general_purpose")
    many = _yes_no(many_or_unspecified_users, "many_or_unspecified_users")
    notified = _yes_no(all_users_notified, "all_users_notified")
    why = clean_text(reasons, "reasons", 5_000, required=True)
    if decision == "approve" and not _rule_allows(general, many, notified):
        raise ValidationFailed(_("The criteria recorded do not allow individual handling under the rule in force."),
                               field="decision")
    criteria = {"general_purpose": general, "many_or_unspecified_users": many, "all_users_notified": notified,
                "rule": individual_rule()}

    def record(updated: Case) -> None:
        request.decision = (IndividualHandlingRequest.Decision.APPROVED if decision == "approve"
                            else IndividualHandlingRequest.Decision.REFUSED)
        request.general_purpose, request.many_or_unspecified_users = general, many
        request.all_users_notified, request.reasons = notified, why
        request.decided_at, request.decided_by = timezone.now(), actor.label
        request.save()

    if decision == "approve":
        return case_transition(actor=actor, case=case, action="close_individual", reason=why, effects=record,
                               data={"request": request.pk, **criteria})
    with transaction.atomic():
        record(case)
        event_record(case=case, actor=actor, tag="case:individual:refused", reason=why,
                     data={"request": request.pk, **criteria})
    return case


# --------------------------------------------------------------------------------------------------------------
# Known vulnerabilities (§4.15)
# --------------------------------------------------------------------------------------------------------------


def known_vulnerability_close(*, actor: Actor, case: Case, reference: str = "", reason: str = "") -> Case:
    """Close a case whose vulnerability is already known (no publication under the rules), naming where."""
    require_product(actor, case, Action.CASE_COORDINATE, frozenset({"content_check", "coordinating"}))
    where = clean_text(reference, "reference", 300, required=True)
    return case_transition(actor=actor, case=case, action="close_known_vulnerability", reason=reason,
                           data={"reference": where})
