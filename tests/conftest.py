"""Fixtures shared by every test package."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from hypothesis import settings

from borderwatch.geo import BorderModel, default_config_path, load_border_model

# CI gates a submission, so there hypothesis draws the same examples every run (a failure there is reproducible
# and never a coin toss); on a developer's machine it keeps drawing new ones, which is how edge cases are found.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("BORDERWATCH_HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def border_model() -> BorderModel:
    """The default Iraq–Syria border model that ships in the package."""
    return load_border_model()


@pytest.fixture(scope="session")
def _default_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(default_config_path().read_text(encoding="utf-8"))
    return document


@pytest.fixture()
def default_document(_default_document: dict[str, Any]) -> dict[str, Any]:
    """A fresh, mutable copy of the default configuration document."""
    return copy.deepcopy(_default_document)
