"""Template filters naming a case's events and states as people read them (cases/event_labels.py)."""

from __future__ import annotations

from django import template

from earlywarn.cases import event_labels
from earlywarn.cases.models import CaseEvent

register = template.Library()


@register.filter
def event_label(tag: str, flow: str) -> str:
    return event_labels.event_label(str(tag), str(flow))


@register.filter
def event_change(event: CaseEvent) -> str:
    """``受付 → 内容確認中``, with the flow named when it changed; "" when the event changed no state."""
    if not event.to_state:
        return ""
    before = event_labels.state_label(event.from_flow, event.from_state)
    after = event_labels.state_label(event.to_flow, event.to_state)
    if event.from_flow and event.to_flow and event.from_flow != event.to_flow:
        after = f"{after} ({event.to_flow})"
    return f"{before} → {after}" if before else after
