"""Mail to finders about their reports. Subjects carry only the tracking number; bodies carry no details."""

from __future__ import annotations

from earlywarn.cases.flows import Flow
from earlywarn.cases.models import Case, Message, Visibility
from earlywarn.intake.models import Report
from earlywarn.intake.tokens import status_url
from earlywarn.notify.models import OutboxMessage
from earlywarn.notify.services import mail_enqueue, mail_render


def _finder_context(report: Report, case: Case) -> dict[str, object]:
    category = case.published_category
    reason = case.rejection_reason_labels or ("", "")
    return {
        "finder_name": report.finder_name,
        "judgment": case.judgment,
        "rejection_reason_ja": reason[0],
        "rejection_reason_en": reason[1],
        "tracking_id": report.tracking_id,
        "status_url": status_url(report.id),
        "kind": report.kind,
        "status_ja": category.ja,
        "status_en": category.en,
        "flow": Flow(case.flow).value,
    }


def acknowledgement(report: Report, case: Case) -> OutboxMessage | None:
    """The acknowledgement of a received report, rendered and not yet stored (``mail_write`` stores it)."""
    if not report.finder_email:
        return None
    return mail_render(template="report_received", to=report.finder_email, language=report.language,
                       context=_finder_context(report, case), case=case)


def finder_status_changed(case: Case, *, judged: bool = False) -> None:
    """Tell the finder; ``judged``: this change is the acceptance judgment itself (said once, not at every change)."""
    report = case.report
    if report.finder_email:
        mail_enqueue(template="status_changed", to=report.finder_email, language=report.language,
                     context={**_finder_context(report, case), "judged_now": judged}, case=case)


def message_posted(case: Case, message: Message) -> None:
    report = case.report
    if message.visibility == Visibility.FINDER and not message.from_finder and report.finder_email:
        mail_enqueue(template="new_message", to=report.finder_email, language=report.language,
                     context=_finder_context(report, case), case=case)
