"""Fixtures: the hand-built border of the fusion tests."""

from __future__ import annotations

import pytest

from borderwatch.geo.config import parse_config
from borderwatch.geo.model import BorderModel
from tests.fusion.conftest import toy_config


@pytest.fixture(scope="session")
def toy_model() -> BorderModel:
    return BorderModel(parse_config(toy_config(), "toy"))
