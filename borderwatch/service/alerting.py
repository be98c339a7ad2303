"""Alerting: border events become alerts by the configured rules, deduplicated per track and type;
alerts move through their lifecycle; unacknowledged P1s escalate.

Functions over a Session; the caller commits and holds the audit lock. May import
borderwatch.alerts, borderwatch.fusion.types (events), borderwatch.store, borderwatch.service.audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from borderwatch.alerts import AlertRules, EventFacts, LifecycleError, check_transition
from borderwatch.alerts.rules import PRIORITIES, Priority
from borderwatch.fusion.types import BorderEvent
from borderwatch.service import audit
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
    """Store events and open or update alerts for them; returns the alerts that changed.
    `opening_hours`: official crossing id -> its 'HH:MM-HH:MM' (None: 24 h), for the rules."""
    changes: list[AlertChange] = []
    events = list(events)
    # One query each for what is already known, instead of one per event: a busy minute brings
    # thousands of events, and the per-event round trips were most of fusion's time.
    known = set(session.scalars(select(EventRow.event_id).where(EventRow.event_id.in_([e.event_id for e in events]))))
    keys = {dedup_key(e) for e in events}
    open_alerts = {
        a.dedup_key: a
        for a in session.scalars(select(AlertRow).where(AlertRow.dedup_key.in_(keys), AlertRow.state != "resolved"))
    }
    with session.no_autoflush:
        plan: list[tuple[BorderEvent, EventFacts, tuple[Priority, str] | None]] = []
        opened: dict[str, AlertRow] = {}  # event id -> the alert it opens
        # First the alerts these events open, all at once: one flush then gives them their ids (the
        # ORM batches the INSERTs), where a flush per alert cost most of the alert transaction.
        for event in events:
            if event.event_id in known:
                continue  # the same event twice (replayed output) is stored and alerted once
            known.add(event.event_id)
            facts = event_facts(event, opening_hours)
            verdict = rules.evaluate(facts)
            plan.append((event, facts, verdict))
            key = dedup_key(event)
            if verdict is not None and key not in open_alerts:
                opened[event.event_id] = open_alerts[key] = _open(session, event, facts, verdict, now)
        if opened:
            session.flush()
        # Then, in event order, the events, the alerts' transitions and updates, and their audit entries.
        for event, facts, verdict in plan:
            change = _apply_event(session, event, facts, verdict, now, open_alerts, opened.get(event.event_id))
            if change is not None:
                changes.append(change)
    return changes


def event_facts(event: BorderEvent, opening_hours: Mapping[str, str | None] | None = None) -> EventFacts:
    """What the alert rules look at in an event."""
    crossing = event.details.get("official_crossing")
    return EventFacts(
        type=event.type, time=event.time, object_class=event.object_class, direction=event.direction,
        sector=event.sector, group_size=max(1, len(event.track_ids), int(event.details.get("group_size", 1))),
        at_official_crossing=crossing is not None,
        opening_hours=(opening_hours or {}).get(crossing) if crossing is not None else None,
    )  # fmt: skip


def _open(
    session: Session, event: BorderEvent, facts: EventFacts, verdict: tuple[Priority, str], now: float
) -> AlertRow:
    priority, rule = verdict
    alert = AlertRow(
        type=event.type, priority=priority, rule=rule, state="new", dedup_key=dedup_key(event),
        track_ids=sorted(event.track_ids), event_ids=[event.event_id], object_class=event.object_class,
        direction=event.direction, group_size=facts.group_size, sector=event.sector, km=event.km,
        lat=event.lat, lon=event.lon, first_time=event.time, last_time=event.time, updates=1,
        created_at=now, state_since=now, seconds_in_state={}, escalation_level=0,
    )  # fmt: skip
    session.add(alert)
    return alert


def _apply_event(
    session: Session, event: BorderEvent, facts: EventFacts, verdict: tuple[Priority, str] | None, now: float,
    open_alerts: dict[str, AlertRow], opened: AlertRow | None,
) -> AlertChange | None:  # fmt: skip
    row = EventRow(
        event_id=event.event_id, type=event.type, time=event.time, lat=event.lat, lon=event.lon,
        track_ids=list(event.track_ids), object_class=event.object_class, class_prob=event.class_prob,
        sector=event.sector, km=event.km, direction=event.direction, details=dict(event.details),
    )  # fmt: skip
    session.add(row)
    if verdict is None:
        return None
    priority, rule = verdict
    if opened is not None:
        alert = opened
        session.add(AlertTransitionRow(alert_id=alert.id, from_state=None, to_state="new", at=now, actor="system"))
        after = snapshot(alert)
        audit.append(session, at=now, actor="system", action="alert.create", entity="alert",
                     entity_id=str(alert.id), after=after)  # fmt: skip
        change = AlertChange(after, True)
    else:
        alert = open_alerts[dedup_key(event)]
        before = snapshot(alert)
        alert.updates += 1
        alert.last_time = max(alert.last_time, event.time)
        alert.event_ids = [*alert.event_ids, event.event_id][-50:]
        alert.track_ids = sorted(set(alert.track_ids) | set(event.track_ids))
        alert.group_size = max(alert.group_size, facts.group_size)
        if event.lat is not None:
            alert.lat, alert.lon, alert.km, alert.sector = event.lat, event.lon, event.km, event.sector
        if PRIORITIES.index(priority) < PRIORITIES.index(alert.priority):
            alert.priority, alert.rule = priority, rule
        after = snapshot(alert)
        audit.append(session, at=now, actor="system", action="alert.update", entity="alert",
                     entity_id=str(alert.id), before=before, after=after)  # fmt: skip
        change = AlertChange(after, False)
    row.alert_id = alert.id
    return change


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
