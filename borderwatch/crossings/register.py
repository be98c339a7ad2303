"""The register of the blue border: official crossings, shifts, officers and transits.

Lives here: `Crossing` (from the border configuration), `Shift`, `Traveller`, `Vehicle`,
`CargoLine`, `Transit`, and `read_transits()` which validates raw records (dicts, as from JSON
Lines or a customs export) and keeps the good ones. Domain types do no I/O.
May import the standard library, `geo` and the other `crossings` domain modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from borderwatch.crossings.plates import Plate, PlateError, normalise_plate
from borderwatch.crossings.problems import ImportResult, RecordError, RecordProblem
from borderwatch.crossings.screening.watchlist import check_dob
from borderwatch.crossings.tariff import TariffSchedule, check_hs_code
from borderwatch.geo.model import BorderModel

Direction = Literal["entry", "exit"]
MAX_VALUE = 5e11  # IQD; more than any one truck load (about 350 million USD)
NIGHT_FROM_HOUR = 18  # the after-hours shift: from 18:00 until the day shift opens


@dataclass(frozen=True, slots=True)
class Crossing:
    """An official crossing: land crossing with its neighbour, seaport or airport."""

    id: str
    name: str
    name_ar: str | None
    neighbour: str | None
    crossing_type: str
    opening_hours: str | None  # 'HH:MM-HH:MM'; None: 24 h

    def is_open(self, when: datetime) -> bool:
        if not self.opening_hours:
            return True
        start, end = self.opening_hours.split("-")
        t = when.strftime("%H:%M")
        return start <= t < end


def crossings_from_model(model: BorderModel) -> dict[str, Crossing]:
    """The official crossings of a border configuration, by id."""
    out: dict[str, Crossing] = {}
    for feature in model.crossings:
        p = feature.properties
        out[p.id] = Crossing(p.id, p.name, p.name_ar, p.neighbour, p.crossing_type, p.opening_hours)
    return out


def shift_of(when: datetime) -> str:
    """'day' (06:00-18:00) or 'night': the shift an officer's duty is booked on."""
    return "day" if 6 <= when.hour < NIGHT_FROM_HOUR else "night"


@dataclass(frozen=True, slots=True)
class Traveller:
    name: str
    name_ar: str | None = None
    document_number: str | None = None
    nationality: str | None = None
    dob: str | None = None


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str  # as written
    normalised: Plate | None  # None for a foreign plate


@dataclass(frozen=True, slots=True)
class CargoLine:
    hs_code: str
    description: str
    quantity: float
    unit: str
    declared_value: float
    origin: str | None = None
    expiry: date | None = None


@dataclass(frozen=True, slots=True)
class Transit:
    """One passage through a crossing, with what was declared, assessed and collected."""

    id: str
    crossing: str
    time: datetime
    direction: Direction
    officer: str
    travellers: tuple[Traveller, ...] = ()
    vehicle: Vehicle | None = None
    company: str | None = None
    cargo: tuple[CargoLine, ...] = ()
    duty_assessed: float = 0.0
    duty_collected: float = 0.0
    receipt: str | None = None
    shift: str = field(default="")

    def expected_duty(self, tariff: TariffSchedule) -> float:
        if self.direction == "exit":
            return 0.0
        return sum(tariff.expected_duty(line.hs_code, line.declared_value) for line in self.cargo)


def _num(raw: Mapping[str, Any], key: str, field_name: str, lo: float = 0.0, hi: float = MAX_VALUE) -> float:
    value = raw.get(key, 0)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(field_name, f"{value!r} is not a number") from None
    if number != number or not lo <= number <= hi:
        raise RecordError(field_name, f"{value!r} is outside [{lo:g}, {hi:g}]")
    return number


