"""Routes for the web operational picture: the basemap, replay from the store, and a compact live push.

`install_web(app, service)` adds them under /api/v1/web and mounts the built single-page app at `/`.
The live push batches track updates into one column frame per interval (5,000 tracks at 1 Hz stay
well under 1 MB/s) and forwards alerts, sensor health and patrols as they come, as `/api/v1/stream`
does. May import borderwatch.api.app (auth), borderwatch.service, borderwatch.store and borderwatch.web.
"""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from borderwatch.api import schemas as s
from borderwatch.api.app import Principal, allowed, outbox_deliverer, principal
from borderwatch.service import Service, auth
from borderwatch.store.models import AlertRow, TrackPointRow, TrackRow
from borderwatch.web import mount_web
from borderwatch.web.basemap import basemap_document

CLASSES = ("person", "vehicle", "animal", "unknown")
STATUSES = ("tentative", "confirmed", "coasting", "deleted")
LIVE_INTERVAL_S = 1.0  # one track frame a second: what an operator's eye and the 1 Hz target need
REPLAY_MAX_POINTS = 200_000  # beyond this the window is thinned evenly, so a browser can hold it
LIVE_TOPICS = ("alert", "sensor_health", "patrol")


def _finite(record: dict[str, Any], field: str, default: float | None = None) -> float:
    value = record.get(field, default)
    if value is None:
        if default is None:
            raise ValueError(f"{field} is missing")
        value = default
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{field} is not a finite number: {value!r}")
    return number


