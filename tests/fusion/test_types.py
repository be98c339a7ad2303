"""The tracker's output types."""

from __future__ import annotations

import dataclasses

import pytest

from borderwatch.fusion.types import TrackState, track_states_from_columns


def test_states_built_from_columns_are_the_dataclass_s_own() -> None:
    rows = [
        ("T000001", 10.0, 34.1, 41.2, "person", 0.8, 1.2, 45.0, "confirmed", "SYR-01", 12.5, 7.0),
        ("T000002", 11.0, 34.2, 41.3, "vehicle", 0.6, 9.0, 270.0, "deleted", None, None, None),
    ]
    expected = [TrackState(*row) for row in rows]
    got = track_states_from_columns(*(list(column) for column in zip(*rows, strict=True)))
    assert got == expected
    assert [hash(s) for s in got] == [hash(s) for s in expected]
    assert [s.to_json() for s in got] == [s.to_json() for s in expected]
    assert all(type(s) is TrackState for s in got)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got[0].lat = 0.0  # type: ignore[misc]
    assert track_states_from_columns(*([] for _ in dataclasses.fields(TrackState))) == []


def test_columns_must_match_the_fields() -> None:
    with pytest.raises(ValueError, match="12 fields"):
        track_states_from_columns(["T000001"], [1.0])
    columns: list[list[object]] = [[1.0] for _ in dataclasses.fields(TrackState)]
    columns[3] = [1.0, 2.0]
    with pytest.raises(ValueError, match="lengths"):
        track_states_from_columns(*columns)
