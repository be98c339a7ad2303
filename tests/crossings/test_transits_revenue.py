import numpy as np
import pytest

from borderwatch.crossings.register import read_transits
from borderwatch.crossings.revenue import (
    after_hours_profile,
    collection_by_hour,
    export,
    find_leaks,
    plot_revenue,
    revenue_table,
)
from borderwatch.crossings.selectivity import RED, YELLOW, LearnedScore, apply_rules, top_share_quality
from borderwatch.crossings.service import iraqi_crossings, synthetic_month
from borderwatch.crossings.tariff import load_tariff


def test_official_crossings_from_configuration() -> None:
    crossings = iraqi_crossings()
    assert len(crossings) == 17
    assert {c.neighbour for c in crossings.values()} == {"Syria", "Jordan", "Saudi Arabia", "Kuwait", "Turkey", "Iran"}


GOOD = {
    "id": "t1",
    "crossing": "trebil",
    "time": "2026-01-03T19:20:00",
    "direction": "entry",
    "officer": "n1",
    "plate": "بغداد أ ١٢٣٤٥",
    "travellers": [{"name": "Ali Hassan", "dob": "1980-01-02"}],
    "cargo": [{"hs_code": "8703.23", "quantity": 1500, "declared_value": 20_000_000, "origin": "JO"}],
    "duty_assessed": 4_000_000,
    "duty_collected": 1_000_000,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"crossing": "nowhere"}, "crossing"),
        ({"time": "2026-02-30T10:00"}, "time"),
        ({"plate": "Baghdad X 1"}, "plate"),
        ({"duty_collected": -5}, "duty_collected"),
        ({"cargo": [{"hs_code": "87x3", "quantity": 1, "declared_value": 1}]}, "cargo[0].hs_code"),
        ({"cargo": [{"hs_code": "8703", "quantity": 1, "declared_value": 1e15}]}, "cargo[0].declared_value"),
        ({"travellers": [{"name": "A B", "dob": "1850-01-01"}]}, "travellers[0].dob"),
    ],
)
def test_bad_transit_reported_good_kept(change: dict[str, object], field: str) -> None:
    result = read_transits([GOOD, {**GOOD, "id": "t2", **change}, {**GOOD, "id": "t3"}], iraqi_crossings())
    assert [t.id for t in result.records] == ["t1", "t3"]
    assert [(p.line, p.record, p.field) for p in result.problems] == [(2, "t2", field)]


def test_transit_parsed_with_shift_and_expected_duty() -> None:
    transit = read_transits([GOOD], iraqi_crossings()).records[0]
    assert transit.shift == "night" and transit.vehicle and transit.vehicle.normalised
    assert transit.vehicle.normalised.latin == "BAGHDAD A 12345"
    tariff = load_tariff()
    assert transit.expected_duty(tariff) == pytest.approx(20_000_000 * tariff.rate("870323"))


@pytest.fixture(scope="module")
def month():  # type: ignore[no-untyped-def]
    return synthetic_month(30_000, 30, seed=11)


def test_each_injected_leak_found_and_clean_crossings_not(month) -> None:  # type: ignore[no-untyped-def]
    findings = find_leaks(month.table)
    assert findings[0].kind == "night_shift" and findings[0].crossing == "trebil"
    found = {(f.kind, f.crossing) for f in findings if f.kind != "after_hours_share"}
    assert found == {(leak.kind, leak.crossing) for leak in month.leaks}
    # the diverted night revenue also shows as after-hours revenue lagging after-hours traffic
    assert [(f.crossing, f.lost) for f in findings if f.kind == "after_hours_share"] == [("trebil", 0.0)]
    officer = next(f for f in findings if f.kind == "officer")
    assert officer.subject == next(leak.officer for leak in month.leaks if leak.kind == "officer")
    drop = next(f for f in findings if f.kind == "drop")
    assert abs(int(drop.subject.split()[-1]) - next(leak.from_day for leak in month.leaks if leak.kind == "drop")) <= 1


