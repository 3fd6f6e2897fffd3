"""Importing historical reports (``earlywarn import-history FILE``) so that they count with live data.

The format is documented in ``docs/import-format.md``. Every line is validated first; only when the whole file
is valid is anything written, in one transaction (all or nothing). Each record becomes an ordinary report and
case, with an audit trail dated by the historical dates, so the statistics read the right state at any
past cut-off. A tracking id already present with the very same line is skipped, so re-importing a file
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from earlywarn.cases.flows import Flow, definition
from earlywarn.cases.models import Case, CaseEvent, PriorityProvision
from earlywarn.intake.models import Report, ReportOrigin
from earlywarn.stats.calendar import PARTNERSHIP_START

BATCH_SIZE = 2000
LOOKUP_CHUNK = 500
IMPORT_TAG = "case:history:imported"
ACTOR_LABEL = "history import"
MAX_TRACKING_ID = 32
MAX_CATEGORY = 64
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRACKING_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")

PRODUCT_STATUSES = ("in_handling", "published", "individual_handling", "not_vulnerability", "not_accepted")
WEBSITE_STATUSES = ("in_handling", "fixed", "alert_closed", "not_vulnerability", "unable", "not_accepted")
FIX_KINDS = {"fixed": ("close_fixed", "fixed"), "page_deleted": ("close_page_deleted", "fixed_page_deleted"),
             "workaround": ("close_workaround", "fixed_workaround")}
UNABLE_REASONS = ("no_response", "operator_declined", "no_contact")
ORIGINS = (ReportOrigin.FINDER.value, ReportOrigin.DEVELOPER_SELF.value)

REQUIRED = ("tracking_id", "kind", "received_on", "status")
COMMON = ("accepted_on", "closed_on", "origin", "vulnerability_type")
PRODUCT_ONLY = ("published_on", "coordination_impossible", "unreachable", "product_type", "cause",
                "priority_provisions")
WEBSITE_ONLY = ("notified_on", "fix_kind", "unable_reason", "threat", "operator_type")
KNOWN = frozenset(REQUIRED + COMMON + PRODUCT_ONLY + WEBSITE_ONLY)
UNREACHABLE_KEYS = frozenset({"listed_on", "resumed_on", "completed_on"})
PROVISION_KEYS = frozenset({"sector", "provided_on"})
CATEGORY_FIELDS = ("product_type", "cause", "vulnerability_type", "threat", "operator_type")
# Default 不受理 reason: the one the source documents give (§3.4 「告示で定める届出の対象に該当しないもの」).
DEFAULT_REJECTION_REASON = "out_of_scope"


class HistoryImportError(Exception):
    """A refused file. ``line`` is the 1-based line number, or None for a problem with the file as a whole."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line is not None else self.reason


@dataclass(frozen=True)
class ImportSummary:
    lines: int
    imported: int
    skipped: int  # already present with identical content
    events: int


@dataclass(frozen=True)
class Step:
    action: str  # the flow's transition, or "" for an event that sets no state
    on: date
    tag: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    """One validated line, ready to be written."""

    line: int
    raw: dict[str, Any]
    tracking_id: str
    flow: Flow
    received_on: date
    steps: list[Step]
    dates: dict[str, date | None]
    provisions: list[tuple[str, date]]


# --- reading ---------------------------------------------------------------------------------------------------

def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _read_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HistoryImportError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark, as some editors write
    if not data.strip():
        raise HistoryImportError(f"{path} is empty: expected one JSON object per line")
    chunks = data.split(b"\n")
    if chunks[-1] == b"":
        chunks.pop()  # the newline that ends the last line
    objects = []
    for number, chunk in enumerate(chunks, start=1):
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HistoryImportError(f"not valid UTF-8 (byte {exc.start + 1} of the line)", number) from exc
        if not text.strip():
            raise HistoryImportError("empty line: every line must be one JSON object", number)
        try:
            value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise HistoryImportError(f"malformed JSON: {exc.msg} at column {exc.colno}", number) from exc
        except ValueError as exc:
            raise HistoryImportError(f"malformed JSON: {exc}", number) from exc
        if not isinstance(value, dict):
            raise HistoryImportError(f"expected a JSON object, found {_type_name(value)}", number)
        objects.append((number, value))
    return objects


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


