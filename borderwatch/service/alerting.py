"""Alerting: border events become alerts by the configured rules, deduplicated per track and type;
alerts move through their lifecycle; unacknowledged P1s escalate.

Functions over a Session; the caller commits and holds the audit lock. May import
borderwatch.alerts, borderwatch.fusion.types (events), borderwatch.store, borderwatch.service.audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from borderwatch.alerts import AlertRules, EventFacts, LifecycleError, check_transition
from borderwatch.alerts.rules import PRIORITIES, Priority
from borderwatch.fusion.types import BorderEvent
from borderwatch.service import audit
from borderwatch.store.bulk import insert_rows
from borderwatch.store.models import AlertRow, AlertTransitionRow, EventRow, PatrolRow

ALERT_FIELDS = (
    "id", "type", "priority", "rule", "state", "track_ids", "event_ids", "object_class", "direction",
    "group_size", "sector", "km", "lat", "lon", "first_time", "last_time", "updates", "created_at",
    "state_since", "seconds_in_state", "patrol_id", "outcome", "note", "escalation_level", "escalated_at",
)  # fmt: skip


class NotFoundError(LookupError):
    """A record that does not exist; the message names it."""


class ConflictError(ValueError):
    """A request that contradicts the current state (patrol not available, ...)."""


def snapshot(alert: AlertRow) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in ALERT_FIELDS}


def dedup_key(event: BorderEvent) -> str:
    if event.type == "sensor_offline":
        return f"sensor_offline:{event.details.get('sensor_id', event.event_id)}"
    anchor = sorted(event.track_ids)[0] if event.track_ids else event.event_id
    return f"{event.type}:{anchor}"


@dataclass(frozen=True)
class AlertChange:
    alert: dict[str, Any]
    created: bool


def apply_events(
    session: Session,
    rules: AlertRules,
    events: Iterable[BorderEvent],
    now: float,
    opening_hours: Mapping[str, str | None] | None = None,
) -> list[AlertChange]:
    """Store events and open or update alerts for them; returns the alerts that changed, in event order.
    `opening_hours`: official crossing id -> its 'HH:MM-HH:MM' (None: 24 h), for the rules."""
    events = list(events)
    # One query each for what is already known, instead of one per event: a busy minute brings
    # thousands of events, and the per-event round trips were most of fusion's time.
    known = set(session.scalars(select(EventRow.event_id).where(EventRow.event_id.in_([e.event_id for e in events]))))
    keys = {dedup_key(e) for e in events}
    open_alerts = {
        a.dedup_key: a
        for a in session.scalars(select(AlertRow).where(AlertRow.dedup_key.in_(keys), AlertRow.state != "resolved"))
    }
    plan: list[tuple[BorderEvent, EventFacts, tuple[Priority, str] | None, dict[str, Any] | None]] = []
    opened: dict[str, dict[str, Any]] = {}  # dedup key -> the alert opened in this call (its columns)
    for event in events:
        if event.event_id in known:
            continue  # the same event twice (replayed output) is stored and alerted once
        known.add(event.event_id)
        facts = event_facts(event, opening_hours)
        verdict = rules.evaluate(facts)
        key = dedup_key(event)
        new_alert = None
        if verdict is not None and key not in open_alerts and key not in opened:
            new_alert = opened[key] = _new_alert(event, facts, verdict, now)
        plan.append((event, facts, verdict, new_alert))
    # New alerts, events, transitions and audit entries go in as one multi-row INSERT each, not as ORM
    # objects: in a burst (hundreds of tracks confirmed at once) the unit of work cost ~0.8 ms an alert,
    # and every alert of the burst waited for it. One INSERT ... RETURNING gives the new alerts their ids.
    if opened:
        _insert_alerts(session, list(opened.values()))
    changes: list[AlertChange] = []
    event_rows: list[dict[str, Any]] = []
    transitions: list[dict[str, Any]] = []
    entries: list[audit.Entry] = []
    for event, facts, verdict, new_alert in plan:
        event_row = _event_row(event)
        event_rows.append(event_row)
        if verdict is None:
            continue
        if new_alert is not None:
            after = {name: new_alert.get(name) for name in ALERT_FIELDS}
            transitions.append({"alert_id": new_alert["id"], "from_state": None, "to_state": "new", "at": now,
                                "actor": "system"})  # fmt: skip
            entries.append(audit.Entry(now, "system", "alert.create", "alert", str(new_alert["id"]), after=after))
            changes.append(AlertChange(after, True))
            event_row["alert_id"] = new_alert["id"]
            continue
        key = dedup_key(event)
        alert = open_alerts.get(key)
        if alert is None:  # opened earlier in this call: its row is in the store now
            alert = open_alerts[key] = _loaded(session, opened[key]["id"])
        before = snapshot(alert)
        _update(alert, event, facts, verdict)
        after = snapshot(alert)
        entries.append(audit.Entry(now, "system", "alert.update", "alert", str(alert.id), before, after))
        changes.append(AlertChange(after, False))
        event_row["alert_id"] = alert.id
    # Driver-level inserts of the tables: the ORM's bulk path checks every row's keys against the mapper, and
    # Core's executemany processes each row in Python (and PostgreSQL runs a statement per row).
    if event_rows:
        insert_rows(session.connection(), _table(EventRow), event_rows)
    if transitions:
        insert_rows(session.connection(), _table(AlertTransitionRow), transitions)
    audit.append_many(session, entries)
    return changes


def _insert_alerts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new alerts' rows in one statement and set each row's "id". PostgreSQL: the ids are
    drawn from the table's sequence first and the rows go in as a plain multi-row INSERT —
    SQLAlchemy's INSERT ... RETURNING in parameter order cost ~110 µs of client CPU per alert there,
    most of a burst's storing time; SQLite's RETURNING is cheap."""
    table = _table(AlertRow)
    if session.get_bind().dialect.name == "postgresql":
        drawn = session.scalars(_DRAW_ALERT_IDS, {"n": len(rows)}).all()
        for row, alert_id in zip(rows, sorted(drawn), strict=True):
            row["id"] = alert_id
        insert_rows(session.connection(), table, rows)
        return
    ids = session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).all()
    for row, alert_id in zip(rows, ids, strict=True):
        row["id"] = alert_id


