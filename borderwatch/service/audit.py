"""The hash-chained audit log: every write appends who, when, what, before and after.

Each entry's hash covers its content and the previous entry's hash, and sequence numbers are
dense, so an edited entry breaks its own hash and a deleted one leaves a gap or a broken link.
May import borderwatch.store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from borderwatch.store.bulk import insert_rows
from borderwatch.store.models import AuditRow

GENESIS = "0" * 64


def entry_hash(
    seq: int,
    at: float,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    prev_hash: str,
) -> str:
    body = [seq, repr(float(at)), actor, action, entity, entity_id, before, after, prev_hash]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(
    session: Session,
    *,
    at: float,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRow:
    """Append one entry in the caller's transaction; callers serialise appends (Service.audit_lock).

    On PostgreSQL a transaction-scoped advisory lock also serialises appends across processes.
    """
    seq, prev = _chain_head(session)
    seq += 1
    before, after = _plain(before), _plain(after)
    row = AuditRow(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        prev_hash=prev,
        hash=entry_hash(seq, at, actor, action, entity, entity_id, before, after, prev),
    )
    session.add(row)
    _move_head(session, seq, row.hash)
    return row


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit entry to append (what `append` takes, as a value)."""

    at: float
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def append_many(session: Session, entries: Sequence[Entry]) -> None:
    """Append entries in order in the caller's transaction with one INSERT (a burst of alerts brings
    hundreds; as ORM objects they cost more than the rest of their transaction). Same chain as `append`."""
    if not entries:
        return
    seq, prev = _chain_head(session)
    rows: list[dict[str, Any]] = []
    for e in entries:
        seq += 1
        before, after = _plain(e.before), _plain(e.after)
        digest = entry_hash(seq, e.at, e.actor, e.action, e.entity, e.entity_id, before, after, prev)
        rows.append({"seq": seq, "at": e.at, "actor": e.actor, "action": e.action, "entity": e.entity,
                     "entity_id": e.entity_id, "before": before, "after": after, "prev_hash": prev,
                     "hash": digest})  # fmt: skip
        prev = digest
    insert_rows(session.connection(), cast(Table, AuditRow.__table__), rows)  # one statement, driver-level
    _move_head(session, seq, prev)


def _chain_head(session: Session) -> tuple[int, str]:
    """(seq, hash) the next entry in this transaction follows; the first call in a transaction takes
    the lock (PostgreSQL: across processes too) and reads the chain's head from the store."""
    cached: tuple[int, str] | None = session.info.get("audit_head", {}).get(id(session.get_transaction()))
    if cached is None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(7236001)"))
        last = session.execute(select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
        cached = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    return cached


def _move_head(session: Session, seq: int, digest: str) -> None:
    # Later appends in the same transaction continue from here: the lock is held until it ends.
    session.info["audit_head"] = {id(session.get_transaction()): (seq, digest)}


def _plain(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip through JSON so the hash is taken over exactly what the store will hand back: orjson,
    # or the standard library for what orjson refuses (integers beyond 64 bits, keys that are not text).
    if value is None:
        return None
    try:
        return dict(orjson.loads(orjson.dumps(value, default=str)))
    except TypeError:
        return dict(json.loads(json.dumps(value, default=str)))


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


def verify(session: Session, batch: int = 5000) -> tuple[int, list[AuditProblem]]:
    """(entries checked, problems): edited entries, deleted ones (gaps), broken links."""
    problems: list[AuditProblem] = []
    expected_seq, prev_hash, checked, last_seq = 1, GENESIS, 0, 0
    while True:
        rows = session.scalars(select(AuditRow).where(AuditRow.seq > last_seq).order_by(AuditRow.seq).limit(batch))
        chunk = list(rows)
        if not chunk:
            break
        for row in chunk:
            checked += 1
            if row.seq != expected_seq:
                missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}–{row.seq - 1}"
                problems.append(AuditProblem(expected_seq, f"missing (deleted): entries {missing}"))
            elif row.prev_hash != prev_hash:
                problems.append(AuditProblem(row.seq, "link to the previous entry is broken"))
            actual = entry_hash(
                row.seq, row.at, row.actor, row.action, row.entity, row.entity_id, row.before, row.after,
                row.prev_hash,
            )  # fmt: skip
            if actual != row.hash:
                problems.append(AuditProblem(row.seq, f"edited: content does not match its hash ({row.action} "
                                             f"{row.entity} {row.entity_id} by {row.actor})"))  # fmt: skip
            expected_seq, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
        session.expunge_all()
    return checked, problems


def head(session: Session) -> tuple[int, str] | None:
    """(seq, hash) of the newest entry, or None for an empty log."""
    row = session.execute(select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRow)) or 0)
