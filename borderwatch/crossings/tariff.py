"""The tariff schedule: ad-valorem duty rates by HS code prefix, and the expected duty of a load.

Lives here: `TariffSchedule` (loaded from YAML; the sample ships in data/tariff.yaml),
`check_hs_code()` and `expected_duty()`; vectorised `rates_for()` for whole tables.
May import NumPy, PyYAML and `crossings.problems`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray

from borderwatch.crossings.problems import CrossingsError, RecordError

_HS = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{2,4})?)?)?$")


def check_hs_code(code: str, field_name: str = "hs_code") -> str:
    """The HS code as digits only (2, 4, 6, 8 or 10 of them), or a RecordError."""
    digits = re.sub(r"[.\s]", "", str(code))
    if not _HS.match(digits):
        raise RecordError(field_name, f"{code!r} is not an HS code (2-10 digits, chapter first)")
    if not 1 <= int(digits[:2]) <= 97 or digits[:2] == "77":
        raise RecordError(field_name, f"{code!r}: chapter {digits[:2]} does not exist")
    return digits


@dataclass(frozen=True, slots=True)
class TariffSchedule:
    """Duty rate by HS prefix, longest prefix first; lists of banned and controlled goods."""

    rates: dict[str, float]
    default_rate: float = 0.05
    currency: str = "IQD"
    banned: tuple[str, ...] = ()
    controlled: tuple[str, ...] = ()
    export_banned: tuple[str, ...] = ()
    perishable: tuple[str, ...] = ()
    _prefixes: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._prefixes.extend(sorted(self.rates, key=len, reverse=True))

    def rate(self, hs_code: str) -> float:
        """The rate of the longest matching prefix, else the default rate."""
        code = check_hs_code(hs_code)
        return next((self.rates[p] for p in self._prefixes if code.startswith(p)), self.default_rate)

    def expected_duty(self, hs_code: str, value: float) -> float:
        return self.rate(hs_code) * value

    def rates_for(self, hs_codes: NDArray[np.str_]) -> NDArray[np.float64]:
        """Rates for many codes at once (one lookup per distinct code)."""
        unique, inverse = np.unique(hs_codes, return_inverse=True)
        return np.asarray([self.rate(str(c)) for c in unique], dtype=np.float64)[inverse]

    @staticmethod
    def matches(hs_codes: NDArray[np.str_], prefixes: tuple[str, ...]) -> NDArray[np.bool_]:
        """Which codes start with any of the prefixes."""
        unique, inverse = np.unique(hs_codes, return_inverse=True)
        hit = np.asarray([any(str(c).startswith(p) for p in prefixes) for c in unique], dtype=bool)
        return hit[inverse]


def load_tariff(path: str | Path | None = None) -> TariffSchedule:
    """A tariff schedule from YAML (keys: rates, default_rate, currency, banned, controlled, ...)."""
    if path is None:
        text = resources.files("borderwatch.crossings").joinpath("data/tariff.yaml").read_text("utf-8")
        source = "data/tariff.yaml"
    else:
        text, source = Path(path).read_text("utf-8"), str(path)
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("rates"), dict):
        raise CrossingsError(f"{source}: a tariff needs a 'rates' mapping of HS prefix -> rate")
    problems: list[str] = []
    rates: dict[str, float] = {}
    for prefix, rate in doc["rates"].items():
        try:
            code = check_hs_code(str(prefix).zfill(2), f"rates.{prefix}")
        except RecordError as exc:
            problems.append(str(exc))
            continue
        if not isinstance(rate, int | float) or not 0 <= rate <= 5:
            problems.append(f"rates.{prefix}: rate {rate!r} must be a number in [0, 5]")
            continue
        rates[code] = float(rate)

    def prefixes(key: str) -> tuple[str, ...]:
        return tuple(re.sub(r"[.\s]", "", str(p)) for p in doc.get(key) or [])

    if problems:
        raise CrossingsError(f"{source}: " + "; ".join(problems))
    return TariffSchedule(
        rates,
        float(doc.get("default_rate", 0.05)),
        str(doc.get("currency", "IQD")),
        prefixes("banned"),
        prefixes("controlled"),
        prefixes("export_banned"),
        prefixes("perishable"),
    )
