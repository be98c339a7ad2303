"""Alert rules: configuration (YAML) that maps a border event to a priority P1–P4 or to no alert.

Rules are tried in order and the first whose `match` fits wins; a rule with `priority: null`
suppresses the alert (an animal loitering). Modifiers then raise the priority for large groups
and for watched sectors. Night is judged in the border's local time (`utc_offset_hours`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
DEFAULT_RULES = Path(__file__).with_name("default_rules.yaml")


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the file, rule and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Conditions on an event; an absent condition matches anything."""

    types: list[str] | None = None
    classes: list[str] | None = None
    directions: list[str | None] | None = None
    sectors: list[str] | None = None
    night: bool | None = None
    at_official_crossing: bool | None = None  # within the tracker's official_crossing_m of an official crossing
    outside_opening_hours: bool | None = None  # at an official crossing, outside its opening hours (local time)
    min_group: int | None = Field(default=None, ge=1)
    max_group: int | None = Field(default=None, ge=1)


class Rule(_Strict):
    name: str = Field(min_length=1)
    match: Match = Match()
    priority: Priority | None


class Modifiers(_Strict):
    """Raise the priority (P3 → P2) when the group is large or the sector is watched."""

    raise_at_group_size: int | None = Field(default=5, ge=2)
    watched_sectors: list[str] = []


class AlertRules(_Strict):
    utc_offset_hours: float = Field(default=3.0, ge=-14, le=14)
    night_start: str = "18:00"
    night_end: str = "06:00"
    rules: list[Rule]
    modifiers: Modifiers = Modifiers()

    @field_validator("night_start", "night_end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"{value!r} is not HH:MM")
        return value

    def is_night(self, time: float) -> bool:
        """Whether POSIX time `time` falls in the night window, local time."""
        local = datetime.fromtimestamp(time, UTC) + timedelta(hours=self.utc_offset_hours)
        minute = local.hour * 60 + local.minute
        start, end = (int(p[:2]) * 60 + int(p[3:]) for p in (self.night_start, self.night_end))
        return start <= minute or minute < end if start > end else start <= minute < end

    def is_outside(self, opening_hours: str | None, time: float) -> bool:
        """Whether POSIX time `time` falls outside 'HH:MM-HH:MM' (local time); never for None (24 h)."""
        if not opening_hours:
            return False
        start, _, end = opening_hours.partition("-")
        local = datetime.fromtimestamp(time, UTC) + timedelta(hours=self.utc_offset_hours)
        minute = local.hour * 60 + local.minute
        first, last = (int(p[:2]) * 60 + int(p[3:5]) for p in (start.strip(), end.strip()))
        inside = first <= minute < last if first <= last else (minute >= first or minute < last)
        return not inside

    def evaluate(self, facts: EventFacts) -> tuple[Priority, str] | None:
        """(priority, rule name) for an event, or None when no alert is due."""
        night = self.is_night(facts.time)
        closed = facts.at_official_crossing and self.is_outside(facts.opening_hours, facts.time)
        for rule in self.rules:
            if _fits(rule.match, facts, night, closed):
                if rule.priority is None:
                    return None
                return self._modified(rule.priority, facts), rule.name
        return None

    def _modified(self, priority: Priority, facts: EventFacts) -> Priority:
        index = PRIORITIES.index(priority)
        mods = self.modifiers
        raised = (mods.raise_at_group_size is not None and facts.group_size >= mods.raise_at_group_size) or (
            facts.sector is not None and facts.sector in mods.watched_sectors
        )
        return PRIORITIES[max(0, index - 1)] if raised else priority


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the rules look at in an event."""

    type: str
    time: float
    object_class: str | None
    direction: str | None
    sector: str | None
    group_size: int = 1
    at_official_crossing: bool = False
    opening_hours: str | None = None  # that crossing's 'HH:MM-HH:MM' (local time); None: open around the clock


def _fits(match: Match, facts: EventFacts, night: bool, closed: bool) -> bool:
    return (
        (match.types is None or facts.type in match.types)
        and (match.classes is None or facts.object_class in match.classes)
        and (match.directions is None or facts.direction in match.directions)
        and (match.sectors is None or facts.sector in match.sectors)
        and (match.night is None or match.night == night)
        and (match.at_official_crossing is None or match.at_official_crossing == facts.at_official_crossing)
        and (match.outside_opening_hours is None or match.outside_opening_hours == closed)
        and (match.min_group is None or facts.group_size >= match.min_group)
        and (match.max_group is None or facts.group_size <= match.max_group)
    )


def parse_rules(document: Any, source: str = "alert rules") -> AlertRules:
    """Validate a rules document; every problem is reported with its location."""
    try:
        return AlertRules.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            if error["loc"][:1] == ("rules",) and len(error["loc"]) > 1 and isinstance(document, dict):
                with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                    where = f"rule '{document['rules'][error['loc'][1]].get('name', '?')}' {where}"
            problems.append(f"{where}: {error['msg']}")
        raise RuleError(f"{source}: " + "; ".join(problems)) from None


def load_rules(path: str | Path | None = None) -> AlertRules:
    """Rules from a YAML file; default: the shipped rules."""
    file = Path(path) if path is not None else DEFAULT_RULES
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError(f"{file}: cannot read rules: {exc}") from None
    return parse_rules(document, str(file))
