"""Advisories: the editable draft, its vulnerabilities and affected products, and the published revisions.

The draft (``Advisory`` with its rows) is staff-only. Publication (``services.advisory_publish``) freezes it into
an ``AdvisoryRevision``: a snapshot of the content plus the exact CSAF bytes served. Every public read path
(pages, search, CSAF provider, OSV) reads revisions only, so an unpublished draft cannot reach the public.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.records import AppendOnly, ImmutableError

# Bilingual text fields of an advisory: each exists as <name>_ja and <name>_en.
TEXT_FIELDS = ("title", "overview", "description", "impact", "solution", "workarounds", "stop_using", "credits")
REQUIRED_TEXT_FIELDS = ("title", "overview", "description", "impact", "solution")
LANGUAGES = ("ja", "en")


class AdvisoryKind(models.TextChoices):
    SINGLE = "single", _("One domestic developer")  # JVN# style
    MULTI = "multi", _("Several developers or overseas coordination")  # JVNVU# style


class AdvisoryOrigin(models.TextChoices):
    """Where the vulnerability information came from (partnership.md §4.16, statistics S5/S6/S8, table T5)."""

    DOMESTIC = "domestic", _("Handled in the Partnership (domestic report)")
    OVERSEAS_CSIRT = "overseas_csirt", _("In cooperation with an overseas CSIRT")


class Advisory(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tracking_id = models.CharField(max_length=40, unique=True)  # EW#12345678 (prefix configurable)
    slug = models.SlugField(max_length=40, unique=True)  # EW12345678: the public URL
    kind = models.CharField(max_length=8, choices=AdvisoryKind.choices, default=AdvisoryKind.SINGLE)
    origin = models.CharField(max_length=16, choices=AdvisoryOrigin.choices, default=AdvisoryOrigin.DOMESTIC)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="advisories")
    title_ja = models.CharField(max_length=300, blank=True)
    title_en = models.CharField(max_length=300, blank=True)
    overview_ja = models.TextField(blank=True)
    overview_en = models.TextField(blank=True)
    description_ja = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    impact_ja = models.TextField(blank=True)
    impact_en = models.TextField(blank=True)
    solution_ja = models.TextField(blank=True)
    solution_en = models.TextField(blank=True)
    workarounds_ja = models.TextField(blank=True)
    workarounds_en = models.TextField(blank=True)
    stop_using_ja = models.TextField(blank=True)  # 利用中止 notice (§4.8 cases C–E); empty: none
    stop_using_en = models.TextField(blank=True)
    credits_ja = models.TextField(blank=True)  # as the finder asked to be credited
    credits_en = models.TextField(blank=True)
    # §4.10: exploitation is shown only when the developer agreed to it in coordination.
    exploited = models.BooleanField(default=False)
    exploitation_agreed = models.BooleanField(default=False)
    ssvc = models.JSONField(default=dict, blank=True)  # optional SSVC decision {"decision": ..., "vector": ...}
    references = models.JSONField(default=list, blank=True)  # [{"url": ..., "summary": ...}]
    agreed_publication_at = models.DateTimeField(null=True, blank=True)  # the coordinated date (aware, UTC)
    revision_summary_ja = models.CharField(max_length=300, blank=True)  # what the next publication changes
    revision_summary_en = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)  # bumped on every edit; an approval is for one version
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Withdrawal (withdrawal.py): one person requests it with a reason, a second one withdraws; never deleted.
    withdrawal_reason_ja = models.TextField(blank=True)
    withdrawal_reason_en = models.TextField(blank=True)
    withdrawal_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+")
    withdrawal_requested_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.tracking_id

    def text(self, name: str, language: str) -> str:
        return str(getattr(self, f"{name}_{language}"))

    def missing_translations(self) -> list[tuple[str, str]]:
        """(field, language) pairs that are empty while the other language has text: shown to the editor."""
        missing = []
        for name in TEXT_FIELDS:
            values = {lang: self.text(name, lang).strip() for lang in LANGUAGES}
            for lang in LANGUAGES:
                if not values[lang] and any(values.values()):
                    missing.append((name, lang))
        return missing

    @property
    def exploitation_shown(self) -> bool:
        return self.exploited and self.exploitation_agreed

    @property
    def approved(self) -> bool:
        """A second person approved exactly this version for publication (an edit lapses the approval)."""
        return self.approved_version == self.version and self.approved_by_id is not None


class Vulnerability(models.Model):
    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="vulnerabilities")
    position = models.PositiveSmallIntegerField(default=0)
    cve = models.CharField(max_length=32, blank=True)
    cwe = models.CharField(max_length=16, blank=True)  # CWE-79
    title_ja = models.CharField(max_length=300, blank=True)
    title_en = models.CharField(max_length=300, blank=True)
    cvss_v3 = models.CharField(max_length=200, blank=True)  # CVSS:3.1/...
    cvss_v4 = models.CharField(max_length=300, blank=True)  # CVSS:4.0/...

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.cve or self.title_en or self.title_ja


class ProductStatus(models.TextChoices):
    AFFECTED = "affected", _("Affected")
    FIXED = "fixed", _("Fixed")
    NOT_AFFECTED = "not_affected", _("Not affected")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")


class AffectedProduct(models.Model):
    """One product (and its versions) of one developer, with that developer's statement."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="products")
    position = models.PositiveSmallIntegerField(default=0)
    developer = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    developer_name_ja = models.CharField(max_length=200)
    developer_name_en = models.CharField(max_length=200, blank=True)
    product_name_ja = models.CharField(max_length=200)
    product_name_en = models.CharField(max_length=200, blank=True)
    versions = models.CharField(max_length=500, blank=True)  # a vers range ("vers:npm/>=1.0|<1.2") or versions
    status = models.CharField(max_length=24, choices=ProductStatus.choices, default=ProductStatus.AFFECTED)
    purl = models.CharField(max_length=500, blank=True)
    cpe = models.CharField(max_length=500, blank=True)
    statement_ja = models.TextField(blank=True)  # the developer's statement (対応状況)
    statement_en = models.TextField(blank=True)
    statement_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.developer_name_en or self.developer_name_ja}: {self.product_name_en or self.product_name_ja}"


