"""Receiving a report: the report, its case, its first event and its acknowledgement, in one transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.cases.errors import DomainError
from earlywarn.cases.models import Attachment, Case, Visibility, Vulnerability
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import event_record
from earlywarn.config.knobs import knob_int
from earlywarn.intake.models import Report, ReportKind, ReportOrigin
from earlywarn.intake.notifications import acknowledgement
from earlywarn.intake.tokens import status_token, status_token_hash, tracking_id_new
from earlywarn.notify.services import mail_write


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 422


@dataclass(frozen=True)
class Receipt:
    report: Report
    case: Case
    status_token: str
    replayed: bool = False


def _fingerprint(kind: str, submission: dict[str, Any], files: list[tuple[str, str]]) -> str:
    canonical = json.dumps({"kind": kind, "submission": submission, "files": files}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _store_attachment(upload: UploadedFile, *, report: Report, case: Case) -> Attachment:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        report=report, case=case, visibility=Visibility.FINDER, original_name=(upload.name or "file")[:255],
        content_type=(upload.content_type or "application/octet-stream")[:100], size=upload.size or 0,
        sha256=digest.hexdigest(),
    )
    attachment.file.save(str(attachment.id), upload, save=False)
    attachment.save()
    return attachment


def _discard_files(attachments: list[Attachment]) -> None:
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)


def _replay(key: str, fingerprint: str) -> Receipt:
    report = Report.objects.select_related("case").get(idempotency_key=key)
    if report.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different report. Use a new key for a new report."),
            field="Idempotency-Key",
        )
    return Receipt(report=report, case=report.case, status_token=status_token(report.id), replayed=True)


def report_submit(
    *, actor: Actor, kind: str, submission: dict[str, Any], language: str,
    attachments: list[UploadedFile] | None = None, idempotency_key: str | None = None,
    origin: str = ReportOrigin.FINDER,
) -> Receipt:
    """Receive a validated report. Returns the receipt; with a repeated idempotency key, the first receipt."""
    if kind not in ReportKind.values:
        raise DomainError(_("Unknown report kind."), field="kind")
    attachments = attachments or []
    files = [(a.name or "", hashlib.sha256(a.read()).hexdigest()) for a in attachments]
    for upload in attachments:
        upload.seek(0)
    fingerprint = _fingerprint(kind, submission, files)
    if idempotency_key:
        # Keys are scoped to the submitting account, so nobody can replay another account's key.
        scope = str(actor.user.pk) if actor.user is not None else "anonymous"
        idempotency_key = hashlib.sha256(f"{scope}:{idempotency_key}".encode()).hexdigest()
    finder_email = (submission.get("finder_email") or "").strip().lower()
    finder_name = (submission.get("finder_name") or "").strip()
    # Everything that needs no database is built before the write transaction: on SQLite its one write lock is
    # then held only for the inserts. A repeated idempotency key is caught by the unique constraint on the first
    # insert (a replay is rare; checking first would cost every submission a query).
    report = Report(
        tracking_id=tracking_id_new(), kind=kind, origin=origin, language=language,
        submission=submission, finder_name=finder_name, finder_email=finder_email,
        finder_organisation=(submission.get("finder_organisation") or "").strip(),
        finder_identity_provided=bool(finder_name),
        finder_contactable=bool(finder_email),
        consent_share_identity=bool(submission.get("consent_share_identity")),
        submitted_by=actor.user, idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
    )
    token = status_token(report.id)
    report.status_token_hash = status_token_hash(token)
    case = Case(report=report, flow=kind, state="received", state_changed_at=timezone.now(), title=submission["title"],
                received_on=timezone.localdate(report.received_at))
    receipt_mail = acknowledgement(report, case)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            report.save(force_insert=True)
            case.save(force_insert=True)
            Vulnerability.objects.create(
                case=case, title=submission["title"], cwe=submission.get("cwe", ""),
                website_type=submission.get("website_type", ""),
            )
            for upload in attachments:
                stored.append(_store_attachment(upload, report=report, case=case))
            event_record(case=case, actor=actor, tag="case:report:received", to_flow=kind, to_state="received",
                         data={"origin": origin, "attachments": len(attachments)})
            if receipt_mail is not None:
                mail_write(receipt_mail)
    except IntegrityError:
        _discard_files(stored)
        # The key was used before, or a concurrent request with it won the race: answer with its receipt.
        if idempotency_key and Report.objects.filter(idempotency_key=idempotency_key).exists():
            return _replay(idempotency_key, fingerprint)
        raise
    except BaseException:
        _discard_files(stored)  # the rows rolled back: leave no orphaned file on disk
        raise
    return Receipt(report=report, case=case, status_token=token)


def report_by_status_token(token: str) -> Report | None:
    """The report a status link opens, or None: unknown link, or its case closed too long ago."""
    if not token or len(token) > 100:
        return None
    report = Report.objects.filter(status_token_hash=status_token_hash(token)).select_related("case").first()
    if report is None:
        return None
    closed = report.case.closed_at
    if closed is not None and timezone.now() - closed > timedelta(days=knob_int("STATUS_LINK_DAYS")):
        return None  # a link stops working a while after the case closed (EARLYWARN_STATUS_LINK_DAYS)
    return report
