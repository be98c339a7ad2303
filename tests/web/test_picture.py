"""The operational picture in Debian's chromium: sign-in, offline map, live tracks, alert triage with the
audit trail, Arabic right-to-left, role limits, sensors and replay. Screenshots go to test-artifacts/web/.

The tests share one signed-in page per role (`signed_in`), and wait on conditions, never on the clock."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import httpx

from borderwatch.web.basemap import river_features, town_features
from tests.web.conftest import PASSWORD, Live, shot, sign_in, wait_until


def test_map_page_is_served_offline_with_border_layers(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    page.wait_for_function("() => window.borderwatch.map.map.loaded()")
    layers = page.evaluate("() => window.borderwatch.map.map.getStyle().layers.map(l => l.id)")
    expected = {"countries-fill", "towns", "borders-line", "km-markers", "barriers-wall", "sensors", "crossings"}
    assert expected <= set(layers), expected - set(layers)
    sources = page.evaluate(
        "() => Object.fromEntries(['borders','sectors','km_markers','crossings','sensors','towns'].map("
        "s => [s, window.borderwatch.map.map.getSource(s).serialize().data.features.length]))"
    )
    model = live.server.service.model
    assert sources["borders"] == len(model.borders)
    assert sources["sectors"] == len(model.sectors)
    assert sources["crossings"] == len(model.crossings)
    assert sources["sensors"] == len(model.sensors)
    assert sources["km_markers"] > 0
    assert sources["towns"] == len(town_features(model.bounds())) > 0
    assert page.locator(".label-crossing").count() == len(model.crossings)
    hosts = {urlparse(u).hostname for u in page.requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {sorted(h for h in hosts if h)}"
    assert not page.errors
    shot(page, "map")


def test_a_wrong_password_is_refused_with_a_message_and_the_right_one_gets_in(browser: Any, live: Live) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 680})
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        page.fill("#login-username", "operator")
        page.fill("#login-password", PASSWORD + " typo")
        page.click("#login-submit")
        page.wait_for_function("() => document.getElementById('login-error').textContent.length > 0")
        assert "Sign-in failed" in page.locator("#login-error").inner_text()
        assert page.locator("#app").is_hidden() and page.locator("#login").is_visible()
        sign_in(page, live, "operator")  # the right password this time
        assert page.locator("#app").is_visible() and page.locator("#login").is_hidden()
        assert page.locator("#whoami").inner_text().startswith("operator")
    finally:
        context.close()


def test_tracks_appear_and_move(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    n = live.feed.n_tracks
    page.wait_for_function(f"() => window.borderwatch.map.trackCount() >= {n}", timeout=15_000)
    before = page.evaluate("() => window.borderwatch.map.trackPositions()")
    page.wait_for_function(
        "(before) => { const now = window.borderwatch.map.trackPositions(); return Object.keys(before).every("
        " id => now[id] && (now[id][0] !== before[id][0] || now[id][1] !== before[id][1])); }",
        arg=before,
        timeout=15_000,
    )
    after = page.evaluate("() => window.borderwatch.map.trackPositions()")
    moved = [t for t in before if t in after and before[t] != after[t]]
    assert len(moved) == n, f"tracks that moved: {moved} of {sorted(before)}"
    rendered = page.evaluate("() => window.borderwatch.map.renderedTrackCount()")
    assert rendered == n
    # The track canvas puts each track where the map projects its position (within a pixel).
    placed = page.evaluate(
        "() => { const m = window.borderwatch.map; return Object.entries(m.trackPositions()).map(([id, p]) => {"
        " const q = m.map.project(p); const d = m.tracks.pixelOf(id); return Math.hypot(q.x - d[0], q.y - d[1]); }); }"
    )
    assert max(placed) < 1.0, placed
    shot(page, "tracks")


def new_crossing_alert(page: Any, live: Live, track: str, object_class: str = "person") -> int:
    """Raise a border crossing for `track` and wait for its new alert in the page's queue; its id."""
    known = sorted(a["id"] for a in live.get("operator", "/alerts", limit=1000).json()["items"])
    live.feed.crossing(track, object_class)
    found = page.wait_for_function(
        "(known) => { const li = [...document.querySelectorAll('.queue li.alert')].find(li =>"
        " !known.includes(Number(li.dataset.alertId)) && li.textContent.includes('border_crossing'));"
        " return li ? Number(li.dataset.alertId) : null; }",
        arg=known,
        timeout=15_000,
    )
    alert_id: int = found.json_value()
    return alert_id


