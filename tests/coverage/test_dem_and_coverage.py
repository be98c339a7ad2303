"""Border coverage over DEMs: bad DEMs fail loudly, terrain costs coverage, gaps add up."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from borderwatch.coverage.assessment import assess_coverage
from borderwatch.coverage.dem import Dem, DemError
from borderwatch.coverage.report import coverage_polygons, write_strip_geotiff
from borderwatch.coverage.sight import DemSight, SmoothEarthSight
from borderwatch.coverage.terrain import GeneratedTerrain, write_terrain_geotiff
from borderwatch.geo import BorderModel
from tests.coverage.conftest import SINJAR_BOX, write_array_dem


def towers(model: BorderModel, ids: set[str]) -> list:  # type: ignore[type-arg]
    return [s for s in model.sensors if s.properties.id in ids]


def test_generated_terrain_has_the_sinjar_ridge_and_a_low_euphrates() -> None:
    terrain = GeneratedTerrain()
    lat, lon = np.meshgrid(np.linspace(36.2, 36.55, 120), np.linspace(41.4, 42.2, 160), indexing="ij")
    ridge = terrain.elevation(lat, lon)
    assert 1350.0 < ridge.max() < 1560.0
    assert terrain.elevation(34.45, 41.2) < 300.0 < terrain.elevation(33.4, 38.9)


def test_dem_without_crs_is_refused(tmp_path: Path) -> None:
    path = write_array_dem(tmp_path / "nocrs.tif", np.zeros((10, 10)), crs="")
    with pytest.raises(DemError, match="crs"):
        Dem(path)


def test_dem_in_feet_or_wrong_band_is_refused(tmp_path: Path) -> None:
    path = write_array_dem(tmp_path / "feet.tif", np.full((50, 50), 12_000.0))
    with Dem(path) as dem, pytest.raises(DemError, match="not metres above sea level"):
        dem.read(0, 0, 10, 10)


def test_dem_that_misses_the_border_names_the_km(border_model: BorderModel, sinjar_dem: Path) -> None:
    # The Sinjar patch is 20 km from the line: nothing of the border is on it.
    with pytest.raises(DemError, match=r"does not cover border 'SYR' at km 0\.0-"):
        assess_coverage(border_model, DemSight(Dem(sinjar_dem)), raster_cell_m=None, sensors=[])


def test_dem_with_a_wrong_crs_is_caught_as_not_covering(border_model: BorderModel, tmp_path: Path) -> None:
    # Right numbers, wrong label: UTM metres declared as degrees put the grid nowhere near Iraq.
    path = write_array_dem(
        tmp_path / "mislabelled.tif", np.full((100, 100), 300.0), crs="EPSG:4326", origin=(500_000.0, 4_000_000.0)
    )
    with pytest.raises(DemError):
        assess_coverage(border_model, DemSight(Dem(path)), raster_cell_m=None, sensors=[])


@pytest.fixture(scope="module")
def al_qaim_dem(tmp_path_factory: pytest.TempPathFactory, border_model: BorderModel) -> Path:
    """90 m terrain around the first 30 km of the border past al-Qaim, for a partial model check."""
    return write_terrain_geotiff(tmp_path_factory.mktemp("qaim") / "qaim.tif", (40.7, 34.1, 41.5, 34.7), cell_m=90.0)


def test_sensor_outside_the_dem_is_named(border_model: BorderModel, sinjar_dem: Path) -> None:
    sight = DemSight(Dem(sinjar_dem))
    from borderwatch.coverage.observers import observer_for

    far = observer_for(border_model.sensors[0], "person")
    with pytest.raises(DemError, match=f"sensor '{far.id}'"):
        sight.visible(far, 1.7, sight.prepare(np.array([36.3]), np.array([41.75])))


def test_terrain_hides_what_smooth_earth_shows(border_model: BorderModel, al_qaim_dem: Path) -> None:
    """One tower's view of the line: over terrain at most what the bare earth allows, and less."""
    from borderwatch.coverage.assessment import line_samples
    from borderwatch.coverage.observers import observer_for

    tower = next(
        s
        for s in border_model.sensors
        if s.properties.sensor_type == "tower" and 40.8 < s.geometry.lon < 41.4 and 34.2 < s.geometry.lat < 34.6
    )
    _, lat, lon = line_samples(border_model, 100.0)["SYR"]
    near = (lat > 34.15) & (lat < 34.65) & (lon > 40.75) & (lon < 41.45)
    observer = observer_for(tower, "person")
    smooth = SmoothEarthSight()
    dem = DemSight(Dem(al_qaim_dem))
    flat = smooth.visible(observer, 1.7, smooth.prepare(lat[near], lon[near]))
    rough = dem.visible(observer, 1.7, dem.prepare(lat[near], lon[near]))
    assert flat.sum() > 0
    assert rough.sum() < flat.sum()
    # Terrain never lets a tower see beyond its range; the grid may differ from the geodesic rim by a cell.
    from borderwatch.geo import distance_m

    extra = rough & ~flat
    rim = np.abs(distance_m(observer.lat, observer.lon, lat[near][extra], lon[near][extra]) - observer.range_m)
    assert (rim < 130.0).all()


def test_single_tower_on_smooth_earth_sees_the_chord_of_its_range(border_model: BorderModel) -> None:
    tower = next(s for s in border_model.sensors if s.properties.sensor_type == "tower")
    result = assess_coverage(border_model, SmoothEarthSight(), "person", raster_cell_m=None, sensors=[tower])
    offset = abs(border_model.locate(tower.geometry.lat, tower.geometry.lon).offset_m)
    reach = tower.properties.ranges_m.person  # type: ignore[union-attr]
    chord_km = 2 * np.sqrt(reach**2 - offset**2) / 1000.0
    near_start = border_model.locate(tower.geometry.lat, tower.geometry.lon).km < reach / 1000.0
    seen = result.lines["SYR"].seen_km(1)
    expected = (
        chord_km if not near_start else chord_km / 2 + border_model.locate(tower.geometry.lat, tower.geometry.lon).km
    )
    assert seen == pytest.approx(expected, abs=0.3)


