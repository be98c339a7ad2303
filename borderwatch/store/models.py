"""The operations store's tables as SQLAlchemy 2 declarative models (one module, one metadata).

Rows only: no sessions, no engines, no business rules. May import sqlalchemy and nothing else of
borderwatch. Times named `time`/`*_time` are sensor (scenario) time; `*_at` are wall-clock POSIX
seconds on the service's own clock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DetectionRow(Base):
    """One accepted detection, as the sensor reported it; kept for the retention period."""

    __tablename__ = "detections"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    sensor_id: Mapped[str] = mapped_column(String(64), index=True)
    time: Mapped[float] = mapped_column(Float, index=True)
    object_class: Mapped[str] = mapped_column(String(16))
    class_conf: Mapped[float] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    sigma_m: Mapped[float | None] = mapped_column(Float)
    range_m: Mapped[float | None] = mapped_column(Float)
    bearing_deg: Mapped[float | None] = mapped_column(Float)
    sigma_range_m: Mapped[float | None] = mapped_column(Float)
    sigma_bearing_deg: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    received_at: Mapped[float] = mapped_column(Float, index=True)


class SensorKeyRow(Base):
    """An API key issued to one sensor; only its SHA-256 is stored."""

    __tablename__ = "sensor_keys"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sensor_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SensorHealthRow(Base):
    """When each sensor was last heard from and whether it is considered offline."""

    __tablename__ = "sensor_health"
    sensor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_heard_at: Mapped[float] = mapped_column(Float)
    last_time: Mapped[float] = mapped_column(Float)
    detections: Mapped[int] = mapped_column(Integer, default=0)
    heartbeats: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str | None] = mapped_column(String(64))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)


class TrackRow(Base):
    """The latest state of a fused track."""

    __tablename__ = "tracks"
    track_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_time: Mapped[float] = mapped_column(Float)
    time: Mapped[float] = mapped_column(Float, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    object_class: Mapped[str] = mapped_column(String(16))
    class_prob: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float] = mapped_column(Float)
    heading_deg: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), index=True)
    sector: Mapped[str | None] = mapped_column(String(64), index=True)
    km: Mapped[float | None] = mapped_column(Float)


class TrackPointRow(Base):
    """One point of a track's history."""

    __tablename__ = "track_points"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    track_id: Mapped[str] = mapped_column(String(64), index=True)
    time: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float] = mapped_column(Float)
    heading_deg: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))


class EventRow(Base):
    """A border event from the fusion engine (crossing, breach, loitering, ...)."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    time: Mapped[float] = mapped_column(Float, index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    track_ids: Mapped[list[str]] = mapped_column(JSON)
    object_class: Mapped[str | None] = mapped_column(String(16))
    class_prob: Mapped[float | None] = mapped_column(Float)
    sector: Mapped[str | None] = mapped_column(String(64), index=True)
    km: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    alert_id: Mapped[int | None] = mapped_column(Integer, index=True)


class AlertRow(Base):
    """An alert and where it stands in its lifecycle; one open alert per (track, type)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    priority: Mapped[str] = mapped_column(String(2), index=True)
    rule: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), index=True)
    dedup_key: Mapped[str] = mapped_column(String(160), index=True)
    track_ids: Mapped[list[str]] = mapped_column(JSON)
    event_ids: Mapped[list[str]] = mapped_column(JSON)
    object_class: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str | None] = mapped_column(String(16))
    group_size: Mapped[int] = mapped_column(Integer, default=1)
    sector: Mapped[str | None] = mapped_column(String(64), index=True)
    km: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    first_time: Mapped[float] = mapped_column(Float, index=True)
    last_time: Mapped[float] = mapped_column(Float)
    updates: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[float] = mapped_column(Float)
    state_since: Mapped[float] = mapped_column(Float)
    seconds_in_state: Mapped[dict[str, Any]] = mapped_column(JSON)
    patrol_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[float | None] = mapped_column(Float)


class AlertTransitionRow(Base):
    """One step of an alert's lifecycle: who moved it, when, and how long it sat before."""

    __tablename__ = "alert_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(64))
    seconds_in_previous: Mapped[float | None] = mapped_column(Float)


class PatrolRow(Base):
    """A patrol unit: where it is and whether it can be sent."""

    __tablename__ = "patrols"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    base_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    alert_id: Mapped[int | None] = mapped_column(Integer)


class UserRow(Base):
    """A person who signs in; the password is stored as an argon2 hash only."""

    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[float] = mapped_column(Float)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class TokenRow(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class AuditRow(Base):
    """One entry of the hash-chained audit log; `seq` is dense so a deleted entry leaves a gap."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


Index("ix_alerts_open", AlertRow.dedup_key, AlertRow.state)