def track_frame(tracks: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """Latest track states as one compact frame: column arrays with class and status as indices.

    Deleted tracks go in `removed`; an unknown class is "unknown", an unknown status "tentative".
    Positions keep 5 decimals (about 1 m), speed 0.1 m/s, heading 1°.
    A record without a usable id, lat or lon is left out and named in `rejected` ("<track_id>: <why>"),
    so one bad record never costs the operator the other tracks.
    """
    removed: list[str] = []
    rejected: list[str] = []
    columns: dict[str, list[Any]] = {"id": [], "lat": [], "lon": [], "c": [], "s": [], "v": [], "h": []}

    def index(values: tuple[str, ...], value: Any, fallback: str) -> int:
        return values.index(value) if value in values else values.index(fallback)

    for record in tracks:
        track_id = record.get("track_id")
        if track_id is None or str(track_id) == "":
            rejected.append("<no track_id>: track_id is missing")
            continue
        if record.get("status") == "deleted":
            removed.append(str(track_id))
            continue
        try:
            lat, lon = _finite(record, "lat"), _finite(record, "lon")
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                raise ValueError(f"lat/lon out of range: {lat}, {lon}")
            speed = _finite(record, "speed_mps", 0.0)
            heading = _finite(record, "heading_deg", 0.0) % 360.0
        except (TypeError, ValueError) as error:
            rejected.append(f"{track_id}: {error}")
            continue
        columns["id"].append(str(track_id))
        columns["lat"].append(round(lat, 5))
        columns["lon"].append(round(lon, 5))
        columns["c"].append(index(CLASSES, record.get("class", record.get("object_class")), "unknown"))
        columns["s"].append(index(STATUSES, record.get("status"), "tentative"))  # never "deleted" by default
        columns["v"].append(round(speed, 1))
        columns["h"].append(round(heading) % 360)
    data: dict[str, Any] = {"time": now, "classes": CLASSES, "statuses": STATUSES, "columns": columns}
    data["removed"] = removed
    if rejected:
        data["rejected"] = rejected
    return {"topic": "tracks", "data": data}


def web_router(service: Service) -> APIRouter:
    router = APIRouter(prefix="/api/v1/web", tags=["web"])
    basemap_bytes: list[bytes] = []  # built once per service: the model does not change while it runs

    @router.get("/basemap", response_model=dict[str, Any])
    def basemap(_: Annotated[Principal, Depends(principal)]) -> Any:
        """The map's GeoJSON layers (countries, border, sectors, km markers, barriers, sensors and
        their coverage, crossings, checkpoints, patrol bases), the bounds and the model's name."""
        if not basemap_bytes:
            basemap_bytes.append(orjson.dumps(basemap_document(service.model), default=float))  # NumPy scalars
        return Response(basemap_bytes[0], media_type="application/json")

    @router.get("/replay", response_model=dict[str, Any])
    def replay(
        _: Annotated[Principal, Depends(allowed("tracks.read"))],
        hours: Annotated[float, Query(gt=0, le=168, description="Window before the newest stored track point")] = 6,
    ) -> Any:
        """Stored track points and alerts over the last `hours` of track time, for the replay slider."""
        with service.read() as session:
            end = session.scalar(select(func.max(TrackPointRow.time)))
            if end is None:
                now = service.clock()
                return {"start": now - hours * 3600, "end": now, "tracks": [], "alerts": []}
            start = float(end) - hours * 3600.0
            total = int(session.scalar(select(func.count()).where(TrackPointRow.time >= start)) or 0)
            stride = max(1, -(-total // REPLAY_MAX_POINTS))
            rows = session.execute(
                select(
                    TrackPointRow.id, TrackPointRow.track_id, TrackPointRow.time, TrackPointRow.lat,
                    TrackPointRow.lon, TrackPointRow.speed_mps, TrackPointRow.heading_deg,
                    TrackPointRow.status, TrackRow.object_class,
                )
                .outerjoin(TrackRow, TrackRow.track_id == TrackPointRow.track_id)
                .where(TrackPointRow.time >= start)
                .order_by(TrackPointRow.time)
            ).all()  # fmt: skip
            points = [
                {"track_id": r.track_id, "time": r.time, "lat": round(r.lat, 5), "lon": round(r.lon, 5),
                 "speed_mps": round(r.speed_mps, 1), "heading_deg": round(r.heading_deg), "status": r.status,
                 "object_class": r.object_class or "unknown"}
                for i, r in enumerate(rows) if i % stride == 0
            ]  # fmt: skip
            alerts = session.scalars(
                select(AlertRow)
                .where(
                    AlertRow.first_time <= float(end), or_(AlertRow.last_time >= start, AlertRow.state != "resolved")
                )
                .order_by(AlertRow.first_time)
            ).all()
            return {
                "start": start,
                "end": float(end),
                "tracks": points,
                "alerts": [s.Alert.model_validate(a).model_dump() for a in alerts],
            }

    return router


def install_web(app: FastAPI, service: Service) -> None:
    """Add the web routes and the live push to `app`, then mount the built app at `/` (if built)."""
    app.include_router(web_router(service))

    @app.websocket("/api/v1/web/live")
    async def live(websocket: WebSocket, token: str | None = None) -> None:
        """The web picture's push: a `tracks` column frame each second, and `alert`, `sensor_health` and
        `patrol` messages as {"topic", "data"} when they happen."""
        bearer = token or (websocket.headers.get("authorization") or "")[7:]
        user = None
        if bearer:
            with service.read() as session:
                user = auth.user_for_token(session, bearer, service.clock())
        if user is None:
            await websocket.close(code=4401, reason="a valid token is required (?token=...)")
            return
        await websocket.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)
        latest: dict[str, dict[str, Any]] = {}
        lock = threading.Lock()

        def on_track(message: Any) -> None:  # publishing thread: only remember the newest state
            with lock:
                latest[str(message["track_id"])] = message

        deliver = outbox_deliverer(loop, outbox)
        unsubscribe = [service.bus.subscribe("track", on_track)]
        unsubscribe += [service.bus.subscribe(topic, deliver(topic)) for topic in LIVE_TOPICS]

        async def send_frames() -> None:
            while True:
                await asyncio.sleep(LIVE_INTERVAL_S)
                with lock:
                    batch = list(latest.values())
                    latest.clear()
                if batch:
                    frame = await run_in_threadpool(track_frame, batch, service.clock())
                    await websocket.send_text(orjson.dumps(frame).decode())

        async def send_messages() -> None:
            while True:
                message = await outbox.get()
                await websocket.send_text(orjson.dumps(message).decode())

        tasks = [asyncio.ensure_future(send_frames()), asyncio.ensure_future(send_messages())]
        try:
            while True:
                await websocket.receive_text()  # the client says nothing; this notices the close
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            for stop in unsubscribe:
                stop()

    mount_web(app)
