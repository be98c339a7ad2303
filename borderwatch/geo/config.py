"""The border configuration: one versioned GeoJSON FeatureCollection, validated with pydantic.

The file is a FeatureCollection with a top-level `borderwatch` member (format version, name,
home country, defaults) and one feature per thing along the border, told apart by
`properties.kind`: border_line, sector, barrier, sensor, crossing, checkpoint, patrol_base.
docs/border-config.md is the reference. A malformed file raises ConfigError, whose message
names every bad feature (index, id, kind) and field; it never surfaces a traceback.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

CONFIG_FORMAT_VERSION = 1
DEFAULT_CONFIG_NAME = "iraq-syria"


class ConfigError(ValueError):
    """A border configuration that cannot be used; `problems` lists each one in words."""

    def __init__(self, problems: list[str], source: str = "border configuration") -> None:
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- geometry


class PointGeometry(_Strict):
    type: Literal["Point"]
    coordinates: tuple[float, float] | tuple[float, float, float]

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        _check_lon_lat(value[0], value[1])
        return value

    @property
    def lon(self) -> float:
        return self.coordinates[0]

    @property
    def lat(self) -> float:
        return self.coordinates[1]


class LineStringGeometry(_Strict):
    type: Literal["LineString"]
    coordinates: list[tuple[float, float] | tuple[float, float, float]] = Field(min_length=2)

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: list[tuple[float, ...]]) -> list[tuple[float, ...]]:
        for index, point in enumerate(value):
            try:
                _check_lon_lat(point[0], point[1])
            except ValueError as exc:
                raise ValueError(f"vertex {index}: {exc}") from None
        return value


def _check_lon_lat(lon: float, lat: float) -> None:
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} outside [-180, 180] (GeoJSON order is lon, lat)")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} outside [-90, 90] (GeoJSON order is lon, lat)")


# ---------------------------------------------------------------- properties

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Km = Annotated[float, Field(ge=0.0)]
ClassName = Literal["person", "vehicle", "animal"]
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class BorderLineProps(_Strict):
    kind: Literal["border_line"]
    id: Identifier
    neighbour: str = Field(min_length=1, description="Neighbour country, e.g. 'Syria'")
    neighbour_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    home_side: Literal["left", "right"] = Field(
        description="Side of the home country walking from km 0 towards the end of the line"
    )
    sector_length_km: float | None = Field(default=None, gt=0.5, le=500.0)
    source: str | None = None


class SectorProps(_Strict):
    kind: Literal["sector"]
    id: Identifier
    name: str = Field(min_length=1)
    border: Identifier
    start_km: Km
    end_km: Km


class BarrierProps(_Strict):
    kind: Literal["barrier"]
    id: Identifier
    barrier_type: Literal["wall", "trench", "berm", "fence"]
    border: Identifier
    start_km: Km
    end_km: Km
    offset_m: float = Field(default=0.0, ge=-5000.0, le=20000.0, description="Positive: on the home side")
    height_m: float | None = Field(default=None, ge=0.0, le=20.0)
    name: str | None = None


class DetectionRanges(_Strict):
    """Range in metres at which a sensor detects each class with probability 0.5 (clear night)."""

    person: float = Field(gt=0.0, le=60_000.0)
    vehicle: float = Field(gt=0.0, le=60_000.0)
    animal: float = Field(gt=0.0, le=60_000.0)


class TowerProps(_Strict):
    kind: Literal["sensor"]
    sensor_type: Literal["tower"]
    id: Identifier
    name: str | None = None
    height_m: float = Field(gt=0.0, le=200.0)
    ranges_m: DetectionRanges
    fov_deg: float = Field(default=360.0, gt=0.0, le=360.0)
    pan_center_deg: float = Field(default=0.0, ge=0.0, lt=360.0, description="Centre azimuth of the sector scanned")
    scan_period_s: float = Field(default=4.0, gt=0.0, le=600.0)
    sigma_range_m: float = Field(default=20.0, gt=0.0)
    sigma_bearing_deg: float = Field(default=0.15, gt=0.0)


class AerostatProps(_Strict):
    kind: Literal["sensor"]
    sensor_type: Literal["aerostat"]
    id: Identifier
    name: str | None = None
    altitude_m: float = Field(gt=0.0, le=6000.0)
    radar_range_m: float = Field(gt=0.0, le=400_000.0)
    min_speed_mps: float = Field(default=0.5, ge=0.0)
    scan_period_s: float = Field(default=5.0, gt=0.0, le=600.0)
    sigma_range_m: float = Field(default=30.0, gt=0.0)
    sigma_bearing_deg: float = Field(default=0.3, gt=0.0)


class GroundSensorProps(_Strict):
    kind: Literal["sensor"]
    sensor_type: Literal["ground"]
    id: Identifier
    name: str | None = None
    modality: Literal["seismic", "infrared", "magnetic"] = "seismic"
    radius_m: float = Field(gt=0.0, le=1000.0)


class CrossingProps(_Strict):
    kind: Literal["crossing"]
    id: Identifier
    name: str = Field(min_length=1)
    name_ar: str | None = None
    neighbour: str = Field(min_length=1)
    neighbour_name: str | None = Field(default=None, description="Name of the crossing on the far side")
    crossing_type: Literal["land", "seaport", "airport"] = "land"
    opening_hours: str | None = Field(default=None, description="'HH:MM-HH:MM' local time; absent: 24 h")
    notes: str | None = None

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None and not HHMM.match(value):
            raise ValueError(f"opening_hours {value!r} is not 'HH:MM-HH:MM'")
        return value


class CheckpointProps(_Strict):
    kind: Literal["checkpoint"]
    id: Identifier
    name: str = Field(min_length=1)


class PatrolBaseProps(_Strict):
    kind: Literal["patrol_base"]
    id: Identifier
    name: str = Field(min_length=1)
    units: int = Field(default=2, ge=0, le=100)


SensorProps = Annotated[TowerProps | AerostatProps | GroundSensorProps, Field(discriminator="sensor_type")]


# ---------------------------------------------------------------- features


class _Feature(_Strict):
    type: Literal["Feature"]
    id: str | int | None = None


class BorderLineFeature(_Feature):
    geometry: LineStringGeometry
    properties: BorderLineProps


class SectorFeature(_Feature):
    geometry: None = None
    properties: SectorProps


class BarrierFeature(_Feature):
    geometry: LineStringGeometry | None = None
    properties: BarrierProps


class SensorFeature(_Feature):
    geometry: PointGeometry
    properties: SensorProps


class CrossingFeature(_Feature):
    geometry: PointGeometry
    properties: CrossingProps


class CheckpointFeature(_Feature):
    geometry: PointGeometry
    properties: CheckpointProps


class PatrolBaseFeature(_Feature):
    geometry: PointGeometry
    properties: PatrolBaseProps


FEATURE_TYPES: dict[str, type[_Feature]] = {
    "border_line": BorderLineFeature,
    "sector": SectorFeature,
    "barrier": BarrierFeature,
    "sensor": SensorFeature,
    "crossing": CrossingFeature,
    "checkpoint": CheckpointFeature,
    "patrol_base": PatrolBaseFeature,
}

AnyFeature = (
    BorderLineFeature
    | SectorFeature
    | BarrierFeature
    | SensorFeature
    | CrossingFeature
    | CheckpointFeature
    | PatrolBaseFeature
)


class ConfigHeader(_Strict):
    version: Literal[1] = Field(description="Format version of the border configuration")
    name: str = Field(min_length=1)
    home_country: str = Field(min_length=1)
    home_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    sector_length_km: float = Field(default=25.0, gt=0.5, le=500.0)
    max_sensor_offset_km: float = Field(default=60.0, gt=0.0, le=1000.0)
    max_crossing_offset_km: float = Field(default=15.0, gt=0.0, le=1000.0)
    description: str | None = None
    illustrative: bool = Field(default=False, description="True when the sensor layout is not a real deployment")


class BorderConfig(BaseModel):
    """A validated border configuration: the header and the features by kind."""

    model_config = ConfigDict(frozen=True)

    header: ConfigHeader
    border_lines: list[BorderLineFeature]
    sectors: list[SectorFeature]
    barriers: list[BarrierFeature]
    sensors: list[SensorFeature]
    crossings: list[CrossingFeature]
    checkpoints: list[CheckpointFeature]
    patrol_bases: list[PatrolBaseFeature]
    source: str = "border configuration"

    def features(self) -> list[AnyFeature]:
        return [
            *self.border_lines,
            *self.sectors,
            *self.barriers,
            *self.sensors,
            *self.crossings,
            *self.checkpoints,
            *self.patrol_bases,
        ]

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "borderwatch": self.header.model_dump(exclude_none=True),
            "features": [f.model_dump(exclude_none=True) for f in self.features()],
        }


def _describe(index: int, raw: Any) -> str:
    props = raw.get("properties") if isinstance(raw, dict) else None
    props = props if isinstance(props, dict) else {}
    ident = props.get("id", "?")
    kind = props.get("kind", "?")
    extra = f"/{props['sensor_type']}" if kind == "sensor" and "sensor_type" in props else ""
    return f"feature #{index} {ident!r} ({kind}{extra})"


def _field_errors(error: ValidationError) -> list[str]:
    out = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        out.append(f"field {loc or '(whole)'}: {item['msg']}")
    return out


def parse_config(document: Any, source: str = "border configuration") -> BorderConfig:
    """Validate a decoded configuration document (feature by feature, every problem listed)."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ConfigError(["the document is not a GeoJSON FeatureCollection"], source)
    problems: list[str] = []
    header: ConfigHeader | None = None
    try:
        header = ConfigHeader.model_validate(document.get("borderwatch"))
    except ValidationError as exc:
        problems += [f"header 'borderwatch': {msg}" for msg in _field_errors(exc)]
    raw_features = document.get("features")
    if not isinstance(raw_features, list):
        raise ConfigError([*problems, "'features' is not a list"], source)

    grouped: dict[str, list[Any]] = {kind: [] for kind in FEATURE_TYPES}
    seen_ids: dict[str, int] = {}
    for index, raw in enumerate(raw_features):
        where = _describe(index, raw)
        kind = raw.get("properties", {}).get("kind") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
            problems.append(f"{where}: field properties: missing or not an object")
            continue
        if kind not in FEATURE_TYPES:
            problems.append(
                f"{where}: field properties.kind: unknown type {kind!r}; expected one of {sorted(FEATURE_TYPES)}"
            )
            continue
        try:
            feature = TypeAdapter(FEATURE_TYPES[kind]).validate_python(raw)
        except ValidationError as exc:
            problems += [f"{where}: {msg}" for msg in _field_errors(exc)]
            continue
        ident = feature.properties.id  # type: ignore[attr-defined]
        if ident in seen_ids:
            problems.append(f"{where}: field properties.id: duplicate id, also used by feature #{seen_ids[ident]}")
            continue
        seen_ids[ident] = index
        grouped[kind].append(feature)
    if problems or header is None:
        raise ConfigError(problems, source)
    if not grouped["border_line"]:
        raise ConfigError(["the configuration has no border_line feature"], source)
    return BorderConfig(
        header=header,
        border_lines=grouped["border_line"],
        sectors=grouped["sector"],
        barriers=grouped["barrier"],
        sensors=grouped["sensor"],
        crossings=grouped["crossing"],
        checkpoints=grouped["checkpoint"],
        patrol_bases=grouped["patrol_base"],
        source=source,
    )


def load_config(path: str | Path | None = None) -> BorderConfig:
    """Read and validate a configuration file; None means the default that ships."""
    target = Path(path) if path is not None else default_config_path()
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"file not found: {target}"], str(target)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"not valid JSON: {exc}"], str(target)) from None
    return parse_config(document, str(target))


def default_config_path(name: str = DEFAULT_CONFIG_NAME) -> Path:
    """Path of a configuration that ships in the package (`iraq-syria`, `iraq`)."""
    return Path(str(resources.files("borderwatch.geo") / "data" / f"{name}.geojson"))