_DRAW_ALERT_IDS = text("SELECT nextval(pg_get_serial_sequence('alerts', 'id')) FROM generate_series(1, :n)")


def event_facts(event: BorderEvent, opening_hours: Mapping[str, str | None] | None = None) -> EventFacts:
    """What the alert rules look at in an event."""
    crossing = event.details.get("official_crossing")
    return EventFacts(
        type=event.type, time=event.time, object_class=event.object_class, direction=event.direction,
        sector=event.sector, group_size=max(1, len(event.track_ids), int(event.details.get("group_size", 1))),
        at_official_crossing=crossing is not None,
        opening_hours=(opening_hours or {}).get(crossing) if crossing is not None else None,
    )  # fmt: skip


def _new_alert(event: BorderEvent, facts: EventFacts, verdict: tuple[Priority, str], now: float) -> dict[str, Any]:
    """The columns of the alert an event opens (no id yet)."""
    priority, rule = verdict
    return {
        "type": event.type, "priority": priority, "rule": rule, "state": "new", "dedup_key": dedup_key(event),
        "track_ids": sorted(event.track_ids), "event_ids": [event.event_id], "object_class": event.object_class,
        "direction": event.direction, "group_size": facts.group_size, "sector": event.sector, "km": event.km,
        "lat": event.lat, "lon": event.lon, "first_time": event.time, "last_time": event.time, "updates": 1,
        "created_at": now, "state_since": now, "seconds_in_state": {}, "escalation_level": 0,
    }  # fmt: skip


def _event_row(event: BorderEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id, "type": event.type, "time": event.time, "lat": event.lat, "lon": event.lon,
        "track_ids": list(event.track_ids), "object_class": event.object_class, "class_prob": event.class_prob,
        "sector": event.sector, "km": event.km, "direction": event.direction, "details": dict(event.details),
        "alert_id": None,
    }  # fmt: skip


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _loaded(session: Session, alert_id: int) -> AlertRow:
    alert = session.get(AlertRow, alert_id)
    if alert is None:  # inserted in this very transaction: cannot happen short of a broken store
        raise RuntimeError(f"alert {alert_id} vanished within its own transaction")
    return alert


