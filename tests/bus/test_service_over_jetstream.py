"""End to end on the broker: a service whose bus is JetStream ingests a crossing, and its alert
reaches both the service's own WebSocket push and another process's subscriber on the stream."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from websockets.sync.client import connect

from borderwatch.api.server import running_server
from borderwatch.bus.jetstream import JetStreamBus
from borderwatch.geo import BorderModel
from borderwatch.service import Service, auth, load_settings
from tests.bus.conftest import BusFactory, wait_until
from tests.service.conftest import crossing


@pytest.mark.timeout(180)
def test_ingest_to_alert_pushed_over_jetstream(
    open_jetstream: BusFactory, nats_url: str, stream_name: str, border_model: BorderModel, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    elsewhere: list[Any] = []  # what a second service process subscribed to the stream sees
    open_jetstream().subscribe("alert", elsewhere.append)
    settings = load_settings(environ={"BORDERWATCH_BUS_URL": nats_url}, data_dir=tmp_path / "data",
                             bus_stream=stream_name, housekeeping_period_s=0.2)  # fmt: skip
    service = Service(settings, model=border_model)
    assert isinstance(service.bus, JetStreamBus)
    sensor = border_model.sensors[0].properties.id
    with running_server(service) as server:
        key = service.issue_sensor_key(sensor, "test-setup")
        service.add_user("ops", "operator", "correct horse battery", "test-setup")
        http = httpx.Client(base_url=server.url, timeout=30)
        token = http.post("/api/v1/auth/token", json={"username": "ops", "password": "correct horse battery"})
        ws_url = server.url.replace("http", "ws") + f"/api/v1/stream?token={token.json()['access_token']}"
        pushed: list[dict[str, Any]] = []
        with connect(ws_url) as stream:
            time.sleep(0.3)  # the stream subscribes once the socket is accepted
            reply = http.post("/api/v1/detections", json=crossing(border_model, sensor, km=150.0, prefix="js"),
                              headers={"X-Sensor-Key": key})  # fmt: skip
            assert reply.status_code == 200 and reply.json()["accepted"] == 80, reply.text
            deadline = time.monotonic() + 60
            # Order is kept within a topic, not across topics (each is its own consumer): wait for both.
            while not {"track", "alert"} <= {p["topic"] for p in pushed} and time.monotonic() < deadline:
                pushed.append(json.loads(stream.recv(timeout=60)))
        assert wait_until(lambda: any(a["type"] == "barrier_breach" for a in elsewhere), timeout_s=60)
        stored = http.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        stats = service.bus.stats()
    assert {"track", "alert"} <= {p["topic"] for p in pushed}
    breach = next(a for a in elsewhere if a["type"] == "barrier_breach")
    assert (breach["priority"], breach["direction"]) == ("P1", "inbound") and 149.0 < breach["km"] < 151.0
    assert breach["id"] in {a["id"] for a in stored.json()["items"]}
    assert stats.published > 0 and stats.failed == 0
    with pytest.raises(Exception, match="is closed"):  # the service closed the bus it opened
        service.bus.publish("alert", {})