# --- validating one line -----------------------------------------------------------------------------------------

class _Line:
    """Typed access to one line's fields; every problem raises HistoryImportError with the line number."""

    def __init__(self, number: int, raw: dict[str, Any], today: date) -> None:
        self.number, self.raw, self.today = number, raw, today

    def fail(self, reason: str) -> HistoryImportError:
        return HistoryImportError(reason, self.number)

    def text(self, name: str, value: Any, *, choices: Iterable[str] | None = None, max_length: int = 0) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{name} must be a string, not {_type_name(value)}")
        if not value.strip():
            raise self.fail(f"{name} must not be empty")
        if choices is not None and value not in (allowed := tuple(choices)):
            raise self.fail(f"{name} {value!r} is not one of {', '.join(allowed)}")
        if max_length and len(value) > max_length:
            raise self.fail(f"{name} is longer than {max_length} characters")
        return value

    def day(self, name: str, value: Any, *, required: bool = False) -> date | None:
        if value is None:
            if required:
                raise self.fail(f"{name} is required")
            return None
        if not isinstance(value, str) or not DATE_RE.match(value):
            raise self.fail(f"{name} must be a date written YYYY-MM-DD, not {json.dumps(value, ensure_ascii=False)}")
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"{name} {value!r} is not a real date") from exc
        if day > self.today:
            raise self.fail(f"{name} {value} is in the future")
        return day

    def get_date(self, name: str, *, required: bool = False) -> date | None:
        return self.day(name, self.raw.get(name), required=required)

    def forbid(self, names: Iterable[str], why: str) -> None:
        for name in names:
            if self.raw.get(name) is not None:
                raise self.fail(f"{name} is not allowed {why}")

    def order(self, earlier: str, first: date | None, later: str, second: date | None) -> None:
        if first is not None and second is not None and second < first:
            raise self.fail(f"{later} {second} is before {earlier} {first}")


def _validate(number: int, raw: dict[str, Any], today: date) -> Record:
    line = _Line(number, raw, today)
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        raise line.fail(f"unknown field {unknown[0]!r}" if len(unknown) == 1
                        else f"unknown fields {', '.join(repr(u) for u in unknown)}")
    for name in REQUIRED:
        if raw.get(name) is None:
            raise line.fail(f"{name} is required")
    tracking_id = line.text("tracking_id", raw["tracking_id"], max_length=MAX_TRACKING_ID)
    if not TRACKING_RE.match(tracking_id):
        raise line.fail("tracking_id may hold only letters, digits and . _ : / - (no spaces)")
    flow = Flow(line.text("kind", raw["kind"], choices=[f.value for f in Flow]))
    statuses = PRODUCT_STATUSES if flow is Flow.PRODUCT else WEBSITE_STATUSES
    status = line.text("status", raw["status"], choices=statuses)
    received_on = line.get_date("received_on", required=True)
    assert received_on is not None
    if received_on < PARTNERSHIP_START:
        raise line.fail(f"received_on {received_on} is before the Partnership began ({PARTNERSHIP_START})")
    line.forbid(WEBSITE_ONLY if flow is Flow.PRODUCT else PRODUCT_ONLY, f"for a {flow.value} report")
    origin = raw.get("origin")
    if origin is not None:
        line.text("origin", origin, choices=ORIGINS)
        if origin == ReportOrigin.DEVELOPER_SELF and flow is Flow.WEBSITE:
            raise line.fail("origin developer_self is only for product reports")
    for name in CATEGORY_FIELDS:
        if raw.get(name) is not None:
            line.text(name, raw[name], max_length=MAX_CATEGORY)
    accepted_on = line.get_date("accepted_on")
    closed_on = line.get_date("closed_on")
    line.order("received_on", received_on, "accepted_on", accepted_on)
    line.order("received_on", received_on, "closed_on", closed_on)
    line.order("accepted_on", accepted_on, "closed_on", closed_on)
    if status == "not_accepted":
        line.forbid(("accepted_on",), "for a report that was not accepted")
        if closed_on is None:
            raise line.fail("closed_on (the day of the 不受理 judgment) is required for status not_accepted")
    elif status == "in_handling":
        line.forbid(("closed_on",), "for a report still in handling")
    elif accepted_on is None:
        raise line.fail(f"accepted_on is required for status {status}")
    build = _product if flow is Flow.PRODUCT else _website
    steps, dates, provisions = build(line, status, accepted_on, closed_on)
    dates = {"received_on": received_on, "accepted_on": accepted_on, **dates}
    initial = [Step("", received_on, tag=IMPORT_TAG)]
    if status == "not_accepted":
        initial.append(Step("reject", closed_on or received_on, data={"reason_code": DEFAULT_REJECTION_REASON}))
    elif accepted_on is not None:
        initial.append(Step("accept", accepted_on))
    return Record(line=number, raw=raw, tracking_id=tracking_id, flow=flow, received_on=received_on,
                  steps=initial + steps, dates=dates, provisions=provisions)


