"""The operations service layer: settings, ingest, alerting, audit, auth and the Service that wires
them together (the composition root). May import every part below the API; the API imports this.
"""

from borderwatch.service.config import Settings, SettingsError, load_settings
from borderwatch.service.core import Service

__all__ = ["Service", "Settings", "SettingsError", "load_settings"]
