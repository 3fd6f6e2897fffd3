"""Tracking numbers and private status links.

Tracking numbers are random (not sequential) so they reveal nothing about volume and cannot be enumerated.
A status link's secret is an HMAC of the report id under the installation's secret key: it can be shown again
to an idempotent retry without being stored; only its SHA-256 is kept, for lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.utils import timezone

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def tracking_id_new() -> str:
    prefix = settings.EARLYWARN["TRACKING_PREFIX"]
    year = timezone.localdate().year
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{year}-{chars[:4]}-{chars[4:]}"


def status_token(report_id: uuid.UUID) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"earlywarn-status-link:{report_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def status_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def status_url(report_id: uuid.UUID) -> str:
    return f"{settings.BASE_URL}/status/{status_token(report_id)}/"