def _product(line: _Line, status: str, accepted_on: date | None,
             closed_on: date | None) -> tuple[list[Step], dict[str, date | None], list[tuple[str, date]]]:
    raw = line.raw
    published_on = line.get_date("published_on")
    impossible = raw.get("coordination_impossible")
    if impossible is not None and not isinstance(impossible, bool):
        raise line.fail(f"coordination_impossible must be true or false, not {_type_name(impossible)}")
    if status == "published":
        if published_on is None:
            raise line.fail("published_on is required for status published")
        line.order("accepted_on", accepted_on, "published_on", published_on)
        if closed_on is not None and closed_on != published_on:
            raise line.fail(f"closed_on {closed_on} differs from published_on {published_on} (leave it null)")
        closed_on = published_on
    else:
        line.forbid(("published_on",), f"for status {status}")
        if impossible:
            raise line.fail("coordination_impossible may be true only for status published")
    if status in {"individual_handling", "not_vulnerability"} and closed_on is None:
        raise line.fail(f"closed_on is required for status {status}")
    steps: list[Step] = []
    state = "received"
    if accepted_on is not None:
        steps.append(Step("start_coordination", accepted_on))
        state = "coordinating"
    unreachable = raw.get("unreachable")
    listed_on = resumed_on = completed_on = None
    if unreachable is not None:
        if not isinstance(unreachable, dict):
            raise line.fail(f"unreachable must be an object or null, not {_type_name(unreachable)}")
        extra = sorted(set(unreachable) - UNREACHABLE_KEYS)
        if extra:
            raise line.fail(f"unknown field {extra[0]!r} in unreachable")
        if accepted_on is None:
            raise line.fail("unreachable needs accepted_on: only an accepted report is listed")
        listed_on = line.day("unreachable.listed_on", unreachable.get("listed_on"), required=True)
        resumed_on = line.day("unreachable.resumed_on", unreachable.get("resumed_on"))
        completed_on = line.day("unreachable.completed_on", unreachable.get("completed_on"))
        line.order("accepted_on", accepted_on, "unreachable.listed_on", listed_on)
        line.order("unreachable.listed_on", listed_on, "unreachable.resumed_on", resumed_on)
        line.order("unreachable.resumed_on", resumed_on, "unreachable.completed_on", completed_on)
        if completed_on is not None and resumed_on is None:
            raise line.fail("unreachable.completed_on needs unreachable.resumed_on")
        for name, day in (("unreachable.listed_on", listed_on), ("unreachable.resumed_on", resumed_on),
                          ("unreachable.completed_on", completed_on)):
            line.order(name, day, "published_on" if status == "published" else "closed_on", closed_on)
        assert listed_on is not None
        steps.append(Step("list_unreachable", listed_on))
        state = "unreachable_listed"
        if resumed_on is not None:
            steps.append(Step("resume_coordination", resumed_on))
            state = "coordinating"
        if completed_on is not None:
            steps.append(Step("", completed_on, tag="case:history:coordination_completed"))
    listed_now = state == "unreachable_listed"
    if listed_now and status not in {"in_handling", "published"}:
        raise line.fail(f"status {status} needs unreachable.resumed_on: the developer is still listed as "
                        "unreachable")
    if listed_now and status == "published" and not impossible:
        raise line.fail("a case published while its developer is listed as unreachable must have "
                        "coordination_impossible true (or unreachable.resumed_on)")
    closing = {"individual_handling": ["close_individual"], "not_vulnerability": ["close_not_vulnerability"],
               "published": ["refer_to_committee", "committee_publish"] if impossible else ["publish"]}
    if closed_on is not None:
        steps += [Step(action, closed_on) for action in closing.get(status, [])]
    provisions = _provisions(line, accepted_on, published_on if status == "published" else None)
    return steps, {"closed_on": closed_on, "published_on": published_on if status == "published" else None,
                          "notified_on": None}, provisions


