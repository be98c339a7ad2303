"""Schemathesis over the served OpenAPI spec: a bounded number of generated requests, as every role,
and not one may end in a server error; every error body is problem+json."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.service.auth import ROLES
from tests.service.conftest import Client


def test_generated_requests_never_get_a_server_error(client: Client) -> None:
    spec = client.http.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec).exclude(path_regex=r"^/api/v1/web/")  # web/: tests/web
    operations = list(schema.get_all_operations())
    assert len(operations) >= 20 and all(op.ok() for op in operations)  # the spec itself is valid

    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy(), role=st.sampled_from([*ROLES, None]))
    def call(case: schemathesis.Case, role: str | None) -> None:
        headers = client.as_role(role) if role else {}
        response = case.call(base_url=client.server.url, headers=headers)
        where = f"{case.method} {case.formatted_path} as {role}: {response.status_code} {response.text[:200]}"
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json"), where

    call()


def test_a_nul_character_is_refused_as_input_on_every_backend(client: Client) -> None:
    """PostgreSQL text cannot hold NUL; SQLite can. Either way the caller gets a 4xx, never a 500."""
    login = client.http.post("/api/v1/auth/token", json={"username": "op\u0000erator", "password": "x"})
    assert 400 <= login.status_code < 500, login.text
    assert login.headers["content-type"].startswith("application/problem+json")
    alerts = client.http.get("/api/v1/alerts", params={"sector": "S\u00001"}, headers=client.as_role("operator"))
    assert 400 <= alerts.status_code < 500 or alerts.json()["items"] == [], alerts.text
    assert client.http.get("/healthz").status_code == 200  # the server goes on
