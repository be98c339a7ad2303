"""Fixtures for the operations service: a throwaway PostgreSQL/PostGIS cluster, stores on both
backends, services with real servers, users of every role, and synthetic detections."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from borderwatch.api.server import RunningServer, free_port, running_server
from borderwatch.geo import BorderModel
from borderwatch.sensors.formats import format_time
from borderwatch.service import Service, load_settings
from borderwatch.service.auth import ROLES
from borderwatch.store.models import UserRow

PASSWORD = "correct horse battery"
NIGHT = 1795478400.0  # 2026-11-24 00:00 UTC: 03:00 local, night by the default rules


def _pg_bin() -> Path | None:
    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (root / "initdb").exists():
            return root
    return None


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    """A PostgreSQL server with PostGIS: $BORDERWATCH_TEST_PG_URL, or a throwaway cluster we start."""
    given = os.environ.get("BORDERWATCH_TEST_PG_URL")
    if given:
        yield given
        return
    bin_dir = _pg_bin()
    if bin_dir is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL here (make test installs it) and BORDERWATCH_TEST_PG_URL is unset")
    if not list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")):
        pytest.skip("PostGIS is not installed (make test installs it)")
    workdir = Path(tempfile.mkdtemp(prefix="bw-pg-"))
    shutil.chown(workdir, "postgres", "postgres")
    data, port = workdir / "data", free_port()

    def as_postgres(*args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=120)

    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_base_url: str) -> str:
    """A template database with PostGIS, so each test's database is a cheap copy."""
    import psycopg

    with psycopg.connect(f"{pg_base_url}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bw_template")
        conn.execute("CREATE DATABASE bw_template")
    with psycopg.connect(f"{pg_base_url}/bw_template", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return "bw_template"


def _new_pg_database(base: str, template: str) -> str:
    import psycopg

    name = f"bw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return f"{base}/{name}"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters: the tests sign in dozens of users and the hash strength is not under test."""
    from argon2 import PasswordHasher

    from borderwatch.service import auth

    saved = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    auth._hasher = saved


def _store_url(backend: str, request: pytest.FixtureRequest, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'store.sqlite3'}"
    return _new_pg_database(request.getfixturevalue("pg_base_url"), request.getfixturevalue("pg_template"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each backend."""
    return _store_url(request.param, request, tmp_path)


ServiceFactory = Callable[..., Service]


@pytest.fixture()
def make_service(store_url: str, tmp_path: Path, border_model: BorderModel) -> Iterator[ServiceFactory]:
    """Build services on this test's store (same store for every call, as after a restart)."""
    made: list[Service] = []

    def build(**settings: Any) -> Service:
        values: dict[str, Any] = {"data_dir": tmp_path / "data", "database_url": store_url,
                                  "housekeeping_period_s": 0.2} | settings  # fmt: skip
        service = Service(load_settings(environ={}, **values), model=border_model)
        made.append(service)
        return service

    yield build
    for service in made:
        service.engine.dispose()


class Client:
    """An httpx client for one running server, with a signed-in user per role and a sensor key."""

    def __init__(self, server: RunningServer, sensor_id: str) -> None:
        self.server, self.service, self.sensor_id = server, server.service, sensor_id
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self.tokens: dict[str, str] = {}
        for role in ROLES:
            with self.service.read() as session:
                exists = session.get(UserRow, role) is not None
            if not exists:
                self.service.add_user(role, role, PASSWORD, "test-setup")
            reply = self.http.post("/api/v1/auth/token", json={"username": role, "password": PASSWORD})
            assert reply.status_code == 200, reply.text
            self.tokens[role] = reply.json()["access_token"]
        self.sensor_key = self.service.issue_sensor_key(sensor_id, "test-setup")

    def as_role(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def post_detections(self, items: list[dict[str, Any]], key: str | None = None) -> httpx.Response:
        return self.http.post("/api/v1/detections", json=items, headers={"X-Sensor-Key": key or self.sensor_key})

    def wait_for(self, path: str, role: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            body = self.http.get(path, headers=self.as_role(role)).json()
            if predicate(body):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting on {path}: last reply {body}")
            time.sleep(0.1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, border_model: BorderModel
) -> Iterator[Client]:
    """One running server per backend, shared by a module's tests (they use distinct ids and places)."""
    directory = tmp_path_factory.mktemp(f"service-{request.param}")
    url = _store_url(request.param, request, directory)
    settings = load_settings(environ={}, data_dir=directory / "data", database_url=url, housekeeping_period_s=0.2)
    service = Service(settings, model=border_model)
    with running_server(service) as server:
        yield Client(server, border_model.sensors[0].properties.id)


def crossing(
    model: BorderModel, sensor_id: str, *, km: float = 100.0, t0: float = NIGHT, object_class: str = "vehicle",
    inbound: bool = True, prefix: str = "x", points: int = 80,
) -> list[dict[str, Any]]:  # fmt: skip
    """Detections of one mover walking straight across the first border line at `km`."""
    line = next(iter(model.borders.values()))
    out = []
    for i in range(points):
        offset = (-400 + i * 10) * (1 if inbound else -1)
        lat, lon = line.offset_point(km, offset)
        out.append({"type": "detection", "id": f"{prefix}{i}", "sensor_id": sensor_id, "time": format_time(t0 + i * 5),
                    "class": object_class, "class_conf": 0.9, "lat": lat, "lon": lon, "sigma_m": 15.0})  # fmt: skip
    return out
