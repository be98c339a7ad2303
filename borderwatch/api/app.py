"""The HTTP and WebSocket API (`/api/v1`): thin routes over the Service, role checks per endpoint,
problem+json errors, pagination, /healthz and /metrics.

May import borderwatch.service (and through it the store models for reading); no business rules here.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from borderwatch.api import schemas as s
from borderwatch.api.problems import PROBLEM_MEDIA, FieldProblem, install, problem_response, responses
from borderwatch.service import Service, auth
from borderwatch.service import audit as audit_log
from borderwatch.service.alerting import NotFoundError
from borderwatch.service.ingest import IngestBusyError, IngestResult, Undecodable, fast_records
from borderwatch.store.models import (
    AlertRow,
    AlertTransitionRow,
    AuditRow,
    DetectionRow,
    EventRow,
    PatrolRow,
    SensorHealthRow,
    TrackPointRow,
    TrackRow,
    UserRow,
)

ALL = auth.ROLES
# Who may do what. The table-driven test in tests/service checks every row against the server.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "alerts.read": ALL,
    "alerts.act": ("operator", "supervisor"),
    "tracks.read": ("operator", "supervisor", "crossing_officer", "analyst"),
    "events.read": ("operator", "supervisor", "analyst"),
    "detections.read": ("supervisor", "analyst", "admin"),
    "patrols.read": ("operator", "supervisor", "crossing_officer", "admin"),
    "patrols.update": ("operator", "supervisor"),
    "patrols.create": ("supervisor", "admin"),
    "checkpoints.read": ALL,
    "sensors.read": ("operator", "supervisor", "analyst", "admin"),
    "sensors.keys": ("admin",),
    "users.manage": ("admin",),
    "audit.read": ("supervisor", "analyst", "admin"),
    "audit.verify": ("supervisor", "admin"),
    "stream": ALL,
}
M = TypeVar("M")
MAX_BATCH = 100_000  # records per request or WebSocket message
MAX_BODY_BYTES = 64 << 20
# Batches up to this many records (bodies up to this many bytes) are decoded and checked on the event
# loop (well under a millisecond per hundred); larger ones in a worker thread, so one huge batch does not
# stall every other connection.
PARSE_ON_LOOP_MAX = 2_000
DECODE_ON_LOOP_MAX_BYTES = 512 << 10


class Principal:
    def __init__(self, username: str, role: str) -> None:
        self.username, self.role = username, role


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The signed-in user from `Authorization: Bearer <token>`."""
    service = _service(request)
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthError(401, "a bearer token is required: POST /api/v1/auth/token")
    with service.read() as session:
        user = auth.user_for_token(session, authorization[7:].strip(), service.clock())
        if user is None:
            raise AuthError(401, "the token is unknown or expired")
        return Principal(user.username, user.role)


def allowed(permission: str) -> Callable[..., Principal]:
    """Dependency: the signed-in user, if their role has `permission`; else 403."""
    roles = PERMISSIONS[permission]

    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise AuthError(403, f"role {who.role!r} may not {permission} (needs one of {', '.join(roles)})")
        return who

    return check


def db(request: Request) -> Iterator[Session]:
    with _service(request).read() as session:
        yield session


AlertId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Alert number")]
DbSession = Annotated[Session, Depends(db)]
PageLimit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
PageOffset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip")]


def outbox_deliverer(
    loop: asyncio.AbstractEventLoop, outbox: asyncio.Queue[dict[str, Any]]
) -> Callable[[str], Callable[[Any], None]]:
    """Bus handlers (called on the publisher's thread) that hand messages to a WebSocket's outbox.

    A slow client loses its oldest messages; it never stalls ingest.
    """

    def deliver(topic: str) -> Callable[[Any], None]:
        def put(message: Any) -> None:
            def enqueue() -> None:
                if outbox.full():
                    outbox.get_nowait()
                outbox.put_nowait({"topic": topic, "data": message})

            loop.call_soon_threadsafe(enqueue)

        return put

    return deliver


