"""What the audit trail's events are called on the console (the trail keeps its stable tags; people read these).

A state change is named by its transition in the flow (flows.py, the one source of those labels); every other
event by the table below. An unknown tag is shown as it is, never hidden.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from earlywarn.cases.flows import FLOWS, FlowDefinition, definition

EVENT_LABELS: dict[str, Promise] = {
    "case:report:received": _("Report received"),
    "case:flow:reclassified": _("Moved to the other flow"),
    "case:message:posted": _("Message posted"),
    "case:finder:identity": _("Finder's identity viewed"),
    "case:history:imported": _("Imported from the history"),
    "case:history:coordination_completed": _("Coordination completed (history)"),
    "case:mail:dead": _("Mail could not be delivered"),
    "case:mail:key_unusable": _("Mail key unusable: sent without details"),
    "case:developer:notified": _("Developer notified"),
    "case:developer:invited": _("Developer invited to an account"),
    "case:developer:joined": _("Developer joined"),
    "case:developer:acknowledged": _("Developer confirmed receipt"),
    "case:developer:reminded": _("Developer reminded"),
    "case:developer:contact_attempted": _("Contact attempt recorded"),
    "case:developer:product_stated": _("Developer stated a product's status"),
    "case:developer:disputed": _("Developer disputed the vulnerability"),
    "case:individual:requested": _("Individual handling requested"),
    "case:individual:refused": _("Individual handling refused"),
    "case:eol:assessed": _("End of life assessed"),
    "case:schedule:proposed": _("Publication date proposed"),
    "case:schedule:developer_agreed": _("A developer agreed to the date"),
    "case:schedule:agreed": _("Publication date agreed"),
    "case:schedule:published": _("Published"),
    "case:priority:selected": _("Priority information recipients chosen"),
    "case:priority:provided": _("Priority information provided"),
    "case:priority:read": _("Priority information read"),
    "case:committee:selected": _("Committee members selected"),
    "case:committee:meeting_scheduled": _("Committee meeting scheduled"),
    "case:committee:voted": _("Committee member voted"),
    "case:committee:seat_vacated": _("Committee seat vacated (conflict of interest or left the pool)"),
    "case:committee:decided": _("Committee decided"),
    "case:committee:returned": _("Returned from the committee"),
    "case:committee:published": _("Published after the committee"),
    "case:contact:discovered": _("Contacts looked up (security.txt)"),
    "case:contact:recorded": _("Operator contact recorded"),
    "case:contact:key_inspected": _("OpenPGP key inspected"),
    "case:contact:key_pinned": _("OpenPGP key pinned"),
    "case:contact:key_unpinned": _("OpenPGP key unpinned"),
    "case:link:reissued": _("Operator link reissued"),
    "case:operator:acknowledged": _("Operator confirmed receipt"),
    "case:operator:reminded": _("Operator reminded"),
    "case:operator:fix_reported": _("Operator reported a fix"),
    "case:builder:added": _("Website builder added"),
    "case:website:fix_checked": _("Fix checked: not fixed yet"),
}


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


def _flow(flow: str) -> FlowDefinition | None:
    try:
        return definition(flow)
    except ValueError:  # not a flow code (an imported or hand-written event)
        return None


def event_label(tag: str, flow: str) -> str:
    """The event ``tag`` of a case in ``flow`` as people read it, in the current language."""
    if tag.startswith("case:state:"):
        action = tag.removeprefix("case:state:")
        own = _flow(flow)
        for candidate in ([own] if own else []) + list(FLOWS.values()):
            transition = candidate.transition(action)
            if transition is not None:
                return transition.en if _english() else transition.ja
    label = EVENT_LABELS.get(tag)
    return str(label) if label is not None else tag


def state_label(flow: str, state: str) -> str:
    """A state's name (``content_check`` -> 内容確認中); "" for none, the code itself if unknown."""
    if not state:
        return ""
    own = _flow(flow)
    if own is None or state not in own.states:
        return state
    declared = own.state(state)
    return declared.en if _english() else declared.ja
