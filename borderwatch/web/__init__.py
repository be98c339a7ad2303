"""The web operational picture's Python side: where the built single-page app lives, and its basemap.

`static_dir()` finds the app that `make web` builds from `web/` into `borderwatch/web/static/`;
`mount_web(app)` serves it at `/` of a FastAPI/Starlette app. `basemap` builds the map's GeoJSON layers.
May import borderwatch.geo and starlette/fastapi; nothing that imports the service.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

STATIC_ENV = "BORDERWATCH_WEB_STATIC"


class WebAppMissingError(RuntimeError):
    """The built web app is not where it should be (run `make web`)."""


def static_dir() -> Path:
    """Directory holding the built app (index.html and assets); $BORDERWATCH_WEB_STATIC overrides."""
    import os

    override = os.environ.get(STATIC_ENV)
    if override:
        return Path(override)
    return Path(str(resources.files("borderwatch.web") / "static"))


def is_built(directory: Path | None = None) -> bool:
    return ((directory or static_dir()) / "index.html").is_file()


def mount_web(app: Any, directory: Path | None = None, *, required: bool = False) -> bool:
    """Serve the built app at `/` of `app` (mounted last, so API routes win); False when it is not built.

    With `required`, a missing build raises WebAppMissingError with the path and the command that builds it.
    """
    from starlette.staticfiles import StaticFiles

    where = directory or static_dir()
    if not is_built(where):
        if required:
            raise WebAppMissingError(f"web app not built: {where / 'index.html'} is missing; run `make web`")
        return False
    app.mount("/", StaticFiles(directory=where, html=True), name="web")
    return True
