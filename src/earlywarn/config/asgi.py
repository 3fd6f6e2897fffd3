"""ASGI entry point: uvicorn, as ``earlywarn serve`` runs it (docs/advisories.md "Serving", decision 0009).

Published advisories are answered from their files on the event loop (``fastpath.asgi_app``); everything else goes
to Django's WSGI application, which a2wsgi runs in one thread per process, one request at a time, like a sync
worker. Django's own ASGI handler was measured slower for everything that enters Django (intake on SQLite, 4
workers: 115 accepted/s with p99 4 s, against 199/s with p99 1.3 s through a2wsgi and 156/s with gunicorn's sync
workers; docs/benchmarks.md): it adapts every synchronous middleware on its own thread hop. Under WSGI Django's
request size guard refuses an oversized body from its Content-Length alone; a2wsgi reads the body only when Django
does, so such a body is never read.
"""

from __future__ import annotations

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlywarn.config.settings")
django_application = get_wsgi_application()

from earlywarn.config import fastpath  # noqa: E402 - needs the settings

application = fastpath.asgi_app(WSGIMiddleware(django_application, workers=1))  # type: ignore[arg-type]
