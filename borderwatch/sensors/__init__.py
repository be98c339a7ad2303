"""Sensors: the detection interchange format and the models of towers, aerostats and ground sensors.

Lives here: `formats` (the JSON Lines records every other part speaks), and the sensor models the
simulator runs (`models`). May import: geo, NumPy, SciPy, orjson. Not sim, fusion or anything later.
"""

from borderwatch.sensors.formats import (
    BadLine,
    Detection,
    FormatError,
    Heartbeat,
    ObjectClass,
    Record,
    RecordReader,
    TruthEvent,
    TruthState,
    format_time,
    parse_line,
    parse_record,
    parse_time,
    read_jsonl,
    record_to_json,
    record_to_line,
    write_jsonl,
)

__all__ = [
    "BadLine",
    "Detection",
    "FormatError",
    "Heartbeat",
    "ObjectClass",
    "Record",
    "RecordReader",
    "TruthEvent",
    "TruthState",
    "format_time",
    "parse_line",
    "parse_record",
    "parse_time",
    "read_jsonl",
    "record_to_json",
    "record_to_line",
    "write_jsonl",
]