def test_alert_triage_acknowledge_dispatch_resolve_with_audit(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    alert_id = new_crossing_alert(page, live, "T000")
    item = page.locator(f'li.alert[data-alert-id="{alert_id}"]')
    assert item.get_attribute("data-state") == "new"
    item.click()
    page.wait_for_function(
        "() => window.borderwatch.map.map.getSource('alerts').serialize().data.features"
        ".some(f => f.properties.selected)"
    )
    shot(page, "alert-selected")
    selected = page.locator(f'li.alert[data-alert-id="{alert_id}"]')
    selected.locator("button.acknowledge").click()
    page.wait_for_selector(f'li.alert[data-alert-id="{alert_id}"][data-state="acknowledged"]')
    hint = selected.locator(".hint").inner_text()
    patrol = selected.locator("select.patrol-select").input_value()
    assert patrol and patrol in {p["id"] for p in live.get("operator", "/patrols").json()["items"]}
    assert "km" in hint
    selected.locator("button.dispatch").click()
    page.wait_for_selector(f'li.alert[data-alert-id="{alert_id}"][data-state="dispatched"]')
    selected.locator("select.outcome-select").select_option("interdicted")
    selected.locator("input.note").fill("two persons stopped at km marker")
    selected.locator("button.resolve").click()
    page.wait_for_function(
        f"() => !document.querySelector('li.alert[data-alert-id=\"{alert_id}\"]')"
        f" || document.querySelector('li.alert[data-alert-id=\"{alert_id}\"]').dataset.state === 'resolved'"
    )
    stored = live.get("supervisor", f"/alerts/{alert_id}").json()
    assert stored["state"] == "resolved"
    assert stored["outcome"] == "interdicted"
    assert stored["patrol_id"] == patrol
    steps = [(t["to_state"], t["actor"]) for t in stored["transitions"]]
    assert [s for s in steps if s[1] == "operator"] == [
        ("acknowledged", "operator"),
        ("dispatched", "operator"),
        ("resolved", "operator"),
    ]
    audit = live.get("supervisor", "/audit", actor="operator", limit=100).json()["items"]
    actions = [e["action"] for e in audit if e["entity_id"] == str(alert_id)]
    assert len(actions) >= 3, actions
    shot(page, "alert-resolved")

    # The supervisor sees the same steps, with the operator's name, in the audit panel.
    page = signed_in("supervisor")
    page.click('[data-tab="audit"]')
    rows = page.locator(".audit-entry").filter(has_text=f"alert {alert_id}").filter(has_text="operator")
    rows.first.wait_for(timeout=10_000)
    assert rows.count() >= 3
    shot(page, "audit")


def test_typing_a_note_keeps_focus_while_pushes_redraw_the_queue(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    alert_id = new_crossing_alert(page, live, "T002", "vehicle")
    page.locator(f'li.alert[data-alert-id="{alert_id}"]').click()
    note = page.locator(f'li.alert[data-alert-id="{alert_id}"] input.note')
    note.click()
    page.keyboard.type("two vehicles ")
    new_crossing_alert(page, live, "T004")  # a push: the queue is drawn afresh under the operator's hands
    page.keyboard.type("heading south")
    assert note.input_value() == "two vehicles heading south"
    assert page.evaluate("() => document.activeElement.classList.contains('note')")

    # A drop-down the operator is in is not redrawn under them (that would close it): the push still
    # reaches the map, and the queue catches up when they leave it.
    outcome = page.locator(f'li.alert[data-alert-id="{alert_id}"] select.outcome-select')
    outcome.focus()
    page.evaluate("() => { document.activeElement.dataset.kept = 'yes'; }")
    on_map = "() => window.borderwatch.map.map.getSource('alerts').serialize().data.features.length"
    before = page.evaluate(on_map)
    live.feed.crossing("T005")
    page.wait_for_function(f"() => ({on_map})() > {before}", timeout=15_000)
    assert page.evaluate("() => document.activeElement.dataset.kept") == "yes"
    queued = page.locator(".queue li.alert").count()
    note.click()
    page.wait_for_function(f"() => document.querySelectorAll('.queue li.alert').length > {queued}")


def test_arabic_switches_to_right_to_left(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    assert page.evaluate("() => document.documentElement.dir") == "ltr"
    map_box = page.locator("#map").bounding_box()
    side_box = page.locator("aside.side").bounding_box()
    assert side_box["x"] > map_box["x"]
    page.click("#lang-toggle")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert page.evaluate("() => document.documentElement.lang") == "ar"
    tab = page.locator('[data-tab="alerts"]').inner_text()
    assert any("\u0600" <= ch <= "\u06ff" for ch in tab), tab
    map_box = page.locator("#map").bounding_box()
    side_box = page.locator("aside.side").bounding_box()
    assert side_box["x"] < map_box["x"], "in Arabic the side panel starts on the right-to-left side"
    shot(page, "arabic-rtl")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.documentElement.dir === 'ltr'")


def test_layer_switches_hide_and_show_tracks_and_towns(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    page.wait_for_function("() => window.borderwatch.map.renderedTrackCount() > 0")
    page.click('[data-tab="layers"]')
    assert page.locator(".label-town").count() > 0
    page.uncheck('input[data-layer="tracks"]')
    page.uncheck('input[data-layer="towns"]')
    page.wait_for_function("() => window.borderwatch.map.renderedTrackCount() === 0")
    assert page.evaluate("() => window.borderwatch.map.map.getLayoutProperty('towns', 'visibility')") == "none"
    assert page.locator(".label-town").count() == 0
    shot(page, "layers-off")
    page.check('input[data-layer="tracks"]')
    page.check('input[data-layer="towns"]')
    page.wait_for_function("() => window.borderwatch.map.renderedTrackCount() > 0")
    assert page.locator(".label-town").count() > 0


def test_operator_cannot_reach_admin_actions(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    assert page.locator('[data-tab="admin"]').count() == 0
    assert page.locator('[data-tab="audit"]').count() == 0
    token = page.evaluate("() => sessionStorage.getItem('borderwatch.token')")
    refused = httpx.post(
        f"{live.url}/api/v1/users",
        headers={"Authorization": f"Bearer {token}"},
        json={"username": "intruder", "role": "admin", "password": "long enough password"},
    )
    assert refused.status_code == 403
    shot(page, "operator-tabs")


def test_admin_sees_and_uses_user_management(signed_in: Any, live: Live) -> None:
    page = signed_in("admin")
    page.click('[data-tab="admin"]')
    page.locator(".user-list li").first.wait_for()
    page.fill('.admin-create input[name="username"]', "new-analyst")
    page.fill('.admin-create input[name="password"]', "a long password here")
    page.select_option('.admin-create select[name="role"]', "analyst")
    page.click('.admin-create button[type="submit"]')
    page.locator(".user-list li", has_text="new-analyst").wait_for()
    users = {u["username"]: u["role"] for u in live.get("admin", "/users").json()["items"]}
    assert users["new-analyst"] == "analyst"


def test_sensor_health_panel_follows_the_push(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    page.click('[data-tab="sensors"]')
    service = live.server.service
    sensor = service.model.sensors[0].properties.id
    now = service.clock()
    service.bus.publish(
        "sensor_health",
        {"sensor_id": sensor, "last_heard_at": now - 400, "last_time": now - 400, "detections": 3,
         "heartbeats": 9, "status": None, "offline": True, "rate_per_s": 0.0},
    )  # fmt: skip
    row = page.locator(f'tr.sensor[data-sensor-id="{sensor}"]')
    row.wait_for(timeout=10_000)
    assert "sensor-offline" in (row.get_attribute("class") or "")
    state = page.evaluate(
        f"() => window.borderwatch.map.map.getFeatureState({{source: 'sensors', id: '{sensor}'}}).state"
    )
    assert state == "offline"
    shot(page, "sensors")


def test_replay_shows_stored_tracks(signed_in: Any, live: Live) -> None:
    wait_until(lambda: live.feed.ticks >= 4, what="stored track points")
    page = signed_in("operator")
    page.click('[data-tab="replay"]')
    page.select_option(".replay-hours", "1")
    page.click(".replay-load")
    slider = page.locator(".replay-slider")
    slider.wait_for(timeout=10_000)
    assert page.evaluate("() => document.body.classList.contains('replaying')")
    start, end = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    assert end > start
    page.evaluate(
        "([v]) => { const s = document.querySelector('.replay-slider'); s.value = v;"
        " s.dispatchEvent(new Event('input')); }",
        [str(end)],
    )
    page.wait_for_function(f"() => window.borderwatch.map.trackCount() >= {live.feed.n_tracks}")
    shot(page, "replay")
    page.click(".replay-live")
    assert not page.evaluate("() => document.body.classList.contains('replaying')")


def test_rivers_are_drawn_named_and_switchable(signed_in: Any, live: Live) -> None:
    page = signed_in("operator")
    page.wait_for_function("() => window.borderwatch.map.map.loaded()")
    shipped = river_features(live.server.service.model.bounds())
    assert page.evaluate("() => window.borderwatch.map.map.getSource('rivers').serialize().data.features.length") > 0
    drawn = "() => window.borderwatch.map.map.queryRenderedFeatures({layers: ['rivers-major', 'rivers-minor']})"
    page.wait_for_function(f"() => ({drawn})().some(f => f.properties.name === 'Euphrates')")
    assert page.locator(".label-river", has_text="Euphrates").count() == 1
    assert {f["properties"]["name"] for f in shipped if f["properties"]["major"]} >= {"Euphrates"}
    page.click('[data-tab="layers"]')
    page.uncheck('input[data-layer="rivers"]')
    page.wait_for_function(f"() => window.borderwatch.map.map.loaded() && ({drawn})().length === 0")
    assert page.locator(".label-river").count() == 0
    shot(page, "rivers-off")
    page.check('input[data-layer="rivers"]')
    page.wait_for_function(f"() => ({drawn})().length > 0")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")
    assert page.locator(".label-river", has_text="الفرات").count() == 1
    shot(page, "rivers-arabic")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.documentElement.dir === 'ltr'")
    assert not page.errors
