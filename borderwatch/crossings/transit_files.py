"""Transit files in, the analytics table out: JSON Lines, CSV and Parquet adapters around
`register.read_transits()`, and the atomic write of what was imported.

Lives here: `read_transit_file()` (by suffix: .jsonl/.ndjson, .csv, .parquet), `transits_table()`
(validated transits as the Arrow table the revenue analytics and selectivity read) and
`import_transits()` (read, validate, write the good records to Parquet through a temporary file,
so that an interrupted import leaves nothing half-written). Bad records are reported with their
line (CSV, JSON Lines) or row (Parquet) number and the field; the good ones are kept.

CSV and flat Parquet have one row per cargo line; consecutive rows with the same `id` are one
transit. Columns: id, time, crossing, direction, officer, plate, plate_country, company,
duty_assessed, duty_collected, receipt, traveller_name, traveller_name_ar, traveller_dob,
traveller_document, traveller_nationality, hs_code, description, quantity, unit, declared_value,
origin, expiry. JSON Lines and nested Parquet carry `travellers` and `cargo` as lists of objects.
May import pyarrow and the `crossings` domain modules.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from borderwatch.crossings.problems import CrossingsError, ImportResult, RecordProblem
from borderwatch.crossings.register import Crossing, Transit, validate_numbered_transits
from borderwatch.crossings.screening.watchlist import decode_text
from borderwatch.crossings.tariff import TariffSchedule

_TRAVELLER = {
    "traveller_name": "name",
    "traveller_name_ar": "name_ar",
    "traveller_dob": "dob",
    "traveller_document": "document_number",
    "traveller_nationality": "nationality",
}
_CARGO = ("hs_code", "description", "quantity", "unit", "declared_value", "origin", "expiry")
_TRANSIT: tuple[str, ...] = ("id", "time", "crossing", "direction", "officer", "plate", "plate_country")
_TRANSIT += ("company", "duty_assessed", "duty_collected", "receipt")
REQUIRED_COLUMNS = ("id", "time", "crossing", "direction", "officer")
TABLE_SCHEMA = pa.schema(
    [
        ("transit_id", pa.string()),
        ("crossing", pa.string()),
        ("time", pa.timestamp("s")),
        ("day", pa.int32()),
        ("hour", pa.int8()),
        ("shift", pa.string()),
        ("officer", pa.string()),
        ("direction", pa.string()),
        ("hs_code", pa.string()),
        ("description", pa.string()),
        ("origin", pa.string()),
        ("weight_kg", pa.float64()),
        ("declared_value", pa.float64()),
        ("days_to_expiry", pa.int32()),
        ("expected_duty", pa.float64()),
        ("duty_assessed", pa.float64()),
        ("duty_collected", pa.float64()),
    ]
)


def read_transit_file(path: str | Path, crossings: Mapping[str, Crossing]) -> ImportResult[Transit]:
    """The transits of a JSON Lines, CSV or Parquet file that validate, and the problems of the rest."""
    path = Path(path)
    if not path.exists():
        raise CrossingsError(f"{path}: no such transit file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return validate_numbered_transits(_json_lines(decode_text(path.read_bytes(), str(path))), crossings)
    if suffix == ".csv":
        return validate_numbered_transits(_csv_records(decode_text(path.read_bytes(), str(path)), str(path)), crossings)
    if suffix == ".parquet":
        return validate_numbered_transits(_parquet_records(path), crossings)
    raise CrossingsError(f"{path}: transit files are .jsonl, .csv or .parquet, not {suffix or 'no suffix'}")


def _json_lines(text: str) -> Iterator[tuple[int, Mapping[str, Any] | RecordProblem]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, RecordProblem(line_no, f"line {line_no}", "json", f"not valid JSON: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            yield line_no, RecordProblem(line_no, f"line {line_no}", "record", "is not a JSON object")
            continue
        yield line_no, obj


def _csv_records(text: str, source: str) -> Iterator[tuple[int, Mapping[str, Any] | RecordProblem]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise CrossingsError(f"{source}: missing column(s) {', '.join(missing)}")
    rows: list[tuple[int, Mapping[str, Any] | RecordProblem]] = []
    for row in reader:
        if None in row:  # more cells than the header names
            line = reader.line_num
            rows.append((line, RecordProblem(line, str(row.get("id") or f"line {line}"), "row", "has extra cells")))
            continue
        rows.append((reader.line_num, {k.strip(): v for k, v in row.items() if k is not None}))
    yield from _group_flat(rows)


def _parquet_records(path: Path) -> Iterator[tuple[int, Mapping[str, Any] | RecordProblem]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CrossingsError(f"{path}: not a readable Parquet file: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise CrossingsError(f"{path}: missing column(s) {', '.join(missing)}")
    rows = [(i, _plain(row)) for i, row in enumerate(table.to_pylist(), start=1)]
    if "cargo" in table.column_names or "travellers" in table.column_names:
        yield from rows  # nested: one row per transit
    else:
        yield from _group_flat(rows)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Parquet values as the parser reads them (timestamps as ISO text)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _group_flat(
    rows: Sequence[tuple[int, Mapping[str, Any] | RecordProblem]],
) -> Iterator[tuple[int, Mapping[str, Any] | RecordProblem]]:
    """Flat rows (one per cargo line) as nested transit records; consecutive rows of one id merge."""
    current: dict[str, Any] | None = None
    start = 0
    for line, row in rows:
        if isinstance(row, RecordProblem):
            if current is not None:
                yield start, current
                current = None
            yield line, row
            continue
        cells = {k: v for k, v in row.items() if v is not None and str(v).strip() != ""}
        if current is not None and cells.get("id") == current.get("id"):
            _add_flat(current, cells)
            continue
        if current is not None:
            yield start, current
        current = {k: cells[k] for k in _TRANSIT if k in cells}
        current["travellers"], current["cargo"] = [], []
        _add_flat(current, cells)
        start = line
    if current is not None:
        yield start, current


def _add_flat(record: dict[str, Any], cells: Mapping[str, Any]) -> None:
    traveller = {_TRAVELLER[k]: cells[k] for k in _TRAVELLER if k in cells}
    if traveller and traveller not in record["travellers"]:
        record["travellers"].append(traveller)
    cargo = {k: cells[k] for k in _CARGO if k in cells}
    if cargo:
        record["cargo"].append(cargo)


def transits_table(transits: Sequence[Transit], tariff: TariffSchedule) -> pa.Table:
    """The analytics table of validated transits (the columns `generate_transits()` writes, less the
    ground truth): one row per transit, its first cargo line standing for the load."""
    first_day = min((t.time.date() for t in transits), default=None)
    cols: dict[str, list[Any]] = {name: [] for name in TABLE_SCHEMA.names}
    for t in transits:
        line = t.cargo[0] if t.cargo else None
        cols["transit_id"].append(t.id)
        cols["crossing"].append(t.crossing)
        cols["time"].append(t.time.replace(tzinfo=None))
        cols["day"].append((t.time.date() - first_day).days if first_day else 0)
        cols["hour"].append(t.time.hour)
        cols["shift"].append(t.shift)
        cols["officer"].append(t.officer)
        cols["direction"].append(t.direction)
        cols["hs_code"].append(line.hs_code if line else None)
        cols["description"].append(line.description if line else None)
        cols["origin"].append(line.origin if line else None)
        cols["weight_kg"].append(sum(c.quantity for c in t.cargo if c.unit == "kg"))
        cols["declared_value"].append(sum(c.declared_value for c in t.cargo))
        cols["days_to_expiry"].append(min(((c.expiry - t.time.date()).days for c in t.cargo if c.expiry), default=9999))
        cols["expected_duty"].append(t.expected_duty(tariff))
        cols["duty_assessed"].append(t.duty_assessed)
        cols["duty_collected"].append(t.duty_collected)
    table = pa.table(cols, schema=TABLE_SCHEMA)
    for name in ("crossing", "shift", "officer", "direction", "hs_code", "origin"):
        table = table.set_column(table.column_names.index(name), name, table.column(name).dictionary_encode())
    return table


def import_transits(
    source: str | Path, destination: str | Path, crossings: Mapping[str, Crossing], tariff: TariffSchedule
) -> ImportResult[Transit]:
    """Read and validate a transit file and write the good transits' table to `destination` (Parquet).

    The table is written to a temporary file beside the destination and renamed over it at the
    end: an import that fails leaves the destination as it was."""
    result = read_transit_file(source, crossings)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    os.close(fd)
    try:
        pq.write_table(transits_table(result.records, tariff), tmp)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