def _provisions(line: _Line, accepted_on: date | None, published_on: date | None) -> list[tuple[str, date]]:
    value = line.raw.get("priority_provisions")
    if value is None:
        return []
    if not isinstance(value, list):
        raise line.fail(f"priority_provisions must be an array, not {_type_name(value)}")
    if value and accepted_on is None:
        raise line.fail("priority_provisions need accepted_on: only an accepted report is provided")
    result = []
    for index, item in enumerate(value, start=1):
        where = f"priority_provisions[{index}]"
        if not isinstance(item, dict):
            raise line.fail(f"{where} must be an object, not {_type_name(item)}")
        extra = sorted(set(item) - PROVISION_KEYS)
        if extra:
            raise line.fail(f"unknown field {extra[0]!r} in {where}")
        sector = line.text(f"{where}.sector", item.get("sector"), max_length=MAX_CATEGORY)
        provided_on = line.day(f"{where}.provided_on", item.get("provided_on"), required=True)
        assert provided_on is not None
        line.order("accepted_on", accepted_on, f"{where}.provided_on", provided_on)
        line.order(f"{where}.provided_on", provided_on, "published_on", published_on)
        result.append((sector, provided_on))
    return result


def _website(line: _Line, status: str, accepted_on: date | None,
             closed_on: date | None) -> tuple[list[Step], dict[str, date | None], list[tuple[str, date]]]:
    raw = line.raw
    notified_on = line.get_date("notified_on")
    if notified_on is not None and accepted_on is None:
        raise line.fail("notified_on needs accepted_on: only an accepted report is notified")
    line.order("accepted_on", accepted_on, "notified_on", notified_on)
    line.order("notified_on", notified_on, "closed_on", closed_on)
    if status != "fixed":
        line.forbid(("fix_kind",), f"for status {status}")
    if status != "unable":
        line.forbid(("unable_reason",), f"for status {status}")
    if status not in {"in_handling", "not_accepted"} and closed_on is None:
        raise line.fail(f"closed_on is required for status {status}")
    steps: list[Step] = []
    state = "received" if accepted_on is None else "content_check"
    if notified_on is not None:
        steps.append(Step("notify_operator", notified_on))
        state = "operator_notified"
    action = ""
    if status == "fixed":
        fix_kind = "fixed"  # documented default when the kind of fix is not known
        if raw.get("fix_kind") is not None:
            fix_kind = line.text("fix_kind", raw["fix_kind"], choices=FIX_KINDS)
        action = FIX_KINDS[fix_kind][0]
    elif status == "unable":
        reason = (line.text("unable_reason", raw["unable_reason"], choices=UNABLE_REASONS)
                  if raw.get("unable_reason") is not None else "no_response")
        action = f"close_unable_{reason}"
    elif status == "alert_closed":
        action = "close_alert"
    elif status == "not_vulnerability":
        action = "close_not_vulnerability"
    if action:
        transition = definition(Flow.WEBSITE).transition(action)
        assert transition is not None
        if state not in transition.sources:
            raise line.fail(f"notified_on is required for status {status}"
                            + (f" with unable_reason {action.removeprefix('close_unable_')}"
                               if status == "unable" else ""))
        if closed_on is not None:
            steps.append(Step(action, closed_on))
    return steps, {"closed_on": closed_on, "published_on": None, "notified_on": notified_on}, []