def test_no_leak_no_finding() -> None:
    clean = synthetic_month(1_000, 30, seed=3)
    from borderwatch.crossings.synth.transits import generate_transits

    table = generate_transits(
        30_000,
        list(iraqi_crossings().values()),
        load_tariff(),
        seed=3,
        night_leak=None,
        officer_leak=None,
        drop_leak=None,
    ).table
    assert find_leaks(table) == []
    assert clean.table.num_rows == 1_000


def test_revenue_table_and_export(month, tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = revenue_table(month.table, ("crossing", "shift"))
    assert table.column("gap")[0].as_py() == max(table.column("gap").to_pylist())
    assert sum(table.column("transits").to_pylist()) == month.table.num_rows
    assert export(table, tmp_path / "r.parquet").stat().st_size > 0


def test_each_selectivity_rule(month) -> None:  # type: ignore[no-untyped-def]
    tariff = load_tariff()
    t = month.table
    hits = np.zeros(t.num_rows, bool)
    hits[5] = True
    sel = apply_rules(t, tariff, watch_hits=hits)
    assert sel.channel[5] == RED and "watchlist hit" in sel.reasons[5]
    for truth, reasons in (
        ("truth_banned", {"banned goods", "controlled goods"}),
        ("truth_expired", {"expired food or medicine"}),
    ):
        idx = np.flatnonzero(t.column(truth).to_numpy())
        assert len(idx) and all(sel.channel[i] == RED and reasons & set(sel.reasons[i]) for i in idx)
    under = np.flatnonzero(t.column("truth_undervalued").to_numpy())
    flagged = np.mean(["value per kg far below median" in sel.reasons[i] for i in under])
    assert flagged > 0.5
    assert all(sel.channel[i] >= YELLOW for i in under if "value per kg far below median" in sel.reasons[i])
    syria = np.flatnonzero(t.column("origin").cast("string").to_numpy(zero_copy_only=False) == "SY")
    assert all("origin risk" in sel.reasons[i] for i in syria[:50])
    leaving = [i for i, r in enumerate(sel.reasons) if "export-banned goods leaving" in r]
    assert leaving and all(sel.channel[i] == RED for i in leaving)
    assert 0.005 < np.mean(["random control" in r for r in sel.reasons]) < 0.05


def test_learned_score_beats_random(month) -> None:  # type: ignore[no-untyped-def]
    past = synthetic_month(15_000, 30, seed=12).table
    model = LearnedScore().fit(past, past.column("fraud").to_numpy())
    outcome = month.table.column("fraud").to_numpy()
    revenue = np.maximum(month.table.column("true_duty").to_numpy() - month.table.column("expected_duty").to_numpy(), 0)
    quality = top_share_quality(model.score(month.table), outcome, revenue)
    at5 = next(q for q in quality if q["share"] == 0.05)
    assert at5["precision"] > 3 * outcome.mean()
    assert at5["revenue"] > 0.2


def test_collection_by_hour_and_after_hours_profile(month, tmp_path) -> None:  # type: ignore[no-untyped-def]
    by_hour = collection_by_hour(month.table).to_pylist()
    assert sum(r["transits"] for r in by_hour) == month.table.num_rows
    trebil = {r["hour"]: r["rate"] for r in by_hour if r["crossing"] == "trebil"}
    assert max(trebil[h] for h in (18, 20, 23, 2)) < 0.5 < min(trebil[h] for h in (9, 12, 15))
    profile = {r["crossing"]: r for r in after_hours_profile(month.table).to_pylist()}
    assert profile["trebil"]["revenue_share"] < profile["trebil"]["traffic_share"] / 2
    safwan = profile["safwan"]
    assert abs(safwan["revenue_share"] - safwan["traffic_share"]) < 0.1
    png = plot_revenue(month.table, find_leaks(month.table), tmp_path / "revenue.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
