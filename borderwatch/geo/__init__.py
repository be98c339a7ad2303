"""The border model: geodesy, border lines with km markers, sectors and features along them.

Lives here: WGS84 geodesy and local metric frames, border stationing (point <-> km marker,
signed offset, side), the versioned border configuration and its validation.
May import: NumPy, SciPy (k-d trees), numba (compiled stationing), shapely, pyproj, pydantic.
Nothing else in borderwatch: everything else imports geo.
"""

from borderwatch.geo.config import (
    BorderConfig,
    ConfigError,
    default_config_path,
    load_config,
)
from borderwatch.geo.geodesy import LocalFrame, destination, distance_m
from borderwatch.geo.model import BorderModel, Location, Sector, load_border_model
from borderwatch.geo.stationing import BorderLine

__all__ = [
    "BorderConfig",
    "BorderLine",
    "BorderModel",
    "ConfigError",
    "LocalFrame",
    "Location",
    "Sector",
    "default_config_path",
    "destination",
    "distance_m",
    "load_border_model",
    "load_config",
]
