"""Risk selectivity: a channel for every transit from configurable rules plus a learned score.

Lives here: `SelectivityRules` (thresholds), `apply_rules()` (vectorised over an Arrow table of
transits: watchlist hit, banned or controlled goods, export-banned goods leaving, expired or
near-expiry food, value per kg far below the median of its HS code, risky origin, random control),
`LearnedScore` (scikit-learn HistGradientBoostingClassifier trained on past inspection outcomes)
and `top_share_quality()` (precision and revenue captured when inspecting the top n%).
Channels: green (release), yellow (documents), red (physical inspection), blue (post-clearance audit).
May import NumPy, pyarrow, scikit-learn and `crossings.tariff`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier

from borderwatch.crossings.tariff import TariffSchedule

GREEN, YELLOW, RED, BLUE = 0, 1, 2, 3
CHANNELS = ("green", "yellow", "red", "blue")


@dataclass(frozen=True, slots=True)
class SelectivityRules:
    near_expiry_days: int = 14
    low_value_ratio: float = 0.4  # value per kg below this share of its HS code's median
    risky_origins: tuple[str, ...] = ("SY",)
    control_share: float = 0.02  # random physical controls, so that the model keeps learning
    blue_share: float = 0.03  # random post-clearance audits among green loads
    seed: int = 0


@dataclass(slots=True)
class Selection:
    channel: NDArray[np.int8]
    reasons: list[list[str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: int((self.channel == i).sum()) for i, name in enumerate(CHANNELS)}


def _col(table: pa.Table, name: str) -> NDArray[np.generic]:
    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    return np.asarray(column.to_numpy(zero_copy_only=False))


def value_ratio(table: pa.Table) -> NDArray[np.float64]:
    """Declared value per kg over the median value per kg of the same HS code."""
    hs = _col(table, "hs_code").astype(str)
    vpk = _col(table, "declared_value").astype(float) / np.maximum(_col(table, "weight_kg").astype(float), 1e-3)
    codes, inverse = np.unique(hs, return_inverse=True)
    medians = np.array([np.median(vpk[inverse == i]) for i in range(len(codes))])
    return np.asarray(vpk / np.maximum(medians[inverse], 1e-9), dtype=np.float64)


def apply_rules(
    table: pa.Table,
    tariff: TariffSchedule,
    rules: SelectivityRules | None = None,
    watch_hits: NDArray[np.bool_] | None = None,
) -> Selection:
    """The channel each rule gives, the strictest winning, with the reasons per transit."""
    rules = rules or SelectivityRules()
    n = table.num_rows
    rng = np.random.default_rng(rules.seed)
    hs = _col(table, "hs_code").astype(str)
    exit_ = _col(table, "direction").astype(str) == "exit"
    expiry = _col(table, "days_to_expiry").astype(int)
    origin = _col(table, "origin").astype(str)
    ratio = value_ratio(table)
    checks: list[tuple[str, int, NDArray[np.bool_]]] = [
        ("watchlist hit", RED, watch_hits if watch_hits is not None else np.zeros(n, bool)),
        ("banned goods", RED, TariffSchedule.matches(hs, tariff.banned)),
        ("controlled goods", RED, TariffSchedule.matches(hs, tariff.controlled)),
        ("export-banned goods leaving", RED, exit_ & TariffSchedule.matches(hs, tariff.export_banned)),
        ("expired food or medicine", RED, expiry < 0),
        ("near expiry", YELLOW, (expiry >= 0) & (expiry < rules.near_expiry_days)),
        ("value per kg far below median", YELLOW, ratio < rules.low_value_ratio),
        ("origin risk", YELLOW, np.isin(origin, rules.risky_origins)),
        ("random control", RED, rng.random(n) < rules.control_share),
    ]
    channel = np.zeros(n, dtype=np.int8)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for name, level, mask in checks:
        channel = np.where(mask & (channel < level), level, channel).astype(np.int8)
        for i in np.flatnonzero(mask):
            reasons[i].append(name)
    blue = (channel == GREEN) & (rng.random(n) < rules.blue_share)
    channel[blue] = BLUE
    return Selection(channel, reasons)


FEATURES = ("hs_chapter", "value_ratio", "log_value", "log_weight", "hour", "exit", "origin", "crossing", "expiry")


def features(table: pa.Table) -> NDArray[np.float64]:
    """Numeric features per transit for the learned score (categories as integer codes)."""
    hs = _col(table, "hs_code").astype(str)
    origin = np.unique(_col(table, "origin").astype(str), return_inverse=True)[1]
    crossing = np.unique(_col(table, "crossing").astype(str), return_inverse=True)[1]
    return np.column_stack(
        [
            np.array([int(h[:2]) for h in hs]),
            value_ratio(table),
            np.log1p(_col(table, "declared_value").astype(float)),
            np.log1p(_col(table, "weight_kg").astype(float)),
            _col(table, "hour").astype(float),
            (_col(table, "direction").astype(str) == "exit").astype(float),
            origin,
            crossing,
            np.minimum(_col(table, "days_to_expiry").astype(float), 1000),
        ]
    ).astype(np.float64)


class LearnedScore:
    """Gradient-boosted trees trained on past inspection outcomes (1: found something)."""

    def __init__(self, seed: int = 0) -> None:
        self.model = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.1, random_state=seed, categorical_features=[0, 6, 7]
        )

    def fit(self, table: pa.Table, outcome: NDArray[np.bool_]) -> LearnedScore:
        self.model.fit(features(table), outcome.astype(int))
        return self

    def score(self, table: pa.Table) -> NDArray[np.float64]:
        return np.asarray(self.model.predict_proba(features(table))[:, 1], dtype=np.float64)


def top_share_quality(
    score: NDArray[np.float64],
    outcome: NDArray[np.bool_],
    revenue: NDArray[np.float64],
    shares: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10),
) -> list[dict[str, float]]:
    """Precision and share of recoverable revenue captured when inspecting the top n% by score."""
    order = np.argsort(-score, kind="stable")
    total = max(float(revenue.sum()), 1e-9)
    out = []
    for share in shares:
        k = max(1, round(share * len(score)))
        top = order[:k]
        out.append(
            {
                "share": share,
                "inspected": k,
                "precision": float(outcome[top].mean()),
                "revenue": float(revenue[top].sum()) / total,
            }
        )
    return out