def create_app(service: Service, *, manage_service: bool = True) -> FastAPI:
    """The FastAPI app for `service`; starts and stops the service with the app when `manage_service`."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_service:
            service.start()
        try:
            yield
        finally:
            if manage_service:
                await run_in_threadpool(service.stop)

    app = _IngestFirstAPI(
        title="borderwatch operations API",
        version="1",
        description="Ingest, tracks, alerts and their lifecycle, patrols, users and the audit log. Errors are "
        "RFC 9457 problem+json. People authenticate with a bearer token from POST /api/v1/auth/token; sensors "
        "with their X-Sensor-Key.",
        lifespan=lifespan,
    )
    app.state.service = service
    install(app)

    @app.exception_handler(AuthError)
    async def auth_problem(request: Request, exc: AuthError) -> JSONResponse:
        title = "Unauthorized" if exc.status == 401 else "Forbidden"
        if exc.status in (401, 403) and request.url.path.endswith("/detections"):
            service.m_refused.labels("unauthorized" if exc.status == 401 else "forbidden").inc()
        return problem_response(exc.status, title, exc.detail, request)

    def sensor_for(key: str | None) -> str:
        if not key:
            raise AuthError(401, "header X-Sensor-Key is required")
        sensor = service.sensor_for_key(key)
        if sensor is None:
            raise AuthError(401, "the sensor key is unknown or revoked")
        return sensor

    auth_errors = responses(401, 403, 422)
    api = APIRouter(prefix="/api/v1", responses=auth_errors)

    def page(session: Session, query: Select[Any], model: type[M], limit: int, offset: int) -> dict[str, Any]:
        total = int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
        rows = session.scalars(query.limit(limit).offset(offset)).all()
        items = [model.model_validate(r) for r in rows]  # type: ignore[attr-defined]
        nxt = offset + len(items) if offset + len(items) < total else None
        return {"items": items, "total": total, "limit": limit, "offset": offset, "next_offset": nxt}

    # ---------------------------------------------------------------- people

    @api.post("/auth/token", response_model=s.Token, tags=["users"], responses=responses(401, 422))
    def login(body: s.Login) -> s.Token:
        """Exchange username and password for a bearer token."""
        with service.sessions.begin() as session:
            user = auth.authenticate(session, body.username, body.password)
            if user is None:
                raise AuthError(401, "wrong username or password, or the account is disabled")
            token, expires = auth.issue_token(session, user.username, service.clock(), service.settings.token_ttl_s)
            return s.Token(access_token=token, expires_at=expires, role=user.role)

    @api.get("/me", response_model=s.User, tags=["users"])
    def me(who: Annotated[Principal, Depends(principal)], session: DbSession) -> Any:
        """The signed-in user."""
        return session.get(UserRow, who.username)

    @api.get("/users", response_model=s.Page[s.User], tags=["users"])
    def list_users(
        _: Annotated[Principal, Depends(allowed("users.manage"))],
        session: DbSession,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """Every user (admin)."""
        return page(session, select(UserRow).order_by(UserRow.username), s.User, limit, offset)

    @api.post("/users", response_model=s.User, status_code=201, tags=["users"], responses=responses(409))
    def create_user(body: s.UserCreate, actor: Annotated[Principal, Depends(allowed("users.manage"))]) -> Any:
        """Add a user with a role (admin); the password is stored as an argon2 hash."""
        return service.add_user(body.username, body.role, body.password, actor.username)

    # ---------------------------------------------------------------- alerts

    @api.get("/alerts", response_model=s.Page[s.Alert], tags=["alerts"])
    def list_alerts(
        _: Annotated[Principal, Depends(allowed("alerts.read"))],
        session: DbSession,
        state: Annotated[list[str] | None, Query(description="new, acknowledged, dispatched, resolved")] = None,
        priority: Annotated[list[str] | None, Query(description="P1..P4")] = None,
        sector: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[float | None, Query(description="first_time >= since (POSIX s)")] = None,
        until: Annotated[float | None, Query(description="first_time < until (POSIX s)")] = None,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """Alerts, most urgent and newest first, filtered by state, priority, sector and time."""
        query = select(AlertRow).order_by(AlertRow.priority, AlertRow.id.desc())
        if state:
            query = query.where(AlertRow.state.in_(state))
        if priority:
            query = query.where(AlertRow.priority.in_(priority))
        if sector:
            query = query.where(AlertRow.sector == sector)
        if since is not None:
            query = query.where(AlertRow.first_time >= since)
        if until is not None:
            query = query.where(AlertRow.first_time < until)
        return page(session, query, s.Alert, limit, offset)

    @api.get("/alerts/{alert_id}", response_model=s.AlertDetail, tags=["alerts"], responses=responses(404))
    def get_alert(
        alert_id: AlertId, _: Annotated[Principal, Depends(allowed("alerts.read"))], session: DbSession
    ) -> Any:
        """One alert with its lifecycle transitions."""
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise NotFoundError(f"alert {alert_id} does not exist")
        steps = session.scalars(
            select(AlertTransitionRow).where(AlertTransitionRow.alert_id == alert_id).order_by(AlertTransitionRow.id)
        ).all()
        return s.AlertDetail.model_validate(
            s.Alert.model_validate(alert).model_dump()
            | {"transitions": [s.AlertTransition.model_validate(t) for t in steps]}
        )

    act = responses(404, 409)

    @api.post("/alerts/{alert_id}/acknowledge", response_model=s.Alert, tags=["alerts"], responses=act)
    def acknowledge(
        alert_id: AlertId, actor: Annotated[Principal, Depends(allowed("alerts.act"))], body: s.Note | None = None
    ) -> Any:
        """An operator has seen the alert."""
        return service.transition(alert_id, "acknowledged", actor.username, note=body.note if body else None)

    @api.post("/alerts/{alert_id}/dispatch", response_model=s.Alert, tags=["alerts"], responses=act)
    def dispatch(
        alert_id: AlertId, body: s.Dispatch, actor: Annotated[Principal, Depends(allowed("alerts.act"))]
    ) -> Any:
        """Send an available patrol to the alert."""
        return service.transition(alert_id, "dispatched", actor.username, patrol_id=body.patrol_id, note=body.note)

    @api.post("/alerts/{alert_id}/resolve", response_model=s.Alert, tags=["alerts"], responses=act)
    def resolve(alert_id: AlertId, body: s.Resolve, actor: Annotated[Principal, Depends(allowed("alerts.act"))]) -> Any:
        """Close the alert with an outcome and a note; a dispatched patrol becomes available."""
        return service.transition(alert_id, "resolved", actor.username, outcome=body.outcome, note=body.note)

    @api.get("/alerts/{alert_id}/suggested-patrols", response_model=list[s.SuggestedPatrol], tags=["alerts"],
             responses=responses(404))  # fmt: skip
    def suggested(
        alert_id: AlertId,
        _: Annotated[Principal, Depends(allowed("alerts.act"))],
        limit: Annotated[int, Query(ge=1, le=20)] = 3,
    ) -> Any:
        """The nearest available patrols to the alert, nearest first."""
        return service.suggest_patrols(alert_id, limit)

    # ---------------------------------------------------------------- picture

    @api.get("/tracks", response_model=s.Page[s.Track], tags=["picture"])
    def list_tracks(
        _: Annotated[Principal, Depends(allowed("tracks.read"))],
        session: DbSession,
        status: Annotated[list[str] | None, Query()] = None,
        sector: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[float | None, Query(description="time >= since")] = None,
        until: Annotated[float | None, Query(description="time < until")] = None,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """Tracks at their latest state, newest first."""
        query = select(TrackRow).order_by(TrackRow.time.desc(), TrackRow.track_id)
        if status:
            query = query.where(TrackRow.status.in_(status))
        if sector:
            query = query.where(TrackRow.sector == sector)
        if since is not None:
            query = query.where(TrackRow.time >= since)
        if until is not None:
            query = query.where(TrackRow.time < until)
        return page(session, query, s.Track, limit, offset)

    @api.get("/tracks/{track_id}", response_model=s.TrackDetail, tags=["picture"], responses=responses(404))
    def get_track(track_id: str, _: Annotated[Principal, Depends(allowed("tracks.read"))], session: DbSession) -> Any:
        """One track with its history."""
        track = session.get(TrackRow, track_id)
        if track is None:
            raise NotFoundError(f"track {track_id!r} does not exist")
        points = session.scalars(
            select(TrackPointRow).where(TrackPointRow.track_id == track_id).order_by(TrackPointRow.time)
        ).all()
        return s.Track.model_validate(track).model_dump() | {
            "history": [s.TrackPoint.model_validate(p) for p in points]
        }

    @api.get("/events", response_model=s.Page[s.Event], tags=["picture"])
    def list_events(
        _: Annotated[Principal, Depends(allowed("events.read"))],
        session: DbSession,
        type: Annotated[list[str] | None, Query()] = None,
        sector: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[float | None, Query()] = None,
        until: Annotated[float | None, Query()] = None,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """Border events from fusion, newest first."""
        query = select(EventRow).order_by(EventRow.time.desc(), EventRow.event_id)
        if type:
            query = query.where(EventRow.type.in_(type))
        if sector:
            query = query.where(EventRow.sector == sector)
        if since is not None:
            query = query.where(EventRow.time >= since)
        if until is not None:
            query = query.where(EventRow.time < until)
        return page(session, query, s.Event, limit, offset)

    @api.get("/detections", response_model=s.Page[s.StoredDetection], tags=["picture"])
    def list_detections(
        _: Annotated[Principal, Depends(allowed("detections.read"))],
        session: DbSession,
        sensor_id: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[float | None, Query()] = None,
        until: Annotated[float | None, Query()] = None,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """Stored detections (kept for the retention period), newest first."""
        query = select(DetectionRow).order_by(DetectionRow.time.desc(), DetectionRow.id)
        if sensor_id:
            query = query.where(DetectionRow.sensor_id == sensor_id)
        if since is not None:
            query = query.where(DetectionRow.time >= since)
        if until is not None:
            query = query.where(DetectionRow.time < until)
        return page(session, query, s.StoredDetection, limit, offset)

    # ---------------------------------------------------------------- patrols and posts

    @api.get("/patrols", response_model=s.Page[s.Patrol], tags=["patrols"])
    def list_patrols(
        _: Annotated[Principal, Depends(allowed("patrols.read"))],
        session: DbSession,
        state: Annotated[list[str] | None, Query()] = None,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """Patrol units with position and state."""
        query = select(PatrolRow).order_by(PatrolRow.id)
        if state:
            query = query.where(PatrolRow.state.in_(state))
        return page(session, query, s.Patrol, limit, offset)

    @api.post("/patrols", response_model=s.Patrol, status_code=201, tags=["patrols"], responses=responses(409))
    def create_patrol(body: s.PatrolCreate, actor: Annotated[Principal, Depends(allowed("patrols.create"))]) -> Any:
        """Add a patrol unit."""
        return service.create_patrol(body.id, body.name, body.lat, body.lon, body.base_id, actor.username)

    @api.patch("/patrols/{patrol_id}", response_model=s.Patrol, tags=["patrols"], responses=responses(404, 409))
    def update_patrol(
        patrol_id: str, body: s.PatrolUpdate, actor: Annotated[Principal, Depends(allowed("patrols.update"))]
    ) -> Any:
        """Report a patrol's position or put it on/off duty."""
        return service.update_patrol(patrol_id, actor.username, **body.model_dump(exclude_none=True))

    @api.get("/checkpoints", response_model=list[s.Checkpoint], tags=["patrols"])
    def list_checkpoints(_: Annotated[Principal, Depends(allowed("checkpoints.read"))]) -> Any:
        """Fixed checkpoints from the border configuration."""
        out = []
        for cp in service.model.checkpoints:
            loc = service.model.locate(cp.geometry.lat, cp.geometry.lon)
            out.append(s.Checkpoint(id=cp.properties.id, name=cp.properties.name, lat=cp.geometry.lat,
                                    lon=cp.geometry.lon, sector=loc.sector, km=round(loc.km, 3)))  # fmt: skip
        return out

    # ---------------------------------------------------------------- sensors and ingest

    @api.get("/sensors", response_model=list[s.SensorHealth], tags=["sensors"])
    def list_sensors(_: Annotated[Principal, Depends(allowed("sensors.read"))], session: DbSession) -> Any:
        """Health of every sensor heard from: last heard, rate, offline."""
        return [
            service.sensor_dict(r) for r in session.scalars(select(SensorHealthRow).order_by(SensorHealthRow.sensor_id))
        ]

    @api.post("/sensors/{sensor_id}/keys", response_model=s.SensorKey, status_code=201, tags=["sensors"])
    def new_sensor_key(
        sensor_id: Annotated[str, Path(min_length=1, max_length=64)],
        actor: Annotated[Principal, Depends(allowed("sensors.keys"))],
    ) -> Any:
        """Issue an API key for a sensor (admin); the key is shown only in this response."""
        return s.SensorKey(sensor_id=sensor_id, key=service.issue_sensor_key(sensor_id, actor.username))

    ingest_body = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "maxItems": 100000, "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "description": "Records of docs/formats.md (detection, heartbeat) as a JSON array or JSON Lines",
        }
    }

    @api.post("/detections", response_model=s.IngestReport, tags=["sensors"], openapi_extra=ingest_body,
              responses={**responses(400, 401, 413, 429), 403: _ingest_problem("Items for another sensor"),
                         422: _ingest_problem("Some items were malformed; the good ones were kept")})  # fmt: skip
    async def post_detections(
        request: Request, x_sensor_key: Annotated[str | None, Header(description="The sensor's API key")] = None
    ) -> Any:
        """Ingest a batch of detections and heartbeats from one sensor; duplicates are counted once."""
        return await ingest_batch(request)

    async def ingest_batch(request: Request) -> Response:
        sensor = sensor_for(request.headers.get("x-sensor-key"))
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return problem_response(413, "Content Too Large", f"a batch may be at most {MAX_BODY_BYTES:,} bytes; "
                                    "split it", request)  # fmt: skip
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():  # a body sent without Content-Length is held to the limit too
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return problem_response(413, "Content Too Large", f"a batch may be at most {MAX_BODY_BYTES:,} bytes; "
                                        "split it", request)  # fmt: skip
            chunks.append(chunk)
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            items = await decode(body, request.headers.get("content-type", ""), sensor)
        except ValueError as exc:
            return problem_response(400, "Bad Request", str(exc), request)
        try:
            submitted = await submit(items, sensor)
        except IngestBusyError as exc:
            service.m_refused.labels("busy").inc()
            busy = problem_response(429, "Too Many Requests", str(exc), request)
            busy.headers["Retry-After"] = str(math.ceil(exc.retry_after_s))
            return busy
        # The write happens on the service's writer thread; this request only waits for its commit.
        return _ingest_response(await asyncio.wrap_future(submitted), request)

    async def decode(body: bytes, content_type: str, sensor: str) -> Sequence[Any]:
        if len(body) <= DECODE_ON_LOOP_MAX_BYTES:
            return _decode_items(body, content_type, sensor)
        return await run_in_threadpool(_decode_items, body, content_type, sensor)

    async def submit(items: Sequence[Any], sensor: str) -> Future[IngestResult]:
        if len(items) <= PARSE_ON_LOOP_MAX:
            return service.submit_ingest(items, sensor)
        return await run_in_threadpool(service.submit_ingest, items, sensor)

    @app.websocket("/api/v1/ingest/ws")
    async def ingest_ws(websocket: WebSocket, key: str | None = None) -> None:
        """Stream ingest: each text message is a JSON array (or object) of records; each gets a report."""
        try:
            sensor = sensor_for(websocket.headers.get("x-sensor-key") or key)
        except AuthError as exc:
            service.m_refused.labels("unauthorized").inc()
            await websocket.close(code=4401, reason=exc.detail)
            return
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive_text()
                try:
                    items = await decode(message.encode(), "application/json", sensor)
                except ValueError as exc:
                    await websocket.send_json({"error": str(exc)})
                    continue
                while True:
                    try:
                        submitted = await submit(items, sensor)
                        break
                    except IngestBusyError:
                        # A stream has its own back-pressure: read the next message only once this one is queued.
                        await asyncio.sleep(0.05)
                result = await asyncio.wrap_future(submitted)
                await websocket.send_text(_report_body(result).decode())
        except WebSocketDisconnect:
            return

    @app.websocket("/api/v1/stream")
    async def stream(
        websocket: WebSocket, token: str | None = None, topics: str = "alert,track,sensor_health,patrol"
    ) -> None:
        """Push for the web picture: {"topic": ..., "data": ...} for track updates, alerts, sensor health."""
        bearer = token or (websocket.headers.get("authorization") or "")[7:]
        with service.read() as session:
            user = auth.user_for_token(session, bearer, service.clock()) if bearer else None
        if user is None:
            await websocket.close(code=4401, reason="a valid token is required (?token=...)")
            return
        await websocket.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)

        deliver = outbox_deliverer(loop, outbox)
        unsubscribe = [service.bus.subscribe(t, deliver(t)) for t in topics.split(",") if t]
        try:
            receiver = asyncio.ensure_future(websocket.receive_text())
            while True:
                getter = asyncio.ensure_future(outbox.get())
                done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if receiver in done:
                    getter.cancel()
                    receiver.result()  # raises WebSocketDisconnect on close
                    receiver = asyncio.ensure_future(websocket.receive_text())
                    continue
                await websocket.send_text(orjson.dumps(getter.result()).decode())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for stop in unsubscribe:
                stop()

    # ---------------------------------------------------------------- audit

    @api.get("/audit", response_model=s.Page[s.AuditEntry], tags=["audit"])
    def list_audit(
        _: Annotated[Principal, Depends(allowed("audit.read"))],
        session: DbSession,
        actor: Annotated[str | None, Query(max_length=64)] = None,
        entity: Annotated[str | None, Query(max_length=32)] = None,
        since: Annotated[float | None, Query()] = None,
        until: Annotated[float | None, Query()] = None,
        limit: PageLimit = 100,
        offset: PageOffset = 0,
    ) -> Any:
        """The audit log, newest first."""
        query = select(AuditRow).order_by(AuditRow.seq.desc())
        if actor:
            query = query.where(AuditRow.actor == actor)
        if entity:
            query = query.where(AuditRow.entity == entity)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if until is not None:
            query = query.where(AuditRow.at < until)
        return page(session, query, s.AuditEntry, limit, offset)

    @api.get("/audit/verify", response_model=s.AuditVerdict, tags=["audit"])
    def verify_audit(_: Annotated[Principal, Depends(allowed("audit.verify"))], session: DbSession) -> Any:
        """Walk the hash chain; lists every edited or deleted entry."""
        checked, problems = audit_log.verify(session)
        return s.AuditVerdict(ok=not problems, checked=checked, problems=[str(p) for p in problems])

    app.include_router(api)
    # Ingest is the one hot route: FastAPI's routing through the API's routes and its per-request
    # dependency machinery cost about as much per request as checking its 77 records (py-spy). The same
    # handler is served by `ingest_lane` (below) ahead of the middleware, and by a plain route tried first
    # where the lane does not see the request (an app mounted under another path); the APIRoute above
    # documents it in the OpenAPI schema.
    app.router.routes.insert(0, Route(INGEST_PATH, ingest_batch, methods=["POST"]))

    async def ingest_lane(scope: Scope, receive: Receive, send: Send) -> None:
        # What the middleware stack and the routing would do for this one route, without them: the
        # app's own exception handlers answer what the handler raises (AuthError: 401/403, a store
        # error: 422, anything else: 500, logged).
        request = Request(scope, receive)
        try:
            response = await ingest_batch(request)
        except Exception as exc:
            handler = next((app.exception_handlers[kind] for kind in type(exc).__mro__
                            if kind in app.exception_handlers), None)  # fmt: skip
            if handler is None:
                raise
            answer = handler(request, exc)
            response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)

    app.ingest_lane = ingest_lane

    # ---------------------------------------------------------------- operations

    @app.get("/healthz", response_model=s.Health, tags=["operations"])
    def healthz() -> Any:
        """Liveness and readiness: the database answers and fusion is running."""
        try:
            with service.read() as session:
                session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:
            database = f"error: {type(exc).__name__}"
        return s.Health(status="ok" if database == "ok" else "degraded", database=database,
                        fusion=service.tracker is not None, fusion_queue=service.fusion_backlog())  # fmt: skip

    metrics_content = {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}

    @app.get("/metrics", tags=["operations"], response_class=Response, responses={200: {"content": metrics_content}})
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(service.registry), media_type=CONTENT_TYPE_LATEST)

    from borderwatch.api.web_routes import install_web  # the web picture; mounts the app at / last

    install_web(app, service)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from borderwatch.api.problems import fix_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)  # fmt: skip
            app.openapi_schema = fix_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class _IngestFirstAPI(FastAPI):
    """The API, with `POST /api/v1/detections` taken before FastAPI's middleware stack and routing:
    their layers (error, telemetry, body limit, exception and exit stack middleware, then matching the
    route) cost 50-85 us of CPU a request (measured with one-detection requests), and a sensor network
    posts hundreds of batches a second. Everything else goes the usual way."""

    ingest_lane: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.ingest_lane
        if lane is not None and scope["type"] == "http" and scope["path"] == INGEST_PATH and scope["method"] == "POST":
            scope["app"] = self
            await lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