# --- writing -----------------------------------------------------------------------------------------------------
# Rows go in with executemany, values adapted by the database backend's own adapters: the ORM's bulk_create
# spends most of its time per field per object, which made 100,000 lines take about 90 s instead of a few.


class _Writer:
    """Adapts values for the current connection and inserts whole batches of rows into one model's table."""

    def __init__(self) -> None:
        self.ops = connection.ops
        self.native_uuid = connection.features.has_native_uuid_field
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self._datetimes: dict[date, Any] = {}
        self._dates: dict[date, Any] = {}

    def uuid(self, value: uuid.UUID) -> Any:
        return value if self.native_uuid else value.hex

    def at(self, day: date | None) -> Any:
        """Midnight of ``day`` in the platform's time zone, adapted (None stays None)."""
        if day is None:
            return None
        if day not in self._datetimes:
            self._datetimes[day] = self.ops.adapt_datetimefield_value(
                datetime(day.year, day.month, day.day, tzinfo=self.zone))
        return self._datetimes[day]

    def day(self, day: date) -> Any:
        if day not in self._dates:
            self._dates[day] = self.ops.adapt_datefield_value(day)
        return self._dates[day]

    def json(self, value: Any) -> Any:
        return self.ops.adapt_json_value(value, None)

    def insert(self, model: type[Model], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin))]
        names = [f.attname for f in fields]
        if set(rows[0]) != set(names):  # the model changed: every column must be given explicitly
            raise RuntimeError(f"history import does not fill {model.__name__} columns "
                               f"{sorted(set(names) ^ set(rows[0]))}")
        table = self.ops.quote_name(model._meta.db_table)
        columns = ", ".join(self.ops.quote_name(f.column or f.attname) for f in fields)
        # Names come from the model's metadata, quoted by the backend; values are bound parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608  # nosec B608
        with connection.cursor() as cursor:
            cursor.executemany(sql, [tuple(row[name] for name in names) for row in rows])


def _rows(record: Record, w: _Writer) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]],
                                                list[dict[str, Any]]]:
    """The report, case, event and priority-provision rows of one record."""
    raw, flow_def, at, flow = record.raw, definition(record.flow), record.dates, record.flow.value
    report_id, case_id = uuid.uuid4(), uuid.uuid4()
    received_at = w.at(record.received_on)
    report = {
        "id": w.uuid(report_id), "tracking_id": record.tracking_id, "kind": flow,
        "origin": raw.get("origin") or ReportOrigin.FINDER.value, "received_at": received_at, "language": "ja",
        "submission": w.json(raw), "finder_name": "", "finder_email": "", "finder_organisation": "",
        "finder_identity_provided": False, "finder_contactable": False, "consent_share_identity": False,
        "submitted_by_id": None, "status_token_hash": hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        "idempotency_key": None, "request_fingerprint": "",
    }
    state = flow_def.initial
    events: list[dict[str, Any]] = []
    transitions = 0
    latest: tuple[date, int] | None = None  # the last state-setting event in the trail's order (time, then id)
    for index, step in enumerate(record.steps):
        event = {"case_id": w.uuid(case_id), "tag": step.tag, "actor_id": None, "actor_label": ACTOR_LABEL,
                 "from_flow": "", "to_flow": "", "from_state": "", "to_state": "", "reason": "",
                 "data": w.json(step.data), "created_at": w.at(step.on)}
        if step.tag == IMPORT_TAG:
            event.update(to_flow=flow, to_state=state, data=w.json({"tracking_id": record.tracking_id}))
            latest = max(latest or (step.on, index), (step.on, index))
        elif step.action:
            transition = flow_def.transition(step.action)
            if transition is None or state not in transition.sources:  # a validation gap, never bad input
                raise HistoryImportError(f"internal error: {step.action} is not possible from {state}", record.line)
            event.update(tag=f"case:state:{step.action}", from_flow=flow, to_flow=flow, from_state=state,
                         to_state=transition.target)
            state = transition.target
            transitions += 1
            latest = max(latest or (step.on, index), (step.on, index))
        events.append(event)
    terminal = flow_def.state(state).terminal
    closed = w.at(at["closed_on"]) if terminal else None
    accepted = w.at(at["accepted_on"])
    case = {
        "id": w.uuid(case_id), "report_id": report["id"], "flow": flow, "state": state,
        "state_changed_at": _state_changed_at(record, latest, w),
        "title": f"Historical report {record.tracking_id}", "received_on": w.day(record.received_on),
        "accepted_at": accepted, "judged_at": accepted or (closed if state == "not_accepted" else None),
        "closed_at": closed, "notified_at": w.at(at["notified_on"]), "published_at": w.at(at["published_on"]),
        "rejection_reason": DEFAULT_REJECTION_REASON if state == "not_accepted" else "",
        "embargoed": at["published_on"] is None, "created_at": received_at,
        "updated_at": w.at(max(step.on for step in record.steps)), "version": transitions,
        **{name: raw.get(name) or "" for name in CATEGORY_FIELDS},
    }
    provisions = [{"case_id": case["id"], "sector": sector, "provided_on": w.day(day)}
                  for sector, day in record.provisions]
    return report, case, events, provisions


