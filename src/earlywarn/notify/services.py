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


def mail_enqueue(*, template: str, to: str, language: str, context: dict[str, Any], case: Any = None,
                 pgp_key: str = "", pgp_fingerprint: str = "",
                 secure_context: dict[str, Any] | None = None) -> OutboxMessage:
    """Render ``template`` for ``to`` in ``language`` and write it to the outbox (same transaction).

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
    message = OutboxMessage.objects.create(
        message_id=_message_id(), template=template, language=language, to=to, subject=subject[:300],
        body_text=body, case=case, pgp_key=pgp_key if secure else "", pgp_fingerprint=pgp_fingerprint if secure
        else "", secure_body=secure,
    )
    from earlywarn.notify.dispatch import outbox_dispatch

    outbox_dispatch(message)
    return message