class AdvisoryRevision(models.Model):
    """One publication: the frozen content and the exact documents served. Append-only."""

    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()  # CSAF tracking/version (integer versioning)
    advisory_version = models.PositiveIntegerField()  # the draft version it froze (a retry cannot publish twice)
    is_current = models.BooleanField(default=True)  # the latest revision of its advisory
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    summary_ja = models.CharField(max_length=300, blank=True)
    summary_en = models.CharField(max_length=300, blank=True)
    content = models.JSONField()  # the snapshot the public page renders (services.snapshot)
    csaf = models.TextField()  # the served CSAF JSON, byte for byte
    csaf_path = models.CharField(max_length=200, db_index=True)  # below /.well-known/csaf/: white/2026/ew_1.json
    csaf_signature = models.TextField(blank=True)  # ASCII-armoured detached OpenPGP signature, if a key is set
    # The csaf_vex document next to the advisory (vex.py), when the developers gave per-product status.
    vex_csaf = models.TextField(blank=True)
    vex_csaf_path = models.CharField(max_length=200, blank=True, db_index=True)
    vex_csaf_signature = models.TextField(blank=True)
    withdrawn = models.BooleanField(default=False)  # this revision withdraws the advisory (withdrawal.py)
    # Denormalised for the public list's filters and search (published data only).
    tracking_id = models.CharField(max_length=40)
    slug = models.SlugField(max_length=40)
    initial_published_at = models.DateTimeField()
    developers = models.TextField(blank=True)  # one name per line, both languages
    products = models.TextField(blank=True)
    max_score = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    severity = models.CharField(max_length=16, blank=True)  # none | low | medium | high | critical
    exploited = models.BooleanField(default=False)
    search_tokens = models.TextField(blank=True)  # " tok tok … " (search.py: bigrams for CJK, words otherwise)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["advisory", "number"], name="advisory_revision_unique")]
        indexes = [
            models.Index(fields=["is_current", "published_at"]),
            # The public list's and the feeds' orders over current revisions only: without them every page sorts
            # every revision (bench/publication: 0.5-3.8 s at 100,000 advisories on SQLite).
            models.Index(fields=["-initial_published_at", "-id"], condition=models.Q(is_current=True),
                         name="advisory_current_by_first"),
            models.Index(fields=["-published_at", "-id"], condition=models.Q(is_current=True),
                         name="advisory_current_by_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_id} rev {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and set(kwargs.get("update_fields") or ()) != {"is_current"}:
            raise ImmutableError("advisory revisions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("advisory revisions are append-only")

    def csaf_document(self) -> dict[str, Any]:
        return dict(json.loads(self.csaf))


class AdvisoryEvent(AppendOnly):
    """The advisory audit trail. Tags read ``advisory:<subject>:<action>``. Append-only."""

    records_name = "advisory events"

    id = models.BigAutoField(primary_key=True)
    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="events")
    tag = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.tag} {self.advisory_id}"

