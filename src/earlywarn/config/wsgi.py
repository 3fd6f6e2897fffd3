"""WSGI entry point (gunicorn's sync and threaded workers): published advisories are answered from their files
(``fastpath.wsgi_app``, docs/advisories.md "Serving"), everything else by Django."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlywarn.config.settings")

from earlywarn.config import fastpath

application = fastpath.wsgi_app(get_wsgi_application())
