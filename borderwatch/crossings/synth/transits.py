"""A synthetic month (or any span) of transits through the Iraqi crossings, as one Arrow table.

Lives here: `generate_transits()`, vectorised (10 million rows in seconds), with injected ground
truth: under-declared values, misclassified HS codes, smuggled banned goods, expired food, and
revenue leaks (a crossing whose night shift diverts duty, an officer who pockets part of it, a
crossing whose collection drops suddenly). May import NumPy, pyarrow and `crossings.tariff`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from borderwatch.crossings.register import Crossing
from borderwatch.crossings.tariff import TariffSchedule

# (HS code, description, typical value per kg in IQD, share of loads)
GOODS: list[tuple[str, str, float, float]] = [
    ("020230", "frozen beef", 9_000, 0.05),
    ("040221", "milk powder", 6_000, 0.05),
    ("070200", "tomatoes", 900, 0.06),
    ("100630", "rice", 1_200, 0.07),
    ("170199", "sugar", 900, 0.06),
    ("190590", "biscuits", 3_000, 0.05),
    ("220300", "beer", 2_500, 0.02),
    ("240220", "cigarettes", 25_000, 0.03),
    ("271019", "fuel oil", 700, 0.06),
    ("300490", "medicine", 60_000, 0.03),
    ("390120", "polyethylene", 1_800, 0.05),
    ("721420", "steel bars", 1_000, 0.08),
    ("841510", "air conditioners", 12_000, 0.05),
    ("850211", "generators", 8_000, 0.04),
    ("851712", "mobile phones", 400_000, 0.02),
    ("870323", "cars", 15_000, 0.05),
    ("940360", "furniture", 4_000, 0.07),
    ("630900", "used clothing", 1_500, 0.06),
    ("210690", "food preparations", 5_000, 0.05),
    ("080510", "oranges", 1_000, 0.05),
]
BANNED_GOODS = [
    ("930190", "military weapons"),
    ("930630", "cartridges"),
    ("293961", "ergometrine"),
    ("121130", "coca leaf"),
    ("293971", "methamphetamine"),
]
ORIGINS = np.array(["TR", "IR", "JO", "SA", "KW", "SY", "CN", "AE", "DE", "IN"])
ORIGIN_RISK = {"SY": 0.6, "IR": 0.3}


@dataclass(frozen=True, slots=True)
class InjectedLeak:
    """Ground truth: where revenue was diverted. kind: night_shift, officer or drop."""

    kind: str
    crossing: str
    officer: str | None = None
    from_day: int | None = None
    collected_share: float = 0.0


@dataclass(frozen=True, slots=True)
class SyntheticTransits:
    table: pa.Table
    leaks: list[InjectedLeak]


def generate_transits(
    n: int,
    crossings: list[Crossing],
    tariff: TariffSchedule,
    days: int = 30,
    seed: int = 7,
    start: str = "2026-01-01",
    night_leak: str | None = "trebil",
    officer_leak: str | None = "ibrahim-khalil",
    drop_leak: str | None = "safwan",
) -> SyntheticTransits:
    """`n` transits over `days` days; the leak arguments name the crossings given each injected leak."""
    rng = np.random.default_rng(seed)
    ids = [c.id for c in crossings]
    by_id = {c.id: c for c in crossings}
    weight = np.array([3.0 if c.opening_hours is None else 1.0 for c in crossings])
    crossing = rng.choice(len(ids), size=n, p=weight / weight.sum()).astype(np.int16)
    day = rng.integers(0, days, size=n).astype(np.int32)
    # 24-hour crossings see about a third of their traffic after 18:00; the others keep their hours
    open_24 = np.array([c.opening_hours is None for c in crossings])[crossing]
    hour_day = rng.integers(8, 18, size=n)
    hour_night = np.where(rng.random(n) < 0.6, rng.integers(18, 24, size=n), rng.integers(0, 6, size=n))
    hour = np.where(open_24 & (rng.random(n) < 0.33), hour_night, hour_day).astype(np.int8)
    seconds = day.astype(np.int64) * 86400 + hour.astype(np.int64) * 3600 + rng.integers(0, 3600, size=n)
    time = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    night = (hour >= 18) | (hour < 6)
    officer = np.where(night, rng.integers(0, 4, size=n) + 100, rng.integers(0, 8, size=n)).astype(np.int16)
    direction_exit = rng.random(n) < 0.2

    goods = rng.choice(len(GOODS), size=n, p=np.array([g[3] for g in GOODS]) / sum(g[3] for g in GOODS))
    # Goods are integer codes into CODES (the string columns are dictionary arrays built at the end):
    # string arrays of ten million rows cost seconds to sort and to encode.
    codes = [g[0] for g in GOODS] + [b[0] for b in BANNED_GOODS]
    descriptions = [g[1] for g in GOODS] + [b[1] for b in BANNED_GOODS]
    weight_kg = np.round(rng.lognormal(np.log(8_000), 0.6, size=n), 1)
    unit_value = np.array([g[2] for g in GOODS])[goods] * rng.lognormal(0, 0.25, size=n)
    true_value = np.round(weight_kg * unit_value, -3)
    origin = rng.integers(0, len(ORIGINS), size=n).astype(np.int32)

    # injected customs fraud
    undervalued = (rng.random(n) < 0.04) & ~direction_exit
    misclassified = (rng.random(n) < 0.03) & ~direction_exit & ~undervalued
    banned = rng.random(n) < 0.003
    declared_value = np.where(undervalued, np.round(true_value * rng.uniform(0.15, 0.4, size=n), -3), true_value)
    declared = goods.astype(np.int32)
    declared[misclassified] = codes.index("100630")  # declared as rice: duty-free cereals
    bad = rng.integers(0, len(BANNED_GOODS), size=n)
    declared[banned] = len(GOODS) + bad[banned]
    code_arr = np.array(codes)
    perishable = TariffSchedule.matches(code_arr, tariff.perishable)[declared]
    days_to_expiry = np.where(perishable, rng.integers(20, 400, size=n), 9999).astype(np.int32)
    expired = perishable & (rng.random(n) < 0.02)
    days_to_expiry[expired] = rng.integers(-60, 0, size=int(expired.sum()))
    export_banned = direction_exit & TariffSchedule.matches(code_arr, tariff.export_banned)[goods]
    fraud = undervalued | misclassified | banned | expired | export_banned

    code_rates = tariff.rates_for(code_arr)
    rate_declared = code_rates[declared]
    rate_true = code_rates[goods]
    expected = np.where(direction_exit, 0.0, np.round(declared_value * rate_declared, -2))
    true_duty = np.where(direction_exit, 0.0, np.round(true_value * rate_true, -2))
    collected_share = np.clip(rng.normal(0.985, 0.02, size=n), 0.9, 1.0)
    leaks: list[InjectedLeak] = []
    if night_leak in by_id:
        c = ids.index(night_leak)
        collected_share[(crossing == c) & night] = rng.uniform(0.15, 0.35, size=int(((crossing == c) & night).sum()))
        leaks.append(InjectedLeak("night_shift", night_leak, collected_share=0.25))
    if officer_leak in by_id:
        c = ids.index(officer_leak)
        mask = (crossing == c) & (officer == 3)
        collected_share[mask] *= 0.55
        leaks.append(InjectedLeak("officer", officer_leak, officer=f"{officer_leak}/d3", collected_share=0.55))
    if drop_leak in by_id:
        c = ids.index(drop_leak)
        from_day = days * 2 // 3
        collected_share[(crossing == c) & (day >= from_day)] *= 0.6
        leaks.append(InjectedLeak("drop", drop_leak, from_day=from_day, collected_share=0.6))
    collected = np.round(expected * collected_share, -2)

    # officers d0-d7 on the day shift, n0-n3 at night: dictionary codes 0-7 and 8-11
    officer_names = [f"d{i}" for i in range(8)] + [f"n{i}" for i in range(4)]
    officer_code = np.where(officer >= 100, officer - 100 + 8, officer).astype(np.int32)

    def coded(indices: np.ndarray, names: list[str]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(names))

    crossing_arr = coded(crossing, ids)
    table = pa.table(
        {
            "transit_id": pa.array(np.arange(n, dtype=np.int64)),
            "crossing": crossing_arr,
            "time": pa.array(time),
            "day": pa.array(day),
            "hour": pa.array(hour),
            "shift": coded(night, ["day", "night"]),
            "officer": coded(officer_code, officer_names),
            "direction": coded(direction_exit, ["entry", "exit"]),
            "hs_code": coded(declared, codes),
            "description": coded(declared, descriptions),
            "origin": coded(origin, [str(o) for o in ORIGINS]),
            "weight_kg": pa.array(weight_kg),
            "declared_value": pa.array(declared_value),
            "days_to_expiry": pa.array(days_to_expiry),
            "expected_duty": pa.array(expected),
            "duty_collected": pa.array(collected),
            # ground truth, never shown to the analytics
            "true_duty": pa.array(true_duty),
            "fraud": pa.array(fraud),
            "truth_undervalued": pa.array(undervalued),
            "truth_misclassified": pa.array(misclassified),
            "truth_banned": pa.array(banned),
            "truth_expired": pa.array(expired),
        }
    )
    return SyntheticTransits(table, leaks)
