"""Scenario files: what to simulate (area, sensors, movers, clutter, outages, seed), validated.

A scenario is YAML; the shipped ones live in borderwatch/sim/scenarios/. Areas name the border
model's sectors or km ranges, so one scenario runs on any border configuration that has them;
with no area it covers every border line. May import: pydantic, PyYAML, geo, sensors.formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from borderwatch.geo.model import BorderModel
from borderwatch.sensors.formats import FormatError, ObjectClass, Role, parse_time


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KmRange(_Strict):
    border: str | None = Field(default=None, description="Border id; may be left out when there is one border")
    start_km: float = Field(ge=0.0)
    end_km: float = Field(gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> KmRange:
        if self.end_km <= self.start_km:
            raise ValueError(f"end_km {self.end_km} is not after start_km {self.start_km}")
        return self


class AreaSpec(_Strict):
    """Where movers appear: sectors and/or km ranges; both empty means every border line."""

    sectors: list[str] = Field(default_factory=list)
    km: list[KmRange] = Field(default_factory=list)


MoverKind = Literal["smuggler_foot", "smuggler_vehicle", "convoy", "patrol", "shepherd", "wildlife", "legit_traffic"]


class MoverGroup(_Strict):
    """A generator of movers of one kind, spread over the area (or near one crossing)."""

    kind: MoverKind
    count: int = Field(ge=0, le=100_000)
    window_s: tuple[float, float] | None = Field(
        default=None, description="Departures uniform in [a, b] seconds after the start; default the first half"
    )
    near_km: float | None = Field(default=None, description="Centre the movers on this km marker")
    near_crossing: str | None = Field(default=None, description="Centre the movers on this crossing's km marker")
    spread_km: float = Field(default=5.0, gt=0.0, description="Half-width of the stretch around near_*")
    vehicles: int = Field(default=4, ge=1, le=50, description="Convoy size")
    inbound_fraction: float = Field(default=0.7, ge=0.0, le=1.0)
    species: Literal["sheep", "camel", "dog"] = "sheep"
    speed_mps: float | None = Field(default=None, gt=0.0, le=60.0)

    @field_validator("window_s")
    @classmethod
    def _window(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0.0 <= value[0] <= value[1]:
            raise ValueError(f"window_s {list(value)} must be [a, b] with 0 <= a <= b")
        return value


class Waypoint(_Strict):
    """A route point: a km marker and offset (m, positive on the home side) or lat/lon."""

    km: float | None = None
    offset_m: float = 0.0
    border: str | None = None
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)

    @model_validator(mode="after")
    def _one_form(self) -> Waypoint:
        if (self.km is None) == (self.lat is None or self.lon is None):
            raise ValueError("give either km (with offset_m) or lat and lon")
        return self


class ScriptedRoute(_Strict):
    """One mover on a fixed route at a fixed speed."""

    truth_id: str = Field(min_length=1)
    object_class: ObjectClass = Field(alias="class")
    role: Role
    speed_mps: float = Field(ge=0.0, le=60.0)
    start_s: float = Field(default=0.0, ge=0.0)
    waypoints: list[Waypoint] = Field(min_length=1)
    dwell_s: float = Field(default=0.0, ge=0.0, description="Stay at the last waypoint this long")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScriptedOutage(_Strict):
    sensor: str
    start_s: float = Field(ge=0.0)
    duration_s: float = Field(gt=0.0)


class OutageSpec(_Strict):
    """Random sensor outages (Poisson per sensor, exponential durations) and scripted ones."""

    rate_per_hour: float = Field(default=0.02, ge=0.0)
    mean_duration_s: float = Field(default=600.0, gt=0.0)
    scripted: list[ScriptedOutage] = Field(default_factory=list)


class ClutterSpec(_Strict):
    tower_per_scan: float = Field(default=0.01, ge=0.0)
    aerostat_per_scan: float = Field(default=0.05, ge=0.0)
    ground_per_hour: float = Field(default=0.5, ge=0.0)


class Scenario(_Strict):
    """A whole scenario as read from YAML."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(ge=0)
    start: str = Field(default="2026-11-23T21:00:00Z", description="ISO 8601 UTC")
    duration_s: float = Field(gt=0.0, le=7 * 86_400.0)
    step_s: float = Field(default=1.0, gt=0.0, le=60.0)
    truth_interval_s: float = Field(default=5.0, gt=0.0)
    heartbeat_interval_s: float = Field(default=30.0, gt=0.0)
    area: AreaSpec = Field(default_factory=AreaSpec)
    sensors: list[str] = Field(
        default_factory=lambda: ["all"], description="'all', sensor types (tower, aerostat, ground) or ids"
    )
    sensors_in_area_only: bool = Field(default=True, description="Only sensors within 60 km of the area")
    clutter: ClutterSpec = Field(default_factory=ClutterSpec)
    outages: OutageSpec = Field(default_factory=OutageSpec)
    movers: list[MoverGroup] = Field(default_factory=list)
    routes: list[ScriptedRoute] = Field(default_factory=list)

    @field_validator("start")
    @classmethod
    def _utc(cls, value: str) -> str:
        try:
            parse_time(value)
        except FormatError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def start_time(self) -> float:
        return parse_time(self.start)


