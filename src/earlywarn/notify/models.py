"""The mail outbox: every message is written in the transaction of the change that causes it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    DEAD = "dead", "dead"  # permanent failure or attempts exhausted: alert staff


class OutboxMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message_id = models.CharField(max_length=255, unique=True)  # RFC 5322 Message-ID, fixed at enqueue
    template = models.CharField(max_length=100)
    language = models.CharField(max_length=8)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    # Encrypted mail (RFC 3156) to a pinned key: ``secure_body`` is sent encrypted to ``pgp_fingerprint``; when
    # the key is unusable at delivery ``body_text`` (never any details) goes instead. Emptied once handled.
    pgp_fingerprint = models.CharField(max_length=64, blank=True)
    pgp_key = models.TextField(blank=True)
    secure_body = models.TextField(blank=True)
    encrypted = models.BooleanField(default=False)  # what was actually sent
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)  # a delivery in progress holds the message
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.status})"
