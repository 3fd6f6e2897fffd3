"""Read queries of the statistics pages."""

from __future__ import annotations

from django.db.models import Count, Max

from earlywarn.cases.models import CaseEvent
from earlywarn.intake.models import Report


def stats_data_version() -> str:
    """Changes whenever a report arrives or a case moves (an event is written): the key of cached statistics.

    Aggregates only: the number of reports and events and the time of the latest event; two cheap queries.
    """
    events = CaseEvent.objects.aggregate(count=Count("id"), last=Max("created_at"))
    last = events["last"].isoformat() if events["last"] else "-"
    return f"{Report.objects.count()}.{events['count']}.{last}"
