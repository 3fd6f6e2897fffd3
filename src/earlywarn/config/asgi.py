"""ASGI entry point: uvicorn, as ``earlywarn serve`` runs it (docs/advisories.md "Serving", decision 0009).

Published advisories are answered from their files on the event loop (``fastpath.asgi_app``); everything else goes
to Django's ASGI handler, which runs the (synchronous) middleware and views in one thread per process, one request
at a time, like a sync worker.
"""

from __future__ import annotations

import contextvars
import os
import tempfile
from typing import Any

import django
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlywarn.config.settings")
django.setup(set_prefix=False)

from earlywarn.config import fastpath  # noqa: E402 - needs the settings

# Per request (each connection's task has its own context): the declared Content-Length, and whether read_body has
# returned (after which the rest of a body it chose not to read is discarded, not handed to Django).
_declared_length: contextvars.ContextVar[int | None] = contextvars.ContextVar("declared_length", default=None)
_body_done: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("body_done", default=None)


def body_limit() -> int:
    """The largest body any page or API call accepts (web/middleware.request_size_refusal's limit)."""
    return settings.EARLYWARN_MAX_REQUEST_BYTES + settings.EARLYWARN_MAX_ATTACHMENTS * (
        settings.EARLYWARN_MAX_ATTACHMENT_BYTES + 1024)


class BoundedASGIHandler(ASGIHandler):
    """Django's handler reads the whole body before any middleware runs. This one reads none of a body whose
    Content-Length is over the limit (the size guard and ``request.body`` then refuse it from the header alone, as
    under WSGI) and keeps at most the limit of a body without length; the rest is read and dropped, never stored."""

    async def read_body(self, receive: Any) -> Any:
        limit = body_limit()
        declared = _declared_length.get()
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")  # noqa: SIM115
        done = _body_done.get()
        if declared is not None and declared > limit:
            if done is not None:
                done.append(True)
            return body
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                raise RequestAborted
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= limit + 1:
                body.write(chunk)
            if not message.get("more_body", False):
                break
        body.seek(0)
        if done is not None:
            done.append(True)
        return body

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        done: list[bool] = []
        _declared_length.set(declared)
        _body_done.set(done)

        async def rest_dropped() -> Any:  # Django listens for a disconnect while it answers: skip unread body parts
            while True:
                message = await receive()
                if not (done and message["type"] == "http.request"):
                    return message

        await super().handle(scope, rest_dropped, send)


application = fastpath.asgi_app(BoundedASGIHandler())
