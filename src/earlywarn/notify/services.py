"""The mail catalogue's one entry point: render a message and put it in the outbox.

Templates live in ``templates/email/<name>/{subject.txt,body.txt}`` and are rendered in the recipient's
language. Call ``mail_enqueue`` inside the transaction of the change that causes the mail: the message is
committed with the change or not at all, and the worker delivers it afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from earlywarn.notify.models import OutboxMessage


def _message_id() -> str:
    domain = settings.BASE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "earlywarn.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def mail_render(*, template: str, to: str, language: str, context: dict[str, Any], case: Any = None,
                pgp_key: str = "", pgp_fingerprint: str = "",
                secure_context: dict[str, Any] | None = None) -> OutboxMessage:
    """Render ``template`` for ``to`` in ``language`` into an unsaved outbox message; ``mail_write`` stores it.

    With a pinned key (``pgp_key``, ``pgp_fingerprint``) the body rendered with ``secure_context`` (which may hold
    the vulnerability details) is kept apart and sent only encrypted to that key; ``context`` renders the plain
    body sent instead when the key is unusable at delivery time. The subject comes from ``context`` always.
    """
    language = language if language in {"ja", "en"} else settings.LANGUAGE_CODE
    full_context = {"base_url": settings.BASE_URL, **context}
    secure = ""
    with translation.override(language):
        subject = " ".join(render_to_string(f"email/{template}/subject.txt", full_context).split())
        body = render_to_string(f"email/{template}/body.txt", full_context)
        if pgp_key and pgp_fingerprint:
            secure = render_to_string(f"email/{template}/body.txt",
                                      {"base_url": settings.BASE_URL, **(secure_context or context)})
    return OutboxMessage(
        message_id=_message_id(), template=template, language=language, to=to, subject=subject[:300],
        body_text=body, case=case, pgp_key=pgp_key if secure else "", pgp_fingerprint=pgp_fingerprint if secure
        else "", secure_body=secure,
    )


def mail_write(message: OutboxMessage) -> OutboxMessage:
    """Store a rendered message in the outbox and queue its delivery: call inside the change's transaction."""
    message.save(force_insert=True)
    from earlywarn.notify.dispatch import outbox_dispatch

    outbox_dispatch(message)
    return message


def mail_enqueue(*, template: str, to: str, language: str, context: dict[str, Any], case: Any = None,
                 pgp_key: str = "", pgp_fingerprint: str = "",
                 secure_context: dict[str, Any] | None = None) -> OutboxMessage:
    """Render ``template`` for ``to`` in ``language`` and write it to the outbox (same transaction).

    See ``mail_render`` for the pinned-key variant. Where rendering can happen before a write transaction starts
    (the report intake), call ``mail_render`` there and ``mail_write`` inside: on SQLite that keeps template
    rendering out of the time the single write lock is held.
    """
    return mail_write(mail_render(template=template, to=to, language=language, context=context, case=case,
                                  pgp_key=pgp_key, pgp_fingerprint=pgp_fingerprint, secure_context=secure_context))
