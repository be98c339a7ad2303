import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from borderwatch.crossings import transit_files
from borderwatch.crossings.problems import CrossingsError
from borderwatch.crossings.revenue import revenue_table
from borderwatch.crossings.service import iraqi_crossings
from borderwatch.crossings.tariff import load_tariff
from borderwatch.crossings.transit_files import import_transits, read_transit_file, transits_table


def _transit(tid: str, **change: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": tid,
        "crossing": "trebil",
        "time": "2026-01-03T19:20:00",
        "direction": "entry",
        "officer": "n1",
        "plate": "بغداد أ ١٢٣٤٥",
        "travellers": [{"name": "Ali Hassan", "dob": "1980-01-02"}],
        "cargo": [{"hs_code": "8703.23", "quantity": 1500, "declared_value": 20_000_000, "origin": "JO"}],
        "duty_assessed": 4_000_000,
        "duty_collected": 1_000_000,
    }
    record.update(change)
    return record


def test_json_lines_keep_good_records_and_name_bad_ones(tmp_path: Path) -> None:
    lines = [
        json.dumps(_transit("t1")),
        "{broken",
        json.dumps(_transit("t2", crossing="nowhere")),
        "",
        json.dumps(_transit("t3", duty_collected=-1)),
        json.dumps(_transit("t4", cargo=[{"hs_code": "87x3", "quantity": 1, "declared_value": 1}])),
        json.dumps(_transit("t5", plate="Baghdad X 1")),
        json.dumps(_transit("t6", time="2026-02-30T08:00:00")),
        json.dumps(_transit("t7", time="2026-01-04T08:00:00")),
        json.dumps(_transit("t1")),
    ]
    path = tmp_path / "transits.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_transit_file(path, iraqi_crossings())
    assert [t.id for t in result.records] == ["t1", "t7"]
    assert [(p.line, p.record, p.field) for p in result.problems] == [
        (2, "line 2", "json"),
        (3, "t2", "crossing"),
        (5, "t3", "duty_collected"),
        (6, "t4", "cargo[0].hs_code"),
        (7, "t5", "plate"),
        (8, "t6", "time"),
        (10, "t1", "id"),
    ]


CSV_HEADER = "id,time,crossing,direction,officer,plate,traveller_name,hs_code,quantity,declared_value,duty_collected\n"


def test_csv_rows_of_one_transit_are_its_cargo_lines(tmp_path: Path) -> None:
    text = CSV_HEADER + (
        "a,2026-01-05T10:00:00,safwan,entry,d1,,Omar Said,1006.30,1000,5000000,100000\n"
        "a,2026-01-05T10:00:00,safwan,entry,d1,,Omar Said,8517.12,10,40000000,100000\n"
        "b,2026-01-05T11:00:00,safwan,entry,d1,,,0000,1,1,0\n"
        "c,2026-01-05T12:00:00,safwan,exit,d2,,,,,,0,extra\n"
        "d,2026-01-05T13:00:00,safwan,exit,d2,,,8502.11,3,9000000,0\n"
    )
    path = tmp_path / "transits.csv"
    path.write_text(text, encoding="utf-8")
    result = read_transit_file(path, iraqi_crossings())
    assert [t.id for t in result.records] == ["a", "d"]
    assert [c.hs_code for c in result.records[0].cargo] == ["100630", "851712"]
    assert [t.name for t in result.records[0].travellers] == ["Omar Said"]
    assert [(p.line, p.record, p.field) for p in result.problems] == [(4, "b", "cargo[0].hs_code"), (5, "c", "row")]


def test_csv_without_required_columns_or_in_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,time\n1,2026-01-01T00:00:00\n", encoding="utf-8")
    with pytest.raises(CrossingsError, match="crossing"):
        read_transit_file(path, iraqi_crossings())
    path.write_bytes(CSV_HEADER.encode() + b"1,2026-01-01T00:00:00,tr\xe9bil,entry,d1,,,,,,0\n")
    with pytest.raises(CrossingsError, match="encoding"):
        read_transit_file(path, iraqi_crossings())


def test_parquet_nested_and_flat(tmp_path: Path) -> None:
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.Table.from_pylist([_transit("n1"), _transit("n2", direction="sideways")]), nested)
    result = read_transit_file(nested, iraqi_crossings())
    assert [t.id for t in result.records] == ["n1"]
    assert [(p.line, p.field) for p in result.problems] == [(2, "direction")]
    flat = tmp_path / "flat.parquet"
    rows = [
        {"id": "f1", "time": "2026-01-02T03:00:00", "crossing": "arar", "direction": "entry", "officer": "n2"},
        {"id": "f2", "time": "2026-01-02T04:00:00", "crossing": "arar", "direction": "entry", "officer": ""},
    ]
    pq.write_table(pa.Table.from_pylist(rows), flat)
    result = read_transit_file(flat, iraqi_crossings())
    assert [t.id for t in result.records] == ["f1"] and result.records[0].shift == "night"
    assert [(p.line, p.field) for p in result.problems] == [(2, "officer")]


def test_import_writes_the_analytics_table_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(_transit(f"t{i}", officer=f"n{i % 2}")) for i in range(6)) + "\n{bad", "utf-8")
    dest = tmp_path / "out" / "transits.parquet"
    tariff = load_tariff()
    result = import_transits(src, dest, iraqi_crossings(), tariff)
    assert len(result.records) == 6 and [p.line for p in result.problems] == [7]
    table = pq.read_table(dest)
    expected = tariff.expected_duty("870323", 20_000_000)
    assert table.num_rows == 6 and table.column("expected_duty").to_pylist() == [expected] * 6
    by_officer = revenue_table(table, ("officer",)).to_pylist()
    assert {r["officer"]: r["transits"] for r in by_officer} == {"n0": 3, "n1": 3}

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(transit_files.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        import_transits(src, dest, iraqi_crossings(), tariff)
    assert pq.read_table(dest).num_rows == 6  # the earlier import is untouched
    assert sorted(p.name for p in dest.parent.iterdir()) == ["transits.parquet"]  # no temporary left


def test_transits_table_of_nothing_or_of_bare_transits(tmp_path: Path) -> None:
    assert transits_table([], load_tariff()).num_rows == 0
    src = tmp_path / "bare.jsonl"
    src.write_text(json.dumps(_transit("b1", cargo=[], travellers=[], plate=None)), "utf-8")
    dest = tmp_path / "bare.parquet"
    import_transits(src, dest, iraqi_crossings(), load_tariff())
    row = pq.read_table(dest).to_pylist()[0]
    assert (row["hs_code"], row["origin"], row["expected_duty"], row["shift"]) == (None, None, 0.0, "night")
