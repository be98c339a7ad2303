"""The HTTP/WebSocket API over the operations service (FastAPI); routes are thin, see app.py."""

from borderwatch.api.app import PERMISSIONS, create_app

__all__ = ["PERMISSIONS", "create_app"]
