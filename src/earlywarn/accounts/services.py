"""Account changes: API tokens (create shows the raw value once; revoke is immediate)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from earlywarn.accounts.models import ApiToken, User, hash_token


def token_create(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    raw = "ewt_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name.strip()[:100] or "token", prefix=raw[:12],
                                        token_hash=hash_token(raw), expires_at=expires_at)
    return token, raw


def token_revoke(*, user: User, token_id: uuid.UUID | str) -> bool:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    return updated == 1
