"""The real server (uvicorn on a free port) on SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from websockets.sync.client import connect

from borderwatch.api import PERMISSIONS
from borderwatch.api import app as app_module
from borderwatch.api.server import running_server
from borderwatch.geo import BorderModel
from borderwatch.service.auth import ROLES
from borderwatch.store.models import AuditRow
from tests.service.conftest import Client, ServiceFactory, crossing

PROBLEM = "application/problem+json"


def metrics(client: Client) -> dict[str, float]:
    """Prometheus samples by name{labels}."""
    lines = client.http.get("/metrics").text.splitlines()
    return {name: float(value) for name, _, value in (ln.rpartition(" ") for ln in lines if not ln.startswith("#"))}


def test_ingest_track_alert_and_push(client: Client, border_model: BorderModel) -> None:
    ws_url = client.server.url.replace("http", "ws") + f"/api/v1/stream?token={client.tokens['operator']}"
    with connect(ws_url) as stream:
        time.sleep(0.2)  # let the server subscribe before data flows
        reply = client.post_detections(crossing(border_model, client.sensor_id, km=150.0, prefix="push"))
        assert reply.status_code == 200, reply.text
        assert reply.json()["accepted"] == 80
        topics: set[str] = set()
        deadline = time.monotonic() + 20
        while "alert" not in topics and time.monotonic() < deadline:
            topics.add(json.loads(stream.recv(timeout=20))["topic"])
    assert {"track", "alert"} <= topics
    alerts = client.wait_for("/api/v1/alerts", "operator", lambda b: b["total"] > 0)["items"]
    alerts = [a for a in alerts if 149.0 < (a["km"] or 0) < 151.0]
    breach = [a for a in alerts if a["type"] == "barrier_breach"]
    assert breach and breach[0]["priority"] == "P1" and breach[0]["direction"] == "inbound"
    assert len({a["type"] for a in alerts}) == len(alerts)  # one open alert per track and type
    track = client.http.get(f"/api/v1/tracks/{breach[0]['track_ids'][0]}", headers=client.as_role("analyst")).json()
    assert len(track["history"]) > 10 and track["object_class"] == "vehicle"


def test_duplicates_counted_once_and_bad_items_refused_good_kept(client: Client, border_model: BorderModel) -> None:
    before = metrics(client)
    batch = crossing(border_model, client.sensor_id, points=6, prefix="dup", km=200.0)
    first = client.post_detections(batch[:4]).json()
    assert (first["accepted"], first["duplicates"]) == (4, 0)
    bad = dict(batch[5], id="bad-1", lat=123.0)
    foreign = dict(batch[5], id="foreign-1", sensor_id="not-mine")
    reply = client.post_detections([*batch[2:6], batch[4], bad])
    assert reply.status_code == 422 and reply.headers["content-type"] == PROBLEM
    body = reply.json()
    assert body["report"]["accepted"] == 2 and body["report"]["duplicates"] == 3
    assert (
        body["errors"][0]["loc"] == ["body", 5]
        and "'bad-1'" in body["errors"][0]["msg"]
        and "lat" in body["errors"][0]["msg"]
    )
    reply = client.post_detections([foreign, dict(batch[0], id="after-foreign")])
    assert reply.status_code == 403 and reply.json()["report"]["accepted"] == 1
    assert client.post_detections(batch, key="wrong-key").status_code == 401
    not_json = client.http.post("/api/v1/detections", content=b"{nope", headers={"X-Sensor-Key": client.sensor_key})
    assert not_json.status_code == 400 and not_json.headers["content-type"] == PROBLEM
    stored = client.http.get("/api/v1/detections", params={"limit": 1000}, headers=client.as_role("analyst")).json()
    mine = sorted(d["id"] for d in stored["items"] if d["id"].startswith(("dup", "after-foreign", "bad-", "foreign")))
    assert mine == sorted(["after-foreign", *(f"dup{i}" for i in range(6))])
    counted = metrics(client)
    assert (
        counted['borderwatch_detections_total{outcome="duplicate"}']
        - before.get('borderwatch_detections_total{outcome="duplicate"}', 0)
        == 3
    )
    assert (
        counted['borderwatch_ingest_refused_total{why="unauthorized"}']
        - before.get('borderwatch_ingest_refused_total{why="unauthorized"}', 0)
        == 1
    )


def test_oversized_and_line_delimited_batches(client: Client, border_model: BorderModel,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    batch = crossing(border_model, client.sensor_id, points=4, prefix="nd", km=260.0)
    headers = {"X-Sensor-Key": client.sensor_key, "Content-Type": "application/x-ndjson"}
    good = crossing(border_model, client.sensor_id, points=3, prefix="ndok", km=262.0)
    reply = client.http.post("/api/v1/detections", content="\n".join(json.dumps(r) for r in good) + "\n\n",
                             headers=headers)  # fmt: skip
    assert reply.status_code == 200 and (reply.json()["received"], reply.json()["accepted"]) == (3, 3)
    lines = "\n".join(json.dumps(r) for r in batch) + "\n{not json\n"
    reply = client.http.post("/api/v1/detections", content=lines, headers=headers)
    assert reply.status_code == 422 and reply.json()["report"]["accepted"] == 4
    assert "line 5: not JSON" in reply.json()["errors"][0]["msg"]
    monkeypatch.setattr(app_module, "MAX_BATCH", 3)
    reply = client.post_detections(batch)
    assert reply.status_code == 400 and "at most 3" in reply.json()["detail"]


def test_a_large_body_is_decoded_off_the_event_loop_with_the_same_outcome(
    client: Client, border_model: BorderModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "DECODE_ON_LOOP_MAX_BYTES", 0)  # every body counts as large
    monkeypatch.setattr(app_module, "PARSE_ON_LOOP_MAX", 0)
    batch = crossing(border_model, client.sensor_id, points=4, prefix="big", km=264.0)
    reply = client.post_detections(batch)
    assert reply.status_code == 200 and reply.json()["accepted"] == 4
    reply = client.post_detections([*batch[:1], {"type": "detection", "id": "big-bad"}])
    assert reply.status_code == 422 and reply.json()["report"]["duplicates"] == 1
    assert reply.json()["errors"][0]["loc"] == ["body", 1]


def test_websocket_ingest_reports_each_message(client: Client, border_model: BorderModel) -> None:
    batch = crossing(border_model, client.sensor_id, points=5, prefix="ws", km=250.0)
    url = client.server.url.replace("http", "ws") + "/api/v1/ingest/ws"
    with connect(url, additional_headers={"X-Sensor-Key": client.sensor_key}) as ws:
        ws.send(json.dumps(batch))
        assert json.loads(ws.recv(timeout=10))["accepted"] == 5
        ws.send(json.dumps([*batch[:2], {"type": "detection", "id": "x"}]))
        report = json.loads(ws.recv(timeout=10))
        assert (report["accepted"], report["duplicates"], len(report["rejected"])) == (0, 2, 1)
    with pytest.raises(Exception, match="403"), connect(url + "?key=wrong") as ws:
        ws.recv(timeout=10)


def test_alert_lifecycle_dispatch_resolve_and_escalation(
    make_service: ServiceFactory, border_model: BorderModel
) -> None:
    service = make_service(escalate_after_s=0.5)
    with running_server(service) as server:
        client = Client(server, border_model.sensors[0].properties.id)
        client.post_detections(crossing(border_model, client.sensor_id))
        body = client.wait_for(
            "/api/v1/alerts",
            "operator",
            lambda b: any(a["priority"] == "P1" and a["escalation_level"] for a in b["items"]),
        )
        alert = next(a for a in body["items"] if a["priority"] == "P1")
        op = client.as_role("operator")
        assert (
            client.http.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=op, json={}).json()["state"]
            == "acknowledged"
        )
        suggestion = client.http.get(f"/api/v1/alerts/{alert['id']}/suggested-patrols", headers=op).json()
        distances = [p["distance_m"] for p in suggestion]
        assert suggestion and distances == sorted(distances)
        patrol = suggestion[0]["id"]
        reply = client.http.post(f"/api/v1/alerts/{alert['id']}/dispatch", headers=op, json={"patrol_id": patrol})
        assert reply.json()["state"] == "dispatched" and reply.json()["patrol_id"] == patrol
        again = client.http.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=op, json={})
        assert again.status_code == 200  # recalling the patrol is allowed
        reply = client.http.post(f"/api/v1/alerts/{alert['id']}/resolve", headers=op, json={"outcome": "maybe"})
        assert (
            reply.status_code == 422
            and reply.headers["content-type"] == PROBLEM
            and "outcome" in reply.json()["detail"]
        )
        reply = client.http.post(f"/api/v1/alerts/{alert['id']}/resolve", headers=op,
                                 json={"outcome": "interdicted", "note": "two held at km 100"})  # fmt: skip
        done = reply.json()
        assert done["state"] == "resolved" and done["outcome"] == "interdicted"
        assert {"new", "acknowledged", "dispatched"} <= set(done["seconds_in_state"])
        assert client.http.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=op, json={}).status_code == 409
        detail = client.http.get(f"/api/v1/alerts/{alert['id']}", headers=op).json()
        assert [t["to_state"] for t in detail["transitions"]] == [
            "new",
            "acknowledged",
            "dispatched",
            "acknowledged",
            "resolved",
        ]
        patrols = client.http.get("/api/v1/patrols", headers=op).json()["items"]
        assert next(p for p in patrols if p["id"] == patrol)["state"] == "available"
        verdict = client.http.get("/api/v1/audit/verify", headers=client.as_role("supervisor")).json()
        assert verdict["ok"] and verdict["checked"] > 5
        with service.sessions.begin() as session:
            # someone rewrites who dispatched the patrol
            session.execute(update(AuditRow).where(AuditRow.action == "alert.dispatched").values(actor="nobody"))
        verdict = client.http.get("/api/v1/audit/verify", headers=client.as_role("admin")).json()
        assert not verdict["ok"] and "edited" in verdict["problems"][0]


# One representative request per endpoint: (permission, method, path, body)
ENDPOINTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("alerts.read", "GET", "/api/v1/alerts", None),
    ("alerts.read", "GET", "/api/v1/alerts/999999", None),
    ("alerts.act", "POST", "/api/v1/alerts/999999/acknowledge", {}),
    ("alerts.act", "POST", "/api/v1/alerts/999999/dispatch", {"patrol_id": "p"}),
    ("alerts.act", "POST", "/api/v1/alerts/999999/resolve", {"outcome": "other"}),
    ("alerts.act", "GET", "/api/v1/alerts/999999/suggested-patrols", None),
    ("tracks.read", "GET", "/api/v1/tracks", None),
    ("tracks.read", "GET", "/api/v1/tracks/none", None),
    ("events.read", "GET", "/api/v1/events", None),
    ("detections.read", "GET", "/api/v1/detections", None),
    ("patrols.read", "GET", "/api/v1/patrols", None),
    ("patrols.create", "POST", "/api/v1/patrols", {"id": "new-unit", "name": "n", "lat": 34.0, "lon": 41.0}),
    ("patrols.update", "PATCH", "/api/v1/patrols/missing", {"state": "off_duty"}),
    ("checkpoints.read", "GET", "/api/v1/checkpoints", None),
    ("sensors.read", "GET", "/api/v1/sensors", None),
    ("sensors.keys", "POST", "/api/v1/sensors/cam-01/keys", None),
    ("users.manage", "GET", "/api/v1/users", None),
    ("users.manage", "POST", "/api/v1/users", {"username": "u", "role": "analyst", "password": "long enough"}),
    ("audit.read", "GET", "/api/v1/audit", None),
    ("audit.verify", "GET", "/api/v1/audit/verify", None),
]
# Expected by the issue: who acts on alerts, who manages people, who reads the record.
EXPECTED_ROLES = {
    "alerts.read": set(ROLES),
    "alerts.act": {"operator", "supervisor"},
    "tracks.read": {"operator", "supervisor", "crossing_officer", "analyst"},
    "events.read": {"operator", "supervisor", "analyst"},
    "detections.read": {"supervisor", "analyst", "admin"},
    "patrols.read": {"operator", "supervisor", "crossing_officer", "admin"},
    "patrols.create": {"supervisor", "admin"},
    "patrols.update": {"operator", "supervisor"},
    "checkpoints.read": set(ROLES),
    "sensors.read": {"operator", "supervisor", "analyst", "admin"},
    "sensors.keys": {"admin"},
    "users.manage": {"admin"},
    "audit.read": {"supervisor", "analyst", "admin"},
    "audit.verify": {"supervisor", "admin"},
}


def test_every_role_on_every_endpoint(client: Client) -> None:
    assert set(EXPECTED_ROLES) == {p for p in PERMISSIONS if p != "stream"}
    spec = client.http.get("/openapi.json").json()["paths"]
    operations = [
        (m.upper(), p)
        for p, ops in spec.items()
        for m in ops
        if p.startswith("/api/v1/") and not p.startswith("/api/v1/web/")
    ]  # web/: tests/web
    open_to_all = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/me"), ("POST", "/api/v1/detections")}
    assert len(operations) - len(open_to_all) == len(ENDPOINTS)  # a new endpoint must join the table
    failures = []
    for permission, method, path, body in ENDPOINTS:
        anonymous = client.http.request(method, path, json=body)
        if anonymous.status_code != 401 or anonymous.headers["content-type"] != PROBLEM:
            failures.append(f"anonymous {method} {path}: {anonymous.status_code}")
        for role in ROLES:
            reply = client.http.request(method, path, json=body, headers=client.as_role(role))
            should = role in EXPECTED_ROLES[permission]
            if (should and reply.status_code in (401, 403)) or (not should and reply.status_code != 403):
                failures.append(f"{role} {method} {path}: {reply.status_code} {reply.text[:80]}")
            if reply.status_code >= 400 and reply.headers["content-type"] != PROBLEM:
                failures.append(f"{role} {method} {path}: not problem+json")
            if reply.status_code >= 500:
                failures.append(f"{role} {method} {path}: server error")
    assert failures == []


def test_restart_loses_no_alert_and_no_acknowledged_detection(make_service: ServiceFactory,
                                                              border_model: BorderModel) -> None:  # fmt: skip
    sensor = border_model.sensors[0].properties.id
    first = make_service()
    with running_server(first) as server:
        client = Client(server, sensor)
        assert client.post_detections(crossing(border_model, sensor)).status_code == 200
        before = client.wait_for("/api/v1/alerts", "operator", lambda b: b["total"] >= 2)
        client.http.post(f"/api/v1/alerts/{before['items'][0]['id']}/acknowledge", headers=client.as_role("operator"))
        before = client.http.get("/api/v1/alerts", headers=client.as_role("operator")).json()
    second = make_service()
    with running_server(second) as server:
        http = httpx.Client(base_url=server.url)
        token = http.post("/api/v1/auth/token", json={"username": "analyst", "password": "correct horse battery"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        after = http.get("/api/v1/alerts", headers=headers).json()
        assert [(a["id"], a["state"]) for a in after["items"]] == [(a["id"], a["state"]) for a in before["items"]]
        assert http.get("/api/v1/detections", headers=headers).json()["total"] == 80
        assert (
            http.get(
                "/api/v1/audit/verify", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
            ).status_code
            == 403
        )