@dataclass(frozen=True)
class Span:
    """A stretch of one border line where movers are placed."""

    border: str
    start_km: float
    end_km: float

    @property
    def length_km(self) -> float:
        return self.end_km - self.start_km


def shipped_scenarios() -> list[str]:
    """Names of the scenarios that ship with borderwatch."""
    folder = resources.files("borderwatch.sim") / "scenarios"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario from a YAML file, or a shipped one by name (quiet-night, smuggling-surge, ...)."""
    path = Path(name_or_path)
    if path.is_file():
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        ref = resources.files("borderwatch.sim") / "scenarios" / f"{name_or_path}.yaml"
        if not ref.is_file():
            raise ScenarioError(
                f"no scenario file or shipped scenario {str(name_or_path)!r}; shipped: {', '.join(shipped_scenarios())}"
            )
        text, source = ref.read_text(encoding="utf-8"), f"scenario {name_or_path}"
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "scenario") -> Scenario:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [f"field {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ScenarioError(f"{source}: " + "; ".join(problems)) from None


def resolve_area(scenario: Scenario, model: BorderModel) -> list[Span]:
    """The scenario's area as km spans on the model's border lines; ScenarioError if it names unknowns."""
    spans: list[Span] = []
    sector_ids = {s.id: s for s in model.sectors}
    for index, ref in enumerate(scenario.area.sectors):
        if ref not in sector_ids:
            raise ScenarioError(
                f"scenario {scenario.name!r}: field area.sectors.{index}: unknown sector {ref!r}; "
                f"known: {', '.join(list(sector_ids)[:12])}{' ...' if len(sector_ids) > 12 else ''}"
            )
        sector = sector_ids[ref]
        spans.append(Span(sector.border, sector.start_km, sector.end_km))
    for index, rng in enumerate(scenario.area.km):
        spans.append(_span_of(scenario, model, rng.border, rng.start_km, rng.end_km, f"area.km.{index}"))
    if not spans:
        spans = [Span(b, 0.0, line.length_km) for b, line in model.borders.items()]
    return spans


def _span_of(scenario: Scenario, model: BorderModel, border: str | None, start: float, end: float, field: str) -> Span:
    where = f"scenario {scenario.name!r}: field {field}"
    if border is None:
        if len(model.borders) != 1:
            raise ScenarioError(f"{where}: border is required: this configuration has {list(model.borders)}")
        border = next(iter(model.borders))
    if border not in model.borders:
        raise ScenarioError(f"{where}: unknown border {border!r}; known: {list(model.borders)}")
    length = model.borders[border].length_km
    if start >= length:
        raise ScenarioError(f"{where}: start_km {start} is past the end of border {border!r} ({length:.1f} km)")
    return Span(border, start, min(end, length))
