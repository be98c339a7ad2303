"""Watchlists: listed people, vehicles and companies, and their import from CSV and FollowTheMoney.

Lives here: `WatchlistEntry`, `Watchlist`, `read_watchlist_csv()` (columns id,name,aliases,dob,
doc_number; aliases separated by ';') and `read_ftm_jsonl()` (FollowTheMoney entities, one JSON
object a line, as OpenSanctions publishes them). Bad rows are reported with their line numbers;
the good ones are kept. Imports the standard library and `crossings.problems`, `crossings.plates`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from borderwatch.crossings.plates import PlateError, normalise_plate
from borderwatch.crossings.problems import CrossingsError, ImportResult, RecordError, RecordProblem

EntityKind = Literal["person", "vehicle", "company"]
CSV_COLUMNS = ("id", "name", "aliases", "dob", "doc_number")
_FTM_KINDS: dict[str, EntityKind] = {
    "Person": "person",
    "Vehicle": "vehicle",
    "Company": "company",
    "Organization": "company",
    "LegalEntity": "company",
    "PublicBody": "company",
    "Vessel": "vehicle",
    "Airplane": "vehicle",
}
_DOC_PROPS = ("passportNumber", "idNumber", "taxNumber", "registrationNumber", "innCode", "imoNumber")
_DOB = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """One listed person, vehicle or company. `dob` is ISO, possibly only 'YYYY' or 'YYYY-MM'."""

    id: str
    kind: EntityKind
    names: tuple[str, ...]
    dob: tuple[str, ...] = ()
    doc_numbers: tuple[str, ...] = ()
    nationality: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    source: str = ""

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass(slots=True)
class Watchlist:
    """The entries of one or more imported lists."""

    entries: list[WatchlistEntry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[WatchlistEntry]:
        return iter(self.entries)


def normalise_doc(number: str) -> str:
    """A document number as compared: upper-case letters and digits only (A-123 456 -> A123456)."""
    return re.sub(r"[^0-9A-Z]", "", number.upper().translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))


def check_dob(value: str, field_name: str = "dob") -> str:
    """An ISO date of birth (YYYY, YYYY-MM or YYYY-MM-DD) that exists, or a RecordError."""
    value = value.strip()
    if not _DOB.match(value):
        raise RecordError(field_name, f"{value!r} is not YYYY-MM-DD (or YYYY-MM, YYYY)")
    year = int(value[:4])
    if not 1900 <= year <= date.today().year:
        raise RecordError(field_name, f"year {year} is impossible for a date of birth")
    if len(value) == 10:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise RecordError(field_name, f"{value!r} is not a calendar date") from None
    return value


def decode_text(data: bytes, source: str) -> str:
    """The text of a watchlist file: UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1256."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1256")  # the Arabic Windows code page, common in exports from Iraq
        except UnicodeDecodeError:
            raise CrossingsError(f"{source}: unknown encoding (not UTF-8, UTF-16 or Windows-1256): {exc}") from None
        if not any("\u0600" <= ch <= "\u06ff" for ch in text):
            raise CrossingsError(f"{source}: unknown encoding (not UTF-8; byte {exc.start} is invalid)") from None
        return text


def read_watchlist_csv(path: str | Path, kind: EntityKind = "person") -> ImportResult[WatchlistEntry]:
    """Entries from a CSV with the columns id,name,aliases,dob,doc_number (aliases split on ';')."""
    path = Path(path)
    return parse_watchlist_csv(decode_text(path.read_bytes(), str(path)), str(path), kind)


