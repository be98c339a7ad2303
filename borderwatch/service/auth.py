"""Users, roles and tokens: argon2 password hashes, opaque bearer tokens stored as SHA-256, sensor keys.

May import borderwatch.store and argon2.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from borderwatch.store.models import SensorKeyRow, TokenRow, UserRow

Role = Literal["operator", "supervisor", "crossing_officer", "analyst", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
_hasher = PasswordHasher()


def digest(secret: str) -> str:
    """SHA-256 hex of a token or key: what the store keeps instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The user if the password is right and the account is enabled; else None."""
    user = session.get(UserRow, username)
    if user is None:
        _hasher.hash(password)  # same work either way, so timing does not reveal which names exist
        return None
    if user.disabled or not check_password(user.password_hash, password):
        return None
    return user


def issue_token(session: Session, username: str, now: float, ttl_s: float) -> tuple[str, float]:
    token = secrets.token_urlsafe(32)
    session.add(TokenRow(token_hash=digest(token), username=username, created_at=now, expires_at=now + ttl_s))
    return token, now + ttl_s


def user_for_token(session: Session, token: str, now: float) -> UserRow | None:
    row = session.get(TokenRow, digest(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(UserRow, row.username)
    return None if user is None or user.disabled else user


def issue_sensor_key(session: Session, sensor_id: str, now: float) -> str:
    key = secrets.token_urlsafe(24)
    session.add(SensorKeyRow(key_hash=digest(key), sensor_id=sensor_id, created_at=now, revoked=False))
    return key


def sensor_for_key(session: Session, key: str) -> str | None:
    row = session.get(SensorKeyRow, digest(key))
    return None if row is None or row.revoked else row.sensor_id


def sensor_keys(session: Session) -> dict[str, int]:
    """Number of live keys per sensor."""
    counts: dict[str, int] = {}
    for sensor_id in session.scalars(select(SensorKeyRow.sensor_id).where(SensorKeyRow.revoked.is_(False))):
        counts[sensor_id] = counts.get(sensor_id, 0) + 1
    return counts