INGEST_PATH = "/api/v1/detections"


def _ingest_problem(description: str) -> dict[str, Any]:
    return {"model": s.IngestProblem, "description": description, "content": {PROBLEM_MEDIA: {}}}


def _decode_items(body: bytes, content_type: str, sensor: str | None) -> Sequence[Any]:
    """The batch's items: records already checked when every item is a well-formed record from
    `sensor` (the common case, one pass), else the decoded JSON values for parse_items to judge one by
    one. ValueError when the body as a whole is unusable."""
    lines = "ndjson" in content_type or "jsonl" in content_type
    checked = fast_records(body, sensor, lines=lines)
    if checked is not None:
        if len(checked) > MAX_BATCH:
            raise ValueError(f"a batch may hold at most {MAX_BATCH:,} records, not {len(checked):,}; split it")
        return checked
    if lines:
        items: list[Any] = []
        for number, line in enumerate(body.splitlines(), 1):
            if line.strip():
                try:
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    items.append(Undecodable(f"line {number}: not JSON: {exc}"))
        if len(items) > MAX_BATCH:
            raise ValueError(f"a batch may hold at most {MAX_BATCH:,} records, not {len(items):,}; split it")
        return items
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if isinstance(decoded, dict):
        return [decoded]
    if not isinstance(decoded, list):
        raise ValueError(f"the body must be a JSON array of records, not {type(decoded).__name__}")
    if len(decoded) > MAX_BATCH:
        raise ValueError(f"a batch may hold at most {MAX_BATCH:,} records, not {len(decoded):,}; split it")
    return decoded


def _report_body(result: IngestResult) -> bytes:
    """The IngestReport of `result` as JSON, written directly: a pydantic model per request cost more
    than the rest of the reply (the problem+json path validates it through the model)."""
    return orjson.dumps({
        "received": result.received, "accepted": result.accepted, "duplicates": result.duplicates,
        "heartbeats": result.heartbeats, "ignored": result.ignored, "forbidden": result.forbidden,
        "rejected": [{"index": r.index, "reason": r.reason} for r in result.rejected],
    })  # fmt: skip


def _report(result: IngestResult) -> s.IngestReport:
    return s.IngestReport.model_validate_json(_report_body(result))


def _ingest_response(result: IngestResult, request: Request) -> Response:
    if not result.rejected:
        return Response(_report_body(result), media_type="application/json")
    report = _report(result)
    status, title = (403, "Forbidden") if result.forbidden else (422, "Unprocessable Content")
    detail = f"{len(result.rejected)} of {result.received} items refused; the other {result.accepted} were stored"
    body = s.IngestProblem(
        title=title, status=status, detail=detail, instance=str(request.url.path), report=report,
        errors=[FieldProblem(loc=["body", r.index], msg=r.reason) for r in result.rejected[:1000]],
    )  # fmt: skip
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA)
