"""The public alerts (注意喚起) pages: what the handler published, nothing of the cases it closed."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from earlywarn.websites.models import Alert

PAGE_SIZE = 50


def published_alerts() -> QuerySet[Alert]:
    """Alerts published up to now; only public fields are read (no publisher, no case count or cases)."""
    return Alert.objects.filter(published_at__lte=timezone.now()).only("id", "title", "body", "url", "published_at")


@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(published_alerts(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "websites/alerts.html", {"page": page})


@require_GET
def alert_detail(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = published_alerts().filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return render(request, "websites/alert.html", {"alert": alert})