def _update(alert: AlertRow, event: BorderEvent, facts: EventFacts, verdict: tuple[Priority, str]) -> None:
    """A further event on an open alert: its track goes on (dedup: one open alert per track and type)."""
    priority, rule = verdict
    alert.updates += 1
    alert.last_time = max(alert.last_time, event.time)
    alert.event_ids = [*alert.event_ids, event.event_id][-50:]
    alert.track_ids = sorted(set(alert.track_ids) | set(event.track_ids))
    alert.group_size = max(alert.group_size, facts.group_size)
    if event.lat is not None:
        alert.lat, alert.lon, alert.km, alert.sector = event.lat, event.lon, event.km, event.sector
    if PRIORITIES.index(priority) < PRIORITIES.index(alert.priority):
        alert.priority, alert.rule = priority, rule


def transition(
    session: Session,
    alert_id: int,
    target: str,
    actor: str,
    now: float,
    *,
    outcome: str | None = None,
    note: str | None = None,
    patrol_id: str | None = None,
) -> dict[str, Any]:
    """Move an alert to `target`, recording time in state, the transition and the audit entry."""
    alert = session.get(AlertRow, alert_id, with_for_update=True)
    if alert is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    check_transition(alert_id, alert.state, target, outcome, patrol_id)
    before = snapshot(alert)
    patrol_changes: list[tuple[PatrolRow, dict[str, Any]]] = []
    if target == "dispatched":
        patrol = session.get(PatrolRow, patrol_id)
        if patrol is None:
            raise NotFoundError(f"patrol {patrol_id!r} does not exist")
        if patrol.state != "available":
            raise ConflictError(f"patrol {patrol_id!r} is {patrol.state}, not available")
        patrol_changes.append((patrol, _patrol_snapshot(patrol)))
        patrol.state, patrol.alert_id, patrol.updated_at = "dispatched", alert.id, now
    if alert.patrol_id and target in ("resolved", "acknowledged"):
        patrol = session.get(PatrolRow, alert.patrol_id)
        if patrol is not None and patrol.alert_id == alert.id:
            patrol_changes.append((patrol, _patrol_snapshot(patrol)))
            patrol.state, patrol.alert_id, patrol.updated_at = "available", None, now
    spent = max(0.0, now - alert.state_since)
    totals = dict(alert.seconds_in_state)
    totals[alert.state] = totals.get(alert.state, 0.0) + spent
    session.add(AlertTransitionRow(alert_id=alert.id, from_state=alert.state, to_state=target, at=now, actor=actor,
                                   seconds_in_previous=spent))  # fmt: skip
    alert.seconds_in_state, alert.state, alert.state_since = totals, target, now
    if target == "dispatched":
        alert.patrol_id = patrol_id
    if target == "resolved":
        alert.outcome = outcome
    if note is not None:
        alert.note = note
    after = snapshot(alert)
    audit.append(session, at=now, actor=actor, action=f"alert.{target}", entity="alert", entity_id=str(alert.id),
                 before=before, after=after)  # fmt: skip
    for patrol, patrol_before in patrol_changes:
        audit.append(session, at=now, actor=actor, action="patrol.update", entity="patrol", entity_id=patrol.id,
                     before=patrol_before, after=_patrol_snapshot(patrol))  # fmt: skip
    return after


def escalate_due(session: Session, after_s: float, now: float) -> list[dict[str, Any]]:
    """Escalate every P1 still `new` for another `after_s` seconds since its last escalation."""
    changed = []
    for alert in session.scalars(select(AlertRow).where(AlertRow.priority == "P1", AlertRow.state == "new")):
        if now - alert.created_at >= after_s * (alert.escalation_level + 1):
            before = snapshot(alert)
            alert.escalation_level += 1
            alert.escalated_at = now
            after = snapshot(alert)
            audit.append(session, at=now, actor="system", action="alert.escalate", entity="alert",
                         entity_id=str(alert.id), before=before, after=after)  # fmt: skip
            changed.append(after)
    return changed


def _patrol_snapshot(patrol: PatrolRow) -> dict[str, Any]:
    return {n: getattr(patrol, n) for n in ("id", "name", "base_id", "state", "lat", "lon", "updated_at", "alert_id")}


__all__ = ["ConflictError", "LifecycleError", "NotFoundError", "apply_events", "escalate_due", "snapshot", "transition"]