def _state_changed_at(record: Record, latest: tuple[date, int] | None, w: _Writer) -> Any:
    """The date of the trail's last state-setting event (``Case.state_changed_at``): the very value of its
    ``created_at``. None (the statistics then read the trail) if that event is not the last state-setting step,
    i.e. if it did not set the case's final state — the validation keeps the steps in date order, so never."""
    if latest is None:
        return None
    last_setting = max(i for i, step in enumerate(record.steps) if step.tag == IMPORT_TAG or step.action)
    return w.at(latest[0]) if latest[1] == last_setting else None


def _existing(tracking_ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(tracking_ids), LOOKUP_CHUNK):
        chunk = tracking_ids[start:start + LOOKUP_CHUNK]
        found.update(Report.objects.filter(tracking_id__in=chunk).values_list("tracking_id", "submission"))
    return found


class _Progress:
    """One line about every 5% of ``total``."""

    def __init__(self, say: Callable[[str], None], phase: str, total: int) -> None:
        self.say, self.phase, self.total = say, phase, total
        self.step = max(1, total // 20)
        self.next = self.step

    def __call__(self, done: int) -> None:
        if done >= self.next or done == self.total:
            self.say(f"{self.phase}: {done:,}/{self.total:,} ({100 * done // max(1, self.total)}%)")
            self.next = done + self.step


def history_import(path: str | Path, *, progress: Callable[[str], None] | None = None) -> ImportSummary:
    """Validate every line of ``path``, then write all new records in one transaction (or nothing)."""
    say = progress or (lambda _line: None)
    lines = _read_lines(Path(path))
    today = timezone.localdate()
    records: list[Record] = []
    seen: dict[str, int] = {}
    tick = _Progress(say, "validating", len(lines))
    for done, (number, raw) in enumerate(lines, start=1):
        record = _validate(number, raw, today)
        if record.tracking_id in seen:
            raise HistoryImportError(
                f"tracking_id {record.tracking_id!r} appears twice (first on line {seen[record.tracking_id]})", number)
        seen[record.tracking_id] = number
        records.append(record)
        tick(done)
    existing = _existing(list(seen))
    new: list[Record] = []
    for record in records:
        if record.tracking_id not in existing:
            new.append(record)
        elif existing[record.tracking_id] != record.raw:
            raise HistoryImportError(
                f"tracking_id {record.tracking_id!r} is already present with different content", record.line)
    writer = _Writer()
    event_count = 0
    tick = _Progress(say, "writing", len(new))
    with transaction.atomic():
        for start in range(0, len(new), BATCH_SIZE):
            built = [_rows(record, writer) for record in new[start:start + BATCH_SIZE]]
            writer.insert(Report, [b[0] for b in built])
            writer.insert(Case, [b[1] for b in built])
            events = [event for b in built for event in b[2]]
            writer.insert(CaseEvent, events)
            writer.insert(PriorityProvision, [p for b in built for p in b[3]])
            event_count += len(events)
            tick(start + len(built))
    return ImportSummary(lines=len(lines), imported=len(new), skipped=len(records) - len(new), events=event_count)
