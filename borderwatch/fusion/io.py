"""JSON Lines adapters for track states and border events (docs/formats.md): write and read back.

May import: orjson, borderwatch.sensors.formats, fusion.types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

from borderwatch.fusion.types import BorderEvent, TrackState
from borderwatch.sensors.formats import BadLine, FormatError

T = TypeVar("T")


def write_lines(items: Iterable[TrackState | BorderEvent], fp: IO[str]) -> int:
    """Write track states or events as JSON Lines; returns how many."""
    count = 0
    for item in items:
        fp.write(orjson.dumps(item.to_json()).decode())
        fp.write("\n")
        count += 1
    return count


def _read(path: str | Path, kind: str) -> tuple[list[dict[str, object]], list[BadLine]]:
    good: list[dict[str, object]] = []
    bad: list[BadLine] = []
    with open(path, "rb") as fp:
        for number, line in enumerate(fp, start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                bad.append(BadLine(str(path), number, f"not JSON: {exc}"))
                continue
            if not isinstance(obj, dict) or obj.get("type") != kind:
                bad.append(BadLine(str(path), number, f"field 'type' is not {kind!r}"))
                continue
            good.append(obj)
    return good, bad


def _read_typed(path: str | Path, kind: str, parse: Callable[[dict[str, Any]], T]) -> tuple[list[T], list[BadLine]]:
    objs, bad = _read(path, kind)
    parsed: list[T] = []
    for obj in objs:
        try:
            parsed.append(parse(obj))
        except FormatError as exc:
            bad.append(BadLine(str(path), 0, str(exc)))
    return parsed, bad


def read_tracks(path: str | Path) -> tuple[list[TrackState], list[BadLine]]:
    """Track states of a tracks file, and the lines that were not track states."""
    return _read_typed(path, "track", TrackState.from_json)


def read_events(path: str | Path) -> tuple[list[BorderEvent], list[BadLine]]:
    """Events of an events file, and the lines that were not events."""
    return _read_typed(path, "event", BorderEvent.from_json)
