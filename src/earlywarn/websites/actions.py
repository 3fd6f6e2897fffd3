"""The website flow's actions as one table: the console, the operator's page and
``POST /api/v1/cases/{id}/actions/{action}`` all perform them through ``action_perform``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from earlywarn.cases.action_table import ActionTable, TableAction
from earlywarn.cases.flows import WEBSITE
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor
from earlywarn.websites import closures, contacts, keys, notification, responses

OPEN = frozenset({"content_check", "operator_notified"})
NOTIFIED = frozenset({"operator_notified"})


def _fields(*names: str) -> frozenset[str]:
    return frozenset(names)


def _close(name: str) -> TableAction:
    transition = WEBSITE.transitions[name]

    def run(actor: Actor, case: Case, data: dict[str, str]) -> Case:
        return closures.website_close(actor=actor, case=case, action=name, reason=data.get("reason", ""))

    return TableAction(name, Action.CASE_HANDLE_WEBSITE, transition.sources, _fields("reason"), run, transition.en)


_TABLE = [
    TableAction("discover_contacts", Action.CASE_HANDLE_WEBSITE, OPEN, _fields(),
                lambda a, c, d: contacts.contact_discover(actor=a, case=c), gettext_lazy("Look for security.txt")),
    TableAction("record_contact", Action.CASE_HANDLE_WEBSITE, OPEN,
                _fields("email", "name", "organisation_name", "operator_type", "operator", "audience", "language",
                        "source", "encryption"),
                lambda a, c, d: contacts.contact_record(actor=a, case=c, data=d),
                gettext_lazy("Record the operator's contact")),
    TableAction("inspect_key", Action.CASE_HANDLE_WEBSITE, OPEN, _fields("contact", "key"),
                lambda a, c, d: keys.key_inspect(actor=a, case=c, contact_id=d.get("contact", ""),
                                                 key=d.get("key", "")),
                gettext_lazy("Look at the contact's OpenPGP key")),
    TableAction("pin_key", Action.CASE_HANDLE_WEBSITE, OPEN, _fields("contact", "fingerprint", "key"),
                lambda a, c, d: keys.key_pin(actor=a, case=c, contact_id=d.get("contact", ""),
                                             fingerprint=d.get("fingerprint", ""), key=d.get("key", "")),
                gettext_lazy("Pin this key")),
    TableAction("unpin_key", Action.CASE_HANDLE_WEBSITE, OPEN, _fields("contact"),
                lambda a, c, d: keys.key_unpin(actor=a, case=c, contact_id=d.get("contact", "")),
                gettext_lazy("Unpin the key")),
    TableAction("notify_operator", Action.CASE_HANDLE_WEBSITE, frozenset({"content_check"}), _fields("reason"),
                lambda a, c, d: notification.operator_notify(actor=a, case=c, reason=d.get("reason", "")),
                gettext_lazy("Notify the operator")),
    TableAction("reissue_link", Action.CASE_HANDLE_WEBSITE, NOTIFIED, _fields("contact"),
                lambda a, c, d: notification.link_reissue(actor=a, case=c, contact_id=d.get("contact", "")),
                gettext_lazy("Revoke the link and send a new one")),
    TableAction("acknowledge", Action.CASE_OPERATOR_RESPOND, NOTIFIED, _fields(),
                lambda a, c, d: responses.operator_acknowledge(actor=a, case=c),
                gettext_lazy("Confirm receipt")),
    TableAction("add_builder", Action.CASE_OPERATOR_RESPOND, NOTIFIED,
                _fields("email", "name", "organisation_name", "language"),
                lambda a, c, d: responses.builder_add(
                    actor=a, case=c, email=d.get("email", ""), name=d.get("name", ""),
                    organisation_name=d.get("organisation_name", ""), language=d.get("language", "") or "ja"),
                gettext_lazy("Add the website's builder")),
    TableAction("report_fix", Action.CASE_OPERATOR_RESPOND, NOTIFIED, _fields("kind", "description", "fixed_on"),
                lambda a, c, d: responses.fix_report(actor=a, case=c, kind=d.get("kind", ""),
                                                     description=d.get("description", ""),
                                                     fixed_on=d.get("fixed_on", "")),
                gettext_lazy("Report the fix")),
    TableAction("verify_fix", Action.CASE_HANDLE_WEBSITE, NOTIFIED, _fields("result", "note", "kind"),
                lambda a, c, d: closures.fix_verify(actor=a, case=c, result=d.get("result", ""),
                                                    note=d.get("note", ""), kind=d.get("kind", "")),
                gettext_lazy("Record the re-check")),
    *[_close(name) for name in ("close_fixed", "close_page_deleted", "close_workaround", "close_not_vulnerability",
                                "close_unable_no_response", "close_unable_operator_declined",
                                "close_unable_no_contact", "close_alert")],
]
_ACTIONS = ActionTable("website", _TABLE)
WEBSITE_ACTIONS = _ACTIONS.actions
website_actions_for = _ACTIONS.available
action_perform = _ACTIONS.perform
form_data = _ACTIONS.form_data

