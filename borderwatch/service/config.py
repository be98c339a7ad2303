"""Service settings: defaults, then a YAML file, then BORDERWATCH_* environment variables, then flags.

Every setting is documented in docs/service.md. May import pydantic and yaml only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ENV_PREFIX = "BORDERWATCH_"


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the source and the field."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("borderwatch-data")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    border_config: Path | None = Field(default=None, description="Border configuration; default: shipped one")
    alert_rules: Path | None = Field(default=None, description="Alert rules YAML; default: shipped rules")
    escalate_after_s: float = Field(default=120.0, gt=0, description="P1 left unacknowledged this long escalates")
    sensor_offline_after_s: float = Field(default=300.0, gt=0, description="Silence before a sensor is offline")
    retention_days: float = Field(default=30.0, gt=0, description="Detections older than this are deleted")
    token_ttl_s: float = Field(default=12 * 3600.0, gt=0)
    housekeeping_period_s: float = Field(default=1.0, gt=0, description="Escalation/offline/retention check period")
    fusion: bool = Field(default=True, description="Run the tracker on ingested detections")
    fusion_lag_s: float | None = Field(
        default=0.2,
        ge=0,
        description="Tracker reordering lag (data seconds): later detections are fused out of "
        "sequence; null: the tracker's own (1 s)",
    )
    ingest_access_log: bool = Field(
        default=False, description="Write ingest requests (POST /api/v1/detections) to the access log too"
    )
    bus_url: str = Field(default="", description="NATS JetStream server, e.g. nats://host:4222; empty: in-process")
    bus_stream: str = Field(default="BORDERWATCH", pattern=r"^[A-Za-z0-9_-]+$", description="JetStream stream name")

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'borderwatch.sqlite3').resolve()}"


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from defaults < file (`path` or $BORDERWATCH_CONFIG) < environment < overrides."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    file = path or (Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None)
    if file is not None:
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"{file}: cannot read settings: {exc}") from None
        if not isinstance(document, dict):
            raise SettingsError(f"{file}: settings must be a mapping of name: value")
        values.update(document)
    for name in Settings.model_fields:
        if ENV_PREFIX + name.upper() in env:
            values[name] = env[ENV_PREFIX + name.upper()]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"settings ({file or 'environment'}): {problems}") from None
