"""Serving the built app: where it is looked for, what a missing build says, and that API routes win over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from borderwatch.web import STATIC_ENV, WebAppMissingError, is_built, mount_web, static_dir


def _built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>picture</title>", encoding="utf-8")
    (tmp_path / "assets" / "app.js").write_text("console.log('x')", encoding="utf-8")
    return tmp_path


def test_a_missing_build_is_skipped_or_named_with_the_command(tmp_path: Path) -> None:
    app = FastAPI()
    assert not is_built(tmp_path)
    assert mount_web(app, tmp_path) is False
    with pytest.raises(WebAppMissingError, match=r"index\.html is missing; run `make web`") as error:
        mount_web(app, tmp_path, required=True)
    assert str(tmp_path) in str(error.value)


def test_the_app_is_served_at_root_after_the_api(tmp_path: Path) -> None:
    app = FastAPI()

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    assert mount_web(app, _built(tmp_path)) is True
    client = TestClient(app)
    assert "<title>picture</title>" in client.get("/").text
    assert client.get("/assets/app.js").text == "console.log('x')"
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/assets/missing.js").status_code == 404


def test_the_environment_overrides_where_the_build_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATIC_ENV, str(_built(tmp_path)))
    assert static_dir() == tmp_path
    assert is_built()