def test_gaps_are_exactly_the_unseen_km_longest_first(border_model: BorderModel) -> None:
    result = assess_coverage(
        border_model,
        SmoothEarthSight(),
        "person",
        raster_cell_m=None,
        sensors=[s for s in border_model.sensors if s.properties.sensor_type == "tower"][::3],
    )
    line = result.lines["SYR"]
    length = border_model.borders["SYR"].length_km
    gaps = result.gaps()
    lengths = [g.length_km for g in gaps]
    assert lengths == sorted(lengths, reverse=True) and len(gaps) > 3
    assert sum(lengths) + line.seen_km(1) == pytest.approx(length, abs=0.1)
    for gap in gaps:
        inside = (line.km > gap.start_km) & (line.km < gap.end_km)
        assert (line.count[inside] == 0).all()
        sector_ids = {s.id for s in border_model.sectors if s.start_km < gap.end_km and s.end_km > gap.start_km}
        assert set(gap.sectors) == sector_ids
    two = result.gaps(min_sensors=2)
    assert sum(g.length_km for g in two) >= sum(lengths)


def test_nodata_holes_are_unknown_not_gaps(border_model: BorderModel, al_qaim_dem: Path, tmp_path: Path) -> None:
    holed = tmp_path / "holed.tif"
    with rasterio.open(al_qaim_dem) as src:
        data, profile = src.read(1), src.profile
    km_marker_lat, km_marker_lon = border_model.borders["SYR"].point_at(240.0)
    with rasterio.open(al_qaim_dem) as src:
        row, col = src.index(*_to_crs(src, km_marker_lon, km_marker_lat))
    data[row - 15 : row + 15, col - 15 : col + 15] = profile["nodata"]
    with rasterio.open(holed, "w", **profile) as dst:
        dst.write(data, 1)
    # Ask about the km samples directly: this DEM covers only the stretch around al-Qaim.
    sight = DemSight(Dem(holed))
    from borderwatch.coverage.assessment import line_samples

    km, lat, lon = line_samples(border_model, 100.0)["SYR"]
    points = sight.prepare(lat, lon)
    unknown = sight.unknown(points)
    assert unknown[(km > 239.5) & (km < 240.5)].all()
    assert not unknown[(km > 225.0) & (km < 235.0)].any()


def _to_crs(src: rasterio.DatasetReader, lon: float, lat: float) -> tuple[float, float]:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True).transform(float(lon), float(lat))
    return float(x), float(y)


def test_strip_raster_and_polygons_nest(border_model: BorderModel, tmp_path: Path) -> None:
    result = assess_coverage(border_model, SmoothEarthSight(), "vehicle", strip_width_m=10_000.0, raster_cell_m=400.0)
    assert result.strip is not None
    assert 0.0 < result.strip.seen_fraction(2) <= result.strip.seen_fraction(1) < 1.0
    path = write_strip_geotiff(result, tmp_path / "cov.tif")
    with rasterio.open(path) as src:
        data = src.read(1)
        assert src.crs.to_epsg() == 4326 and src.nodata == 255
    assert np.array_equal(data != 255, result.strip.inside)
    collection = coverage_polygons(result)
    json.dumps(collection)
    import shapely.geometry

    by_level = {f["properties"]["min_sensors"]: shapely.geometry.shape(f["geometry"]) for f in collection["features"]}
    assert by_level[2].area < by_level[1].area
    assert by_level[1].buffer(abs(result.strip.transform.a)).contains(by_level[2])  # simplified by half a cell


def test_sinjar_box_constant_is_on_the_ridge() -> None:
    terrain = GeneratedTerrain()
    lat = np.linspace(SINJAR_BOX[1], SINJAR_BOX[3], 40)
    lon = np.linspace(SINJAR_BOX[0], SINJAR_BOX[2], 40)
    z = terrain.elevation(*np.meshgrid(lat, lon, indexing="ij"))
    assert z.max() - z.min() > 600.0  # the peer test needs real relief


def test_a_geographic_dem_sees_what_a_projected_one_sees(tmp_path: Path, sinjar_dem: Path) -> None:
    """SRTM-style 1 arc-second cells in EPSG:4326 (25 x 31 m here) against 30 m transverse Mercator."""
    from borderwatch.coverage.observers import Observer

    geographic = write_terrain_geotiff(tmp_path / "geo.tif", SINJAR_BOX, cell_m=1 / 3600, crs="EPSG:4326")
    with Dem(geographic) as dem:
        dx, dy = dem.cell_size_m(dem.shape[0] // 2, dem.shape[1] // 2)
    assert dx == pytest.approx(24.9, abs=0.3) and dy == pytest.approx(30.8, abs=0.3)
    rng = np.random.default_rng(8)
    lat, lon = rng.uniform(36.29, 36.36, 3000), rng.uniform(41.71, 41.82, 3000)
    tower = Observer("t", "tower", 36.33, 41.76, 30.0, 5000.0)
    seen = []
    for path in (sinjar_dem, geographic):
        sight = DemSight(Dem(path))
        seen.append(sight.visible(tower, 1.7, sight.prepare(lat, lon)))
    assert 0.2 < seen[0].mean() < 0.95
    assert (seen[0] == seen[1]).mean() > 0.95