def parse_watchlist_csv(
    text: str, source: str = "watchlist", kind: EntityKind = "person"
) -> ImportResult[WatchlistEntry]:
    reader = csv.reader(io.StringIO(text))
    result: ImportResult[WatchlistEntry] = ImportResult()
    header = next(reader, None)
    if header is None:
        raise CrossingsError(f"{source}: empty file")
    columns = [c.strip().lower() for c in header]
    missing = [c for c in ("id", "name") if c not in columns]
    if missing:
        raise CrossingsError(f"{source}: missing column(s) {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}")
    col = {name: columns.index(name) for name in CSV_COLUMNS if name in columns}
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        record = row[col["id"]].strip() if len(row) > col["id"] else f"line {line}"
        try:
            if len(row) != len(columns):
                raise RecordError("row", f"has {len(row)} cells, the header has {len(columns)}")
            get = {name: row[i].strip() for name, i in col.items()}
            if not get["id"]:
                raise RecordError("id", "is empty")
            if get["id"] in seen:
                raise RecordError("id", f"{get['id']!r} appears twice")
            if not get["name"]:
                raise RecordError("name", "is empty")
            aliases = tuple(a.strip() for a in get.get("aliases", "").split(";") if a.strip())
            dob = (check_dob(get["dob"]),) if get.get("dob") else ()
            docs = tuple(normalise_doc(d) for d in get.get("doc_number", "").split(";") if normalise_doc(d))
            entry = _make_entry(get["id"], kind, (get["name"], *aliases), dob, docs, source=source)
        except RecordError as exc:
            result.problems.append(RecordProblem(line, record, exc.field, exc.message))
            continue
        seen.add(entry.id)
        result.records.append(entry)
    return result


def _make_entry(
    entity_id: str,
    kind: EntityKind,
    names: tuple[str, ...],
    dob: tuple[str, ...],
    docs: tuple[str, ...],
    nationality: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
    source: str = "",
) -> WatchlistEntry:
    if kind == "vehicle":
        plates: list[str] = []
        for name in names:
            try:
                plates.append(normalise_plate(name).latin)
            except PlateError:
                plates.append(name.strip())  # a foreign plate stays as written, compared exactly
        names = tuple(plates)
    return WatchlistEntry(entity_id, kind, names, dob, docs, nationality, topics, source)


def read_ftm_jsonl(path: str | Path) -> ImportResult[WatchlistEntry]:
    """Entries from FollowTheMoney entities, one JSON object a line (OpenSanctions' entities.ftm.json)."""
    path = Path(path)
    return parse_ftm_lines(decode_text(path.read_bytes(), str(path)).splitlines(), str(path))


def parse_ftm_lines(lines: Iterable[str], source: str = "ftm") -> ImportResult[WatchlistEntry]:
    result: ImportResult[WatchlistEntry] = ImportResult()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = f"line {line_no}"
        try:
            try:
                obj: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError("json", f"not valid JSON: {exc.msg} at column {exc.colno}") from None
            if not isinstance(obj, dict):
                raise RecordError("json", "is not a JSON object")
            record = str(obj.get("id") or record)
            schema = obj.get("schema")
            if not isinstance(schema, str) or not schema:
                raise RecordError("schema", "is missing")
            kind = _FTM_KINDS.get(schema)
            if kind is None:
                continue  # addresses, sanctions, ownership links: not something a crossing screens
            if not obj.get("id"):
                raise RecordError("id", "is missing")
            props = obj.get("properties") or {}
            if not isinstance(props, dict):
                raise RecordError("properties", "is not an object")
            names = _strings(props, "name", "alias", "weakAlias", "previousName")
            if kind == "vehicle":
                names = _strings(props, "registrationNumber") or names
            if not names:
                raise RecordError("properties.name", "has no name")
            dob = tuple(check_dob(d[:10], "properties.birthDate") for d in _strings(props, "birthDate"))
            docs = tuple(normalise_doc(d) for d in _strings(props, *_DOC_PROPS) if normalise_doc(d))
            entry = _make_entry(
                str(obj["id"]),
                kind,
                tuple(dict.fromkeys(names)),
                dob,
                docs,
                _strings(props, "nationality", "country", "jurisdiction"),
                _strings(props, "topics"),
                source,
            )
        except RecordError as exc:
            result.problems.append(RecordProblem(line_no, record, exc.field, exc.message))
            continue
        result.records.append(entry)
    return result


def _strings(props: dict[str, Any], *names: str) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        values = props.get(name) or []
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            raise RecordError(f"properties.{name}", "is not a list of strings")
        out.extend(v.strip() for v in values if isinstance(v, str) and v.strip())
    return tuple(out)


def load_watchlist(path: str | Path) -> ImportResult[WatchlistEntry]:
    """A CSV or FollowTheMoney JSON Lines watchlist, told apart by its first non-blank character."""
    path = Path(path)
    if not path.exists():
        raise CrossingsError(f"{path}: no such watchlist file")
    text = decode_text(path.read_bytes(), str(path))
    if text.lstrip().startswith("{"):
        return parse_ftm_lines(text.splitlines(), str(path))
    return parse_watchlist_csv(text, str(path))
