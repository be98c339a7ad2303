"""Pydantic models at the API boundary: what each endpoint takes and returns (the OpenAPI contract)."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from borderwatch.alerts.lifecycle import Outcome
from borderwatch.api.problems import Problem
from borderwatch.service.auth import Role

T = TypeVar("T")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last page")


class Alert(_Out):
    id: int
    type: str
    priority: str
    rule: str
    state: str
    track_ids: list[str]
    event_ids: list[str]
    object_class: str | None
    direction: str | None
    group_size: int
    sector: str | None
    km: float | None
    lat: float | None
    lon: float | None
    first_time: float
    last_time: float
    updates: int
    created_at: float
    state_since: float
    seconds_in_state: dict[str, float]
    patrol_id: str | None
    outcome: str | None
    note: str | None
    escalation_level: int
    escalated_at: float | None


class AlertTransition(_Out):
    from_state: str | None
    to_state: str
    at: float
    actor: str
    seconds_in_previous: float | None


class AlertDetail(Alert):
    transitions: list[AlertTransition]


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000)


class Dispatch(Note):
    patrol_id: str = Field(min_length=1, max_length=64)


class Resolve(Note):
    outcome: Outcome


class Track(_Out):
    track_id: str
    first_time: float
    time: float
    lat: float
    lon: float
    object_class: str
    class_prob: float
    speed_mps: float
    heading_deg: float
    status: str
    sector: str | None
    km: float | None


class TrackPoint(_Out):
    time: float
    lat: float
    lon: float
    speed_mps: float
    heading_deg: float
    status: str


class TrackDetail(Track):
    history: list[TrackPoint]


class Event(_Out):
    event_id: str
    type: str
    time: float
    lat: float | None
    lon: float | None
    track_ids: list[str]
    object_class: str | None
    class_prob: float | None
    sector: str | None
    km: float | None
    direction: str | None
    details: dict[str, Any]
    alert_id: int | None


class StoredDetection(_Out):
    id: str
    sensor_id: str
    time: float
    object_class: str
    class_conf: float
    lat: float | None
    lon: float | None
    sigma_m: float | None
    range_m: float | None
    bearing_deg: float | None
    received_at: float


class Patrol(_Out):
    id: str
    name: str
    base_id: str | None
    state: str
    lat: float
    lon: float
    updated_at: float
    alert_id: int | None


class SuggestedPatrol(Patrol):
    distance_m: float


class PatrolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=128)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    base_id: str | None = Field(default=None, max_length=64)


class PatrolUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    state: Literal["available", "off_duty"] | None = None


class Checkpoint(BaseModel):
    id: str
    name: str
    lat: float
    lon: float
    sector: str
    km: float


class SensorHealth(BaseModel):
    sensor_id: str
    last_heard_at: float
    last_time: float
    detections: int
    heartbeats: int
    status: str | None
    offline: bool
    rate_per_s: float


class SensorKey(BaseModel):
    sensor_id: str
    key: str = Field(description="Shown once; send it as the X-Sensor-Key header")


class User(_Out):
    username: str
    role: str
    created_at: float
    disabled: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    password: str = Field(min_length=8, max_length=256)


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: float
    role: str


class AuditEntry(_Out):
    seq: int
    at: float
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditVerdict(BaseModel):
    ok: bool
    checked: int
    problems: list[str]


class Rejected(BaseModel):
    index: int
    reason: str


class IngestReport(BaseModel):
    received: int
    accepted: int
    duplicates: int
    heartbeats: int
    ignored: int
    forbidden: int
    rejected: list[Rejected]


class IngestProblem(Problem):
    """A batch with bad or foreign items: the good items were kept and are counted here."""

    report: IngestReport | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    fusion: bool
    fusion_queue: int
