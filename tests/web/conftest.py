"""Fixtures for the web picture: the built app, a live service fed with moving tracks, users of every
role, and Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from borderwatch.api.server import RunningServer, running_server
from borderwatch.fusion.types import BorderEvent, TrackState
from borderwatch.geo.geodesy import destination
from borderwatch.service import Service, load_settings
from borderwatch.service.auth import ROLES
from borderwatch.web import is_built, static_dir

PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"


@pytest.fixture(scope="session")
def built_app() -> Path:
    """The built single-page app; built with `make web` when missing (npm from the registry)."""
    if not is_built():
        if shutil.which("npm") is None:
            pytest.fail("the web app is not built and npm is missing: install nodejs/npm and run `make web`")
        subprocess.run(["make", "web"], cwd=REPO, check=True, timeout=600)
    assert is_built(), f"{static_dir()} has no index.html after `make web`"
    return static_dir()


@dataclass
class Feed:
    """Synthetic fused tracks walking towards the border, recorded through the service as fusion would."""

    service: Service
    n_tracks: int = 6
    period_s: float = 0.5
    stop: threading.Event = field(default_factory=threading.Event)
    ticks: int = 0

    def states(self, now: float) -> list[TrackState]:
        model = self.service.model
        line = next(iter(model.borders.values()))
        out = []
        for i in range(self.n_tracks):
            km = line.length_km * (i + 1) / (self.n_tracks + 1)
            lat0, lon0 = line.offset_point(km, -3000.0)  # start on the neighbour side
            heading = (i * 47.0) % 360.0
            speed = 4.0 + i
            lat, lon = destination(lat0, lon0, heading, speed * self.ticks * self.period_s)
            out.append(
                TrackState(
                    track_id=f"T{i:03d}", time=now, lat=float(lat), lon=float(lon),
                    object_class=("person", "vehicle", "animal")[i % 3], class_prob=0.8, speed_mps=speed,
                    heading_deg=heading, status="confirmed", sector=None, km=km,
                )
            )  # fmt: skip
        return out

    def run(self) -> None:
        while not self.stop.wait(self.period_s):
            self.service.record_fusion(self.states(self.service.clock()), [], self.service.clock())
            self.ticks += 1

    def crossing(self, track: str = "T000", object_class: str = "person") -> None:
        """A track crosses the line inbound: the border_crossing event fusion would raise."""
        model = self.service.model
        line = next(iter(model.borders.values()))
        km = line.length_km / (self.n_tracks + 1)
        lat, lon = line.offset_point(km, 50.0)
        now = self.service.clock()
        loc = model.locate(lat, lon)
        event = BorderEvent(
            event_id=f"cross-{track}-{now:.3f}", type="border_crossing", time=now, lat=lat, lon=lon,
            track_ids=(track,), object_class=object_class, class_prob=0.9, sector=loc.sector, km=loc.km,
            direction="inbound",
        )  # fmt: skip
        self.service.record_fusion([], [event], now)


@dataclass
class Live:
    server: RunningServer
    feed: Feed

    @property
    def url(self) -> str:
        return self.server.url

    def token(self, role: str) -> str:
        response = httpx.post(f"{self.url}/api/v1/auth/token", json={"username": role, "password": PASSWORD})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def get(self, role: str, path: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        return httpx.get(f"{self.url}/api/v1{path}", headers=headers, params=params)


@pytest.fixture(scope="module")
def live(built_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A running service (SQLite, no tracker: the feed plays fusion) with one user per role, named as the role."""
    data = tmp_path_factory.mktemp("web-service")
    settings = load_settings(environ={}, data_dir=data, fusion=False, housekeeping_period_s=0.5)
    service = Service(settings)
    for role in ROLES:
        service.add_user(role, role, PASSWORD, "system")
    feed = Feed(service)
    thread = threading.Thread(target=feed.run, name="web-test-feed", daemon=True)
    with running_server(service) as server:
        thread.start()
        yield Live(server, feed)
        feed.stop.set()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def signed_in(browser: Any, live: Live) -> Iterator[Callable[[str], Any]]:
    """One signed-in page per role for the module (signing in loads the map: seconds in software GL).

    Each page records every request it makes (`page.requests`) and every uncaught error (`page.errors`).
    `signed_in(role)` hands the role's page back in a known state: English, live (not replaying), alerts tab.
    """
    opened: dict[str, Any] = {}

    def open_as(role: str) -> Any:
        page = opened.get(role)
        if page is None:
            context = browser.new_context(viewport={"width": 1100, "height": 680})
            page = context.new_page()
            page.requests = []
            page.on("request", lambda request: page.requests.append(request.url))
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            sign_in(page, live, role)
            opened[role] = page
        reset(page)
        return page

    yield open_as
    for page in opened.values():
        page.context.close()


def reset(page: Any) -> None:
    """Back to English, the live picture, the alerts tab and the whole border in view, as after signing in."""
    if page.evaluate("() => document.body.classList.contains('replaying')"):
        page.click('[data-tab="replay"]')
        page.click(".replay-live")
    if page.evaluate("() => document.documentElement.dir") == "rtl":
        page.click("#lang-toggle")
        page.wait_for_function("() => document.documentElement.dir === 'ltr'")
    page.click('[data-tab="alerts"]')
    page.evaluate("() => window.borderwatch.map.home()")


def sign_in(page: Any, live: Live, role: str) -> None:
    page.goto(live.url + "/")
    page.fill("#login-username", role)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    # Generous: the first map load in software GL on a busy machine can take a while.
    page.wait_for_function("() => window.borderwatch && window.borderwatch.socketState() === 'open'", timeout=60_000)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def wait_until(predicate: Any, timeout_s: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