def parse_transit(raw: Mapping[str, Any], crossings: Mapping[str, Crossing]) -> Transit:
    """One transit from a raw record, or a RecordError naming the field."""
    tid = str(raw.get("id") or "").strip()
    if not tid:
        raise RecordError("id", "is missing")
    crossing = str(raw.get("crossing") or "")
    if crossing not in crossings:
        raise RecordError("crossing", f"{crossing!r} is not an official crossing")
    try:
        when = datetime.fromisoformat(str(raw.get("time")))
    except ValueError:
        raise RecordError("time", f"{raw.get('time')!r} is not an ISO date-time") from None
    if not 2000 <= when.year <= date.today().year + 1:
        raise RecordError("time", f"{raw.get('time')!r} is an impossible date")
    direction = raw.get("direction")
    if direction not in ("entry", "exit"):
        raise RecordError("direction", f"{direction!r} is not 'entry' or 'exit'")
    officer = str(raw.get("officer") or "").strip()
    if not officer:
        raise RecordError("officer", "is missing")
    travellers = []
    for i, t in enumerate(raw.get("travellers") or []):
        if not isinstance(t, Mapping) or not str(t.get("name") or "").strip():
            raise RecordError(f"travellers[{i}].name", "is missing")
        dob = check_dob(str(t["dob"]), f"travellers[{i}].dob") if t.get("dob") else None
        travellers.append(
            Traveller(str(t["name"]), t.get("name_ar"), t.get("document_number"), t.get("nationality"), dob)
        )
    vehicle = None
    if raw.get("plate"):
        plate = str(raw["plate"])
        try:
            vehicle = Vehicle(plate, normalise_plate(plate))
        except PlateError as exc:
            if raw.get("plate_country", "IQ") == "IQ":
                raise RecordError("plate", str(exc)) from None
            vehicle = Vehicle(plate, None)
    cargo = []
    for i, line in enumerate(raw.get("cargo") or []):
        if not isinstance(line, Mapping):
            raise RecordError(f"cargo[{i}]", "is not an object")
        expiry = None
        if line.get("expiry"):
            try:
                expiry = date.fromisoformat(str(line["expiry"]))
            except ValueError:
                raise RecordError(f"cargo[{i}].expiry", f"{line['expiry']!r} is not a date") from None
        cargo.append(
            CargoLine(
                check_hs_code(str(line.get("hs_code", "")), f"cargo[{i}].hs_code"),
                str(line.get("description", "")),
                _num(line, "quantity", f"cargo[{i}].quantity", 0.0, 1e7),
                str(line.get("unit", "kg")),
                _num(line, "declared_value", f"cargo[{i}].declared_value"),
                line.get("origin"),
                expiry,
            )
        )
    return Transit(
        tid,
        crossing,
        when,
        direction,
        officer,
        tuple(travellers),
        vehicle,
        raw.get("company"),
        tuple(cargo),
        _num(raw, "duty_assessed", "duty_assessed"),
        _num(raw, "duty_collected", "duty_collected"),
        raw.get("receipt"),
        shift_of(when),
    )


def read_transits(records: Iterable[Mapping[str, Any]], crossings: Mapping[str, Crossing]) -> ImportResult[Transit]:
    """Every record that validates, and a `RecordProblem` (with its 1-based line) for each that does not."""
    numbered: list[tuple[int, Mapping[str, Any] | RecordProblem]] = [
        (line, raw if isinstance(raw, Mapping) else RecordProblem(line, f"line {line}", "record", "is not an object"))
        for line, raw in enumerate(records, start=1)
    ]
    return validate_numbered_transits(numbered, crossings)


def validate_numbered_transits(
    records: Iterable[tuple[int, Mapping[str, Any] | RecordProblem]], crossings: Mapping[str, Crossing]
) -> ImportResult[Transit]:
    """Validate (line, record) pairs; records a reader already refused pass through as problems."""
    result: ImportResult[Transit] = ImportResult()
    seen: set[str] = set()
    for line, raw in records:
        if isinstance(raw, RecordProblem):
            result.problems.append(raw)
            continue
        record = str(raw.get("id") or f"line {line}")
        try:
            transit = parse_transit(raw, crossings)
            if transit.id in seen:
                raise RecordError("id", f"{transit.id!r} appears twice")
        except RecordError as exc:
            result.problems.append(RecordProblem(line, record, exc.field, exc.message))
            continue
        seen.add(transit.id)
        result.records.append(transit)
    return result
