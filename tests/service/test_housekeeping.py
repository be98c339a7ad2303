"""Housekeeping on a controlled clock: silent sensors go offline and raise an alert, unacknowledged
P1s escalate once per period, old detections leave by the retention policy; on both backends."""

from __future__ import annotations

from sqlalchemy import func, select

from borderwatch.fusion.types import BorderEvent
from borderwatch.geo import BorderModel
from borderwatch.store.models import AlertRow, DetectionRow
from tests.service.conftest import NIGHT, ServiceFactory, crossing


def test_offline_escalation_and_retention(make_service: ServiceFactory, border_model: BorderModel) -> None:
    now = [1_000_000.0]
    service = make_service(fusion=False, sensor_offline_after_s=300, escalate_after_s=60, retention_days=1)
    service.clock = lambda: now[0]
    sensor = border_model.sensors[0].properties.id
    assert service.ingest(crossing(border_model, sensor, points=3), sensor).accepted == 3
    breach = BorderEvent(event_id="e1", type="barrier_breach", time=NIGHT, lat=34.0, lon=41.0, track_ids=("T1",),
                         object_class="vehicle", class_prob=0.9, sector=None, km=5.0, direction="inbound")  # fmt: skip
    service.record_fusion([], [breach], received_at=now[0])

    now[0] += 59
    service.housekeeping()
    with service.read() as session:
        alerts = session.scalars(select(AlertRow)).all()
        assert [(a.priority, a.escalation_level) for a in alerts] == [("P1", 0)]
    now[0] += 2  # 61 s unacknowledged
    service.housekeeping()
    now[0] += 30  # not yet a second period
    service.housekeeping()
    with service.read() as session:
        assert session.scalars(select(AlertRow.escalation_level)).all() == [1]

    now[0] += 300  # the sensor has been silent for longer than 300 s
    service.housekeeping()
    with service.read() as session:
        offline = session.scalars(select(AlertRow).where(AlertRow.type == "sensor_offline")).all()
        assert [(a.priority, a.sector is not None) for a in offline] == [("P3", True)]
    service.housekeeping()  # still silent: the same open alert, not a second one
    with service.read() as session:
        assert session.scalar(select(func.count()).where(AlertRow.type == "sensor_offline")) == 1

    now[0] += 86400
    service.housekeeping()
    with service.read() as session:
        assert session.scalar(select(func.count()).select_from(DetectionRow)) == 0
