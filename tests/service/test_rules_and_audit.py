"""Alert rules, the lifecycle and the audit chain, on both store backends (no server)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from borderwatch.alerts import EventFacts, LifecycleError, check_transition, load_rules
from borderwatch.alerts.rules import RuleError, parse_rules
from borderwatch.fusion.types import BorderEvent
from borderwatch.service import alerting, audit
from borderwatch.store.models import AlertRow, AuditRow, EventRow
from tests.service.conftest import NIGHT, ServiceFactory

DAY = NIGHT + 12 * 3600  # 15:00 local


def facts(type: str, cls: str | None, direction: str | None, time: float = NIGHT, group: int = 1) -> EventFacts:
    return EventFacts(type=type, time=time, object_class=cls, direction=direction, sector=None, group_size=group)


def test_default_rules_prioritise_by_type_class_direction_and_time() -> None:
    rules = load_rules()
    assert rules.evaluate(facts("barrier_breach", "vehicle", "inbound"))[0] == "P1"  # type: ignore[index]
    assert rules.evaluate(facts("barrier_breach", "vehicle", "inbound", time=DAY))[0] == "P2"  # type: ignore[index]
    assert rules.evaluate(facts("loitering", "animal", None)) is None
    assert rules.evaluate(facts("border_crossing", "person", "outbound"))[0] == "P3"  # type: ignore[index]
    # a big group raises one step
    assert rules.evaluate(facts("border_crossing", "person", "outbound", group=6))[0] == "P2"  # type: ignore[index]


def test_traffic_at_an_official_crossing_is_no_alert_while_open_and_a_p3_crossing_when_shut() -> None:
    rules = load_rules()

    def local(hour: float) -> float:  # that hour of NIGHT's local day (UTC+3 in the default rules)
        midnight = NIGHT - (NIGHT + 3 * 3600) % 86400
        return midnight + hour * 3600

    def at_gate(type: str, time: float, hours: str | None = "08:00-20:00") -> EventFacts:
        return EventFacts(type=type, time=time, object_class="vehicle", direction="inbound", sector=None,
                          at_official_crossing=True, opening_hours=hours)  # fmt: skip

    assert rules.evaluate(at_gate("border_crossing", local(12))) is None
    assert rules.evaluate(at_gate("barrier_breach", local(2))) is None  # the gate in the wall
    after_hours = ("P3", "traffic through an official crossing after hours")
    assert rules.evaluate(at_gate("border_crossing", local(2))) == after_hours
    assert rules.evaluate(at_gate("border_crossing", local(19))) is None  # after dark, but still open
    assert rules.evaluate(at_gate("border_crossing", local(21))) == after_hours  # shut
    assert rules.evaluate(at_gate("border_crossing", local(2), hours=None)) is None  # open around the clock
    assert rules.evaluate(at_gate("border_crossing", local(15), hours="22:00-10:00")) == after_hours  # over midnight
    assert rules.evaluate(at_gate("border_crossing", local(2), hours="22:00-10:00")) is None
    # the same vehicle on the green border is still the most urgent alert there is
    assert rules.evaluate(facts("border_crossing", "vehicle", "inbound"))[0] == "P1"  # type: ignore[index]
    event = BorderEvent(event_id="E1", type="border_crossing", time=NIGHT, lat=34.4, lon=41.0, track_ids=("T1",),
                        object_class="vehicle", class_prob=0.9, sector="SYR-10", km=233.0, direction="inbound",
                        details={"official_crossing": "qaim"})  # fmt: skip
    seen = alerting.event_facts(event, {"qaim": "08:00-20:00"})
    assert seen.at_official_crossing and seen.opening_hours == "08:00-20:00"


def test_rules_file_errors_name_the_rule_and_field() -> None:
    with pytest.raises(RuleError, match=r"rule 'bad one' .*priority"):
        parse_rules({"rules": [{"name": "bad one", "priority": "P9"}]})
    with pytest.raises(RuleError, match="night_start"):
        parse_rules({"night_start": "25:00", "rules": []})


def test_lifecycle_refuses_skips_and_needs_an_outcome() -> None:
    check_transition(1, "new", "acknowledged")
    with pytest.raises(LifecycleError, match="cannot move from 'resolved'"):
        check_transition(1, "resolved", "acknowledged")
    with pytest.raises(LifecycleError, match="outcome"):
        check_transition(1, "acknowledged", "resolved", outcome="maybe")
    with pytest.raises(LifecycleError, match="patrol_id"):
        check_transition(1, "acknowledged", "dispatched")


def event(event_id: str, track: str, type: str = "barrier_breach", cls: str = "vehicle") -> BorderEvent:
    return BorderEvent(event_id=event_id, type=type, time=NIGHT, lat=35.0, lon=41.0, track_ids=(track,),  # type: ignore[arg-type]
                       object_class=cls, class_prob=0.9, sector=None, km=10.0, direction="inbound")  # fmt: skip


def test_events_dedup_into_one_open_alert_per_track_and_type(make_service: ServiceFactory) -> None:
    service = make_service(fusion=False)
    with service.session() as session:
        changes = alerting.apply_events(
            session, service.rules,
            [event("e1", "T1"), event("e2", "T1"), event("e3", "T2"), event("e4", "T1", "loitering", "animal"),
             event("e1", "T1")], now=100.0,
        )  # fmt: skip
    assert [c.created for c in changes] == [True, False, True]
    with service.read() as session:
        alerts = session.scalars(select(AlertRow).order_by(AlertRow.id)).all()
        assert [(a.track_ids, a.updates, a.priority) for a in alerts] == [(["T1"], 2, "P1"), (["T2"], 1, "P1")]
        assert alerts[0].event_ids == ["e1", "e2"]
        # Each event stored once, pointing at its alert (the animal's loitering raises none) ...
        linked = dict(session.execute(select(EventRow.event_id, EventRow.alert_id)).all())
        assert linked == {"e1": alerts[0].id, "e2": alerts[0].id, "e3": alerts[1].id, "e4": None}
        # ... and the audit log has one entry per alert change, in event order, on an intact chain.
        entries = session.execute(select(AuditRow.action, AuditRow.entity_id).order_by(AuditRow.seq)).all()
        first, second = str(alerts[0].id), str(alerts[1].id)
        expected = [("alert.create", first), ("alert.update", first), ("alert.create", second)]
        assert [tuple(e) for e in entries[-3:]] == expected
        assert audit.verify(session)[1] == []
    service.transition(alerts[0].id, "resolved", "op", outcome="false_alarm")
    with service.session() as session:  # after resolution a new event opens a new alert
        assert alerting.apply_events(session, service.rules, [event("e5", "T1")], now=200.0)[0].created


def test_audit_verify_names_edited_and_deleted_entries(make_service: ServiceFactory) -> None:
    service = make_service(fusion=False)
    for name in ("a", "b", "c", "d"):
        service.add_user(name, "operator", "password-" + name, "admin")
    with service.read() as session:
        checked, problems = audit.verify(session)
        first = session.scalars(select(AuditRow.seq).where(AuditRow.entity_id == "b")).one()
    assert problems == [] and checked >= 4
    with service.sessions.begin() as session:  # someone edits a row behind the service's back
        session.execute(update(AuditRow).where(AuditRow.seq == first).values(actor="someone-else"))
    with service.read() as session:
        _, problems = audit.verify(session)
    assert [(p.seq, p.problem.split(":")[0]) for p in problems] == [(first, "edited")]
    with service.sessions.begin() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == first).values(actor="admin"))
        session.query(AuditRow).filter(AuditRow.seq == first + 1).delete()
    with service.read() as session:
        _, problems = audit.verify(session)
    assert [(p.seq, p.problem.split(":")[0]) for p in problems] == [(first + 1, "missing (deleted)")]


def test_audit_entries_with_awkward_values_verify(make_service: ServiceFactory) -> None:
    import datetime

    import numpy as np

    service = make_service(fusion=False)
    odd = {"big": 2**70, "float": np.float64(0.1), 7: "a key that is not text", "when": datetime.date(2026, 11, 23)}
    with service.session() as session:
        audit.append(session, at=1.0, actor="op", action="x.update", entity="x", entity_id="1", after=odd)
        audit.append_many(session, [audit.Entry(2.0, "op", "x.update", "x", "2", before={"n": np.int64(3)}, after=odd)])
    with service.read() as session:
        checked, problems = audit.verify(session)
        stored = session.scalars(select(AuditRow.after).where(AuditRow.entity_id == "2")).one()
    assert problems == [] and checked >= 2
    assert stored == {"big": 2**70, "float": 0.1, "7": "a key that is not text", "when": "2026-11-23"}
